"""The client's own aiohttp sessions: bound to one event loop, closed before it closes.

An aiohttp session belongs to the loop that made it. Ours are closed by an async
generator's ``finally``, which ``asyncio.run()`` (and ``asyncio.Runner``) runs while
shutting the loop down, so a client used in two ``asyncio.run()`` calls finds the first
loop's sessions already closed and opens new ones, with nothing left to warn at
garbage collection. A loop closed by hand skips that shutdown: its sessions are then
released without it, see ``_release_after_loop``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Iterator
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

    async def release_after_loop(self) -> None:
        """Close the sessions of a loop closed without shutting them down (never touching it)."""
        if not self.loop.is_closed():  # a live loop's transports are that loop's to close
            return
        for session in (self.pooled, self.fresh):
            await _release_after_loop(session)


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
        """Raise EventLoopError if the sessions belong to another loop that is not closed."""
        old = self._current
        loop = None if old is None else old.loop
        if loop is not None and loop is not asyncio.get_running_loop() and not loop.is_closed():
            raise EventLoopError(
                "this client's connections belong to another event loop that is not closed "
                "(running in another thread, or stopped); use one client per event loop"
            )

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _LoopSessions:
        self.check_loop()
        # Replaced before anything is awaited, so concurrent first calls share one set.
        current = _LoopSessions(loop)
        old, self._current = self._current, current
        # Runs to the yield at once; registers the closer with the loop's shutdown.
        await anext(current.closer)
        if old is not None:  # its loop is closed: shut down (nothing to do) or closed by hand
            await old.release_after_loop()
        return current

    async def close(self) -> None:
        """Close the sessions, from their own loop or (thread-safely) from another."""
        current, self._current = self._current, None
        if current is None:
            return
        if current.loop.is_closed():
            await current.release_after_loop()
        elif current.loop is asyncio.get_running_loop():
            await current.closer.aclose()
        elif current.loop.is_running():
            closing = asyncio.run_coroutine_threadsafe(_aclose(current), current.loop)
            await asyncio.wrap_future(closing)
        # Else the loop is stopped, not closed, maybe to run again in its thread: not ours to
        # touch. Its shutdown (asyncio.run's, or shutdown_asyncgens()) runs the closer.


async def _aclose(sessions: _LoopSessions) -> None:
    await sessions.closer.aclose()


async def _release_after_loop(session: aiohttp.ClientSession) -> None:
    # Sessions whose loop ran its shutdown are closed already: nothing to do.
    connector = session.connector
    if connector is None or connector.closed:
        return
    for transport in _open_transports(connector):
        _close_transport_of_closed_loop(transport)
    try:
        # aiohttp skips a closed loop's connections (released above) and schedules nothing
        # on it: this only marks the connector and session closed, without suspending.
        await session.close()
    except RuntimeError:  # a dead loop's pending DNS future refused its cancellation
        session.detach()


def _open_transports(connector: aiohttp.BaseConnector) -> Iterator[asyncio.Transport]:
    # aiohttp has no public way to list a connector's connections: read its pool and the
    # connections in use, and skip what a future version no longer has.
    pooled = getattr(connector, "_conns", {})
    in_use = getattr(connector, "_acquired", ())
    protocols = [proto for conns in pooled.values() for proto, _ in conns]
    for proto in [*protocols, *in_use]:
        transport = getattr(proto, "transport", None)
        if transport is not None:
            yield transport


def _close_transport_of_closed_loop(transport: asyncio.Transport) -> None:
    # abort() marks the transport closed, then fails to schedule the socket's release on
    # the closed loop ("Event loop is closed"); nothing will ever run it there, so run that
    # step here. asyncio has no public call for it; a transport without it is left as is.
    with contextlib.suppress(RuntimeError):
        transport.abort()
    release = getattr(transport, "_call_connection_lost", None)
    if release is not None:
        # Best effort on a dead loop's objects: a failure here must not fail the new call.
        with contextlib.suppress(Exception):
            release(None)
