"""The slots a limiter granted and that are not yet released, matched to their release()."""

from __future__ import annotations

import contextvars
from collections import deque

__all__ = ["Grant", "Grants"]


class Grant:
    """One granted slot: its member in the Redis log, and whether the fallback granted it.

    A fallback grant gets a member too when it is carried into Redis (see ``carry``).
    """

    __slots__ = ("expires", "fallback", "member")

    def __init__(self, member: str | None, *, fallback: bool, expires: float) -> None:
        self.member = member
        self.fallback = fallback
        self.expires = expires  # local time after which Redis has freed it by itself


# The grant taken by acquire() in this task, so that release() in the same task ends it
# (the client calls both from one task). Module-level, as context variables should be.
_CURRENT: contextvars.ContextVar[Grant | None] = contextvars.ContextVar(
    "whautochat_redis_grant", default=None
)


class Grants:
    """Outstanding grants, oldest first, and when recent fallback requests finished."""

    def __init__(self, per: float) -> None:
        self._per = per
        self._grants: dict[Grant, None] = {}
        self._fallback_finished: deque[float] = deque()

    def __len__(self) -> int:
        return len(self._grants)

    def add(self, grant: Grant) -> None:
        """Record a grant as this task's current one."""
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

    def fallback_finished(self, when: float) -> None:
        """A request the fallback granted was sent and finished at ``when`` (local time)."""
        self._fallback_finished.append(when)

    def to_carry(self, now: float) -> tuple[list[Grant], list[float]]:
        """The fallback's grants still in flight, and its finish times within ``per``."""
        while self._fallback_finished and self._fallback_finished[0] + self._per <= now:
            self._fallback_finished.popleft()
        in_flight = [grant for grant in self._grants if grant.fallback and grant.member is None]
        return in_flight, list(self._fallback_finished)

    def carried(self, count: int) -> None:
        """The oldest ``count`` fallback finish times are now in Redis's window."""
        for _ in range(min(count, len(self._fallback_finished))):
            self._fallback_finished.popleft()
