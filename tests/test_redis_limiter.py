"""RedisRateLimiter against a real redis-server: exactness, waits, pause, cancellation, keys."""

from __future__ import annotations

import asyncio
import gc
import math
import subprocess
import sys
import time
import warnings
from typing import Any

import pytest
import redis.asyncio as aioredis

from whautochat_async import (
    ConfigurationError,
    DeadlineExceededError,
    RateLimit,
    RateLimiter,
    WhautoChat,
)
from whautochat_async.errors import ClientClosedError, EventLoopError
from whautochat_async.redis_limiter import RedisRateLimiter, _scripts, limiter_from_env
from whautochat_async.redis_limiter._grants import Grant
from whautochat_async.testing import FakeWhautoChat

from .redis_server import RedisServer

BASE_URL = "https://api.whauto.chat"


def limiter(
    server: RedisServer, api_key: str, requests: int = 3, per: float = 0.3, **options: Any
) -> RedisRateLimiter:
    options.setdefault("base_url", BASE_URL)
    return RedisRateLimiter.from_url(
        server.url, api_key=api_key, limit=RateLimit(requests, per), environ={}, **options
    )


async def test_grants_up_to_the_limit_then_waits_for_the_slot_without_polling_redis(
    redis_server: RedisServer, api_key: str
) -> None:
    async with limiter(redis_server, api_key, requests=3, per=0.3) as shared:
        for _ in range(3):
            await shared.acquire()
            shared.release(sent=True)
        asked = shared._asked
        started = time.monotonic()
        await shared.acquire()
        elapsed = time.monotonic() - started
        assert shared._asked - asked <= 2  # no polling: one question, at most one more
    assert 0.2 < elapsed < 0.8  # when the first slot's `per` after its finish ends


async def test_in_flight_requests_hold_their_slot_and_an_unsent_one_gives_it_back(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, requests=2, per=0.4) as shared:
        await shared.acquire()
        await shared.acquire()
        waiter = asyncio.create_task(shared.acquire())
        await asyncio.sleep(0.5)  # past `per`: in-flight slots do not age out
        assert not waiter.done()
        shared.release(sent=False)
        await asyncio.wait_for(waiter, 1.0)
        assert await redis_client.zcard(shared.keys.log) == 2


async def test_release_sent_dates_the_slot_from_the_finish(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, per=5.0, lease=300.0) as shared:
        await shared.acquire()
        seconds, micros = await redis_client.time()
        now = seconds * 1_000_000 + micros
        entries: Any = await redis_client.zrange(shared.keys.log, 0, -1, withscores=True)
        [(member, in_flight)] = entries
        assert in_flight > now + 290_000_000  # held for the lease while in flight
        shared.release(sent=True)
        await shared.aclose()  # waits for the release to reach Redis
    score = await redis_client.zscore(shared.keys.log, member)
    assert score is not None
    assert now <= score < now + 1_000_000


async def test_limiters_in_many_clients_never_exceed_the_limit_in_any_window(
    redis_server: RedisServer, api_key: str
) -> None:
    requests, per = 6, 0.2
    spans: list[tuple[float, float]] = []  # (granted, finished + per), local clock

    async def worker(shared: RedisRateLimiter, n: int) -> None:
        for i in range(n):
            await shared.acquire()
            granted = time.monotonic()
            await asyncio.sleep(0.005 * (i % 3))  # the request in flight
            shared.release(sent=True)
            spans.append((granted, time.monotonic() + per))

    limiters = [limiter(redis_server, api_key, requests, per) for _ in range(3)]
    await asyncio.gather(*(worker(shared, 3) for shared in limiters for _ in range(3)))
    for shared in limiters:
        await shared.aclose()
    held = [sum(g <= t < end for g, end in spans) for t, _ in spans]
    assert max(held) == requests  # the budget was used in full, and never exceeded


async def test_a_burst_from_many_clients_gets_exactly_the_limit(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    limiters = [limiter(redis_server, api_key, requests=10, per=10.0) for _ in range(5)]
    tasks = [asyncio.create_task(shared.acquire()) for shared in limiters for _ in range(8)]
    done, _ = await asyncio.wait(tasks, timeout=1.0)
    assert len(done) == 10
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert await redis_client.zcard(limiters[0].keys.log) == 10  # waiters took nothing
    for shared in limiters:
        while len(shared._grants):
            shared.release(sent=False)
        await shared.aclose()
    assert await redis_client.zcard(limiters[0].keys.log) == 0


async def test_a_call_cancelled_while_redis_holds_its_acquire_takes_no_slot(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with limiter(redis_server, api_key, timeout=5.0) as shared:
        await redis_client.ping()
        redis_server.command("CLIENT", "PAUSE", "300")  # the script waits in Redis
        task = asyncio.create_task(shared.acquire())
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await redis_client.zcard(shared.keys.log) == 0
    async with limiter(redis_server, api_key) as again:
        for _ in range(3):  # all three slots are free
            await asyncio.wait_for(again.acquire(), 0.5)


async def test_the_scripts_are_idempotent_and_void_works_in_either_order(
    redis_client: aioredis.Redis,
) -> None:
    keys = _scripts.limiter_keys("k", BASE_URL)
    acquire = redis_client.register_script(_scripts.ACQUIRE)
    apply = redis_client.register_script(_scripts.APPLY)
    all_keys = [keys.log, keys.paused, keys.void, keys.waiting, keys.wants]
    limits = (2, 1_000_000, 60_000_000, 1_000_000)
    void = ("V", "p:2", 2)
    assert await acquire(all_keys, ("p", 1, 1, *limits)) == [1, 0, 0]
    assert await acquire(all_keys, ("p", 1, 1, *limits)) == [1, 0, 0]  # resent: still one
    assert await redis_client.zrange(keys.log, 0, -1) == [b"p:1:1"]
    await apply(all_keys[:3], (1_000_000, 60_000_000, 60_000_000, "V", "p:1", 1))  # ran: freed
    await apply(all_keys[:3], (1_000_000, 60_000_000, 60_000_000, *void))  # not run yet: barred
    assert await acquire(all_keys, ("p", 2, 2, *limits)) == [-1, 0, 0]  # so it takes nothing
    assert await redis_client.zcard(keys.log) == 0


async def test_pause_holds_every_process_and_never_shortens(
    redis_server: RedisServer, api_key: str
) -> None:
    async with (
        limiter(redis_server, api_key, requests=100) as first,
        limiter(redis_server, api_key, requests=100) as second,
    ):
        await first.pause(0.3)
        await first.pause(0.05)
        started = time.monotonic()
        await second.acquire()
        assert time.monotonic() - started >= 0.25
        second.release(sent=True)


async def test_the_client_uses_it_and_a_call_waiting_on_a_spent_budget_takes_nothing(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with (
        FakeWhautoChat(api_key=api_key) as fake,
        limiter(redis_server, api_key, requests=1, per=10.0, base_url=fake.url) as shared,
        WhautoChat(api_key, base_url=fake.url, rate_limit=shared, environ={}) as client,
    ):
        assert isinstance(shared, RateLimiter)
        assert client.rate_limiter is shared
        await create(client)
        with pytest.raises(DeadlineExceededError):
            await client.with_options(timeout=0.2).webhooks.list()
        assert fake.request_count == 1
    assert await redis_client.zcard(shared.keys.log) == 1


async def test_the_api_key_appears_nowhere_in_redis_nor_in_the_repr(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with (
        FakeWhautoChat(api_key=api_key) as fake,
        limiter(redis_server, api_key, requests=5, base_url=fake.url) as shared,
        WhautoChat(api_key, base_url=fake.url, rate_limit=shared, environ={}) as client,
    ):
        fake.faults.status(429, retry_after=0.05)  # the client pauses the shared limiter
        await create(client)
        task = asyncio.create_task(shared.acquire())
        await asyncio.sleep(0.01)
        task.cancel()  # leaves a void entry (or nothing)
        await asyncio.gather(task, return_exceptions=True)
    dump = b""
    keys: Any = await redis_client.keys("*")
    for key in keys:
        dump += key + repr(await _value(redis_client, key)).encode()
    assert b"whautochat:ratelimit:{" in dump
    assert api_key.encode() not in dump
    assert fake.url.encode() not in dump
    secret = RedisRateLimiter.from_url("redis://:hunter2@127.0.0.1:1/0", api_key=api_key)
    assert api_key not in repr(secret)
    assert "hunter2" not in repr(secret)


async def create(client: WhautoChat) -> None:
    await client.webhooks.create(name="a", server_url="https://e.com/h", events=["contact_created"])


async def _value(client: aioredis.Redis, key: bytes) -> Any:
    kind = await client.type(key)
    if kind == b"zset":
        return await client.zrange(key, 0, -1, withscores=True)
    return await client.get(key)


async def test_limiters_for_the_same_key_and_url_share_keys_and_others_do_not(
    redis_server: RedisServer, api_key: str
) -> None:
    same = [
        limiter(redis_server, api_key, base_url="https://api.whauto.chat"),
        limiter(redis_server, api_key, base_url="https://api.whauto.chat/"),
        limiter_from_env(  # one key, one limit: its in-process fallback is the same budget
            {"WHAUTOCHAT_REDIS_URL": redis_server.url, "WHAUTOCHAT_API_KEY": api_key},
            limit=RateLimit(3, 0.3),
        ),
    ]
    other_key = limiter(redis_server, api_key + "x")
    other_host = limiter(redis_server, api_key, base_url="https://eu.whauto.chat")
    assert len({shared.keys for shared in same if shared is not None}) == 1
    assert len({same[0].keys, other_key.keys, other_host.keys}) == 3  # type: ignore[union-attr]
    for shared in [*same, other_key, other_host]:
        assert shared is not None
        await shared.aclose()


async def test_limiter_from_env(redis_server: RedisServer, api_key: str) -> None:
    env = {"WHAUTOCHAT_API_KEY": api_key}
    assert limiter_from_env(env) is None
    env["WHAUTOCHAT_REDIS_URL"] = redis_server.url
    env["WHAUTOCHAT_REDIS_ON_ERROR"] = "fail_open"
    shared = limiter_from_env(env, limit=RateLimit(7, 2.0))
    assert shared is not None
    assert (shared.on_redis_error, shared.limit) == ("fail_open", RateLimit(7, 2.0))
    await shared.aclose()
    explicit = limiter_from_env(env, on_redis_error="fail_closed", limit=RateLimit(7, 2.0))
    assert explicit is not None
    assert explicit.on_redis_error == "fail_closed"
    await explicit.aclose()
    env["WHAUTOCHAT_REDIS_ON_ERROR"] = "ignore"
    with pytest.raises(ConfigurationError, match="WHAUTOCHAT_REDIS_ON_ERROR"):
        limiter_from_env(env)


@pytest.mark.parametrize(
    "options",
    [
        {"on_redis_error": "ignore"},
        {"timeout": 0},
        {"lease": -1.0},
        {"probe_interval": True},
        {"limit": (100, 60)},
        {"fallback_limit": "x"},
        {"key_prefix": ""},
        {"key_prefix": b"app"},
        {"timeout": 1e-9},  # every call would time out
    ],
)
def test_invalid_options_are_configuration_errors(options: dict[str, Any]) -> None:
    name = next(iter(options))
    with pytest.raises(ConfigurationError, match=name):
        RedisRateLimiter.from_url("redis://127.0.0.1:1/0", api_key="k", **options)


@pytest.mark.parametrize("redis", ["redis://127.0.0.1:1/0", None, object()])
def test_a_redis_that_is_no_redis_asyncio_client_is_refused(redis: Any) -> None:
    with pytest.raises(ConfigurationError, match="from_url"):
        RedisRateLimiter(redis, api_key="k", environ={})


def test_an_invalid_url_is_a_configuration_error_that_does_not_quote_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        RedisRateLimiter.from_url("http://:hunter2@127.0.0.1:1/0", api_key="k")
    assert "hunter2" not in str(caught.value)


async def test_release_pairs_with_the_oldest_grant_from_another_task_and_checks_misuse(
    redis_server: RedisServer, api_key: str
) -> None:
    shared = limiter(redis_server, api_key)
    await asyncio.create_task(shared.acquire())  # granted in another task's context
    shared.release(sent=False)
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        shared.release(sent=True)
    await shared.aclose()
    await shared.aclose()
    with pytest.raises(ClientClosedError):
        await shared.acquire()


def test_release_outside_an_event_loop_does_not_raise() -> None:
    shared = RedisRateLimiter.from_url("redis://127.0.0.1:1/0", api_key="k", environ={})
    # as if acquire() had granted it in a loop now gone
    shared._grants.add(Grant("p:1:1", fallback=False, expires=math.inf))
    shared.release(sent=True)  # nothing to run it on: the slot waits for its lease to end
    assert len(shared._grants) == 0


async def test_a_borrowed_redis_client_is_not_closed(
    redis_server: RedisServer, api_key: str, redis_client: aioredis.Redis
) -> None:
    async with RedisRateLimiter(redis_client, api_key=api_key, environ={}) as shared:
        await shared.acquire()
        shared.release(sent=True)
    assert await redis_client.ping()


_IMPORTS = """
import sys
import whautochat_async, whautochat_async.testing
print("redis" in sys.modules)
sys.modules["redis"] = None
try:
    import whautochat_async.redis_limiter
except ImportError as error:
    print(error)
"""


def test_the_core_package_never_imports_redis_and_the_module_names_the_extra() -> None:
    command = [sys.executable, "-c", _IMPORTS]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    core_imported_redis, message = result.stdout.splitlines()
    assert core_imported_redis == "False"
    assert "pip install 'whautochat-async[redis]'" in message


async def test_release_and_pause_after_aclose_do_not_reopen_the_owned_redis_client(
    redis_server: RedisServer, api_key: str
) -> None:
    shared = limiter(redis_server, api_key)
    await shared.acquire()
    await shared.aclose()  # the call is still in flight when its limiter closes
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        shared.release(sent=True)  # nothing sent to Redis: the slot ends after lease + per
        await shared.pause(0.01)
        assert len(shared._books) == 0
        assert shared._closed
        with pytest.raises(ClientClosedError):
            await shared.acquire()
        del shared  # a connection reopened by release() or pause() would warn when freed
        gc.collect()
    assert [str(warning.message) for warning in caught] == []


@pytest.mark.parametrize("policy", ["fail_closed", "fail_open"])
def test_a_second_event_loop_is_refused_not_taken_for_an_outage(
    redis_server: RedisServer, api_key: str, policy: str, caplog: pytest.LogCaptureFixture
) -> None:
    shared = limiter(redis_server, api_key, on_redis_error=policy)

    async def use(lim: RedisRateLimiter) -> None:
        await lim.acquire()
        lim.release(sent=True)

    asyncio.run(use(shared))
    with pytest.raises(EventLoopError, match="event loop of its first call, which is closed"):
        asyncio.run(use(shared))  # a second asyncio.run(): never a (false) Redis outage
    assert not shared.degraded
    assert [record for record in caplog.records if record.levelname == "WARNING"] == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(shared.aclose())  # from a new loop: frees the dead loop's connections
        del shared
        gc.collect()
    assert [str(warning.message) for warning in caught] == []


@pytest.mark.parametrize("client_first", [True, False])
async def test_a_fallback_share_coexists_with_a_client_at_the_keys_limit(
    api_key: str, client_first: bool
) -> None:
    def with_a_share() -> RedisRateLimiter:
        return RedisRateLimiter.from_url(
            "redis://127.0.0.1:1/0", api_key=api_key, base_url=BASE_URL, environ={},
            fallback_limit=RateLimit(25, 60.0),
        )  # fmt: skip

    first = None if client_first else with_a_share()
    async with WhautoChat(api_key, base_url=BASE_URL) as client:
        shared = first or with_a_share()
        assert client.rate_limiter is not None
        assert (shared._fallback.requests, shared._fallback.per) == (25, 60.0)
    await shared.aclose()
