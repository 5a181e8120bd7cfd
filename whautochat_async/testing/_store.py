"""The fake server's webhooks, kept in wire format (camelCase dicts), in insertion order."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from ._tracked import TrackedList

__all__ = ["WebhookStore", "format_timestamp"]

#: Fields the server owns: taken from a body neither on create nor on replace.
SERVER_OWNED = ("id", "createdAt", "updatedAt")
_FIELD_ORDER = ("id", "name", "serverUrl", "active", "events", "createdAt", "updatedAt")


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``: ``2024-05-01T12:00:00.000Z``.

    A naive datetime is taken to be UTC already.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    millis = moment.microsecond // 1000
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


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
    """Live list of stored webhooks plus the id and time sources that stamp them."""

    def __init__(self, *, seed: int | None, clock: Callable[[], datetime] | None) -> None:
        self.items: list[dict[str, Any]] = TrackedList()
        # Not a secrets-grade RNG on purpose: with a seed, ids repeat run to run.
        self._rng = random.Random(seed)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._direct_count = 0
        # The ids of ``items``, rebuilt when the list is replaced or changes (TrackedList).
        self._ids: set[Any] = set()
        self._ids_of: tuple[list[dict[str, Any]], int] | None = None  # (the list, its version)

    def now(self) -> str:
        """The clock's current time, formatted as the server sends timestamps."""
        return format_timestamp(self._clock())

    def new_id(self) -> str:
        """A fresh id such as ``wh_1a2b3c4d5e6f``, unique in the store.

        Checked against an index of the stored ids, rebuilt whenever ``items`` is replaced
        or changed as a list (see :class:`TrackedList`), so a create costs O(1) rather than
        a scan of every webhook. An id changed inside a stored dict is seen from the next
        change to the list; a plain list put in ``items`` is scanned on every create.
        """
        taken = self._known_ids()
        while True:
            candidate = f"wh_{self._rng.getrandbits(48):012x}"
            if candidate not in taken:
                return candidate

    def _known_ids(self) -> set[Any]:
        items, indexed = self.items, self._ids_of
        version = items.version if isinstance(items, TrackedList) else None
        # The list itself is held (not its id()): a new list can never pass for the old one.
        if version is None or indexed is None or indexed[0] is not items or indexed[1] != version:
            self._ids = {item.get("id") for item in items}
            self._ids_of = None if version is None else (items, version)
        return self._ids

    def _append(self, webhook: dict[str, Any]) -> dict[str, Any]:
        known, indexed = self._known_ids(), self._ids_of
        self.items.append(webhook)
        known.add(webhook.get("id"))
        if indexed is not None:  # the index is current again, with this webhook
            self._ids_of = (self.items, self.items.version)  # type: ignore[attr-defined]
        return copy_json(webhook)

    def find(self, webhook_id: str) -> int | None:
        """The index of the webhook with that id, or None."""
        for index, item in enumerate(self.items):
            if item.get("id") == webhook_id:
                return index
        return None

    def page(self, page: int, limit: int) -> list[dict[str, Any]]:
        """Copies of the webhooks on 1-based ``page`` of size ``limit``."""
        start = (page - 1) * limit
        return copy_json(self.items[start : start + limit])

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """Store a validated POST body (``active`` defaults to true); return a copy."""
        now = self.now()
        fields = {k: v for k, v in body.items() if k not in SERVER_OWNED}
        stored = {"id": self.new_id(), "active": True, **fields}
        stored |= {"createdAt": now, "updatedAt": now}
        return self._append(_ordered(copy_json(stored)))

    def replace(self, index: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """Replace the webhook at ``index`` by a validated PUT body; return a copy."""
        old = self.items[index]
        fields = {k: v for k, v in body.items() if k not in SERVER_OWNED}
        stored = {"id": old["id"], **copy_json(fields)}
        stored |= {"createdAt": old.get("createdAt"), "updatedAt": self.now()}
        self.items[index] = _ordered(stored)
        return copy_json(self.items[index])

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
        return self._append(_ordered(defaults | copy_json(dict(fields))))
