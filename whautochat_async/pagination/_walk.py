"""One pagination walk's state, without I/O: which page to ask for, when to stop, what is new.

The list endpoint answers with a bare array (no total, no next link) and may silently cap
``limit``, so the end is inferred from page lengths, repeats (webhooks created during the
walk push others onto the next page) are dropped by id, and a page of nothing but repeats
raises :class:`PaginationError` rather than looping.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from ..errors import PaginationError
from ..models import Page, Webhook

__all__ = ["REMEMBERED_IDS", "Walk"]

#: How many yielded ids a walk remembers to drop repeats (its last two pages, if more).
#: Past it the oldest pages are forgotten: memory stays under 2 MB (about 115 bytes an id)
#: on walks of any length, where an exact set would take ~11.5 MB for 100,000 webhooks. A
#: forgotten id comes back only if more than ``REMEMBERED_IDS - page_size`` webhooks were
#: created ahead of it between the walk reading it and reaching it again.
REMEMBERED_IDS = 10_000


class Walk:
    """Decides the pages of one walk from ``start_page`` on; see the module docstring.

    The driver calls :meth:`request` until it returns ``None`` (each number is a page to
    ask for), then hands the pages back to :meth:`accept` in page order.
    """

    def __init__(
        self,
        *,
        start_page: int,
        limit: int,
        prefetch: int = 0,
        max_items: int | None = None,
        remember: int | None = REMEMBERED_IDS,
    ) -> None:
        self.limit = limit
        self.prefetch = prefetch
        self.max_items = max_items
        #: The server's page size once proven, else None.
        self.page_size: int | None = None
        #: Whether the walk needs no more pages.
        self.finished = False
        #: How many webhooks :meth:`accept` has passed on so far.
        self.emitted = 0
        self._short_page: int | None = None  # length of a short page, size still unknown
        self._remember = remember  # None: every id, for the whole walk
        self._seen: set[str] = set()
        self._seen_by_page: deque[list[str]] = deque()
        self._next_request = start_page
        self._next_accept = start_page

    def __repr__(self) -> str:
        return (
            f"<Walk next_page={self.next_page} ahead={self.ahead} "
            f"page_size={self.page_size} finished={self.finished}>"
        )

    @property
    def next_page(self) -> int:
        """The page the walk needs next: where a new walk would resume."""
        return self._next_accept

    @property
    def ahead(self) -> int:
        """How many pages were asked for and not accepted yet."""
        return self._next_request - self._next_accept

    @property
    def remembered(self) -> int:
        """How many yielded ids the walk remembers now."""
        return len(self._seen)

    def request(self) -> int | None:
        """The number of a page to ask for now, or None when no more should be in flight."""
        if not self._may_request():
            return None
        number = self._next_request
        self._next_request += 1
        return number

    def accept(self, page: Page) -> Page | None:
        """Take the next page in order; return what to yield of it (None: nothing).

        The returned page holds only webhooks not yielded before, cut at ``max_items``.

        Raises:
            PaginationError: every webhook on the page was yielded already.
        """
        if self.ahead <= 0:
            raise RuntimeError("accept() called for a page that was never requested")
        number = self._next_accept
        self._next_accept += 1
        if not page.items:
            self.finished = True
            return None
        fresh = self._unseen(page.items)
        if not fresh:
            self.finished = True
            raise _all_seen_error(number)
        self._learn_page_size(len(page.items))
        fresh = self._within_max_items(fresh)
        if len(fresh) == len(page.items):
            return page
        return Page(items=fresh, page=page.page, limit=page.limit)

    def _may_request(self) -> bool:
        if self.finished:
            return False
        ahead = self.ahead
        if ahead == 0:
            return True
        if ahead > self.prefetch or self._short_page is not None:
            return False
        if self.max_items is None:
            return True
        # Pages hold at most page_size (or, before that is known, the requested limit)
        # webhooks: never ask for a page max_items cannot need.
        per_page = self.page_size or self.limit
        return self.emitted + ahead * per_page < self.max_items

    def _unseen(self, items: Sequence[Webhook]) -> list[Webhook]:
        seen = self._seen
        ids = [webhook.id for webhook in items]
        known = len(seen)
        if seen.isdisjoint(ids):  # the usual page: nothing seen before, in C
            seen.update(ids)
            if len(seen) - known == len(ids):  # and no id twice on the page itself
                self._remember_page(ids)
                return list(items)
            seen.difference_update(ids)
        fresh = []
        for webhook in items:
            if webhook.id not in seen:
                seen.add(webhook.id)
                fresh.append(webhook)
        self._remember_page([webhook.id for webhook in fresh])
        return fresh

    def _remember_page(self, ids: list[str]) -> None:
        self._seen_by_page.append(ids)
        self._forget_oldest()

    def _forget_oldest(self) -> None:
        # The last two pages stay: a server ignoring ``page`` must always be caught.
        if self._remember is None:
            return
        while len(self._seen) > self._remember and len(self._seen_by_page) > 2:
            self._seen.difference_update(self._seen_by_page.popleft())

    def _learn_page_size(self, length: int) -> None:
        # A page of at least ``limit`` proves the server's page size. A shorter one while
        # the size is unknown may be a cap, not the end: the next page is asked for alone,
        # and if it is not empty the short page was full. Once the size is known, a shorter
        # page is the last. So a walk costs at most one request past its last non-empty
        # page, and page p holds items [(p-1)*size, p*size): pages can be prefetched.
        size = self.page_size
        if size is None:
            if self._short_page is not None:
                # The page after a short page is not empty: the short page was full.
                size, self._short_page = max(self._short_page, length), None
            elif length >= self.limit:
                size = length
            else:
                self._short_page = length  # a cap or the last page: the next page tells
                return
        # A page longer than the size seen so far: the server changed; never stop early.
        self.page_size = max(size, length)
        if length < size:
            self.finished = True

    def _within_max_items(self, fresh: list[Webhook]) -> list[Webhook]:
        if self.max_items is not None and len(fresh) >= self.max_items - self.emitted:
            fresh = fresh[: self.max_items - self.emitted]
            self.finished = True
        self.emitted += len(fresh)
        return fresh


def _all_seen_error(number: int) -> PaginationError:
    # The server (or a proxy) ignores ``page``, or a page's worth of webhooks was created
    # ahead of the walk between two requests: one page cannot tell, and going on could
    # loop forever in the first case.
    error = PaginationError(
        f"page {number} held only webhooks already yielded by this walk: the server "
        "(or a proxy) seems to ignore the page parameter, or a full page of webhooks was "
        "created on pages already read meanwhile; stopping rather than looping"
    )
    error.resume_page = number
    return error
