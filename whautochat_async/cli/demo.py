"""``whautochat demo``: the main job, end to end, against an embedded fake API.

No account and no network: the fake server runs in this process on 127.0.0.1. Each
step prints the call it makes, then what came back.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..client import WhautoChat
from ..models import Webhook, WebhookEvent, WebhookSpec
from ..testing import FakeWhautoChat
from ._output import Console, webhook_line, webhook_table
from ._plan_text import format_plan, format_report

__all__ = ["register", "run_demo"]

DEMO_KEY = "demo-key"
ORDERS_URL = "https://example.com/hooks/orders"


def register(commands: Any, base: argparse.ArgumentParser) -> None:
    """Add ``demo``."""
    parser = commands.add_parser(
        "demo",
        parents=[base],
        help="create, list, stream, update, sync and delete against an embedded fake API",
    )
    parser.add_argument("--seed", type=int, default=7, help="the fake's id seed (default 7)")
    parser.set_defaults(handler=demo_command)


async def demo_command(args: argparse.Namespace, console: Console) -> int:
    """Run the demo; it needs no key and no network."""
    await run_demo(console, seed=args.seed)
    return 0


class _Steps:
    """Numbered steps, each with the code it runs."""

    def __init__(self, console: Console) -> None:
        self.console, self.number = console, 0

    def __call__(self, title: str, code: str) -> None:
        self.number += 1
        self.console.print(f"\n{self.number}. {title}")
        for line in code.splitlines():
            self.console.print(f"   >>> {line}")


async def run_demo(console: Console, *, seed: int = 7) -> None:
    """Start a seeded fake, then walk through every call with a client pointed at it."""
    async with FakeWhautoChat(api_key=DEMO_KEY, seed=seed) as fake:
        fake.seed_webhooks(4)
        console.print(f"Started a fake WhautoChat API at {fake.url} holding 4 webhooks.")
        console.print(f"The client below talks to it over HTTP, with API key {DEMO_KEY!r}.")
        step = _Steps(console)
        step(
            "Open one client for the whole program",
            "async with WhautoChat(api_key, base_url=url) as client:",
        )
        async with WhautoChat(DEMO_KEY, base_url=fake.url, environ={}) as client:
            created = await _create_and_list(client, console, step)
            await _stream(client, fake, console, step)
            step(
                "Update it: PUT the whole webhook with one change",
                "hook = await client.webhooks.update(hook, active=False)",
            )
            updated = await client.webhooks.update(created, active=False)
            console.print(f"   updated {webhook_line(updated)}")
            await _sync(client, console, step)
            # The code shown is the code run: `hook` is 'orders', created in step 2.
            step("Delete a webhook", 'await client.webhooks.delete(hook)  # or delete("wh_...")')
            await client.webhooks.delete(updated)
            console.print(f"   deleted {updated.id} ({updated.name!r})")
        console.print(f"\nDone: the fake API answered {fake.request_count} requests.")


async def _create_and_list(client: WhautoChat, console: Console, step: _Steps) -> Webhook:
    step(
        "Create a webhook",
        'hook = await client.webhooks.create(name="orders",\n'
        f'    server_url="{ORDERS_URL}", events=["incoming_whatsapp_message"])',
    )
    created = await client.webhooks.create(
        name="orders", server_url=ORDERS_URL, events=[WebhookEvent.INCOMING_WHATSAPP_MESSAGE]
    )
    console.print(f"   created {webhook_line(created)}")
    step("List one page (one request)", "page = await client.webhooks.list(page=1, limit=3)")
    page = await client.webhooks.list(page=1, limit=3)
    console.print(_indent(webhook_table(list(page))))
    return created


async def _stream(client: WhautoChat, fake: FakeWhautoChat, console: Console, step: _Steps) -> None:
    step(
        "Stream every webhook, page after page, with async for",
        "async for hook in client.webhooks.list(limit=2):\n    print(hook.name)",
    )
    before = fake.request_count
    names = [hook.name async for hook in client.webhooks.list(limit=2)]
    spent = fake.request_count - before
    console.print(f"   {', '.join(names)}")
    console.print(f"   {len(names)} webhooks in {spent} requests of up to 2")


async def _sync(client: WhautoChat, console: Console, step: _Steps) -> None:
    desired = [
        WebhookSpec(
            name="orders",
            server_url=ORDERS_URL,
            events=["incoming_whatsapp_message", "contact_created"],
        ),
        WebhookSpec(
            name="billing",
            server_url="https://example.com/hooks/billing",
            events=["contact_created"],
        ),
        WebhookSpec(
            name="webhook-0001",
            server_url="https://example.com/hooks/1",
            events=["incoming_whatsapp_message"],
        ),
    ]
    console.print("\n   The desired state, as a spec file would hold it:")
    for spec in desired:
        console.print(f"     {spec.name}: {spec.server_url} [{', '.join(map(str, spec.events))}]")
    step(
        "Sync, dry run first: the plan, nothing written", "sync(desired, prune=True, dry_run=True)"
    )
    plan = await client.webhooks.sync(desired, prune=True, dry_run=True)
    console.print(_indent(format_plan(plan.outcomes)))
    console.print(_indent(format_report(plan)))
    step("Sync for real", "report = await client.webhooks.sync(desired, prune=True)")
    report = await client.webhooks.sync(desired, prune=True)
    console.print(_indent(format_report(report)))


def _indent(text: str) -> str:
    return "\n".join(f"   {line}" for line in text.splitlines())
