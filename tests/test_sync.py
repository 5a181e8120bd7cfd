"""client.webhooks.sync against the fake server: final state and requests spent."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from typing import Any

import pytest

from whautochat_async import (
    InvalidInputError,
    SyncError,
    UnknownOutcomeError,
    UnprocessableEntityError,
    WebhookEvent,
    WebhookSpec,
    WhautoChat,
)
from whautochat_async.sync import SyncAction, SyncOutcome, SyncReport, apply_plan, sync_webhooks
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY

EVENTS = ("incoming_whatsapp_message",)  # what FakeWhautoChat.seed_webhooks stores


def spec(name: str, url: str | None = None, **kw: Any) -> WebhookSpec:
    fields: dict[str, Any] = {"events": EVENTS, "active": True} | kw
    return WebhookSpec(name=name, server_url=url or f"https://example.com/{name}", **fields)


def seeded_specs(fake: FakeWhautoChat) -> list[WebhookSpec]:
    """The specs the fake holds now: syncing them changes nothing."""
    return [
        WebhookSpec(
            name=w["name"], server_url=w["serverUrl"], events=w["events"], active=w["active"]
        )
        for w in fake.webhooks
    ]


class Spent:
    """The requests the fake received since it was made: GETs and writes."""

    def __init__(self, fake: FakeWhautoChat) -> None:
        self.fake, self.start = fake, fake.request_count

    @property
    def requests(self) -> list[Any]:
        return self.fake.requests[self.start :]

    @property
    def gets(self) -> int:
        return sum(1 for r in self.requests if r.method == "GET")

    @property
    def writes(self) -> int:
        return sum(1 for r in self.requests if r.method != "GET")


async def listing_cost(client: WhautoChat, fake: FakeWhautoChat) -> int:
    """What one ``async for`` over every webhook costs on the fake's current state."""
    spent = Spent(fake)
    async for _ in client.webhooks.list():
        pass
    return len(spent.requests)


def by_name(fake: FakeWhautoChat) -> dict[str, dict[str, Any]]:
    return {w["name"]: w for w in fake.webhooks}


async def test_create_only(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(3)
    desired = [*seeded_specs(fake), spec("new-1"), spec("new-2", active=False)]
    listing = await listing_cost(client, fake)
    spent = Spent(fake)
    report = await client.webhooks.sync(desired)
    assert report.ok
    assert report.counts[SyncAction.CREATE] == 2
    assert report.counts[SyncAction.UNCHANGED] == 3
    assert (spent.gets, spent.writes) == (listing, 2)
    assert by_name(fake)["new-2"]["active"] is False
    assert len(fake.webhooks) == 5
    created = [o for o in report.outcomes if o.action is SyncAction.CREATE]
    assert [o.result.id for o in created if o.result] == [w["id"] for w in fake.webhooks[3:]]


async def test_update_only_sends_k_writes(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(30)
    desired = seeded_specs(fake)
    for index in (2, 11, 29):
        desired[index] = spec(desired[index].name, "https://changed.example/x")
    listing = await listing_cost(client, fake)
    spent = Spent(fake)
    report = await client.webhooks.sync(desired)
    assert report.summary() == "0 created, 3 updated, 0 deleted, 27 unchanged, 0 failed"
    assert (spent.gets, spent.writes) == (listing, 3)
    assert {r.method for r in spent.requests} == {"GET", "PUT"}
    assert sum(w["serverUrl"] == "https://changed.example/x" for w in fake.webhooks) == 3


async def test_request_count_across_several_pages(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(250)  # pages of 100, 100, 50: the last page is short
    desired = seeded_specs(fake)
    desired[200] = spec(desired[200].name, active=False)
    desired.append(spec("brand-new"))
    spent = Spent(fake)
    report = await client.webhooks.sync(desired)
    assert report.ok
    assert spent.gets <= math.ceil(250 / 100) + 1  # the pagination's promise
    assert spent.gets == 3
    assert spent.writes == 2
    assert fake.webhooks[200]["active"] is False


async def test_unchanged_costs_only_the_listing(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(5)
    before = [dict(w) for w in fake.webhooks]
    listing = await listing_cost(client, fake)
    spent = Spent(fake)
    report = await client.webhooks.sync(seeded_specs(fake), prune=True)
    assert report.counts[SyncAction.UNCHANGED] == 5
    assert report.writes == ()
    assert (spent.gets, spent.writes) == (listing, 0)
    assert fake.webhooks == before


@pytest.mark.parametrize("prune", [False, True])
async def test_prune(client: WhautoChat, fake: FakeWhautoChat, prune: bool) -> None:
    fake.seed_webhooks(4)
    desired = [*seeded_specs(fake)[:2], spec("extra")]
    spent = Spent(fake)
    report = await client.webhooks.sync(desired, prune=prune)
    assert report.ok
    names = [w["name"] for w in fake.webhooks]
    if prune:
        assert names == ["webhook-0001", "webhook-0002", "extra"]
        assert report.counts[SyncAction.DELETE] == 2
        assert spent.writes == 3
    else:
        assert names == ["webhook-0001", "webhook-0002", "webhook-0003", "webhook-0004", "extra"]
        assert report.counts[SyncAction.DELETE] == 0
        assert spent.writes == 1


async def test_dry_run_writes_nothing(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(3)
    before = [dict(w) for w in fake.webhooks]
    desired = [spec("webhook-0001", active=False), spec("new")]
    listing = await listing_cost(client, fake)
    spent = Spent(fake)
    calls: list[Any] = []
    report = await client.webhooks.sync(
        desired, prune=True, dry_run=True, on_progress=lambda *a: calls.append(a)
    )
    assert report.dry_run
    assert report.summary() == "1 to create, 1 to update, 2 to delete, 0 unchanged, 0 failed"
    assert report.summary(failed=False) == "1 to create, 1 to update, 2 to delete, 0 unchanged"
    assert (spent.gets, spent.writes) == (listing, 0)
    assert fake.webhooks == before
    assert calls == []
    assert all(o.result is None for o in report.outcomes)


async def test_duplicate_desired_keys_send_nothing(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.seed_webhooks(2)
    with pytest.raises(SyncError, match="repeat a key"):
        await client.webhooks.sync([spec("a"), spec("a", "https://b.io")])
    assert fake.request_count == 0


async def test_server_duplicates_stop_before_any_write(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.add_webhook(name="shared")
    fake.add_webhook(name="shared")
    spent = Spent(fake)
    with pytest.raises(SyncError, match="will not guess"):
        await client.webhooks.sync([spec("shared", active=False), spec("new")])
    assert spent.writes == 0
    assert len(fake.webhooks) == 2


async def test_invalid_spec_sends_nothing(client: WhautoChat, fake: FakeWhautoChat) -> None:
    with pytest.raises(InvalidInputError, match="server_url must be an http"):
        spec("b", "not a url")  # refused when built: a sync never meets it
    with pytest.raises(InvalidInputError, match=r"desired\[1\] is a dict"):
        await client.webhooks.sync([spec("a"), {"name": "b"}])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="would delete every webhook"):
        await client.webhooks.sync([], prune=True)
    with pytest.raises(InvalidInputError, match="concurrency must be an integer >= 1"):
        await client.webhooks.sync([spec("a")], concurrency=0)
    with pytest.raises(InvalidInputError, match="on_progress must be callable"):
        await client.webhooks.sync([spec("a")], on_progress=3)  # type: ignore[arg-type]
    assert fake.request_count == 0


async def test_an_allowed_empty_prune_deletes_every_webhook(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.seed_webhooks(3)
    report = await client.webhooks.sync([], prune=True, allow_empty_prune=True)
    assert report.summary() == "0 created, 0 updated, 3 deleted, 0 unchanged, 0 failed"
    assert fake.webhooks == []


async def test_one_failure_among_many(client: WhautoChat, fake: FakeWhautoChat) -> None:
    hooks = fake.seed_webhooks(10)
    victim = hooks[4]
    fake.faults.status(422, times=1, method="PUT", path=f"/v1/webhooks/{victim['id']}")
    desired = [spec(h["name"], h["serverUrl"], active=False) for h in hooks]
    listing = await listing_cost(client, fake)
    spent = Spent(fake)
    progress: list[tuple[int, int, SyncOutcome]] = []
    report = await client.webhooks.sync(
        desired, concurrency=3, on_progress=lambda *a: progress.append(a)
    )
    assert not report.ok
    (failure,) = report.failures
    assert failure.key == victim["name"]
    assert isinstance(failure.error, UnprocessableEntityError)
    assert report.counts[SyncAction.UPDATE] == 9
    assert [w["active"] for w in fake.webhooks] == [w["id"] == victim["id"] for w in hooks]
    assert (spent.gets, spent.writes) == (listing, 10)
    assert [(done, total) for done, total, _ in progress] == [(n, 10) for n in range(1, 11)]
    assert sum(not outcome.ok for *_, outcome in progress) == 1


async def test_failed_create_is_reported_not_retried(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.faults.status(503, times=1, method="POST")
    report = await client.webhooks.sync([spec("a"), spec("b")], concurrency=1)
    assert [o.ok for o in report.outcomes] == [False, True]
    assert isinstance(report.outcomes[0].error, UnknownOutcomeError)
    assert [w["name"] for w in fake.webhooks] == ["b"]


async def test_retries_come_from_the_client(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(2)
    fake.faults.status(503, times=1, method="PUT", retry_after=0)
    fake.faults.status(429, times=1, method="DELETE", retry_after=0)
    desired = [spec("webhook-0001", active=False)]
    listing = await listing_cost(client, fake)
    spent = Spent(fake)
    report = await client.webhooks.sync(desired, prune=True)
    assert report.ok
    assert (spent.gets, spent.writes) == (listing, 2 + 2)  # two writes, each retried once
    assert [w["name"] for w in fake.webhooks] == ["webhook-0001"]


class CountingLimiter:
    """A RateLimiter that lets everything through and counts."""

    def __init__(self) -> None:
        self.acquired = self.released = 0

    async def acquire(self) -> None:
        self.acquired += 1

    def release(self, *, sent: bool) -> None:
        self.released += 1

    async def pause(self, seconds: float) -> None:
        return None


async def test_every_request_goes_through_the_rate_limiter(fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(3)
    limiter = CountingLimiter()
    async with WhautoChat(API_KEY, base_url=fake.url, rate_limit=limiter, environ={}) as client:
        report = await client.webhooks.sync([spec("webhook-0001", active=False)], prune=True)
    assert report.ok
    assert limiter.acquired == limiter.released == fake.request_count


async def test_unknown_server_fields_survive(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.extra_events = frozenset({"call_started"})
    fake.add_webhook(
        name="a",
        serverUrl="https://example.com/a",
        events=["contact_created", "call_started"],
        team={"id": 7},
        priority=3,
    )
    desired = [spec("a", events=["call_started", "contact_created"], active=False)]
    report = await client.webhooks.sync(desired)
    (outcome,) = report.outcomes
    assert dict(outcome.changes) == {"active": False}
    (stored,) = fake.webhooks
    assert stored["team"] == {"id": 7}
    assert stored["priority"] == 3
    assert stored["events"] == ["contact_created", "call_started"]
    assert stored["active"] is False
    assert outcome.result is not None
    assert outcome.result.extra == {"team": {"id": 7}, "priority": 3}


class SlowWriter:
    """A SyncTarget whose writes wait until released; tracks how many run at once."""

    def __init__(self, current: list[Any]) -> None:
        self.current = current
        self.running = self.peak = self.cancelled = 0
        self.gate = asyncio.Event()

    async def list(self) -> AsyncIterator[Any]:
        for webhook in self.current:
            yield webhook

    async def _write(self) -> None:
        self.running += 1
        self.peak = max(self.peak, self.running)
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.running -= 1

    async def create(self, **fields: Any) -> Any:
        await self._write()

    async def update(self, webhook: Any, **changes: Any) -> Any:
        await self._write()

    async def delete(self, webhook: Any) -> Any:
        await self._write()


async def test_concurrency_is_bounded() -> None:
    writer = SlowWriter([])
    task = asyncio.create_task(sync_webhooks(writer, [spec(f"n{i}") for i in range(9)]))
    for _ in range(20):
        await asyncio.sleep(0)
    assert (writer.running, writer.peak) == (4, 4)
    writer.gate.set()
    report = await task
    assert report.counts[SyncAction.CREATE] == 9
    assert writer.peak == 4


async def test_cancelling_the_sync_cancels_the_writes_and_leaks_no_task() -> None:
    writer = SlowWriter([])
    task = asyncio.create_task(
        sync_webhooks(writer, [spec(f"n{i}") for i in range(6)], concurrency=2)
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert writer.running == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (writer.running, writer.cancelled) == (0, 2)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_a_failing_progress_callback_propagates_plainly() -> None:
    writer = SlowWriter([])
    writer.gate.set()

    def explode(done: int, total: int, outcome: SyncOutcome) -> None:
        raise RuntimeError("display broke")

    with pytest.raises(RuntimeError, match="display broke"):
        await sync_webhooks(writer, [spec("a"), spec("b")], on_progress=explode)
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_an_outcome_without_its_webhook_is_a_failed_item() -> None:
    broken = SyncOutcome(action=SyncAction.UPDATE, key="a", spec=spec("a"))
    report = await apply_plan(SlowWriter([]), [broken])
    (failure,) = report.failures
    assert isinstance(failure.error, InvalidInputError)
    assert str(failure.error) == "cannot apply update without its webhook or spec"


def test_report_properties() -> None:
    ok = SyncOutcome(action=SyncAction.CREATE, key="a", spec=spec("a"))
    bad = SyncOutcome(action=SyncAction.DELETE, key="b", error=ValueError("x"))
    report = SyncReport(outcomes=(ok, bad))
    assert not report.ok
    assert report.failures == (bad,)
    assert report.writes == (ok, bad)
    assert report.summary() == "1 created, 0 updated, 0 deleted, 0 unchanged, 1 failed"
    assert bad.webhook_id is None
    assert WebhookEvent.CONTACT_CREATED == "contact_created"
