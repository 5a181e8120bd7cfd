"""The four endpoints of the Webhooks API, as aiohttp.web handlers."""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from aiohttp import web
from aiohttp.typedefs import Handler

from ._responses import error_code_for, error_response
from ._store import WebhookStore
from ._validation import validate_webhook_body

__all__ = ["STATE_KEY", "FakeState", "build_routes", "call_endpoint"]

_DIGITS = re.compile(r"[0-9]+")
# Distinct from a missing webhook's "not_found", so a misrouted id is easy to spot.
_ROUTE_ERROR_CODES = {404: "route_not_found"}


class FakeState(Protocol):
    """What the handlers read from the fake server (its settings may change live)."""

    store: WebhookStore
    max_page_size: int
    default_page_size: int
    ignore_page: bool
    extra_events: frozenset[str]


STATE_KEY = web.AppKey("whautochat_fake_state", FakeState)


def build_routes() -> list[web.RouteDef]:
    """The routes; ``{webhookId}`` is one raw segment, so ``%2F`` stays inside it."""
    return [
        web.get("/v1/webhooks", list_webhooks, allow_head=False),
        web.post("/v1/webhooks", create_webhook),
        web.put("/v1/webhooks/{webhookId}", replace_webhook),
        web.delete("/v1/webhooks/{webhookId}", delete_webhook),
    ]


async def list_webhooks(request: web.Request) -> web.Response:
    """GET /v1/webhooks: one page, a bare JSON array; ``limit`` silently capped."""
    state = request.app[STATE_KEY]
    page = _positive_int(request.query.get("page"), default=1)
    limit = _positive_int(request.query.get("limit"), default=state.default_page_size)
    if page is None or limit is None:
        message = "page and limit must be integers >= 1"
        return error_response(400, "invalid_query", message)
    if state.ignore_page:
        page = 1
    return web.json_response(state.store.page(page, min(limit, state.max_page_size)))


async def create_webhook(request: web.Request) -> web.Response:
    """POST /v1/webhooks: validate and store; the server stamps id and timestamps."""
    body = await _valid_body(request, require_active=False)
    if isinstance(body, web.Response):
        return body
    return web.json_response(request.app[STATE_KEY].store.create(body))


async def replace_webhook(request: web.Request) -> web.Response:
    """PUT /v1/webhooks/{id}: replace the whole webhook (omitted fields are gone)."""
    store = request.app[STATE_KEY].store
    webhook_id = request.match_info["webhookId"]
    if webhook_id not in store.by_id:
        return _not_found(request)
    body = await _valid_body(request, require_active=True)
    if isinstance(body, web.Response):
        return body
    replaced = store.replace(webhook_id, body)
    return _not_found(request) if replaced is None else web.json_response(replaced)


async def delete_webhook(request: web.Request) -> web.Response:
    """DELETE /v1/webhooks/{id}: ``{"success": true}``."""
    if not request.app[STATE_KEY].store.delete(request.match_info["webhookId"]):
        return _not_found(request)
    return web.json_response({"success": True})


def _positive_int(raw: str | None, *, default: int) -> int | None:
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or int(raw) < 1:
        return None
    return int(raw)


async def _valid_body(
    request: web.Request, *, require_active: bool
) -> dict[str, Any] | web.Response:
    """The body as a valid webhook object, or the 400/422 answer that refuses it."""
    body = await _json_object(request)
    if isinstance(body, web.Response):
        return body
    extra = request.app[STATE_KEY].extra_events
    problems = validate_webhook_body(body, require_active=require_active, extra_events=extra)
    return _invalid(problems) if problems else body


async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    try:
        body = json.loads(await request.read())
    except ValueError:
        return error_response(400, "invalid_json", "The body is not valid JSON")
    if not isinstance(body, dict):
        return error_response(400, "invalid_body", "The body must be a JSON object")
    return body


def _invalid(problems: list[dict[str, str]]) -> web.Response:
    summary = "; ".join(f"{p['field']} {p['message']}" for p in problems)
    message = f"Invalid webhook: {summary}"
    return error_response(422, "validation_error", message, details=problems)


def _not_found(request: web.Request) -> web.Response:
    webhook_id = request.match_info["webhookId"]
    return error_response(404, "not_found", f"Webhook {webhook_id} not found")


async def call_endpoint(handler: Handler, request: web.Request) -> web.Response:
    """Run the routed handler; aiohttp's own 404/405 become JSON errors."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        code = _ROUTE_ERROR_CODES.get(exc.status) or error_code_for(exc.status)
        return error_response(exc.status, code, exc.reason, headers=headers)
    if not isinstance(response, web.Response):
        raise TypeError("endpoints must return a web.Response")
    return response
