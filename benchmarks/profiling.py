"""A cProfile of scenario 1's client listing (stdlib only), for the results' notes."""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path

from ._common import make_client
from ._server import ServerProcess
from .listing import client_listing

_TOP = 12


def _where(filename: str, line: int, function: str) -> str:
    if filename == "~":
        return function  # a built-in
    parts = Path(filename).parts
    for anchor in ("site-packages", "whautochat_async", "benchmarks", "asyncio", "json"):
        if anchor in parts:
            tail = parts[parts.index(anchor) + (anchor == "site-packages") :]
            return f"{'/'.join(tail)}:{line} {function}"
    return f"{Path(filename).name}:{line} {function}"


async def profile_listing(server: ServerProcess, total: int, limit: int) -> list[str]:
    """Markdown rows: the functions of the client process with the most own time."""
    server.configure(webhooks=total)
    async with make_client(server.url) as client:
        await client_listing(client, limit)  # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            for _ in range(3):
                await client_listing(client, limit)
        finally:
            profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total_time = sum(row[2] for row in stats.values())
    rows = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:_TOP]
    lines = ["| function | calls | own time | share | with callees |", "|---|---:|---:|---:|---:|"]
    for (filename, line, function), (_, calls, own, cumulative, _) in rows:
        lines.append(
            f"| `{_where(filename, line, function)}` | {calls:,} | {own * 1000:.0f} ms "
            f"| {own / total_time:.0%} | {cumulative * 1000:.0f} ms |"
        )
    return lines
