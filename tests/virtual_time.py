"""Virtual time for unit tests: a clock and a sleep that never really sleep."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable
from typing import Any


class VirtualTime:
    """A monotonic clock plus ``sleep``; ``run()`` jumps time from timer to timer."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.slept: list[float] = []
        self._timers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._count = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._timers, (self.now + max(seconds, 0.0), self._count, future))
        self._count += 1
        await future

    async def settle(self) -> None:
        """Let every runnable task run until it blocks (on a timer or elsewhere)."""
        for _ in range(10):
            await asyncio.sleep(0)

    async def advance(self) -> bool:
        """Fire the earliest live timer, moving the clock to it; False if there is none."""
        while self._timers:
            when, _, future = heapq.heappop(self._timers)
            if not future.done():
                self.now = max(self.now, when)
                future.set_result(None)
                await self.settle()
                return True
        return False

    async def run(self, *awaitables: Awaitable[Any]) -> list[Any]:
        """Run ``awaitables`` to completion in virtual time; their results in order."""
        tasks = [asyncio.ensure_future(a) for a in awaitables]
        await self.settle()
        while not all(task.done() for task in tasks):
            if not await self.advance():
                raise RuntimeError("deadlock: tasks wait but no timer is pending")
        return [task.result() for task in tasks]
