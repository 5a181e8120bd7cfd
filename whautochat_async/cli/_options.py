"""Options shared by several commands, and the argparse types that check their values."""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from .._validation import check_int
from ..errors import InvalidInputError
from ..models import WebhookEvent

__all__ = [
    "EVENT_ARGUMENT",
    "EVENT_NAMES",
    "add_api_options",
    "add_json_option",
    "base_options",
    "event_name",
    "port_number",
    "positive_int",
    "suggest_event",
    "unique",
]

EVENT_NAMES = tuple(event.value for event in WebhookEvent)


def base_options() -> argparse.ArgumentParser:
    """The options of every command (a parent parser): ``--debug``."""
    parent = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: given before the command name, a command's own default must not reset it.
    parent.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="tracebacks and debug log"
    )
    return parent


def add_api_options(parser: argparse.ArgumentParser) -> None:
    """``--base-url`` and ``--allow-insecure-http``, for the commands that call the API."""
    parser.add_argument(
        "--base-url", metavar="URL", help="API base URL (default: env WHAUTOCHAT_BASE_URL)"
    )
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// base URL to a host other than this machine",
    )


def add_json_option(parser: argparse.ArgumentParser, help: str = "output JSON for scripts") -> None:
    """``--json``."""
    parser.add_argument("--json", action="store_true", help=help)


def positive_int(text: str) -> int:
    """An integer >= 1."""
    try:
        return check_int("the value", int(text), minimum=1)
    except (ValueError, InvalidInputError):
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return value


def event_name(text: str) -> str:
    """A documented event name; a near miss is refused with the closest one."""
    if text in EVENT_NAMES:
        return text
    suggestion = suggest_event(text)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    raise argparse.ArgumentTypeError(
        f"unknown event {text!r}{hint} (valid: {', '.join(EVENT_NAMES)})"
    )


#: ``--event``: the type checks first (with a suggestion), the choices feed help and completion.
EVENT_ARGUMENT: dict[str, Any] = {
    "type": event_name,
    "choices": EVENT_NAMES,
    "metavar": "EVENT",
    "help": "an event name; repeat for several (a name given twice counts once): "
    + ", ".join(EVENT_NAMES),
}


def suggest_event(text: str) -> str | None:
    """The documented event name closest to ``text``, if one is close."""
    matches = difflib.get_close_matches(text.strip().lower(), EVENT_NAMES, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unique(values: list[str] | None) -> list[str] | None:
    """``values`` without repeats, first occurrence first."""
    return None if values is None else list(dict.fromkeys(values))
