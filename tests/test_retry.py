"""The pure retry rules: decisions per method and outcome, backoff, server-demanded waits."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from whautochat_async import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    DeadlineExceededError,
    RetryPolicy,
    TooManyRedirectsError,
)
from whautochat_async._http.protocol import Request, Response
from whautochat_async._http.ratelimit_headers import (
    EPOCH_THRESHOLD,
    limiter_pause,
    parse_retry_after,
    quota_wait,
    rate_limit_reset,
    server_wait,
)
from whautochat_async._http.retry import Decision, Outcome, backoff, decide
from whautochat_async._validation import MAX_SECONDS

NOW = 1_700_000_000.0  # a wall-clock time, for HTTP dates and epoch resets
GET = Request(method="GET", path="v1/webhooks")
POST = Request(method="POST", path="v1/webhooks", json={})
PUT = Request(method="PUT", path="v1/webhooks/wh_1", json={})
DELETE = Request(method="DELETE", path="v1/webhooks/wh_1")
IDEMPOTENT = [GET, PUT, DELETE]


def response(status: int, **headers: str) -> Response:
    lowered = {k.lower().replace("_", "-"): v for k, v in headers.items()}
    return Response(
        method="GET", url="https://x/v1/webhooks", status=status, headers=lowered, body=b""
    )


def not_sent() -> APIConnectionError:
    return APIConnectionError("refused", request_sent=False)


def run(
    request: Request, outcome: Outcome, attempt: int = 1, policy: RetryPolicy | None = None
) -> Decision:
    return decide(
        policy or RetryPolicy(), request, outcome, attempt, now_wall=NOW, random=lambda: 1.0
    )


# -- the table: which failures are retried, per method ---------------------------------


@pytest.mark.parametrize("request_", [*IDEMPOTENT, POST], ids=lambda r: r.method)
@pytest.mark.parametrize(
    "outcome",
    [response(429), not_sent(), APITimeoutError("connect timed out", request_sent=False)],
    ids=["429", "not-sent", "connect-timeout"],
)
def test_provably_unacted_failures_are_retried_for_every_method(
    request_: Request, outcome: Outcome
) -> None:
    decision = run(request_, outcome)
    assert decision.retry
    assert not decision.unknown_outcome


@pytest.mark.parametrize("request_", IDEMPOTENT, ids=lambda r: r.method)
@pytest.mark.parametrize(
    "outcome",
    [
        response(500),
        response(502),
        response(503),
        response(504),
        APIConnectionError("reset by peer"),
        APITimeoutError("read timed out"),
    ],
    ids=["500", "502", "503", "504", "reset", "timeout"],
)
def test_ambiguous_failures_are_retried_when_idempotent(
    request_: Request, outcome: Outcome
) -> None:
    assert run(request_, outcome).retry


@pytest.mark.parametrize(
    "outcome",
    [
        response(500),
        response(502),
        response(503, retry_after="1"),
        response(504),
        response(501),
        APIConnectionError("reset by peer"),
        APITimeoutError("read timed out"),
        DeadlineExceededError("deadline", request_sent=True),
    ],
    ids=["500", "502", "503", "504", "501", "reset", "timeout", "deadline"],
)
def test_a_create_that_may_have_happened_is_never_retried(outcome: Outcome) -> None:
    decision = run(POST, outcome)
    assert not decision.retry
    assert decision.unknown_outcome
    assert "POST" in decision.reason


@pytest.mark.parametrize("request_", [*IDEMPOTENT, POST], ids=lambda r: r.method)
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 418, 307, 308])
def test_client_errors_are_raised_at_once(request_: Request, status: int) -> None:
    decision = run(request_, response(status))
    assert (decision.retry, decision.unknown_outcome) == (False, False)
    assert f"{status} is not retryable" == decision.reason


@pytest.mark.parametrize("status", [300, 301, 302, 303, 304])
def test_a_redirect_not_followed_after_a_create_may_have_acted(status: int) -> None:
    # "See other" often follows a write that happened: never a plain error to retry on.
    decision = run(POST, response(status))
    assert (decision.retry, decision.unknown_outcome) == (False, True)
    assert (run(GET, response(status)).unknown_outcome, run(GET, response(status)).retry) == (
        False,
        False,
    )


def test_other_5xx_is_not_retried_even_when_idempotent() -> None:
    decision = run(GET, response(501))
    assert (decision.retry, decision.unknown_outcome) == (False, False)


def test_a_deadline_is_never_retried() -> None:
    for sent in (True, False):
        decision = run(GET, DeadlineExceededError("d", request_sent=sent))
        assert (decision.retry, decision.unknown_outcome) == (False, False)
    assert not run(POST, DeadlineExceededError("d", request_sent=False)).unknown_outcome


def test_retries_stop_after_max_retries() -> None:
    policy = RetryPolicy(max_retries=2)
    assert run(GET, response(503), attempt=2, policy=policy).retry
    decision = run(GET, response(503), attempt=3, policy=policy)
    assert not decision.retry
    assert "all 2 retries are spent" in decision.reason
    assert not run(GET, response(503), policy=RetryPolicy(max_retries=0)).retry


# -- waits --------------------------------------------------------------------------------


def test_backoff_is_full_jitter_doubling_up_to_the_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=3.0)
    assert [backoff(policy, n, lambda: 1.0) for n in (1, 2, 3, 4, 50, 5000)] == [
        0.5,
        1.0,
        2.0,
        3.0,
        3.0,
        3.0,
    ]
    assert backoff(policy, 2, lambda: 0.25) == 0.25
    assert backoff(policy, 3, lambda: 0.0) == 0.0


def test_a_retry_without_server_wait_uses_the_injected_random() -> None:
    decision = decide(RetryPolicy(), GET, response(503), 2, now_wall=NOW, random=lambda: 0.5)
    assert (decision.wait, decision.server_wait) == (0.5, None)
    assert decision.reason == "503 is retryable; backoff"


def test_retry_after_is_obeyed_instead_of_backoff() -> None:
    decision = run(GET, response(503, retry_after="7"))
    assert (decision.retry, decision.wait, decision.server_wait) == (True, 7.0, 7.0)
    assert "server asked" in decision.reason


def test_a_server_wait_above_max_wait_is_raised_not_slept() -> None:
    decision = run(POST, response(429, retry_after="120"), policy=RetryPolicy(max_wait=60))
    assert (decision.retry, decision.server_wait, decision.unknown_outcome) == (False, 120, False)
    assert "asked to wait 120s > max_wait 60" in decision.reason


def test_a_429_prefers_the_precise_reset_after_over_a_rounded_retry_after() -> None:
    headers = {"retry_after": "1", "x_ratelimit_reset_after": "0.250"}
    assert run(GET, response(429, **headers)).wait == 0.25
    assert run(GET, response(503, **headers)).wait == 1.0  # a 503 is not about quota


def test_a_429_without_retry_after_uses_the_reset_header() -> None:
    assert run(GET, response(429, x_ratelimit_reset=str(NOW + 5))).wait == 5.0
    assert run(GET, response(429, x_ratelimit_reset="3")).wait == 3.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("5", 5.0),
        (" 1.5 ", 1.5),
        (format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True), 30.0),
        ("Tue, 14 Nov 2023 22:13:50 GMT", 30.0),  # NOW + 30 s
        ("Tue, 14 Nov 2023 22:13:50", 30.0),  # no zone: GMT
        ("Mon, 01 Jan 2001 00:00:00 GMT", 0.0),  # in the past: now
        ("-3", None),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


def test_rate_limit_reset_reads_deltas_and_epochs() -> None:
    assert rate_limit_reset({"x-ratelimit-reset-after": "0.125"}, NOW) == 0.125
    assert rate_limit_reset({"ratelimit-reset": "9"}, NOW) == 9.0
    assert rate_limit_reset({"x-ratelimit-reset": "42"}, NOW) == 42.0  # small: a delta
    assert rate_limit_reset({"x-ratelimit-reset": str(NOW + 60)}, NOW) == 60.0  # an epoch
    assert rate_limit_reset({"x-ratelimit-reset": str(NOW - 60)}, NOW) == 0.0  # passed
    assert rate_limit_reset({"x-ratelimit-reset": str(EPOCH_THRESHOLD)}, NOW) == EPOCH_THRESHOLD
    assert rate_limit_reset({"x-ratelimit-reset": "soon"}, NOW) is None
    assert rate_limit_reset({}, NOW) is None


def test_quota_wait_only_when_nothing_remains() -> None:
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "2.5"}
    assert quota_wait(spent, NOW) == 2.5
    assert quota_wait({**spent, "x-ratelimit-remaining": "3"}, NOW) is None
    assert quota_wait({"ratelimit-remaining": "0", "ratelimit-reset": "4"}, NOW) == 4.0
    assert quota_wait({"x-ratelimit-remaining": "0"}, NOW) is None  # no reset: unknown
    assert quota_wait({"x-ratelimit-reset-after": "2"}, NOW) is None


def test_limiter_pause_holds_everyone_only_for_a_bounded_known_wait() -> None:
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset-after": "2"}
    assert limiter_pause(200, spent, NOW, max_wait=60) == 2.0
    assert limiter_pause(200, {"x-ratelimit-remaining": "4"}, NOW, max_wait=60) is None
    assert limiter_pause(429, {"retry-after": "3"}, NOW, max_wait=60) == 3.0
    assert limiter_pause(429, {**spent, "retry-after": "9"}, NOW, max_wait=60) == 2.0
    assert limiter_pause(429, {"retry-after": "3600"}, NOW, max_wait=60) is None
    assert limiter_pause(503, {"retry-after": "3"}, NOW, max_wait=60) is None
    assert limiter_pause(429, {"retry-after": "0"}, NOW, max_wait=60) is None


def test_server_wait_is_none_without_headers() -> None:
    assert server_wait(429, {}, NOW) is None
    assert server_wait(503, {"x-ratelimit-reset": "5"}, NOW) is None


# -- the policy ---------------------------------------------------------------------------


def test_policy_defaults_and_of() -> None:
    policy = RetryPolicy()
    assert (policy.max_retries, policy.backoff_base, policy.backoff_cap, policy.max_wait) == (
        3,
        0.5,
        8.0,
        60.0,
    )
    assert RetryPolicy.of(0) == RetryPolicy(max_retries=0)
    assert RetryPolicy.of(policy) is policy


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_retries": -1},
        {"max_retries": 1.5},
        {"max_retries": True},
        {"backoff_base": -1},
        {"backoff_cap": float("nan")},
        {"max_wait": "60"},
    ],
)
def test_policy_rejects_bad_values(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, 2.0, "3", None])
def test_policy_of_rejects_other_types(value: object) -> None:
    with pytest.raises(ConfigurationError, match="retry must be"):
        RetryPolicy.of(value)  # type: ignore[arg-type]


def test_a_redirect_loop_after_a_create_may_have_acted() -> None:
    loop = TooManyRedirectsError("POST /v1/webhooks: more than 10 redirects")
    assert (run(POST, loop).retry, run(POST, loop).unknown_outcome) == (False, True)
    assert (run(GET, loop).retry, run(GET, loop).unknown_outcome) == (False, False)


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"retry-after": "1e300"}, 503),
        ({"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"}, 503),
        ({"x-ratelimit-reset-after": "1e308"}, 429),
        ({"x-ratelimit-reset": "1e300"}, 429),
    ],
)
def test_a_servers_wait_is_clamped_so_every_sum_stays_finite(
    headers: dict[str, str], status: int
) -> None:
    assert server_wait(status, headers, NOW) == MAX_SECONDS
    pause = limiter_pause(status, headers, NOW, max_wait=float("inf"))
    assert pause == (MAX_SECONDS if status == 429 else None)


@pytest.mark.parametrize(
    "value",
    ["nan", "-inf", "inf", "-5", "1e999", "\xff\xfe", "Mon, 01 Jan 0001 00:00:00 +2359", ""],
)
def test_odd_retry_after_values_are_no_wait(value: str) -> None:
    assert server_wait(503, {"retry-after": value}, NOW) in (None, 0.0)
