"""Scenario 6: requests spent, counted by the fake server, against the optimum."""

from __future__ import annotations

import math
from typing import Any

import attrs

from whautochat_async import WebhookEvent, WebhookSpec
from whautochat_async.testing import FakeWhautoChat

from ._common import Result, Settings, make_client
from ._data import wire_webhooks
from ._server import API_KEY

_AND_EMPTY = ", plus the empty page after a full last one"


def optimal_listing(total: int, page_size: int) -> int:
    """Requests a walk needs at best: every page, plus an empty one after a full last page."""
    return math.ceil(total / page_size) + (1 if total % page_size == 0 else 0)


def discovery(total: int, page_size: int, limit: int) -> int:
    """1 when the client cannot see the server's page size from a full page, else 0.

    A first page shorter than ``limit`` may be the end or a cap: one more request
    (the next page) is the least that tells them apart.
    """
    return 1 if min(page_size, total) < limit else 0


async def capped_listing_scenario(settings: Settings) -> Result:
    """Scenario 6a: list everything through a server that caps ``limit`` below the ask."""
    total, cap, limit = settings.cap_total, settings.server_cap, settings.page_size
    async with (
        FakeWhautoChat(api_key=API_KEY, max_page_size=cap) as fake,
        make_client(fake.url) as client,
    ):
        fake.webhooks = wire_webhooks(total)
        ids = [webhook.id async for webhook in client.webhooks.list(limit=limit)]
        spent = fake.request_count
    optimum = optimal_listing(total, cap)
    allowed = optimum + discovery(total, cap, limit)
    complete = len(ids) == total == len(set(ids))
    return Result(
        number="6a",
        scenario=f"requests: list {total:,} webhooks, limit={limit}, server caps pages at {cap}",
        baseline=f"optimum: {optimum} (every page{_AND_EMPTY if total % cap == 0 else ''})",
        target=f"≤ {allowed} (+1 to discover the cap)" if allowed > optimum else f"≤ {optimum}",
        measured=f"{spent} requests",
        passed=complete and spent <= allowed,
        details=[f"listed {len(ids):,} of {total:,} webhooks, {len(set(ids)):,} distinct ids"],
    )


async def sync_scenario(settings: Settings) -> Result:
    """Scenario 6b: a sync changing 5 of N webhooks costs the listing plus 5 writes."""
    total, changes = settings.sync_total, settings.sync_changes
    title = f"requests: sync changing {changes} of {total:,} webhooks"
    async with FakeWhautoChat(api_key=API_KEY) as fake, make_client(fake.url) as client:
        fake.webhooks = wire_webhooks(total)
        desired = _desired(fake.webhooks, changes)
        report = await client.webhooks.sync(desired, prune=True)
        spent, state = fake.request_count, _state(fake.webhooks)
        page_size = fake.max_page_size
    size = min(page_size, settings.page_size)
    optimum = optimal_listing(total, size) + changes
    allowed = optimum + discovery(total, page_size, settings.page_size)
    converged = state == _desired_state(desired)
    return Result(
        number="6b",
        scenario=title,
        baseline=f"optimum: {optimum - changes} listing pages + {changes} writes = {optimum}",
        target=f"≤ {allowed} (+1 to discover the page size)"
        if allowed > optimum
        else f"≤ {optimum}",
        measured=f"{spent} requests",
        passed=converged and spent <= allowed,
        details=[
            f"report: {report.summary()}; server state equals the desired state: "
            f"{'yes' if converged else 'NO'}",
            "changes: 3 updated (URL, events, active), 1 created, 1 deleted (prune=True)"
            if changes == 5
            else f"changes: {changes} updates",
        ],
    )


def _desired(current: list[dict[str, Any]], changes: int) -> list[WebhookSpec]:
    """Specs for every current webhook, ``changes`` of them differing from the server.

    From 3 changes on, one is a create and one a delete (the sync runs with ``prune``).
    """
    specs = [
        WebhookSpec(
            name=item["name"],
            server_url=item["serverUrl"],
            events=tuple(item["events"]),
            active=item["active"],
        )
        for item in current
    ]
    creates_and_deletes = 1 if changes >= 3 else 0
    for index in range(changes - 2 * creates_and_deletes):
        at = index * 7  # spread the updates over the list
        spec = specs[at]
        specs[at] = [
            attrs.evolve(spec, server_url=spec.server_url + "/v2"),
            attrs.evolve(spec, events=(*spec.events, WebhookEvent.CONTACT_TAG_REMOVED)),
            attrs.evolve(spec, active=not spec.active),
        ][index % 3]
    if creates_and_deletes:
        specs.pop()  # its webhook is deleted by the sync (prune)
        url, events = "https://hooks.example.com/new", (WebhookEvent.CONTACT_CREATED,)
        specs.append(WebhookSpec(name="brand-new", server_url=url, events=events))
    return specs


def _state(items: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (item["name"], item["serverUrl"], tuple(item["events"]), item["active"]) for item in items
    }


def _desired_state(specs: list[WebhookSpec]) -> set[tuple[Any, ...]]:
    return {
        (spec.name, spec.server_url, tuple(str(event) for event in spec.events), spec.active)
        for spec in specs
    }
