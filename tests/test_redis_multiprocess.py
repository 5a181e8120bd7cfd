"""Four OS processes, one API key, one fake server enforcing a sliding-window limit.

With one Redis-backed limiter shared by every process — each process keeping 50 creates
waiting on it for 8 windows — the server never answers 429, the fleet gets at least 90%
of the limit, every process at least half its fair share, with at most two script calls
per grant. With a limiter per process (the default, in-process one) a fleet overruns the
budget and meets 429s: the reason the shared one exists.
"""

from __future__ import annotations

from .redis_fleet import run_fleet
from .redis_server import RedisServer

PROCESSES, CREATES, REQUESTS, PER = 4, 15, 20, 1.0  # 60 requests: 3 windows' worth
WAITERS, WINDOWS, FAST_PER = 50, 8, 0.5


async def test_a_crowded_fleet_sharing_the_redis_limiter_is_exact_full_and_fair(
    redis_server: RedisServer,
) -> None:
    result = await run_fleet(
        redis_url=redis_server.url,
        processes=PROCESSES,
        concurrency=WAITERS,
        duration=WINDOWS * FAST_PER,
        requests=REQUESTS,
        per=FAST_PER,
    )
    assert result.other_errors == []
    assert result.rejected == 0  # the server never refused a request...
    assert result.rate_limit_errors == 0  # ...so no caller saw one
    assert result.throughput_fraction(REQUESTS, FAST_PER) >= 0.9
    fair = result.created / PROCESSES
    assert min(result.shares) >= fair / 2, result.shares
    assert result.displacement == 0  # in each process, first come first served
    assert result.acquire_calls + result.bookkeeping_calls <= 2 * result.created


async def test_the_same_fleet_with_a_limiter_per_process_meets_429s() -> None:
    result = await run_fleet(
        redis_url=None, processes=PROCESSES, creates=CREATES, requests=REQUESTS, per=PER
    )
    assert result.other_errors == []
    assert result.rejected > 0
