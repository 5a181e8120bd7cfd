"""An aiohttp web app that holds one WhautoChat client for its whole lifetime.

The client is opened by a ``cleanup_ctx`` when the app starts and closed when it stops:
one connection pool and one rate limiter for every request the app serves.

Try it without an account::

    whautochat fake-server --port 8080 &        # prints the URL and the key
    WHAUTOCHAT_BASE_URL=http://127.0.0.1:8080 WHAUTOCHAT_API_KEY=test-key \\
        python examples/aiohttp_app.py           # then: curl localhost:8000/webhooks
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from whautochat_async import (
    APIConnectionError,
    APIStatusError,
    InternalServerError,
    InvalidInputError,
    NotFoundError,
    Webhook,
    WhautoChat,
    WhautoChatError,
)

CLIENT = web.AppKey("whautochat", WhautoChat)


def make_app(**client_options: Any) -> web.Application:
    """The app; ``client_options`` go to ``WhautoChat`` (default: key and URL from env)."""
    app = web.Application(middlewares=[api_errors])
    app.cleanup_ctx.append(client_context(**client_options))
    app.add_routes(
        [
            web.get("/webhooks", list_webhooks),
            web.post("/webhooks", create_webhook),
            web.delete("/webhooks/{id}", delete_webhook),
        ]
    )
    return app


def client_context(**options: Any) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context: open the client on startup, close it on cleanup."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with WhautoChat(**options) as client:
            app[CLIENT] = client
            yield

    return context


#: What the app answers while the WhautoChat API is unreachable or failing.
API_DOWN = "the WhautoChat API is unavailable; try again later"


@web.middleware
async def api_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Bad input: 400; an unknown id: 404; the API down: 503; any other API failure: 502."""
    try:
        response: web.StreamResponse = await handler(request)
    except InvalidInputError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    except NotFoundError:
        return web.json_response({"error": "no such webhook"}, status=404)
    except (APIConnectionError, InternalServerError):  # after the client's own retries
        return web.json_response({"error": API_DOWN}, status=503)
    except APIStatusError as exc:
        return web.json_response({"error": str(exc), "status": exc.status}, status=502)
    except WhautoChatError as exc:
        return web.json_response({"error": str(exc)}, status=502)
    return response


def summary(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "name": hook.name, "active": hook.active, "url": hook.server_url}


async def list_webhooks(request: web.Request) -> web.Response:
    """Every webhook, walked page by page."""
    client = request.app[CLIENT]
    return web.json_response([summary(hook) async for hook in client.webhooks.list()])


async def create_webhook(request: web.Request) -> web.Response:
    """Create from ``{"name", "server_url", "events"}``."""
    try:
        body = await request.json()
    except ValueError:  # not JSON at all (json.JSONDecodeError, or bad UTF-8)
        raise InvalidInputError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidInputError("the body must be a JSON object")
    # Missing or wrong fields are caught by create() itself: InvalidInputError -> 400.
    fields: dict[str, Any] = {key: body.get(key) for key in ("name", "server_url", "events")}
    hook = await request.app[CLIENT].webhooks.create(**fields)
    return web.json_response(summary(hook), status=201)


async def delete_webhook(request: web.Request) -> web.Response:
    await request.app[CLIENT].webhooks.delete(request.match_info["id"])
    return web.Response(status=204)


if __name__ == "__main__":
    web.run_app(make_app(), host="127.0.0.1", port=8000)
