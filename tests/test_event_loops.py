"""One client across event loops: successive loops work; a loop not closed yet is not."""

from __future__ import annotations

import asyncio
import gc
import threading
import warnings
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from whautochat_async import EventLoopError, Page, WhautoChat, WhautoChatError
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .counting_limiter import CountingLimiter

T = TypeVar("T")


class LoopThread:
    """An event loop running in another thread, as a web server's or a worker's would."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


@pytest.fixture
def server_thread() -> Iterator[tuple[LoopThread, str]]:
    """A fake server on its own loop in another thread, and its URL."""
    thread = LoopThread()
    fake = FakeWhautoChat(api_key=API_KEY, seed=1)
    thread.run(fake.__aenter__())
    try:
        yield thread, fake.url
    finally:
        thread.run(fake.__aexit__(None, None, None))
        thread.close()


async def first_page(client: WhautoChat) -> Page:
    return await client.webhooks.list()


async def list_and_create(client: WhautoChat) -> None:
    """Leave a connection in both sessions: the pooled one (GET) and the fresh one (POST)."""
    await client.webhooks.list()
    await client.webhooks.create(
        name="n", server_url="https://example.com/h", events=["contact_created"]
    )


def run_on_a_loop_closed_by_hand(coro: Coroutine[Any, Any, object]) -> None:
    """Run ``coro``, then close the loop without ``shutdown_asyncgens()``, as some code does."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coro)
    finally:
        loop.close()


def used_on_a_loop_closed_by_hand(url: str) -> tuple[WhautoChat, tuple[Any, ...]]:
    """A client whose sessions belong to a loop closed by hand, and those sessions."""
    client = WhautoChat(API_KEY, base_url=url, environ={})
    run_on_a_loop_closed_by_hand(list_and_create(client))
    dead = client._requester.transport.owned_sessions
    assert dead
    assert not any(session.closed for session in dead)  # the loop's shutdown never ran
    return client, dead


def no_resource_warning_at_collection() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_one_client_serves_successive_asyncio_runs(server_thread: tuple[LoopThread, str]) -> None:
    _, url = server_thread
    client = WhautoChat(API_KEY, base_url=url, environ={})  # made outside any loop
    for _ in range(3):
        page = asyncio.run(first_page(client))
        assert page.items == ()
    first = client._requester.transport.owned_sessions
    asyncio.run(client.close())
    assert all(session.closed for session in first)
    no_resource_warning_at_collection()


def test_a_client_never_closed_leaves_nothing_behind_its_loop(
    server_thread: tuple[LoopThread, str],
) -> None:
    _, url = server_thread

    async def use_and_forget() -> None:
        await first_page(WhautoChat(API_KEY, base_url=url, environ={}))

    asyncio.run(use_and_forget())  # the loop's shutdown closes the client's sessions
    no_resource_warning_at_collection()


def test_a_loop_still_running_in_another_thread_is_a_clear_error(
    server_thread: tuple[LoopThread, str],
) -> None:
    thread, url = server_thread
    limiter = CountingLimiter()
    client = WhautoChat(API_KEY, base_url=url, rate_limit=limiter, environ={})
    thread.run(first_page(client))  # the sessions now belong to that thread's loop
    sessions = client._requester.transport.owned_sessions
    with pytest.raises(EventLoopError, match="one client per event loop") as caught:
        asyncio.run(first_page(client))
    assert isinstance(caught.value, WhautoChatError)
    assert isinstance(caught.value, RuntimeError)
    assert limiter.acquired == 1  # refused before taking a slot: nothing to hold for `per`
    asyncio.run(client.close())  # closes them on their own loop, from this one
    assert sessions
    assert all(session.closed for session in sessions)
    no_resource_warning_at_collection()


def test_a_loop_closed_by_hand_leaves_nothing_for_the_next_loop(
    server_thread: tuple[LoopThread, str],
) -> None:
    client, dead = used_on_a_loop_closed_by_hand(server_thread[1])

    async def list_then_close() -> Page:
        try:
            return await first_page(client)
        finally:
            await client.close()

    assert len(asyncio.run(list_then_close()).items) == 1  # the webhook made on the dead loop
    assert all(session.closed for session in dead)
    no_resource_warning_at_collection()


def test_close_releases_the_sessions_of_a_loop_closed_by_hand(
    server_thread: tuple[LoopThread, str],
) -> None:
    client, dead = used_on_a_loop_closed_by_hand(server_thread[1])
    asyncio.run(client.close())  # from a new loop: the dead one cannot run anything
    assert all(session.closed for session in dead)
    no_resource_warning_at_collection()


def test_a_stopped_loop_keeps_its_sessions_until_it_is_closed(
    server_thread: tuple[LoopThread, str],
) -> None:
    _, url = server_thread
    client = WhautoChat(API_KEY, base_url=url, environ={})
    loop = asyncio.new_event_loop()
    loop.run_until_complete(first_page(client))  # stopped, not closed: it may run again
    with pytest.raises(EventLoopError, match="stopped"):
        asyncio.run(first_page(client))
    loop.close()  # by hand: now the next loop may take over
    asyncio.run(first_page(client))
    asyncio.run(client.close())
    no_resource_warning_at_collection()


def test_close_leaves_a_stopped_loops_sessions_to_that_loops_shutdown(
    server_thread: tuple[LoopThread, str],
) -> None:
    _, url = server_thread
    client = WhautoChat(API_KEY, base_url=url, environ={})
    loop = asyncio.new_event_loop()
    loop.run_until_complete(first_page(client))
    sessions = client._requester.transport.owned_sessions
    asyncio.run(client.close())  # another loop's: a stopped loop is not ours to touch
    assert sessions
    assert not any(session.closed for session in sessions)
    loop.run_until_complete(loop.shutdown_asyncgens())  # as asyncio.run() ends a loop
    loop.close()
    assert all(session.closed for session in sessions)
    no_resource_warning_at_collection()
