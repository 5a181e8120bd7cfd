"""Walking the ``page``/``limit`` pagination of the list endpoint.

:class:`AsyncPaginator` is both awaitable (one :class:`~whautochat_async.models.Page`)
and async-iterable (every webhook from that page on).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from typing import Any

from .models import Page, Webhook

DEFAULT_PAGE_SIZE = 100

FetchPage = Callable[[int, int], Awaitable[Page]]


class AsyncPaginator:
    """``await`` it for one page; ``async for`` it for every webhook from ``page`` on."""

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

    def __repr__(self) -> str:
        return f"<AsyncPaginator page={self.page} limit={self.limit}>"

    def __await__(self) -> Generator[Any, None, Page]:
        return self._fetch_page(self.page, self.limit).__await__()

    async def pages(self) -> AsyncIterator[Page]:
        """Every page from ``page`` on, until an empty or short page."""
        number = self.page
        while True:
            page = await self._fetch_page(number, self.limit)
            if not page.items:
                return
            yield page
            if len(page.items) < self.limit:
                return
            number += 1

    async def __aiter__(self) -> AsyncIterator[Webhook]:
        async for page in self.pages():
            for webhook in page:
                yield webhook
