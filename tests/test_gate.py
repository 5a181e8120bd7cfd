"""The limiter gate inside the requester: a custom limiter that fails or is slow to pause."""

from __future__ import annotations

import asyncio

import pytest

from whautochat_async import (
    DeadlineExceededError,
    InternalServerError,
    RateLimitError,
    Timeout,
    UnknownOutcomeError,
    WhautoChatError,
)
from whautochat_async._http.protocol import Request
from whautochat_async._http.requester import Requester

from .counting_limiter import CountingLimiter
from .test_requester import GET, POST, ScriptedTransport, ok

SPENT = {"x_ratelimit_remaining": "0", "x_ratelimit_reset_after": "1"}


class BrokenPause(CountingLimiter):
    """Grants slots, but its pause fails with a foreign error (a custom store's client)."""

    async def pause(self, seconds: float) -> None:
        raise ConnectionError("redis://:hunter2@store: connection refused")


def _requester(*steps: object, limiter: CountingLimiter) -> Requester:
    transport = ScriptedTransport(*steps)  # type: ignore[arg-type]
    return Requester(transport, timeout=Timeout(deadline=5.0), limiter=limiter)


async def test_a_create_that_succeeded_is_returned_whatever_the_pause_raises() -> None:
    limiter = BrokenPause()
    response = await _requester(ok(201, **SPENT), limiter=limiter).send(POST)
    assert response.status == 201  # before: a bare ConnectionError after the create
    assert limiter.released == [True]


@pytest.mark.parametrize(
    ("request_", "answer", "error"),
    [
        (GET, ok(503, **SPENT), InternalServerError),
        (POST, ok(503, **SPENT), UnknownOutcomeError),
        (GET, ok(429, **SPENT), RateLimitError),
    ],
)
async def test_a_pause_failing_after_an_error_answer_ends_the_call_with_that_answer(
    request_: Request, answer: object, error: type[WhautoChatError]
) -> None:
    limiter = BrokenPause()
    with pytest.raises(error) as caught:
        await _requester(answer, ok(200), limiter=limiter).send(request_)
    assert limiter.acquired == 1  # not retried: the limiter could not hold anyone back
    said = str(caught.value) + "".join(getattr(caught.value, "__notes__", []))
    if error is UnknownOutcomeError:
        said += "".join(getattr(caught.value.__cause__, "__notes__", []))
    assert "the rate limiter failed to pause (ConnectionError" in said
    assert "hunter2" not in said


class SlowPause(CountingLimiter):
    """Its pause outlasts any deadline (a shared store that is slow to answer)."""

    async def pause(self, seconds: float) -> None:
        await asyncio.Event().wait()


@pytest.mark.parametrize(
    ("request_", "error"), [(GET, DeadlineExceededError), (POST, UnknownOutcomeError)]
)
async def test_a_deadline_running_out_in_the_pause_after_a_5xx_knows_it_was_sent(
    request_: Request, error: type[WhautoChatError]
) -> None:
    requester_ = Requester(
        ScriptedTransport(ok(503, **SPENT)), timeout=Timeout(deadline=0.01), limiter=SlowPause()
    )
    with pytest.raises(error) as caught:
        await requester_.send(request_)
    deadline = caught.value if error is DeadlineExceededError else caught.value.__cause__
    assert isinstance(deadline, DeadlineExceededError)
    assert deadline.request_sent is True  # before: False, "(attempt 1 in flight)"
    assert "(pausing the rate limiter after attempt 1)" in str(deadline)
