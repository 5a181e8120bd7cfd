"""How many requests a client had in flight at once, seen through aiohttp's tracing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp

from whautochat_async import WhautoChat

from ._common import make_client


class InFlight:
    """Counts requests in flight on a session it traces; ``peak`` is the most at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.total = 0

    def trace_config(self) -> aiohttp.TraceConfig:
        """A TraceConfig to pass to the ``aiohttp.ClientSession`` the client borrows."""
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._start)
        config.on_request_end.append(self._end)
        config.on_request_exception.append(self._end)
        return config

    async def _start(self, *_: Any) -> None:
        self.now += 1
        self.total += 1
        self.peak = max(self.peak, self.now)

    async def _end(self, _session: Any, _context: SimpleNamespace, _params: Any) -> None:
        self.now -= 1


async def count_in_flight(
    url: str, run: Callable[[WhautoChat], Awaitable[object]], *, rate_limit: str = "off"
) -> InFlight:
    """Await ``run`` on a fresh client whose session is traced; the counts it left."""
    counter = InFlight()
    async with (
        aiohttp.ClientSession(trace_configs=[counter.trace_config()]) as session,
        make_client(url, rate_limit=rate_limit, session=session) as client,
    ):
        await run(client)
    return counter
