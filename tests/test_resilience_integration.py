"""Rate limiting and cancellation over loopback: no 429 reaches the caller, nothing leaks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from whautochat_async import (
    DeadlineExceededError,
    RateLimit,
    RetryPolicy,
    SlidingWindowRateLimiter,
    WhautoChat,
)
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .test_fault_matrix import NEW, acquired_connections


@pytest.fixture
async def no_task_left() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - {asyncio.current_task()} == set()


def limiter_of(client: WhautoChat) -> SlidingWindowRateLimiter:
    limiter = client.rate_limiter
    assert isinstance(limiter, SlidingWindowRateLimiter)
    return limiter


@pytest.mark.usefixtures("no_task_left")
async def test_a_burst_of_200_calls_meets_no_429_at_all() -> None:
    """The client limiter matches the server's 20 per 0.5 s: the server refuses nothing."""
    async with FakeWhautoChat(api_key=API_KEY, rate_limit=(20, 0.5)) as fake:
        limit = RateLimit(requests=20, per=0.5)
        async with WhautoChat(API_KEY, base_url=fake.url, rate_limit=limit, environ={}) as client:
            calls: list[Awaitable[Any]] = [client.webhooks.list() for _ in range(160)]
            calls += [client.webhooks.create(**NEW) for _ in range(40)]
            started = time.monotonic()
            results = await asyncio.gather(*calls, return_exceptions=True)
            elapsed = time.monotonic() - started
        errors = [r for r in results if isinstance(r, BaseException)]
        print(f"\n200 calls, {fake.rejected_count} 429s at the server, {elapsed:.2f}s")
        assert errors == []
        assert fake.rejected_count == 0
        assert fake.request_count == 200  # not one retry was needed
        assert len(fake.webhooks) == 40
        assert elapsed >= (200 / 20 - 1) * 0.5  # the limiter did hold the calls back


@pytest.mark.usefixtures("no_task_left")
async def test_quota_spent_makes_the_client_wait_for_the_reset_not_a_429() -> None:
    """A generous client limit; the server's Remaining: 0 + reset alone paces the calls."""
    async with FakeWhautoChat(api_key=API_KEY, rate_limit=(5, 0.2)) as fake:
        limit = RateLimit(requests=1000, per=1.0)
        async with WhautoChat(API_KEY, base_url=fake.url, rate_limit=limit, environ={}) as client:
            started = time.monotonic()
            for _ in range(30):
                await client.webhooks.list()
            elapsed = time.monotonic() - started
        assert (fake.rejected_count, fake.request_count) == (0, 30)
        assert elapsed >= 5 * 0.2


@pytest.mark.usefixtures("no_task_left")
async def test_the_deadline_covers_the_wait_for_the_limiter() -> None:
    async with FakeWhautoChat(api_key=API_KEY) as fake:
        one = SlidingWindowRateLimiter(1, 60.0)  # not the registry's: the port may recur
        async with WhautoChat(
            API_KEY, base_url=fake.url, timeout=0.3, rate_limit=one, environ={}
        ) as client:
            await client.webhooks.list()
            started = time.monotonic()
            with pytest.raises(DeadlineExceededError, match="waiting for the rate limiter"):
                await client.webhooks.list()
            assert time.monotonic() - started < 0.3 + 0.2
            assert one.used == 1
        assert fake.request_count == 1


async def first_page(client: WhautoChat) -> Any:
    return await client.webhooks.list()


async def cancel_when(task: asyncio.Task[Any], ready: Callable[[], bool]) -> None:
    for _ in range(500):
        if ready():
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


Setup = Callable[[FakeWhautoChat, WhautoChat], Awaitable[Callable[[], bool]]]


async def wait_on_limiter(fake: FakeWhautoChat, client: WhautoChat) -> Callable[[], bool]:
    await client.webhooks.list()  # takes the only slot
    return lambda: True


async def in_flight(fake: FakeWhautoChat, client: WhautoChat) -> Callable[[], bool]:
    fake.faults.latency(5.0)
    return lambda: fake.in_flight == 1


async def in_backoff(fake: FakeWhautoChat, client: WhautoChat) -> Callable[[], bool]:
    fake.faults.status(503, retry_after=3)
    return lambda: len(fake.requests) == 1


@pytest.mark.usefixtures("no_task_left")
@pytest.mark.parametrize(
    "setup", [wait_on_limiter, in_flight, in_backoff], ids=lambda f: f.__name__
)
async def test_cancelling_a_call_at_any_point_leaks_nothing(setup: Setup) -> None:
    limit = SlidingWindowRateLimiter(1, 60.0)
    retry = RetryPolicy(max_wait=5.0)
    async with (
        FakeWhautoChat(api_key=API_KEY) as fake,
        WhautoChat(API_KEY, base_url=fake.url, rate_limit=limit, retry=retry, environ={}) as client,
    ):
        ready = await setup(fake, client)
        task = asyncio.create_task(first_page(client))
        started = time.monotonic()
        await cancel_when(task, ready)
        assert time.monotonic() - started < 1.0
        assert (limit.used, limit.in_flight) == (1, 0)  # only the request that was sent
        assert fake.request_count + fake.in_flight == 1
        assert acquired_connections(client) == 0
