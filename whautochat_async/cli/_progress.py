"""Live lines on a terminal: a progress line (done/total, rate, time left) and a tally, both
showing the rate limiter's waits as a countdown.

Hand-written rather than taken from a library (rich, tqdm): it is one line of text, and
the CLI then needs nothing beyond the library's own dependencies on a plain install.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TextIO

from ..ratelimit import on_limiter_wait
from ._pace import LONG_WAIT, Pace

__all__ = ["Progress", "Tally", "showing_waits", "ticking"]

#: A sync with at least this many writes shows a progress line (on a terminal only).
PROGRESS_THRESHOLD = 10


class StatusLine:
    """One line on ``stream`` redrawn in place when ``enabled``, with a wait's countdown."""

    def __init__(self, stream: TextIO, *, enabled: bool, clock: Callable[[], float]) -> None:
        self.stream, self.enabled = stream, enabled
        self._clock = clock
        self._wait_until: float | None = None
        self._width = 0

    def waiting(self, seconds: float) -> None:
        """Say the work waits about ``seconds`` for the rate limit, until it moves on.

        A wait under a second is not shown: "(0 s)" flashing between writes is noise.
        """
        if seconds >= LONG_WAIT:
            self._wait_until = self._clock() + seconds
            self.tick()

    def tick(self) -> None:
        """Redraw a rate-limit wait's countdown, if one is under way (called every second)."""
        if self._wait_until is None:
            return
        left = self._wait_until - self._clock()
        self._draw(self.line(f"waiting for rate limit ({max(left, 0):.0f} s)"))

    def line(self, status: str) -> str:
        """The text of the line with ``status``."""
        return status

    def _draw(self, text: str) -> None:
        if not self.enabled:
            return
        # Pad over what a longer previous line left behind, then return to its start.
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(len(text), 1)

    def _wipe(self) -> None:
        """Blank the line and return to its start, if one was drawn."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


class Progress(StatusLine):
    """An ``on_progress`` callback that draws one updating line, when ``enabled``.

    ``waiting(seconds)`` notes a wait for the rate limiter (an ``on_wait`` callback); the
    note stays until the next write completes. ``failed`` counts failed outcomes, drawn or
    not. The rate and time left come from :class:`Pace`, which reads the client's
    in-process ``limiter`` when given one.
    """

    def __init__(
        self,
        stream: TextIO,
        total: int,
        *,
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
        limiter: object = None,
    ) -> None:
        super().__init__(stream, enabled=enabled and total >= PROGRESS_THRESHOLD, clock=clock)
        self.total = total
        self.done = self.failed = 0
        self.pace = Pace(clock(), limiter)

    def __call__(self, done: int, total: int, outcome: Any) -> None:
        if not getattr(outcome, "ok", True):
            self.failed += 1
        self.done, self.total = done, total
        self.pace.finished(self._clock(), done)
        self._wait_until = None
        self._draw(self.line(self._estimate()))

    def waiting(self, seconds: float) -> None:
        """Say the next write waits about ``seconds`` for the rate limit (an ``on_wait``)."""
        self.pace.waiting(self._clock(), seconds, self.done)
        super().waiting(seconds)

    def line(self, status: str) -> str:
        """The text of the line with ``status`` after the counts."""
        width = len(str(self.total))
        failed = f", {self.failed} failed" if self.failed else ""
        return f"applying {self.done:>{width}}/{self.total}{failed}" + (
            f" - {status}" if status else ""
        )

    def close(self) -> None:
        """End the progress line, if one was drawn."""
        if self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def _estimate(self) -> str:
        estimate = self.pace.estimate(self._clock(), self.total - self.done)
        if estimate is None:
            return ""
        rate, left = estimate
        return f"{rate:.1f}/s" + (f", {_duration(left)} left" if self.done < self.total else "")


class Tally(StatusLine):
    """A live count of work with no known total (``listing: 300 webhooks``), when enabled.

    Without a ``label`` nothing is counted on screen: the line shows only rate-limit waits
    and is wiped when work arrives (the rows printed next start on a clean line).
    ``close()`` wipes the line.
    """

    def __init__(
        self,
        stream: TextIO,
        label: str | None,
        *,
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(stream, enabled=enabled, clock=clock)
        self.label = label
        self.count = 0

    def add(self, count: int) -> None:
        """Count ``count`` more and redraw (the end of any wait)."""
        self.count += count
        self._wait_until = None
        if self.label is None:
            self._wipe()
        else:
            self._draw(self.line(""))

    def line(self, status: str) -> str:
        """``listing: N webhooks so far``, then ``status``."""
        if self.label is None:
            return status
        counted = f"{self.label}: {self.count} webhooks so far"
        return f"{counted} - {status}" if status else counted

    def close(self) -> None:
        """Wipe the line, if one was drawn."""
        self._wipe()


@contextlib.asynccontextmanager
async def ticking(
    line: StatusLine,
    *,
    interval: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[None]:
    """Call ``line.tick()`` every ``interval`` seconds meanwhile: a wait counts down live."""
    if not line.enabled:
        yield
        return

    async def tick_forever() -> None:
        while True:
            await sleep(interval)
            line.tick()

    ticker = asyncio.create_task(tick_forever())
    try:
        yield
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


@contextlib.asynccontextmanager
async def showing_waits(line: StatusLine) -> AsyncIterator[None]:
    """Show on ``line`` the rate limiter's waits of the calls made meanwhile, counting down."""
    with _heard_waits(line):
        async with ticking(line):
            yield


@contextlib.contextmanager
def _heard_waits(line: StatusLine) -> Iterator[None]:
    if not line.enabled:
        yield
        return
    with on_limiter_wait(lambda wait: line.waiting(wait.seconds)):
        yield


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s`` or ``1 h 2 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
