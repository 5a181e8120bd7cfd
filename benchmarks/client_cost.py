"""Scenario 10: what a client costs, for apps that make one per web request.

10a times the constructor against building one converter (what every client used to do);
10b counts, with tracemalloc, the memory a live client holds beyond its borrowed session.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

import aiohttp

from whautochat_async import WhautoChat
from whautochat_async.converters import make_converter

from ._common import Result, Settings, make_client
from ._server import ServerProcess

TARGET_MS = 0.1
TARGET_KB = 5.0
_BATCH = 200  # constructions timed together: one is too short for the clock


def _construct(url: str) -> WhautoChat:
    # The limiter is on (raised far above what is sent): a client normally has one.
    return make_client(url, rate_limit="raised")


def _seconds_per_call(make: Callable[[], object], repeats: int) -> float:
    """The median, over ``repeats`` batches, of the seconds one call of ``make`` takes."""
    samples = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        for _ in range(_BATCH):
            make()
        samples.append((time.perf_counter() - started) / _BATCH)
    return statistics.median(samples)


async def construction_scenario(settings: Settings, server: ServerProcess) -> Result:
    """10a: the median constructor time, and the same as a share of one converter build."""
    url = server.url
    _construct(url)  # the first client builds the process's converter
    client = _seconds_per_call(lambda: _construct(url), settings.repeats)
    converter = _seconds_per_call(make_converter, max(1, settings.repeats // 5))
    ms = client * 1000
    return Result(
        number="10a",
        scenario="construct a WhautoChat (key, base URL, rate limiter on)",
        baseline="building one cattrs converter (once per client before)",
        target=f"≤ {TARGET_MS:g} ms",
        measured=f"{ms:.3f} ms ({client / converter:.2f}x a converter)",
        passed=ms <= TARGET_MS,
        details=[
            f"median of {settings.repeats} batches of {_BATCH}: client {ms * 1000:.1f} µs, "
            f"make_converter() {converter * 1000:.2f} ms",
        ],
    )


async def client_memory_scenario(settings: Settings, server: ServerProcess) -> Result:
    """10b: tracemalloc's growth per live client (one call made), its session borrowed."""
    server.configure(webhooks=0, latency=0.0)
    url = server.url
    count = 20 if settings.quick_run else 500
    async with aiohttp.ClientSession() as session:
        warm = make_client(url, rate_limit="raised", session=session)
        await warm.webhooks.list(limit=1)  # imports, converter, limiter, connection: shared
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            clients = [make_client(url, rate_limit="raised", session=session)]
            for _ in range(count - 1):
                clients.append(make_client(url, rate_limit="raised", session=session))
            for client in clients:
                await client.webhooks.list(limit=1)
            gc.collect()
            held = (tracemalloc.get_traced_memory()[0] - before) / count / 1024
        finally:
            tracemalloc.stop()
        converter_kb = _converter_kb()
    return Result(
        number="10b",
        scenario="memory a live client holds beyond its session (one call made)",
        baseline="one cattrs converter (once per client before)",
        target=f"≤ {TARGET_KB:g} KB",
        measured=f"{held:.1f} KB (a converter: {converter_kb:.0f} KB)",
        passed=held <= TARGET_KB,
        details=[
            f"{count} clients borrowing one session, each after one list call; "
            "tracemalloc's traced memory after gc, divided by the count",
        ],
    )


def _converter_kb() -> float:
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        converter = make_converter()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del converter
    return held / 1024
