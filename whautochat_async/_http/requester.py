"""One API call: limiter, attempts, retry waits, all within one deadline.

The decisions are pure (``retry``, ``call``); this loop only sequences them. Time is
injected so it is tested without sleeping; ``asyncio.timeout(deadline)`` is the hard guard.
Unless ``Timeout.include_queue``, the deadline stands still while the call queues for
the rate limiter.
"""

from __future__ import annotations

import asyncio
import logging
import random as _random
import time
from collections.abc import Awaitable, Callable

from .._config import Timeout
from ..errors import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    DeadlineExceededError,
    EventLoopError,
    QueueTimeoutError,
    WhautoChatError,
)
from ..ratelimit import RateLimiter
from .call import Call, fail, may_have_acted, unknown_outcome
from .gate import LimiterGate, described
from .protocol import Request, Response
from .retry import Decision, Outcome, RetryPolicy, decide
from .transport import Transport

logger = logging.getLogger("whautochat_async")


class Requester:
    """Sends a request with retries, rate limiting and a deadline; raises for non-2xx."""

    def __init__(
        self,
        transport: Transport,
        *,
        timeout: Timeout,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self.retry = RetryPolicy() if retry is None else retry
        self.limiter = limiter
        self._clock, self._wall_clock = clock, wall_clock
        self._sleep, self._random = sleep, random
        self._gate = None
        if limiter is not None:
            self._gate = LimiterGate(
                limiter,
                include_queue=timeout.include_queue,
                max_wait=self.retry.max_wait,
                clock=clock,
                wall_clock=wall_clock,
            )

    def with_options(
        self, *, timeout: Timeout | None = None, retry: RetryPolicy | None = None
    ) -> Requester:
        """A requester sharing this one's transport, limiter and clocks, with new limits."""
        return Requester(
            self.transport,
            timeout=self.timeout if timeout is None else timeout,
            retry=self.retry if retry is None else retry,
            limiter=self.limiter,
            clock=self._clock,
            wall_clock=self._wall_clock,
            sleep=self._sleep,
            random=self._random,
        )

    async def send(self, request: Request) -> Response:
        """The 2xx Response for ``request``, or the mapped error."""
        self.transport.check_open()  # before a limiter slot: nothing to refund
        deadline = self.timeout.deadline
        started = self._clock()
        call = Call(request, deadline, None if deadline is None else started + deadline)
        scope = asyncio.timeout(deadline)
        try:
            async with scope:
                response = await self._attempts(call, scope)
        except TimeoutError as exc:
            if not scope.expired():
                raise
            sent = call.in_flight or call.maybe_acted  # maybe_acted: an answer came, then a wait
            error = self._deadline_error(call, sent=sent)
            error.__cause__ = exc
            logger.debug("%s: deadline of %ss exceeded (%s)", call.label, deadline, call.phase)
            if sent and not request.idempotent:
                raise unknown_outcome(call, error, "the deadline ran out") from error
            raise error from exc
        if self._gate is not None:
            await self._gate.observe_success(call, response)
        return response

    async def _attempts(self, call: Call, scope: asyncio.Timeout) -> Response:
        while True:
            call.attempt += 1
            outcome = await self._attempt(call, scope)
            if isinstance(outcome, Response) and 200 <= outcome.status < 300:
                self._log(call, outcome, "done")
                return outcome
            wait = self._wait_or_fail(call, outcome)
            call.maybe_acted = call.maybe_acted or may_have_acted(outcome)
            call.phase = f"waiting {wait:.3f}s before attempt {call.attempt + 1}"
            await self._sleep(wait)

    def _wait_or_fail(self, call: Call, outcome: Outcome) -> float:
        """Seconds to wait before the next attempt; raises when there is to be none."""
        decision = self._decide(call, outcome)
        if not decision.retry:
            self._log(call, outcome, f"not retrying: {decision.reason}")
            gave_up = call.attempt > 1 or decision.server_wait is not None
            note = f"attempt {call.attempt}: {decision.reason}" if gave_up else ""
            fail(call, outcome, decision, note=note)
        if call.deadline_at is not None and self._clock() + decision.wait >= call.deadline_at:
            why = f"not retrying: waiting {decision.wait:.3f}s would pass the deadline"
            self._log(call, outcome, f"{why} ({decision.reason})")
            fail(call, outcome, decision, note=f"{why} of {call.deadline}s")
        self._log(call, outcome, f"retrying in {decision.wait:.3f}s: {decision.reason}")
        return decision.wait

    def _decide(self, call: Call, outcome: Outcome) -> Decision:
        now_wall = self._wall_clock()
        return decide(
            self.retry, call.request, outcome, call.attempt, now_wall=now_wall, random=self._random
        )

    async def _attempt(self, call: Call, scope: asyncio.Timeout) -> Outcome:
        """One attempt: the Response, or the network failure as a value."""
        if self._gate is not None:
            await self._gate.acquire(call, scope)
        sent, clipped = True, False
        try:
            attempt_timeout, clipped = self._attempt_timeout(call)
            call.phase, call.in_flight = f"attempt {call.attempt} in flight", True
            connect = _smaller(self.timeout.connect, attempt_timeout)
            response = await self.transport.send(
                call.request, attempt_timeout=attempt_timeout, connect=connect
            )
        except APIConnectionError as exc:
            sent, call.in_flight = exc.request_sent, False
            if clipped and isinstance(exc, APITimeoutError):
                return self._deadline_error(call, sent=exc.request_sent, cause=exc)
            return exc
        except (ClientClosedError, EventLoopError):
            sent = False
            raise
        finally:
            if self._gate is not None:
                self._gate.release(sent=sent)
        call.in_flight = False
        # A 2xx's quota is observed by send(), after the scope.
        if self._gate is not None and not 200 <= response.status < 300:
            # Before the pause: a deadline running out in it must know what was sent.
            call.maybe_acted = call.maybe_acted or may_have_acted(response)
            call.phase = f"pausing the rate limiter after attempt {call.attempt}"
            await self._observe_failure(self._gate, call, response)
        return response

    async def _observe_failure(self, gate: LimiterGate, call: Call, response: Response) -> None:
        """The gate pauses the limiter on a spent quota; a foreign failure of it ends the call."""
        try:
            await gate.observe_failure(call, response)
        except WhautoChatError:
            raise
        except Exception as exc:  # a custom limiter may raise anything
            # A limiter that cannot pause cannot hold callers back: no retry, and the answer
            # decides the error (a 503 to a POST stays an unknown outcome, a 429 a RateLimitError).
            note = f"not retrying: the rate limiter failed to pause ({described(exc)})"
            fail(call, response, self._decide(call, response), note=note)

    def _attempt_timeout(self, call: Call) -> tuple[float | None, bool]:
        """This attempt's timeout and whether the deadline (not ``attempt``) set it."""
        per_attempt = self.timeout.attempt
        if call.deadline_at is None:
            return per_attempt, False
        remaining = call.deadline_at - self._clock()
        if remaining <= 0:
            raise self._deadline_error(call, sent=False)
        if per_attempt is not None and per_attempt <= remaining:
            return per_attempt, False
        return remaining, True

    def _deadline_error(
        self, call: Call, *, sent: bool, cause: BaseException | None = None
    ) -> DeadlineExceededError:
        if call.queued_since is not None:
            return self._queue_timeout(call)
        error = DeadlineExceededError(
            f"{call.label}: deadline of {call.deadline}s exceeded ({call.phase})",
            method=call.request.method,
            url=str(self.transport.url_for(call.request)),
            request_sent=sent,
        )
        error.__cause__ = cause
        return error

    def _queue_timeout(self, call: Call) -> QueueTimeoutError:
        assert call.queued_since is not None  # only while queued
        waited = self._clock() - call.queued_since
        ahead = "" if call.queue_ahead is None else f"; {_calls_ahead(call.queue_ahead)}"
        which = "the request" if call.attempt == 1 else f"attempt {call.attempt}"
        return QueueTimeoutError(
            f"{call.label}: deadline of {call.deadline}s exceeded while waiting for the rate "
            f"limiter: {which} never left this process (queued {waited:.2f}s{ahead})",
            method=call.request.method,
            url=str(self.transport.url_for(call.request)),
            waited=waited,
            ahead=call.queue_ahead,
        )

    def _log(self, call: Call, outcome: Outcome, what: str) -> None:
        if not logger.isEnabledFor(logging.DEBUG):
            return  # every call logs: skip building the line when nobody reads it
        result = outcome.status if isinstance(outcome, Response) else type(outcome).__name__
        limit = self.retry.max_retries + 1
        logger.debug("%s attempt %d/%d -> %s; %s", call.label, call.attempt, limit, result, what)


def _smaller(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


def _calls_ahead(count: int) -> str:
    return "1 call was ahead of it" if count == 1 else f"{count} calls were ahead of it"
