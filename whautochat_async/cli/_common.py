"""What every command shares: its signature, the client it opens, its two own errors."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable

from ..client import WhautoChat
from ..models import Webhook
from ..pagination import AsyncPaginator
from ._output import Console

__all__ = ["CommandError", "Handler", "UsageError", "find_webhook", "open_client"]

#: A command: parsed arguments and a console in, exit code out.
Handler = Callable[[argparse.Namespace, Console], Awaitable[int]]


class UsageError(Exception):
    """The command was given something it cannot work with (exit code 2)."""


class CommandError(Exception):
    """The command could not be carried out, though the API answered (exit code 1)."""


def open_client(args: argparse.Namespace) -> WhautoChat:
    """A client with the key from ``WHAUTOCHAT_API_KEY`` and the base URL from
    ``--base-url`` or ``WHAUTOCHAT_BASE_URL``."""
    return WhautoChat(base_url=getattr(args, "base_url", None))


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
