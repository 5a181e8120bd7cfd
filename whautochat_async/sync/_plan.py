"""Planning a sync: desired specs + current webhooks -> one outcome per webhook. No I/O.

Specs match webhooks by key, and the plan never guesses: a key held by two server
webhooks a spec would match is a SyncError. Events compare as a set (order and repeats
mean nothing to the API). Outcomes keep the desired order, then the deletes.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

import attrs

from .._validation import check_kept_events
from ..errors import InvalidInputError, SyncError
from ..models import Event, Webhook, WebhookSpec
from ._checks import KeyFunction, SyncKey, check_specs, key_function

__all__ = ["SyncAction", "SyncOutcome", "differences", "plan_checked", "plan_sync"]


class SyncAction(enum.StrEnum):
    """What a sync does (or would do) to one webhook."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class SyncOutcome:
    """One webhook's part in a sync: what was planned and, once applied, what came of it.

    ``spec`` is the desired spec (None for a delete), ``current`` the server's webhook
    before the sync (None for a create), ``changes`` the fields an update sets.
    ``result`` is the webhook the server returned (create and update); ``error`` the
    exception that made this item fail.
    """

    action: SyncAction
    key: Hashable
    spec: WebhookSpec | None = None
    current: Webhook | None = None
    changes: Mapping[str, Any] = attrs.field(factory=dict, converter=_frozen, hash=False)
    result: Webhook | None = None
    error: Exception | None = attrs.field(default=None, eq=False)

    @property
    def ok(self) -> bool:
        """Whether this item did not fail."""
        return self.error is None

    @property
    def is_write(self) -> bool:
        """Whether this item needs a request (anything but ``unchanged``)."""
        return self.action is not SyncAction.UNCHANGED

    @property
    def webhook_id(self) -> str | None:
        """The id of the webhook concerned, once it has one."""
        webhook = self.result or self.current
        return None if webhook is None else webhook.id


def plan_sync(
    desired: Iterable[WebhookSpec],
    current: Iterable[Webhook],
    *,
    key: SyncKey = "name",
    prune: bool = False,
    allow_empty_prune: bool = False,
) -> tuple[SyncOutcome, ...]:
    """One outcome per desired spec (create/update/unchanged), then the deletes if ``prune``.

    Raises:
        InvalidInputError: ``desired`` is not a list of specs, an event name is unknown
            (on a create, or not held by the webhook it updates), or an empty prune.
        SyncError: a key is repeated in ``desired``, or shared by two server webhooks
            that a desired spec would match.
    """
    key_of = key_function(key)
    specs = check_specs(desired, key_of, prune=prune, allow_empty_prune=allow_empty_prune)
    return plan_checked(specs, current, key_of, prune=prune)


def plan_checked(
    specs: list[WebhookSpec], current: Iterable[Webhook], key_of: KeyFunction, *, prune: bool
) -> tuple[SyncOutcome, ...]:
    """:func:`plan_sync` for specs that :func:`check_specs` already returned."""
    wanted = {key_of(spec): index for index, spec in enumerate(specs)}
    matches, unmatched = _match_current(current, key_of, wanted)
    outcomes = [
        _plan_one(index, spec, key_of(spec), matches.get(key_of(spec)))
        for index, spec in enumerate(specs)
    ]
    if prune:
        outcomes += [
            SyncOutcome(action=SyncAction.DELETE, key=value, current=webhook)
            for value, webhook in unmatched
        ]
    return tuple(outcomes)


def _match_current(
    current: Iterable[Webhook],
    key_of: KeyFunction,
    wanted: Mapping[Hashable, int],
) -> tuple[dict[Hashable, Webhook], list[tuple[Hashable, Webhook]]]:
    """The server webhook for each desired key, and the webhooks no spec wants (in order)."""
    matches: dict[Hashable, Webhook] = {}
    unmatched: list[tuple[Hashable, Webhook]] = []
    shared: dict[Hashable, list[Webhook]] = {}
    for webhook in current:
        value = key_of(webhook)
        if value not in wanted:
            unmatched.append((value, webhook))
        elif value in matches:
            shared.setdefault(value, [matches[value]]).append(webhook)
        else:
            matches[value] = webhook
    if shared:
        clashes = "; ".join(
            f"{value!r} is held by {', '.join(hook.id for hook in hooks)}"
            for value, hooks in shared.items()
        )
        raise SyncError(
            f"several server webhooks share a desired key ({clashes}): the sync will not "
            "guess which one to change; delete or rename the extra ones; nothing was written"
        )
    return matches, unmatched


def _plan_one(
    index: int, spec: WebhookSpec, value: Hashable, webhook: Webhook | None
) -> SyncOutcome:
    # Event names this release does not know pass on an update when the webhook already
    # has them (as in update()), never on a create.
    _refuse_unknown_events(index, value, spec, () if webhook is None else webhook.events)
    if webhook is None:
        return SyncOutcome(action=SyncAction.CREATE, key=value, spec=spec)
    changes = differences(spec, webhook)
    action = SyncAction.UPDATE if changes else SyncAction.UNCHANGED
    return SyncOutcome(action=action, key=value, spec=spec, current=webhook, changes=changes)


def _refuse_unknown_events(
    index: int, value: Hashable, spec: WebhookSpec, held: Iterable[Event]
) -> None:
    try:
        check_kept_events(spec.events, held)  # the one rule, as update() applies it
    except InvalidInputError as exc:
        raise InvalidInputError(f"desired[{index}] (key {value!r}): {exc}") from exc


def differences(spec: WebhookSpec, webhook: Webhook) -> dict[str, Any]:
    """The writable fields where ``webhook`` differs from ``spec``, with the spec's values.

    ``events`` compare as a set: order and repeats carry no meaning to the API.
    """
    changes: dict[str, Any] = {
        field: getattr(spec, field)
        for field in ("name", "server_url", "active")
        if getattr(spec, field) != getattr(webhook, field)
    }
    if frozenset(spec.events) != frozenset(webhook.events):
        changes["events"] = spec.events
    return changes
