"""Every Python block in the README, the docs and the docstrings runs as a test (Sybil).

A block that cannot run says so, with its reason, in a comment just before it:
``<!-- skip: next "why" -->``. The blocks run against a fake server (tests/doc_examples.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from sybil import Sybil
from sybil.parsers import markdown, myst, rest
from sybil.sybil import SybilCollection

from tests.doc_examples import FakeInThread, evaluate_python

_ENV = ("WHAUTOCHAT_API_KEY", "WHAUTOCHAT_BASE_URL", "WHAUTOCHAT_REDIS_URL")


@pytest.fixture(scope="session")
def docs_fake_server() -> Iterator[FakeInThread]:
    """One fake server for every example, on a loop of its own."""
    server = FakeInThread()
    yield server
    server.close()


@pytest.fixture
def docs_fake(
    docs_fake_server: FakeInThread, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Any:
    """The page's fake, with the environment pointed at it for this example only."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    key = docs_fake_server.reset_for(request.node.example.document)
    monkeypatch.setenv("WHAUTOCHAT_API_KEY", key)
    monkeypatch.setenv("WHAUTOCHAT_BASE_URL", docs_fake_server.fake.url)
    return docs_fake_server.fake


def _enter_document(namespace: dict[str, Any]) -> None:
    """Files a page's examples write go to a directory of its own; logging is restored."""
    root, logger = logging.getLogger(), logging.getLogger("whautochat_async")
    namespace["__saved__"] = (os.getcwd(), list(root.handlers), logger.level)
    namespace["__workdir__"] = tempfile.mkdtemp(prefix="whautochat-docs-")
    os.chdir(namespace["__workdir__"])


def _leave_document(namespace: dict[str, Any]) -> None:
    cwd, handlers, level = namespace.pop("__saved__")
    os.chdir(cwd)
    shutil.rmtree(namespace.pop("__workdir__"), ignore_errors=True)
    logging.getLogger().handlers[:] = handlers
    logging.getLogger("whautochat_async").setLevel(level)


_COMMON: dict[str, Any] = {
    "fixtures": ["docs_fake"],
    "setup": _enter_document,
    "teardown": _leave_document,
}

pytest_collect_file = SybilCollection(
    [
        Sybil(
            parsers=[markdown.CodeBlockParser("python", evaluate_python), markdown.SkipParser()],
            patterns=["README.md"],
            **_COMMON,
        ),
        Sybil(
            parsers=[myst.CodeBlockParser("python", evaluate_python), myst.SkipParser()],
            path="docs",
            patterns=["*.md"],
            excludes=["_build/*"],
            **_COMMON,
        ),
        Sybil(
            parsers=[
                rest.CodeBlockParser("python", evaluate_python),
                rest.DocTestParser(),
                rest.SkipParser(),
            ],
            path="whautochat_async",
            patterns=["*.py"],
            **_COMMON,
        ),
    ]
).pytest()
