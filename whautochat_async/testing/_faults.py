"""The fault plan: failures a test queues up for the fake server to inject.

Each fault applies to the next ``times`` requests that match its ``method`` and
``path`` prefix (``times=None``: every matching request, forever). Faults are taken in
the order they were added; a latency fault and one other fault can fire on the same
request.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["Fault", "FaultKind", "FaultPlan"]


class FaultKind(enum.StrEnum):
    """What a fault does to a request; the docstring of each FaultPlan method says more."""

    STATUS = "status"
    LATENCY = "latency"
    DROP_BEFORE = "drop_before"
    DROP_AFTER = "drop_after"
    TRUNCATED_BODY = "truncated_body"
    HTML_ERROR = "html_error"
    MALFORMED_JSON = "malformed_json"


#: Faults after which the server still carries out the request (the write happens).
ACTING_KINDS = frozenset({FaultKind.DROP_AFTER, FaultKind.TRUNCATED_BODY})


def _upper_or_none(method: str | None) -> str | None:
    return None if method is None else method.upper()


@attrs.define(kw_only=True)
class Fault:
    """One queued fault; ``remaining`` counts down as it fires, ``fired`` counts up."""

    kind: FaultKind
    remaining: int | None = 1
    method: str | None = attrs.field(default=None, converter=_upper_or_none)
    path: str | None = None
    status: int | None = None
    seconds: float = 0.0
    retry_after: float | str | None = None
    headers: Mapping[str, str] = attrs.field(factory=dict)
    body: Any = None
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        """True once the fault has fired ``times`` times."""
        return self.remaining is not None and self.remaining <= 0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to a request with that method and decoded path."""
        if self.exhausted:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        return self.path is None or path.startswith(self.path)

    def fire(self) -> None:
        """Count one use of the fault."""
        self.fired += 1
        if self.remaining is not None:
            self.remaining -= 1


class FaultPlan:
    """The queue of faults a :class:`FakeWhautoChat` injects; programmed by tests."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    @property
    def pending(self) -> tuple[Fault, ...]:
        """Faults that have not fired all their ``times`` yet, in order."""
        return tuple(f for f in self._faults if not f.exhausted)

    def clear(self) -> None:
        """Forget every queued fault."""
        self._faults.clear()

    def status(
        self,
        code: int,
        *,
        times: int | None = 1,
        retry_after: float | str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Answer with ``code`` without acting; ``body`` None means a JSON error body.

        ``body`` may be a str/bytes (sent as is) or any JSON value. ``retry_after`` is
        sent as the ``Retry-After`` header: seconds, or a string such as an HTTP date.
        """
        fault = Fault(
            kind=FaultKind.STATUS,
            status=code,
            retry_after=retry_after,
            headers=dict(headers or {}),
            body=body,
            **_where(times, method, path),
        )
        return self._add(fault)

    def latency(
        self,
        seconds: float,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Sleep ``seconds`` before handling (on top of the server's ``latency``)."""
        return self._add(
            Fault(kind=FaultKind.LATENCY, seconds=seconds, **_where(times, method, path))
        )

    def drop_before(
        self,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Close the connection without acting and without answering."""
        return self._simple(FaultKind.DROP_BEFORE, times, method, path)

    def drop_after(
        self,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Act on the request (the write happens), then close without answering."""
        return self._simple(FaultKind.DROP_AFTER, times, method, path)

    def truncated_body(
        self,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Act, then send the real answer cut short of its Content-Length and close."""
        return self._simple(FaultKind.TRUNCATED_BODY, times, method, path)

    def html_error(
        self,
        code: int = 502,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Answer with a proxy-style ``text/html`` error page, without acting."""
        return self._add(
            Fault(kind=FaultKind.HTML_ERROR, status=code, **_where(times, method, path))
        )

    def malformed_json(
        self,
        *,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        """Answer 200 ``application/json`` with a body that is not valid JSON.

        The request is not acted on, so a write under this fault did not happen.
        """
        return self._simple(FaultKind.MALFORMED_JSON, times, method, path)

    def take_latency(self, method: str, path: str) -> float:
        """Fire the first matching latency fault and return its seconds (0.0 if none)."""
        fault = self._take(method, path, latency=True)
        return 0.0 if fault is None else fault.seconds

    def take(self, method: str, path: str) -> Fault | None:
        """Fire and return the first matching non-latency fault, if any."""
        return self._take(method, path, latency=False)

    def _take(self, method: str, path: str, *, latency: bool) -> Fault | None:
        for fault in self._faults:
            is_latency = fault.kind is FaultKind.LATENCY
            if is_latency == latency and fault.matches(method, path):
                fault.fire()
                return fault
        return None

    def _simple(
        self, kind: FaultKind, times: int | None, method: str | None, path: str | None
    ) -> Fault:
        return self._add(Fault(kind=kind, **_where(times, method, path)))

    def _add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault


def _where(times: int | None, method: str | None, path: str | None) -> dict[str, Any]:
    if times is not None and times < 1:
        raise ValueError("times must be None or >= 1")
    return {"remaining": times, "method": method, "path": path}
