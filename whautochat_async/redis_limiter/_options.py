"""The limiter's options, its own Redis client, and what that client's errors mean."""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError

from .._validation import check_number
from ..errors import ConfigurationError
from ..ratelimit import RateLimit

__all__ = ["check_options", "pool_busy", "redis_from_url"]


def redis_from_url(url: str, timeout: float) -> aioredis.Redis:
    """A client for ``url`` whose commands time out after ``timeout`` and are retried once."""
    try:
        return aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
        )
    except ValueError as exc:  # the message may quote the URL, and its password
        raise ConfigurationError(f"invalid Redis URL ({type(exc).__name__})") from None


#: The shortest ``timeout`` accepted: a loopback round trip takes ~0.2 ms, but a busy event
#: loop or a GC pause adds milliseconds, so a shorter timeout would fail nearly every call.
MIN_TIMEOUT = 0.01


def check_options(
    redis: object,
    limit: RateLimit,
    on_redis_error: str,
    fallback: RateLimit | None,
    *,
    prefix: str,
    seconds: dict[str, float],
) -> None:
    """Refuse what can never work (before anything connects): ``ConfigurationError``."""
    if not isinstance(redis, aioredis.Redis):
        raise ConfigurationError(
            f"redis must be a redis.asyncio.Redis client, got {type(redis).__name__}",
            remedy="or use RedisRateLimiter.from_url(url, ...)",
        )
    limits = {"limit": limit, "fallback_limit": limit if fallback is None else fallback}
    for name, given in limits.items():
        if not isinstance(given, RateLimit):
            raise ConfigurationError(f"{name} must be a RateLimit, got {given!r}")
    if on_redis_error not in ("fail_closed", "fail_open"):
        raise ConfigurationError(
            f"on_redis_error must be 'fail_closed' or 'fail_open', got {on_redis_error!r}"
        )
    if not isinstance(prefix, str) or not prefix:
        raise ConfigurationError(f"key_prefix must be a non-empty str, got {prefix!r}")
    for name, value in seconds.items():
        check_number(name, value, positive=True, finite=True, error=ConfigurationError)
    if seconds["timeout"] < MIN_TIMEOUT:
        raise ConfigurationError(
            f"timeout must be at least {MIN_TIMEOUT} s (one Redis round trip plus the event "
            f"loop's latency), got {seconds['timeout']!r}"
        )


def pool_busy(error: BaseException) -> bool:
    """Whether a borrowed client's pool had no free connection (which is not Redis failing);
    redis-py before 5.1 says so only in words."""
    if isinstance(error, MaxConnectionsError):
        return True
    return isinstance(error, RedisConnectionError) and str(error) == "Too many connections"
