"""The fake's request pipeline: one aiohttp middleware, its steps in a fixed order.

Record, ``before_request`` hooks, latency (``latency`` plus a latency fault), literal
dot-segment check (400), API key (401), rate limit (429), then one queued fault or the
real endpoint. Every response carries ``x-request-id: req_<n>``; with a rate limit,
``X-RateLimit-*`` too.
"""

from __future__ import annotations

import asyncio
import hmac
import inspect
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from ._faults import ACTING_KINDS, FaultKind
from ._records import record_request
from ._responses import (
    drop_connection,
    error_response,
    fault_status_response,
    html_error_response,
    malformed_json_response,
    truncated_response,
)
from ._routes import STATE_KEY, build_routes, call_endpoint

if TYPE_CHECKING:
    from ._fake import FakeWhautoChat

__all__ = ["Pipeline"]


class Pipeline:
    """What every request to ``fake`` goes through; tracks the handlers in flight."""

    def __init__(self, fake: FakeWhautoChat) -> None:
        self.fake = fake
        #: The tasks of the requests received and not answered yet.
        self.in_flight: set[asyncio.Task[Any]] = set()
        self._number = 0

    def application(self) -> web.Application:
        """The fake's aiohttp app: the routes behind this pipeline."""
        app = web.Application(middlewares=[self.middleware])
        app[STATE_KEY] = self.fake
        app.add_routes(build_routes())
        return app

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> Any:
        task = asyncio.current_task()
        if task is not None:
            self.in_flight.add(task)
        self._number += 1
        request_id = f"req_{self._number}"
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
                self.in_flight.discard(task)
            self.fake.requests.append(record_request(request, body, status, request_id))

    async def _process(
        self, request: web.Request, handler: Handler, request_id: str
    ) -> tuple[web.StreamResponse, int | None]:
        for hook in list(self.fake.before_request):
            result = hook(request)
            if inspect.isawaitable(result):
                await result
        delay = self.fake.latency + self.fake.faults.take_latency(request.method, request.path)
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
        if not hmac.compare_digest(key.encode(), self.fake.api_key.encode()):
            return error_response(401, "unauthorized", "Missing or invalid API key")
        if self.fake.limiter is None:
            return None
        wait = self.fake.limiter.try_acquire()
        if wait is None:
            return None
        self.fake.rejected_count += 1
        headers = self.fake.limiter.headers(wait) if self.fake.rate_limit_headers else {}
        return error_response(429, "rate_limited", "Too many requests", headers=headers)

    async def _respond(
        self, request: web.Request, handler: Handler, request_id: str
    ) -> tuple[web.StreamResponse, int | None]:
        fault = self.fake.faults.take(request.method, request.path)
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
        if self.fake.limiter is not None and self.fake.rate_limit_headers:
            headers |= self.fake.limiter.headers(None)
        return headers
