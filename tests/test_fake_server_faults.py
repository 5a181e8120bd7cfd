"""The fake server's faults, rate limit, hooks and lifecycle, over loopback."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from whautochat_async.testing import MALFORMED_JSON_BODY, FakeWhautoChat, serve

KEY = {"x-api-key": "test-key"}
BODY = {"name": "n", "serverUrl": "https://h.example/x", "events": ["contact_created"]}


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhautoChat]:
    async with FakeWhautoChat(seed=1) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=KEY) as session:
        yield session


async def post(fake: FakeWhautoChat, http: aiohttp.ClientSession) -> aiohttp.ClientResponse:
    async with http.post(f"{fake.url}/v1/webhooks", json=BODY) as resp:
        await resp.read()
        return resp


async def test_status_fault_answers_without_acting_then_expires(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fault = fake.faults.status(503, retry_after=2, method="post", path="/v1/webhooks")
    async with http.get(f"{fake.url}/v1/webhooks") as resp:
        assert resp.status == 200  # GET does not match the fault
    async with http.post(f"{fake.url}/v1/webhooks", json=BODY) as resp:
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "2"
        assert (await resp.json())["error"]["code"] == "service_unavailable"
    assert fake.webhooks == []
    assert (fault.fired, fake.faults.pending) == (1, ())
    assert (await post(fake, http)).status == 200


async def test_status_fault_custom_body_forever_and_clear(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    fake.faults.status(429, times=None, retry_after=date, body="slow down")
    for _ in range(3):
        async with http.get(f"{fake.url}/v1/webhooks") as resp:
            assert (resp.status, await resp.text()) == (429, "slow down")
            assert resp.headers["Retry-After"] == date
    fake.faults.clear()
    assert (await post(fake, http)).status == 200


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (204, "ignored", b""),
        (599, None, b'{"error": {"code": "http_599", "message": "Injected 599 Error"}}'),
        (500, b"raw", b"raw"),
        (500, {"detail": 1}, b'{"detail": 1}'),
    ],
)
async def test_status_fault_bodies(
    fake: FakeWhautoChat, http: aiohttp.ClientSession, status: int, body: Any, expected: bytes
) -> None:
    fake.faults.status(status, body=body, headers={"X-Extra": "1"}, retry_after=1.5)
    async with http.get(f"{fake.url}/v1/webhooks") as resp:
        assert (resp.status, await resp.read()) == (status, expected)
        assert (resp.headers["X-Extra"], resp.headers["Retry-After"]) == ("1", "1.5")


def test_fault_times_must_be_positive() -> None:
    with pytest.raises(ValueError, match="times"):
        FakeWhautoChat().faults.drop_before(times=0)


async def test_failing_hook_gives_500_and_is_recorded(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    def explode(request: web.Request) -> None:
        raise RuntimeError("hook bug")

    fake.before_request.append(explode)
    async with http.get(f"{fake.url}/v1/webhooks") as resp:
        assert resp.status == 500
    assert fake.requests[0].status == 500


async def test_latency_fault_and_server_latency_delay_answers(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.faults.latency(0.2)
    started = time.monotonic()
    await post(fake, http)
    assert time.monotonic() - started >= 0.2
    fake.latency = 0.1
    started = time.monotonic()
    await post(fake, http)
    assert 0.1 <= time.monotonic() - started < 0.2


async def test_drop_before_disconnects_without_acting(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.faults.drop_before()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(fake, http)
    assert fake.webhooks == []
    assert fake.requests[0].status is None
    assert (await post(fake, http)).status == 200


async def test_drop_after_acts_then_disconnects(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.faults.drop_after(method="POST")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(fake, http)
    assert [w["name"] for w in fake.webhooks] == ["n"]
    assert fake.requests[0].status is None


async def test_truncated_body_acts_then_cuts_the_answer(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.faults.truncated_body()
    with pytest.raises(aiohttp.ClientPayloadError):
        await post(fake, http)
    assert len(fake.webhooks) == 1
    assert fake.requests[0].status == 200


async def test_html_error_page(fake: FakeWhautoChat, http: aiohttp.ClientSession) -> None:
    fake.faults.html_error()
    async with http.post(f"{fake.url}/v1/webhooks", json=BODY) as resp:
        assert resp.status == 502
        assert resp.content_type == "text/html"
        assert "502 Bad Gateway" in await resp.text()
    assert fake.webhooks == []


async def test_malformed_json_is_200_and_does_not_act(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.faults.malformed_json()
    async with http.post(f"{fake.url}/v1/webhooks", json=BODY) as resp:
        assert (resp.status, resp.content_type) == (200, "application/json")
        assert await resp.read() == MALFORMED_JSON_BODY
        with pytest.raises(json.JSONDecodeError):
            await resp.json()
    assert fake.webhooks == []


async def test_rate_limit_refuses_the_sixth_request(http: aiohttp.ClientSession) -> None:
    async with FakeWhautoChat(rate_limit=(5, 0.5)) as fake:
        url = f"{fake.url}/v1/webhooks"
        for remaining in range(4, -1, -1):
            async with http.get(url) as resp:
                assert resp.headers["X-RateLimit-Remaining"] == str(remaining)
        async with http.get(url) as resp:
            assert resp.status == 429
            assert (await resp.json())["error"]["code"] == "rate_limited"
            assert resp.headers["Retry-After"] == "1"
            assert resp.headers["X-RateLimit-Limit"] == "5"
            reset_after = float(resp.headers["X-RateLimit-Reset-After"])
        assert 0 < reset_after <= 0.5
        assert fake.rejected_count == 1
        await asyncio.sleep(reset_after + 0.05)
        async with http.get(url) as resp:
            assert resp.status == 200


async def test_rate_limit_window_slides_on_injected_time(
    http: aiohttp.ClientSession,
) -> None:
    now = [100.0]
    limits: dict[str, Any] = {"rate_limit": (2, 10.0), "rate_limit_headers": False}
    async with FakeWhautoChat(monotonic=lambda: now[0], **limits) as fake:
        statuses = []
        for step in (0.0, 4.0, 1.0, 5.0, 0.0):  # times 100, 104, 105, 110, 110
            now[0] += step
            async with http.get(f"{fake.url}/v1/webhooks") as resp:
                statuses.append(resp.status)
                assert "X-RateLimit-Limit" not in resp.headers
                assert resp.status == 200 or "Retry-After" not in resp.headers
        assert statuses == [200, 200, 429, 200, 429]
        assert fake.rejected_count == 2


async def test_hooks_can_shift_items_between_pages(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.seed_webhooks(4)
    seen: list[str] = []

    async def insert_first(request: web.Request) -> None:
        if request.query.get("page") == "2":
            fake.webhooks = [{"id": "wh_new", "name": "new"}, *fake.webhooks]

    fake.before_request.extend([lambda r: seen.append(r.method), insert_first])
    url = f"{fake.url}/v1/webhooks?limit=2"
    pages = []
    for page in (1, 2):
        async with http.get(f"{url}&page={page}") as resp:
            pages.append([w["name"] for w in await resp.json()])
    assert pages == [["webhook-0001", "webhook-0002"], ["webhook-0002", "webhook-0003"]]
    assert seen == ["GET", "GET"]


async def test_write_goes_through_after_the_client_times_out(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.faults.latency(0.2, method="POST")
    with pytest.raises(asyncio.TimeoutError):
        async with http.post(
            f"{fake.url}/v1/webhooks", json=BODY, timeout=aiohttp.ClientTimeout(total=0.05)
        ):
            pass
    await asyncio.sleep(0.3)
    assert len(fake.webhooks) == 1


async def test_close_cancels_handlers_whose_client_left(
    http: aiohttp.ClientSession,
) -> None:
    fake = FakeWhautoChat(latency=5.0)
    await fake.start()
    with pytest.raises(asyncio.TimeoutError):
        await http.get(f"{fake.url}/v1/webhooks", timeout=aiohttp.ClientTimeout(total=0.05))
    started = time.monotonic()
    await fake.close()
    assert time.monotonic() - started < 1.0
    assert fake.requests[0].status is None  # cancelled before any answer


async def test_lifecycle_errors() -> None:
    fake = FakeWhautoChat()
    with pytest.raises(RuntimeError):
        _ = fake.url
    async with fake:
        assert fake.url.startswith("http://127.0.0.1:")
        with pytest.raises(RuntimeError):
            await fake.start()
    await fake.close()  # a second close is harmless


async def test_start_on_a_busy_port_fails_cleanly(fake: FakeWhautoChat) -> None:
    other = FakeWhautoChat(port=int(fake.url.rsplit(":", 1)[1]))
    with pytest.raises(OSError, match="address"):
        await other.start()
    with pytest.raises(RuntimeError):
        _ = other.url


async def test_serve_runs_until_cancelled(http: aiohttp.ClientSession) -> None:
    ready: asyncio.Future[FakeWhautoChat] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve("127.0.0.1", 0, seed_count=3, on_ready=ready.set_result))
    fake = await ready
    async with http.get(f"{fake.url}/v1/webhooks") as resp:
        assert len(await resp.json()) == 3
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        await http.get(f"{fake.url}/v1/webhooks")
