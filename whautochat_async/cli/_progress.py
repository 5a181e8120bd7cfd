"""One live progress line on a terminal: done/total, rate, time left, rate-limit waits.

Hand-written rather than taken from a library (rich, tqdm): it is one line of text, and
the CLI then needs nothing beyond the library's own dependencies on a plain install.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TextIO

__all__ = ["Progress", "Tally", "ticking"]

#: A sync with at least this many writes shows a progress line (on a terminal only).
PROGRESS_THRESHOLD = 10
#: The rate is measured over this many latest completions (the current rate, not the mean).
RATE_WINDOW = 20


class Progress:
    """An ``on_progress`` callback that draws one updating line, when ``enabled``.

    ``waiting(seconds)`` notes a wait for the rate limiter (an ``on_wait`` callback); the
    note stays until the next write completes. ``failed`` counts failed outcomes, drawn or not.
    """

    def __init__(
        self,
        stream: TextIO,
        total: int,
        *,
        enabled: bool,
        label: str = "applying",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled and total >= PROGRESS_THRESHOLD
        self.stream, self.label, self.total = stream, label, total
        self.done = self.failed = 0
        self._clock = clock
        self._finished: deque[float] = deque([clock()], maxlen=RATE_WINDOW + 1)
        self._wait_until: float | None = None
        self._width = 0

    def __call__(self, done: int, total: int, outcome: Any) -> None:
        if not getattr(outcome, "ok", True):
            self.failed += 1
        self.done, self.total = done, total
        self._finished.append(self._clock())
        self._wait_until = None
        self._draw(self._estimate())

    def waiting(self, seconds: float) -> None:
        """Say the next write waits about ``seconds`` for the rate limit (an ``on_wait``)."""
        self._wait_until = self._clock() + max(seconds, 0.0)
        self.tick()

    def tick(self) -> None:
        """Redraw a rate-limit wait's countdown, if one is under way (called every second)."""
        if self._wait_until is None:
            return
        left = self._wait_until - self._clock()
        self._draw(f"waiting for rate limit ({max(left, 0):.0f} s)")

    def line(self, status: str) -> str:
        """The text of the line with ``status`` after the counts."""
        width = len(str(self.total))
        failed = f", {self.failed} failed" if self.failed else ""
        return f"{self.label} {self.done:>{width}}/{self.total}{failed}" + (
            f" - {status}" if status else ""
        )

    def rate(self) -> float | None:
        """Writes per second over the latest completions, or None before two of them."""
        span = self._finished[-1] - self._finished[0]
        count = len(self._finished) - 1
        return count / span if count and span > 0 else None

    def close(self) -> None:
        """End the progress line, if one was drawn."""
        if self._width:
            self.stream.write("\n")
            self.stream.flush()
            self._width = 0

    def _estimate(self) -> str:
        rate = self.rate()
        if rate is None:
            return ""
        left = (self.total - self.done) / rate
        return (
            f"{rate:.1f}/s, {_duration(left)} left" if self.done < self.total else f"{rate:.1f}/s"
        )

    def _draw(self, status: str) -> None:
        if not self.enabled:
            return
        text = self.line(status)
        # Pad over what a longer previous line left behind, then return to its start.
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(len(text), 1)


@contextlib.asynccontextmanager
async def ticking(
    progress: Progress,
    *,
    interval: float = 1.0,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[None]:
    """Call ``progress.tick()`` every ``interval`` seconds meanwhile: a wait counts down live."""
    if not progress.enabled:
        yield
        return

    async def tick_forever() -> None:
        while True:
            await sleep(interval)
            progress.tick()

    ticker = asyncio.create_task(tick_forever())
    try:
        yield
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 5 s`` or ``1 h 2 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


class Tally:
    """A live count of work with no known total (``listing: 300 webhooks``), when enabled.

    ``close()`` wipes the line: what follows it starts on a clean line.
    """

    def __init__(self, stream: TextIO, label: str, *, enabled: bool) -> None:
        self.stream, self.label, self.enabled = stream, label, enabled
        self.count = 0
        self._width = 0

    def add(self, count: int) -> None:
        """Count ``count`` more and redraw."""
        self.count += count
        if self.enabled:
            text = f"{self.label}: {self.count} webhooks so far"
            self.stream.write("\r" + text.ljust(self._width))
            self.stream.flush()
            self._width = len(text)

    def close(self) -> None:
        """Wipe the line, if one was drawn."""
        if self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
