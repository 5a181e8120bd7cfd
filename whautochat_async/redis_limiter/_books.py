"""Releases, voids and pauses for Redis: batched, one call in flight, retried until they
land or no longer matter, never blocking a caller."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.exceptions import RedisError

from ._outage import describe

__all__ = ["Books", "Op"]

logger = logging.getLogger("whautochat_async")

_FAILURES = (RedisError, OSError)
_FIRST_RETRY, _LAST_RETRY = 0.05, 2.0  # seconds between attempts while Redis fails
_BATCH = 500  # operations in one script call


class Op:
    """One change for Redis (see ``_scripts.APPLY``), dropped once ``expires`` passes."""

    __slots__ = ("attempted", "expires", "finished", "kind", "name", "number")

    def __init__(
        self,
        kind: str,
        name: str,
        *,
        expires: float,
        number: int = 0,
        finished: float | None = None,
        attempted: asyncio.Event | None = None,
    ) -> None:
        self.kind, self.name, self.number = kind, name, number
        self.expires, self.finished, self.attempted = expires, finished, attempted

    def arguments(self, now: float) -> tuple[str, str, int]:
        """The script's triple, with ages and the pause left computed at ``now``."""
        if self.kind == "P":
            return "P", "", max(math.ceil((self.expires - now) * 1000), 1)
        if self.finished is not None:
            return self.kind, self.name, max(math.floor((now - self.finished) * 1e6), 0)
        return self.kind, self.name, self.number


class Books:
    """The queue of operations and the one task delivering them."""

    def __init__(
        self,
        send: Callable[[list[Any]], Awaitable[object]],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        timeout: float,
        linger: float,
    ) -> None:
        self._send, self._clock, self._sleep = send, clock, sleep
        self._timeout, self._linger = timeout, linger
        # Told of each batch that landed, and how long after its ages were computed.
        self.on_landed: Callable[[list[Op], float], None] = lambda batch, late: None
        self._ops: list[Op] = []
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._failing = False  # the last attempt failed: nobody waits on the next one
        self._sending = 0
        self.calls = 0  # script calls sent, for the benchmarks

    def __len__(self) -> int:
        """Operations not yet landed (queued or in flight)."""
        return len(self._ops) + self._sending

    def add(self, op: Op) -> bool:
        """Queue ``op`` and make sure it is being delivered; False without an event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: the slot stays held until its lease ends
            return False
        self._ops.append(op)
        if self._failing:
            _settle([op])
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._deliver())
        return True

    async def close(self, patience: float) -> None:
        """Give pending operations ``patience`` seconds to land, then stop trying."""
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task], timeout=patience)
            self._closing = True  # also if redis-py swallows the cancellation below
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        _settle(self._ops)
        self._ops.clear()
        self._closing = False  # a borrowed Redis client may still take later releases

    async def _deliver(self) -> None:
        if not any(op.kind == "P" for op in self._ops):  # a pause goes at once
            await self._sleep(self._linger)  # let the releases finishing about now join
        delay = _FIRST_RETRY
        while self._ops and not self._closing:
            now = self._clock()
            batch = [op for op in self._ops[:_BATCH] if op.expires > now]
            _settle(op for op in self._ops[:_BATCH] if op.expires <= now)
            del self._ops[:_BATCH]
            if not batch:
                continue
            self._failing = not await self._attempt(batch, now)
            if not self._failing:
                delay = _FIRST_RETRY
                self.on_landed(batch, self._clock() - now)
                continue
            self._ops[0:0] = batch
            await self._sleep(delay)
            delay = min(delay * 2, _LAST_RETRY)

    async def _attempt(self, batch: list[Op], now: float) -> bool:
        """One script call for ``batch``; whether it landed."""
        arguments: list[Any] = []
        for op in batch:
            arguments += op.arguments(now)
        self.calls += 1
        self._sending = len(batch)
        try:
            async with asyncio.timeout(self._timeout):
                await self._send(arguments)
        except _FAILURES as exc:
            logger.debug("rate limiter bookkeeping failed in Redis (%s); retrying", describe(exc))
            return False
        except BaseException:  # cancelled (aclose): keep them for a last attempt
            self._ops[0:0] = batch
            raise
        finally:
            self._sending = 0
            _settle(batch)
        return True


def _settle(ops: Iterable[Op]) -> None:
    """Tell whoever waits for these operations' first attempt that it happened."""
    for op in ops:
        if op.attempted is not None:
            op.attempted.set()
