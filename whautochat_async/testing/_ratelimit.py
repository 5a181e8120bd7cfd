"""A sliding-window request limiter for the fake server.

Written here rather than taken from a library: limiter libraries (aiolimiter and the
like) make a *client* wait, while the fake must *refuse* and say for how long, on an
injectable clock. It is a deque of accepted timestamps.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

__all__ = ["SlidingWindowLimiter"]


class SlidingWindowLimiter:
    """Accept at most ``limit`` requests in any ``window`` seconds; refused ones don't count."""

    def __init__(self, limit: int, window: float, *, monotonic: Callable[[], float]) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("rate_limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._monotonic = monotonic
        self._accepted: deque[float] = deque()

    def try_acquire(self) -> float | None:
        """Count a request and return None, or refuse it and return seconds to wait."""
        now = self._expire()
        if len(self._accepted) >= self.limit:
            return max(self._accepted[0] + self.window - now, 0.0)
        self._accepted.append(now)
        return None

    @property
    def remaining(self) -> int:
        """How many more requests the current window accepts."""
        self._expire()
        return max(self.limit - len(self._accepted), 0)

    def headers(self, reset_after: float | None) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers, plus ``Retry-After`` when refusing.

        ``X-RateLimit-Reset-After`` (seconds until a request is accepted again, rounded
        up to the millisecond) comes with a refusal and whenever no quota remains.
        """
        remaining = self.remaining
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(remaining)}
        if reset_after is not None:
            headers["Retry-After"] = str(max(math.ceil(reset_after), 1))
        elif remaining == 0:
            reset_after = self.reset_after()
        if reset_after is not None:
            headers["X-RateLimit-Reset-After"] = f"{math.ceil(reset_after * 1000) / 1000:.3f}"
        return headers

    def reset_after(self) -> float:
        """Seconds until the oldest accepted request leaves the window (0.0 if none)."""
        now = self._expire()
        return max(self._accepted[0] + self.window - now, 0.0) if self._accepted else 0.0

    def _expire(self) -> float:
        now = self._monotonic()
        while self._accepted and self._accepted[0] <= now - self.window:
            self._accepted.popleft()
        return now
