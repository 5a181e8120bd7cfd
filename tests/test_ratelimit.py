"""The client-side rate limiter: exactness, cancellation, pause, sharing and the registry."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest

from whautochat_async import (
    ConfigurationError,
    RateLimit,
    RateLimiter,
    SlidingWindowRateLimiter,
    WhautoChat,
)
from whautochat_async import ratelimit as module
from whautochat_async.ratelimit import resolve_rate_limiter, shared_limiter

from .virtual_time import VirtualTime

KEY = "sk-secret-ratelimit-0123456789"


def limiter_on(vt: VirtualTime, requests: int = 3, per: float = 10.0) -> SlidingWindowRateLimiter:
    return SlidingWindowRateLimiter(requests, per, clock=vt.clock, sleep=vt.sleep)


async def test_grants_up_to_the_limit_then_waits_until_a_finished_request_ages_out() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt)
    for _ in range(3):
        await limiter.acquire()
        vt.now += 1.0
        limiter.release(sent=True)  # finished at 101, 102, 103
    assert limiter.used == 3
    await vt.run(limiter.acquire())
    assert vt.now == 111.0  # the first finished at 101, + per
    assert vt.slept == [8.0]
    assert (limiter.used, limiter.in_flight) == (3, 1)


async def test_requests_in_flight_hold_their_slot_until_released() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=2, per=10.0)
    await limiter.acquire()
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await vt.settle()
    await vt.advance()  # polls every per / requests while everything is in flight
    assert vt.slept[:2] == [5.0, 5.0]
    assert not waiter.done()
    limiter.release(sent=False)  # never sent: the slot comes back at once
    await vt.run(waiter)
    assert limiter.in_flight == 2


async def test_a_cancelled_waiter_takes_nothing() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=1)
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await vt.settle()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert (limiter.used, limiter.in_flight) == (1, 1)
    limiter.release(sent=True)
    assert limiter.used == 1


async def test_pause_holds_everyone_and_never_shortens() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=100)
    await limiter.pause(5.0)
    await limiter.pause(2.0)
    await vt.run(limiter.acquire(), limiter.acquire())
    assert vt.now == 105.0
    assert limiter.in_flight == 2


def test_release_without_acquire_is_a_bug() -> None:
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        SlidingWindowRateLimiter(1, 1.0).release(sent=True)


@pytest.mark.parametrize("seed", range(5))
async def test_no_server_window_ever_sees_more_than_the_limit(seed: int) -> None:
    """Whatever the network delays, the server counts <= N in any `per` seconds."""
    vt, rng = VirtualTime(), random.Random(seed)
    limiter = limiter_on(vt, requests=5, per=1.0)
    seen_by_server: list[float] = []

    async def request() -> None:
        await vt.sleep(rng.uniform(0, 3))  # callers arrive at random
        await limiter.acquire()
        await vt.sleep(rng.choice([0.0, 0.01, 0.3, 1.5]))  # on its way to the server
        seen_by_server.append(vt.now)
        await vt.sleep(rng.choice([0.0, 0.01, 0.3, 1.5]))  # the answer coming back
        limiter.release(sent=True)

    await vt.run(*(request() for _ in range(60)))
    assert len(seen_by_server) == 60
    for moment in seen_by_server:  # the fake server's rule: counts t > now - per
        assert sum(moment - 1.0 < t <= moment for t in seen_by_server) <= 5


def test_one_limiter_serves_several_event_loops_and_threads() -> None:
    limiter = SlidingWindowRateLimiter(2, 0.05)
    grants: list[float] = []
    lock = threading.Lock()

    async def use() -> None:
        for _ in range(3):
            await limiter.acquire()
            with lock:
                grants.append(time.monotonic())
            limiter.release(sent=True)

    threads = [threading.Thread(target=asyncio.run, args=(use(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asyncio.run(use())  # and once more in yet another loop
    grants.sort()
    assert len(grants) == 9
    for index in range(2, len(grants)):  # any 3 grants span at least `per`
        assert grants[index] - grants[index - 2] >= 0.05 - 1e-3


# -- configuration and the registry -------------------------------------------------------


@pytest.mark.parametrize(
    ("requests", "per"), [(0, 1.0), (1.5, 1.0), (True, 1.0), (1, 0), (1, -1.0), (1, "60")]
)
def test_rate_limit_rejects_bad_values(requests: object, per: object) -> None:
    with pytest.raises(ConfigurationError):
        RateLimit(requests, per)  # type: ignore[arg-type]


def test_the_registry_shares_one_limiter_per_key_url_and_limit() -> None:
    url = "https://registry.example/"
    first = shared_limiter(KEY, url, RateLimit())
    assert shared_limiter(KEY, url, RateLimit(100, 60.0)) is first
    assert shared_limiter(KEY + "x", url, RateLimit()) is not first
    assert shared_limiter(KEY, "https://other.example/", RateLimit()) is not first
    assert shared_limiter(KEY, url, RateLimit(1000, 60.0)) is not first
    assert all(KEY not in str(key) for key in module._registry)
    assert KEY not in repr(first)


def test_clients_made_per_request_share_the_budget() -> None:
    url = "https://per-request.example"
    clients = [WhautoChat(KEY, base_url=url, environ={}) for _ in range(3)]
    limiters = {id(client.rate_limiter) for client in clients}
    assert len(limiters) == 1
    assert WhautoChat(KEY, base_url=url, rate_limit=None, environ={}).rate_limiter is None


def test_resolve_rate_limiter_options() -> None:
    mine = SlidingWindowRateLimiter(1, 1.0)
    assert resolve_rate_limiter(mine, api_key=KEY, base_url="u") is mine
    assert resolve_rate_limiter(None, api_key=KEY, base_url="u") is None
    assert isinstance(mine, RateLimiter)
    with pytest.raises(ConfigurationError, match="rate_limit must be"):
        resolve_rate_limiter(100, api_key=KEY, base_url="u")  # type: ignore[arg-type]


async def test_a_user_limiter_only_needs_the_three_methods() -> None:
    class Counting:
        def __init__(self) -> None:
            self.calls: list[str] = []

        async def acquire(self) -> None:
            self.calls.append("acquire")

        def release(self, *, sent: bool) -> None:
            self.calls.append(f"release sent={sent}")

        async def pause(self, seconds: float) -> None:
            self.calls.append(f"pause {seconds}")

    counting = Counting()
    client = WhautoChat(KEY, base_url="http://127.0.0.1:9", rate_limit=counting, environ={})
    assert client.rate_limiter is counting
    await client.close()
