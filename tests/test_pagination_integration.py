"""Walking every webhook over real loopback sockets against FakeWhautoChat."""

from __future__ import annotations

import asyncio
import gc
import math
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from whautochat_async import (
    BadRequestError,
    InternalServerError,
    PaginationError,
    RetryPolicy,
    Webhook,
    WhautoChat,
)
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY

# No client-side rate limit (the fake is the only server); retries without backoff sleep.
NO_WAITS: dict[str, Any] = {"rate_limit": None, "retry": RetryPolicy(backoff_base=0)}


def make_client(fake: FakeWhautoChat, **options: Any) -> WhautoChat:
    return WhautoChat(API_KEY, base_url=fake.url, environ={}, **(NO_WAITS | options))


@pytest.fixture
async def client(fake: FakeWhautoChat) -> AsyncIterator[WhautoChat]:
    async with make_client(fake) as api:
        yield api


def ids(fake: FakeWhautoChat) -> list[str]:
    return [webhook["id"] for webhook in fake.webhooks]


def list_pages(fake: FakeWhautoChat) -> list[int]:
    """The ``page`` of every list request the fake answered, in order."""
    return [int(r.query["page"]) for r in fake.requests if r.method == "GET"]


def query_page(request: web.Request) -> int:
    return int(request.query.get("page", "1"))


def fail_page(fake: FakeWhautoChat, page: int, status: int, *, times: int = 1) -> None:
    """The first request for ``page`` (and its retries, ``times`` in all) gets ``status``."""
    left = times

    def arm(request: web.Request) -> None:
        nonlocal left
        if query_page(request) == page and left > 0:
            left -= 1
            fake.faults.status(status)  # taken by this very request: nothing awaits between

    fake.before_request.append(arm)


def page_tasks() -> set[asyncio.Task[Any]]:
    """The client's page fetches still alive (the fake's own handler tasks share the loop)."""
    return {t for t in asyncio.all_tasks() if t.get_name().startswith("whautochat-page-")}


async def collect(walk: AsyncIterator[Webhook], into: list[str]) -> None:
    """Append every id the walk yields to ``into``, which keeps them if the walk raises."""
    async for webhook in walk:
        into.append(webhook.id)


@pytest.mark.parametrize(
    ("count", "limit", "pages"),
    [
        pytest.param(0, None, [1], id="empty"),
        pytest.param(1, None, [1, 2], id="one item"),
        pytest.param(20, 10, [1, 2, 3], id="exactly full last page"),
        pytest.param(15, 10, [1, 2], id="short last page"),
        pytest.param(3, 1, [1, 2, 3, 4], id="limit=1"),
    ],
)
async def test_walk_yields_every_webhook_with_the_fewest_requests(
    client: WhautoChat, fake: FakeWhautoChat, count: int, limit: int | None, pages: list[int]
) -> None:
    fake.seed_webhooks(count)
    assert [w.id async for w in client.webhooks.list(limit=limit)] == ids(fake)
    assert list_pages(fake) == pages
    assert fake.requests[0].query["limit"] == str(limit or 100)


async def test_a_silent_cap_on_limit_still_yields_every_webhook() -> None:
    async with FakeWhautoChat(api_key=API_KEY, max_page_size=37) as capped:
        capped.seed_webhooks(100)
        async with make_client(capped) as api:
            assert [w.id async for w in api.webhooks.list()] == ids(capped)
        assert list_pages(capped) == [1, 2, 3]
        assert {r.query["limit"] for r in capped.requests} == {"100"}


async def test_a_server_ignoring_page_raises_instead_of_looping(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.seed_webhooks(30)
    fake.ignore_page = True
    yielded: list[str] = []
    with pytest.raises(PaginationError) as caught:
        await collect(aiter(client.webhooks.list(limit=10, prefetch=2)), yielded)
    assert yielded == ids(fake)[:10]
    assert caught.value.resume_page == 2
    assert fake.request_count <= 2 + 2


async def test_webhooks_created_on_pages_already_read_are_not_yielded_twice(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    originals = [w["id"] for w in fake.seed_webhooks(25)]

    def create_at_front(request: web.Request) -> None:
        if query_page(request) > 1:
            fake.add_webhook(name="created-meanwhile")
            hooks = fake.webhooks
            fake.webhooks = [hooks[-1], *hooks[:-1]]  # the new one first

    fake.before_request.append(create_at_front)
    yielded = [w.id async for w in client.webhooks.list(limit=10)]
    assert len(yielded) == len(set(yielded))
    assert [i for i in yielded if i in originals] == originals


async def test_webhooks_deleted_during_the_walk_never_cause_a_repeat_or_a_loop(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    originals = [w["id"] for w in fake.seed_webhooks(40)]

    def delete_first(request: web.Request) -> None:
        if query_page(request) > 1:
            fake.webhooks = fake.webhooks[1:]

    fake.before_request.append(delete_first)
    yielded = [w.id async for w in client.webhooks.list(limit=10, prefetch=1)]
    assert len(yielded) == len(set(yielded))
    assert set(yielded) <= set(originals)
    assert yielded == sorted(yielded, key=originals.index)


async def test_max_items_fetches_only_the_pages_it_needs(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.seed_webhooks(300)
    assert [w.id async for w in client.webhooks.list(max_items=5)] == ids(fake)[:5]
    assert list_pages(fake) == [1]
    fake.requests.clear()
    walk = client.webhooks.list(limit=10, max_items=25, prefetch=4)
    assert [w.id async for w in walk] == ids(fake)[:25]
    assert sorted(list_pages(fake)) == [1, 2, 3]


async def test_resume_after_a_failure_that_outlived_the_retries(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.seed_webhooks(45)
    fail_page(fake, 3, 503, times=client.retry.max_retries + 1)
    yielded: list[str] = []
    with pytest.raises(InternalServerError) as caught:
        await collect(aiter(client.webhooks.list(limit=10)), yielded)
    assert caught.value.resume_page == 3
    assert list_pages(fake) == [1, 2] + [3] * (client.retry.max_retries + 1)
    async for webhook in client.webhooks.list(limit=10, page=caught.value.resume_page):
        yielded.append(webhook.id)
    assert yielded == ids(fake)


async def test_prefetch_with_a_failure_in_the_middle() -> None:
    async with FakeWhautoChat(api_key=API_KEY, latency=0.002) as slow:
        slow.seed_webhooks(100)
        fail_page(slow, 5, 400)
        yielded: list[str] = []
        async with make_client(slow) as api:
            with pytest.raises(BadRequestError) as caught:
                await collect(aiter(api.webhooks.list(limit=10, prefetch=3)), yielded)
            assert page_tasks() == set()
            assert yielded == ids(slow)[:40]
            assert caught.value.resume_page == 5
            assert max(list_pages(slow)) <= 5 + 3
            yielded += [w.id async for w in api.webhooks.list(limit=10, page=5, prefetch=3)]
        assert yielded == ids(slow)


async def test_prefetch_yields_in_order_with_concurrent_requests() -> None:
    async with FakeWhautoChat(api_key=API_KEY, latency=0.002) as slow:
        slow.seed_webhooks(95)
        async with make_client(slow) as api:
            walk = api.webhooks.list(limit=10, prefetch=4)
            assert [w.id async for w in walk] == ids(slow)
        assert sorted(list_pages(slow))[:10] == list(range(1, 11))
        assert slow.request_count <= 10 + 4


class HeldPages:
    """A before_request hook that holds every page after the first until released."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.three_held = asyncio.Event()
        self.arrived: list[int] = []

    async def __call__(self, request: web.Request) -> None:
        if query_page(request) > 1:
            self.arrived.append(query_page(request))
            if len(self.arrived) == 3:
                self.three_held.set()
            await self.release.wait()

    async def until_three_held(self) -> None:
        async with asyncio.timeout(5):  # a hang guard, not a timing assertion
            await self.three_held.wait()


async def walk_then_leave(client: WhautoChat, held: HeldPages, how: str) -> None:
    """Start a walk with pages 2-4 held at the server, then break, raise, or cancel."""
    if how == "break":
        async with client.webhooks.list(limit=10, prefetch=3) as webhooks:
            async for _ in webhooks:
                await held.until_three_held()
                break
        assert page_tasks() == set()  # closed by __aexit__, not left to the loop
    elif how == "raise":

        async def buggy_caller() -> None:
            async for _ in client.webhooks.list(limit=10, prefetch=3):
                await held.until_three_held()
                raise KeyError("caller bug")

        with pytest.raises(KeyError):
            await buggy_caller()
        # No async with: the event loop finalises the abandoned walk, which cancels
        # its fetches (they are held at the server: only a cancel can end them).
        leftover = page_tasks()
        if leftover:
            async with asyncio.timeout(5):
                await asyncio.wait(leftover)
    else:
        walker = asyncio.create_task(collect(aiter(client.webhooks.list(limit=10, prefetch=3)), []))
        await held.until_three_held()
        walker.cancel()
        with pytest.raises(asyncio.CancelledError):
            await walker
        assert page_tasks() == set()


@pytest.mark.parametrize("how", ["break", "raise", "cancel"])
async def test_leaving_a_walk_cancels_its_fetches_and_leaks_no_connection(
    fake: FakeWhautoChat, how: str
) -> None:
    fake.seed_webhooks(100)
    held = HeldPages()
    fake.before_request.append(held)
    # A pool of 4 connections: any connection a cancelled fetch kept would block below.
    connector = aiohttp.TCPConnector(limit=4)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = make_client(fake, session=session)
        await walk_then_leave(client, held, how)
        assert page_tasks() == set()
        held.release.set()
        async with asyncio.timeout(5):
            pages = [client.webhooks.list(page=page, limit=10) for page in (1, 2, 3, 4)]
            answered = await asyncio.gather(*pages)
        assert [len(page) for page in answered] == [10, 10, 10, 10]
        await client.close()
    gc.collect()  # an unclosed connection or session would warn here (-W error)


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(0, 40),
    limit=st.integers(1, 15),
    cap=st.none() | st.integers(1, 15),
    prefetch=st.integers(0, 3),
)
def test_any_server_is_walked_exactly_once_in_order_with_few_requests(
    count: int, limit: int, cap: int | None, prefetch: int
) -> None:
    # A fresh loop, server and client per example: no state leaks between examples.
    asyncio.run(walk_and_check(count, limit, cap, prefetch))


async def walk_and_check(count: int, limit: int, cap: int | None, prefetch: int) -> None:
    async with FakeWhautoChat(api_key=API_KEY, max_page_size=cap or 100) as fake:
        fake.seed_webhooks(count)
        async with make_client(fake) as api:
            yielded = [w.id async for w in api.webhooks.list(limit=limit, prefetch=prefetch)]
        assert yielded == ids(fake)
        best = math.ceil(count / min(limit, cap or 100))
        assert fake.request_count <= best + 1 + prefetch
        if prefetch == 0:
            assert list_pages(fake) == list(range(1, fake.request_count + 1))
            assert fake.request_count <= best + 1
