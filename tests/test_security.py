"""The API key never leaks: not across redirects, not in reprs, errors or logs."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from whautochat_async import APIStatusError, TooManyRedirectsError, WhautoChat
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY


@pytest.fixture
async def other_origin() -> AsyncIterator[tuple[TestServer, list[dict[str, str]]]]:
    """A second server on another port (another origin) that records request headers."""
    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return web.json_response([])

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    async with TestServer(app, host="127.0.0.1") as server:
        yield server, seen


async def test_a_redirect_to_another_origin_does_not_carry_the_key(
    client: WhautoChat,
    fake: FakeWhautoChat,
    other_origin: tuple[TestServer, list[dict[str, str]]],
) -> None:
    server, seen = other_origin
    target = str(server.make_url("/collect"))
    fake.faults.status(302, headers={"Location": target}, body={})
    page = await client.webhooks.list()
    assert len(page) == 0
    assert len(seen) == 1
    assert "x-api-key" not in seen[0]
    assert API_KEY not in str(seen[0])


async def test_a_same_origin_redirect_keeps_the_key(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.seed_webhooks(1)
    fake.faults.status(307, headers={"Location": f"{fake.url}/v1/webhooks?page=1"}, body={})
    page = await client.webhooks.list()
    assert len(page) == 1
    assert [r.status for r in fake.requests] == [307, 200]


async def test_a_redirect_loop_ends_in_a_typed_error(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.faults.status(302, headers={"Location": f"{fake.url}/v1/webhooks"}, body={}, times=None)
    with pytest.raises(TooManyRedirectsError, match="more than 10 redirects"):
        await client.webhooks.list()
    assert fake.request_count == 11  # followed 10 times, then stopped: not retried


async def test_the_key_is_in_no_log_line_error_or_repr(
    fake: FakeWhautoChat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="whautochat_async")
    texts: list[str] = []
    async with WhautoChat(API_KEY, base_url=fake.url, environ={}) as client:
        texts.append(repr(client))
        hook = await client.webhooks.create(
            name="n", server_url="https://a.io", events=["contact_created"]
        )
        texts += [repr(hook), repr(client.webhooks), repr(client.webhooks.list())]
        fake.faults.status(500, times=None)
        with pytest.raises(APIStatusError) as caught:
            await client.webhooks.delete(hook)
        texts += [str(caught.value), repr(caught.value), repr(caught.value.headers)]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records, "expected DEBUG lines to check"
    assert all(API_KEY not in text for text in texts)


async def test_a_key_echoed_by_the_server_is_redacted_everywhere(
    fake: FakeWhautoChat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="whautochat_async")
    echo = {"error": {"message": f"key {API_KEY} lacks scope"}}
    fake.faults.status(403, body=echo, headers={"x-debug": f"caller={API_KEY}"})
    async with WhautoChat(API_KEY, base_url=fake.url, environ={}) as client:
        with pytest.raises(APIStatusError) as caught:
            await client.webhooks.list()
    error = caught.value
    assert "key *** lacks scope" in str(error)
    texts = [str(error), repr(error.body), repr(error.headers), repr(error.response)]
    texts += [record.getMessage() for record in caplog.records]
    assert all(API_KEY not in text for text in texts)
    assert error.headers["x-debug"] == "caller=***"
    assert b"key *** lacks scope" in error.response.body
