"""``whautochat webhooks list | create | update | delete | export``."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from .._validation import check_int
from ..errors import InvalidInputError
from ..models import WebhookEvent
from ..specs import dump_specs, spec_of
from . import webhooks_sync
from ._common import UsageError, find_webhook, open_client
from ._output import Console, events_text, webhook_line, webhook_table, wire, yes_no

__all__ = ["register"]

_EVENT_HELP = "an event name; repeat for several (" + ", ".join(e.value for e in WebhookEvent) + ")"


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    """Add ``webhooks`` and its subcommands."""
    group = commands.add_parser("webhooks", help="list, create, update, delete, export, sync")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    _add_list(sub, common)
    _add_create(sub, common)
    _add_update(sub, common)
    delete = sub.add_parser("delete", parents=[common], help="delete a webhook by id")
    delete.add_argument("id", metavar="ID")
    delete.set_defaults(handler=delete_command)
    export = sub.add_parser(
        "export", parents=[common], help="write every webhook as specs that sync can load"
    )
    export.add_argument(
        "file", nargs="?", metavar="FILE", help="a .json or .toml file (default: JSON on stdout)"
    )
    export.set_defaults(handler=export_command)
    webhooks_sync.register(sub, common)


def _add_list(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("list", parents=[common], help="list webhooks (one page, or --all)")
    parser.add_argument(
        "--limit", type=_positive, metavar="N", help="webhooks per page (default 100)"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--page", type=_positive, default=1, metavar="N", help="the page to show (default 1)"
    )
    which.add_argument("--all", action="store_true", help="every page, one after the other")
    parser.set_defaults(handler=list_command)


def _add_create(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("create", parents=[common], help="create a webhook")
    parser.add_argument("--name", required=True)
    parser.add_argument("--server-url", required=True, help="where the events are sent")
    parser.add_argument("--event", action="append", required=True, dest="events", help=_EVENT_HELP)
    parser.add_argument("--inactive", action="store_true", help="create it switched off")
    parser.set_defaults(handler=create_command)


def _add_update(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "update",
        parents=[common],
        help="change a webhook's fields",
        description="Change a webhook. The API has no 'get one webhook' endpoint, so the "
        "webhook is first found by listing, page by page, then PUT whole with the changes "
        "(fields this client does not know are sent back unchanged).",
    )
    parser.add_argument("id", metavar="ID")
    parser.add_argument("--name")
    parser.add_argument("--server-url")
    parser.add_argument(
        "--event", action="append", dest="events", help="replaces all events; " + _EVENT_HELP
    )
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--active", action="store_true", default=None, dest="active")
    state.add_argument("--inactive", action="store_false", dest="active")
    parser.set_defaults(handler=update_command)


def _positive(text: str) -> int:
    try:
        return check_int("the value", int(text), minimum=1)
    except (ValueError, InvalidInputError):
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None


async def list_command(args: argparse.Namespace, console: Console) -> int:
    """Print one page, or every page with ``--all``."""
    async with open_client(args) as client:
        if args.all:
            async with client.webhooks.list(limit=args.limit) as listing:
                webhooks = [webhook async for webhook in listing]
            limit = None
        else:
            page = await client.webhooks.list(page=args.page, limit=args.limit)
            webhooks, limit = list(page), page.limit
    if console.json:
        console.emit_json([wire(webhook) for webhook in webhooks])
        return 0
    if webhooks:
        console.print(webhook_table(webhooks))
    where = "in all" if limit is None else f"on page {args.page}"
    console.note(f"{len(webhooks)} webhook{'s' * (len(webhooks) != 1)} {where}")
    if limit is not None and len(webhooks) >= limit:
        console.note(f"more may follow: --page {args.page + 1}, or --all")
    return 0


async def create_command(args: argparse.Namespace, console: Console) -> int:
    """Create one webhook and print it."""
    async with open_client(args) as client:
        webhook = await client.webhooks.create(
            name=args.name,
            server_url=args.server_url,
            events=args.events,
            active=not args.inactive,
        )
    if console.json:
        console.emit_json(wire(webhook))
    else:
        console.print(f"created {webhook_line(webhook)}")
    return 0


async def update_command(args: argparse.Namespace, console: Console) -> int:
    """Find the webhook by listing, then PUT it with the changes."""
    fields = {"name": args.name, "server_url": args.server_url, "events": args.events}
    changes: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if args.active is not None:
        changes["active"] = args.active
    if not changes:
        raise UsageError("nothing to update: give --name, --server-url, --event or --(in)active")
    async with open_client(args) as client:
        before = await find_webhook(client.webhooks.list(), args.id)
        after = await client.webhooks.update(before, **changes)
    if console.json:
        console.emit_json(wire(after))
        return 0
    console.print(f"updated {after.id}")
    for field in changes:
        old, new = getattr(before, field), getattr(after, field)
        console.print(f"  {field}: {_show(old)} -> {_show(new)}")
    return 0


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, tuple):
        return events_text(value)
    return str(value)


async def delete_command(args: argparse.Namespace, console: Console) -> int:
    """Delete one webhook by id."""
    async with open_client(args) as client:
        result = await client.webhooks.delete(args.id)
    if console.json:
        console.emit_json({"id": args.id, "success": result.success})
    else:
        console.print(f"deleted {args.id}")
    return 0


async def export_command(args: argparse.Namespace, console: Console) -> int:
    """Write every webhook as a spec, to FILE (.json or .toml) or stdout (JSON)."""
    async with open_client(args) as client, client.webhooks.list() as listing:
        specs = [spec_of(webhook) async for webhook in listing]
    if args.file is None:
        console.out.write(dump_specs(specs))
        return 0
    path = Path(args.file)
    text = dump_specs(specs, toml=path.suffix.lower() == ".toml")
    await asyncio.to_thread(path.write_text, text, encoding="utf-8")
    console.note(f"exported {len(specs)} webhooks to {path}")
    return 0
