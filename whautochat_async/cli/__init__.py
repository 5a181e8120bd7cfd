"""The ``whautochat`` command line (also ``python -m whautochat_async``).

Written with argparse: the commands are few and flat, and the CLI then needs nothing
beyond the library's own dependencies, so ``whautochat demo`` works on a plain install.
Errors are one line on stderr (then a ``hint:``); exit codes are in the user docs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Iterator, Sequence
from typing import TextIO

from .._config import REDIS_URL_ENV
from .._version import __version__
from . import completion, demo, fake_server, webhooks
from ._common import Handler, help_handler
from ._errors import describe, is_expected
from ._options import base_options
from ._output import Console

__all__ = ["build_parser", "main", "run"]

PROG = "whautochat"
#: What a shell reports for a program stopped by SIGPIPE (``git log | head`` and friends).
CLOSED_PIPE_EXIT = 128 + getattr(signal, "SIGPIPE", 13)


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command."""
    base = base_options()
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[base],
        description="Manage WhautoChat webhooks. The API key is read from WHAUTOCHAT_API_KEY.",
        epilog="Exit codes: 0 ok, 1 API error, 2 usage error, 130 interrupted, 141 stdout "
        "closed. Try it without an account: whautochat demo",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.set_defaults(handler=help_handler(parser))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    webhooks.register(commands, base)
    fake_server.register(commands, base)
    demo.register(commands, base)
    completion.register(commands, base, root=parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (the console script's entry point)."""
    console = Console(sys.stdout, sys.stderr, sys.stdin)
    try:
        return asyncio.run(run(argv, console=console))
    except KeyboardInterrupt:
        console.note(f"{PROG}: interrupted")
        console.report_unsettled()
        return 130


async def run(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Parse ``argv`` and run the command in the running event loop; the exit code."""
    console = console or Console(sys.stdout, sys.stderr, sys.stdin)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage error or the help
        return exit_.code if isinstance(exit_.code, int) else 2
    debug = getattr(args, "debug", False)
    console.json = getattr(args, "json", False)
    handler: Handler = args.handler
    try:
        with _log(console.err, debug=debug):
            return await handler(args, console)
    except BrokenPipeError:
        return closed_pipe(console.out)
    except Exception as exc:
        return _fail(console, exc, debug, args)


def closed_pipe(out: TextIO) -> int:
    """Stdout's reader has gone (``| head``): stop quietly, as SIGPIPE would stop a C tool."""
    # As the Python docs advise: point stdout at devnull, so the flush at exit cannot fail.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        fd = out.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    return CLOSED_PIPE_EXIT


@contextlib.contextmanager
def _log(stream: TextIO, *, debug: bool) -> Iterator[None]:
    """The client's log on ``stream`` while the command runs: warnings, all with --debug."""
    logger = logging.getLogger("whautochat_async")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("debug: %(message)s") if debug else _Warning())
    handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    level = logger.level
    logger.addHandler(handler)
    if debug:
        logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class _Warning(logging.Formatter):
    """A warning of the client as a CLI line (a Redis outage in the CLI's own names)."""

    def format(self, record: logging.LogRecord) -> str:
        cause = getattr(record, "redis_outage", None)
        text = record.getMessage()
        if cause is not None:  # the library's line names an internal Redis key
            text = (
                f"Redis at {REDIS_URL_ENV} is unavailable ({cause}); "
                "going on with this process's own rate limit until it answers"
            )
        return f"{PROG}: warning: {text}"


def _fail(console: Console, exc: Exception, debug: bool, args: argparse.Namespace) -> int:
    if debug:
        traceback.print_exception(exc, file=console.err)
    if is_expected(exc):
        message, hint, code = describe(exc, args)
    else:  # a bug: still one line, the traceback with --debug
        message = f"internal error ({type(exc).__name__}): {describe(exc).message}"
        hint, code = None if debug else "run again with --debug for the traceback", 1
    console.note(f"{PROG}: error: {message}")
    if hint:
        console.note(f"hint: {hint}")
    return code
