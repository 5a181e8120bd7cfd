"""The attempt loop: retries, waits, deadline and limiter, on a scripted transport and
virtual time (nothing really sleeps here)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from yarl import URL

from whautochat_async import (
    APIConnectionError,
    APITimeoutError,
    ClientClosedError,
    DeadlineExceededError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    SlidingWindowRateLimiter,
    Timeout,
    UnknownOutcomeError,
    WhautoChatError,
)
from whautochat_async._http.protocol import Request, Response, create_request
from whautochat_async._http.requester import Requester
from whautochat_async._http.transport import Transport

from .virtual_time import VirtualTime

GET = Request(method="GET", path="v1/webhooks")
POST = create_request({"name": "n"})
WALL = 1_700_000_000.0
Step = Response | Exception | Callable[[], Any]


def ok(status: int = 200, **headers: str) -> Response:
    wire = {k.replace("_", "-"): v for k, v in headers.items()}
    return Response(
        method="GET", url="https://x/v1/webhooks", status=status, headers=wire, body=b""
    )


class ScriptedTransport(Transport):
    """Answers each attempt with the next step; records attempt timeouts."""

    def __init__(self, *steps: Step, vt: VirtualTime | None = None) -> None:
        super().__init__(base_url=URL("https://api.example/"), api_key="sk-never-logged")
        self.steps = list(steps)
        self.timeouts: list[float | None] = []
        self.vt = vt

    async def send(
        self, request: Request, *, attempt_timeout: float | None, connect: float | None
    ) -> Response:
        self.timeouts.append(attempt_timeout)
        step = self.steps.pop(0)
        if callable(step):
            step = await step()
        if isinstance(step, Exception):
            raise step
        assert isinstance(step, Response)
        return step


def requester(
    transport: ScriptedTransport,
    vt: VirtualTime,
    *,
    timeout: Timeout | None = None,
    retry: RetryPolicy | None = None,
    limiter: SlidingWindowRateLimiter | None = None,
) -> Requester:
    return Requester(
        transport,
        timeout=timeout or Timeout(deadline=100.0, attempt=30.0),
        retry=retry or RetryPolicy(),
        limiter=limiter,
        clock=vt.clock,
        wall_clock=lambda: WALL + vt.now,
        sleep=vt.sleep,
        random=lambda: 0.5,
    )


async def test_a_get_is_retried_with_jittered_backoff_until_it_succeeds() -> None:
    vt = VirtualTime()
    transport = ScriptedTransport(ok(503), APIConnectionError("reset"), ok(200))
    response = await vt.run(requester(transport, vt).send(GET))
    assert response[0].status == 200
    assert vt.slept == [0.25, 0.5]  # random() = 0.5 of 0.5 s, then of 1 s


async def test_retries_end_with_the_last_error() -> None:
    vt = VirtualTime()
    transport = ScriptedTransport(*[ok(502)] * 4)
    with pytest.raises(InternalServerError, match="502"):
        await vt.run(requester(transport, vt).send(GET))
    assert len(vt.slept) == 3
    assert not transport.steps


async def test_a_4xx_is_raised_at_once() -> None:
    vt = VirtualTime()
    with pytest.raises(NotFoundError):
        await vt.run(requester(ScriptedTransport(ok(404)), vt).send(GET))
    assert vt.slept == []


@pytest.mark.parametrize(
    "failure",
    [ok(500), ok(503, retry_after="1"), APIConnectionError("reset"), APITimeoutError("slow")],
    ids=["500", "503", "reset", "timeout"],
)
async def test_an_ambiguous_create_failure_is_unknown_outcome_never_a_second_post(
    failure: Step,
) -> None:
    vt = VirtualTime()
    transport = ScriptedTransport(failure, ok(200))
    with pytest.raises(UnknownOutcomeError) as caught:
        await vt.run(requester(transport, vt).send(POST))
    assert len(transport.steps) == 1  # the second answer was never asked for
    message = str(caught.value)
    assert "may or may not have been created" in message
    assert "list the webhooks before creating it again" in message
    assert isinstance(caught.value.__cause__, InternalServerError | APIConnectionError)


@pytest.mark.parametrize(
    "failure",
    [ok(429, retry_after="2"), APIConnectionError("refused", request_sent=False)],
    ids=["429", "not-sent"],
)
async def test_a_create_the_server_never_acted_on_is_retried(failure: Step) -> None:
    vt = VirtualTime()
    transport = ScriptedTransport(failure, ok(200))
    assert (await vt.run(requester(transport, vt).send(POST)))[0].status == 200
    assert vt.slept == ([2.0] if isinstance(failure, Response) else [0.25])


async def test_a_server_wait_above_max_wait_raises_rate_limit_error_without_sleeping() -> None:
    vt = VirtualTime()
    transport = ScriptedTransport(ok(429, retry_after="Tue, 14 Nov 2023 22:15:20 GMT"))
    vt.now = 0.0  # wall clock = WALL: the date is 120 s away
    with pytest.raises(RateLimitError) as caught:
        await vt.run(requester(transport, vt, retry=RetryPolicy(max_wait=60)).send(GET))
    assert caught.value.retry_after == 120.0
    assert vt.slept == []


async def test_a_wait_past_the_deadline_raises_the_last_error_at_once() -> None:
    vt = VirtualTime()
    transport = ScriptedTransport(ok(503, retry_after="30"), ok(200))
    slow = requester(transport, vt, timeout=Timeout(deadline=10.0, attempt=5.0))
    with pytest.raises(InternalServerError) as caught:
        await vt.run(slow.send(GET))
    assert vt.slept == []
    assert any("would pass the deadline of 10.0s" in note for note in caught.value.__notes__)


async def test_each_attempt_gets_at_most_the_time_left() -> None:
    vt = VirtualTime()

    async def slow_failure() -> Exception:
        vt.now += 4.0
        return APIConnectionError("reset")

    transport = ScriptedTransport(slow_failure, slow_failure, ok(200))
    send = requester(transport, vt, timeout=Timeout(deadline=10.0, attempt=5.0)).send
    await vt.run(send(GET))
    assert transport.timeouts == [5.0, 5.0, pytest.approx(10.0 - 8.0 - 0.25 - 0.5)]


async def test_a_timeout_cut_short_by_the_deadline_is_a_deadline_error() -> None:
    vt = VirtualTime()
    transport = ScriptedTransport(APITimeoutError("slow"), APITimeoutError("slow"))
    send = requester(transport, vt, timeout=Timeout(deadline=3.0, attempt=30.0)).send
    with pytest.raises(DeadlineExceededError, match=r"deadline of 3\.0s exceeded") as caught:
        await vt.run(send(GET))
    assert isinstance(caught.value.__cause__, APITimeoutError)
    with pytest.raises(UnknownOutcomeError) as unknown:
        await vt.run(send(POST))
    assert isinstance(unknown.value.__cause__, DeadlineExceededError)


async def test_no_time_left_before_an_attempt_is_a_deadline_error() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(10, 60.0, clock=vt.clock, sleep=vt.sleep)
    await limiter.pause(5.0)  # the limiter eats the whole deadline
    timeout = Timeout(deadline=3.0, include_queue=True)
    send = requester(ScriptedTransport(), vt, timeout=timeout, limiter=limiter).send
    with pytest.raises(DeadlineExceededError) as caught:
        await vt.run(send(POST))
    assert caught.value.request_sent is False
    assert (limiter.used, limiter.in_flight) == (0, 0)  # its slot was given back


async def test_by_default_the_deadline_stands_still_while_the_call_queues() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(10, 60.0, clock=vt.clock, sleep=vt.sleep)
    await limiter.pause(5.0)  # longer than the deadline: queued, not charged
    transport = ScriptedTransport(ok(201))
    send = requester(transport, vt, timeout=Timeout(deadline=3.0), limiter=limiter).send
    response = (await vt.run(send(POST)))[0]
    assert response.status == 201
    assert transport.timeouts == [3.0]  # the whole deadline was left once it was granted


async def test_the_limiter_counts_each_attempt_and_refunds_unsent_ones() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(10, 60.0, clock=vt.clock, sleep=vt.sleep)
    unsent = APIConnectionError("refused", request_sent=False)
    transport = ScriptedTransport(unsent, ok(503), ok(200))
    await vt.run(requester(transport, vt, limiter=limiter).send(GET))
    assert (limiter.used, limiter.in_flight) == (2, 0)


async def test_quota_spent_pauses_the_shared_limiter_until_the_reset() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(100, 60.0, clock=vt.clock, sleep=vt.sleep)
    spent = ok(200, x_ratelimit_remaining="0", x_ratelimit_reset=str(WALL + vt.now + 7))
    transport = ScriptedTransport(spent, ok(200))
    first = requester(transport, vt, limiter=limiter)
    second = first.with_options(timeout=Timeout(deadline=50.0))
    await vt.run(first.send(GET))
    started = vt.now
    await vt.run(second.send(GET))
    assert vt.now - started == pytest.approx(7.0)


async def test_a_429_pauses_the_limiter_for_everyone_but_not_beyond_max_wait() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(100, 60.0, clock=vt.clock, sleep=vt.sleep)
    transport = ScriptedTransport(ok(429, x_ratelimit_reset_after="4"), ok(200))
    await vt.run(requester(transport, vt, limiter=limiter).send(GET))
    assert vt.slept[0] == 4.0
    long_wait = ScriptedTransport(ok(429, retry_after="3600"))
    started = vt.now
    with pytest.raises(RateLimitError):
        await vt.run(requester(long_wait, vt, limiter=limiter).send(GET))
    assert vt.now == started  # nobody is held for an hour


async def test_a_closed_transport_fails_before_taking_a_slot() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(1, 60.0, clock=vt.clock, sleep=vt.sleep)
    transport = ScriptedTransport()
    await transport.close()
    with pytest.raises(ClientClosedError):
        await requester(transport, vt, limiter=limiter).send(GET)
    assert limiter.used == 0


async def test_cancelling_in_flight_spends_the_slot_once_and_leaks_nothing() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(5, 60.0, clock=vt.clock, sleep=vt.sleep)
    started = asyncio.Event()

    async def hang() -> Response:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError

    task = asyncio.ensure_future(requester(ScriptedTransport(hang), vt, limiter=limiter).send(GET))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (limiter.used, limiter.in_flight) == (1, 0)  # sent: the server may count it


async def test_cancelling_a_backoff_sleep_holds_nothing() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(5, 60.0, clock=vt.clock, sleep=vt.sleep)
    task = asyncio.ensure_future(
        requester(ScriptedTransport(ok(503)), vt, limiter=limiter).send(GET)
    )
    await vt.settle()
    assert vt.slept == [0.25]
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (limiter.used, limiter.in_flight) == (1, 0)


async def test_with_options_shares_transport_and_limiter() -> None:
    vt = VirtualTime()
    limiter = SlidingWindowRateLimiter(5, 60.0)
    base = requester(ScriptedTransport(), vt, limiter=limiter)
    view = base.with_options(retry=RetryPolicy(max_retries=0))
    assert (view.transport, view.limiter, view.timeout) == (base.transport, limiter, base.timeout)
    assert view.retry.max_retries == 0
    assert base.retry.max_retries == 3


async def test_debug_log_per_attempt_says_what_and_why(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="whautochat_async")
    vt = VirtualTime()
    transport = ScriptedTransport(ok(503), APITimeoutError("slow"), ok(200))
    await vt.run(requester(transport, vt).send(GET))
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        "GET /v1/webhooks attempt 1/4 -> 503; retrying in 0.250s: 503 is retryable; backoff",
        "GET /v1/webhooks attempt 2/4 -> APITimeoutError; retrying in 0.500s: "
        "APITimeoutError on an idempotent request; backoff",
        "GET /v1/webhooks attempt 3/4 -> 200; done",
    ]
    assert all("sk-never-logged" not in line for line in lines)


async def test_a_delete_404_after_an_ambiguous_attempt_says_it_may_be_ours() -> None:
    vt = VirtualTime()
    delete = Request(method="DELETE", path="v1/webhooks/wh_1")
    transport = ScriptedTransport(APIConnectionError("reset"), ok(404))
    with pytest.raises(NotFoundError, match="earlier attempt of this DELETE may have reached"):
        await vt.run(requester(transport, vt).send(delete))
    with pytest.raises(NotFoundError) as plain:
        await vt.run(requester(ScriptedTransport(ok(404)), vt).send(delete))
    assert not getattr(plain.value, "__notes__", [])


@pytest.mark.parametrize(
    ("request_", "error"), [(GET, DeadlineExceededError), (POST, UnknownOutcomeError)]
)
async def test_the_hard_guard_stops_a_transport_that_ignores_its_timeout(
    request_: Request, error: type[Exception]
) -> None:
    """The one test on the loop's own clock: the guard is asyncio.timeout(deadline)."""

    async def hang() -> Response:
        await asyncio.Event().wait()
        raise AssertionError

    limiter = SlidingWindowRateLimiter(5, 60.0)
    send = Requester(ScriptedTransport(hang), timeout=Timeout(deadline=0.01), limiter=limiter).send
    with pytest.raises(error) as caught:
        await send(request_)
    deadline = caught.value if error is DeadlineExceededError else caught.value.__cause__
    assert isinstance(deadline, DeadlineExceededError)
    assert "deadline of 0.01s exceeded (attempt 1 in flight)" in str(deadline)
    assert deadline.request_sent is True
    assert limiter.in_flight == 0


class _StuckPause:
    """A limiter whose pause never ends (a hung shared store)."""

    async def acquire(self) -> None:
        return None

    def release(self, *, sent: bool) -> None:
        return None

    async def pause(self, seconds: float) -> None:
        await asyncio.Event().wait()


class _FailingPause(_StuckPause):
    async def pause(self, seconds: float) -> None:
        raise RateLimiterDown("the shared store is down")


class RateLimiterDown(WhautoChatError):
    """What a fail-closed shared limiter raises."""


@pytest.mark.parametrize("limiter", [_StuckPause(), _FailingPause()])
async def test_a_create_that_succeeded_is_returned_even_if_the_quota_pause_cannot_finish(
    limiter: Any,
) -> None:
    created = ok(201, x_ratelimit_remaining="0", x_ratelimit_reset_after="30")
    requester_ = Requester(
        ScriptedTransport(created), timeout=Timeout(deadline=0.05), limiter=limiter
    )
    response = await requester_.send(POST)  # before: DeadlineExceededError, "not sent"
    assert response.status == 201
