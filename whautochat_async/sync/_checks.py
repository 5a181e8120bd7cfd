"""Checking the input of a sync before anything is sent: the specs and the matching key.

Each desired spec is checked as ``create()`` checks its arguments and its ``events`` are
de-duplicated; a bad spec raises :class:`InvalidInputError` naming its index and key, and a
key repeated in the desired specs raises :class:`SyncError`. No I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from ._validation import check_active, check_events, check_name, check_server_url
from .errors import InvalidInputError, SyncError
from .models import Webhook, WebhookSpec

__all__ = ["KEY_FIELDS", "SyncKey", "check_spec", "check_specs", "key_function"]

#: The attributes a sync may match on by name.
KEY_FIELDS = ("name", "server_url")

#: How specs and webhooks are matched: an attribute name or a function of either.
SyncKey = str | Callable[[WebhookSpec | Webhook], Hashable]


def key_function(key: SyncKey) -> Callable[[WebhookSpec | Webhook], Hashable]:
    """The matching function for ``key``."""
    if callable(key):
        return key
    if key in KEY_FIELDS:
        field = key

        def by_field(item: WebhookSpec | Webhook) -> Hashable:
            value: Hashable = getattr(item, field)
            return value

        return by_field
    raise InvalidInputError(
        f"key must be one of {', '.join(KEY_FIELDS)} or a function, got {key!r}"
    )


def check_specs(desired: Iterable[WebhookSpec], key: SyncKey = "name") -> list[WebhookSpec]:
    """The specs checked and normalised; raises before anything is sent.

    Raises:
        InvalidInputError: a spec is not a valid WebhookSpec (its index and key named).
        SyncError: two specs share a key.
    """
    key_of = key_function(key)
    if isinstance(desired, WebhookSpec | str | bytes | Mapping):
        raise InvalidInputError("desired must be a list of WebhookSpec")
    specs = [_checked_spec(index, spec, key_of) for index, spec in enumerate(desired)]
    positions: dict[Hashable, list[int]] = {}
    for index, spec in enumerate(specs):
        positions.setdefault(key_of(spec), []).append(index)
    repeated = [
        f"{value!r} at {', '.join(f'[{i}]' for i in where)}"
        for value, where in positions.items()
        if len(where) > 1
    ]
    if repeated:
        raise SyncError(
            f"the desired specs repeat a key ({'; '.join(repeated)}): each webhook must "
            "appear once; nothing was written"
        )
    return specs


def _checked_spec(
    index: int, spec: Any, key_of: Callable[[WebhookSpec | Webhook], Hashable]
) -> WebhookSpec:
    if not isinstance(spec, WebhookSpec):
        raise InvalidInputError(f"desired[{index}] is a {type(spec).__name__}, not a WebhookSpec")
    try:
        return check_spec(spec)
    except InvalidInputError as exc:
        raise InvalidInputError(f"desired[{index}] {_label(spec, key_of)}: {exc}") from exc


def check_spec(spec: WebhookSpec) -> WebhookSpec:
    """The spec checked as ``create()`` checks its arguments, with its events de-duplicated.

    Unknown event names are let through: whether they may stay depends on the webhook
    the spec is matched to (see :func:`plan_sync`).
    """
    own = [event for event in spec.events if isinstance(event, str)]
    events = check_events(spec.events, allowed_unknown=own)
    return WebhookSpec(
        name=check_name(spec.name),
        server_url=check_server_url(spec.server_url),
        events=tuple(dict.fromkeys(events)),
        active=check_active(spec.active),
    )


def _label(spec: WebhookSpec, key_of: Callable[[WebhookSpec | Webhook], Hashable]) -> str:
    try:
        return f"(key {key_of(spec)!r})"
    except Exception:  # a key function failing on a bad spec must not hide the real error
        return "(key unknown)"
