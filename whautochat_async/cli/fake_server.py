"""``whautochat fake-server``: serve the in-memory fake API until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import signal
from typing import Any

from ..testing import FakeWhautoChat, serve
from ._options import port_number, positive_int
from ._output import Console

__all__ = ["register"]

FAKE_API_KEY = "test-key"


def register(commands: Any, base: argparse.ArgumentParser) -> None:
    """Add ``fake-server``."""
    parser = commands.add_parser(
        "fake-server",
        parents=[base],
        help="serve a fake WhautoChat API to try the CLI or an app without an account",
        description="Serve FakeWhautoChat (in memory, nothing is kept) until Ctrl-C. "
        "It prints its URL and the API key it accepts. --latency, --max-page-size and "
        "--rate-limit make the slow paths (long listings, rate-limit waits) easy to try.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument(
        "--port", type=port_number, default=8080, help="default 8080; 0 picks a free one"
    )
    parser.add_argument("--seed", type=int, default=None, help="make the ids repeatable")
    parser.add_argument(
        "--webhooks", type=_count, default=3, metavar="N", help="webhooks to start with (default 3)"
    )
    parser.add_argument(
        "--latency", type=_seconds, default=0.0, metavar="S", help="seconds before each answer"
    )
    parser.add_argument(
        "--max-page-size", type=positive_int, default=100, metavar="N", help="(default 100)"
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate,
        metavar="N[/S]",
        help="answer 429 past N requests per S seconds (default S: 1)",
    )
    parser.set_defaults(handler=fake_server_command)


def _count(text: str) -> int:
    return 0 if text == "0" else positive_int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds >= 0, got {text!r}")
    return value


def _rate(text: str) -> tuple[int, float]:
    count, _, window = text.partition("/")
    seconds = _seconds(window) if window else 1.0
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"expected N or N/S with S > 0, got {text!r}")
    return positive_int(count), seconds


def _serve_options(args: argparse.Namespace) -> dict[str, Any]:
    """What ``serve()`` and the fake take from the command line."""
    return {
        "host": args.host,
        "port": args.port,
        "seed": args.seed,
        "seed_count": args.webhooks,
        "api_key": FAKE_API_KEY,
        "latency": args.latency,
        "max_page_size": args.max_page_size,
        "default_page_size": min(args.max_page_size, 100),
        "rate_limit": args.rate_limit,
    }


async def fake_server_command(args: argparse.Namespace, console: Console) -> int:
    """Serve until a signal (or cancellation), then say so."""

    def ready(fake: FakeWhautoChat) -> None:
        console.print(
            f"Fake WhautoChat API on {fake.url} with {len(fake.webhooks)} webhooks "
            f"(API key: {fake.api_key}). Ctrl-C to stop."
        )
        console.print(
            f"Try: WHAUTOCHAT_BASE_URL={fake.url} WHAUTOCHAT_API_KEY={fake.api_key} "
            "whautochat webhooks list"
        )

    server = asyncio.create_task(serve(**_serve_options(args), on_ready=ready))
    with _stop_on_signals(server):
        try:
            await server  # cancelling us cancels it too, and waits for its cleanup
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we were cancelled, not stopped by a signal
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            message = f"port {args.port} on {args.host} is already in use"
            raise OSError(errno.EADDRINUSE, message) from exc
    console.note("fake server stopped")
    return 0


@contextlib.contextmanager
def _stop_on_signals(server: asyncio.Task[None]) -> Any:
    """SIGINT and SIGTERM cancel ``server`` (where the loop supports signal handlers)."""
    loop = asyncio.get_running_loop()
    installed = []
    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(number, server.cancel)
        except (NotImplementedError, RuntimeError):  # Windows, or not the main thread
            continue
        installed.append(number)
    try:
        yield
    finally:
        for number in installed:
            loop.remove_signal_handler(number)
