"""The webhooks resource: list, create, update, delete (``client.webhooks``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar, Unpack

import attrs
import cattrs

from .. import _protocol as protocol
from .._validation import (
    check_active,
    check_events,
    check_name,
    check_positive_int,
    check_server_url,
    id_of,
)
from ..converters import structure_response
from ..errors import (
    InvalidInputError,
    OperationFailedError,
    ResponseValidationError,
    UnknownOutcomeError,
)
from ..models import DeleteResult, Event, Page, Webhook, WebhookSpec
from ..pagination import AsyncPaginator
from ..sync import SyncOptions, SyncReport, sync_webhooks

T = TypeVar("T")
_WEBHOOK_LIST = list[Webhook]  # named here: the class defines a method called list
Send = Callable[[protocol.Request], Awaitable[protocol.Response]]

_CHECKS: dict[str, Callable[[Any], Any]] = {
    "name": check_name,
    "server_url": check_server_url,
    "active": check_active,
}


class Webhooks:
    """Create, list, update and delete webhooks."""

    def __init__(self, send: Send, converter: cattrs.Converter) -> None:
        self._send = send
        self._converter = converter

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
        if type(prefetch) is not int or prefetch < 0:
            raise InvalidInputError(f"prefetch must be an integer >= 0, got {prefetch!r}")
        return AsyncPaginator(
            self._fetch_page,
            page=page,
            limit=limit,
            max_items=max_items,
            prefetch=prefetch,
        )

    async def _fetch_page(self, page: int, limit: int) -> Page:
        response = await self._send(protocol.list_request(page=page, limit=limit))
        items = self._structure(response, _WEBHOOK_LIST)
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
        spec = WebhookSpec(
            name=check_name(name),
            server_url=check_server_url(server_url),
            events=check_events(events),
            active=check_active(active),
        )
        body = self._converter.unstructure(spec)
        response = await self._send(protocol.create_request(body))
        try:
            return self._structure(response, Webhook)
        except ResponseValidationError as exc:
            # The server said 2xx, so it probably created it; without the body the caller
            # cannot know its id, and creating again could make a duplicate.
            raise UnknownOutcomeError(
                f"POST /{protocol.WEBHOOKS_PATH}: the server answered {response.status} but "
                "its body could not be read, so the webhook may or may not have been "
                "created: list the webhooks before creating it again.",
                method="POST",
                url=response.url,
            ) from exc

    async def update(self, webhook: Webhook, **changes: Any) -> Webhook:
        """PUT ``webhook`` with ``changes`` applied; fields unknown to the client are kept."""
        if not isinstance(webhook, Webhook):
            raise InvalidInputError(
                f"update() takes the Webhook to change, got {type(webhook).__name__}"
            )
        webhook_id = id_of(webhook)
        changed = attrs.evolve(webhook, **_checked_changes(webhook, changes))
        body = self._converter.unstructure(changed)
        response = await self._send(protocol.update_request(webhook_id, body))
        return self._structure(response, Webhook)

    async def delete(self, webhook_or_id: Webhook | str) -> DeleteResult:
        """Delete a webhook by object or id; a ``{"success": false}`` answer raises."""
        webhook_id = id_of(webhook_or_id)
        response = await self._send(protocol.delete_request(webhook_id))
        result = self._structure(response, DeleteResult)
        if result.success is not True:
            raise OperationFailedError(
                f"DELETE /{protocol.webhook_path(webhook_id)}: the server answered "
                f"{response.status} but reported success={result.success!r}"
            )
        return result

    async def sync(
        self, desired: Iterable[WebhookSpec], **options: Unpack[SyncOptions]
    ) -> SyncReport:
        """Make the webhooks match ``desired``: list once, plan, write what differs.

        Options and errors: see :func:`whautochat_async.sync.sync_webhooks`.
        """
        return await sync_webhooks(self, desired, **options)

    def _structure(self, response: protocol.Response, kind: type[T]) -> T:
        data = protocol.decode_json(response)
        return structure_response(self._converter, data, kind, response.body)


def _checked_changes(webhook: Webhook, changes: dict[str, Any]) -> dict[str, Any]:
    writable = ("name", "server_url", "events", "active")
    unknown = sorted(set(changes) - set(writable))
    if unknown:
        raise InvalidInputError(
            f"cannot update {', '.join(unknown)}: writable fields are {', '.join(writable)}"
        )
    checked = {key: _CHECKS[key](value) for key, value in changes.items() if key in _CHECKS}
    if "events" in changes:
        # Names the server already holds pass even if this release does not know them.
        known_here = [e for e in webhook.events if type(e) is str]
        checked["events"] = check_events(changes["events"], allowed_unknown=known_here)
    return checked
