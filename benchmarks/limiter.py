"""Scenarios 7a and 7b: the Redis-backed limiter shared by many processes.

* 7a — what one ``acquire()`` costs: the in-process limiter against the Redis one
  (median per acquire over many, each followed by its release, as a sequential caller
  does: the Redis release runs in the background).
* 7b — four OS processes, each with its own client, creating webhooks against one fake
  server that enforces 20 requests per second: the throughput the server admitted as a
  fraction of the limit with the shared Redis limiter, and the 429s both ways.

Both start a real ``redis-server`` (``tests/redis_server.py``) and report "not run"
without one or without the ``redis`` extra. Standalone: ``python -m benchmarks.limiter``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from whautochat_async import RateLimit, RateLimiter, SlidingWindowRateLimiter

from ._common import Result, Settings, abba
from .report import VERDICTS

OVERHEAD_TARGET_MS = 1.0  # one loopback round trip, with room for a loaded machine
FLEET_TARGET = 0.9
_UNLIMITED = RateLimit(1_000_000, 60.0)


@asynccontextmanager
async def _redis_url() -> AsyncIterator[str | None]:
    """A fresh redis-server for the scenario, or None without the binary or redis-py."""
    binary = shutil.which("redis-server")
    if binary is None or importlib.util.find_spec("redis") is None:
        yield None
        return
    from tests.redis_server import RedisServer

    with tempfile.TemporaryDirectory(prefix="whautochat-bench-redis-") as directory:
        server = RedisServer(binary, Path(directory))
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


def _not_run(number: str, scenario: str) -> Result:
    why = "needs redis-server and the redis extra (pip install -e '.[redis]')"
    return Result(number, scenario, "-", "-", "not run", None, [why])


async def _acquire_seconds(limiter: RateLimiter, count: int) -> list[float]:
    """How long each of ``count`` acquire() calls took, each followed by a release."""
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        await limiter.acquire()
        seconds.append(time.perf_counter() - started)
        limiter.release(sent=True)
    return seconds


async def _ping_seconds(url: str, count: int) -> list[float]:
    """The floor: how long each of ``count`` bare redis-py PINGs took."""
    import redis.asyncio as aioredis

    async with aioredis.Redis.from_url(url) as client:
        await client.ping()
        seconds = []
        for _ in range(count):
            started = time.perf_counter()
            await client.ping()
            seconds.append(time.perf_counter() - started)
        return seconds


async def limiter_overhead_scenario(settings: Settings) -> Result:
    """Scenario 7a: median acquire() of the in-process and the Redis limiter."""
    count = 100 if settings.quick_run else 2_000
    scenario = f"limiter acquire overhead, {count:,} acquires a side"
    async with _redis_url() as url:
        if url is None:
            return _not_run("7a", scenario)
        from whautochat_async.redis_limiter import RedisRateLimiter

        local = SlidingWindowRateLimiter(_UNLIMITED.requests, _UNLIMITED.per)
        async with RedisRateLimiter.from_url(url, api_key="bench-key", limit=_UNLIMITED) as shared:
            samples: dict[str, list[float]] = {"local": [], "redis": []}
            await _acquire_seconds(shared, 10)  # warm-up: connection, script load
            for name in abba(["local", "redis"], settings.repeats):  # drift hits both alike
                limiter = local if name == "local" else shared
                samples[name] += await _acquire_seconds(limiter, count // settings.repeats)
        ping = statistics.median(await _ping_seconds(url, count))
    local_ms = statistics.median(samples["local"]) * 1000
    redis_ms = statistics.median(samples["redis"]) * 1000
    return Result(
        number="7a",
        scenario=scenario,
        baseline="in-process SlidingWindowRateLimiter",
        target=f"Redis ≤ {OVERHEAD_TARGET_MS:g} ms per acquire",
        measured=f"{redis_ms:.3f} ms (local {local_ms * 1000:.1f} µs)",
        passed=redis_ms <= OVERHEAD_TARGET_MS,
        details=[
            f"median per acquire: local {local_ms * 1000:.1f} µs, Redis {redis_ms * 1000:.0f} µs "
            f"(p90 {_p90(samples['redis']) * 1e6:.0f} µs), redis-server on 127.0.0.1; "
            f"a bare redis-py PING: {ping * 1e6:.0f} µs",
            "one Lua script per acquire (atomic trim, count, take: one round trip), asked "
            "by the process's queue task; releases go in batches in the background",
        ],
    )


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


async def limiter_fleet_scenario(settings: Settings) -> Result:
    """Scenario 7b: 4 processes against 20 requests/s, shared Redis vs per-process limits."""
    from tests.redis_fleet import run_fleet

    creates, requests, per = (5, 10, 0.5) if settings.quick_run else (25, 20, 1.0)
    scenario = f"4 processes x {creates} creates, server limit {requests} per {per:g} s"
    async with _redis_url() as url:
        if url is None:
            return _not_run("7b", scenario)
        shared = await run_fleet(redis_url=url, creates=creates, requests=requests, per=per)
    alone = await run_fleet(redis_url=None, creates=creates, requests=requests, per=per)
    fraction = shared.throughput_fraction(requests, per)
    return Result(
        number="7b",
        scenario=scenario,
        baseline="a limiter per process (the in-process default)",
        target=f"shared: 0 x 429 and ≥ {FLEET_TARGET:.0%} of the limit",
        measured=f"{fraction:.1%} of the limit, {shared.rejected} x 429 (per process: "
        f"{alone.rejected} x 429)",
        passed=shared.rejected == 0 and fraction >= FLEET_TARGET and not shared.other_errors,
        details=[
            f"shared Redis limiter: {shared.created} created, {shared.rejected} x 429 at the "
            f"server, {shared.rate_limit_errors} RateLimitError to callers, "
            f"{shared.elapsed:.2f} s",
            f"a limiter per process: {alone.created} created, {alone.rejected} x 429 at the "
            f"server, {alone.rate_limit_errors} RateLimitError to callers, "
            f"{alone.elapsed:.2f} s",
            "throughput: admitted requests over the run's complete windows (the ideal "
            "limiter scores 100%); a slot is held until `per` after its request finished, "
            "so each window loses about one request's latency",
        ],
    )


async def _main() -> None:
    settings = Settings()
    for scenario in (limiter_overhead_scenario, limiter_fleet_scenario):
        result = await scenario(settings)
        print(f"{result.number} {result.scenario}: {result.measured} [{VERDICTS[result.passed]}]")
        for line in result.details:
            print(f"    {line}")


if __name__ == "__main__":
    asyncio.run(_main())
