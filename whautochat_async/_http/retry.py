"""Pure retry rules: which failures are retried and how long to wait first.

No I/O and no clock reads, so each rule is tested with plain values. Not tenacity or
backoff: the rules that matter are ours (never repeat a create that may have happened,
obey the server's wait, stop at the deadline) and fit in a few small functions.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .._validation import int_option, number_option
from ..errors import (
    APIConnectionError,
    ConfigurationError,
    DeadlineExceededError,
    TooManyRedirectsError,
)
from .protocol import Request, Response
from .ratelimit_headers import server_wait

__all__ = ["Decision", "RetryPolicy", "backoff", "decide"]

#: Seconds: a wait of inf is allowed (max_wait=inf: always wait what the server asks);
#: a backoff is finite (an infinite one is a call that hangs, or a nan wait).
_SECONDS = number_option(positive=False, finite=False)
_BACKOFF = number_option(positive=False, finite=True)
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: A redirect not followed (its Location unusable): "see other" may follow a write that
#: happened; 307 and 308 say "repeat it there", so nothing was done.
_MAY_HAVE_ACTED_3XX = frozenset(range(300, 400)) - {307, 308}


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how long to retry; the seconds are for backoff and server waits.

    ``max_retries`` counts retries (attempts = 1 + retries). The backoff before retry
    ``n`` is a random fraction of ``min(backoff_cap, backoff_base * 2 ** (n - 1))``.
    A server-demanded wait longer than ``max_wait`` is raised, not slept.
    """

    max_retries: int = attrs.field(default=3, validator=int_option(0))
    backoff_base: float = attrs.field(default=0.5, validator=_BACKOFF)
    backoff_cap: float = attrs.field(default=8.0, validator=_BACKOFF)
    max_wait: float = attrs.field(default=60.0, validator=_SECONDS)

    @classmethod
    def of(cls, value: RetryPolicy | int) -> RetryPolicy:
        """A policy from a policy or a number of retries (``0``: never retry)."""
        if isinstance(value, RetryPolicy):
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigurationError(f"retry must be a RetryPolicy or an int, got {value!r}")
        return cls(max_retries=value)


@attrs.frozen(kw_only=True)
class Decision:
    """What to do after a failed attempt, and why (the reason is logged)."""

    retry: bool
    reason: str
    wait: float = 0.0
    #: A write may have happened: the caller gets UnknownOutcomeError, never a retry.
    unknown_outcome: bool = False
    #: The wait the server asked for, if it said (seconds).
    server_wait: float | None = None


Outcome = Response | APIConnectionError


def decide(
    policy: RetryPolicy,
    request: Request,
    outcome: Outcome,
    attempt: int,
    *,
    now_wall: float,
    random: Callable[[], float],
) -> Decision:
    """Retry (and how long to wait first) or raise, after ``attempt`` (1-based) failed."""
    if isinstance(outcome, Response):
        retryable, unknown, why = _classify_status(request, outcome.status)
        asked = server_wait(outcome.status, outcome.headers, now_wall)
    else:
        retryable, unknown, why = _classify_error(request, outcome)
        asked = None
    if not retryable:
        return Decision(retry=False, reason=why, unknown_outcome=unknown, server_wait=asked)
    if attempt > policy.max_retries:
        spent = f"{why}, but all {policy.max_retries} retries are spent"
        return Decision(retry=False, reason=spent, server_wait=asked)
    if asked is None:
        wait = backoff(policy, attempt, random)
        return Decision(retry=True, reason=f"{why}; backoff", wait=wait)
    if asked > policy.max_wait:
        too_long = f"{why}, but the server asked to wait {asked:.3g}s > max_wait {policy.max_wait}s"
        return Decision(retry=False, reason=too_long, server_wait=asked)
    return Decision(retry=True, reason=f"{why}; server asked", wait=asked, server_wait=asked)


def _classify_status(request: Request, status: int) -> tuple[bool, bool, str]:
    """(retryable, unknown outcome, why) for a non-2xx status."""
    if status == 429:
        return True, False, "429 (the server did not act)"
    if not request.idempotent and (500 <= status <= 599 or status in _MAY_HAVE_ACTED_3XX):
        return False, True, f"{status} after a {request.method} that may have been acted on"
    if status in RETRYABLE_STATUSES:
        return True, False, f"{status} is retryable"
    return False, False, f"{status} is not retryable"


def _classify_error(request: Request, error: APIConnectionError) -> tuple[bool, bool, str]:
    """(retryable, unknown outcome, why) for a network failure."""
    kind = type(error).__name__
    if isinstance(error, TooManyRedirectsError):
        # A POST turned GET by a 303 on the way may have acted before the loop.
        unknown = not request.idempotent
        return False, unknown, "a redirect loop does not end by trying again"
    if not error.request_sent:
        if isinstance(error, DeadlineExceededError):
            return False, False, "the deadline ran out before the request was sent"
        return True, False, f"{kind} before the request was sent"
    if not request.idempotent:
        return False, True, f"{kind} after a {request.method} was sent"
    if isinstance(error, DeadlineExceededError):
        return False, False, "the deadline ran out"
    return True, False, f"{kind} on an idempotent request"


def backoff(policy: RetryPolicy, attempt: int, random: Callable[[], float]) -> float:
    """Full jitter: a random wait in ``[0, min(cap, base * 2 ** (attempt - 1)))``."""
    ceiling = min(policy.backoff_cap, policy.backoff_base * 2.0 ** min(attempt - 1, 64))
    return ceiling * random()
