"""Checks on caller input, run before any request is sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yarl import URL

from .errors import InvalidInputError
from .models import EVENTS_BY_VALUE, Event, Webhook, WebhookEvent

_VALID_EVENTS = ", ".join(event.value for event in WebhookEvent)


def check_name(name: Any) -> str:
    """A non-blank string."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"name must be a non-empty string, got {name!r}")
    return name


def check_server_url(server_url: Any) -> str:
    """An absolute http(s) URL with a host."""
    if not isinstance(server_url, str):
        raise InvalidInputError(f"server_url must be a string, got {server_url!r}")
    try:
        url = URL(server_url)
    except ValueError as exc:
        raise InvalidInputError(f"server_url is not a URL: {server_url!r}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError(
            f"server_url must be an http:// or https:// URL with a host, got {server_url!r}"
        )
    return server_url


def check_active(active: Any) -> bool:
    """A real bool (not a truthy string)."""
    if not isinstance(active, bool):
        raise InvalidInputError(f"active must be True or False, got {active!r}")
    return active


def check_events(
    events: Any, *, allowed_unknown: Iterable[str] = (), allow_unknown_events: bool = False
) -> tuple[Event, ...]:
    """A non-empty list of known event names; names in ``allowed_unknown`` pass as-is.

    With ``allow_unknown_events`` every string passes (unknown names stay plain strings).
    """
    if isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidInputError(
            f"events must be a list of event names, got {events!r}; valid names: {_VALID_EVENTS}"
        )
    allowed = frozenset(allowed_unknown)  # once: it may be a one-shot iterator
    checked = tuple(_check_event(event, allowed, allow_unknown_events) for event in events)
    if not checked:
        raise InvalidInputError(f"events must not be empty; valid names: {_VALID_EVENTS}")
    return checked


def _check_event(event: Any, allowed_unknown: frozenset[str], allow_any: bool) -> Event:
    if isinstance(event, WebhookEvent):
        return event
    if isinstance(event, str) and event in EVENTS_BY_VALUE:
        return EVENTS_BY_VALUE[event]
    if isinstance(event, str) and (allow_any or event in allowed_unknown):
        return event
    raise InvalidInputError(f"unknown event name {event!r}; valid names: {_VALID_EVENTS}")


def check_webhook_id(webhook_id: Any) -> str:
    """A non-empty string id."""
    if not isinstance(webhook_id, str) or not webhook_id:
        raise InvalidInputError(f"webhook id must be a non-empty string, got {webhook_id!r}")
    return webhook_id


def id_of(webhook_or_id: Webhook | str) -> str:
    """The id of a Webhook, or the string itself, checked."""
    if isinstance(webhook_or_id, Webhook):
        return check_webhook_id(webhook_or_id.id)
    return check_webhook_id(webhook_or_id)


def check_positive_int(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """An int >= 1 (bools are rejected); ``None`` passes when allowed."""
    if value is None and allow_none:
        return None
    if type(value) is not int or value < 1:
        raise InvalidInputError(f"{name} must be an integer >= 1, got {value!r}")
    return value
