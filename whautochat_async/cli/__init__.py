"""The ``whautochat`` command line (also ``python -m whautochat_async``).

The key comes from ``WHAUTOCHAT_API_KEY`` and the base URL from ``--base-url`` or
``WHAUTOCHAT_BASE_URL``, as for the client. Output is for people by default, JSON with
``--json``. Exit codes: 0 ok, 1 the API (or one sync item) failed, 2 usage error (bad
arguments, configuration or spec file). Errors are one line on stderr; ``--debug`` adds
the traceback and the client's debug log.

Written with argparse: the commands are few and flat, and the CLI then needs nothing
beyond the library's own dependencies, so ``whautochat demo`` works on a plain install.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import TextIO

from .._version import __version__
from ..errors import ConfigurationError, InvalidInputError, SyncError, WhautoChatError
from . import demo, fake_server, webhooks
from ._common import CommandError, Handler, UsageError
from ._output import Console

__all__ = ["build_parser", "main", "run"]

PROG = "whautochat"
#: Errors in what the user gave (arguments, environment, spec file): exit code 2.
USAGE_ERRORS = (UsageError, ConfigurationError, InvalidInputError, SyncError)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    # Options every command takes, before or after the command name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="output JSON for scripts"
    )
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="tracebacks and debug log"
    )
    common.add_argument(
        "--base-url",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="API base URL (env WHAUTOCHAT_BASE_URL)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[common],
        description="Manage WhautoChat webhooks. The API key is read from WHAUTOCHAT_API_KEY.",
        epilog="Exit codes: 0 ok, 1 API error, 2 usage error. "
        "Try it without an account: whautochat demo",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    webhooks.register(commands, common)
    fake_server.register(commands, common)
    demo.register(commands, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (the console script's entry point)."""
    try:
        return asyncio.run(run(argv))
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


async def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command in the running event loop; the exit code."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage error or the help
        return exit_.code if isinstance(exit_.code, int) else 2
    debug = getattr(args, "debug", False)
    console = Console(sys.stdout, sys.stderr, json_output=getattr(args, "json", False))
    handler: Handler = args.handler
    try:
        with _debug_log(console.err) if debug else contextlib.nullcontext():
            return await handler(args, console)
    except USAGE_ERRORS as exc:
        return _fail(console, exc, 2, debug)
    except (WhautoChatError, CommandError, OSError) as exc:
        return _fail(console, exc, 1, debug)
    except Exception as exc:  # a bug: still one line, the traceback with --debug
        return _fail(console, exc, 1, debug, prefix=f"internal error ({type(exc).__name__}): ")


@contextlib.contextmanager
def _debug_log(stream: TextIO) -> Iterator[None]:
    """The client's debug log on ``stream`` while the command runs."""
    logger = logging.getLogger("whautochat_async")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _fail(console: Console, exc: Exception, code: int, debug: bool, *, prefix: str = "") -> int:
    if debug:
        traceback.print_exception(exc, file=console.err)
    message = " ".join(str(exc).split()) or type(exc).__name__
    hint = "" if debug else " (--debug for details)" if prefix else ""
    console.note(f"{PROG}: error: {prefix}{message}{hint}")
    return code
