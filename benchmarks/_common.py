"""What every scenario shares: settings, results, interleaved timing and the client."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from whautochat_async import RateLimit, WhautoChat

from ._server import API_KEY


@dataclass(frozen=True)
class Settings:
    """Sizes and repetitions of every scenario; ``quick()`` is the tiny test run."""

    repeats: int = 25  # scenarios of well under a second a repetition
    slow_repeats: int = 5  # scenarios of seconds a repetition
    list_total: int = 10_000
    page_size: int = 100
    prefetch_pages: int = 40
    prefetch: int = 4
    prefetch_latency: float = 0.05
    create_count: int = 500
    create_latency: float = 0.02
    concurrency: int = 16
    stream_sizes: tuple[int, ...] = (10_000, 50_000, 100_000)
    structure_count: int = 10_000
    cap_total: int = 1_000
    server_cap: int = 30
    sync_total: int = 1_000
    sync_changes: int = 5
    profile: bool = True
    quick_run: bool = False

    @classmethod
    def quick(cls) -> Settings:
        """Tiny sizes, one repetition: proves the entry point works, measures nothing."""
        return cls(
            repeats=1,
            slow_repeats=1,
            list_total=300,
            prefetch_pages=4,
            prefetch_latency=0.005,
            create_count=24,
            create_latency=0.002,
            concurrency=4,
            stream_sizes=(200, 400, 600),
            structure_count=300,
            cap_total=100,
            sync_total=200,
            profile=False,
            quick_run=True,
        )


@dataclass(frozen=True)
class Result:
    """One row of the results table; ``passed`` is None when the scenario could not run."""

    number: str
    scenario: str
    baseline: str
    target: str
    measured: str
    passed: bool | None
    details: list[str] = field(default_factory=list)


@dataclass
class Timings:
    """Wall-clock and CPU seconds of each repetition, per side."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def median(self, side: str, *, cpu: bool = False) -> float:
        """The median of one side's repetitions."""
        return statistics.median((self.cpu if cpu else self.wall)[side])

    def ratio(self, side: str, other: str, *, cpu: bool = False) -> float:
        """The median of the per-repetition ratios ``side`` / ``other``.

        The two runs of a repetition are back to back, so a change in the machine's speed
        between repetitions (frequent on this shared VM) cancels out of each ratio; a ratio
        of the two medians pairs runs minutes apart and moved by up to 0.3x run to run.
        """
        samples = self.cpu if cpu else self.wall
        pairs = zip(samples[side], samples[other], strict=True)
        return statistics.median(mine / theirs for mine, theirs in pairs)

    def noise_check(self, side: str, other: str) -> str:
        """Two other estimates of the wall-clock ratio; far from ``ratio``: a noisy run."""
        of_medians = self.median(side) / self.median(other)
        best = min(self.wall[side]) / min(self.wall[other])
        return (
            f"noise check: ratio of the medians {ratio_text(of_medians)}, "
            f"ratio of the fastest runs {ratio_text(best)}"
        )


Runner = Callable[[], Awaitable[Any]]
_T = TypeVar("_T")


def abba(sides: Sequence[_T], repeats: int) -> Iterator[_T]:
    """``sides`` ``repeats`` times, every other time reversed (A B, B A, ...)."""
    for repetition in range(repeats):
        yield from sides if repetition % 2 == 0 else reversed(sides)


async def interleaved(
    sides: Mapping[str, Runner],
    repeats: int,
    *,
    before_each: Callable[[], None] | None = None,
) -> Timings:
    """Time each side ``repeats`` times, alternating ABBA so drift hits every side alike.

    ``before_each`` runs untimed before every repetition (e.g. to reset the server).
    Garbage is collected before each timed run, never during the clock's reading.
    """
    timings = Timings({name: [] for name in sides}, {name: [] for name in sides})
    for name in abba(list(sides), repeats):
        if before_each is not None:
            before_each()
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        await sides[name]()
        timings.cpu[name].append(time.process_time() - cpu)
        timings.wall[name].append(time.perf_counter() - wall)
    return timings


def client_options(rate_limit: str) -> tuple[RateLimit | None, str]:
    """The client's ``rate_limit`` argument, and a note saying what it is.

    ``rate_limit`` is ``"off"`` (throughput scenarios) or ``"raised"`` (on, but far
    above what the scenario sends).
    """
    if rate_limit == "off":
        return None, "client rate limiter off (rate_limit=None)"
    raised = RateLimit(requests=1_000_000, per=60.0)
    return raised, "client rate limiter on, raised to 1,000,000 per 60 s"


def make_client(
    url: str, *, rate_limit: str = "off", session: aiohttp.ClientSession | None = None
) -> WhautoChat:
    """A client for the benchmark server (rate limiter ``off`` or ``raised``)."""
    limit, _ = client_options(rate_limit)
    return WhautoChat(API_KEY, base_url=url, session=session, environ={}, rate_limit=limit)


def ratio_text(value: float) -> str:
    """A ratio as the table prints it, e.g. ``1.07x``."""
    return f"{value:.2f}x"


def repetitions_text(count: int) -> str:
    """``15 interleaved repetitions each`` (or ``1 repetition each``)."""
    return "1 repetition each" if count == 1 else f"{count} interleaved repetitions each"


def seconds_text(value: float) -> str:
    """Seconds as the details print them, e.g. ``412.3 ms``."""
    return f"{value * 1000:.1f} ms" if value < 10 else f"{value:.2f} s"
