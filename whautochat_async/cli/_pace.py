"""How fast work goes and how long the rest will take, rate-limit waits included.

Two measures: the *speed* of the writes while nothing holds them back (time spent in known
rate-limit waits left out), and the *rate* across the waits. With the client's in-process
limiter the time left is the larger of the rest at that speed and what the limiter says the
rest must wait; with any other limiter (Redis, a custom one) its budget is unknown, so the
rate is measured across the waits it met.
"""

from __future__ import annotations

import math
from collections import deque

from ..ratelimit import SlidingWindowRateLimiter

__all__ = ["Pace"]

#: The rate is measured over this many latest completions (the current rate, not the mean).
RATE_WINDOW = 20
#: A rate-limit wait at least this long ends a burst: the rate across waits then reaches
#: back to the burst before it, so it is not the burst's speed.
LONG_WAIT = 1.0


class Pace:
    """Completions and rate-limit waits of one run; the rate and time left from them."""

    def __init__(self, now: float, limiter: object = None) -> None:
        # (time, done, seconds waited by then) of the latest completions.
        self._finished: deque[tuple[float, int, float]] = deque(maxlen=RATE_WINDOW + 1)
        self._finished.append((now, 0, 0.0))
        self._burst_start = (now, 0)  # where the burst before the latest long wait began
        self._last_long_wait: tuple[float, int] | None = None
        self._waited = 0.0  # seconds covered by known waits, some maybe still ahead
        self._wait_end = -math.inf  # when the known waits end
        self.limiter = limiter if isinstance(limiter, SlidingWindowRateLimiter) else None

    def finished(self, now: float, done: int) -> None:
        """A write completed at ``now``: ``done`` in all."""
        self._finished.append((now, done, self._waited_by(now)))

    def waiting(self, now: float, seconds: float, done: int) -> None:
        """A call queued at ``now`` for about ``seconds``."""
        end = now + max(seconds, 0.0)
        if seconds >= LONG_WAIT and now >= self._wait_end:  # a new wait, not more of one
            self._burst_start = self._last_long_wait or self._burst_start
            self._last_long_wait = (now, done)
        self._waited += max(end - max(now, self._wait_end), 0.0)
        self._wait_end = max(self._wait_end, end)

    def rate(self) -> float | None:
        """Writes per second over the latest completions and across the latest long wait."""
        end, end_done, _ = self._finished[-1]
        start, start_done = self._rate_start()
        count, span = end_done - start_done, end - start
        return count / span if count and span > 0 else None

    def speed(self) -> float | None:
        """Writes per second over the latest completions, time in known waits left out."""
        end, end_done, end_waited = self._finished[-1]
        start, start_done, start_waited = self._finished[0]
        count, span = end_done - start_done, (end - start) - (end_waited - start_waited)
        return count / span if count and span > 0 else None

    def estimate(self, now: float, remaining: int) -> tuple[float, float] | None:
        """(rate to show, seconds left) for ``remaining`` writes, or None before a rate."""
        if self.limiter is None:
            return self._across_waits(now, remaining)
        speed = self.speed()
        if speed is None:
            return None
        ungranted = remaining - min(self.limiter.in_flight, remaining)
        held = self.limiter.estimated_wait(ungranted)
        if held > max(remaining / speed, LONG_WAIT):  # the limit, not the speed, sets the pace
            return min(speed, self.limiter.requests / self.limiter.per), held
        return speed, max(remaining / speed, held)

    def _across_waits(self, now: float, remaining: int) -> tuple[float, float] | None:
        """The rate across waits; the time left at least the wait under way."""
        rate = self.rate()
        if rate is None:
            return None
        start, start_done = self._rate_start()
        if self._wait_end > now:  # in a wait: the rate it will have averaged by its end
            rate = min(rate, (self._finished[-1][1] - start_done) / (self._wait_end - start))
        return rate, max(remaining / rate, self._wait_end - now)

    def _rate_start(self) -> tuple[float, int]:
        """Where the rate across waits is measured from: (time, done)."""
        start, start_done, _ = self._finished[0]
        if self._last_long_wait is not None and self._burst_start[0] < start:
            return self._burst_start
        return start, start_done

    def _waited_by(self, now: float) -> float:
        """Seconds covered by known waits up to ``now``."""
        return self._waited - max(self._wait_end - now, 0.0)
