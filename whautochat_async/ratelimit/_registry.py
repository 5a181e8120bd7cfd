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

from ..errors import ConfigurationError
from ._protocol import RateLimit, RateLimiter
from ._sliding import SlidingWindowRateLimiter

__all__ = ["resolve_rate_limiter", "shared_limiter"]

_SALT = secrets.token_bytes(16)
#: Sweep the busy set at least this often (seconds), and whenever it has doubled.
SWEEP_INTERVAL = 1.0
_MIN_SWEEP_SIZE = 64
_Key = tuple[str, str]


class _Registry:
    """The limiters by key: weakly, and strongly while busy; swept now and then."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.limiters: weakref.WeakValueDictionary[_Key, SlidingWindowRateLimiter] = (
            weakref.WeakValueDictionary()
        )
        self.busy: set[SlidingWindowRateLimiter] = set()  # strong: limiters with state
        self.most = 0  # the most limiters known at once since the last compaction
        self.sweep_size, self.sweep_at = _MIN_SWEEP_SIZE, 0.0

    def keep(self, limiter: SlidingWindowRateLimiter) -> None:
        """The limiter has gained state: hold it until a sweep finds it idle."""
        with self.lock:
            self.busy.add(limiter)

    def maybe_sweep(self) -> None:
        """Sweep (under the lock) if the busy set has doubled or a second has passed."""
        now = time.monotonic()
        if len(self.busy) >= self.sweep_size or now >= self.sweep_at:
            self.sweep()
            # Doubling keeps the sweeps' cost amortised O(1) per client, however many are busy.
            self.sweep_size = max(2 * len(self.busy), _MIN_SWEEP_SIZE)
            self.sweep_at = now + SWEEP_INTERVAL

    def sweep(self) -> None:
        """Let go of the busy limiters that are idle (under the lock)."""
        # New containers, not deletions: a dict or set never shrinks as entries leave it.
        self.busy = {limiter for limiter in self.busy if not limiter._idle()}
        if len(self.limiters) * 4 < self.most:
            self.limiters = weakref.WeakValueDictionary(self.limiters.items())
            self.most = len(self.limiters)


_registry = _Registry()


def shared_limiter(api_key: str, base_url: str, limit: RateLimit) -> SlidingWindowRateLimiter:
    """The process-wide limiter of this key and base URL, made on first use.

    Raises:
        ConfigurationError: the key already has a limiter with a different RateLimit.
    """
    key = (hashlib.sha256(_SALT + api_key.encode()).hexdigest(), base_url)
    with _registry.lock:
        _registry.maybe_sweep()
        limiter = _registry.limiters.get(key)
        if limiter is None:
            limiter = SlidingWindowRateLimiter(limit.requests, limit.per)
            limiter._on_busy = _registry.keep
            _registry.limiters[key] = limiter
            _registry.most = max(_registry.most, len(_registry.limiters))
        elif (limiter.requests, limiter.per) != (limit.requests, limit.per):
            raise ConfigurationError(
                f"this API key and base URL {base_url!r} already have a rate limit of "
                f"{limiter.requests} per {limiter.per:g}s in this process; a second one of "
                f"{limit.requests} per {limit.per:g}s would be a second budget for one quota. "
                "Pass the same RateLimit to every client of a key (or one RateLimiter)"
            )
        return limiter


def forget_idle() -> None:
    """Let go of the busy limiters that have become idle now (the sweep, on demand)."""
    with _registry.lock:
        _registry.sweep()


def registry_size() -> tuple[int, int]:
    """How many limiters the registry knows, and how many it holds because they are busy."""
    with _registry.lock:
        return len(_registry.limiters), len(_registry.busy)


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
