"""Scenario 4: peak RSS growth of streaming ``async for`` against a materialised list."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from typing import Any

from ._common import Result, Settings, abba
from ._server import ROOT, ServerProcess

TARGET_MB = 30.0
#: "Flat in N": streaming at the largest N grows at most this much more than at the smallest.
FLAT_SLACK_MB = 5.0
_MODES = ("stream", "list")
#: Seconds one probe process may take before it is killed (a hung child).
PROBE_TIMEOUT = 300.0


def _probe(url: str, mode: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._memory_probe", url, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=PROBE_TIMEOUT,
    )
    return dict(json.loads(done.stdout))


def _growth_mb(settings: Settings, server: ServerProcess) -> tuple[dict[str, list[float]], str]:
    """Median growth in MB per mode, one entry per size; each probe in a fresh process."""
    growth: dict[str, list[float]] = {mode: [] for mode in _MODES}
    method = ""
    for size in settings.stream_sizes:
        server.configure(webhooks=size)
        runs: dict[str, list[float]] = {mode: [] for mode in _MODES}
        for mode in abba(_MODES, settings.slow_repeats):
            probe = _probe(server.url, mode)
            if probe["items"] != size:
                raise RuntimeError(f"{mode}: listed {probe['items']} of {size} webhooks")
            runs[mode].append(probe["growth_kib"] / 1024)
            method = probe["method"]
        for mode in _MODES:
            growth[mode].append(statistics.median(runs[mode]))
    return growth, method


def memory_scenario(settings: Settings, server: ServerProcess) -> Result:
    """Scenario 4: streaming must stay under the target and flat from the smallest N up."""
    sizes = settings.stream_sizes
    growth, method = _growth_mb(settings, server)
    stream, listed = growth["stream"], growth["list"]
    span = sizes[-1] - sizes[0]
    per_item = {mode: (growth[mode][-1] - growth[mode][0]) * 2**20 / span for mode in _MODES}
    flat = stream[-1] - stream[0] <= FLAT_SLACK_MB
    return Result(
        number="4",
        scenario=f"stream {sizes[-1]:,} webhooks with async for",
        baseline="materialising them in a list",
        target=f"peak RSS growth ≤ {TARGET_MB:g} MB, flat in N",
        measured=f"{stream[-1]:.1f} MB (list: {listed[-1]:.1f} MB)",
        passed=stream[-1] <= TARGET_MB and flat,
        details=[
            "stream growth by N: " + _by_size(sizes, stream),
            "list growth by N: " + _by_size(sizes, listed),
            f"slope from {sizes[0]:,} to {sizes[-1]:,}: stream {per_item['stream']:.0f} B "
            f"per webhook, list {per_item['list']:.0f} B per webhook",
            f"flat = stream growth at {sizes[-1]:,} ≤ growth at {sizes[0]:,} + "
            f"{FLAT_SLACK_MB:g} MB: {'yes' if flat else 'NO'}",
            f"each figure the median of {settings.slow_repeats} fresh client processes; "
            f"the server runs in its own process; {method}",
        ],
    )


def _by_size(sizes: tuple[int, ...], values: list[float]) -> str:
    return ", ".join(f"{size:,}: {value:.1f} MB" for size, value in zip(sizes, values, strict=True))
