"""The requester's side of a rate limiter: queue for a slot, pause it on a spent quota.

Kept apart from the attempt loop: the limiter stops the deadline's clock while a call
queues (unless ``Timeout.include_queue``), and reads the quota headers of every answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..errors import WhautoChatError
from ..ratelimit import RateLimiter
from ..ratelimit._wait import on_limiter_wait
from .call import Call
from .protocol import Response
from .ratelimit_headers import limiter_pause

logger = logging.getLogger("whautochat_async")


class LimiterGate:
    """One requester's limiter with the clocks and limits it is used under."""

    def __init__(
        self,
        limiter: RateLimiter,
        *,
        include_queue: bool,
        max_wait: float,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self.limiter = limiter
        self._include_queue, self._max_wait = include_queue, max_wait
        self._clock, self._wall_clock = clock, wall_clock

    async def acquire(self, call: Call, scope: asyncio.Timeout) -> None:
        """Queue for a slot; the deadline stands still meanwhile unless it includes it."""
        call.phase, call.queued_since = "waiting for the rate limiter", self._clock()
        stopped_with = None if self._include_queue else _stop(scope)
        with on_limiter_wait(call.note_queue):
            await self.limiter.acquire()
        waited, call.queued_since = self._clock() - call.queued_since, None
        if stopped_with is not None:
            scope.reschedule(asyncio.get_running_loop().time() + stopped_with)
            if call.deadline_at is not None:
                call.deadline_at += waited

    def release(self, *, sent: bool) -> None:
        """The attempt is over; ``sent=False``: it provably never left."""
        self.limiter.release(sent=sent)

    async def observe_failure(self, call: Call, response: Response) -> None:
        """Hold every caller of the limiter when the server says the quota is spent."""
        wait = self._quota_pause(response)
        if wait is not None:
            await self._pause(call, wait)

    async def observe_success(self, call: Call, response: Response) -> None:
        """Pass a 2xx's quota headers to the limiter without ever failing the call.

        The request has succeeded (a create has happened): a limiter that is slow or
        failing, or a deadline running out now, must not turn that into an error the
        caller would answer by sending it again. The pause gets what is left of the
        deadline; what does not fit is logged and skipped.
        """
        wait = self._quota_pause(response)
        if wait is None:
            return  # the usual answer: no pause, so no timer and no await
        remaining = None if call.deadline_at is None else call.deadline_at - self._clock()
        try:
            async with asyncio.timeout(None if remaining is None else max(remaining, 0.0)):
                await self._pause(call, wait)
        except Exception as exc:  # whatever a custom limiter raises: the call has succeeded
            logger.debug("%s: succeeded; limiter pause skipped (%s)", call.label, described(exc))

    def _quota_pause(self, response: Response) -> float | None:
        now_wall = self._wall_clock()
        return limiter_pause(response.status, response.headers, now_wall, max_wait=self._max_wait)

    async def _pause(self, call: Call, wait: float) -> None:
        logger.debug("%s: quota spent, pausing the rate limiter %.3fs", call.label, wait)
        await self.limiter.pause(wait)


def described(exc: Exception) -> str:
    """A limiter failure for a log or a note: a foreign error's text may hold a secret."""
    if isinstance(exc, TimeoutError | WhautoChatError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__} from the rate limiter"


def _stop(scope: asyncio.Timeout) -> float | None:
    """Stop ``scope`` and return the seconds it had left (None: it had no deadline)."""
    when = scope.when()
    if when is None:
        return None
    scope.reschedule(None)
    return when - asyncio.get_running_loop().time()
