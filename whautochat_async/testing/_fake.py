"""FakeWhautoChat: a wire-level fake of the Webhooks API on a real loopback socket.

Each request goes through one middleware, in this order: record, ``before_request``
hooks, latency (``latency`` plus a latency fault), literal dot-segment check (400),
API key (401), rate limit (429), then one queued fault or the real endpoint. Every
response carries ``x-request-id: req_<n>``; with a rate limit, ``X-RateLimit-*`` too.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ._faults import ACTING_KINDS, FaultKind, FaultPlan
from ._ratelimit import SlidingWindowLimiter
from ._records import RecordedRequest, record_request
from ._responses import (
    drop_connection,
    error_response,
    fault_status_response,
    html_error_response,
    malformed_json_response,
    truncated_response,
)
from ._routes import STATE_KEY, build_routes, call_endpoint
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
        self.max_page_size = max_page_size
        self.default_page_size = default_page_size
        self.ignore_page = ignore_page
        #: Event names accepted beside the documented 13 (a server newer than the client).
        self.extra_events = frozenset(extra_events)
        self.latency = latency
        self.host, self.port = host, port
        self.rate_limit_headers = rate_limit_headers
        self.limiter = (
            None if rate_limit is None else SlidingWindowLimiter(*rate_limit, monotonic=monotonic)
        )
        self.store = WebhookStore(seed=seed, clock=clock)
        self.requests: list[RecordedRequest] = []
        self.before_request: list[BeforeRequestHook] = []
        self.faults = FaultPlan()
        self.rejected_count = 0
        self._request_number = 0
        self._inflight: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self.app = web.Application(middlewares=[self._middleware])
        self.app[STATE_KEY] = self
        self.app.add_routes(build_routes())

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
        leftovers = [task for task in self._inflight if not task.done()]
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
        return sum(not task.done() for task in self._inflight)

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

    # -- request pipeline ------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        self._request_number += 1
        request_id = f"req_{self._request_number}"
        body = await request.read()
        status: int | None = None  # stays None if cancelled: nothing was sent
        try:
            response, status = await self._process(request, handler, request_id)
            if not response.prepared:
                response.headers.update(self._common_headers(request_id))
            return response
        except Exception:
            status = 500  # aiohttp answers 500 to an exception in a hook or handler
            raise
        finally:
            if task is not None:
                self._inflight.discard(task)
            self.requests.append(record_request(request, body, status, request_id))

    async def _process(
        self, request: web.Request, handler: Handler, request_id: str
    ) -> tuple[web.StreamResponse, int | None]:
        for hook in list(self.before_request):
            result = hook(request)
            if inspect.isawaitable(result):
                await result
        delay = self.latency + self.faults.take_latency(request.method, request.path)
        if delay > 0:
            await asyncio.sleep(delay)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal, refusal.status
        return await self._respond(request, handler, request_id)

    def _refusal(self, request: web.Request) -> web.Response | None:
        raw_segments = request.raw_path.partition("?")[0].split("/")
        if "." in raw_segments or ".." in raw_segments:
            message = "Literal dot segments are not allowed (a proxy would normalize them)"
            return error_response(400, "invalid_path", message)
        key = request.headers.get("x-api-key", "")
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return error_response(401, "unauthorized", "Missing or invalid API key")
        if self.limiter is None:
            return None
        wait = self.limiter.try_acquire()
        if wait is None:
            return None
        self.rejected_count += 1
        headers = self.limiter.headers(wait) if self.rate_limit_headers else {}
        return error_response(429, "rate_limited", "Too many requests", headers=headers)

    async def _respond(
        self, request: web.Request, handler: Handler, request_id: str
    ) -> tuple[web.StreamResponse, int | None]:
        fault = self.faults.take(request.method, request.path)
        kind = None if fault is None else fault.kind
        if fault is None or kind in ACTING_KINDS:
            response = await call_endpoint(handler, request)
            if kind is FaultKind.DROP_AFTER:
                return drop_connection(request), None
            if kind is FaultKind.TRUNCATED_BODY:
                headers = self._common_headers(request_id)
                truncated = await truncated_response(request, response, headers)
                return truncated, truncated.status
            return response, response.status
        if kind is FaultKind.DROP_BEFORE:
            return drop_connection(request), None
        if kind is FaultKind.HTML_ERROR:
            answer = html_error_response(fault.status or 502)
        elif kind is FaultKind.MALFORMED_JSON:
            answer = malformed_json_response()
        else:
            answer = fault_status_response(fault)
        return answer, answer.status

    def _common_headers(self, request_id: str) -> dict[str, str]:
        headers = {"x-request-id": request_id}
        if self.limiter is not None and self.rate_limit_headers:
            headers |= self.limiter.headers(None)
        return headers
