"""The walk state on its own: stop rule, dedupe, prefetch and max_items budgets, no I/O."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from whautochat_async import Page, PaginationError, Webhook
from whautochat_async.pagination._walk import Walk


def hook(webhook_id: str) -> Webhook:
    return Webhook(
        id=webhook_id, name="n", server_url="https://h.example/x", active=True, events=()
    )


class ListServer:
    """The list endpoint in memory: ids in order, an optional cap, maybe ignoring page."""

    def __init__(self, n: int, *, cap: int | None = None, ignore_page: bool = False) -> None:
        self.ids = [f"wh_{i:04d}" for i in range(n)]
        self.cap = cap
        self.ignore_page = ignore_page
        self.requested: list[int] = []
        self.between: Callable[[ListServer], None] = lambda server: None

    def page(self, number: int, limit: int) -> Page:
        self.between(self)
        self.requested.append(number)
        size = min(limit, self.cap or limit)
        start = (1 if self.ignore_page else number) - 1
        items = [hook(i) for i in self.ids[start * size : (start + 1) * size]]
        return Page(items=items, page=number, limit=limit)


def drive(walk: Walk, server: ListServer) -> list[str]:
    """Run the walk as the paginator does; pages are served when requested."""
    in_flight: deque[Page] = deque()
    yielded: list[str] = []
    while not walk.finished:
        while (number := walk.request()) is not None:
            in_flight.append(server.page(number, walk.limit))
        page = walk.accept(in_flight.popleft())
        yielded += [] if page is None else [w.id for w in page]
    return yielded


def walk_of(server: ListServer, *, limit: int, page: int = 1, **options: int | None) -> list[str]:
    return drive(Walk(start_page=page, limit=limit, **options), server)  # type: ignore[arg-type]


def test_empty_list_costs_one_request() -> None:
    server = ListServer(0)
    assert walk_of(server, limit=100) == []
    assert server.requested == [1]


def test_one_item_short_page_is_probed_once() -> None:
    server = ListServer(1)
    assert walk_of(server, limit=100) == ["wh_0000"]
    assert server.requested == [1, 2]


def test_exactly_full_last_page_ends_on_the_empty_page_after_it() -> None:
    server = ListServer(20)
    assert walk_of(server, limit=10) == server.ids
    assert server.requested == [1, 2, 3]


def test_short_last_page_after_a_full_one_ends_at_once() -> None:
    server = ListServer(15)
    assert walk_of(server, limit=10) == server.ids
    assert server.requested == [1, 2]


def test_limit_one() -> None:
    server = ListServer(3)
    assert walk_of(server, limit=1) == server.ids
    assert server.requested == [1, 2, 3, 4]


def test_silent_cap_is_learnt_from_the_page_after_the_short_one() -> None:
    server = ListServer(100, cap=37)
    walk = Walk(start_page=1, limit=100)
    assert drive(walk, server) == server.ids
    assert walk.page_size == 37
    assert server.requested == [1, 2, 3]


def test_silent_cap_with_a_full_last_page() -> None:
    server = ListServer(74, cap=37)
    assert walk_of(server, limit=100) == server.ids
    assert server.requested == [1, 2, 3]


def test_walk_from_a_later_page_under_a_cap() -> None:
    server = ListServer(100, cap=37)
    assert walk_of(server, limit=100, page=2) == server.ids[37:]
    assert server.requested == [2, 3]


def test_server_ignoring_page_raises_on_the_first_repeated_page() -> None:
    server = ListServer(30, ignore_page=True)
    walk = Walk(start_page=1, limit=10)
    with pytest.raises(PaginationError, match="page 2") as caught:
        drive(walk, server)
    assert caught.value.resume_page == 2
    assert server.requested == [1, 2]
    assert walk.finished


def test_server_ignoring_page_with_one_short_page_still_raises() -> None:
    # Page 1 may be a capped page: only page 2 can tell, and it repeats page 1.
    server = ListServer(5, ignore_page=True)
    with pytest.raises(PaginationError):
        walk_of(server, limit=10)
    assert server.requested == [1, 2]


def test_webhooks_created_on_pages_already_read_are_not_yielded_twice() -> None:
    server = ListServer(30)

    def insert_at_front(server: ListServer) -> None:
        server.ids.insert(0, f"new_{len(server.requested)}")

    server.between = insert_at_front
    yielded = walk_of(server, limit=10)
    assert len(yielded) == len(set(yielded))
    assert [i for i in yielded if i.startswith("wh_")] == [f"wh_{i:04d}" for i in range(30)]


def test_a_full_page_created_on_read_pages_looks_like_an_ignored_page() -> None:
    server = ListServer(30)

    def insert_a_page(server: ListServer) -> None:
        if len(server.requested) == 1:
            server.ids[:0] = [f"new_{i}" for i in range(10)]

    server.between = insert_a_page
    with pytest.raises(PaginationError) as caught:
        walk_of(server, limit=10)
    assert caught.value.resume_page == 2


def test_duplicates_within_one_page_are_dropped() -> None:
    walk = Walk(start_page=1, limit=3)
    assert walk.request() == 1
    page = walk.accept(Page(items=[hook("a"), hook("a"), hook("b")], page=1, limit=3))
    assert page is not None
    assert [w.id for w in page] == ["a", "b"]
    assert (walk.page_size, walk.finished) == (3, False)


def test_memory_stays_flat_past_the_remembered_ids() -> None:
    server = ListServer(200)
    walk = Walk(start_page=1, limit=10, remember=25)
    in_flight: deque[Page] = deque()
    yielded, most = [], 0
    while not walk.finished:
        while (number := walk.request()) is not None:
            in_flight.append(server.page(number, walk.limit))
        page = walk.accept(in_flight.popleft())
        yielded += [] if page is None else [w.id for w in page]
        most = max(most, walk.remembered)
    assert yielded == server.ids
    assert most == 20  # whole pages are forgotten once past 25: two pages of 10 remain


def test_the_last_two_pages_are_always_remembered() -> None:
    server = ListServer(30, ignore_page=True)
    with pytest.raises(PaginationError):
        walk_of(server, limit=10, remember=1)


def test_exact_mode_remembers_every_id() -> None:
    server = ListServer(50)
    walk = Walk(start_page=1, limit=10, remember=None)
    assert drive(walk, server) == server.ids
    assert walk.remembered == 50


@pytest.mark.parametrize(
    ("created", "remember", "outcome"),
    [
        (10, 20, "raises"),  # within the remembered ids: a page of repeats is reported
        (25, 20, "repeats"),  # more than remember - page size: the documented limit
        (25, None, "raises"),  # remembering every id catches it
    ],
)
def test_only_a_shift_past_the_remembered_ids_can_repeat_one(
    created: int, remember: int | None, outcome: str
) -> None:
    server = ListServer(100)

    def create_before(server: ListServer) -> None:
        if len(server.requested) == 5:
            server.ids[:0] = [f"new_{i}" for i in range(created)]

    server.between = create_before
    if outcome == "raises":
        with pytest.raises(PaginationError):
            walk_of(server, limit=10, remember=remember)
    else:
        yielded = walk_of(server, limit=10, remember=remember)
        assert len(yielded) > len(set(yielded))


def test_max_items_cuts_the_page_and_stops() -> None:
    server = ListServer(50)
    walk = Walk(start_page=1, limit=100, max_items=5)
    assert drive(walk, server) == server.ids[:5]
    assert server.requested == [1]
    assert walk.request() is None


def test_max_items_never_asks_for_an_unneeded_page_even_with_prefetch() -> None:
    server = ListServer(500)
    assert walk_of(server, limit=10, max_items=25, prefetch=8) == server.ids[:25]
    assert server.requested == [1, 2, 3]


def test_prefetch_keeps_that_many_pages_ahead() -> None:
    walk = Walk(start_page=4, limit=10, prefetch=2)
    assert [walk.request() for _ in range(4)] == [4, 5, 6, None]
    assert walk.ahead == 3
    walk.accept(Page(items=[hook(str(i)) for i in range(10)], page=4, limit=10))
    assert [walk.request(), walk.request()] == [7, None]
    assert walk.next_page == 5


def test_nothing_is_prefetched_past_a_short_page_of_unknown_size() -> None:
    walk = Walk(start_page=1, limit=10, prefetch=3)
    assert walk.request() == 1
    walk.accept(Page(items=[hook("a")], page=1, limit=10))
    assert [walk.request(), walk.request()] == [2, None]


def test_a_page_longer_than_the_known_size_never_ends_the_walk_early() -> None:
    walk = Walk(start_page=1, limit=2)
    for number, ids in [(1, "ab"), (2, "cde"), (3, "fg")]:
        assert walk.request() == number
        walk.accept(Page(items=[hook(i) for i in ids], page=number, limit=2))
    assert (walk.page_size, walk.finished) == (3, True)


def test_accepting_a_page_never_requested_is_a_bug() -> None:
    walk = Walk(start_page=1, limit=2)
    with pytest.raises(RuntimeError):
        walk.accept(Page(items=[], page=1, limit=2))
    assert "next_page=1" in repr(walk)


def optimum(n: int, page: int, size: int, max_items: int | None) -> int:
    wanted = max(0, n - (page - 1) * size)
    if max_items is not None:
        wanted = min(wanted, max_items)
    return math.ceil(wanted / size)


@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(0, 120),
    limit=st.integers(1, 30),
    cap=st.none() | st.integers(1, 30),
    prefetch=st.integers(0, 4),
    max_items=st.none() | st.integers(1, 130),
    page=st.integers(1, 4),
)
def test_any_server_is_walked_exactly_and_economically(
    n: int, limit: int, cap: int | None, prefetch: int, max_items: int | None, page: int
) -> None:
    server = ListServer(n, cap=cap)
    size = min(limit, cap or limit)
    yielded = walk_of(server, limit=limit, page=page, prefetch=prefetch, max_items=max_items)
    assert yielded == server.ids[(page - 1) * size :][:max_items]
    best = optimum(n, page, size, max_items)
    assert len(server.requested) <= best + 1 + prefetch
    assert server.requested == list(range(page, page + len(server.requested)))
    if prefetch == 0:
        assert len(server.requested) <= best + 1
    if max_items is not None and max_items <= n - (page - 1) * size:
        assert len(server.requested) == best


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(0, 60),
    limit=st.integers(1, 12),
    prefetch=st.integers(0, 3),
    changes=st.lists(st.tuples(st.booleans(), st.integers(0, 80)), max_size=30),
)
def test_shifting_items_are_never_yielded_twice(
    n: int, limit: int, prefetch: int, changes: list[tuple[bool, int]]
) -> None:
    server = ListServer(n)
    pending = deque(changes)

    def change(server: ListServer) -> None:
        if pending:
            insert, at = pending.popleft()
            if insert:
                server.ids.insert(min(at, len(server.ids)), f"new_{len(pending)}")
            elif server.ids:
                del server.ids[at % len(server.ids)]

    server.between = change
    try:
        yielded = walk_of(server, limit=limit, prefetch=prefetch)
    except PaginationError:
        return  # a page of only seen ids: reported, never looped on
    assert len(yielded) == len(set(yielded))
    if not any(insert is False for insert, _ in changes):
        # Only creations: every original webhook is still yielded, in order.
        assert [i for i in yielded if i.startswith("wh_")] == [f"wh_{i:04d}" for i in range(n)]
