"""Narrow transport cases with aioresponses (it bypasses redirects and timeouts)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aioresponses import aioresponses

from whautochat_async import (
    APIConnectionError,
    APITimeoutError,
    ResponseValidationError,
    WhautoChat,
)

from .conftest import API_KEY

BASE = "https://api.example.com"
LIST_URL = f"{BASE}/v1/webhooks?limit=100&page=1"


@pytest.fixture
async def client() -> AsyncIterator[WhautoChat]:
    async with WhautoChat(API_KEY, base_url=BASE, retry=0, environ={}) as api:
        yield api


async def test_connect_failure_is_a_connection_error_not_sent(
    client: WhautoChat, mock_http: aioresponses
) -> None:
    key = aiohttp.client_reqrep.ConnectionKey("api.example.com", 443, True, True, None, None, None)
    mock_http.get(LIST_URL, exception=aiohttp.ClientConnectorError(key, OSError(111, "refused")))
    with pytest.raises(APIConnectionError) as caught:
        await client.webhooks.list()
    assert caught.value.request_sent is False
    assert "GET /v1/webhooks failed" in str(caught.value)


async def test_server_disconnect_may_have_been_sent(
    client: WhautoChat, mock_http: aioresponses
) -> None:
    mock_http.get(LIST_URL, exception=aiohttp.ServerDisconnectedError())
    with pytest.raises(APIConnectionError) as caught:
        await client.webhooks.list()
    assert caught.value.request_sent is True


async def test_read_timeout_is_an_api_timeout(client: WhautoChat, mock_http: aioresponses) -> None:
    mock_http.get(LIST_URL, exception=aiohttp.SocketTimeoutError())
    with pytest.raises(APITimeoutError) as caught:
        await client.webhooks.list()
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.request_sent is True


async def test_object_where_an_array_belongs(client: WhautoChat, mock_http: aioresponses) -> None:
    mock_http.get(LIST_URL, payload={"data": []})
    with pytest.raises(ResponseValidationError, match=r"expected an array, got an object @ \$"):
        await client.webhooks.list()
