"""The state of one call and the error it ends with: pure, no I/O and no asyncio.

:class:`~whautochat_async._requester.Requester` fills a :class:`Call` as it goes and,
when it gives up, turns the last outcome into the error the caller sees here.
"""

from __future__ import annotations

from typing import NoReturn

import attrs

from ._limiter_wait import LimiterWait
from ._protocol import Request, Response, raise_for_status
from ._retry import Decision, Outcome
from .errors import APIConnectionError, APIStatusError, NotFoundError, UnknownOutcomeError

__all__ = ["Call", "fail", "may_have_acted", "status_error", "unknown_outcome"]


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
        return f"{self.request.method} /{self.request.path}"

    def note_queue(self, wait: LimiterWait) -> None:
        """The limiter's word that this call queues behind ``wait.ahead`` others."""
        self.queue_ahead = wait.ahead


def fail(call: Call, outcome: Outcome, decision: Decision, *, note: str = "") -> NoReturn:
    """Raise the error for a failed attempt that is not retried."""
    error = outcome if isinstance(outcome, APIConnectionError) else status_error(outcome, decision)
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


def status_error(response: Response, decision: Decision) -> APIStatusError:
    try:
        raise_for_status(response, retry_after=decision.server_wait)
    except APIStatusError as error:
        return error
    raise AssertionError(f"status {response.status} maps to no error")  # pragma: no cover


def unknown_outcome(call: Call, error: Exception, reason: str) -> UnknownOutcomeError:
    return UnknownOutcomeError(
        f"{call.label}: the webhook may or may not have been created ({reason}: {error}). "
        "It was not retried, so as never to create a duplicate: "
        "list the webhooks before creating it again.",
        method=call.request.method,
        url=getattr(error, "url", ""),
    )
