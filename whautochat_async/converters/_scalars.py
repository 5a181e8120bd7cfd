"""Strict hooks for scalars, event names and timestamps, with fast paths for valid input.

cattrs' own scalar hooks coerce (``"false"`` would be a bool): these refuse instead. The
fast paths were profiled: a valid listing takes them, only a failure takes the slow path
that names the bad element.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import cattrs

from ..models import EVENTS_BY_VALUE, Event, WebhookEvent

__all__ = ["format_timestamp", "json_type", "parse_timestamp", "register_scalars", "require_list"]

T = TypeVar("T")

_EVENTS_BY_VALUE: dict[str, Event] = dict(EVENTS_BY_VALUE)  # a plain dict: a hot lookup
_KNOWN_EVENT_NAMES = frozenset(_EVENTS_BY_VALUE)
_EVENT_NAMED = _EVENTS_BY_VALUE.__getitem__
_ONLY_STR = frozenset({str})


def register_scalars(converter: cattrs.Converter) -> None:
    """Register the strict scalar, event and timestamp hooks the model hooks rely on."""
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(bool, _strict(bool, "a boolean"))
    converter.register_structure_hook(Event, _structure_event)
    converter.register_unstructure_hook(WebhookEvent, lambda event: event.value)
    converter.register_unstructure_hook(datetime, format_timestamp)
    events_type = tuple[Event, ...]
    events_hook = _events_hook(require_list(converter.get_structure_hook(events_type)))
    converter.register_structure_hook_func(lambda t: t == events_type, events_hook)
    # A StrEnum member's str() is its wire name; cattrs would dispatch on the union per item.
    converter.register_unstructure_hook_func(lambda t: t == events_type, _event_names)


def _strict(kind: type[T], label: str) -> Callable[[Any, Any], T]:
    def structure(value: Any, _: Any) -> T:
        if type(value) is not kind:
            raise TypeError(f"expected {label}, got {json_type(value)}")
        return value  # type: ignore[no-any-return,unused-ignore]

    return structure


def require_list(inner: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
    def structure(value: Any, kind: Any) -> T:
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {json_type(value)}")
        return inner(value, kind)

    return structure


def _events_hook(
    detailed: Callable[[Any, Any], tuple[Event, ...]],
) -> Callable[[Any, Any], tuple[Event, ...]]:
    # A fast path for a valid list of names; anything else goes through cattrs' hook, which
    # raises with the path of the bad element (``$.events[1]``). Profiled: the generic
    # tuple hook was a fifth of the time spent structuring a listing. The first test takes
    # any element equal to a known name (from JSON: a str); it is mapped to the member.
    def structure(value: Any, kind: Any) -> tuple[Event, ...]:
        if isinstance(value, list):
            try:
                if _KNOWN_EVENT_NAMES.issuperset(value):  # the usual case: all known
                    return tuple(map(_EVENT_NAMED, value))
            except TypeError:  # an unhashable element: the detailed hook names it
                return detailed(value, kind)
            if _ONLY_STR.issuperset(map(type, value)):
                names: list[str] = value
                return tuple([_EVENTS_BY_VALUE.get(name, name) for name in names])
        return detailed(value, kind)

    return structure


def _event_names(events: tuple[Event, ...]) -> list[Any]:
    # An enum member goes out as its value; anything else as it is, so that a bad value
    # built in Python reaches the server (and its 422) unchanged, never renamed by str().
    return [event.value if isinstance(event, enum.Enum) else event for event in events]


def _structure_event(value: Any, _: Any) -> Event:
    if isinstance(value, WebhookEvent):
        return value
    if type(value) is not str:
        raise TypeError(f"expected a string, got {json_type(value)}")
    # An event name this release does not know stays a plain string (forward compatible).
    return _EVENTS_BY_VALUE.get(value, value)


def parse_timestamp(value: Any, _: Any = None) -> datetime | None:
    """An ISO 8601 string as an aware datetime (naive is taken as UTC); else ``None``.

    It is also the structure hook of both timestamps: a timestamp it cannot parse is
    ``None`` there, and the Webhook hook keeps the raw value in ``extra``.
    """
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is UTC:  # the API's usual "...Z": nothing to check (profiled)
            return parsed
        aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        # One that cannot be told in UTC (year 1 at +01:00) could not be written back.
        aware.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return aware


def format_timestamp(value: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with milliseconds, e.g. ``...00.000Z``."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
