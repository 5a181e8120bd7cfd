"""Scenarios 8a and 8b: a crowd queued at the rate limit, and the limiter registry.

* 8a — 600 creates through one ``gather`` at ``RateLimit(50, 1.0)`` against the fake, the
  default timeout model: wall time against the ideal (11 windows: 12 rounds of 50, each
  slot held until a window after its request finished), the client's CPU over the whole
  run as a share of its wall time (an upper bound of its CPU while waiting: the HTTP work
  is in it) and the worst displacement of a grant from arrival order.
* 8b — 50,000 distinct keys through the registry, as each client's construction does,
  each used for one request (acquire, release) and dropped: traced memory above the
  baseline once their windows have drained.
"""

from __future__ import annotations

import asyncio
import gc
import time
import tracemalloc

from whautochat_async import RateLimit, SlidingWindowRateLimiter, WhautoChat
from whautochat_async.ratelimit._registry import (
    SWEEP_INTERVAL,
    forget_idle,
    registry_size,
    shared_limiter,
)

from ._common import Result, Settings, make_client
from ._server import API_KEY, ServerProcess

WALL_SLACK = 0.05
CPU_TARGET = 0.05
DISPLACEMENT_TARGET = 5
MEMORY_TARGET_MB = 1.0


class _Recording:
    """A RateLimiter that notes the order callers arrive in and are granted."""

    def __init__(self, inner: SlidingWindowRateLimiter) -> None:
        self.inner = inner
        self.arrived: dict[asyncio.Task[object] | None, int] = {}
        self.granted: list[int] = []

    async def acquire(self) -> None:
        task = asyncio.current_task()
        self.arrived.setdefault(task, len(self.arrived))
        await self.inner.acquire()
        self.granted.append(self.arrived[task])

    def release(self, *, sent: bool) -> None:
        self.inner.release(sent=sent)

    async def pause(self, seconds: float) -> None:
        await self.inner.pause(seconds)


async def _create_all(client: WhautoChat, count: int) -> None:
    await asyncio.gather(
        *(
            client.webhooks.create(
                name=f"crowd-{n:04d}", server_url="https://e.com/h", events=["contact_created"]
            )
            for n in range(count)
        )
    )


async def _timed(client: WhautoChat, count: int) -> tuple[float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    await _create_all(client, count)
    return time.perf_counter() - wall, time.process_time() - cpu


async def crowd_scenario(settings: Settings, server: ServerProcess) -> Result:
    """Scenario 8a: a crowd of creates queued at the rate limit."""
    count, limit = (60, RateLimit(10, 0.2)) if settings.quick_run else (600, RateLimit(50, 1.0))
    server.configure(webhooks=0)
    async with make_client(server.url) as unlimited:
        await _create_all(unlimited, 20)  # warm-up: connections, caches
        free_wall, free_cpu = await _timed(unlimited, count)
    recording = _Recording(SlidingWindowRateLimiter(limit.requests, limit.per))
    async with WhautoChat(API_KEY, base_url=server.url, rate_limit=recording, environ={}) as c:
        wall, cpu = await _timed(c, count)
    ideal = (-(-count // limit.requests) - 1) * limit.per
    run_cpu = cpu / wall  # the pass figure: it bounds the CPU spent waiting from above
    displacement = max(abs(at - granted) for at, granted in enumerate(recording.granted))
    passed = (
        wall <= ideal * (1 + WALL_SLACK)
        and run_cpu <= CPU_TARGET
        and displacement <= DISPLACEMENT_TARGET
    )
    return Result(
        number="8a",
        scenario=f"{count} creates queued at {limit.requests} per {limit.per:g} s (one gather)",
        baseline=f"ideal {ideal:.2f} s",
        target=f"wall ≤ ideal +{WALL_SLACK:.0%}, CPU ≤ {CPU_TARGET:.0%}, "
        f"displacement ≤ {DISPLACEMENT_TARGET}",
        measured=f"{wall / ideal:.3f}x ideal, CPU {run_cpu:.1%}, displacement {displacement}",
        passed=passed,
        details=[
            f"wall {wall:.3f} s against the ideal {ideal:.2f} s; not one call failed "
            "(default timeout model: a call's deadline stands still while it queues)",
            f"client CPU {cpu:.3f} s over the {wall:.2f} s run, HTTP included: {run_cpu:.2%} "
            f"of one core; the same {count} calls unlimited took {free_cpu:.3f} s CPU "
            f"({free_wall:.2f} s), so waiting cost about {max(cpu - free_cpu, 0.0):.3f} s",
            f"grants in arrival order but for at most {displacement} positions "
            f"({len(recording.granted)} grants recorded)",
        ],
    )


async def _use_keys(count: int, limit: RateLimit) -> None:
    """``count`` distinct keys through the registry, one request each, then dropped."""
    for number in range(count):
        limiter = shared_limiter(f"tenant-key-{number:06d}", "https://api.example/", limit)
        await limiter.acquire()
        limiter.release(sent=True)  # holds its slot for limit.per: kept until drained


async def registry_scenario(settings: Settings) -> Result:
    """Scenario 8b: memory after 50,000 distinct keys came and went."""
    count = 2_000 if settings.quick_run else 50_000
    limit = RateLimit(10, 0.05)
    tracemalloc.start()
    try:
        await _use_keys(100, limit)  # warm-up: the registry's own structures
        await asyncio.sleep(limit.per * 2)
        forget_idle()
        gc.collect()
        baseline = tracemalloc.get_traced_memory()[0]
        started = time.perf_counter()
        await _use_keys(count, limit)
        elapsed = time.perf_counter() - started
        busy_at_end = registry_size()
        # Every window drains; the next client made after a sweep interval sweeps.
        await asyncio.sleep(max(limit.per * 2, SWEEP_INTERVAL + 0.1))
        shared_limiter("one-more-key", "https://api.example/", limit)
        gc.collect()
        growth, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth_mb = (growth - baseline) / 1e6
    return Result(
        number="8b",
        scenario=f"limiter registry: {count:,} distinct keys used once and dropped",
        baseline="traced memory before",
        target=f"≤ {MEMORY_TARGET_MB:g} MB above it",
        measured=f"{growth_mb:.3f} MB",
        passed=growth_mb <= MEMORY_TARGET_MB,
        details=[
            f"tracemalloc: {growth - baseline:,} bytes above the baseline once the windows "
            "drained and one more client was made (its construction sweeps the registry); "
            f"peak {(peak - baseline) / 1e6:.1f} MB while they were in use; "
            f"{registry_size()[0]} limiters left in the registry",
            "each key goes through shared_limiter(), the call a client's construction makes "
            "(a whole WhautoChat costs milliseconds here, most of it building its converter; "
            "tests/test_limiter_registry.py drops real clients)",
            f"{count:,} keys in {elapsed:.2f} s, each one acquire and release at "
            f"{limit.requests} per {limit.per:g} s; known / held busy at the end of the "
            f"loop: {busy_at_end[0]} / {busy_at_end[1]} (held until their window drains)",
        ],
    )
