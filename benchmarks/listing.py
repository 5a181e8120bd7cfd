"""Scenarios 1 and 2: a full listing against its floor, and prefetch against sequential."""

from __future__ import annotations

import json
from collections.abc import Awaitable

import aiohttp

from whautochat_async import Webhook, WhautoChat

from ._common import (
    Result,
    Settings,
    Timings,
    client_options,
    interleaved,
    make_client,
    ratio_text,
    repetitions_text,
    seconds_text,
)
from ._data import webhook_from_dict
from ._inflight import count_in_flight
from ._server import RAW_HEADERS, ServerProcess

FLOOR_TARGET = 1.15
PREFETCH_TARGET = 3.5


async def floor_listing(session: aiohttp.ClientSession, url: str, limit: int) -> list[Webhook]:
    """The floor: raw aiohttp, ``json.loads``, the same Webhook objects built by hand."""
    webhooks: list[Webhook] = []
    page = 1
    while True:
        params = {"page": str(page), "limit": str(limit)}
        async with session.get(f"{url}/v1/webhooks", params=params, headers=RAW_HEADERS) as raw:
            if raw.status != 200:
                raise RuntimeError(f"floor listing: page {page} answered {raw.status}")
            data = json.loads(await raw.read())
        webhooks.extend(webhook_from_dict(item) for item in data)
        if len(data) < limit:
            return webhooks
        page += 1


async def client_listing(client: WhautoChat, limit: int, prefetch: int = 0) -> list[Webhook]:
    """Every webhook through ``client.webhooks.list``, materialised."""
    return [webhook async for webhook in client.webhooks.list(limit=limit, prefetch=prefetch)]


async def client_pages_listing(client: WhautoChat, limit: int) -> list[Webhook]:
    """The same a page at a time (``.pages()``): no per-webhook ``async for`` step."""
    return [webhook async for page in client.webhooks.list(limit=limit).pages() for webhook in page]


async def _requests_of(server: ServerProcess, listing: Awaitable[object]) -> int:
    server.command("reset")
    await listing
    return server.stats()[1]


async def floor_scenario(settings: Settings, server: ServerProcess) -> Result:
    """Scenario 1: client listing time over the raw-aiohttp floor, no latency."""
    server.configure(webhooks=settings.list_total)
    limit = settings.page_size
    async with aiohttp.ClientSession() as session, make_client(server.url) as client:
        ours = await client_listing(client, limit)  # warms up both sessions and checks
        floor = await floor_listing(session, server.url, limit)
        same = ours == floor and len(ours) == settings.list_total
        timings = await interleaved(
            {
                "client": lambda: client_listing(client, limit),
                "floor": lambda: floor_listing(session, server.url, limit),
                "pages": lambda: client_pages_listing(client, limit),
            },
            settings.repeats,
        )
        client_requests = await _requests_of(server, client_listing(client, limit))
        floor_requests = await _requests_of(server, floor_listing(session, server.url, limit))
    ratio = timings.ratio("client", "floor")
    return Result(
        number="1",
        scenario=f"list all {settings.list_total:,} webhooks, page size {limit}, no latency",
        baseline="raw aiohttp + json.loads + Webhook built by hand",
        target=f"≤ {FLOOR_TARGET:.2f}x floor",
        measured=ratio_text(ratio),
        passed=same and ratio <= FLOOR_TARGET,
        details=[
            *_medians(timings, "client", "floor"),
            f"client-process CPU: {ratio_text(timings.ratio('client', 'floor', cpu=True))} "
            "the floor's (the server runs in another process)",
            timings.noise_check("client", "floor"),
            f"the same client a page at a time (`.pages()`, no per-webhook `async for` step): "
            f"{ratio_text(timings.ratio('pages', 'floor'))} the floor",
            f"requests: client {client_requests}, floor {floor_requests}; "
            f"identical Webhook objects: {'yes' if same else 'NO'}",
            client_options("off")[1],
        ],
    )


async def prefetch_scenario(settings: Settings, server: ServerProcess) -> Result:
    """Scenario 2: sequential listing time over ``prefetch=N`` time, with latency."""
    limit, pages = settings.page_size, settings.prefetch_pages
    server.configure(webhooks=pages * limit, latency=settings.prefetch_latency)
    ahead = settings.prefetch
    async with make_client(server.url) as client:
        await client_listing(client, limit)  # warm-up
        ids = [webhook.id for webhook in await client_listing(client, limit, ahead)]
        complete = len(ids) == len(set(ids)) == pages * limit
        timings = await interleaved(
            {
                "sequential": lambda: client_listing(client, limit),
                "prefetch": lambda: client_listing(client, limit, ahead),
            },
            settings.slow_repeats,
        )
    counter = await count_in_flight(server.url, lambda client: client_listing(client, limit, ahead))
    speedup = timings.ratio("sequential", "prefetch")
    latency_ms = settings.prefetch_latency * 1000
    return Result(
        number="2",
        scenario=f"list {pages} pages of {limit}, {latency_ms:g} ms server latency",
        baseline="prefetch=0 (sequential)",
        target=f"prefetch={ahead} ≥ {PREFETCH_TARGET:g}x faster",
        measured=f"{ratio_text(speedup)} faster",
        passed=complete and speedup >= PREFETCH_TARGET,
        details=[
            *_medians(timings, "sequential", "prefetch"),
            f"prefetch={ahead}: {counter.total} requests, at most {counter.peak} in flight "
            f"at once; every webhook listed once: {'yes' if complete else 'NO'}",
        ],
    )


def _medians(timings: Timings, first: str, second: str) -> list[str]:
    return [
        f"median {first} {seconds_text(timings.median(first))}, "
        f"{second} {seconds_text(timings.median(second))} "
        f"({repetitions_text(len(timings.wall[first]))})"
    ]
