"""The dependency rule: network and event-loop code stays at the edge.

The modules below decide (what to send, when to retry, which page is next, what a call
ends with, how JSON maps to models) and are unit-tested without a loop or a socket; this
test keeps them that way.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "whautochat_async"
PURE = [
    "_call",
    "_protocol",
    "_retry",
    "sync/_plan",
    "sync/_checks",
    "_walk",
    "converters",
    "models",
    "errors",
]
EDGE = {"aiohttp", "asyncio", "socket", "redis"}
UPPER = {"_transport", "_requester", "client", "pagination", "resources", "sync", "cli"}


def _imports(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
    return names


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_io_and_nothing_above_them(module: str) -> None:
    imported = _imports(module)
    roots = {name.split(".")[0] for name in imported if not name.startswith(".")}
    local = {name.lstrip(".").split(".")[0] for name in imported if name.startswith(".")}
    assert not roots & EDGE, f"{module} imports {roots & EDGE}"
    assert not local & UPPER, f"{module} imports {local & UPPER}"


def test_the_check_sees_imports() -> None:
    # The rule above must be able to fail: the requester does import asyncio and transport.
    imported = _imports("_requester")
    assert "asyncio" in imported
    assert "._transport" in imported
