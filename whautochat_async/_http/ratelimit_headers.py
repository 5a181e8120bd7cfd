"""What the server's rate-limit headers ask for: pure reading of (status, headers).

On a 429 the wait is ``X-RateLimit-Reset-After``, else ``Retry-After``, else
``X-RateLimit-Reset``; on any other status ``Retry-After``. The retry rules decide what
to do with it; the requester passes :func:`limiter_pause` to the shared limiter.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from datetime import UTC

from .._validation import MAX_SECONDS

__all__ = [
    "EPOCH_THRESHOLD",
    "limiter_pause",
    "parse_retry_after",
    "quota_wait",
    "rate_limit_reset",
    "server_wait",
]

#: ``X-RateLimit-Reset`` above this is a Unix time (2001-09-09), below it a delta in
#: seconds: no rate-limit window lasts 31 years, and no reset lies before 2001.
EPOCH_THRESHOLD = 1_000_000_000
_REMAINING_HEADERS = ("x-ratelimit-remaining", "ratelimit-remaining")


def server_wait(status: int, headers: Mapping[str, str], now_wall: float) -> float | None:
    """Seconds the server asked us to wait before trying again, if it said."""
    return _clamped(_asked_wait(status, headers, now_wall))


def _asked_wait(status: int, headers: Mapping[str, str], now_wall: float) -> float | None:
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
    wait = _clamped(quota_wait(headers, now_wall))
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
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return max(moment.timestamp() - now_wall, 0.0)
    except (ValueError, OverflowError):  # a date at the edge of datetime's range
        return None


def _clamped(seconds: float | None) -> float | None:
    """A server's wait, at most MAX_SECONDS: a longer one means "not for ages", and waits
    are added to clocks and converted (Redis milliseconds), which must stay finite."""
    return None if seconds is None else min(seconds, MAX_SECONDS)


def _number(value: str | None) -> float | None:
    """A finite number >= 0 from a header value, else None."""
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) and number >= 0 else None
