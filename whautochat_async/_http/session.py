"""The client's own aiohttp sessions: bound to one event loop, closed before it closes.

An aiohttp session belongs to the loop that made it. Ours are closed by an async
generator's ``finally``, which ``asyncio.run()`` (and ``asyncio.Runner``) runs while
shutting the loop down, so a client used in two ``asyncio.run()`` calls finds the first
loop's sessions already closed and opens new ones, with nothing left to warn at
garbage collection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from types import SimpleNamespace
from typing import Any

import aiohttp

from ..errors import EventLoopError

__all__ = ["OwnedSessions", "Progress"]


class Progress:
    """How far one attempt got; a connection opened (or reused) means it may have been sent."""

    __slots__ = ("connected",)

    def __init__(self) -> None:
        self.connected = False


async def _on_connection(_: aiohttp.ClientSession, ctx: SimpleNamespace, __: Any) -> None:
    # Fires once a connection is ready, before any byte of the request is written.
    progress = ctx.trace_request_ctx
    if isinstance(progress, Progress):
        progress.connected = True


def _trace_config() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(_on_connection)
    trace.on_connection_reuseconn.append(_on_connection)
    return trace


def _session(connector: aiohttp.BaseConnector, *, traced: bool) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None),
        # A trace costs ~30 us a request: only where "sent" decides (writes that must not repeat).
        trace_configs=[_trace_config()] if traced else None,
    )
    # aiohttp resends an idempotent request once by itself when a connection drops; that
    # copy would pass the rate limiter uncounted. Our retry policy resends it instead.
    session._retry_connection = False
    return session


class _LoopSessions:
    """One loop's sessions: pooled connections, and fresh ones for writes that must not repeat."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pooled = _session(aiohttp.TCPConnector(), traced=False)
        # A pooled connection may have been closed by the server a moment ago: a POST sent
        # on it fails with no way to tell whether it arrived. A new connection cannot be stale.
        self.fresh = _session(aiohttp.TCPConnector(force_close=True), traced=True)
        self.closer = self._closed_at_loop_shutdown()

    async def _closed_at_loop_shutdown(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await self.pooled.close()
            await self.fresh.close()


class OwnedSessions:
    """The sessions the client opened, on the loop it is used from."""

    def __init__(self) -> None:
        self._current: _LoopSessions | None = None

    @property
    def opened(self) -> tuple[aiohttp.ClientSession, ...]:
        """The sessions open now (none before the first request or after close())."""
        current = self._current
        return () if current is None else (current.pooled, current.fresh)

    async def get(self, *, fresh: bool) -> aiohttp.ClientSession:
        """The session for this loop; ``fresh``: one that never reuses a connection."""
        loop = asyncio.get_running_loop()
        current = self._current
        if current is None or current.loop is not loop:
            current = await self._open(loop)
        return current.fresh if fresh else current.pooled

    def check_loop(self) -> None:
        """Raise EventLoopError if the sessions belong to another loop that is still open."""
        old = self._current
        loop = None if old is None else old.loop
        if loop is not None and loop is not asyncio.get_running_loop() and not loop.is_closed():
            raise EventLoopError(
                "this client's connections belong to another event loop that is still "
                "open (e.g. running in another thread); use one client per event loop"
            )

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _LoopSessions:
        self.check_loop()
        # A closed loop's sessions were closed as it shut down: forget them.
        self._current = current = _LoopSessions(loop)
        # Runs to the yield at once; registers the closer with the loop's shutdown.
        await anext(current.closer)
        return current

    async def close(self) -> None:
        """Close the sessions, from their own loop or (thread-safely) from another."""
        current, self._current = self._current, None
        if current is None or current.loop.is_closed():
            return
        if current.loop is asyncio.get_running_loop():
            await current.closer.aclose()
        elif current.loop.is_running():
            closing = asyncio.run_coroutine_threadsafe(_aclose(current), current.loop)
            await asyncio.wrap_future(closing)


async def _aclose(sessions: _LoopSessions) -> None:
    await sessions.closer.aclose()
