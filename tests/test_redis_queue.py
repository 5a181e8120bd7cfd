"""RedisRateLimiter under a crowd: one queue per process, FIFO, one Redis call in flight,
no pool exhaustion, and cancellation honoured at every await point of acquire()."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
import redis.asyncio as aioredis

from whautochat_async import RateLimit, WhautoChat
from whautochat_async.errors import QueueTimeoutError
from whautochat_async.ratelimit import LimiterWait, on_limiter_wait
from whautochat_async.redis_limiter import RedisRateLimiter
from whautochat_async.testing import FakeWhautoChat

from .redis_server import LIMITER_BASE_URL as BASE_URL
from .redis_server import RedisServer
from .redis_server import from_url_limiter as limiter


async def evalsha_calls(client: aioredis.Redis) -> int:
    stats: Any = await client.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


async def test_200_concurrent_acquires_are_granted_in_order_with_few_redis_calls(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    order: list[int] = []

    async def call(number: int, shared: RedisRateLimiter) -> None:
        await shared.acquire()
        order.append(number)
        shared.release(sent=True)

    async with limiter(redis_server, api_key, requests=100, per=0.2) as shared:
        await redis_client.config_resetstat()
        results = await asyncio.gather(
            *(call(n, shared) for n in range(200)), return_exceptions=True
        )
        assert [r for r in results if r is not None] == []  # 0 errors (the pool was 100)
        assert order == list(range(200))  # first come, first served
        assert shared._asked <= 10  # a call per batch, not one per waiter
    assert await evalsha_calls(redis_client) <= 20  # releases go in batches too


async def test_a_borrowed_client_with_a_tiny_busy_pool_is_never_an_outage(
    redis_server: RedisServer, api_key: str
) -> None:
    client = aioredis.Redis.from_url(redis_server.url, max_connections=1)
    options = {"on_redis_error": "fail_closed", "environ": {}}
    async with RedisRateLimiter(
        client, api_key=api_key, base_url=BASE_URL, limit=RateLimit(100, 0.2), **options
    ) as shared:
        holder = asyncio.create_task(client.blpop(["nothing"], timeout=0.3))  # takes the pool
        await asyncio.sleep(0.05)
        results = await asyncio.gather(*(shared.acquire() for _ in range(60)))
        assert len(results) == 60  # no RateLimiterUnavailableError: the pool was only busy
        assert holder.done()
        for _ in range(60):
            shared.release(sent=False)
    await client.aclose()


async def test_cancelled_while_queued_behind_others_takes_nothing(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, requests=1, per=10.0) as shared:
        await shared.acquire()
        queued = [asyncio.create_task(shared.acquire()) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert shared.waiting == 3
        queued[1].cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued[1]
        assert shared.waiting == 2
        shared.release(sent=False)  # frees the slot: the first waiter, not the second, gets it
        await asyncio.wait_for(queued[0], 1.0)
        assert not queued[2].done()
        queued[2].cancel()
        await asyncio.gather(queued[2], return_exceptions=True)
        shared.release(sent=False)
        await shared._books.close(1.0)
        assert await redis_client.zcard(shared.keys.log) == 0


async def test_cancelled_while_redis_runs_the_call_raises_and_keeps_no_slot(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, requests=3, per=10.0, timeout=5.0) as shared:
        await shared.pause(0.001)  # connected
        redis_server.command("CLIENT", "PAUSE", "300")  # the call waits inside Redis
        tasks = [asyncio.create_task(shared.acquire()) for _ in range(3)]
        await asyncio.sleep(0.1)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with pytest.raises(asyncio.CancelledError):
                await task
        await asyncio.sleep(0.4)  # Redis answers: the grants nobody waits for go back
        await shared._books.close(1.0)
        assert await redis_client.zcard(shared.keys.log) == 0
        assert len(shared._grants) == 0


async def test_cancelled_in_the_same_step_as_its_grant_gives_the_slot_back(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, requests=3, per=10.0) as shared:
        task = asyncio.create_task(shared.acquire())
        hand_out = shared._queue.hand_out

        def hand_out_then_cancel(members: list[str]) -> None:
            hand_out(members)  # the waiter's future now holds a member...
            task.cancel()  # ...and the cancellation arrives before the task resumes

        shared._queue.hand_out = hand_out_then_cancel  # type: ignore[method-assign]
        with pytest.raises(asyncio.CancelledError):
            await task
        await shared._books.close(1.0)
        assert await redis_client.zcard(shared.keys.log) == 0
        assert len(shared._grants) == 0


async def test_cancelled_in_the_fail_open_fallback_takes_nothing(
    redis_server: RedisServer, api_key: str
) -> None:
    fallback = RateLimit(1, 10.0)
    options = {"on_redis_error": "fail_open", "fallback_limit": fallback, "timeout": 0.2}
    async with limiter(redis_server, api_key, requests=5, per=10.0, **options) as shared:
        redis_server.stop()
        await shared.acquire()  # Redis fails: the fallback grants its one slot
        assert shared.degraded
        waiting = asyncio.create_task(shared.acquire())  # waits in the fallback
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        shared.release(sent=False)
        await asyncio.wait_for(shared.acquire(), 0.5)  # the cancelled one took no slot
        shared.release(sent=False)


async def test_aclose_fails_queued_callers_and_gives_their_grants_back(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    shared = limiter(redis_server, api_key, requests=1, per=10.0)
    await shared.acquire()
    queued = asyncio.create_task(shared.acquire())
    await asyncio.sleep(0.05)
    shared.release(sent=False)
    await shared.aclose()
    with pytest.raises(Exception, match="closed"):
        await queued
    assert await redis_client.zcard(shared.keys.log) == 0


async def test_a_cancellation_swallowed_inside_a_redis_call_leaks_nothing(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    shared = limiter(redis_server, api_key, requests=3, per=10.0)
    real = shared._acquire_script

    async def swallowing(keys: Any, args: Any) -> Any:
        with contextlib.suppress(asyncio.CancelledError):  # lost, as redis-py may do
            await asyncio.sleep(0.2)  # the command is in flight
        return await real(keys, args)  # the command completes and grants

    shared._acquire_script = swallowing
    caller = asyncio.create_task(shared.acquire())
    await asyncio.sleep(0.05)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller  # the caller never waits on the command: its cancellation holds
    await asyncio.sleep(0.3)
    closed_on = asyncio.create_task(shared.acquire())
    await asyncio.sleep(0.05)
    await shared.aclose()  # cancels the queue's task mid-command: swallowed, then handled
    with pytest.raises(Exception, match="closed"):
        await closed_on
    assert await redis_client.zcard(shared.keys.log) == 0


async def test_shares_go_to_the_process_still_waiting_when_another_gives_up(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with (
        limiter(redis_server, api_key, requests=4, per=10.0) as first,
        limiter(redis_server, api_key, requests=4, per=10.0) as second,
    ):
        for _ in range(4):
            await second.acquire()  # second holds the whole window
        gave_up = [asyncio.create_task(first.acquire()) for _ in range(3)]
        waiting = [asyncio.create_task(second.acquire()) for _ in range(2)]
        await asyncio.sleep(0.1)  # both processes are registered as waiting
        for task in gave_up:
            task.cancel()
        await asyncio.gather(*gave_up, return_exceptions=True)
        for _ in range(100):  # first tells Redis at once that it no longer waits
            if not await redis_client.hexists(first.keys.wants, first._process):
                break
            await asyncio.sleep(0.02)
        second.release(sent=False)
        second.release(sent=False)
        await asyncio.wait_for(asyncio.gather(*waiting), 1.0)  # not capped at half
        for _ in range(4):
            second.release(sent=False)


async def test_a_queued_caller_tells_its_wait_listeners_its_place_and_wait(
    redis_server: RedisServer, api_key: str
) -> None:
    heard: list[LimiterWait] = []
    async with limiter(redis_server, api_key, requests=2, per=5.0) as shared:
        await shared.acquire()
        await shared.acquire()  # the window is full, nobody waits: no wait was heard
        assert heard == []
        with on_limiter_wait(heard.append):
            calls = [asyncio.create_task(shared.acquire()) for _ in range(3)]
            await asyncio.sleep(0.3)  # Redis named when to ask again: the queue naps
            late = asyncio.create_task(shared.acquire())
            await asyncio.sleep(0.05)
        assert [wait.ahead for wait in heard] == [1, 2, 3]  # the first queued behind nobody
        assert [wait.seconds for wait in heard[:2]] == [0.0, 5.0]  # it asks at once
        assert 9.0 < heard[-1].seconds <= 10.0  # the next ask (<= per) and a window more
        for task in [*calls, late]:
            task.cancel()
        await asyncio.gather(*calls, late, return_exceptions=True)
        shared.release(sent=False)
        shared.release(sent=False)


async def test_a_queue_timeout_with_the_redis_limiter_says_how_many_were_ahead(
    redis_server: RedisServer, api_key: str
) -> None:
    async with (
        FakeWhautoChat(api_key=api_key) as fake,
        limiter(redis_server, api_key, requests=1, per=5.0) as shared,
        WhautoChat(
            api_key, base_url=fake.url, environ={}, rate_limit=shared, timeout=0.3
        ) as client,
    ):
        results = await asyncio.gather(
            *(client.webhooks.list(limit=1) for _ in range(3)), return_exceptions=True
        )
    errors = [result for result in results if isinstance(result, QueueTimeoutError)]
    assert [error.ahead for error in errors] == [1, 2]
    assert "1 call was ahead of it" in str(errors[0])
