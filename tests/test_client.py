"""The client as a session manager: ownership, headers, closing, repr."""

from __future__ import annotations

import asyncio
import inspect
import pydoc

import aiohttp
import pytest

from whautochat_async import ClientClosedError, WhautoChat, __version__
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY


async def test_every_request_carries_key_accept_and_user_agent(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    await client.webhooks.list()
    headers = {k.lower(): v for k, v in fake.requests[-1].headers.items()}
    assert headers["x-api-key"] == "***"  # the fake redacts the key it checked
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == f"whautochat-async/{__version__}"
    assert fake.requests[-1].status == 200


async def test_the_client_opens_its_session_lazily_and_closes_it(fake: FakeWhautoChat) -> None:
    client = WhautoChat(API_KEY, base_url=fake.url, environ={})
    assert client._requester.transport.owned_sessions == ()
    await client.webhooks.list()
    sessions = client._requester.transport.owned_sessions
    assert sessions
    assert not any(session.closed for session in sessions)
    await client.close()
    assert all(session.closed for session in sessions)
    assert client._requester.transport.owned_sessions == ()
    assert client.closed
    await client.close()  # idempotent


async def test_a_borrowed_session_is_used_and_never_closed(fake: FakeWhautoChat) -> None:
    async with aiohttp.ClientSession() as session:
        async with WhautoChat(API_KEY, base_url=fake.url, session=session, environ={}) as client:
            await client.webhooks.list()
        assert not session.closed
        assert client.closed
        async with session.get(f"{fake.url}/v1/webhooks", headers={"x-api-key": API_KEY}) as r:
            assert r.status == 200
    assert fake.request_count == 2


async def test_a_borrowed_session_that_raises_for_status_still_gets_typed_errors(
    fake: FakeWhautoChat,
) -> None:
    from whautochat_async import NotFoundError

    async with aiohttp.ClientSession(raise_for_status=True) as session:
        client = WhautoChat(API_KEY, base_url=fake.url, session=session, environ={})
        with pytest.raises(NotFoundError):
            await client.webhooks.delete("wh_missing")


async def test_a_closed_client_refuses_calls_with_a_clear_error(fake: FakeWhautoChat) -> None:
    async with WhautoChat(API_KEY, base_url=fake.url, environ={}) as client:
        pass
    with pytest.raises(ClientClosedError, match="closed"):
        await client.webhooks.list()
    with pytest.raises(ClientClosedError, match="cannot be reopened"):
        async with client:
            pass
    assert fake.request_count == 0


async def test_the_client_can_be_made_outside_a_loop_and_used_inside() -> None:
    client = WhautoChat(API_KEY, base_url="http://127.0.0.1:1", environ={})

    async def use() -> None:
        async with FakeWhautoChat(api_key=API_KEY) as fake:
            assert not client._requester.transport.closed  # made before the loop
            async with WhautoChat(API_KEY, base_url=fake.url, environ={}) as inner:
                assert len(await inner.webhooks.list()) == 0
        await client.close()

    await use()
    assert client.closed


async def test_concurrent_calls_share_one_session(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(3)
    pages = await asyncio.gather(*(client.webhooks.list() for _ in range(10)))
    assert all(len(page) == 3 for page in pages)
    assert fake.request_count == 10


def test_repr_shows_the_url_never_the_key() -> None:
    client = WhautoChat(API_KEY, base_url="https://eu.whauto.chat", environ={})
    for text in (repr(client), str(client), repr(client._requester.transport)):
        assert API_KEY not in text
    assert "eu.whauto.chat" in repr(client)


def test_environment_supplies_key_and_url() -> None:
    env = {"WHAUTOCHAT_API_KEY": API_KEY, "WHAUTOCHAT_BASE_URL": "https://x.whauto.chat/a"}
    client = WhautoChat(environ=env)
    assert str(client.base_url) == "https://x.whauto.chat/a/"


def test_help_documents_the_webhooks_attribute_and_every_parameter() -> None:
    text = pydoc.render_doc(WhautoChat, renderer=pydoc.plaintext)
    assert "webhooks: the webhooks endpoints" in text
    for parameter in inspect.signature(WhautoChat).parameters:
        assert f"{parameter}:" in text, parameter
