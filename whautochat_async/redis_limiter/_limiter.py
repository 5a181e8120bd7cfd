"""RedisRateLimiter: the client's RateLimiter protocol over one sorted set in Redis."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Literal, Self

import redis.asyncio as aioredis

from .._config import environment, resolve_api_key, resolve_base_url
from .._validation import MAX_SECONDS
from ..errors import ClientClosedError, RateLimiterUnavailableError
from ..ratelimit import RateLimit, SlidingWindowRateLimiter
from ..ratelimit._registry import shared_limiter
from . import _scripts
from ._books import Books, Op
from ._carry import carry, probe_until_back
from ._grants import Grant, Grants
from ._loop import LoopBinding, drop_connections
from ._options import check_options, pool_busy, redis_from_url
from ._outage import Outage, describe
from ._queue import GrantQueue

__all__ = ["OnRedisError", "RateLimiterUnavailableError", "RedisRateLimiter"]

OnRedisError = Literal["fail_closed", "fail_open"]
_VOID_TTL = 120.0  # how long a call whose answer was lost is barred from a late grant
_DEFAULT_TIMEOUT = 1.0  # seconds one Redis round trip may take
_LINGER = 0.02  # seconds releases wait to share a call (their slots are dated all the same)


def _fallback(
    key: str, url: str, limit: RateLimit, fallback_limit: RateLimit | None
) -> SlidingWindowRateLimiter:
    """The in-process limiter that grants while Redis is down (fail_open)."""
    if fallback_limit is None:
        return shared_limiter(key, url, limit)
    # A share is this process's part of the key's budget during an outage, not a second
    # budget: it is this limiter's own, so a WhautoChat at the key's limit may coexist.
    return SlidingWindowRateLimiter(fallback_limit.requests, fallback_limit.per)


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
        lease: the longest a request may stay in flight (a dead worker's slot frees then).
        probe_interval: the first wait of a fail-open outage's prober (doubling to 30 s).
        fallback_limit: the fail-open limit of this one process, its own (default: the
            key's in-process limiter at ``limit``; set your share of the budget, e.g. 25
            per 60 s for four workers).
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
        seconds = {"timeout": timeout, "lease": lease, "probe_interval": probe_interval}
        fallback, prefix = fallback_limit, key_prefix
        check_options(redis, limit, on_redis_error, fallback, prefix=prefix, seconds=seconds)
        env = environment() if environ is None else environ
        key = resolve_api_key(api_key, env)
        url = str(resolve_base_url(base_url, env, allow_http=True))
        self.limit, self.on_redis_error, self.timeout = limit, on_redis_error, timeout
        self.keys = _scripts.limiter_keys(key, url, key_prefix)
        self._fallback = _fallback(key, url, limit, fallback_limit)
        self._redis, self._owns_redis = redis, False
        self._acquire_script = redis.register_script(_scripts.ACQUIRE)
        self._apply_script = redis.register_script(_scripts.APPLY)
        self._process = secrets.token_hex(6)  # names this limiter's members in the log
        self._calls = itertools.count(1)
        self._asked = 0  # acquire script calls, for the benchmarks
        self._hold = lease + limit.per  # the longest Redis keeps a slot nobody releases
        grace = max(1.0, 2 * timeout)  # how late a waiting process may ask again
        self._acquire_args, self._apply_args = _scripts.arguments(
            limit.requests, limit.per, lease=lease, grace=grace, void_ttl=_VOID_TTL
        )
        self._outage = Outage(first_probe=probe_interval, label=f"rate limiter {self.keys.log}")
        self._clock, self._sleep = clock, sleep
        self._grants = Grants(limit.per)
        linger = min(_LINGER, limit.per / limit.requests / 2)
        self._books = Books(self._apply, clock=clock, sleep=sleep, timeout=timeout, linger=linger)
        self._books.on_landed = self._landed
        self._queue = GrantQueue(self._ask, clock=clock, sleep=sleep, give_back=self._give_back)
        self._prober: asyncio.Task[None] | None = None
        self._closed = False
        self._loop = LoopBinding()

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisRateLimiter:
        """A limiter with a Redis client of its own for ``url``, closed by :meth:`aclose`.

        ``options`` are those of the constructor. redis-py retries a failed command once
        (a connection broken by a Redis restart is reopened), within ``timeout``.
        """
        client = redis_from_url(url, options.get("timeout", _DEFAULT_TIMEOUT))
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

    @property
    def waiting(self) -> int:
        """Callers of this process queued for a slot."""
        return len(self._queue)

    async def acquire(self) -> None:
        """Wait (in arrival order) for a slot in the shared budget and take it.

        A cancelled wait takes nothing, even if the slot was granted meanwhile.

        Raises:
            RateLimiterUnavailableError: Redis failed and the limiter fails closed.
        """
        if self._closed:
            raise ClientClosedError("the rate limiter is closed")
        self._loop.check()
        while True:
            member = None
            if not self._outage.active:
                self._queue.notify_queued(requests=self.limit.requests, per=self.limit.per)
                member = await self._queue.wait()
            if member is not None:
                self._grants.add(Grant(member, fallback=False, expires=self._clock() + self._hold))
                return
            await self._fallback.acquire()  # fail-open during an outage
            if self._outage.active:
                self._grants.add(Grant(None, fallback=True, expires=self._clock() + self._hold))
                return
            self._fallback.release(sent=False)  # Redis is back: wait in its queue instead

    def release(self, *, sent: bool) -> None:
        """End the granted request: ``sent`` holds the slot ``per`` from now, else frees it.

        Never blocks: Redis is told in the background, retried until it lands or the
        slot has expired by itself. After :meth:`aclose` of a limiter from
        :meth:`from_url`, Redis is not told: the slot ends ``lease + per`` after its grant.
        """
        self._loop.check(bind=False)
        grant, now = self._grants.take(), self._clock()
        if grant.fallback:
            self._fallback.release(sent=sent)
            if grant.member is None:
                if sent:
                    self._grants.fallback_finished(now)
                return
        if grant.member is not None and not (self._closed and self._owns_redis):
            finished = now if sent else None
            op = Op("S" if sent else "U", grant.member, expires=grant.expires, finished=finished)
            self._books.add(op)

    async def pause(self, seconds: float) -> None:
        """Grant nothing to any process for ``seconds``; never raises for a Redis failure.

        Returns after the first attempt to tell Redis (retried in the background). After
        :meth:`aclose` of a limiter from :meth:`from_url`, only this process pauses.
        """
        self._loop.check()
        await self._fallback.pause(seconds)
        if self._closed and self._owns_redis:
            return
        attempted = asyncio.Event()
        expires = self._clock() + min(seconds, MAX_SECONDS)  # past it: "until further notice"
        if self._books.add(Op("P", "", expires=expires, attempted=attempted)):
            await attempted.wait()

    async def aclose(self) -> None:
        """Fail queued waiters, give pending releases ``timeout`` to land, close our client."""
        if self._closed:
            return
        if self._loop.dead:  # its tasks ended with it: only the sockets are left
            self._closed = True
            if self._owns_redis:
                drop_connections(self._redis)
                await self._redis.aclose()
            return
        self._loop.check()
        self._closed = True
        await self._queue.close(lambda: ClientClosedError("the rate limiter is closed"), 1.0)
        if self._prober is not None:
            self._prober.cancel()
            await asyncio.wait([self._prober], timeout=1.0)
        await self._books.close(self.timeout)
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

    async def _ask(self, want: int) -> tuple[float, bool]:
        """One acquire script for the queue's ``want`` callers: when to ask again."""
        want, call = min(want, self.limit.requests), next(self._calls)
        tag = f"{self._process}:{call}"
        keys = [self.keys.log, self.keys.paused, self.keys.void, self.keys.waiting]
        args: tuple[str | int, ...] = (self._process, call, want, *self._acquire_args)
        self._asked += 1
        try:
            async with asyncio.timeout(self.timeout):
                granted, wait, own = await self._acquire_script([*keys, self.keys.wants], args)
        except BaseException as exc:
            if pool_busy(exc):  # a borrowed client's pool is full: Redis is not down
                return self.limit.per / self.limit.requests, False
            # Its answer is lost but it may run even so: free what it took, or bar it.
            self._books.add(Op("V", tag, number=want, expires=self._clock() + _VOID_TTL))
            if not isinstance(exc, Exception):
                raise  # cancelled: aclose() is stopping the queue
            self._redis_failed(exc)  # any failure, so that no waiter is left hanging
            return 0.0, False
        members = [f"{tag}:{n}" for n in range(1, int(granted) + 1)]
        if self._closed:  # closed while asking (redis-py may swallow the cancellation)
            for member in members:
                self._give_back(member)
            return 0.0, False
        self._queue.hand_out(members)
        return int(wait) / 1_000_000 + (self.limit.per if own else 0.0), bool(own)

    def _redis_failed(self, exc: BaseException) -> None:
        """Fail the queued callers (fail_closed), or send them to the fallback (fail_open)."""
        if self.on_redis_error == "fail_closed":
            self._queue.answer_all(lambda: _unavailable(exc))
            return
        self._outage.failed(exc)
        if self._prober is None or self._prober.done():
            prober = probe_until_back(self._outage, self._probe, sleep=self._sleep)
            self._prober = asyncio.get_running_loop().create_task(prober)
        self._queue.answer_all(None)

    async def _probe(self) -> None:
        async with asyncio.timeout(self.timeout):
            # The fallback grants on while a carry is on its way: carry those too, until one
            # finds nothing more (the outage ends with no await after it).
            while await self._carry_once():
                pass

    async def _carry_once(self) -> int:
        tag, hold = f"{self._process}:c{next(self._calls)}", self._hold
        return await carry(self._apply, self._grants, tag=tag, clock=self._clock, hold=hold)

    async def _apply(self, arguments: list[Any]) -> None:
        keys = [self.keys.log, self.keys.paused, self.keys.void]
        await self._apply_script(keys, (*self._apply_args, *arguments))

    def _give_back(self, member: str) -> None:
        self._books.add(Op("U", member, expires=self._clock() + self._hold))

    def _landed(self, batch: list[Op], late: float) -> None:
        """Releases reached Redis: tell the queue when their slots free, or that one did."""
        for op in batch:
            if op.kind == "S" and op.finished is not None:
                # Redis dated it at most `late` after its finish (the trip there and back).
                self._queue.hint(op.finished + self.limit.per + late)
            elif op.kind in "UV":
                self._queue.poke()


def _unavailable(cause: BaseException) -> RateLimiterUnavailableError:
    error = RateLimiterUnavailableError(
        f"the shared rate limiter's Redis is unavailable ({describe(cause)}); "
        "no request was sent (on_redis_error='fail_closed')"
    )
    error.__cause__ = cause
    return error
