"""Scenario 7c: the Redis limiter under a crowd — 4 and 8 OS processes with 200 waiting
creates each, one key, a fake server enforcing 20 requests per second, for 20 windows.

Measured: Redis script calls per granted request (counted by the Redis server itself,
``INFO commandstats``: every EVALSHA/EVAL, acquire and bookkeeping alike), each process's
share of the grants against a fair share, and the 429s the server sent.
Standalone: ``python -m benchmarks.limiter_crowd``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ._common import Result, Settings
from .limiter import _not_run, _redis_url
from .report import VERDICTS

CALLS_TARGET = 2.0  # script calls per granted request
SHARE_TARGET = 0.5  # the smallest process share, as a fraction of a fair share


async def _server_script_calls(url: str, *, reset: bool = False) -> int:
    import redis.asyncio as aioredis

    async with aioredis.Redis.from_url(url) as client:
        if reset:
            await client.config_resetstat()
            return 0
        stats: Any = await client.info("commandstats")
    return sum(stats.get(name, {}).get("calls", 0) for name in ("cmdstat_evalsha", "cmdstat_eval"))


async def _crowd(url: str, processes: int, settings: Settings) -> dict[str, Any]:
    """One run: the fleet's grants, calls, shares and 429s."""
    from tests.redis_fleet import run_fleet

    waiters, windows, requests, per = _sizes(settings)
    await _server_script_calls(url, reset=True)
    fleet = await run_fleet(
        redis_url=url,
        processes=processes,
        concurrency=waiters,
        duration=windows * per,
        requests=requests,
        per=per,
    )
    granted = max(fleet.created, 1)
    fair = granted / processes
    return {
        "processes": processes,
        "granted": fleet.created,
        "calls": await _server_script_calls(url) / granted,
        "acquire": fleet.acquire_calls / granted,
        "bookkeeping": fleet.bookkeeping_calls / granted,
        "low": min(fleet.shares) / fair,
        "high": max(fleet.shares) / fair,
        "shares": sorted(fleet.shares),
        "rejected": fleet.rejected,
        "displacement": fleet.displacement,
        "errors": len(fleet.other_errors),
    }


def _sizes(settings: Settings) -> tuple[int, int, int, float]:
    """Waiters per process, windows, and the server's limit (requests per ``per`` s)."""
    return (20, 3, 10, 0.5) if settings.quick_run else (200, 20, 20, 1.0)


def _detail(run: dict[str, Any]) -> str:
    return (
        f"{run['processes']} processes: {run['granted']} granted, {run['calls']:.2f} script "
        f"calls per grant ({run['acquire']:.2f} acquire + {run['bookkeeping']:.2f} "
        f"release/void/pause), shares {run['shares']} = {run['low']:.0%} to {run['high']:.0%} "
        f"of fair, {run['rejected']} x 429, {run['errors']} other errors, in-process order "
        f"displaced by at most {run['displacement']}"
    )


async def limiter_crowd_scenario(settings: Settings) -> Result:
    """Scenario 7c: script calls per grant and per-process shares with 4 and 8 processes."""
    counts = (2,) if settings.quick_run else (4, 8)
    waiters, windows, requests, per = _sizes(settings)
    scenario = f"{' and '.join(map(str, counts))} processes x {waiters} waiters, one key"
    async with _redis_url() as url:
        if url is None:
            return _not_run("7c", scenario)
        runs = [await _crowd(url, processes, settings) for processes in counts]
    worst_calls = max(run["calls"] for run in runs)
    worst_share = min(run["low"] for run in runs)
    clean = all(run["rejected"] == 0 and run["errors"] == 0 for run in runs)
    return Result(
        number="7c",
        scenario=scenario,
        baseline="fair share: grants / processes",
        target=f"≤ {CALLS_TARGET:g} script calls per grant, every share ≥ "
        f"{SHARE_TARGET:.0%} of fair, 0 x 429",
        measured=f"{worst_calls:.2f} calls per grant, lowest share {worst_share:.0%} of fair",
        passed=clean and worst_calls <= CALLS_TARGET and worst_share >= SHARE_TARGET,
        details=[
            *map(_detail, runs),
            f"{windows} windows of a server enforcing {requests} requests per {per:g} s; every "
            f"process keeps {waiters} creates waiting on its limiter; script calls counted "
            "by redis-server",
        ],
    )


async def _main() -> None:
    result = await limiter_crowd_scenario(Settings())
    print(f"{result.number} {result.scenario}: {result.measured} [{VERDICTS[result.passed]}]")
    for line in result.details:
        print(f"    {line}")


if __name__ == "__main__":
    asyncio.run(_main())
