"""The one check of a sync's input, before anything is sent.

A :class:`WebhookSpec` already validated its fields when it was built; what is left to
check is the sync's own business: a list of specs, each key once, no accidental wipe.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import attrs

from ..errors import InvalidInputError, SyncError
from ..models import Webhook, WebhookSpec

__all__ = ["KEY_FIELDS", "KeyFunction", "SyncKey", "check_specs", "key_function"]

#: The attributes a sync may match on by name.
KEY_FIELDS = ("name", "server_url")

#: How specs and webhooks are matched: an attribute name or a function of either.
SyncKey = str | Callable[[WebhookSpec | Webhook], Hashable]
KeyFunction = Callable[[WebhookSpec | Webhook], Hashable]


def key_function(key: SyncKey) -> KeyFunction:
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


def check_specs(
    desired: Iterable[WebhookSpec],
    key: SyncKey = "name",
    *,
    prune: bool = False,
    allow_empty_prune: bool = False,
) -> list[WebhookSpec]:
    """The specs as a list, their events de-duplicated; raises before anything is sent.

    Raises:
        InvalidInputError: ``desired`` is not a list of WebhookSpec (the bad index named),
            or it is empty with ``prune`` and without ``allow_empty_prune``.
        SyncError: two specs share a key.
    """
    key_of = key_function(key)
    if isinstance(desired, WebhookSpec | str | bytes | Mapping):
        raise InvalidInputError("desired must be a list of WebhookSpec")
    specs = [_deduplicated(index, spec) for index, spec in enumerate(desired)]
    if prune and not specs and not allow_empty_prune:
        raise InvalidInputError(
            "prune=True with no desired webhook would delete every webhook; nothing was "
            "sent (pass allow_empty_prune=True if that is what you want)"
        )
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


def _deduplicated(index: int, spec: Any) -> WebhookSpec:
    if not isinstance(spec, WebhookSpec):
        raise InvalidInputError(f"desired[{index}] is a {type(spec).__name__}, not a WebhookSpec")
    events = tuple(dict.fromkeys(spec.events))
    return spec if events == spec.events else attrs.evolve(spec, events=events)
