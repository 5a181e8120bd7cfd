"""A fleet of OS processes creating webhooks through clients of their own, all against one
rate-limited fake server in the parent: used by the multi-process tests and the benchmark.

The parent (:func:`run_fleet`) starts ``FakeWhautoChat(rate_limit=(requests, per))``,
records when each request reaches it, and starts ``processes`` copies of this module
(``python -m tests.redis_fleet CONFIG``). Each child builds its client, prints ``ready``,
waits for ``go`` on stdin (so process start-up is not measured), runs its creates and
prints a JSON report. With ``duration`` each process keeps ``concurrency`` creates going
until that many seconds have passed (then cancels the rest): its share of the budget is
what it got done.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import attrs

from whautochat_async import RateLimit, RateLimitError, WhautoChat, WhautoChatError
from whautochat_async.testing import FakeWhautoChat

API_KEY = "sk-fleet-secret-0123456789abcdef"
ROOT = Path(__file__).resolve().parent.parent


@attrs.frozen
class FleetResult:
    """What the server saw and what the callers got."""

    arrivals: list[float]  # when each request reached the fake (monotonic, sorted)
    rejected: int  # 429s the fake sent
    created: int  # creates that succeeded, summed over the processes
    rate_limit_errors: int  # RateLimitError raised to callers (after retries)
    other_errors: list[str]
    elapsed: float  # from "go" to the last report
    shares: list[int] = attrs.field(factory=list)  # creates done, per process
    acquire_calls: int = 0  # acquire script calls, summed over the processes
    displacement: int = 0  # the furthest any grant was from arrival order, in a process
    bookkeeping_calls: int = 0  # release/void/pause script calls, summed

    def throughput_fraction(self, requests: int, per: float) -> float:
        """Admitted rate over the run's complete windows, as a fraction of requests/per.

        The server admits the first ``requests`` at once; each further ``requests`` can
        only come one ``per`` later. So ``k * requests`` arrivals after the first take
        at least ``k * per``: the ideal limiter scores exactly 1.0.
        """
        windows = (len(self.arrivals) - 1) // requests
        if windows < 1:
            raise ValueError("too few requests to measure a full window")
        span = self.arrivals[windows * requests] - self.arrivals[0]
        return (windows * requests / span) / (requests / per)


async def run_fleet(
    *,
    redis_url: str | None,
    processes: int = 4,
    creates: int = 25,
    concurrency: int = 2,
    requests: int = 20,
    per: float = 1.0,
    duration: float | None = None,
) -> FleetResult:
    """Run the fleet; ``redis_url`` None: each process has its own in-process limiter."""
    async with FakeWhautoChat(api_key=API_KEY, rate_limit=(requests, per)) as fake:
        arrivals: list[float] = []
        fake.before_request.append(lambda _request: arrivals.append(time.monotonic()))
        config: dict[str, Any] = {"base_url": fake.url, "redis_url": redis_url, "creates": creates}
        config |= {"concurrency": concurrency, "requests": requests, "per": per}
        config["duration"] = duration
        reports, elapsed = await _run_children(processes, json.dumps(config))
        return FleetResult(
            arrivals=sorted(arrivals),
            rejected=fake.rejected_count,
            created=sum(report["created"] for report in reports),
            rate_limit_errors=sum(report["rate_limited"] for report in reports),
            other_errors=[error for report in reports for error in report["errors"]],
            elapsed=elapsed,
            shares=[report["created"] for report in reports],
            acquire_calls=sum(report["acquire_calls"] for report in reports),
            bookkeeping_calls=sum(report["bookkeeping_calls"] for report in reports),
            displacement=max(report["displacement"] for report in reports),
        )


async def _run_children(processes: int, config: str) -> tuple[list[dict[str, Any]], float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-W", "error", "-m", "tests.redis_fleet", config),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env=env,
        )
        for _ in range(processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            ready = await asyncio.wait_for(child.stdout.readline(), 30)
            assert ready == b"ready\n", ready
        started = time.monotonic()
        outputs = await asyncio.wait_for(
            asyncio.gather(*(child.communicate(b"go\n") for child in children)), 120
        )
        elapsed = time.monotonic() - started
    finally:
        for child in children:
            if child.returncode is None:
                child.kill()
                await child.wait()
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err.decode()
    return [json.loads(out) for out, _ in outputs], elapsed


async def _work(config: dict[str, Any]) -> dict[str, Any]:
    """One process: ``creates`` creates over ``concurrency`` tasks, through its own client."""
    limit = RateLimit(config["requests"], config["per"])
    limiter = None
    if config["redis_url"]:
        from whautochat_async.redis_limiter import RedisRateLimiter

        limiter = RedisRateLimiter.from_url(
            config["redis_url"], api_key=API_KEY, base_url=config["base_url"], limit=limit
        )
    report: dict[str, Any] = {"created": 0, "rate_limited": 0, "errors": [], "displacement": 0}
    recording = None if limiter is None else _InOrder(limiter)
    timed = config["duration"] is not None
    names = itertools.count() if timed else iter(range(config["creates"]))
    try:
        async with WhautoChat(
            API_KEY, base_url=config["base_url"], rate_limit=recording or limit, timeout=60
        ) as client:
            work = asyncio.gather(
                *(_create_all(client, names, report) for _ in range(config["concurrency"]))
            )
            if timed:
                await asyncio.wait([work], timeout=config["duration"])
                work.cancel()
            await asyncio.gather(work, return_exceptions=timed)
    finally:
        if limiter is not None and recording is not None:
            report["displacement"] = recording.displacement()
            report["acquire_calls"] = limiter._asked
            report["bookkeeping_calls"] = limiter._books.calls
            await limiter.aclose()
    report.setdefault("acquire_calls", 0)
    report.setdefault("bookkeeping_calls", 0)
    return report


class _InOrder:
    """A RateLimiter passing calls to another, recording arrival and grant order."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._arrivals = itertools.count()
        self._granted: list[int] = []

    async def acquire(self) -> None:
        arrival = next(self._arrivals)
        await self._inner.acquire()
        self._granted.append(arrival)

    def release(self, *, sent: bool) -> None:
        self._inner.release(sent=sent)

    async def pause(self, seconds: float) -> None:
        await self._inner.pause(seconds)

    def displacement(self) -> int:
        """The furthest a grant was from its place in arrival order (0: FIFO)."""
        rank = {arrival: place for place, arrival in enumerate(sorted(self._granted))}
        return max((abs(rank[a] - i) for i, a in enumerate(self._granted)), default=0)


async def _create_all(client: WhautoChat, names: Any, report: dict[str, Any]) -> None:
    for number in names:
        try:
            await client.webhooks.create(
                name=f"fleet-{os.getpid()}-{number}",
                server_url="https://example.com/hooks/fleet",
                events=["contact_created"],
            )
            report["created"] += 1
        except RateLimitError:
            report["rate_limited"] += 1
        except WhautoChatError as error:
            report["errors"].append(f"{type(error).__name__}: {error}")


def main() -> None:
    """The child process: build, say ready, wait for go, work, report."""
    config = json.loads(sys.argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(asyncio.run(_work(config))), flush=True)


if __name__ == "__main__":
    main()
