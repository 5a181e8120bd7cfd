"""Each endpoint called once against a server URL, for tests that feed them odd answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from whautochat_async import Timeout, Webhook, WhautoChat
from whautochat_async.converters import make_converter

from .conftest import API_KEY

#: A stored webhook, as the server would send it.
HOOK: dict[str, Any] = {
    "id": "wh_1",
    "name": "n",
    "serverUrl": "https://a.io",
    "active": True,
    "events": ["contact_created"],
    "createdAt": "2024-01-01T00:00:00.000Z",
    "updatedAt": "2024-01-01T00:00:00.000Z",
}
ENDPOINTS = ("list", "create", "update", "delete")


def quick_client(url: str) -> WhautoChat:
    """A client that never retries, never sleeps long and has no rate limiter."""
    timeout = Timeout(deadline=2.0, attempt=2.0, connect=1.0)
    return WhautoChat(API_KEY, base_url=url, environ={}, retry=0, timeout=timeout, rate_limit=None)


def endpoint(client: WhautoChat, name: str) -> Callable[[], Awaitable[Any]]:
    """The call of endpoint ``name`` with valid arguments."""
    hooks = client.webhooks
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "list": lambda: hooks.list(),
        "create": lambda: hooks.create(
            name="n", server_url="https://a.io", events=["contact_created"]
        ),
        "update": lambda: hooks.update(make_converter().structure(HOOK, Webhook), name="m"),
        "delete": lambda: hooks.delete("wh_1"),
    }
    return calls[name]
