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


def check_options(
    limit: RateLimit, on_redis_error: str, *, timeout: float, lease: float, probe: float
) -> None:
    if not isinstance(limit, RateLimit):
        raise ConfigurationError(f"limit must be a RateLimit, got {limit!r}")
    if on_redis_error not in ("fail_closed", "fail_open"):
        raise ConfigurationError(
            f"on_redis_error must be 'fail_closed' or 'fail_open', got {on_redis_error!r}"
        )
    for name, value in (("timeout", timeout), ("lease", lease), ("probe_interval", probe)):
        check_number(name, value, positive=True, finite=True, error=ConfigurationError)


def pool_busy(error: BaseException) -> bool:
    """Whether a borrowed client's pool had no free connection (which is not Redis failing);
    redis-py before 5.1 says so only in words."""
    if isinstance(error, MaxConnectionsError):
        return True
    return isinstance(error, RedisConnectionError) and str(error) == "Too many connections"
