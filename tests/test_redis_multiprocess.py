"""Four OS processes, one API key, one fake server enforcing 20 requests per second.

With one Redis-backed limiter shared by every process the server never answers 429 and
the fleet still gets at least 90% of the limit; with a limiter per process (the default,
in-process one) the same fleet overruns the budget and meets 429s. Both ways are shown:
the second is the reason the first exists.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .redis_fleet import run_fleet
from .redis_server import RedisServer, running_redis

PROCESSES, CREATES, REQUESTS, PER = 4, 15, 20, 1.0  # 60 requests: 3 windows' worth


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


async def test_a_fleet_sharing_the_redis_limiter_meets_no_429_at_over_90_percent(
    redis_server: RedisServer,
) -> None:
    result = await run_fleet(
        redis_url=redis_server.url,
        processes=PROCESSES,
        creates=CREATES,
        requests=REQUESTS,
        per=PER,
    )
    assert result.other_errors == []
    assert result.created == PROCESSES * CREATES
    assert result.rejected == 0  # the server never refused a request...
    assert result.rate_limit_errors == 0  # ...so no caller saw one
    assert result.throughput_fraction(REQUESTS, PER) >= 0.9


async def test_the_same_fleet_with_a_limiter_per_process_meets_429s() -> None:
    result = await run_fleet(
        redis_url=None, processes=PROCESSES, creates=CREATES, requests=REQUESTS, per=PER
    )
    assert result.other_errors == []
    assert result.rejected > 0
