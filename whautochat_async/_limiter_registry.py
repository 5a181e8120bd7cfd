"""The process-wide registry: one :class:`SlidingWindowRateLimiter` per key and base URL.

Clients made per web request share one budget through it. It holds a limiter strongly
while the limiter has state (requests in flight or in the window, waiters, a pause) and
weakly otherwise, so a limiter that is idle and used by no live client is forgotten:
memory stays bounded however many keys a process sees. Keys are salted hashes.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import weakref

from .errors import ConfigurationError
from .ratelimit import RateLimit, RateLimiter, SlidingWindowRateLimiter

__all__ = ["resolve_rate_limiter", "shared_limiter"]

_SALT = secrets.token_bytes(16)
#: Sweep the busy set at least this often (seconds), and when it has doubled.
SWEEP_INTERVAL = 1.0
_MIN_SWEEP_SIZE = 64

_lock = threading.Lock()
_limiters: weakref.WeakValueDictionary[tuple[str, str], SlidingWindowRateLimiter] = (
    weakref.WeakValueDictionary()
)
_busy: set[SlidingWindowRateLimiter] = set()  # strong: limiters with state are kept


class _SweepSchedule:
    """When the next sweep is due: the busy set's size, and a time."""

    size = _MIN_SWEEP_SIZE
    at = 0.0


_next_sweep = _SweepSchedule()


def shared_limiter(api_key: str, base_url: str, limit: RateLimit) -> SlidingWindowRateLimiter:
    """The process-wide limiter of this key and base URL, made on first use.

    Raises:
        ConfigurationError: the key already has a limiter with a different RateLimit.
    """
    key = (hashlib.sha256(_SALT + api_key.encode()).hexdigest(), base_url)
    with _lock:
        _maybe_sweep()
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = SlidingWindowRateLimiter(limit.requests, limit.per)
            limiter._on_busy = _keep
        elif (limiter.requests, limiter.per) != (limit.requests, limit.per):
            raise ConfigurationError(
                f"this API key and base URL {base_url!r} already have a rate limit of "
                f"{limiter.requests} per {limiter.per:g}s in this process; a second one of "
                f"{limit.requests} per {limit.per:g}s would be a second budget for one quota. "
                "Pass the same RateLimit to every client of a key (or one RateLimiter)"
            )
        return limiter


def _keep(limiter: SlidingWindowRateLimiter) -> None:
    """The limiter has gained state: hold it until a sweep finds it idle."""
    with _lock:
        _busy.add(limiter)


def _maybe_sweep() -> None:
    """Sweep (under the lock) when the busy set has doubled or a second has passed."""
    now = time.monotonic()
    if len(_busy) >= _next_sweep.size or now >= _next_sweep.at:
        _sweep_locked()
        # Doubling keeps the sweeps' cost amortised O(1) per client, whatever is busy.
        _next_sweep.size = max(2 * len(_busy), _MIN_SWEEP_SIZE)
        _next_sweep.at = now + SWEEP_INTERVAL


def forget_idle() -> None:
    """Stop holding the busy limiters that have become idle (the sweep, on demand)."""
    with _lock:
        _sweep_locked()


def _sweep_locked() -> None:
    _busy.difference_update([limiter for limiter in _busy if limiter._idle()])


def registry_size() -> tuple[int, int]:
    """How many limiters the registry knows, and how many it holds because they are busy."""
    with _lock:
        return len(_limiters), len(_busy)


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
