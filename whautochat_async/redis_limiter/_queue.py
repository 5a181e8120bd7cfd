"""The process's FIFO of waiting acquire() calls, served by one task with one Redis call
in flight: however many callers wait, Redis sees one question per process at a time.

Callers only ever await a future of this queue, never redis-py: a cancellation cannot
land inside a Redis command (where redis-py may swallow it) and so is never lost.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from ..ratelimit import notify_wait

__all__ = ["GrantQueue"]

#: What a waiter receives: its member in the Redis log, or None to use the fallback.
Answer = str | None


class GrantQueue:
    """Waiters in arrival order, served by ``ask(want)``.

    ``ask`` returns the seconds to wait before asking again and whether the slot to wait
    for is one of this process's own in flight: then a :meth:`hint` of when it frees
    (known here when its request finishes, not in Redis) ends the wait sooner.
    """

    def __init__(
        self,
        ask: Callable[[int], Awaitable[tuple[float, bool]]],
        *,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        give_back: Callable[[str], None],
    ) -> None:
        self._ask, self._clock, self._sleep = ask, clock, sleep
        self._give_back = give_back
        self._waiters: deque[asyncio.Future[Answer]] = deque()
        self._live = 0  # waiters not yet answered nor cancelled
        self._wake = asyncio.Event()
        self._idle = True
        self._poked = False
        self._hint = math.inf
        self._asks_at: float | None = None  # while napping: when it asks Redis again
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return self._live

    async def wait(self) -> Answer:
        """Queue up and wait for this caller's answer; cancelled: nothing is kept."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Answer] = loop.create_future()
        self._waiters.append(waiter)
        self._live += 1
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._serve())
        if self._idle:
            self._wake.set()
        try:
            return await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():  # still queued: give the place up
                self._live -= 1
                if not self._live:
                    self.poke()  # so that Redis stops counting us as waiting
            elif waiter.exception() is None and (member := waiter.result()) is not None:
                self._give_back(member)  # granted as the cancellation arrived
            raise

    def notify_queued(self, *, requests: int, per: float) -> None:
        """Tell this task's wait listeners that its caller queues (if it does), and roughly
        how long: until the next ask (at most ``per``: sooner if our own requests end),
        plus a window per ``requests`` callers ahead of it."""
        ahead = self._live
        if ahead or self._asks_at is not None:
            soon = 0.0 if self._asks_at is None else self._asks_at - self._clock()
            soon = min(max(soon, 0.0), per)
            notify_wait(soon + ahead // requests * per, ahead=ahead)

    def hand_out(self, members: list[str]) -> None:
        """Give each member to the next live waiter; members nobody takes go back."""
        for member in members:
            waiter = self._next()
            if waiter is None:
                self._give_back(member)
            else:
                waiter.set_result(member)

    def answer_all(self, error: Callable[[], BaseException] | None) -> None:
        """Fail every waiter with a fresh ``error()``, or (None) send them to the fallback."""
        while (waiter := self._next()) is not None:
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error())

    def poke(self) -> None:
        """A slot of ours was freed: ask Redis again now rather than at the named time."""
        self._poked = True
        self._wake.set()

    def hint(self, at: float) -> None:
        """One of our requests finished: its slot frees at ``at`` (local clock)."""
        if at < self._hint:
            self._hint = at
            self._wake.set()

    async def close(self, error: Callable[[], BaseException], patience: float) -> None:
        """Stop serving and fail the waiters left with ``error``."""
        self._closing = True  # also if redis-py swallows the cancellation below
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task], timeout=patience)
        self.answer_all(error)

    def _next(self) -> asyncio.Future[Answer] | None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._live -= 1
                return waiter
        return None

    async def _serve(self) -> None:
        registered = False  # whether Redis counts us as waiting (for fair shares)
        while not self._closing:
            while self._waiters and self._waiters[0].done():
                self._waiters.popleft()
            if not self._waiters:
                if registered:  # every waiter gave up: stop holding a share for them
                    registered = False
                    await self._ask(0)
                    continue
                await self._nap(None)
                continue
            self._poked = False
            if self._hint <= self._clock():  # that slot has freed: no news of the next yet
                self._hint = math.inf
            wait, own = await self._ask(len(self))
            registered = wait > 0
            if registered and self._waiters and not self._closing:
                await self._nap_until(self._clock() + wait, own=own)

    async def _nap_until(self, deadline: float, *, own: bool) -> None:
        """Nap until ``deadline`` or a poke; ``own``: the earliest hint may end it sooner."""
        try:
            while not self._poked and not self._closing:
                if own:
                    deadline = min(deadline, self._hint)
                self._asks_at = deadline
                left = deadline - self._clock()
                if left <= 0 or not await self._nap(left):
                    return
        finally:
            self._asks_at = None

    async def _nap(self, seconds: float | None) -> bool:
        """Sleep ``seconds`` (None: until woken); whether something woke it first."""
        self._wake.clear()
        self._idle = seconds is None
        woken = asyncio.ensure_future(self._wake.wait())
        waits: list[asyncio.Future[Any]] = [woken]
        if seconds is not None:
            waits.append(asyncio.ensure_future(self._sleep(seconds)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._idle = False
            for pending in waits:
                pending.cancel()
            await asyncio.gather(*waits, return_exceptions=True)
        return woken.done() and not woken.cancelled()
