"""Walking the ``page``/``limit`` pagination of the list endpoint.

:class:`AsyncPaginator` is both awaitable (one :class:`~whautochat_async.models.Page`)
and async-iterable (every webhook from that page on). When to stop and what is new is
decided by :class:`~whautochat_async.pagination._walk.Walk`, without I/O; this module only runs
the fetches, in tasks when pages are prefetched.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from types import TracebackType
from typing import Any, Self

from ..errors import WhautoChatError
from ..models import Page, Webhook
from ._walk import Walk

__all__ = ["DEFAULT_PAGE_SIZE", "AsyncPaginator", "FetchPage"]

#: The ``limit`` sent when the caller gives none.
DEFAULT_PAGE_SIZE = 100

#: ``fetch_page(page, limit)``: one request for one page.
FetchPage = Callable[[int, int], Awaitable[Page]]


class AsyncPaginator:
    """What ``client.webhooks.list()`` returns: one page, or a walk over every page.

    * ``await paginator`` is the :class:`Page` at ``page`` (one request; ``max_items``
      and ``prefetch`` apply to walks only).
    * ``async for webhook in paginator`` yields every webhook from ``page`` on, across
      pages, in server order, each id once, at most ``max_items`` of them.
    * ``async for page in paginator.pages()`` is the same walk a page at a time (a page
      holds only webhooks not yielded before; the last is cut at ``max_items``).

    Without ``limit`` each request asks for :data:`DEFAULT_PAGE_SIZE` (100) webhooks. A
    server that silently caps ``limit`` or ignores ``page`` is handled; a page made only
    of webhooks already yielded raises :class:`~whautochat_async.errors.PaginationError`
    rather than looping. Webhooks created or deleted during the walk never make it yield
    an id twice (unless over 10,000 are created on pages it has read, while it walks);
    one deleted from a page already read can make it miss another, as with any offset
    pagination. :mod:`whautochat_async.pagination._walk` has the stop rule and the details.

    ``prefetch=N`` keeps up to N further pages in flight while the caller handles the
    current one; pages are still yielded in order, and at most N requests are wasted past
    the end. At most ``prefetch + 1`` pages are held at a time, plus the ids of the
    last 10,000 webhooks yielded (under 2 MB), whatever the length of the walk.

    Resuming: an error raised during a walk (after the client's retries) carries
    ``resume_page``, the page the walk was fetching; ``list(page=error.resume_page)``
    carries on from there (ids yielded before the error are not remembered across walks).

    Leaving a walk early (``break``, an exception, cancellation) cancels its in-flight
    fetches once the walk is closed: at once when the task is cancelled, else when the
    event loop finalises the abandoned iterator. For deterministic cleanup use
    ``async with client.webhooks.list(...) as webhooks:`` or ``await webhooks.aclose()``,
    which close every walk started from this paginator.
    """

    def __init__(
        self,
        fetch_page: FetchPage,
        *,
        page: int = 1,
        limit: int | None = None,
        max_items: int | None = None,
        prefetch: int = 0,
    ) -> None:
        self._fetch_page = fetch_page
        self.page = page
        self.limit = limit if limit is not None else DEFAULT_PAGE_SIZE
        self.max_items = max_items
        self.prefetch = prefetch
        # Weak: an abandoned walk must stay collectable, so asyncio finalises it. Inside
        # ``async with`` the walks are also pinned, so __aexit__ closes them itself.
        self._walks: weakref.WeakSet[AsyncGenerator[Any, None]] = weakref.WeakSet()
        self._pinned: list[AsyncGenerator[Any, None]] | None = None

    def __repr__(self) -> str:
        return (
            f"<AsyncPaginator page={self.page} limit={self.limit} "
            f"max_items={self.max_items} prefetch={self.prefetch}>"
        )

    def __await__(self) -> Generator[Any, None, Page]:
        return self._fetch_page(self.page, self.limit).__await__()

    def __aiter__(self) -> AsyncGenerator[Webhook, None]:
        return self._track(self._walk_webhooks())

    def pages(self) -> AsyncGenerator[Page, None]:
        """Every non-empty page of the walk, in order; see the class docstring."""
        return self._track(self._walk_pages())

    async def aclose(self) -> None:
        """Close every walk started from this paginator, cancelling its fetches.

        A walk another task is iterating at this moment is left to that task (closing
        it would raise there); cancel that task to stop it.
        """
        for walk in list(self._walks):
            if not getattr(walk, "ag_running", False):
                await walk.aclose()

    async def __aenter__(self) -> Self:
        if self._pinned is None:
            self._pinned = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.aclose()
        finally:
            self._pinned = None

    def _track(self, walk: AsyncGenerator[Any, None]) -> AsyncGenerator[Any, None]:
        self._walks.add(walk)
        if self._pinned is not None:
            self._pinned.append(walk)
        return walk

    async def _walk_webhooks(self) -> AsyncGenerator[Webhook, None]:
        async with contextlib.aclosing(self._walk_pages()) as pages:
            async for page in pages:
                for webhook in page.items:
                    yield webhook
                del page  # hold no page while the next one is awaited

    async def _walk_pages(self) -> AsyncGenerator[Page, None]:
        walk = Walk(
            start_page=self.page,
            limit=self.limit,
            prefetch=self.prefetch,
            max_items=self.max_items,
        )
        fetches = _Fetches(self._fetch_page, self.limit, eager=self.prefetch > 0)
        try:
            while not walk.finished:
                while (number := walk.request()) is not None:
                    fetches.start(number)
                page = walk.accept(await fetches.next())
                if page is not None:
                    yield page
                del page  # hold no page while the next one is awaited
        finally:
            await fetches.cancel_all()


class _Fetches:
    """The pages asked for and not handed on yet, in page order.

    ``eager`` (prefetching): each page is fetched in a task of its own as soon as it is
    asked for. Otherwise a page is fetched in the walk's own task when it is awaited:
    with nothing in flight alongside, a task would only add overhead.
    """

    def __init__(self, fetch_page: FetchPage, limit: int, *, eager: bool) -> None:
        self._fetch_page = fetch_page
        self._limit = limit
        self._eager = eager
        self._queue: deque[tuple[int, asyncio.Task[Page] | None]] = deque()

    def start(self, number: int) -> None:
        """Ask for page ``number`` (and start fetching it at once when eager)."""
        task = None
        if self._eager:
            task = asyncio.create_task(self._fetch(number), name=f"whautochat-page-{number}")
            task.add_done_callback(_mark_retrieved)
        self._queue.append((number, task))

    async def next(self) -> Page:
        """The oldest page asked for; its error carries ``resume_page``."""
        number, task = self._queue.popleft()
        try:
            return await (task if task is not None else self._fetch(number))
        except WhautoChatError as exc:
            exc.resume_page = number
            raise

    async def cancel_all(self) -> None:
        """Cancel every fetch not handed on yet and wait until they have all ended."""
        tasks = [task for _, task in self._queue if task is not None]
        self._queue.clear()
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _fetch(self, number: int) -> Page:
        return await self._fetch_page(number, self._limit)


def _mark_retrieved(task: asyncio.Task[Page]) -> None:
    # A prefetched page the walk never reached may have failed: reading its exception
    # here keeps asyncio from logging "Task exception was never retrieved".
    if not task.cancelled():
        task.exception()
