"""The checks the fake server makes on a POST/PUT body before storing it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from whautochat_async.models import WebhookEvent

__all__ = ["KNOWN_EVENTS", "validate_webhook_body"]

#: The event names the fake accepts in a body (the 13 the API documents).
KNOWN_EVENTS = frozenset(event.value for event in WebhookEvent)


def validate_webhook_body(
    body: Mapping[str, Any], *, require_active: bool, extra_events: frozenset[str] = frozenset()
) -> list[dict[str, str]]:
    """The problems with a webhook body, as ``{"field", "message"}`` dicts (empty: valid).

    ``extra_events`` are names accepted beside the 13 documented ones, to play a server
    newer than the client.
    """
    problems: list[dict[str, str]] = []
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(_problem("name", "must be a non-empty string"))
    if not _is_http_url(body.get("serverUrl")):
        problems.append(_problem("serverUrl", "must be an http(s) URL"))
    problems.extend(_event_problems(body.get("events"), KNOWN_EVENTS | extra_events))
    active_expected = require_active or "active" in body
    if active_expected and not isinstance(body.get("active"), bool):
        problems.append(_problem("active", "must be a boolean"))
    return problems


def _event_problems(events: Any, known: frozenset[str]) -> list[dict[str, str]]:
    if not isinstance(events, list) or not events:
        return [_problem("events", "must be a non-empty list of event names")]
    return [
        _problem(f"events[{index}]", f"unknown event name {event!r}")
        for index, event in enumerate(events)
        if not isinstance(event, str) or event not in known
    ]


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _problem(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}
