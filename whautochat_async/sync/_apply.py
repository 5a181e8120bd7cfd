"""Carrying out a sync: list once, plan, then the writes, a few at a time, each a client call.

A failed write is recorded in its outcome and the others go on: the sync is declarative,
so running it again finishes the job. Cancelling it cancels the writes in flight.
With the default timeout a write's wait for the rate limiter is not charged to its
deadline, so a sync of any size finishes at the rate limit; ``on_wait(seconds)`` hears
each time a call has to queue, with the estimated wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol, TypedDict, Unpack

import attrs

from .._validation import check_positive_int
from ..errors import InvalidInputError
from ..models import DeleteResult, Event, Webhook, WebhookChanges, WebhookSpec
from ..ratelimit import on_limiter_wait
from ._checks import SyncKey, check_specs, key_function
from ._plan import SyncAction, SyncOutcome, plan_checked

__all__ = [
    "ProgressCallback",
    "SyncOptions",
    "SyncReport",
    "SyncTarget",
    "WaitCallback",
    "WebhookWriter",
    "apply_plan",
    "plan_webhooks",
    "sync_webhooks",
]

#: ``on_progress(done, total, outcome)``: called after each write, failed or not.
ProgressCallback = Callable[[int, int, SyncOutcome], None]
#: ``on_wait(seconds)``: a call has to queue about ``seconds`` for the rate limiter.
WaitCallback = Callable[[float], None]


class WebhookWriter(Protocol):
    """The writes a sync needs (``client.webhooks`` has them)."""

    async def create(
        self, *, name: str, server_url: str, events: Sequence[Event], active: bool = True
    ) -> Webhook: ...

    async def update(self, webhook: Webhook, **changes: Unpack[WebhookChanges]) -> Webhook: ...

    async def delete(self, webhook_or_id: Webhook | str) -> DeleteResult: ...


class SyncTarget(WebhookWriter, Protocol):
    """The writes plus a listing that walks every page (``client.webhooks`` again)."""

    def list(self) -> AsyncIterable[Webhook]: ...


class SyncOptions(TypedDict, total=False):
    """The keyword options of :func:`sync_webhooks` (and ``client.webhooks.sync``)."""

    key: SyncKey
    prune: bool
    allow_empty_prune: bool
    dry_run: bool
    concurrency: int
    on_progress: ProgressCallback | None
    on_wait: WaitCallback | None


@attrs.frozen(kw_only=True)
class SyncReport:
    """Every outcome of a sync, in plan order; ``dry_run``: planned, nothing written."""

    outcomes: tuple[SyncOutcome, ...]
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """Whether no item failed."""
        return all(outcome.ok for outcome in self.outcomes)

    @property
    def failures(self) -> tuple[SyncOutcome, ...]:
        """The items that failed, with their ``error``."""
        return tuple(outcome for outcome in self.outcomes if not outcome.ok)

    @property
    def writes(self) -> tuple[SyncOutcome, ...]:
        """The items that need (or needed) a request: all but the unchanged."""
        return tuple(outcome for outcome in self.outcomes if outcome.is_write)

    @property
    def counts(self) -> Mapping[SyncAction, int]:
        """How many items of each action succeeded (in a dry run: are planned)."""
        counts = dict.fromkeys(SyncAction, 0)
        for outcome in self.outcomes:
            if outcome.ok:
                counts[outcome.action] += 1
        return counts

    def summary(self, *, failed: bool = True) -> str:
        """One line, e.g. ``2 created, 1 updated, 0 deleted, 5 unchanged, 1 failed``."""
        verbs = _PLANNED if self.dry_run else _DONE
        parts = [f"{number} {verbs[action]}" for action, number in self.counts.items()]
        return ", ".join([*parts, f"{len(self.failures)} failed"] if failed else parts)


_DONE = {
    SyncAction.CREATE: "created",
    SyncAction.UPDATE: "updated",
    SyncAction.DELETE: "deleted",
    SyncAction.UNCHANGED: "unchanged",
}
_PLANNED = {action: f"to {action.value}" for action in _DONE} | {SyncAction.UNCHANGED: "unchanged"}


async def sync_webhooks(
    webhooks: SyncTarget,
    desired: Iterable[WebhookSpec],
    *,
    key: SyncKey = "name",
    prune: bool = False,
    allow_empty_prune: bool = False,
    dry_run: bool = False,
    concurrency: int = 4,
    on_progress: ProgressCallback | None = None,
    on_wait: WaitCallback | None = None,
) -> SyncReport:
    """Check ``desired``, list the webhooks once, plan, then apply (unless ``dry_run``).

    ``prune`` deletes the webhooks no spec matches; with an empty ``desired`` that is
    every webhook, refused unless ``allow_empty_prune`` says it is meant.

    Raises:
        InvalidInputError: an option is invalid, or an empty prune (before any request).
        SyncError: a key is ambiguous (before any write).
    """
    _check_options(concurrency, on_progress, on_wait)
    with _waits_reported(on_wait):
        plan = await plan_webhooks(
            webhooks, desired, key=key, prune=prune, allow_empty_prune=allow_empty_prune
        )
    if dry_run:
        return SyncReport(outcomes=plan, dry_run=True)
    return await _apply_checked(webhooks, plan, concurrency, on_progress, on_wait)


async def plan_webhooks(
    webhooks: SyncTarget,
    desired: Iterable[WebhookSpec],
    *,
    key: SyncKey = "name",
    prune: bool = False,
    allow_empty_prune: bool = False,
) -> tuple[SyncOutcome, ...]:
    """Check ``desired`` before any request, then list the webhooks once and plan.

    Raises:
        InvalidInputError: ``desired`` is not a list of specs, an empty prune (before any
            request), or an event name the matched webhook does not hold.
        SyncError: a key is repeated in ``desired`` (before any request), or shared by two
            server webhooks a spec would match.
    """
    key_of = key_function(key)
    specs = check_specs(desired, key_of, prune=prune, allow_empty_prune=allow_empty_prune)
    current = [webhook async for webhook in webhooks.list()]
    return plan_checked(specs, current, key_of, prune=prune)


async def apply_plan(
    webhooks: WebhookWriter,
    plan: Iterable[SyncOutcome],
    *,
    concurrency: int = 4,
    on_progress: ProgressCallback | None = None,
    on_wait: WaitCallback | None = None,
) -> SyncReport:
    """Carry out the writes of ``plan``, at most ``concurrency`` at a time."""
    _check_options(concurrency, on_progress, on_wait)
    return await _apply_checked(webhooks, plan, concurrency, on_progress, on_wait)


async def _apply_checked(
    webhooks: WebhookWriter,
    plan: Iterable[SyncOutcome],
    concurrency: int,
    on_progress: ProgressCallback | None,
    on_wait: WaitCallback | None,
) -> SyncReport:
    """:func:`apply_plan` with its options already checked."""
    outcomes = list(plan)
    writes = [index for index, outcome in enumerate(outcomes) if outcome.is_write]
    total = len(writes)
    pending = iter(writes)
    done = 0

    async def worker() -> None:
        nonlocal done
        for index in pending:  # shared: each index is taken by exactly one worker
            outcomes[index] = await _apply_one(webhooks, outcomes[index])
            done += 1
            if on_progress is not None:
                on_progress(done, total, outcomes[index])

    try:
        with _waits_reported(on_wait):  # the workers inherit it
            async with asyncio.TaskGroup() as group:
                for _ in range(min(concurrency, total)):
                    group.create_task(worker())
    except BaseExceptionGroup as grouped:
        # Writes never raise here (their errors are recorded): only on_progress can.
        raise grouped.exceptions[0] from None
    return SyncReport(outcomes=tuple(outcomes))


async def _apply_one(webhooks: WebhookWriter, outcome: SyncOutcome) -> SyncOutcome:
    try:
        result = await _write(webhooks, outcome)
    except Exception as exc:  # reported in the outcome: one failure must not stop the rest
        return attrs.evolve(outcome, error=exc)
    return attrs.evolve(outcome, result=result)


async def _write(webhooks: WebhookWriter, outcome: SyncOutcome) -> Webhook | None:
    spec, current = outcome.spec, outcome.current
    if outcome.action is SyncAction.CREATE and spec is not None:
        return await webhooks.create(
            name=spec.name, server_url=spec.server_url, events=spec.events, active=spec.active
        )
    if outcome.action is SyncAction.UPDATE and current is not None:
        # update() PUTs the whole webhook it is given: fields unknown to us survive.
        return await webhooks.update(current, **outcome.changes)
    if outcome.action is SyncAction.DELETE and current is not None:
        await webhooks.delete(current)
        return None
    raise InvalidInputError(f"cannot apply {outcome.action.value} without its webhook or spec")


def _waits_reported(on_wait: WaitCallback | None) -> AbstractContextManager[None]:
    """Pass the limiter's waits of the calls made in this context to ``on_wait``."""
    if on_wait is None:
        return nullcontext()
    return on_limiter_wait(lambda wait: on_wait(wait.seconds))


def _check_options(concurrency: Any, on_progress: Any, on_wait: Any = None) -> None:
    check_positive_int("concurrency", concurrency)
    for name, callback in (("on_progress", on_progress), ("on_wait", on_wait)):
        if callback is not None and not callable(callback):
            raise InvalidInputError(f"{name} must be callable, got {callback!r}")
