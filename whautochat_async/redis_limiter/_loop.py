"""The one event loop a limiter works on, and its Redis connections once that loop closed.

Its queue and release tasks, events and its client's connections all belong to the loop
of its first call. Rebinding them to a new loop would also need the borrowed client's
connections, which are the caller's; so another loop is refused with EventLoopError
rather than read as a Redis outage, and only aclose() may come from a later loop.
"""

from __future__ import annotations

import asyncio
import contextlib

import redis.asyncio as aioredis

from .._http.session import _close_transport_of_closed_loop
from ..errors import EventLoopError

__all__ = ["LoopBinding", "drop_connections"]


class LoopBinding:
    """The loop of the limiter's first call; any other loop is refused."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None

    def check(self, *, bind: bool = True) -> None:
        """Raise EventLoopError when called from a loop other than the bound one."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # release() from synchronous code: nothing runs on a loop
            return
        if self.loop is None:
            if bind:
                self.loop = loop
        elif loop is not self.loop:
            state = "is closed" if self.loop.is_closed() else "is not this one"
            raise EventLoopError(
                f"this rate limiter belongs to the event loop of its first call, which {state}; "
                "make one limiter per event loop (e.g. inside each asyncio.run())"
            )

    @property
    def dead(self) -> bool:
        """Whether the bound loop is closed (only aclose() is left to do)."""
        return self.loop is not None and self.loop.is_closed()


def drop_connections(client: aioredis.Redis) -> None:
    """Release the sockets of a closed loop's connections without touching that loop."""
    pool = client.connection_pool
    # redis-py has no public list of a pool's connections: read its two collections.
    idle = getattr(pool, "_available_connections", ())
    busy = getattr(pool, "_in_use_connections", ())
    for connection in [*idle, *busy]:
        writer = getattr(connection, "_writer", None)
        if writer is not None:
            # Best effort on a dead loop's objects: closing must not fail.
            with contextlib.suppress(Exception):
                _close_transport_of_closed_loop(writer.transport)
            connection._writer = connection._reader = None
