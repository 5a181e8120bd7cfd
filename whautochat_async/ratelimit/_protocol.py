"""What a rate limiter is to the client (a protocol of three calls) and its settings."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from .._validation import int_option, number_option

__all__ = ["RateLimit", "RateLimiter"]


@runtime_checkable
class RateLimiter(Protocol):
    """What the client needs from a rate limiter, e.g. one shared across processes.

    ``acquire()`` before each HTTP attempt; ``release()`` exactly once after each acquire,
    also while a cancellation unwinds (so it is synchronous; a limiter counting at acquire
    may ignore it); ``pause()`` when the server says the quota is spent until a reset.
    """

    async def acquire(self) -> None:
        """Wait until one more request may be sent, then count it; cancelled: count nothing."""

    def release(self, *, sent: bool) -> None:
        """The request granted by acquire() is over; ``sent=False``: it provably never left."""

    async def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds``: the server said the quota is spent until then."""


@attrs.frozen
class RateLimit:
    """At most ``requests`` in any ``per`` seconds, shared process-wide per key and URL."""

    requests: int = attrs.field(default=100, validator=int_option(1))
    per: float = attrs.field(default=60.0, validator=number_option(positive=True, finite=True))
