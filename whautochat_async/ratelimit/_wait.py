"""The hook a rate limiter calls when a call has to queue: progress lines and errors read it.

A limiter calls :func:`notify_wait` just before a caller starts waiting; whoever wants to
know (a sync's ``on_wait``, the requester wording a queued-deadline error) installs a
listener with :func:`on_limiter_wait` around the calls. A ContextVar carries the
listeners, so they follow each task without any change to the RateLimiter protocol.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import attrs

__all__ = ["LimiterWait", "WaitListener", "notify_wait", "on_limiter_wait"]

logger = logging.getLogger("whautochat_async")


@attrs.frozen
class LimiterWait:
    """A call queued for the limiter: the estimated wait and how many calls are ahead."""

    seconds: float
    ahead: int | None = None


WaitListener = Callable[[LimiterWait], None]
_listeners: ContextVar[tuple[WaitListener, ...]] = ContextVar("limiter_wait", default=())


def notify_wait(seconds: float, *, ahead: int | None = None) -> None:
    """Tell this task's listeners that its call waits about ``seconds`` for the limiter."""
    listeners = _listeners.get()
    if not listeners:
        return
    wait = LimiterWait(max(seconds, 0.0), ahead)
    for listener in listeners:
        try:
            listener(wait)
        except Exception:
            # A progress display that fails must not fail the request it reports on,
            # nor leave the limiter half-way through queueing it.
            logger.exception("a rate-limiter wait listener failed")


@contextmanager
def on_limiter_wait(listener: WaitListener) -> Iterator[None]:
    """Call ``listener`` for every limiter wait in this context (and tasks started in it)."""
    token = _listeners.set((*_listeners.get(), listener))
    try:
        yield
    finally:
        _listeners.reset(token)
