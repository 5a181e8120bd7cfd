"""FakeWhautoChat: a wire-level fake of the Webhooks API on a real loopback socket.

Its state and lifecycle; what each request goes through is in ``_pipeline``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any

from aiohttp import web

from ._faults import FaultPlan
from ._pipeline import Pipeline
from ._ratelimit import SlidingWindowLimiter
from ._records import RecordedRequest
from ._store import WebhookStore

__all__ = ["BeforeRequestHook", "FakeWhautoChat"]

#: A hook run before each request is handled; it may be sync or async.
BeforeRequestHook = Callable[[web.Request], Awaitable[None] | None]
# How long close() lets in-flight handlers finish before cancelling them.
_SHUTDOWN_TIMEOUT = 0.1


class FakeWhautoChat:
    """A fake WhautoChat server: real HTTP, in-memory webhooks, programmable faults."""

    def __init__(
        self,
        *,
        api_key: str = "test-key",
        max_page_size: int = 100,
        default_page_size: int = 100,
        ignore_page: bool = False,
        latency: float = 0.0,
        seed: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        rate_limit: tuple[int, float] | None = None,
        rate_limit_headers: bool = True,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        extra_events: Iterable[str] = (),
    ) -> None:
        if max_page_size < 1 or default_page_size < 1:
            raise ValueError("page sizes must be >= 1")
        self.api_key = api_key
        self.max_page_size, self.default_page_size = max_page_size, default_page_size
        self.ignore_page = ignore_page
        #: Event names accepted beside the documented 13 (a server newer than the client).
        self.extra_events = frozenset(extra_events)
        self.host, self.port, self.latency = host, port, latency
        self.rate_limit_headers = rate_limit_headers
        self.limiter = (
            None if rate_limit is None else SlidingWindowLimiter(*rate_limit, monotonic=monotonic)
        )
        self.store = WebhookStore(seed=seed, clock=clock)
        self.requests: list[RecordedRequest] = []
        self.before_request: list[BeforeRequestHook] = []
        self.faults = FaultPlan()
        self.rejected_count = 0
        self._pipeline = Pipeline(self)
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = self._pipeline.application()

    # -- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> FakeWhautoChat:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on ``host:port`` (port 0: a free one); ``url`` is set afterwards."""
        if self._runner is not None:
            raise RuntimeError("FakeWhautoChat is already started")
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    async def close(self) -> None:
        """Stop listening and cancel handlers still running; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        # Handlers whose client already left are not tracked by aiohttp: end them here.
        leftovers = [task for task in self._pipeline.in_flight if not task.done()]
        for task in leftovers:
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8123`` (no trailing slash)."""
        if self._url is None:
            raise RuntimeError("FakeWhautoChat is not started")
        return self._url

    # -- state -----------------------------------------------------------------

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        """The stored webhooks in wire format, in insertion order.

        A new list of the stored dicts: edit their fields in place (not ``id``, their key);
        assign a list to replace, reorder or remove webhooks.
        """
        return self.store.items

    @webhooks.setter
    def webhooks(self, value: list[dict[str, Any]]) -> None:
        self.store.items = value

    @property
    def in_flight(self) -> int:
        """Requests received and not answered yet (a delayed write lands when it drops)."""
        return sum(not task.done() for task in self._pipeline.in_flight)

    @property
    def request_count(self) -> int:
        """How many HTTP requests the server received (direct adds don't count)."""
        return len(self.requests)

    def add_webhook(self, **fields: Any) -> dict[str, Any]:
        """Store one webhook directly, unvalidated; wire-format fields override defaults."""
        return self.store.add_direct(fields)

    def seed_webhooks(
        self, n: int, *, extra: dict[str, Any] | None = None, **overrides: Any
    ) -> list[dict[str, Any]]:
        """Store ``n`` webhooks directly (``webhook-0001``, ...); return copies."""
        fields = {**(extra or {}), **overrides}
        return [self.store.add_direct(fields) for _ in range(n)]
