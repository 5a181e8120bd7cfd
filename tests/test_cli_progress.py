"""The CLI's progress line (cli/_progress.py), on a fake terminal with an injected clock."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from whautochat_async.cli._progress import (
    PROGRESS_THRESHOLD,
    Progress,
    Tally,
    _duration,
    ticking,
)
from whautochat_async.ratelimit import SlidingWindowRateLimiter

from .virtual_time import VirtualTime

OK, FAILED = SimpleNamespace(ok=True), SimpleNamespace(ok=False)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress(total: int = 40, *, enabled: bool = True) -> tuple[Progress, io.StringIO, Clock]:
    stream, clock = io.StringIO(), Clock()
    return Progress(stream, total, enabled=enabled, clock=clock), stream, clock


def last_frame(stream: io.StringIO) -> str:
    return stream.getvalue().rsplit("\r", 1)[-1]


def test_the_line_has_done_total_rate_and_time_left() -> None:
    bar, stream, clock = progress(40)
    clock.now += 0.5
    bar(1, 40, OK)
    assert last_frame(stream) == "applying  1/40 - 2.0/s, 20 s left"
    clock.now += 0.5
    bar(2, 40, FAILED)
    assert last_frame(stream) == "applying  2/40, 1 failed - 2.0/s, 19 s left"
    assert bar.failed == 1


def test_the_rate_is_the_current_one_not_the_mean() -> None:
    bar, stream, clock = progress(400)
    for done in range(1, 31):  # 30 fast writes, then 20 slow ones
        clock.now += 0.1 if done <= 10 else 1.0
        bar(done, 400, OK)
    assert bar.pace.rate() == pytest.approx(1.0)
    assert last_frame(stream).endswith("1.0/s, 6 min 10 s left")


def test_waiting_for_the_rate_limit_is_said_until_the_next_write() -> None:
    bar, stream, clock = progress(400)
    clock.now += 1
    bar(88, 400, OK)
    bar.waiting(39.6)
    waiting = last_frame(stream)
    assert waiting == "applying  88/400 - waiting for rate limit (40 s)"
    clock.now += 40
    bar(89, 400, OK)
    frame = last_frame(stream)
    # The rate reaches back over the wait: 89 writes in 41 s, not 1 write in 40 s.
    assert frame.rstrip() == "applying  89/400 - 2.2/s, 2 min 23 s left"
    # A shorter line is padded with spaces over the longer one it replaces.
    assert len(frame) == max(len(waiting), len(frame.rstrip()))


def test_a_wait_under_a_second_is_not_shown() -> None:
    bar, stream, clock = progress(40)
    clock.now += 1
    bar(1, 40, OK)
    frames = stream.getvalue()
    bar.waiting(0.4)
    bar.tick()
    assert stream.getvalue() == frames
    bar.waiting(1.0)
    assert last_frame(stream) == "applying  1/40 - waiting for rate limit (1 s)"


def test_close_ends_the_line_once() -> None:
    bar, stream, _ = progress(12)
    bar.close()
    assert stream.getvalue() == ""  # nothing drawn: nothing to end
    bar(12, 12, OK)
    bar.close()
    bar.close()
    assert stream.getvalue() == "\rapplying 12/12\n"


@pytest.mark.parametrize("total", [PROGRESS_THRESHOLD - 1, 500])
def test_nothing_is_drawn_when_disabled_or_short(total: int) -> None:
    bar, stream, _ = progress(total, enabled=total < PROGRESS_THRESHOLD)
    bar(1, total, FAILED)
    bar.waiting(5)
    bar.close()
    assert stream.getvalue() == ""
    assert bar.failed == 1  # still counted


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.4, "0 s"), (59, "59 s"), (61, "1 min 1 s"), (3725, "1 h 2 min")],
)
def test_durations(seconds: float, text: str) -> None:
    assert _duration(seconds) == text


def test_a_tally_counts_then_wipes_its_line() -> None:
    stream = io.StringIO()
    tally = Tally(stream, "listing", enabled=True)
    tally.add(100)
    tally.add(50)
    assert tally.count == 150
    tally.close()
    tally.close()
    blank = " " * len("listing: 150 webhooks so far")
    assert stream.getvalue() == (
        "\rlisting: 100 webhooks so far\rlisting: 150 webhooks so far" + f"\r{blank}\r"
    )
    quiet = Tally(stream := io.StringIO(), "listing", enabled=False)
    quiet.add(3)
    quiet.close()
    assert (stream.getvalue(), quiet.count) == ("", 3)


def test_a_wait_counts_down_on_each_tick() -> None:
    bar, stream, clock = progress(400)
    bar.tick()
    assert stream.getvalue() == ""  # no wait under way: nothing to redraw
    bar.waiting(30)
    clock.now += 10.2
    bar.tick()
    assert last_frame(stream).rstrip() == "applying   0/400 - waiting for rate limit (20 s)"
    clock.now += 25
    bar.tick()
    assert last_frame(stream).rstrip() == "applying   0/400 - waiting for rate limit (0 s)"
    bar(1, 400, OK)
    frames = stream.getvalue().count("\r")
    bar.tick()  # the write went through: the wait is over
    assert stream.getvalue().count("\r") == frames


async def test_ticking_ticks_every_interval_while_the_work_runs() -> None:
    time = VirtualTime()
    stream = io.StringIO()
    bar = Progress(stream, 400, enabled=True, clock=time.clock)
    async with ticking(bar, interval=1.0, sleep=time.sleep):
        bar.waiting(3)
        for _ in range(3):
            await time.settle()
            await time.advance()
        await time.settle()
    countdown = [frame.rstrip()[-5:] for frame in stream.getvalue().split("\r")[1:]]
    assert countdown == ["(3 s)", "(2 s)", "(1 s)", "(0 s)"]
    assert time.slept == [1.0] * 4  # the fourth sleep was cancelled at the exit
    async with ticking(Progress(stream, 1, enabled=True), sleep=time.sleep):
        pass  # too short to draw: no ticker at all
    assert time.slept == [1.0] * 4


@pytest.mark.parametrize(
    ("requests", "status"),
    [
        # Only one slot is free: the rest wait for the window to roll, at the limit's rate.
        (100, "1.7/s, 1 min 0 s left"),
        # Slots for all that is left: the writes' own speed sets the pace.
        (1000, "1000.0/s, 0 s left"),
    ],
)
async def test_the_time_left_is_what_the_rate_limit_allows(requests: int, status: str) -> None:
    # 150 writes at `requests` per 60 s: 95 done at 1,000 a second, 4 in flight.
    clock = Clock()
    limiter = SlidingWindowRateLimiter(requests, 60.0, clock=clock)
    stream = io.StringIO()
    bar = Progress(stream, 150, enabled=True, clock=clock, limiter=limiter)
    for done in range(1, 96):
        await limiter.acquire()
        clock.now += 0.001
        limiter.release(sent=True)
        bar(done, 150, OK)
    for _ in range(4):
        await limiter.acquire()
    bar(95, 150, OK)
    assert last_frame(stream) == f"applying  95/150 - {status}"


async def test_after_the_wait_the_window_rolls_at_the_writes_speed() -> None:
    # 150 writes at 100 per 60 s: after a minute's wait the first burst's slots free as
    # fast as they were taken, so the last 50 take a moment, not the wait's pace again.
    clock = Clock()
    limiter = SlidingWindowRateLimiter(100, 60.0, clock=clock)
    stream = io.StringIO()
    bar = Progress(stream, 150, enabled=True, clock=clock, limiter=limiter)
    for done in range(1, 111):
        if done == 101:
            bar.waiting(limiter.estimated_wait(1))
            clock.now = 160.0015  # the first slot has just come free
        await limiter.acquire()
        clock.now += 0.001
        limiter.release(sent=True)
        bar(done, 150, OK)
    # About the 1,000 a second of the writes themselves (the wait's estimate is left out).
    assert last_frame(stream).rstrip() == "applying 110/150 - 975.6/s, 0 s left"


def test_without_a_known_limiter_the_rate_spans_the_waits() -> None:
    bar, stream, clock = progress(400)
    for done in range(1, 101):  # a burst at full speed
        clock.now += 0.001
        bar(done, 400, OK)
    bar.waiting(59.9)
    clock.now += 0.05
    bar(101, 400, OK)  # a write that was in flight ends: the others still wait a minute
    # Not the burst's speed: 101 writes by the end of the wait, 60 s after the start;
    # the 299 left at that rate.
    assert last_frame(stream).rstrip() == "applying 101/400 - 1.7/s, 2 min 58 s left"
    clock.now = 160.0
    for done in range(102, 131):  # the window rolls: another burst at full speed
        clock.now += 0.001
        bar(done, 400, OK)
    # 130 writes in 60 s, not the burst's 1,000 a second.
    assert bar.pace.rate() == pytest.approx(130 / 60.029)
    assert last_frame(stream) == "applying 130/400 - 2.2/s, 2 min 5 s left"


def test_a_tally_shows_a_wait_until_work_arrives() -> None:
    stream, clock = io.StringIO(), Clock()
    tally = Tally(stream, "listing", enabled=True, clock=clock)
    tally.add(100)
    tally.waiting(40.2)
    assert last_frame(stream) == "listing: 100 webhooks so far - waiting for rate limit (40 s)"
    clock.now += 30
    tally.tick()
    assert last_frame(stream) == "listing: 100 webhooks so far - waiting for rate limit (10 s)"
    tally.add(50)
    assert last_frame(stream).rstrip() == "listing: 150 webhooks so far"
    tally.tick()  # the wait is over: nothing to count down
    assert last_frame(stream).rstrip() == "listing: 150 webhooks so far"


def test_a_tally_without_a_label_shows_only_waits_and_wipes_them() -> None:
    stream, clock = io.StringIO(), Clock()
    waits = Tally(stream, None, enabled=True, clock=clock)
    waits.add(3)
    assert stream.getvalue() == ""  # no wait: nothing drawn, nothing to wipe
    waits.waiting(12)
    waits.add(3)
    blank = " " * len("waiting for rate limit (12 s)")
    assert stream.getvalue() == f"\rwaiting for rate limit (12 s)\r{blank}\r"
    assert waits.count == 6
