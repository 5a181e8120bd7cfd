"""Client-side rate limiting: the :class:`RateLimiter` protocol, an in-process limiter and
the registry that gives every client of one key and base URL the same limiter.

Any object with the protocol's three methods plugs in (``WhautoChat(rate_limit=...)``); it
may call :func:`notify_wait` before a caller queues, so progress lines and queued-deadline
errors can say how long and behind how many calls.
"""

from ._protocol import RateLimit, RateLimiter
from ._sliding import SlidingWindowRateLimiter
from ._wait import LimiterWait, notify_wait, on_limiter_wait

__all__ = [
    "LimiterWait",
    "RateLimit",
    "RateLimiter",
    "SlidingWindowRateLimiter",
    "notify_wait",
    "on_limiter_wait",
]
