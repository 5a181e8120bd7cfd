"""Plain frozen attrs models: no I/O and no converter (wire names live in ``converters``)."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypedDict

import attrs

__all__ = [
    "EVENTS_BY_VALUE",
    "DeleteResult",
    "Event",
    "Page",
    "Webhook",
    "WebhookChanges",
    "WebhookEvent",
    "WebhookSpec",
]


class WebhookEvent(enum.StrEnum):
    """One of the 13 event names the API documents.

    The server may add names later: a name the client does not know is kept as a
    plain ``str`` on :attr:`Webhook.events`, never an error.
    """

    INCOMING_WHATSAPP_MESSAGE = "incoming_whatsapp_message"
    OUTGOING_WHATSAPP_MESSAGE = "outgoing_whatsapp_message"
    INCOMING_INSTAGRAM_MESSAGE = "incoming_instagram_message"
    OUTGOING_INSTAGRAM_MESSAGE = "outgoing_instagram_message"
    INCOMING_TELEGRAM_MESSAGE = "incoming_telegram_message"
    OUTGOING_TELEGRAM_MESSAGE = "outgoing_telegram_message"
    INCOMING_MESSENGER_MESSAGE = "incoming_messenger_message"
    OUTGOING_MESSENGER_MESSAGE = "outgoing_messenger_message"
    INCOMING_WEBSITE_MESSAGE = "incoming_website_message"
    OUTGOING_WEBSITE_MESSAGE = "outgoing_website_message"
    CONTACT_CREATED = "contact_created"
    CONTACT_TAG_ADDED = "contact_tag_added"
    CONTACT_TAG_REMOVED = "contact_tag_removed"


#: Every documented event by its wire name.
EVENTS_BY_VALUE: Mapping[str, WebhookEvent] = MappingProxyType(
    {event.value: event for event in WebhookEvent}
)

#: An event as the client holds it: a known :class:`WebhookEvent` or, for a name
#: the server added after this release, the plain string it sent.
Event = WebhookEvent | str


def _to_event_tuple(events: Any) -> tuple[Event, ...]:
    return tuple(events)


def _to_webhook_tuple(items: Any) -> tuple[Webhook, ...]:
    return tuple(items)


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    # A private copy: the caller's dict can change later without changing the model.
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class Webhook:
    """A webhook as the server returned it.

    ``extra`` holds every wire field this release does not map (a field the server
    added later, or a timestamp it could not parse), keyed by its wire name. It is sent
    back unchanged on :meth:`~whautochat_async.resources.webhooks.Webhooks.update`,
    because PUT replaces the whole webhook and dropping it would delete data.
    """

    id: str
    name: str
    server_url: str
    active: bool
    events: tuple[Event, ...] = attrs.field(converter=_to_event_tuple)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping, hash=False)


def _spec_events(events: Any) -> tuple[Event, ...]:
    # Imported here, not at the top: _validation reads the event table defined above.
    from ._validation import check_events

    # Unknown names are kept: whether they may be sent depends on the webhook (see sync).
    return check_events(events, allow_unknown_events=True)


@attrs.frozen(kw_only=True)
class WebhookSpec:
    """The writable fields of a webhook: what ``create`` sends and ``sync`` compares.

    Raises:
        InvalidInputError: a field is invalid (its name is in the message).
    """

    name: str
    server_url: str
    events: tuple[Event, ...] = attrs.field(converter=_spec_events)
    active: bool = True

    def __attrs_post_init__(self) -> None:
        from ._validation import check_active, check_name, check_server_url

        check_name(self.name)
        check_server_url(self.server_url)
        check_active(self.active)


@attrs.frozen(kw_only=True)
class DeleteResult:
    """The server's answer to a delete; ``success`` is always ``True`` when returned."""

    success: bool
    extra: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen_mapping, hash=False)


@attrs.frozen(kw_only=True)
class Page:
    """One page of a listing: the webhooks, the page number and the requested limit."""

    items: tuple[Webhook, ...] = attrs.field(converter=_to_webhook_tuple)
    page: int
    limit: int

    def __iter__(self) -> Iterator[Webhook]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Webhook:
        return self.items[index]


class WebhookChanges(TypedDict, total=False):
    """The fields ``webhooks.update()`` may change: its keyword arguments, type-checked."""

    name: str
    server_url: str
    events: Sequence[Event]
    active: bool
