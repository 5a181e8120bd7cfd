"""The fake server's webhooks: wire-format (camelCase) dicts by id, in insertion order."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar, cast

from ..converters import format_timestamp

__all__ = ["WebhookStore", "format_timestamp"]

#: Fields the server owns: taken from a body neither on create nor on replace.
SERVER_OWNED = ("id", "createdAt", "updatedAt")
_FIELD_ORDER = ("id", "name", "serverUrl", "active", "events", "createdAt", "updatedAt")


_J = TypeVar("_J")
_SCALARS = frozenset({str, int, float, bool})


def copy_json(value: _J) -> _J:
    """A deep copy of JSON-like data: dicts and lists copied, scalars shared.

    Several times faster than ``copy.deepcopy`` on wire dicts; any other container a test
    stored directly still goes through ``deepcopy``.
    """
    copied: Any = value
    kind = type(value)
    if kind is dict:
        copied = {key: copy_json(item) for key, item in copied.items()}
    elif kind is list:
        copied = [copy_json(item) for item in copied]
    elif value is not None and kind not in _SCALARS:
        copied = copy.deepcopy(value)
    return cast(_J, copied)


def _ordered(webhook: Mapping[str, Any]) -> dict[str, Any]:
    known = {key: webhook[key] for key in _FIELD_ORDER if key in webhook}
    return known | {k: v for k, v in webhook.items() if k not in known}


class WebhookStore:
    """The stored webhooks by id, plus the id and time sources that stamp them."""

    def __init__(self, *, seed: int | None, clock: Callable[[], datetime] | None) -> None:
        self.by_id: dict[Any, dict[str, Any]] = {}
        # Not a secrets-grade RNG on purpose: with a seed, ids repeat run to run.
        self._rng = random.Random(seed)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._direct_count = 0

    @property
    def items(self) -> list[dict[str, Any]]:
        """The stored webhooks in order (a new list of the stored dicts)."""
        return list(self.by_id.values())

    @items.setter
    def items(self, webhooks: Iterable[dict[str, Any]]) -> None:
        by_id: dict[Any, dict[str, Any]] = {}
        for webhook in webhooks:
            if webhook.get("id") in by_id:
                raise ValueError(f"two webhooks share the id {webhook.get('id')!r}")
            by_id[webhook.get("id")] = webhook
        self.by_id = by_id

    def now(self) -> str:
        """The clock's current time, formatted as the server sends timestamps."""
        return format_timestamp(self._clock())

    def new_id(self) -> str:
        """A fresh id such as ``wh_1a2b3c4d5e6f``, unique in the store."""
        while True:
            candidate = f"wh_{self._rng.getrandbits(48):012x}"
            if candidate not in self.by_id:
                return candidate

    def page(self, page: int, limit: int) -> list[dict[str, Any]]:
        """Copies of the webhooks on 1-based ``page`` of size ``limit``."""
        start = (page - 1) * limit
        return copy_json(list(islice(self.by_id.values(), start, start + limit)))

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Store a validated POST body (``active`` defaults to true); return a copy."""
        now = self.now()
        fields = {k: v for k, v in body.items() if k not in SERVER_OWNED}
        stored = {"id": self.new_id(), "active": True, **fields}
        stored |= {"createdAt": now, "updatedAt": now}
        return self._add(_ordered(copy_json(stored)))

    def replace(self, webhook_id: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """Replace a webhook by a validated PUT body; a copy, or None if it is gone."""
        old = self.by_id.get(webhook_id)
        if old is None:
            return None
        fields = {k: v for k, v in body.items() if k not in SERVER_OWNED}
        stored = {"id": webhook_id, **copy_json(fields)}
        stored |= {"createdAt": old.get("createdAt"), "updatedAt": self.now()}
        self.by_id[webhook_id] = _ordered(stored)  # same key: keeps its place in the order
        return copy_json(self.by_id[webhook_id])

    def delete(self, webhook_id: str) -> bool:
        """Remove a webhook; whether it was there."""
        return self.by_id.pop(webhook_id, None) is not None

    def add_direct(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Store a webhook without validation, filling defaults; return a copy."""
        self._direct_count += 1
        number = self._direct_count
        now = self.now()
        defaults: dict[str, Any] = {
            "id": self.new_id(),
            "name": f"webhook-{number:04d}",
            "serverUrl": f"https://example.com/hooks/{number}",
            "active": True,
            "events": ["incoming_whatsapp_message"],
            "createdAt": now,
            "updatedAt": now,
        }
        return self._add(_ordered(defaults | copy_json(dict(fields))))

    def _add(self, webhook: dict[str, Any]) -> dict[str, Any]:
        if webhook.get("id") in self.by_id:
            raise ValueError(f"a webhook with the id {webhook.get('id')!r} is stored already")
        self.by_id[webhook.get("id")] = webhook
        return copy_json(webhook)
