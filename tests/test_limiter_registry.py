"""The process-wide registry: one budget per key and URL, idle limiters forgotten."""

from __future__ import annotations

import asyncio
import gc
import itertools
import weakref

import pytest

from whautochat_async import ConfigurationError, RateLimit, SlidingWindowRateLimiter, WhautoChat
from whautochat_async.ratelimit import _registry as registry
from whautochat_async.ratelimit._registry import forget_idle, resolve_rate_limiter, shared_limiter

from .virtual_time import VirtualTime

_numbers = itertools.count()


def new_key() -> str:
    """A key no other test uses: the registry is process-wide."""
    return f"sk-registry-secret-{next(_numbers):05d}-0123456789"


def limiter_of(client: WhautoChat) -> SlidingWindowRateLimiter:
    limiter = client.rate_limiter
    assert isinstance(limiter, SlidingWindowRateLimiter)
    return limiter


def gone(ref: weakref.ref[SlidingWindowRateLimiter]) -> bool:
    forget_idle()
    gc.collect()
    return ref() is None


def test_one_limiter_per_key_and_url_and_no_key_in_sight() -> None:
    key, url = new_key(), "https://registry.example/"
    first = shared_limiter(key, url, RateLimit())
    assert shared_limiter(key, url, RateLimit(100, 60.0)) is first
    assert shared_limiter(new_key(), url, RateLimit()) is not first
    assert shared_limiter(key, "https://other.example/", RateLimit()) is not first
    assert all(key not in str(entry) for entry in registry._registry.limiters)
    assert key not in repr(first)


def test_a_second_rate_limit_for_one_key_is_refused_not_a_second_budget() -> None:
    key, url = new_key(), "https://two-limits.example/"
    kept = WhautoChat(key, base_url=url, rate_limit=RateLimit(10, 1.0), environ={})
    with pytest.raises(ConfigurationError, match=r"already have a rate limit of 10 per 1s"):
        WhautoChat(key, base_url=url, rate_limit=RateLimit(100, 60.0), environ={})
    assert limiter_of(kept).requests == 10


def test_clients_made_per_request_share_the_budget() -> None:
    key, url = new_key(), "https://per-request.example"
    clients = [WhautoChat(key, base_url=url, environ={}) for _ in range(3)]
    assert len({id(client.rate_limiter) for client in clients}) == 1
    assert WhautoChat(key, base_url=url, rate_limit=None, environ={}).rate_limiter is None


def test_an_idle_limiter_no_client_uses_is_forgotten() -> None:
    key, url = new_key(), "https://forget.example/"
    client = WhautoChat(key, base_url=url, rate_limit=RateLimit(5, 1.0), environ={})
    ref = weakref.ref(limiter_of(client))
    assert not gone(ref)  # a live client keeps it
    del client
    assert gone(ref)
    # Forgotten, so the key may now take another limit: it has no budget in use.
    WhautoChat(key, base_url=url, rate_limit=RateLimit(50, 1.0), environ={})


async def test_a_limiter_with_state_is_never_forgotten() -> None:
    url = "https://kept.example/"
    refs = {}
    for state in ("in flight", "in the window"):
        limiter = shared_limiter(new_key(), url, RateLimit(5, 3600.0))
        await limiter.acquire()
        if state == "in the window":
            limiter.release(sent=True)  # counted for an hour
        refs[state] = weakref.ref(limiter)
        del limiter
    paused = shared_limiter(new_key(), url, RateLimit(5, 3600.0))
    await paused.pause(3600.0)
    refs["paused"] = weakref.ref(paused)
    del paused
    assert [state for state, ref in refs.items() if gone(ref)] == []


async def test_a_drained_window_lets_the_limiter_go() -> None:
    vt = VirtualTime()
    key, url = new_key(), "https://drained.example/"
    limiter = shared_limiter(key, url, RateLimit(5, 10.0))
    limiter._clock = vt.clock  # the window drains in virtual time
    await limiter.acquire()
    limiter.release(sent=True)
    ref = weakref.ref(limiter)
    del limiter
    assert not gone(ref)  # still in the window: kept
    vt.now += 10.0
    assert gone(ref)


def test_hundreds_of_keys_come_and_go_and_the_registry_stays_small() -> None:
    before = registry.registry_size()[0]
    for _ in range(300):
        WhautoChat(new_key(), base_url="https://many.example/", environ={})
    gc.collect()
    assert registry.registry_size()[0] <= before


def test_a_process_wide_limiter_serves_two_successive_event_loops() -> None:
    key, url = new_key(), "https://two-runs.example/"
    limiter = shared_limiter(key, url, RateLimit(2, 0.02))
    granted: list[int] = []

    async def crowd() -> None:
        async def one() -> None:
            await limiter.acquire()
            granted.append(1)
            limiter.release(sent=True)

        await asyncio.gather(*(one() for _ in range(5)))  # three of them queue

    asyncio.run(crowd())
    asyncio.run(crowd())
    assert (len(granted), limiter.in_flight, limiter.waiting) == (10, 0, 0)


def test_resolve_rate_limiter_options() -> None:
    mine = SlidingWindowRateLimiter(1, 1.0)
    assert resolve_rate_limiter(mine, api_key="k", base_url="u") is mine
    assert resolve_rate_limiter(None, api_key="k", base_url="u") is None
    with pytest.raises(ConfigurationError, match="rate_limit must be"):
        resolve_rate_limiter(100, api_key="k", base_url="u")  # type: ignore[arg-type]
