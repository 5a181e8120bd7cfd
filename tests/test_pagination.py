"""AsyncPaginator over an in-memory fetch_page: ordering, prefetch, errors and cleanup."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator

import pytest

from whautochat_async import (
    AsyncPaginator,
    InternalServerError,
    Page,
    PaginationError,
    Webhook,
)
from whautochat_async._http.protocol import Response
from whautochat_async.pagination import DEFAULT_PAGE_SIZE


def hook(webhook_id: str) -> Webhook:
    return Webhook(
        id=webhook_id, name="n", server_url="https://h.example/x", active=True, events=()
    )


def boom(page: int) -> InternalServerError:
    answer = Response(method="GET", url="u", status=500, headers={}, body=b"")
    return InternalServerError(f"page {page} failed", response=answer)


class MemoryFetch:
    """fetch_page over ids in memory that records calls, concurrency and cancellations.

    A page can be held until its gate opens, fail, or take ``turns`` loop iterations.
    """

    def __init__(self, n: int, *, turns: dict[int, int] | None = None) -> None:
        self.ids = [f"wh_{i:04d}" for i in range(n)]
        self.calls: list[tuple[int, int]] = []
        self.cancelled: list[int] = []
        self.failures: dict[int, BaseException] = {}
        self.gates: dict[int, asyncio.Event] = {}
        self.held: list[int] = []
        self._held_changed = asyncio.Event()
        self.turns = turns or {}
        self.active = self.max_active = 0

    async def __call__(self, page: int, limit: int) -> Page:
        self.calls.append((page, limit))
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            for _ in range(self.turns.get(page, 1)):
                await asyncio.sleep(0)
            if page in self.gates:
                self.held.append(page)
                self._held_changed.set()
                await self.gates[page].wait()
            if page in self.failures:
                raise self.failures[page]
            items = [hook(i) for i in self.ids[(page - 1) * limit : page * limit]]
            return Page(items=items, page=page, limit=limit)
        except asyncio.CancelledError:
            self.cancelled.append(page)
            raise
        finally:
            self.active -= 1

    def hold_from(self, page: int) -> None:
        for number in range(page, page + 20):
            self.gates[number] = asyncio.Event()

    async def until_held(self, count: int) -> None:
        """Wait until ``count`` fetches are waiting at their gates."""
        while len(self.held) < count:
            self._held_changed.clear()
            await self._held_changed.wait()

    @property
    def pages(self) -> list[int]:
        return [page for page, _ in self.calls]


async def collect(walk: AsyncIterator[Webhook], into: list[str]) -> None:
    """Append every id the walk yields to ``into``, which keeps them if the walk raises."""
    async for webhook in walk:
        into.append(webhook.id)


async def settle(baseline: set[asyncio.Task[object]]) -> set[asyncio.Task[object]]:
    """Let finalisers and cancellations run; return the tasks left beyond ``baseline``."""
    for _ in range(50):
        if asyncio.all_tasks() <= baseline:
            break
        await asyncio.sleep(0)
    return asyncio.all_tasks() - baseline


async def test_await_gives_one_page_with_the_default_limit() -> None:
    fetch = MemoryFetch(250)
    page = await AsyncPaginator(fetch, page=2)
    assert (page.page, page.limit, len(page)) == (2, DEFAULT_PAGE_SIZE, 100)
    assert fetch.calls == [(2, 100)]


async def test_async_for_yields_every_webhook_in_order() -> None:
    fetch = MemoryFetch(250)
    assert [w.id async for w in AsyncPaginator(fetch)] == fetch.ids
    assert fetch.calls == [(1, 100), (2, 100), (3, 100)]


async def test_pages_yields_non_empty_pages_with_their_numbers() -> None:
    fetch = MemoryFetch(25)
    pages = [page async for page in AsyncPaginator(fetch, limit=10).pages()]
    assert [(p.page, len(p)) for p in pages] == [(1, 10), (2, 10), (3, 5)]


async def test_pages_hold_only_webhooks_not_yielded_before() -> None:
    fetch = MemoryFetch(20)
    fetch.ids.insert(10, "wh_0009")  # page 2 repeats the last webhook of page 1
    pages = [page async for page in AsyncPaginator(fetch, limit=10).pages()]
    assert [len(p) for p in pages] == [10, 9, 1]
    assert [w.id for p in pages for w in p] == [f"wh_{i:04d}" for i in range(20)]


async def test_prefetch_runs_pages_concurrently_and_still_yields_in_order() -> None:
    # Later pages finish first: page p takes 12 - p loop turns.
    fetch = MemoryFetch(100, turns={p: 12 - p for p in range(1, 12)})
    paginator = AsyncPaginator(fetch, limit=10, prefetch=3)
    assert [w.id async for w in paginator] == fetch.ids
    assert fetch.max_active == 4
    # Page 11 is the empty end; of 12-14, those started before the end are the waste.
    assert fetch.pages[:11] == list(range(1, 12))
    assert len(fetch.pages) <= 14


async def test_prefetch_keeps_n_pages_in_flight_while_the_caller_works() -> None:
    fetch = MemoryFetch(100)
    async for page in AsyncPaginator(fetch, limit=10, prefetch=2).pages():
        if page.page == 1:
            await asyncio.sleep(0)
            assert fetch.pages == [1, 2, 3]
        break


async def test_error_mid_walk_carries_resume_page_and_list_resumes_there() -> None:
    fetch = MemoryFetch(50)
    fetch.failures[3] = boom(3)
    yielded: list[str] = []
    with pytest.raises(InternalServerError) as caught:
        await collect(aiter(AsyncPaginator(fetch, limit=10)), yielded)
    assert caught.value.resume_page == 3
    del fetch.failures[3]
    yielded += [w.id async for w in AsyncPaginator(fetch, limit=10, page=3)]
    assert yielded == fetch.ids


async def test_prefetch_with_a_failure_in_the_middle() -> None:
    fetch = MemoryFetch(100, turns={3: 5})
    fetch.failures[3] = boom(3)
    baseline = asyncio.all_tasks()
    yielded: list[str] = []
    with pytest.raises(InternalServerError) as caught:
        await collect(aiter(AsyncPaginator(fetch, limit=10, prefetch=3)), yielded)
    assert yielded == fetch.ids[:20]
    assert caught.value.resume_page == 3
    assert await settle(baseline) == set()
    assert fetch.active == 0


async def test_a_failed_prefetch_past_the_end_is_neither_raised_nor_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fetch = MemoryFetch(15, turns={2: 5})
    fetch.failures[4] = boom(4)
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        assert [w.id async for w in AsyncPaginator(fetch, limit=10, prefetch=3)] == fetch.ids
        gc.collect()
    assert 4 in fetch.pages
    assert "never retrieved" not in caplog.text


async def test_ignored_page_raises_pagination_error_with_resume_page() -> None:
    fetch = MemoryFetch(30)

    async def ignores_page(page: int, limit: int) -> Page:
        return await fetch(1, limit)

    with pytest.raises(PaginationError) as caught:
        [w async for w in AsyncPaginator(ignores_page, limit=10, prefetch=2)]
    assert caught.value.resume_page == 2


async def test_max_items_fetches_only_the_pages_it_needs() -> None:
    fetch = MemoryFetch(1000)
    paginator = AsyncPaginator(fetch, limit=10, max_items=25, prefetch=5)
    assert [w.id async for w in paginator] == fetch.ids[:25]
    assert fetch.pages == [1, 2, 3]


async def test_async_with_closes_a_walk_left_by_break_at_once() -> None:
    fetch = MemoryFetch(100)
    fetch.hold_from(2)
    baseline = asyncio.all_tasks()
    async with AsyncPaginator(fetch, limit=10, prefetch=3) as webhooks:
        async for _ in webhooks:
            break
    assert asyncio.all_tasks() == baseline
    assert sorted(fetch.cancelled) == [2, 3, 4]


async def test_break_without_aclose_is_cleaned_up_by_the_loop() -> None:
    fetch = MemoryFetch(100)
    fetch.hold_from(2)
    baseline = asyncio.all_tasks()
    async for _ in AsyncPaginator(fetch, limit=10, prefetch=3):
        break
    assert await settle(baseline) == set()
    assert sorted(fetch.cancelled) == [2, 3, 4]


async def test_exception_in_the_loop_body_cancels_the_fetches() -> None:
    fetch = MemoryFetch(100)
    fetch.hold_from(2)
    baseline = asyncio.all_tasks()

    async def buggy_caller() -> None:
        async for _ in AsyncPaginator(fetch, limit=10, prefetch=2).pages():
            raise KeyError("caller bug")

    with pytest.raises(KeyError):
        await buggy_caller()
    assert await settle(baseline) == set()
    assert sorted(fetch.cancelled) == [2, 3]


async def test_cancelling_the_walking_task_cancels_the_fetches() -> None:
    fetch = MemoryFetch(100)
    fetch.hold_from(3)
    baseline = asyncio.all_tasks()
    seen: list[str] = []

    async def consume() -> None:
        async for webhook in AsyncPaginator(fetch, limit=10, prefetch=2):
            seen.append(webhook.id)

    task = asyncio.create_task(consume())
    await fetch.until_held(3)  # pages 1-2 were yielded, 3-5 wait at their gates
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == fetch.ids[:20]
    assert sorted(fetch.cancelled) == [3, 4, 5]
    assert await settle(baseline) == set()


async def test_aclose_closes_every_walk_and_the_paginator_can_walk_again() -> None:
    fetch = MemoryFetch(30)
    paginator = AsyncPaginator(fetch, limit=10, prefetch=1)
    first, second = aiter(paginator), paginator.pages()
    assert (await anext(first)).id == "wh_0000"
    assert (await anext(second)).page == 1
    await paginator.aclose()
    with pytest.raises(StopAsyncIteration):
        await anext(first)
    assert [w.id async for w in paginator] == fetch.ids
    await paginator.aclose()


async def test_aclose_leaves_a_walk_running_in_another_task_to_that_task() -> None:
    fetch = MemoryFetch(30)
    fetch.hold_from(1)
    paginator = AsyncPaginator(fetch, limit=10)
    walker = asyncio.create_task(collect(aiter(paginator), []))
    await fetch.until_held(1)
    await paginator.aclose()  # the walk is mid-await in walker: not closed from here
    assert not walker.done()
    walker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await walker
    assert fetch.cancelled == [1]


async def test_an_unexpected_exception_is_left_untouched() -> None:
    fetch = MemoryFetch(30)
    fetch.failures[1] = ValueError("bug")
    with pytest.raises(ValueError, match="bug") as caught:
        [w async for w in AsyncPaginator(fetch)]
    assert not hasattr(caught.value, "resume_page")


def test_repr_names_the_options() -> None:
    paginator = AsyncPaginator(MemoryFetch(0), page=3, limit=5, max_items=7, prefetch=2)
    assert repr(paginator) == "<AsyncPaginator page=3 limit=5 max_items=7 prefetch=2>"


async def test_without_prefetch_pages_are_fetched_in_the_walking_task() -> None:
    fetch = MemoryFetch(25)
    walker = asyncio.current_task()
    seen_tasks: set[asyncio.Task[object] | None] = set()

    async def fetch_page(page: int, limit: int) -> Page:
        seen_tasks.add(asyncio.current_task())
        return await fetch(page, limit)

    ids = [w.id async for w in AsyncPaginator(fetch_page, limit=10)]
    assert ids == fetch.ids
    assert seen_tasks == {walker}  # no task per page when nothing is prefetched
