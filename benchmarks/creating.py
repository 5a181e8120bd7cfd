"""Scenario 3: creating webhooks with 16 calls in flight against one at a time.

The same is measured for raw aiohttp as a reference: what this machine allows,
whatever the client does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import aiohttp

from whautochat_async import WebhookEvent, WhautoChat

from ._common import (
    Result,
    Settings,
    client_options,
    interleaved,
    make_client,
    ratio_text,
    repetitions_text,
)
from ._data import webhook_from_dict
from ._inflight import count_in_flight
from ._server import RAW_HEADERS, ServerProcess

TARGET = 12.0
_EVENTS = [WebhookEvent.INCOMING_WHATSAPP_MESSAGE, WebhookEvent.CONTACT_CREATED]


def _name_and_url(number: int) -> tuple[str, str]:
    return f"bench-{number:05d}", f"https://hooks.example.com/{number}"


async def _in_parallel(create: Callable[[int], Awaitable[object]], count: int, width: int) -> None:
    numbers = iter(range(count))

    async def worker() -> None:
        for number in numbers:  # shared: each number is taken by one worker
            await create(number)

    async with asyncio.TaskGroup() as group:
        for _ in range(width):
            group.create_task(worker())


async def create_all(client: WhautoChat, count: int, concurrency: int) -> None:
    """Create ``count`` webhooks through the client, ``concurrency`` calls at a time."""

    async def create(number: int) -> object:
        name, url = _name_and_url(number)
        return await client.webhooks.create(name=name, server_url=url, events=_EVENTS)

    await _in_parallel(create, count, concurrency)


async def raw_create_all(
    session: aiohttp.ClientSession, url: str, count: int, concurrency: int
) -> None:
    """The same with raw aiohttp: POST the JSON, json.loads the answer, build the Webhook."""

    async def create(number: int) -> object:
        name, hook_url = _name_and_url(number)
        events = [event.value for event in _EVENTS]
        body = {"name": name, "serverUrl": hook_url, "events": events, "active": True}
        async with session.post(f"{url}/v1/webhooks", json=body, headers=RAW_HEADERS) as raw:
            return webhook_from_dict(json.loads(await raw.read()))

    await _in_parallel(create, count, concurrency)


async def create_scenario(settings: Settings, server: ServerProcess) -> Result:
    """Scenario 3: sequential creation time over concurrent creation time."""
    count, width, latency = settings.create_count, settings.concurrency, settings.create_latency
    server.configure(webhooks=0, latency=latency)
    async with make_client(server.url, rate_limit="raised") as client, aiohttp.ClientSession() as s:
        await create_all(client, width * 2, width)  # warm-up: opens the connections
        await raw_create_all(s, server.url, width * 2, width)
        timings = await interleaved(
            {
                "sequential": lambda: create_all(client, count, 1),
                "concurrent": lambda: create_all(client, count, width),
                "raw sequential": lambda: raw_create_all(s, server.url, count, 1),
                "raw concurrent": lambda: raw_create_all(s, server.url, count, width),
            },
            settings.slow_repeats,
            before_each=lambda: server.configure(webhooks=0, latency=latency),
        )
    server.configure(webhooks=0, latency=latency)
    checked = await count_in_flight(
        server.url, lambda client: create_all(client, count, width), rate_limit="raised"
    )
    stored = server.stats()[0]
    speedup = timings.ratio("sequential", "concurrent")
    raw_speedup = timings.ratio("raw sequential", "raw concurrent")
    return Result(
        number="3",
        scenario=f"create {count} webhooks, {latency * 1000:g} ms server latency",
        baseline="concurrency 1",
        target=f"concurrency {width} ≥ {TARGET:g}x faster",
        measured=f"{ratio_text(speedup)} faster",
        passed=speedup >= TARGET and stored == count,
        details=[
            f"median sequential {timings.median('sequential'):.2f} s, concurrent "
            f"{timings.median('concurrent') * 1000:.0f} ms "
            f"({repetitions_text(settings.slow_repeats)}, the store emptied before each)",
            f"reference, raw aiohttp on the same server and machine: {ratio_text(raw_speedup)} "
            f"faster (sequential {timings.median('raw sequential'):.2f} s, concurrent "
            f"{timings.median('raw concurrent') * 1000:.0f} ms)",
            f"checked run: {stored} webhooks stored, at most {checked.peak} requests in "
            f"flight; the ideal {width}x holds only if a request costs no CPU on either side",
            client_options("raised")[1],
        ],
    )
