"""A Starlette (or FastAPI) app whose lifespan holds one WhautoChat client.

The lifespan opens the client at startup and closes it at shutdown; handlers find it in
``request.state.whautochat``. FastAPI takes the very same function:
``FastAPI(lifespan=lifespan)``.

Needs Starlette and an ASGI server (``pip install starlette uvicorn``). Without an account::

    whautochat fake-server --port 8080 &
    WHAUTOCHAT_BASE_URL=http://127.0.0.1:8080 WHAUTOCHAT_API_KEY=test-key \\
        uvicorn --app-dir examples starlette_app:app
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from whautochat_async import APIConnectionError, InternalServerError, WhautoChat, WhautoChatError

Lifespan = Callable[[Starlette], contextlib.AbstractAsyncContextManager[dict[str, Any]]]


def make_lifespan(**client_options: Any) -> Lifespan:
    """A lifespan opening ``WhautoChat(**client_options)`` (default: key and URL from env)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with WhautoChat(**client_options) as client:
            yield {"whautochat": client}  # copied into every request's state

    return lifespan


async def list_webhooks(request: Request) -> JSONResponse:
    client: WhautoChat = request.state.whautochat
    names = [hook.name async for hook in client.webhooks.list()]
    return JSONResponse({"count": len(names), "names": names})


async def deactivate(request: Request) -> JSONResponse:
    """Switch a webhook off, found by name (the API has no "get one")."""
    client: WhautoChat = request.state.whautochat
    name = request.path_params["name"]
    async with client.webhooks.list() as webhooks:
        async for hook in webhooks:
            if hook.name == name:
                updated = await client.webhooks.update(hook, active=False)
                return JSONResponse({"id": updated.id, "active": updated.active})
    return JSONResponse({"error": f"no webhook named {name!r}"}, status_code=404)


async def api_down(request: Request, exc: Exception) -> JSONResponse:
    """The API is unreachable or failing (after the client's retries): 503, briefly."""
    return JSONResponse({"error": "the WhautoChat API is unavailable; try again later"}, 503)


async def api_failed(request: Request, exc: Exception) -> JSONResponse:
    """Any other API failure is ours, not the caller's: 502."""
    return JSONResponse({"error": str(exc)}, 502)


def create_app(**client_options: Any) -> Starlette:
    routes = [
        Route("/webhooks", list_webhooks),
        Route("/webhooks/{name}/deactivate", deactivate, methods=["POST"]),
    ]
    # Starlette picks the handler of the most specific class in the error's MRO.
    handlers = {
        APIConnectionError: api_down,
        InternalServerError: api_down,
        WhautoChatError: api_failed,
    }
    return Starlette(
        routes=routes, lifespan=make_lifespan(**client_options), exception_handlers=handlers
    )


app = create_app()  # no client yet: the lifespan opens it when the server starts
