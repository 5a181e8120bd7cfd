"""Configuring the shared limiter from the environment, so a fleet is set up in one place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from redis.asyncio.connection import parse_url

from .._config import REDIS_ON_ERROR_ENV, REDIS_URL_ENV, environment
from ..errors import ConfigurationError
from ..ratelimit import RateLimit
from ._limiter import OnRedisError, RedisRateLimiter

__all__ = ["REDIS_ON_ERROR_ENV", "REDIS_URL_ENV", "limiter_from_env"]


def limiter_from_env(
    environ: Mapping[str, str] | None = None,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    limit: RateLimit = RateLimit(),  # noqa: B008 - frozen
    on_redis_error: OnRedisError | None = None,
    **options: Any,
) -> RedisRateLimiter | None:
    """A :class:`RedisRateLimiter` for ``WHAUTOCHAT_REDIS_URL``, or None when it is unset.

    ``on_redis_error`` defaults to ``WHAUTOCHAT_REDIS_ON_ERROR``, then ``"fail_closed"``;
    the API key and base URL are resolved as the client does. The limiter owns its Redis
    client: close it with ``await limiter.aclose()`` (or ``async with``).
    """
    env = environment() if environ is None else environ
    url = env.get(REDIS_URL_ENV, "").strip()
    if not url:
        return None
    if on_redis_error is None:
        chosen = env.get(REDIS_ON_ERROR_ENV, "").strip() or "fail_closed"
        if chosen not in ("fail_closed", "fail_open"):
            raise ConfigurationError(
                f"{REDIS_ON_ERROR_ENV} must be 'fail_closed' or 'fail_open', got {chosen!r}",
                variable=REDIS_ON_ERROR_ENV,
            )
        on_redis_error = cast(OnRedisError, chosen)
    _check_url(url)
    return RedisRateLimiter.from_url(
        url,
        api_key=api_key,
        base_url=base_url,
        limit=limit,
        on_redis_error=on_redis_error,
        environ=env,
        **options,
    )


def _check_url(url: str) -> None:
    """Refuse a URL redis-py cannot parse, naming the variable (never quoting its password)."""
    try:
        parse_url(url)
    except ValueError as exc:
        raise ConfigurationError(
            f"{REDIS_URL_ENV} is not a valid Redis URL ({type(exc).__name__})",
            variable=REDIS_URL_ENV,
            remedy="e.g. redis://:password@host:6379/0, rediss://... or unix:///path",
        ) from None
