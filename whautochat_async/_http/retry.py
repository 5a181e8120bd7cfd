"""Pure retry rules: which failures are retried, how long to wait, what the server asked.

No I/O and no clock reads: the requester passes in the attempt's outcome, the wall-clock
time (for HTTP dates and epoch resets) and a random source, so each rule is tested with
plain values. Written here rather than taken from a retry library (tenacity, backoff):
the rules that matter are ours (never repeat a create that may have happened, obey the
server's wait, stop at the call's deadline) and fit in a few small functions.

============================================  ================  ====================
failed attempt                                GET, PUT, DELETE  POST (create)
============================================  ================  ====================
429                                           retry             retry (did not act)
500, 502, 503, 504                            retry             UnknownOutcomeError
any other 5xx                                 raise             UnknownOutcomeError
any other status (4xx, 3xx)                   raise             raise
connection could not be opened (not sent)     retry             retry
timeout or disconnect after sending           retry             UnknownOutcomeError
the call's deadline ran out                   raise             UnknownOutcomeError
============================================  ================  ====================

A retry waits what the server asked (on a 429: ``X-RateLimit-Reset-After``, else
``Retry-After``, else ``X-RateLimit-Reset``; otherwise ``Retry-After``), or else a
full-jitter exponential backoff. A server wait above ``max_wait`` is not slept: the error
is raised at once (a :class:`~whautochat_async.errors.RateLimitError` for a 429, with
``retry_after``).
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable, Mapping
from datetime import UTC

import attrs

from ..errors import (
    APIConnectionError,
    ConfigurationError,
    DeadlineExceededError,
    TooManyRedirectsError,
)
from .protocol import Request, Response

__all__ = [
    "Decision",
    "RetryPolicy",
    "backoff",
    "decide",
    "limiter_pause",
    "parse_retry_after",
    "quota_wait",
    "rate_limit_reset",
    "server_wait",
]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: ``X-RateLimit-Reset`` above this is a Unix time (2001-09-09), below it a delta in
#: seconds: no rate-limit window lasts 31 years, and no reset lies before 2001.
EPOCH_THRESHOLD = 1_000_000_000
_REMAINING_HEADERS = ("x-ratelimit-remaining", "ratelimit-remaining")


def _non_negative_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(f"{attribute.name} must be an integer >= 0, got {value!r}")


def _non_negative_number(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigurationError(f"{attribute.name} must be a number >= 0, got {value!r}")


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How often and how long to retry; the seconds are for backoff and server waits.

    ``max_retries`` counts retries (attempts = 1 + retries). The backoff before retry
    ``n`` is a random fraction of ``min(backoff_cap, backoff_base * 2 ** (n - 1))``.
    A server-demanded wait longer than ``max_wait`` is raised, not slept.
    """

    max_retries: int = attrs.field(default=3, validator=_non_negative_int)
    backoff_base: float = attrs.field(default=0.5, validator=_non_negative_number)
    backoff_cap: float = attrs.field(default=8.0, validator=_non_negative_number)
    max_wait: float = attrs.field(default=60.0, validator=_non_negative_number)

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
    if not request.idempotent and 500 <= status <= 599:
        return False, True, f"{status} after a {request.method} that may have been acted on"
    if status in RETRYABLE_STATUSES:
        return True, False, f"{status} is retryable"
    return False, False, f"{status} is not retryable"


def _classify_error(request: Request, error: APIConnectionError) -> tuple[bool, bool, str]:
    """(retryable, unknown outcome, why) for a network failure."""
    kind = type(error).__name__
    if isinstance(error, TooManyRedirectsError):
        return False, False, "a redirect loop does not end by trying again"
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


def server_wait(status: int, headers: Mapping[str, str], now_wall: float) -> float | None:
    """Seconds the server asked us to wait before trying again, if it said."""
    if status == 429:
        precise = _number(headers.get("x-ratelimit-reset-after"))
        if precise is not None:
            return precise
    asked = parse_retry_after(headers.get("retry-after"), now_wall)
    if asked is None and status == 429:
        return rate_limit_reset(headers, now_wall)
    return asked


def limiter_pause(
    status: int, headers: Mapping[str, str], now_wall: float, *, max_wait: float
) -> float | None:
    """Seconds to hold every caller of the shared limiter after this answer, or None.

    When no quota is left (remaining 0 with a reset), or on a 429 with a wait. Never
    above ``max_wait``: a longer wait is one caller's RateLimitError, not everyone's stall.
    """
    wait = quota_wait(headers, now_wall)
    if status == 429:
        asked = server_wait(429, headers, now_wall)
        wait = asked if wait is None or asked is None else max(wait, asked)
    return wait if wait is not None and 0 < wait <= max_wait else None


def quota_wait(headers: Mapping[str, str], now_wall: float) -> float | None:
    """Seconds until the quota resets, when the server says none is left; else None."""
    for name in _REMAINING_HEADERS:
        remaining = _number(headers.get(name))
        if remaining is not None:
            return rate_limit_reset(headers, now_wall) if remaining < 1 else None
    return None


def rate_limit_reset(headers: Mapping[str, str], now_wall: float) -> float | None:
    """Seconds until the rate-limit window resets, from the usual headers.

    ``X-RateLimit-Reset-After`` and the IETF draft's ``RateLimit-Reset`` are deltas.
    ``X-RateLimit-Reset`` is a Unix time when above :data:`EPOCH_THRESHOLD`, else a delta.
    """
    for name in ("x-ratelimit-reset-after", "ratelimit-reset"):
        delta = _number(headers.get(name))
        if delta is not None:
            return delta
    value = _number(headers.get("x-ratelimit-reset"))
    if value is None:
        return None
    return max(value - now_wall, 0.0) if value > EPOCH_THRESHOLD else value


def parse_retry_after(value: str | None, now_wall: float) -> float | None:
    """``Retry-After`` in seconds from delta-seconds or an HTTP-date; None if absent or bad."""
    if value is None:
        return None
    seconds = _number(value)
    if seconds is not None:
        return seconds
    try:
        moment = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment.timestamp() - now_wall, 0.0)


def _number(value: str | None) -> float | None:
    """A finite number >= 0 from a header value, else None."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
