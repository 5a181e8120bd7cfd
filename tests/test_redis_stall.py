"""RedisRateLimiter when Redis stalls or goes away: no slot held past the stall, one prober
with a doubling back-off, and the fallback's grants carried into Redis on return."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

import pytest
import redis.asyncio as aioredis

from whautochat_async import RateLimit
from whautochat_async.redis_limiter import RateLimiterUnavailableError

from .redis_server import RedisServer
from .redis_server import from_url_limiter as limiter
from .virtual_time import VirtualTime


async def until(condition: Any, limit: float = 3.0) -> None:
    """Wait (really: Redis runs in real time) until ``condition()`` holds."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def redis_now(client: aioredis.Redis) -> int:
    seconds, micros = await client.time()
    return seconds * 1_000_000 + micros


async def test_a_stall_leaks_no_slot_beyond_the_stall(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, requests=5, per=5.0, timeout=0.2) as shared:
        await shared.acquire()
        await shared.acquire()
        stall = asyncio.create_task(
            asyncio.to_thread(redis_server.command, "DEBUG", "SLEEP", "0.8")
        )
        await asyncio.sleep(0.1)  # Redis sleeps: every command waits
        shared.release(sent=False)  # cannot land now: retried in the background
        shared.release(sent=True)
        calls = [asyncio.create_task(shared.acquire()) for _ in range(3)]
        for call in calls:  # the script was sent; its answer comes too late
            with pytest.raises(RateLimiterUnavailableError):
                await call
        await stall
        await until(lambda: len(shared._books) == 0)  # the void and releases landed
        entries: Any = await redis_client.zrange(shared.keys.log, 0, -1, withscores=True)
        assert len(entries) == 1  # only the sent request, dated from its finish
        assert entries[0][1] <= await redis_now(redis_client)  # not held for the lease


async def test_releases_during_an_outage_land_when_redis_returns(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, requests=5, per=5.0, timeout=0.2) as shared:
        await shared.acquire()
        redis_server.stop()
        shared.release(sent=False)  # fails, and is retried without blocking anyone
        await asyncio.sleep(0.3)
        assert len(shared._books) == 1
        redis_server.start()  # Redis comes back with its data (the same process image)
        await until(lambda: len(shared._books) == 0)


async def test_returning_from_fail_open_carries_the_fallbacks_grants_into_redis(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    options = {"on_redis_error": "fail_open", "probe_interval": 0.1, "timeout": 0.2}
    async with (
        limiter(redis_server, api_key, requests=4, per=10.0, **options) as shared,
        limiter(redis_server, api_key, requests=4, per=10.0) as other,
    ):
        redis_server.stop()
        for _ in range(3):
            await shared.acquire()  # the fallback grants them
        assert shared.degraded
        shared.release(sent=True)
        shared.release(sent=True)  # one stays in flight
        redis_server.start()
        await until(lambda: not shared.degraded)  # one probe finds Redis and carries them
        assert await redis_client.zcard(shared.keys.log) == 3
        await asyncio.wait_for(other.acquire(), 1.0)  # the budget's one slot left...
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(other.acquire(), 0.3)  # ...and no second budget
        shared.release(sent=False)  # the carried in-flight grant is released in Redis too
        await until(lambda: len(shared._books) == 0)
        assert await redis_client.zcard(shared.keys.log) == 3  # 2 carried + other's
        other.release(sent=False)


async def test_one_prober_backs_off_per_probe_and_returns_after_one_interval(
    redis_server: RedisServer, api_key: str
) -> None:
    clock = VirtualTime()
    options = {"on_redis_error": "fail_open", "clock": clock.clock, "sleep": clock.sleep}
    async with limiter(redis_server, api_key, requests=100, per=60.0, **options) as shared:
        probes: list[float] = []
        failed = shared._outage.failed

        def record(error: BaseException) -> None:
            probes.append(clock.now)
            failed(error)

        shared._outage.failed = record
        redis_server.stop()
        await asyncio.gather(*(shared.acquire() for _ in range(16)))  # all at once
        assert shared.degraded
        while len(probes) < 8:  # fire timers (probes and retried voids) one by one
            count, attempts = len(probes), shared._books.calls
            await clock.advance()
            await until(lambda c=count, a=attempts: len(probes) > c or shared._books.calls > a)
            await asyncio.sleep(0.02)  # a retried void fails on a refused connection
        gaps = [round(b - a, 3) for a, b in itertools.pairwise(probes)]
        assert gaps == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]  # 16 failures, one back-off
        redis_server.start()
        while shared.degraded:
            await clock.advance()
            await asyncio.sleep(0.05)
        assert clock.now - probes[-1] == 30.0  # the next probe found it
        for _ in range(16):
            shared.release(sent=True)


async def test_fallback_waiters_join_the_redis_queue_when_redis_returns(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    options = {"on_redis_error": "fail_open", "probe_interval": 0.1, "timeout": 0.2}
    fallback = RateLimit(3, 10.0)  # more than the shared budget's room when Redis returns
    async with limiter(redis_server, api_key, 2, 10.0, fallback_limit=fallback, **options) as lim:
        redis_server.stop()
        for _ in range(3):
            await lim.acquire()  # the fallback grants them
        waiter = asyncio.create_task(lim.acquire())  # queued in the full fallback
        await asyncio.sleep(0.05)
        redis_server.start()
        await until(lambda: not lim.degraded)  # the 3 in flight are carried into Redis
        lim.release(sent=False)  # frees a fallback slot; Redis still holds 2 of 2
        with pytest.raises(TimeoutError):  # the fallback must not grant it past Redis
            await asyncio.wait_for(asyncio.shield(waiter), 0.3)
        assert await redis_client.zcard(lim.keys.log) <= 2
        lim.release(sent=False)  # now Redis has room: its queue grants the waiter
        await asyncio.wait_for(waiter, 1.0)
        assert not lim._grants.to_carry(0.0)[0]  # no grant of the fallback outstanding
        assert await redis_client.zcard(lim.keys.log) == 2
        lim.release(sent=False)
        lim.release(sent=False)


async def test_grants_the_fallback_makes_while_the_carry_is_on_its_way_are_carried_too(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    options = {"on_redis_error": "fail_open", "probe_interval": 0.1, "timeout": 0.2}
    async with limiter(redis_server, api_key, requests=4, per=10.0, **options) as shared:
        redis_server.stop()
        await shared.acquire()  # the fallback grants it
        apply, late = shared._apply, []

        async def apply_while_granting(arguments: list[Any]) -> None:
            if not late:  # the first carry: one more grant while it is in flight
                late.append(asyncio.create_task(shared.acquire()))
                await asyncio.sleep(0)
            await apply(arguments)

        shared._apply = apply_while_granting
        redis_server.start()
        await until(lambda: not shared.degraded)
        await late[0]
        assert await redis_client.zcard(shared.keys.log) == 2  # both in Redis's window
        shared.release(sent=False)
        shared.release(sent=False)
        await until(lambda: len(shared._books) == 0)
        assert await redis_client.zcard(shared.keys.log) == 0  # both released there too
