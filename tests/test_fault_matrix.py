"""Every fault the fake server injects, crossed with every endpoint, over loopback.

Each case checks the typed outcome (a result after retries, or the right error with a
useful message), the server's state (no duplicate create, nothing lost), the elapsed
time against the deadline, and that no connection, session or task is left behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest

from whautochat_async import (
    APIConnectionError,
    DeadlineExceededError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    RetryPolicy,
    Timeout,
    UnknownOutcomeError,
    Webhook,
    WhautoChat,
)
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY

POLICY = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_cap=0.05, max_wait=5.0)
TIMEOUT = Timeout(deadline=2.0, attempt=0.3, connect=0.3)
SHORT = Timeout(deadline=0.4, attempt=0.3, connect=0.3)
NEW: dict[str, Any] = {
    "name": "new",
    "server_url": "https://h.example/new",
    "events": ["contact_created"],
}


@attrs.frozen
class Expect:
    """The outcome of one call: an error (type and message) or a result; the server state."""

    error: type[Exception] | None = None
    match: str = ""
    acted: bool = True  # the server state shows the write (ignored for list)


SUCCESS = Expect()
MAYBE = "may or may not have been created"
UNKNOWN_NOT_CREATED = Expect(UnknownOutcomeError, MAYBE, acted=False)
UNKNOWN_CREATED = Expect(UnknownOutcomeError, MAYBE, acted=True)
DELETED_BY_EARLIER = Expect(NotFoundError, "earlier attempt of this DELETE may have", acted=True)
# aiohttp itself resends an idempotent request once when the connection drops (there is no
# public switch), so after drop-after our first attempt may already see the 404.
TOO_LONG = Expect(RateLimitError, r"asked to wait 120s > max_wait 5\.0s", acted=False)
GONE = Expect(NotFoundError, r"-> 404: Webhook wh_\w+ not found", acted=True)


def outcomes(writes_ok: Expect, create: Expect, **others: Expect) -> dict[str, Expect]:
    return {"list": writes_ok, "create": create, "update": writes_ok, "delete": writes_ok} | others


@attrs.frozen
class Fault:
    name: str
    install: Callable[[FakeWhautoChat], Any]
    expect: dict[str, Expect]
    server: dict[str, Any] = attrs.field(factory=dict)
    timeout: Timeout = TIMEOUT


def none(fake: FakeWhautoChat) -> None:
    return None


FAULTS = [
    Fault(
        "503-twice", lambda f: f.faults.status(503, times=2), outcomes(SUCCESS, UNKNOWN_NOT_CREATED)
    ),
    Fault(
        "503-retry-after",
        lambda f: f.faults.status(503, retry_after=0.1),
        outcomes(SUCCESS, UNKNOWN_NOT_CREATED),
    ),
    Fault(
        "429-retry-after",
        lambda f: f.faults.status(429, times=2, retry_after=0.1),
        outcomes(SUCCESS, SUCCESS),
    ),
    Fault(
        "429-retry-after-date",
        lambda f: f.faults.status(429, retry_after="Mon, 01 Jan 2001 00:00:00 GMT"),
        outcomes(SUCCESS, SUCCESS),
    ),
    Fault("429-bare", lambda f: f.faults.status(429, times=2), outcomes(SUCCESS, SUCCESS)),
    Fault(
        "500-always",
        lambda f: f.faults.status(500, times=None),
        outcomes(
            Expect(
                InternalServerError,
                r"(?s)-> 500: Injected 500.*all 3 retries are spent",
                acted=False,
            ),
            UNKNOWN_NOT_CREATED,
        ),
    ),
    Fault("html-502", lambda f: f.faults.html_error(502), outcomes(SUCCESS, UNKNOWN_NOT_CREATED)),
    Fault("drop-before", lambda f: f.faults.drop_before(), outcomes(SUCCESS, UNKNOWN_NOT_CREATED)),
    Fault(
        "drop-after",
        lambda f: f.faults.drop_after(),
        outcomes(SUCCESS, UNKNOWN_CREATED, delete=GONE),
    ),
    Fault(
        "truncated-body",
        lambda f: f.faults.truncated_body(),
        outcomes(SUCCESS, UNKNOWN_CREATED, delete=DELETED_BY_EARLIER),
    ),
    Fault(
        "malformed-json",
        lambda f: f.faults.malformed_json(),
        outcomes(
            Expect(ResponseValidationError, "not JSON", acted=False),
            Expect(UnknownOutcomeError, "body could not be read", acted=False),
        ),
    ),
    Fault(
        "429-wait-too-long",
        lambda f: f.faults.status(429, retry_after=120),
        outcomes(TOO_LONG, TOO_LONG),
    ),
    Fault("slow-attempt", lambda f: f.faults.latency(0.6), outcomes(SUCCESS, UNKNOWN_CREATED)),
    Fault("slow-in-time", lambda f: f.faults.latency(0.1), outcomes(SUCCESS, SUCCESS)),
    Fault("rate-limited", none, outcomes(SUCCESS, SUCCESS), server={"rate_limit": (1, 0.3)}),
    Fault(
        "past-deadline",
        lambda f: f.faults.latency(0.5, times=None),
        outcomes(
            Expect(DeadlineExceededError, r"deadline of 0\.4s exceeded"),
            UNKNOWN_CREATED,
            list=Expect(DeadlineExceededError, r"deadline of 0\.4s exceeded"),
        ),
        timeout=SHORT,
    ),
]


def acquired_connections(client: WhautoChat) -> int:
    sessions = client._requester.transport.owned_sessions
    return sum(len(session.connector._acquired) for session in sessions)  # type: ignore[union-attr]


async def settled(fake: FakeWhautoChat) -> None:
    """Wait until the server has finished every request (delayed writes included)."""
    for _ in range(300):
        if fake.in_flight == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the fake server never settled")


@pytest.fixture
async def no_task_left() -> AsyncIterator[None]:
    yield
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - {asyncio.current_task()} == set()


async def run_call(client: WhautoChat, endpoint: str, target: Webhook) -> Any:
    if endpoint == "list":
        return await client.webhooks.list()
    if endpoint == "create":
        return await client.webhooks.create(**NEW)
    if endpoint == "update":
        return await client.webhooks.update(target, name="renamed")
    return await client.webhooks.delete(target)


def check_state(
    fake: FakeWhautoChat, endpoint: str, before: list[dict[str, Any]], acted: bool
) -> None:
    after = fake.webhooks
    if endpoint == "list" or not acted:
        assert after == before
    elif endpoint == "create":
        assert after[:2] == before
        assert [w["name"] for w in after[2:]] == ["new"]  # exactly one: never a duplicate
    elif endpoint == "update":
        assert after[0]["name"] == "renamed"
        assert after[1] == before[1]
    else:
        assert after == before[1:]


@pytest.mark.usefixtures("no_task_left")
@pytest.mark.parametrize("endpoint", ["list", "create", "update", "delete"])
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
async def test_fault_matrix(fault: Fault, endpoint: str) -> None:
    expect = fault.expect[endpoint]
    async with FakeWhautoChat(api_key=API_KEY, seed=1, **fault.server) as fake:
        fake.seed_webhooks(2)
        async with WhautoChat(
            API_KEY,
            base_url=fake.url,
            timeout=fault.timeout,
            retry=POLICY,
            rate_limit=None,
            environ={},
        ) as client:
            target = (await client.webhooks.list())[0]
            before = [dict(w) for w in fake.webhooks]
            installed = fault.install(fake)
            started = time.monotonic()
            if expect.error is None:
                result = await run_call(client, endpoint, target)
                assert result is not None
            else:
                with pytest.raises(expect.error, match=expect.match) as caught:
                    await run_call(client, endpoint, target)
                assert API_KEY not in repr(caught.value)
                if expect is TOO_LONG:
                    assert caught.value.retry_after == 120  # type: ignore[attr-defined]
            elapsed = time.monotonic() - started
            assert elapsed < fault.timeout.deadline + 0.5  # type: ignore[operator]
            assert acquired_connections(client) == 0
            await settled(fake)
            check_state(fake, endpoint, before, expect.acted)
            assert fake.rejected_count == (1 if fault.name == "rate-limited" else 0)
            assert installed is None or installed.fired >= 1  # the fault did happen


@pytest.mark.usefixtures("no_task_left")
async def test_a_connection_never_opened_is_retried_even_for_create_then_reported() -> None:
    async with FakeWhautoChat(api_key=API_KEY) as fake:
        url = fake.url  # the port is closed once the fake has stopped
    webhook = Webhook(id="wh_1", name="n", server_url="https://h.example", active=True, events=[])
    async with WhautoChat(
        API_KEY, base_url=url, retry=POLICY, rate_limit=None, environ={}
    ) as client:
        for call in (
            client.webhooks.list(),
            client.webhooks.create(**NEW),
            client.webhooks.delete(webhook),
        ):
            with pytest.raises(APIConnectionError) as caught:
                await call
            assert caught.value.request_sent is False
            assert not isinstance(caught.value, UnknownOutcomeError)


@pytest.mark.usefixtures("no_task_left")
async def test_a_float_timeout_bounds_the_whole_call_retries_included() -> None:
    """Other SDKs take 91 s for timeout=30, max_retries=2; the deadline here holds."""
    async with (
        FakeWhautoChat(api_key=API_KEY, latency=5.0) as fake,
        WhautoChat(
            API_KEY, base_url=fake.url, timeout=0.5, retry=2, rate_limit=None, environ={}
        ) as client,
    ):
        started = time.monotonic()
        with pytest.raises(DeadlineExceededError, match=r"deadline of 0\.5s exceeded"):
            await client.webhooks.list()
        assert time.monotonic() - started < 0.5 + 0.2


@pytest.mark.usefixtures("no_task_left")
async def test_a_per_call_view_changes_limits_and_shares_the_session() -> None:
    async with FakeWhautoChat(api_key=API_KEY) as fake:
        async with WhautoChat(
            API_KEY, base_url=fake.url, retry=POLICY, rate_limit=None, environ={}
        ) as client:
            fake.faults.status(503, times=1)
            async with client.with_options(retry=0, timeout=1.0) as once:
                assert once.timeout.deadline == 1.0
                with pytest.raises(InternalServerError):
                    await once.webhooks.list()
            assert not client.closed  # closing a view leaves the session open
            assert len(await client.webhooks.list()) == 0  # the parent still retries
            assert once._requester.transport is client._requester.transport
        assert once.closed


async def test_the_key_is_never_logged_through_a_faulty_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="whautochat_async")
    texts: list[str] = []
    async with (
        FakeWhautoChat(api_key=API_KEY, rate_limit=(2, 0.2)) as fake,
        WhautoChat(API_KEY, base_url=fake.url, timeout=TIMEOUT, retry=POLICY, environ={}) as client,
    ):
        installs: list[Callable[[], object]] = [
            lambda: fake.faults.drop_after(),
            lambda: fake.faults.status(503),
            lambda: fake.faults.latency(0.5),
        ]
        for install in installs:
            install()
            for call in (client.webhooks.list(), client.webhooks.create(**NEW)):
                try:
                    texts.append(repr(await call))
                except Exception as exc:
                    texts += [
                        str(exc),
                        repr(exc),
                        repr(exc.__cause__),
                        *getattr(exc, "__notes__", []),
                    ]
        await settled(fake)
    lines = [record.getMessage() for record in caplog.records]
    assert any("retrying in" in line for line in lines)
    assert all(API_KEY not in text for text in texts + lines)
