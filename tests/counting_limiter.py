"""A RateLimiter that grants every slot at once and counts what it was told."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

__all__ = ["CountingLimiter"]


class CountingLimiter:
    """A RateLimiter that grants every slot and counts; ``on_acquire`` runs while queued."""

    def __init__(self, on_acquire: Callable[[], Awaitable[object]] | None = None) -> None:
        self.acquired = 0
        self.released: list[bool] = []
        self._on_acquire = on_acquire

    async def acquire(self) -> None:
        self.acquired += 1
        if self._on_acquire is not None:
            await self._on_acquire()

    def release(self, *, sent: bool) -> None:
        self.released.append(sent)

    async def pause(self, seconds: float) -> None:
        pass
