"""An exception as the command line words it: its message in the CLI's names, a hint, a code."""

from __future__ import annotations

import argparse
import errno
import shlex
from collections.abc import Sequence
from typing import NamedTuple

from .._config import API_KEY_ENV, BASE_URL_ENV, REDIS_ON_ERROR_ENV, REDIS_URL_ENV
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitError,
    RateLimiterUnavailableError,
    SyncError,
    UnknownOutcomeError,
    WhautoChatError,
)
from ._options import suggest_event

__all__ = ["CommandError", "Failure", "UsageError", "describe"]

#: The CLI's command that shows what is on the server, named by every "check" hint.
_LIST_WORDS = ("webhooks", "list", "--all")

# The library speaks Python (keyword arguments); the command line has options for them.
_CLI_NAMES = (
    ("pass api_key=... or set", "set"),
    ("pass allow_insecure_http=True", "pass --allow-insecure-http"),
    ("base_url", "--base-url"),
)


class UsageError(Exception):
    """The command was given something it cannot work with (exit code 2)."""


class CommandError(Exception):
    """The command could not be carried out, though the API answered (exit code 1)."""


class Failure(NamedTuple):
    """What to print for an error, and the exit code."""

    message: str
    hint: str | None
    code: int


#: Errors in what the user gave (arguments, environment, spec file): exit code 2.
USAGE_ERRORS = (UsageError, ConfigurationError, InvalidInputError, SyncError)


def check_command(args: argparse.Namespace | None, words: Sequence[str] = _LIST_WORDS) -> str:
    """The command line of ``words`` against the server ``args`` named (--base-url and all)."""
    line = ["whautochat", *words]
    base_url = getattr(args, "base_url", None)
    if base_url:
        line += ["--base-url", base_url]
    if getattr(args, "allow_insecure_http", False):
        line.append("--allow-insecure-http")
    return shlex.join(line)


def describe(exc: BaseException, args: argparse.Namespace | None = None) -> Failure:
    """The message (one line, in the CLI's names), a hint where one helps, and the exit code."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    if isinstance(exc, OSError) and exc.filename:
        text = f"{exc.filename}: {text}"
    if isinstance(exc, ConfigurationError):
        # The Python caller's remedy ("proxy=None ...") is no option here; the hint says ours.
        text = exc.problem
        for python, cli in _CLI_NAMES:
            text = text.replace(python, cli)
    message = " ".join(text.split()) or type(exc).__name__
    code = 2 if isinstance(exc, USAGE_ERRORS) else 1
    return Failure(message, _hint(exc, args), code)


def _variable_hint(variable: str) -> str:
    """What to do about a bad value read from the environment variable ``variable``."""
    if variable == API_KEY_ENV:
        return f"fix {variable}: it must hold the key alone, in printable ASCII"
    if variable == BASE_URL_ENV:
        return f"fix or unset {variable}, or give --base-url"
    if variable == REDIS_URL_ENV:
        return f"fix or unset {variable} (e.g. redis://:password@host:6379/0)"
    return f"fix or unset {variable}"


def _unknown_event(exc: BaseException) -> str | None:
    """The bad event name an InvalidInputError carries, here or in what it was raised from."""
    # A spec file's error wraps the library's (``raise ... from``), naming where it was.
    cause: BaseException | None = exc
    while isinstance(cause, InvalidInputError):
        if cause.unknown_event is not None:
            return cause.unknown_event
        cause = cause.__cause__
    return None


def _hint(exc: BaseException, args: argparse.Namespace | None) -> str | None:
    if isinstance(exc, ConfigurationError) and exc.variable:
        return _variable_hint(exc.variable)
    unknown_event = _unknown_event(exc)
    if unknown_event is not None:
        suggestion = suggest_event(unknown_event)
        return f"did you mean {suggestion!r}?" if suggestion else None
    if isinstance(exc, AuthenticationError):
        return f"check the API key in {API_KEY_ENV}"
    if isinstance(exc, PermissionDeniedError):
        return f"the key in {API_KEY_ENV} may not be allowed to do this"
    if isinstance(exc, RateLimiterUnavailableError):
        return (
            f"check that Redis answers at {REDIS_URL_ENV}, or set {REDIS_ON_ERROR_ENV}=fail_open "
            "to go on with this process's own rate limit while it does not"
        )
    if isinstance(exc, RateLimitError):
        wait = "a minute" if exc.retry_after is None else f"{exc.retry_after:.0f} s"
        return f"the API's rate limit is spent: wait {wait} and try again"
    if isinstance(exc, UnknownOutcomeError):
        return f"the write may have happened: check with `{check_command(args)}` before retrying"
    if isinstance(exc, APITimeoutError):
        return "the API did not answer in time; try again, or check --base-url"
    if isinstance(exc, APIConnectionError) and not exc.request_sent:
        return (
            f"nothing answers at that address: check --base-url (or {BASE_URL_ENV}), "
            "or start a local fake API with `whautochat fake-server`"
        )
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        return "another program uses that port: pick another with --port, or --port 0 for any"
    return None


def is_expected(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure the CLI words itself (not a bug)."""
    return isinstance(exc, WhautoChatError | UsageError | CommandError | OSError)
