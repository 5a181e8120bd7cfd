"""Client-side rate limiting: the :class:`RateLimiter` protocol, an in-process limiter and
the registry that shares one limiter between every client with the same key, host and limit.

The protocol is three calls, so a limiter shared across processes (one backed by Redis,
say) can be plugged in with ``WhautoChat(rate_limit=my_limiter)``:

* ``await acquire()`` before each HTTP attempt: wait until one more request may be sent,
  and count it. A wait that is cancelled must count nothing.
* ``release(sent=...)`` exactly once after each acquire(), also when the call is
  cancelled: ``sent=False`` means the request provably never left (the slot may be given
  back), ``sent=True`` that the server may have counted it. It is synchronous because it
  runs while a cancellation unwinds; a limiter that counts at acquire() can ignore it.
* ``await pause(seconds)`` when the server says the quota is spent until a reset: grant
  nothing to anyone until then.

Why not aiolimiter: it is a leaky bucket, which admits a burst of N and then drips more,
so up to ~2N requests can land in one window; against a server counting N per window
that is a 429. It also ties its waiters to one event loop and cannot pause for a reset.

:class:`SlidingWindowRateLimiter` is a sliding log in ~40 lines. A request holds its slot
from the moment it is granted until ``per`` seconds after it finished (while in flight,
indefinitely). The server counts the request at some moment between those two, so no
``per``-long interval on the server ever holds more than ``requests`` of them, however
the network delays them: exact against sliding and fixed windows alike.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

import attrs

from ._validation import int_option, number_option
from .errors import ConfigurationError

__all__ = ["RateLimit", "RateLimiter", "SlidingWindowRateLimiter", "shared_limiter"]


@runtime_checkable
class RateLimiter(Protocol):
    """What the client needs from a rate limiter (see the module docstring)."""

    async def acquire(self) -> None:
        """Wait until one more request may be sent, then count it; cancelled: count nothing."""

    def release(self, *, sent: bool) -> None:
        """The request granted by acquire() is over; ``sent=False``: it never left."""

    async def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds``: the server said the quota is spent until then."""


@attrs.frozen
class RateLimit:
    """At most ``requests`` in any ``per`` seconds, shared process-wide per key, URL and limit."""

    requests: int = attrs.field(default=100, validator=int_option(1))
    per: float = attrs.field(default=60.0, validator=number_option(positive=True, finite=True))


class SlidingWindowRateLimiter:
    """In-process limiter: at most ``requests`` in any ``per`` seconds, counted to completion.

    Usable from several event loops and threads at once: the state is guarded by a
    threading lock, and waiting is polling with ``sleep`` (never an asyncio primitive
    bound to one loop).
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

    async def acquire(self) -> None:
        """Wait for a slot and take it; a cancelled wait takes nothing."""
        while (wait := self._try_take()) is not None:
            await self._sleep(wait)

    def release(self, *, sent: bool) -> None:
        """End a granted request: it holds its slot ``per`` more seconds if it was sent."""
        with self._lock:
            if self._in_flight < 1:
                raise RuntimeError("release() without a matching acquire()")
            self._in_flight -= 1
            if sent:
                self._finished.append(self._clock())

    async def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds`` (extends, never shortens, a pause)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _try_take(self) -> float | None:
        """Take a slot and return None, or return how long to wait before asking again."""
        with self._lock:
            now = self._clock()
            if now < self._paused_until:
                return self._paused_until - now
            self._expire(now)
            if self._in_flight + len(self._finished) < self.requests:
                self._in_flight += 1
                return None
            if self._finished:
                return self._finished[0] + self.per - now
            # Every slot is in flight: one frees `per` after it ends, or at once if refunded.
            return self.per / self.requests

    def _expire(self, now: float) -> None:
        while self._finished and self._finished[0] + self.per <= now:
            self._finished.popleft()


# The registry: one limiter per (key, base URL, limit) for the life of the process, so a
# client made per web request shares the budget. Keys are salted hashes, never the key.
_SALT = secrets.token_bytes(16)
_registry: dict[tuple[str, str, RateLimit], SlidingWindowRateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(api_key: str, base_url: str, limit: RateLimit) -> SlidingWindowRateLimiter:
    """The process-wide limiter for this key, base URL and limit, made on first use."""
    digest = hashlib.sha256(_SALT + api_key.encode()).hexdigest()
    key = (digest, base_url, limit)
    with _registry_lock:
        limiter = _registry.get(key)
        if limiter is None:
            limiter = _registry[key] = SlidingWindowRateLimiter(limit.requests, limit.per)
        return limiter


def resolve_rate_limiter(
    option: RateLimit | RateLimiter | None, *, api_key: str, base_url: str
) -> RateLimiter | None:
    """The limiter a client uses for its ``rate_limit`` option."""
    if option is None:
        return None
    if isinstance(option, RateLimit):
        return shared_limiter(api_key, base_url, option)
    if isinstance(option, RateLimiter):
        return option
    raise ConfigurationError(
        f"rate_limit must be a RateLimit, a RateLimiter or None, got {option!r}"
    )
