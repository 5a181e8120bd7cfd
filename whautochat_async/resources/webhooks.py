"""The webhooks resource: list, create, update, delete (``client.webhooks``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Unpack

import attrs

from .._http import protocol
from .._validation import (
    check_active,
    check_events,
    check_int,
    check_kept_events,
    check_name,
    check_positive_int,
    check_server_url,
    id_of,
)
from ..errors import InvalidInputError, OperationFailedError
from ..models import DeleteResult, Event, Page, Webhook, WebhookChanges, WebhookSpec
from ..pagination import AsyncPaginator
from ..sync import SyncOptions, SyncReport, sync_webhooks
from ._resource import Resource

_WEBHOOK_LIST = list[Webhook]  # named here: the class defines a method called list

_WRITABLE = tuple(WebhookChanges.__annotations__)  # name, server_url, events, active
_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": check_name,
    "server_url": check_server_url,
    "active": check_active,
}


class Webhooks(Resource):
    """Create, list, update and delete webhooks."""

    def list(
        self,
        *,
        page: int = 1,
        limit: int | None = None,
        max_items: int | None = None,
        prefetch: int = 0,
    ) -> AsyncPaginator:
        """``await`` for the Page at ``page``; ``async for`` for every webhook from it on.

        Without ``limit`` the client asks for 100 webhooks a page.
        """
        check_positive_int("page", page)
        check_positive_int("limit", limit, allow_none=True)
        check_positive_int("max_items", max_items, allow_none=True)
        check_int("prefetch", prefetch, minimum=0)
        return AsyncPaginator(
            self._fetch_page,
            page=page,
            limit=limit,
            max_items=max_items,
            prefetch=prefetch,
        )

    async def _fetch_page(self, page: int, limit: int) -> Page:
        items = await self._call(protocol.list_request(page=page, limit=limit), _WEBHOOK_LIST)
        return Page(items=items, page=page, limit=limit)

    async def create(
        self,
        *,
        name: str,
        server_url: str,
        events: Sequence[Event],
        active: bool = True,
    ) -> Webhook:
        """Create a webhook; the server assigns its id and timestamps.

        Raises:
            UnknownOutcomeError: the request failed after it may have reached the
                server, or a 2xx answer could not be read; it is not retried, so list
                before creating again.
        """
        spec = WebhookSpec(name=name, server_url=server_url, events=events, active=active)
        # The spec has checked every field; a create adds one rule: only names this release
        # knows (an unknown name may only be kept on a webhook that has it, see update()).
        check_events(spec.events)
        body = self._converter.unstructure(spec)
        return await self._call(protocol.create_request(body), Webhook)

    async def update(self, webhook: Webhook, **changes: Unpack[WebhookChanges]) -> Webhook:
        """PUT ``webhook`` with ``changes`` applied; fields unknown to the client are kept."""
        if not isinstance(webhook, Webhook):
            raise InvalidInputError(
                f"update() takes the Webhook to change, got {type(webhook).__name__}"
            )
        webhook_id = id_of(webhook)
        changed = attrs.evolve(webhook, **_checked_changes(webhook, dict(changes)))
        body = self._converter.unstructure(changed)
        return await self._call(protocol.update_request(webhook_id, body), Webhook)

    async def delete(self, webhook_or_id: Webhook | str) -> DeleteResult:
        """Delete a webhook by object or id; 204 is success, ``{"success": false}`` raises."""
        request = protocol.delete_request(id_of(webhook_or_id))
        result = await self._call(request, DeleteResult)
        if result.success is not True:
            raise OperationFailedError(
                f"{request.label}: the server answered 2xx but reported success={result.success!r}"
            )
        return result

    async def sync(
        self, desired: Iterable[WebhookSpec], **options: Unpack[SyncOptions]
    ) -> SyncReport:
        """Make the webhooks match ``desired``: list once, plan, write what differs.

        Options and errors: see :func:`whautochat_async.sync.sync_webhooks`.
        """
        return await sync_webhooks(self, desired, **options)


def _checked_changes(webhook: Webhook, changes: dict[str, Any]) -> dict[str, Any]:
    # Checked at run time too: a caller without a type checker can pass any keyword.
    unknown = sorted(set(changes) - set(_WRITABLE))
    if unknown:
        raise InvalidInputError(
            f"cannot update {', '.join(unknown)}: writable fields are {', '.join(_WRITABLE)}"
        )
    checked = {key: _CHECKS[key](value) for key, value in changes.items() if key in _CHECKS}
    if "events" in changes:
        checked["events"] = check_kept_events(changes["events"], webhook.events)
    return checked
