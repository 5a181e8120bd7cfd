"""RedisRateLimiter: the client's RateLimiter protocol over one sorted set in Redis."""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Literal, Self

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError

from .._config import environment, resolve_api_key, resolve_base_url
from .._validation import MAX_SECONDS, check_number
from ..errors import ClientClosedError, ConfigurationError, RateLimiterUnavailableError
from ..ratelimit import RateLimit
from ..ratelimit._registry import shared_limiter
from . import _scripts
from ._grants import Grants
from ._outage import Outage, describe

__all__ = ["OnRedisError", "RateLimiterUnavailableError", "RedisRateLimiter"]

logger = logging.getLogger("whautochat_async")

OnRedisError = Literal["fail_closed", "fail_open"]
_FAILURES = (RedisError, OSError)  # OSError covers TimeoutError (our own timeout)
_VOID_TTL = 120.0  # how long an abandoned acquire is barred from a late grant
_DEFAULT_TIMEOUT = 1.0  # seconds one Redis round trip may take


class RedisRateLimiter:
    """At most ``limit.requests`` in any ``limit.per`` seconds across every process using it.

    Args:
        redis: an asyncio Redis client to borrow (never closed); or use :meth:`from_url`.
        api_key, base_url: the budget's owner, resolved like :class:`WhautoChat` does
            (arguments, then ``WHAUTOCHAT_API_KEY`` / ``WHAUTOCHAT_BASE_URL``).
        limit: the same :class:`RateLimit` on every worker (default 100 per 60 s).
        on_redis_error: ``"fail_closed"`` (default: raise
            :class:`RateLimiterUnavailableError`) or ``"fail_open"`` (this process's
            in-process limiter, ``fallback_limit``, until Redis answers again).
        timeout: seconds one Redis round trip may take before Redis counts as failing.
        lease: the longest a request may stay in flight; a worker that dies mid-request
            frees its slot ``lease + per`` seconds after the grant.
        probe_interval: during a fail-open outage, first wait before trying Redis again
            (doubling, at most 30 s).
        fallback_limit: the fail-open limit of this one process (default ``limit``: set
            your share of the budget, e.g. 25 per 60 s for four workers).
        key_prefix: the namespace of the Redis keys.
        environ, clock, sleep: seams for tests (environment, monotonic clock, sleep).
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        limit: RateLimit = RateLimit(),  # noqa: B008 - frozen
        on_redis_error: OnRedisError = "fail_closed",
        timeout: float = _DEFAULT_TIMEOUT,
        lease: float = 300.0,
        probe_interval: float = 1.0,
        fallback_limit: RateLimit | None = None,
        key_prefix: str = _scripts.DEFAULT_PREFIX,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        _check_options(limit, on_redis_error, timeout=timeout, lease=lease, probe=probe_interval)
        env = environment() if environ is None else environ
        key = resolve_api_key(api_key, env)
        url = str(resolve_base_url(base_url, env, allow_http=True))
        self.limit, self.on_redis_error, self.timeout = limit, on_redis_error, timeout
        self.keys = _scripts.limiter_keys(key, url, key_prefix)
        self._fallback = shared_limiter(key, url, fallback_limit or limit)
        self._redis, self._owns_redis = redis, False
        self._acquire_script = redis.register_script(_scripts.ACQUIRE)
        self._release_script = redis.register_script(_scripts.RELEASE)
        self._void_script = redis.register_script(_scripts.VOID)
        self._pause_script = redis.register_script(_scripts.PAUSE)
        self._acquire_args = (limit.requests, _micros(limit.per), _micros(lease))
        label = f"rate limiter {self.keys.log}"
        self._outage = Outage(first_probe=probe_interval, clock=clock, label=label)
        self._sleep = sleep
        self._grants = Grants()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisRateLimiter:
        """A limiter with a Redis client of its own for ``url``, closed by :meth:`aclose`.

        ``options`` are those of the constructor. redis-py retries a failed command once
        (a connection broken by a Redis restart is reopened), within ``timeout``.
        """
        timeout = options.get("timeout", _DEFAULT_TIMEOUT)
        try:
            client = aioredis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
            )
        except ValueError as exc:  # the message may quote the URL, and its password
            raise ConfigurationError(f"invalid Redis URL ({type(exc).__name__})") from None
        limiter = cls(client, **options)  # if this raises, nothing was connected yet
        limiter._owns_redis = True
        return limiter

    def __repr__(self) -> str:
        limit = f"{self.limit.requests} per {self.limit.per}s"
        return f"<RedisRateLimiter {limit} key={self.keys.log!r} {self.on_redis_error}>"

    @property
    def degraded(self) -> bool:
        """Whether Redis is down and this process is on its own limiter (fail-open only)."""
        return self._outage.active

    async def acquire(self) -> None:
        """Wait for a slot in the shared budget and take it; a cancelled wait takes nothing.

        Raises:
            RateLimiterUnavailableError: Redis failed and the limiter fails closed.
        """
        if self._closed:
            raise ClientClosedError("the rate limiter is closed")
        while True:
            if not self._outage.use_redis():
                await self._fallback.acquire()
                self._grants.add(None)
                return
            member = secrets.token_hex(12)
            wait = await self._ask_redis(member)  # None: Redis failed, fail open (loop)
            if wait == 0:
                self._grants.add(member)
                return
            if wait is not None and self._tasks:
                await asyncio.wait(list(self._tasks))  # our releases first, then ask again
            elif wait is not None:
                await self._sleep(max(wait, 0) / 1_000_000)

    def release(self, *, sent: bool) -> None:
        """End the granted request: ``sent`` holds the slot ``per`` from now, else frees it.

        After :meth:`aclose` of a limiter from :meth:`from_url`, Redis is not told (its
        client is closed): the slot stays held until ``lease + per`` after its grant.
        """
        grant = self._grants.take()
        if grant.member is None:
            self._fallback.release(sent=sent)
        else:
            args = (grant.member, 1 if sent else 0, self._acquire_args[1])
            self._spawn(self._run(self._release_script, [self.keys.log], args, "release"))

    async def pause(self, seconds: float) -> None:
        """Grant nothing to any process for ``seconds``; never raises for a Redis failure.

        After :meth:`aclose` of a limiter from :meth:`from_url`, only this process pauses
        (its Redis client is closed).
        """
        await self._fallback.pause(seconds)
        # A pause past MAX_SECONDS is "until further notice": clipped, so it stays an int.
        milliseconds = max(math.ceil(min(seconds, MAX_SECONDS) * 1000), 1)
        args = (milliseconds,)
        task = self._spawn(self._run(self._pause_script, [self.keys.paused], args, "pause"))
        if task is not None:  # a task, so that aclose() waits for it before closing Redis
            await task

    async def aclose(self) -> None:
        """Finish pending releases, then close the Redis client if it is ours. Idempotent."""
        if self._closed:
            return
        self._closed = True
        while self._tasks:  # also those spawned meanwhile (a borrowed client allows them)
            pending = list(self._tasks)
            await asyncio.gather(*pending, return_exceptions=True)
            # Drop them here: a task that finished before gather() has its discard callback
            # still queued, and gather() of finished tasks returns without yielding to the
            # loop, so waiting for the callback would spin forever.
            self._tasks.difference_update(pending)
        if self._owns_redis:
            await self._redis.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _ask_redis(self, member: str) -> int | None:
        """Microseconds to wait (0: granted), or None when Redis failed and we fail open."""
        keys = [self.keys.log, self.keys.paused, self.keys.void]
        try:
            async with asyncio.timeout(self.timeout):
                wait = int(await self._acquire_script(keys, (member, *self._acquire_args)))
        except BaseException as exc:
            # The script may have run even so: give the slot back, or bar a late grant.
            void_args = (member, _micros(_VOID_TTL))
            void_keys = [self.keys.log, self.keys.void]
            self._spawn(self._run(self._void_script, void_keys, void_args, "void"))
            if not isinstance(exc, _FAILURES):
                raise
            if self.on_redis_error == "fail_closed":
                raise RateLimiterUnavailableError(
                    f"the shared rate limiter's Redis is unavailable ({describe(exc)}); "
                    "no request was sent (on_redis_error='fail_closed')"
                ) from exc
            self._outage.failed(exc)
            return None
        self._outage.recovered()
        return wait

    async def _run(
        self, script: AsyncScript, keys: list[str], args: tuple[Any, ...], what: str
    ) -> None:
        """Run a bookkeeping script; a failure only costs a slot until its lease ends."""
        try:
            async with asyncio.timeout(self.timeout):
                await script(keys, args)
        except _FAILURES as exc:
            logger.debug("%r: %s failed in Redis (%s)", self, what, describe(exc))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
        """Run ``coroutine`` in the background (release() is synchronous), tracked for aclose.

        Once closed, a limiter with its own Redis client drops it rather than reopen that
        client (the slot stays held until its lease ends), as it does without a loop.
        """
        if self._closed and self._owns_redis:
            coroutine.close()
            return None
        try:
            task = asyncio.get_running_loop().create_task(coroutine)
        except RuntimeError:  # no loop: the slot stays held until its lease ends
            coroutine.close()
            return None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _micros(seconds: float) -> int:
    return max(math.ceil(seconds * 1_000_000), 1)


def _check_options(
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
