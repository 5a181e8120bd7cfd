"""What every command shares: its signature, the client it opens, confirmation, lookups."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, TextIO

from .._config import REDIS_URL_ENV
from ..client import WhautoChat
from ..models import Webhook
from ..pagination import AsyncPaginator
from ..ratelimit import RateLimit
from ._errors import CommandError, UsageError
from ._output import Console

if TYPE_CHECKING:
    from ..redis_limiter import RedisRateLimiter

__all__ = [
    "CommandError",
    "Handler",
    "UsageError",
    "confirm",
    "find_webhook",
    "help_handler",
    "open_client",
]

#: A command: parsed arguments and a console in, exit code out.
Handler = Callable[[argparse.Namespace, Console], Awaitable[int]]


def help_handler(parser: argparse.ArgumentParser) -> Handler:
    """A handler printing ``parser``'s help: a command group given without its command."""

    async def show_help(args: argparse.Namespace, console: Console) -> int:
        parser.print_help(console.out)
        return 0

    return show_help


@asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[WhautoChat]:
    """A client with the key from ``WHAUTOCHAT_API_KEY`` and the base URL from
    ``--base-url`` or ``WHAUTOCHAT_BASE_URL``; with ``WHAUTOCHAT_REDIS_URL`` set, it
    shares the fleet's rate-limit budget through Redis (closed on exit)."""
    base_url = getattr(args, "base_url", None)
    insecure = getattr(args, "allow_insecure_http", False)
    limiter = _shared_limiter(base_url)
    try:
        async with WhautoChat(
            base_url=base_url, rate_limit=limiter or RateLimit(), allow_insecure_http=insecure
        ) as client:
            yield client
    finally:
        if limiter is not None:
            await limiter.aclose()


def _shared_limiter(base_url: str | None) -> RedisRateLimiter | None:
    """The Redis limiter named by ``WHAUTOCHAT_REDIS_URL``, or None (the extra is optional)."""
    if not os.environ.get(REDIS_URL_ENV, "").strip():
        return None
    try:
        from ..redis_limiter import limiter_from_env
    except ImportError as exc:
        raise UsageError(f"{REDIS_URL_ENV} is set, but {exc}") from None
    return limiter_from_env(base_url=base_url)


async def confirm(console: Console, question: str, *, yes: bool, refusal: str) -> None:
    """Go on if ``yes`` (``--yes``) or the person at the terminal answers yes.

    Raises:
        UsageError: no terminal to ask on and no ``--yes``; says ``refusal`` and how.
        CommandError: the answer was not yes.
    """
    if yes:
        return
    if not console.can_prompt():
        raise UsageError(f"{refusal} without confirmation: pass --yes (no terminal to ask on)")
    console.err.write(f"{question} [y/N] ")
    console.err.flush()
    answer = await read_line(console.inp)
    if answer.strip().lower() not in ("y", "yes"):
        raise CommandError("not confirmed: nothing was changed")


async def read_line(stream: TextIO) -> str:
    """A line from ``stream``, awaited without blocking the loop (so Ctrl-C still works)."""
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()
    try:
        fd = stream.fileno()
        loop.add_reader(fd, ready.set)
    except (OSError, ValueError, NotImplementedError):  # not a real file, or no add_reader
        return stream.readline()
    try:
        await ready.wait()  # a terminal hands over whole lines: readline() will not block
    finally:
        loop.remove_reader(fd)
    return stream.readline()


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
