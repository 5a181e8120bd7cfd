"""A list that counts its own changes, so the fake's id index knows when it is stale."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, SupportsIndex

__all__ = ["TrackedList"]


class TrackedList(list[dict[str, Any]]):
    """``fake.webhooks``: a plain list whose every mutation bumps :attr:`version`.

    Replacing, inserting, removing or refilling elements (any way a test edits the live
    store) is seen; an id changed inside a stored dict is not, until the list changes.
    """

    version = 0

    def __setitem__(self, index: Any, value: Any) -> None:
        self.version += 1
        super().__setitem__(index, value)

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        self.version += 1
        super().__delitem__(index)

    def __iadd__(self, values: Iterable[dict[str, Any]]) -> TrackedList:  # type: ignore[override,misc]
        self.version += 1
        return super().__iadd__(values)

    def __imul__(self, times: SupportsIndex) -> TrackedList:
        self.version += 1
        return super().__imul__(times)

    def append(self, value: dict[str, Any]) -> None:
        self.version += 1
        super().append(value)

    def extend(self, values: Iterable[dict[str, Any]]) -> None:
        self.version += 1
        super().extend(values)

    def insert(self, index: SupportsIndex, value: dict[str, Any]) -> None:
        self.version += 1
        super().insert(index, value)

    def pop(self, index: SupportsIndex = -1) -> dict[str, Any]:
        self.version += 1
        return super().pop(index)

    def remove(self, value: dict[str, Any]) -> None:
        self.version += 1
        super().remove(value)

    def clear(self) -> None:
        self.version += 1
        super().clear()
