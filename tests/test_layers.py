"""The dependency rule: network and event-loop code stays at the edge.

The modules below decide (what to send, when to retry, which page is next, what a call
ends with, how JSON maps to models) and are unit-tested without a loop or a socket; this
test keeps them that way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = [
    "whautochat_async._http.call",
    "whautochat_async._http.protocol",
    "whautochat_async._http.redaction",
    "whautochat_async._http.proxy",
    "whautochat_async._http.retry",
    "whautochat_async.sync._plan",
    "whautochat_async.sync._checks",
    "whautochat_async.pagination._walk",
    "whautochat_async.ratelimit._protocol",
    "whautochat_async.ratelimit._wait",
    "whautochat_async.converters",
    "whautochat_async.converters._models",
    "whautochat_async.converters._scalars",
    "whautochat_async.models",
    "whautochat_async.errors",
]
EDGE = {"aiohttp", "asyncio", "socket", "redis"}
UPPER = {
    "whautochat_async._http.failures",
    "whautochat_async._http.gate",
    "whautochat_async._http.transport",
    "whautochat_async._http.requester",
    "whautochat_async.client",
    "whautochat_async.resources",
    "whautochat_async.sync._apply",
    "whautochat_async.cli",
}
#: Packages whose ``__init__`` is above the pure modules, though some of their modules are not.
UPPER_PACKAGES = {"whautochat_async.pagination", "whautochat_async.sync"}


def _imports(module: str) -> set[str]:
    """Every module ``module`` imports, relative imports resolved to absolute names."""
    path = ROOT / (module.replace(".", "/") + ".py")
    package = module.split(".")[:-1]
    if not path.exists():  # a package: relative imports start from the package itself
        path = ROOT / module.replace(".", "/") / "__init__.py"
        package = module.split(".")
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, node.module] if node.module else base)
            names.add(stem)
            names.update(f"{stem}.{alias.name}" for alias in node.names)
    return names


def _upper(imported: set[str]) -> set[str]:
    above = {name for name in imported for up in UPPER if name == up or name.startswith(up + ".")}
    return above | (imported & UPPER_PACKAGES)


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_io_and_nothing_above_them(module: str) -> None:
    imported = _imports(module)
    roots = {name.split(".")[0] for name in imported}
    assert not roots & EDGE, f"{module} imports {roots & EDGE}"
    assert not _upper(imported), f"{module} imports {_upper(imported)}"


def test_the_check_sees_imports() -> None:
    # The rule above must be able to fail: the requester does import asyncio and transport.
    imported = _imports("whautochat_async._http.requester")
    assert "asyncio" in imported
    assert _upper(imported) >= {"whautochat_async._http.transport"}
    assert _imports("whautochat_async.resources.webhooks") >= {"whautochat_async._http.protocol"}
    assert _upper(_imports("whautochat_async.resources.webhooks")) >= {
        "whautochat_async.pagination",
        "whautochat_async.sync",
    }
    # A package's relative imports resolve from the package: the paginator imports its walk.
    assert _imports("whautochat_async.pagination") >= {"whautochat_async.pagination._walk"}
