"""The in-process limiter: exactness, FIFO order, one wake per slot, cancellation, pause."""

from __future__ import annotations

import asyncio
import random
import threading
import time

import pytest

from whautochat_async import RateLimiter, SlidingWindowRateLimiter, WhautoChat
from whautochat_async.ratelimit import LimiterWait, on_limiter_wait

from .virtual_time import VirtualTime

KEY = "sk-secret-ratelimit-0123456789"


def limiter_on(vt: VirtualTime, requests: int = 3, per: float = 10.0) -> SlidingWindowRateLimiter:
    return SlidingWindowRateLimiter(requests, per, clock=vt.clock, sleep=vt.sleep)


async def fill(limiter: SlidingWindowRateLimiter, vt: VirtualTime) -> None:
    """Take every slot, finishing one a second (at 101, 102, ...)."""
    for _ in range(limiter.requests):
        await limiter.acquire()
        vt.now += 1.0
        limiter.release(sent=True)


def queue(limiter: SlidingWindowRateLimiter, order: list[int], count: int) -> list[asyncio.Task]:
    async def take(number: int) -> None:
        await limiter.acquire()
        order.append(number)

    return [asyncio.ensure_future(take(number)) for number in range(count)]


async def test_grants_up_to_the_limit_then_waits_until_a_finished_request_ages_out() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt)
    await fill(limiter, vt)
    assert limiter.used == 3
    await vt.run(limiter.acquire())
    assert vt.now == 111.0  # the first finished at 101, + per
    assert vt.slept == [8.0]
    assert (limiter.used, limiter.in_flight) == (3, 1)


async def test_with_every_slot_in_flight_the_queue_sleeps_on_no_timer() -> None:
    """The old limiter polled every per/requests; now only a release wakes the first."""
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=2, per=10.0)
    await limiter.acquire()
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await vt.settle()
    assert vt.slept == []
    assert not await vt.advance()  # nothing to fire: no polling
    limiter.release(sent=False)  # never sent: the slot comes back at once
    await vt.run(waiter)
    assert (limiter.in_flight, vt.now) == (2, 100.0)


async def test_a_sent_release_tells_the_first_waiter_when_its_slot_frees() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=1, per=10.0)
    await limiter.acquire()
    waiter = asyncio.ensure_future(limiter.acquire())
    await vt.settle()
    vt.now += 2.0
    limiter.release(sent=True)  # finished at 102: the slot frees at 112
    await vt.run(waiter)
    assert vt.now == 112.0


async def test_waiters_are_served_in_arrival_order_with_one_timer_at_a_time() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=3, per=1.0)
    sleeping = {"now": 0, "most": 0, "timers": 0}
    original_sleep = vt.sleep

    async def counting_sleep(seconds: float) -> None:
        sleeping["now"] += 1
        sleeping["timers"] += 1
        sleeping["most"] = max(sleeping["most"], sleeping["now"])
        try:
            await original_sleep(seconds)
        finally:
            sleeping["now"] -= 1

    limiter._sleep = counting_sleep
    order: list[int] = []
    rng = random.Random(7)

    async def take(number: int) -> None:
        await limiter.acquire()
        order.append(number)
        await original_sleep(rng.choice([0.0, 0.2, 0.7]))
        limiter.release(sent=True)

    await vt.run(*(take(number) for number in range(60)))
    assert order == list(range(60))
    assert sleeping["most"] == 1  # only the first in line waits on the clock
    assert sleeping["timers"] <= 60  # at most one timer per grant: no polling


async def test_a_crowd_arriving_while_slots_free_still_queues_behind_the_waiters() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=2, per=5.0)
    await fill(limiter, vt)
    order: list[int] = []
    first = queue(limiter, order, 3)
    await vt.settle()
    vt.now = 200.0  # the window has drained, but nobody has run yet
    late = asyncio.ensure_future(limiter.acquire())
    await vt.settle()
    assert limiter.waiting == 4  # it saw free slots, yet queued behind the others
    await vt.advance()  # the first waiter's timer
    assert order == [0, 1]  # the two slots went to the first in line, not the latecomer
    assert not late.done()
    limiter.release(sent=False)
    limiter.release(sent=False)
    await vt.run(*first, late)
    assert order == [0, 1, 2]


async def test_a_cancelled_waiter_gives_up_its_place_and_takes_nothing() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=1)
    await limiter.acquire()
    order: list[int] = []
    tasks = queue(limiter, order, 3)
    await vt.settle()
    tasks[1].cancel()
    with pytest.raises(asyncio.CancelledError):
        await tasks[1]
    assert (limiter.waiting, limiter.used, limiter.in_flight) == (2, 1, 1)
    limiter.release(sent=False)
    await vt.settle()
    assert order == [0]
    limiter.release(sent=False)
    await vt.run(tasks[2])
    assert order == [0, 2]
    assert (limiter.waiting, limiter.in_flight) == (0, 1)


async def test_cancelling_the_first_waiter_after_its_wake_passes_the_slot_on() -> None:
    """Woken by a freed slot, then cancelled before it ran: the next one gets the slot."""
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=1)
    await limiter.acquire()
    order: list[int] = []
    tasks = queue(limiter, order, 2)
    await vt.settle()
    limiter.release(sent=False)  # wakes task 0 ...
    tasks[0].cancel()  # ... which is cancelled before it can take the slot
    await vt.run(tasks[1])
    assert order == [1]
    assert (limiter.in_flight, limiter.waiting, tasks[0].cancelled()) == (1, 0, True)


async def test_cancelling_the_first_waiter_while_it_waits_on_the_clock() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=1, per=10.0)
    await fill(limiter, vt)  # finished at 101: frees at 111
    order: list[int] = []
    tasks = queue(limiter, order, 2)
    await vt.settle()
    tasks[0].cancel()
    await vt.run(tasks[1])
    assert (order, vt.now) == ([1], 111.0)


async def test_pause_holds_everyone_and_never_shortens() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=100)
    await limiter.pause(5.0)
    await limiter.pause(2.0)
    await vt.run(limiter.acquire(), limiter.acquire())
    assert vt.now == 105.0
    assert limiter.in_flight == 2


def test_release_without_acquire_is_a_bug() -> None:
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        SlidingWindowRateLimiter(1, 1.0).release(sent=True)


@pytest.mark.parametrize("seed", range(5))
async def test_no_server_window_ever_sees_more_than_the_limit(seed: int) -> None:
    """Whatever the network delays, the server counts <= N in any `per` seconds."""
    vt, rng = VirtualTime(), random.Random(seed)
    limiter = limiter_on(vt, requests=5, per=1.0)
    seen_by_server: list[float] = []

    async def request() -> None:
        await vt.sleep(rng.uniform(0, 3))  # callers arrive at random
        await limiter.acquire()
        await vt.sleep(rng.choice([0.0, 0.01, 0.3, 1.5]))  # on its way to the server
        seen_by_server.append(vt.now)
        await vt.sleep(rng.choice([0.0, 0.01, 0.3, 1.5]))  # the answer coming back
        limiter.release(sent=True)

    await vt.run(*(request() for _ in range(60)))
    assert len(seen_by_server) == 60
    for moment in seen_by_server:  # the fake server's rule: counts t > now - per
        assert sum(moment - 1.0 < t <= moment for t in seen_by_server) <= 5


async def test_a_queued_call_tells_the_listeners_its_estimated_wait() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=2, per=10.0)
    await fill(limiter, vt)  # finished at 101 and 102: frees at 111 and 112
    heard: list[LimiterWait] = []
    with on_limiter_wait(heard.append):
        tasks = [asyncio.ensure_future(limiter.acquire()) for _ in range(3)]
    await vt.settle()
    assert heard == [LimiterWait(9.0, 0), LimiterWait(10.0, 1), LimiterWait(19.0, 2)]
    await vt.run(tasks[0], tasks[1])
    limiter.release(sent=False)
    await vt.run(tasks[2])
    assert len(heard) == 3  # told once, when it queued


async def test_the_estimated_wait_of_many_calls_counts_the_window_and_later_rounds() -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=3, per=10.0)
    assert (limiter.estimated_wait(3), limiter.estimated_wait(0)) == (0.0, 0.0)
    await fill(limiter, vt)  # finished at 101, 102 and 103: they free at 111, 112, 113
    assert vt.now == 103.0
    assert [limiter.estimated_wait(calls) for calls in (1, 3, 4, 7)] == [8.0, 10.0, 18.0, 28.0]
    await limiter.pause(30.0)
    assert limiter.estimated_wait(1) == 30.0


async def test_a_free_slot_tells_nobody() -> None:
    heard: list[LimiterWait] = []
    with on_limiter_wait(heard.append):
        await SlidingWindowRateLimiter(1, 1.0).acquire()
    assert heard == []


def test_one_limiter_serves_several_event_loops_and_threads() -> None:
    limiter = SlidingWindowRateLimiter(2, 0.05)
    grants: list[float] = []
    lock = threading.Lock()

    async def use() -> None:
        async def one() -> None:
            await limiter.acquire()
            with lock:
                grants.append(time.monotonic())
            limiter.release(sent=True)

        await asyncio.gather(*(one() for _ in range(3)))  # some of them queue

    threads = [threading.Thread(target=asyncio.run, args=(use(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    asyncio.run(use())  # and once more in yet another loop
    asyncio.run(use())  # and another: nothing is bound to a finished loop
    grants.sort()
    assert len(grants) == 12
    for index in range(2, len(grants)):  # any 3 grants span at least `per`
        assert grants[index] - grants[index - 2] >= 0.05 - 1e-3


async def test_a_user_limiter_only_needs_the_three_methods() -> None:
    class Counting:
        def __init__(self) -> None:
            self.calls: list[str] = []

        async def acquire(self) -> None:
            self.calls.append("acquire")

        def release(self, *, sent: bool) -> None:
            self.calls.append(f"release sent={sent}")

        async def pause(self, seconds: float) -> None:
            self.calls.append(f"pause {seconds}")

    counting = Counting()
    assert isinstance(counting, RateLimiter)
    client = WhautoChat(KEY, base_url="http://127.0.0.1:9", rate_limit=counting, environ={})
    assert client.rate_limiter is counting
    await client.close()


async def test_a_failing_listener_is_logged_and_the_call_still_queues(
    caplog: pytest.LogCaptureFixture,
) -> None:
    vt = VirtualTime()
    limiter = limiter_on(vt, requests=1, per=10.0)
    await fill(limiter, vt)

    def broken(wait: LimiterWait) -> None:
        raise ValueError("display broke")

    with on_limiter_wait(broken):
        waiter = asyncio.ensure_future(limiter.acquire())
    await vt.run(waiter)
    assert "wait listener failed" in caplog.text
    assert (limiter.in_flight, limiter.waiting) == (1, 0)
