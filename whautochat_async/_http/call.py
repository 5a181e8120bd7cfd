"""The state of one call and the error it ends with: pure, so the requester stays thin."""

from __future__ import annotations

from typing import NoReturn

import attrs

from ..errors import APIConnectionError, NotFoundError, UnknownOutcomeError
from ..ratelimit._wait import LimiterWait
from . import protocol
from .protocol import Request, Response
from .retry import Decision, Outcome

__all__ = ["Call", "fail", "may_have_acted", "unknown_outcome"]


@attrs.define
class Call:
    """The mutable state of one call, read when the deadline cuts it short."""

    request: Request
    deadline: float | None
    deadline_at: float | None
    attempt: int = 0
    phase: str = "starting"
    in_flight: bool = False
    #: An earlier attempt failed after the server may have acted on it.
    maybe_acted: bool = False
    #: While queued for the rate limiter: since when, and how many calls were ahead.
    queued_since: float | None = None
    queue_ahead: int | None = None

    @property
    def label(self) -> str:
        """The request's ``METHOD /path``."""
        return self.request.label

    def note_queue(self, wait: LimiterWait) -> None:
        """The limiter's word that this call queues behind ``wait.ahead`` others."""
        self.queue_ahead = wait.ahead


def fail(call: Call, outcome: Outcome, decision: Decision, *, note: str = "") -> NoReturn:
    """Raise the error for a failed attempt that is not retried."""
    if isinstance(outcome, APIConnectionError):
        error: Exception = outcome
    else:
        error = protocol.status_error(outcome, retry_after=decision.server_wait)
    if note:
        error.add_note(note)
    if call.maybe_acted and call.request.method == "DELETE" and isinstance(error, NotFoundError):
        error.add_note(
            "an earlier attempt of this DELETE may have reached the server and deleted it"
        )
    if decision.unknown_outcome:
        raise unknown_outcome(call, error, decision.reason) from error
    raise error


def may_have_acted(outcome: Outcome) -> bool:
    if isinstance(outcome, Response):
        return outcome.status >= 500
    return outcome.request_sent


def unknown_outcome(call: Call, error: Exception, reason: str) -> UnknownOutcomeError:
    return protocol.unknown_outcome(call.request, error, reason)
