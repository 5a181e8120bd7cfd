"""Webhooks in wire format, and the hand-written ``from_dict`` the client is held to."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from whautochat_async import Webhook, WebhookEvent

_EVENT_PAIRS = (
    ("incoming_whatsapp_message", "outgoing_whatsapp_message"),
    ("incoming_instagram_message", "contact_created"),
    ("incoming_telegram_message", "contact_tag_added"),
)
_KNOWN_KEYS = frozenset({"id", "name", "serverUrl", "active", "events", "createdAt", "updatedAt"})
_EVENTS = {event.value: event for event in WebhookEvent}


def wire_webhook(number: int) -> dict[str, Any]:
    """Webhook ``number`` as the server sends it (id, camelCase keys, ISO timestamps)."""
    second = number % 60
    return {
        "id": f"wh_{number:012x}",
        "name": f"webhook-{number:06d}",
        "serverUrl": f"https://hooks.example.com/whautochat/{number}",
        "active": number % 7 != 0,
        "events": list(_EVENT_PAIRS[number % len(_EVENT_PAIRS)]),
        "createdAt": f"2024-05-01T12:00:{second:02d}.000Z",
        "updatedAt": f"2024-05-02T08:30:{second:02d}.123Z",
    }


def wire_webhooks(count: int) -> list[dict[str, Any]]:
    """Webhooks 1 to ``count`` in wire format."""
    return [wire_webhook(number) for number in range(1, count + 1)]


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def webhook_from_dict(data: dict[str, Any]) -> Webhook:
    """What a careful hand-written client does: same objects, no type checks.

    It maps the names, parses both timestamps, maps known event names to WebhookEvent
    and keeps unknown fields in ``extra``, like the client; it validates nothing.
    """
    extra = {key: value for key, value in data.items() if key not in _KNOWN_KEYS}
    return Webhook(
        id=data["id"],
        name=data["name"],
        server_url=data["serverUrl"],
        active=data["active"],
        events=[_EVENTS.get(name, name) for name in data["events"]],
        created_at=_timestamp(data.get("createdAt")),
        updated_at=_timestamp(data.get("updatedAt")),
        extra=extra,
    )
