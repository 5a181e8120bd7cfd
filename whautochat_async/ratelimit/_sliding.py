"""The in-process limiter: a sliding log of request slots, fair to its waiters.

Not aiolimiter: a leaky bucket admits a burst of N and then drips more, so up to ~2N
requests can land in one window (a 429 from a server counting N); it also ties its
waiters to one event loop and cannot pause for a reset.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable

from ._protocol import RateLimit
from ._wait import LimiterWait, notify_wait

__all__ = ["SlidingWindowRateLimiter"]


class _Waiter:
    """One queued acquire(): its loop and the future that wakes it (set from any thread)."""

    __slots__ = ("future", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()

    def wake(self) -> None:
        """Wake it on its own loop; raises RuntimeError if that loop is closed."""
        try:
            same_loop = asyncio.get_running_loop() is self.loop
        except RuntimeError:
            same_loop = False
        if same_loop:
            _set_done(self.future)
        else:
            self.loop.call_soon_threadsafe(_set_done, self.future)


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class SlidingWindowRateLimiter:
    """In-process limiter: at most ``requests`` in any ``per`` seconds, counted to completion.

    A request holds its slot from its grant until ``per`` seconds after it finished, so no
    ``per``-long interval on the server sees more than ``requests``, however the network
    delays them. Waiters queue in arrival order; only the first one waits on the clock,
    the others sleep until they reach the front, so a freed slot wakes one task. State is
    guarded by a threading lock and each waiter is woken on its own loop: one limiter
    serves several event loops and threads.
    """

    def __init__(
        self,
        requests: int,
        per: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        limit = RateLimit(requests, per)
        self.requests, self.per = limit.requests, limit.per
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._in_flight = 0
        self._finished: deque[float] = deque()  # when each counted request finished
        self._paused_until = -math.inf
        self._waiters: deque[_Waiter] = deque()
        #: Set by the registry: told when the limiter gains state, so it is kept meanwhile.
        self._on_busy: Callable[[SlidingWindowRateLimiter], None] | None = None
        self._busy = False

    def __repr__(self) -> str:
        return f"<SlidingWindowRateLimiter {self.requests} per {self.per}s used={self.used}>"

    @property
    def used(self) -> int:
        """Slots taken now: requests in flight plus those finished within ``per`` seconds."""
        with self._lock:
            self._expire(self._clock())
            return self._in_flight + len(self._finished)

    @property
    def in_flight(self) -> int:
        """Requests granted and not yet released."""
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Calls queued for a slot."""
        return len(self._waiters)

    def estimated_wait(self, calls: int = 1) -> float:
        """Roughly how long until ``calls`` more requests (the queued ones among them) could
        all have been granted; 0 if slots for them are free now. For progress estimates."""
        if calls < 1:
            return 0.0
        with self._lock:
            return self._estimate(calls - 1, self._clock())

    async def acquire(self) -> None:
        """Wait for a slot in arrival order and take it; a cancelled wait takes nothing."""
        queued: tuple[_Waiter, LimiterWait] | None = None
        with self._lock:
            if not self._waiters and self._wait_time(self._clock()) == 0:
                self._in_flight += 1
                newly_busy = self._mark_busy()
            else:
                queued = self._join_queue()
        if queued is not None:
            newly_busy = await self._queue(*queued)
        if newly_busy and self._on_busy is not None:
            self._on_busy(self)

    def release(self, *, sent: bool) -> None:
        """End a granted request: it holds its slot ``per`` more seconds if it was sent."""
        with self._lock:
            if self._in_flight < 1:
                raise RuntimeError("release() without a matching acquire()")
            self._in_flight -= 1
            if sent:
                self._finished.append(self._clock())
            # The first waiter's timer is set by the oldest finished request: wake it only
            # if the slot came back, or if it had no timer (every slot was in flight).
            if not sent or len(self._finished) == 1:
                self._wake_first()

    async def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds`` (extends, never shortens, a pause)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)
            newly_busy = self._mark_busy()
        if newly_busy and self._on_busy is not None:
            self._on_busy(self)

    def _join_queue(self) -> tuple[_Waiter, LimiterWait]:
        """Queue a new waiter (under the lock); with its estimated wait."""
        waiter = _Waiter(asyncio.get_running_loop())
        self._waiters.append(waiter)
        ahead = len(self._waiters) - 1
        return waiter, LimiterWait(self._estimate(ahead, self._clock()), ahead)

    async def _queue(self, waiter: _Waiter, estimate: LimiterWait) -> bool:
        """Wait until ``waiter`` is first and a slot is free, take it; whether newly busy."""
        try:
            notify_wait(estimate.seconds, ahead=estimate.ahead)
            while True:
                with self._lock:
                    wait = math.inf
                    if self._waiters[0] is waiter:
                        wait = self._wait_time(self._clock())
                        if wait == 0:
                            self._waiters.popleft()
                            self._in_flight += 1
                            self._wake_first()  # the next in line may find a slot too
                            return self._mark_busy()
                    waiter.future = waiter.loop.create_future()
                await self._sleep_or_wake(waiter.future, wait)
        except BaseException:
            with self._lock:
                if waiter in self._waiters:  # cancelled in the queue: give the place up
                    first = self._waiters[0] is waiter
                    self._waiters.remove(waiter)
                    if first:
                        self._wake_first()
            raise

    async def _sleep_or_wake(self, future: asyncio.Future[None], seconds: float) -> None:
        """Wait for ``future`` (a release, or reaching the front), at most ``seconds``."""
        if seconds == math.inf:
            await future
            return
        timer = asyncio.ensure_future(self._sleep(seconds))
        try:
            await asyncio.wait((future, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()

    def _wake_first(self) -> None:
        """Wake the first waiter (under the lock); a waiter whose loop is closed is dropped."""
        while self._waiters:
            try:
                self._waiters[0].wake()
                return
            except RuntimeError:
                self._waiters.popleft()

    def _wait_time(self, now: float) -> float:
        """0 if a slot is free now, else seconds until one may be (inf: until a release)."""
        if now < self._paused_until:
            return self._paused_until - now
        self._expire(now)
        if self._in_flight + len(self._finished) < self.requests:
            return 0.0
        if self._finished:
            return max(self._finished[0] + self.per - now, 0.0)
        return math.inf  # every slot is in flight: a release will wake the first waiter

    def _estimate(self, ahead: int, now: float) -> float:
        """Roughly how long a call with ``ahead`` calls before it waits for its slot."""
        self._expire(now)
        free = self.requests - self._in_flight - len(self._finished)
        needed = ahead + 1 - max(free, 0)  # slots that must come free first
        at = now
        if needed > 0:
            rounds, index = divmod(needed - 1, self.requests)
            # Slots free in the order the finished requests age out, then the in-flight
            # ones, taken to finish now; each later round of `requests` slots costs `per`.
            frees = self._finished[index] if index < len(self._finished) else now
            at = frees + self.per * (rounds + 1)
        return max(at, self._paused_until) - now

    def _mark_busy(self) -> bool:
        """Note (under the lock) that the limiter has state; whether it had none."""
        newly_busy, self._busy = not self._busy, True
        return newly_busy

    def _idle(self) -> bool:
        """Whether nothing is in flight, queued, in the window or paused; then not busy."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            if self._in_flight or self._finished or self._waiters or now < self._paused_until:
                return False
            self._busy = False
            return True

    def _expire(self, now: float) -> None:
        while self._finished and self._finished[0] + self.per <= now:
            self._finished.popleft()
