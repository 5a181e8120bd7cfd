"""``whautochat fake-server``: serve the in-memory fake API until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from typing import Any

from ..testing import FakeWhautoChat, serve
from ._output import Console

__all__ = ["register"]

FAKE_API_KEY = "test-key"


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``fake-server``."""
    parser = commands.add_parser(
        "fake-server",
        parents=[common],
        help="serve a fake WhautoChat API to try the CLI or an app without an account",
        description="Serve FakeWhautoChat (in memory, nothing is kept) until Ctrl-C. "
        "It prints its URL and the API key it accepts.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="default 8080; 0 picks a free one")
    parser.add_argument("--seed", type=int, default=None, help="make the ids repeatable")
    parser.add_argument(
        "--webhooks", type=int, default=3, metavar="N", help="webhooks to start with (default 3)"
    )
    parser.set_defaults(handler=fake_server_command)


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
        console.out.flush()

    server = asyncio.create_task(
        serve(
            args.host,
            args.port,
            seed=args.seed,
            seed_count=max(args.webhooks, 0),
            api_key=FAKE_API_KEY,
            on_ready=ready,
        )
    )
    with _stop_on_signals(server):
        try:
            await server  # cancelling us cancels it too, and waits for its cleanup
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # we were cancelled, not stopped by a signal
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
