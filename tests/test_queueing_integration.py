"""Bulk work at the rate limit over real sockets: queueing is not failing.

The defaults pair a 60 s deadline with a 100-per-60-s limit. These tests keep that
ratio at a small scale (a deadline as long as the limiter's window) so they run in a
fraction of a second per window, with the same default timeout model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from whautochat_async import (
    DeadlineExceededError,
    InvalidInputError,
    QueueTimeoutError,
    RateLimit,
    SlidingWindowRateLimiter,
    Timeout,
    WebhookSpec,
    WhautoChat,
)
from whautochat_async.testing import FakeWhautoChat

WINDOW = 0.4
LIMIT = RateLimit(4, WINDOW)


@pytest.fixture
async def fake(api_key: str) -> AsyncIterator[FakeWhautoChat]:
    """A server that enforces the same limit: any excess would be a 429."""
    async with FakeWhautoChat(api_key=api_key, rate_limit=(LIMIT.requests, WINDOW)) as server:
        yield server


def client_for(fake: FakeWhautoChat, api_key: str, **options: object) -> WhautoChat:
    options.setdefault("rate_limit", LIMIT)
    options.setdefault("timeout", Timeout(deadline=WINDOW))  # the default model, scaled
    return WhautoChat(api_key, base_url=fake.url, environ={}, **options)  # type: ignore[arg-type]


async def create(client: WhautoChat, number: int) -> str:
    hook = await client.webhooks.create(
        name=f"hook-{number:03d}", server_url="https://e.com/h", events=["contact_created"]
    )
    return hook.name


async def test_a_gather_of_many_creates_all_succeed_at_the_rate_limit(
    fake: FakeWhautoChat, api_key: str
) -> None:
    """Three windows' worth through gather, deadline == window: no call fails.

    The previous model charged the queue to the deadline, so every call after the first
    four waited a window or more and died with DeadlineExceededError (checked against the
    old code: 8 of the 12 failed).
    """
    async with client_for(fake, api_key) as client:
        results = await asyncio.gather(
            *(create(client, n) for n in range(12)), return_exceptions=True
        )
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert (fake.request_count, fake.rejected_count, len(fake.webhooks)) == (12, 0, 12)


async def test_a_loop_of_calls_queues_without_failing(fake: FakeWhautoChat, api_key: str) -> None:
    async with client_for(fake, api_key) as client:
        for number in range(9):
            await create(client, number)
    assert (fake.request_count, fake.rejected_count) == (9, 0)


async def test_a_sync_reports_its_waits_and_writes_everything(
    fake: FakeWhautoChat, api_key: str
) -> None:
    specs = [
        WebhookSpec(name=f"s-{n}", server_url="https://e.com/h", events=("contact_created",))
        for n in range(12)
    ]
    waits: list[float] = []
    async with client_for(fake, api_key) as client:
        report = await client.webhooks.sync(specs, concurrency=6, on_wait=waits.append)
    assert report.ok, report.failures
    assert report.summary().startswith("12 created")
    assert waits  # it had to queue: 12 writes (plus the listing) at 4 per window
    assert all(0 <= seconds <= 4 * WINDOW for seconds in waits)
    assert fake.rejected_count == 0


async def test_a_number_timeout_bounds_the_queue_too_and_says_so(
    fake: FakeWhautoChat, api_key: str
) -> None:
    one = SlidingWindowRateLimiter(1, 60.0)
    await one.acquire()  # another caller holds the only slot
    async with client_for(fake, api_key, rate_limit=one, timeout=0.1) as client:
        second, third = await asyncio.gather(
            *(create(client, n) for n in range(2)), return_exceptions=True
        )
    assert isinstance(second, QueueTimeoutError)
    assert isinstance(third, QueueTimeoutError)
    assert isinstance(second, DeadlineExceededError)  # callers catching the parent still do
    assert (second.ahead, third.ahead) == (0, 1)
    assert second.request_sent is False
    assert second.waited >= 0.1 - 0.02
    assert "never left this process" in str(third)
    assert "1 call was ahead of it" in str(third)
    assert "0 calls were ahead of it" in str(second)
    assert "queued 0.1" in str(third)
    assert (fake.request_count, one.in_flight, one.waiting) == (0, 1, 0)


async def test_an_explicit_timeout_may_include_the_queue(
    fake: FakeWhautoChat, api_key: str
) -> None:
    one = SlidingWindowRateLimiter(1, 60.0)
    timeout = Timeout(deadline=0.1, include_queue=True)
    await one.acquire()  # another caller holds the only slot
    async with client_for(fake, api_key, rate_limit=one, timeout=timeout) as client:
        with pytest.raises(QueueTimeoutError, match="waiting for the rate limiter"):
            await create(client, 1)


async def test_the_deadline_still_bounds_a_call_once_it_is_under_way(
    fake: FakeWhautoChat, api_key: str
) -> None:
    fake.latency = 5.0
    async with client_for(fake, api_key, timeout=Timeout(deadline=0.1)) as client:
        with pytest.raises(DeadlineExceededError) as raised:
            await client.webhooks.list()
    assert not isinstance(raised.value, QueueTimeoutError)


async def test_on_wait_must_be_callable(client: WhautoChat) -> None:
    with pytest.raises(InvalidInputError, match="on_wait must be callable"):
        await client.webhooks.sync([], on_wait=3)  # type: ignore[arg-type]


async def test_a_crowd_reaches_the_server_in_the_order_it_asked(
    fake: FakeWhautoChat, api_key: str
) -> None:
    """One slot at a time: each create is sent only after the previous one finished.

    The previous limiter woke every waiter to race for a freed slot (checked against the
    old code: the server saw hook-000, hook-011, hook-018, ...).
    """
    one_at_a_time = SlidingWindowRateLimiter(1, 0.01)
    async with client_for(fake, api_key, rate_limit=one_at_a_time) as client:
        await asyncio.gather(*(create(client, n) for n in range(20)))
    assert [hook["name"] for hook in fake.webhooks] == [f"hook-{n:03d}" for n in range(20)]


async def test_a_call_cancelled_in_the_queue_gives_its_place_up(
    fake: FakeWhautoChat, api_key: str
) -> None:
    limiter = SlidingWindowRateLimiter(1, 0.01)
    async with client_for(fake, api_key, rate_limit=limiter) as client:
        tasks = [asyncio.ensure_future(create(client, n)) for n in range(4)]
        await asyncio.sleep(0)  # every call has queued or been granted
        assert limiter.waiting == 3
        tasks[1].cancel()
        done = await asyncio.gather(*tasks, return_exceptions=True)
    assert isinstance(done[1], asyncio.CancelledError)
    assert [hook["name"] for hook in fake.webhooks] == ["hook-000", "hook-002", "hook-003"]
    assert (limiter.in_flight, limiter.waiting, fake.request_count) == (0, 0, 3)
