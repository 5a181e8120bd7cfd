"""The slots a limiter granted and that are not yet released, matched to their release()."""

from __future__ import annotations

import contextvars

__all__ = ["Grant", "Grants"]


class Grant:
    """One granted slot: its member in the Redis log, or None if the fallback granted it."""

    __slots__ = ("member",)

    def __init__(self, member: str | None) -> None:
        self.member = member


# The grant taken by acquire() in this task, so that release() in the same task ends it
# (the client calls both from one task). Module-level, as context variables should be.
_CURRENT: contextvars.ContextVar[Grant | None] = contextvars.ContextVar(
    "whautochat_redis_grant", default=None
)


class Grants:
    """Outstanding grants, oldest first."""

    def __init__(self) -> None:
        self._grants: dict[Grant, None] = {}

    def __len__(self) -> int:
        return len(self._grants)

    def add(self, member: str | None) -> None:
        """Record a grant as this task's current one."""
        grant = Grant(member)
        self._grants[grant] = None
        _CURRENT.set(grant)

    def take(self) -> Grant:
        """The grant a release() ends: this task's own, else the oldest outstanding one."""
        current = _CURRENT.get()
        if current is not None and current in self._grants:
            _CURRENT.set(None)
            del self._grants[current]
            return current
        if not self._grants:
            raise RuntimeError("release() without a matching acquire()")
        oldest = next(iter(self._grants))
        del self._grants[oldest]
        return oldest
