"""What every command shares: its signature, the client it opens, its two own errors."""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from ..client import WhautoChat
from ..models import Webhook
from ..pagination import AsyncPaginator
from ..ratelimit import RateLimit
from ._output import Console

if TYPE_CHECKING:
    from ..redis_limiter import RedisRateLimiter

__all__ = ["CommandError", "Handler", "UsageError", "find_webhook", "open_client"]

#: A command: parsed arguments and a console in, exit code out.
Handler = Callable[[argparse.Namespace, Console], Awaitable[int]]


class UsageError(Exception):
    """The command was given something it cannot work with (exit code 2)."""


class CommandError(Exception):
    """The command could not be carried out, though the API answered (exit code 1)."""


@asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[WhautoChat]:
    """A client with the key from ``WHAUTOCHAT_API_KEY`` and the base URL from
    ``--base-url`` or ``WHAUTOCHAT_BASE_URL``; with ``WHAUTOCHAT_REDIS_URL`` set, it
    shares the fleet's rate-limit budget through Redis (closed on exit)."""
    base_url = getattr(args, "base_url", None)
    limiter = _shared_limiter(base_url)
    try:
        async with WhautoChat(base_url=base_url, rate_limit=limiter or RateLimit()) as client:
            yield client
    finally:
        if limiter is not None:
            await limiter.aclose()


def _shared_limiter(base_url: str | None) -> RedisRateLimiter | None:
    """The Redis limiter named by ``WHAUTOCHAT_REDIS_URL``, or None (the extra is optional)."""
    if not os.environ.get("WHAUTOCHAT_REDIS_URL", "").strip():
        return None
    try:
        from ..redis_limiter import limiter_from_env
    except ImportError as exc:
        raise UsageError(f"WHAUTOCHAT_REDIS_URL is set, but {exc}") from None
    return limiter_from_env(base_url=base_url)


async def find_webhook(paginator: AsyncPaginator, webhook_id: str) -> Webhook:
    """The webhook with that id, found by listing (the API has no "get one" endpoint).

    The walk stops at the page that holds it.
    """
    seen = 0
    async with paginator:
        async for webhook in paginator:
            if webhook.id == webhook_id:
                return webhook
            seen += 1
    raise CommandError(f"no webhook with id {webhook_id!r} among the {seen} listed")
