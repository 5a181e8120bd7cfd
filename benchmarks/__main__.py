"""``python -m benchmarks [--quick] [--out PATH] [--only 1,5]``: run and write the results."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from ._common import Result, Settings
from ._server import ServerProcess
from .client_cost import client_memory_scenario, construction_scenario
from .creating import create_scenario
from .limiter import limiter_fleet_scenario, limiter_overhead_scenario
from .limiter_crowd import limiter_crowd_scenario
from .listing import floor_scenario, prefetch_scenario
from .memory import memory_scenario
from .profiling import profile_listing
from .queueing import crowd_scenario, registry_scenario
from .report import load_text, render
from .requests_spent import capped_listing_scenario, sync_scenario
from .structuring import structure_scenario

DEFAULT_OUT = Path(__file__).with_name("RESULTS.md")
Scenario = Callable[[Settings, ServerProcess], Awaitable[Result]]


async def _memory(settings: Settings, server: ServerProcess) -> Result:
    return await asyncio.to_thread(memory_scenario, settings, server)


SCENARIOS: dict[str, Scenario] = {
    "1": floor_scenario,
    "2": prefetch_scenario,
    "3": create_scenario,
    "4": _memory,
    "5": lambda settings, _: structure_scenario(settings),
    "6a": lambda settings, _: capped_listing_scenario(settings),
    "6b": lambda settings, _: sync_scenario(settings),
    "7a": lambda settings, _: limiter_overhead_scenario(settings),
    "7b": lambda settings, _: limiter_fleet_scenario(settings),
    "7c": lambda settings, _: limiter_crowd_scenario(settings),
    "8a": crowd_scenario,
    "8b": lambda settings, _: registry_scenario(settings),
    "10a": construction_scenario,
    "10b": client_memory_scenario,
}


async def run(settings: Settings, only: set[str] | None = None) -> str:
    """Run the scenarios (all, or ``only`` these numbers) and return RESULTS.md's text."""
    load_at_start = load_text()
    results: list[Result] = []
    profile: list[str] = []
    with ServerProcess() as server:
        for number, scenario in SCENARIOS.items():
            if only is None or number in only or number.rstrip("abc") in only:
                print(f"scenario {number} ...", flush=True)
                results.append(await scenario(settings, server))
                print(f"  {results[-1].measured}", flush=True)
        if settings.profile and (only is None or "1" in only):
            profile = await profile_listing(server, settings.list_total, settings.page_size)
    return render(results, settings, profile, load_at_start)


def main(argv: list[str] | None = None) -> None:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repetition")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write")
    parser.add_argument("--only", help="comma-separated scenario numbers, e.g. 1,6")
    args = parser.parse_args(argv)
    settings = Settings.quick() if args.quick else Settings()
    only = None if args.only is None else set(args.only.split(","))
    text = asyncio.run(run(settings, only))
    args.out.write_text(text)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
