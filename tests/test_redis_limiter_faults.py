"""RedisRateLimiter when Redis fails: stopped, restarted, slow; fail-closed and fail-open."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis.asyncio as aioredis
import redis.exceptions

from whautochat_async import DeadlineExceededError, RateLimit, WhautoChat, WhautoChatError
from whautochat_async.redis_limiter import RateLimiterUnavailableError, RedisRateLimiter
from whautochat_async.redis_limiter._outage import MAX_PROBE_INTERVAL, Outage
from whautochat_async.testing import FakeWhautoChat

from .redis_server import RedisServer

EVENTS = ["contact_created"]


@pytest.fixture
async def fake(api_key: str) -> AsyncIterator[FakeWhautoChat]:
    async with FakeWhautoChat(api_key=api_key) as server:
        yield server


def limiter(server: RedisServer, api_key: str, fake: FakeWhautoChat, **options: Any) -> Any:
    options.setdefault("limit", RateLimit(50, 1.0))
    return RedisRateLimiter.from_url(
        server.url, api_key=api_key, base_url=fake.url, environ={}, **options
    )


def client(api_key: str, fake: FakeWhautoChat, shared: RedisRateLimiter) -> WhautoChat:
    return WhautoChat(api_key, base_url=fake.url, rate_limit=shared, environ={})


async def create(api: WhautoChat, name: str = "hook") -> None:
    await api.webhooks.create(name=name, server_url="https://e.com/h", events=EVENTS)


async def log_size(server: RedisServer, shared: RedisRateLimiter) -> int:
    async with aioredis.Redis.from_url(server.url) as inspector:
        return await inspector.zcard(shared.keys.log)


async def test_fail_closed_raises_at_once_and_uses_redis_again_after_a_restart(
    redis_server: RedisServer, api_key: str, fake: FakeWhautoChat
) -> None:
    async with (
        limiter(redis_server, api_key, fake) as shared,
        client(api_key, fake, shared) as api,
    ):
        await create(api, "before")
        redis_server.stop()
        started = time.monotonic()
        with pytest.raises(RateLimiterUnavailableError) as caught:
            await create(api, "during")
        assert time.monotonic() - started < 0.8
        assert isinstance(caught.value, WhautoChatError)
        assert isinstance(caught.value.__cause__, redis.exceptions.ConnectionError)
        assert fake.request_count == 1  # nothing was sent without the shared limiter
        redis_server.start()
        await create(api, "after")
        assert fake.request_count == 2
        # The fresh Redis counts again ("before" too, if its release landed only now).
        assert await log_size(redis_server, shared) >= 1


async def test_fail_open_warns_once_limits_locally_and_returns_to_redis(
    redis_server: RedisServer,
    api_key: str,
    fake: FakeWhautoChat,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="whautochat_async")
    options = {"on_redis_error": "fail_open", "probe_interval": 0.2, "limit": RateLimit(3, 0.5)}
    async with (
        limiter(redis_server, api_key, fake, **options) as shared,
        client(api_key, fake, shared) as api,
    ):
        await create(api, "before")
        redis_server.stop()
        started = time.monotonic()
        for number in range(5):  # the local limiter holds them to 3 per 0.5 s
            await create(api, f"during-{number}")
        assert time.monotonic() - started >= 0.45
        assert shared.degraded
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "falling back to this process's own limiter" in warnings[0].getMessage()
        assert api_key not in caplog.text
        redis_server.start()
        await asyncio.sleep(0.5)  # past the probe back-off
        await create(api, "after")
        assert not shared.degraded
        assert await log_size(redis_server, shared) >= 1  # Redis counts again
    assert "Redis is available again" in caplog.text
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


@pytest.mark.parametrize("policy", ["fail_closed", "fail_open"])
async def test_a_slow_redis_counts_as_failing_after_the_timeout(
    redis_server: RedisServer, api_key: str, fake: FakeWhautoChat, policy: str
) -> None:
    async with (
        limiter(redis_server, api_key, fake, on_redis_error=policy, timeout=0.1) as shared,
        client(api_key, fake, shared) as api,
    ):
        await create(api, "warm")
        redis_server.command("CLIENT", "PAUSE", "600")
        started = time.monotonic()
        if policy == "fail_closed":
            with pytest.raises(RateLimiterUnavailableError):
                await create(api, "slow")
        else:
            await create(api, "slow")
            assert shared.degraded
        assert time.monotonic() - started < 0.5  # well before the 0.6 s pause ends


async def test_a_slow_redis_is_bounded_by_the_calls_deadline_and_leaks_no_slot(
    redis_server: RedisServer, api_key: str, fake: FakeWhautoChat
) -> None:
    async with (
        limiter(redis_server, api_key, fake, timeout=5.0) as shared,
        client(api_key, fake, shared) as api,
    ):
        await create(api, "warm")
        redis_server.command("CLIENT", "PAUSE", "500")
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match="waiting for the rate limiter"):
            await api.with_options(timeout=0.2).webhooks.list()
        assert time.monotonic() - started < 0.45  # the pause lasts 0.5 s
    assert await log_size(redis_server, shared) == 1  # only "warm"
    assert fake.request_count == 1


async def test_pause_and_release_never_raise_when_redis_is_down(
    redis_server: RedisServer, api_key: str, fake: FakeWhautoChat
) -> None:
    async with limiter(redis_server, api_key, fake, timeout=0.2) as shared:
        await shared.acquire()
        redis_server.stop()
        shared.release(sent=True)
        await shared.pause(0.05)  # still pauses this process's fallback
        redis_server.start()


async def test_aclose_waits_for_a_pause_in_flight_before_closing_its_redis_client(
    redis_server: RedisServer, api_key: str, fake: FakeWhautoChat
) -> None:
    shared = limiter(redis_server, api_key, fake)
    await shared.pause(0.01)  # connected
    redis_server.command("CLIENT", "PAUSE", "300")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pausing = asyncio.create_task(shared.pause(0.01))
        await asyncio.sleep(0.05)  # its command waits on the paused Redis
        await shared.aclose()
        assert pausing.done()
        await pausing
        del shared, pausing  # a connection reopened by the pause would warn when freed
        gc.collect()
    assert [str(warning.message) for warning in caught] == []


def test_the_outage_warns_once_and_each_failed_probe_doubles_the_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outage = Outage(first_probe=1.0, label="<limiter>")
    intervals = []
    for _ in range(8):
        outage.failed(ConnectionError("refused"))
        intervals.append(outage.interval)
    assert intervals == [1.0, 2.0, 4.0, 8.0, 16.0, MAX_PROBE_INTERVAL, 30.0, 30.0]
    outage.recovered()
    outage.recovered()
    assert not outage.active
    outage.failed(ConnectionError("refused"))  # a new outage starts from the first wait
    assert outage.interval == 1.0
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == 2 * [
        "<limiter>: Redis is unavailable (ConnectionError: refused); falling back to this "
        "process's own limiter until it recovers"
    ]
