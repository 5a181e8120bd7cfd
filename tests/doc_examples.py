"""What the README's and the docs' examples run against: a fake server in a thread.

The examples are written for users: ``WhautoChat()`` reads its key and base URL from the
environment, and a script ends in ``asyncio.run(main())``. So the fake server runs on its own
event loop in a background thread, each example gets the environment pointed at it (restored
afterwards), and a block with top-level ``await`` runs in a fresh loop with ``client`` bound.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import itertools
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from sybil import Example
from sybil.evaluators.python import pad

from whautochat_async import WhautoChat
from whautochat_async.testing import FakeWhautoChat

__all__ = ["FakeInThread", "evaluate_python"]

T = TypeVar("T")
_CALL_TIMEOUT = 30.0


class FakeInThread:
    """A ``FakeWhautoChat`` served by an event loop in a daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.fake = self.call(self._start())
        self._keys = itertools.count(1)
        self._document: object = None

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the fake's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_CALL_TIMEOUT)

    async def _start(self) -> FakeWhautoChat:
        fake = FakeWhautoChat(seed=1)
        await fake.start()
        return fake

    def reset_for(self, document: object) -> str:
        """The fake emptied when a new page starts; returns the API key it now accepts.

        A page's examples share the fake (an invisible block may seed it for the next one).
        A new key per page gives each its own share of the client's default rate limit
        (shared per key and base URL), so no page waits for another's window.
        """
        if document is self._document:
            return self.fake.api_key
        self._document = document
        key = f"docs-key-{next(self._keys)}"

        async def reset() -> None:
            self.fake.webhooks = []
            self.fake.faults.clear()
            self.fake.requests.clear()
            self.fake.api_key = key

        self.call(reset())
        return key

    def close(self) -> None:
        """Stop the fake and its loop."""
        self.call(self.fake.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_CALL_TIMEOUT)
        self._loop.close()


def evaluate_python(example: Example) -> None:
    """Sybil's Python evaluation, plus top-level ``await`` with a ``client`` from the env."""
    __tracebackhide__ = True
    source = pad(example.parsed, example.line + example.parsed.line_offset)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    code = compile(source, example.path, "exec", flags=flags, dont_inherit=True)
    if code.co_flags & inspect.CO_COROUTINE:
        asyncio.run(_with_client(code, example.namespace))
    else:
        exec(code, example.namespace)
    example.namespace.pop("__builtins__", None)


async def _with_client(code: Any, namespace: dict[str, Any]) -> None:
    async with WhautoChat() as client:
        namespace["client"] = client
        await eval(code, namespace)
