"""``whautochat webhooks create | update | delete``."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import UsageError, confirm, find_webhook, open_client
from ._errors import check_command
from ._options import EVENT_ARGUMENT, add_api_options, add_json_option, unique
from ._output import Console, events_text, webhook_line, wire, yes_no

__all__ = ["register"]


def register(sub: Any, base: argparse.ArgumentParser) -> None:
    """Add ``create``, ``update`` and ``delete`` under ``webhooks``."""
    _add_create(sub, base)
    _add_update(sub, base)
    delete = sub.add_parser(
        "delete",
        parents=[base],
        help="delete a webhook by id",
        description="Delete a webhook. Asks first on a terminal; elsewhere needs --yes.",
    )
    delete.add_argument("id", metavar="ID")
    delete.add_argument("-y", "--yes", action="store_true", help="do not ask: delete")
    add_json_option(delete)
    add_api_options(delete)
    delete.set_defaults(handler=delete_command)


def _add_create(sub: Any, base: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("create", parents=[base], help="create a webhook")
    parser.add_argument("--name", required=True)
    parser.add_argument("--server-url", required=True, help="where the events are sent")
    parser.add_argument("--event", action="append", required=True, dest="events", **EVENT_ARGUMENT)
    parser.add_argument("--inactive", action="store_true", help="create it switched off")
    add_json_option(parser)
    add_api_options(parser)
    parser.set_defaults(handler=create_command)


def _add_update(sub: Any, base: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "update",
        parents=[base],
        help="change a webhook's fields",
        description="Change a webhook. The API has no 'get one webhook' endpoint, so the "
        "webhook is first found by listing, page by page, then PUT whole with the changes "
        "(fields this client does not know are sent back unchanged).",
    )
    parser.add_argument("id", metavar="ID")
    parser.add_argument("--name")
    parser.add_argument("--server-url")
    parser.add_argument(
        "--event",
        action="append",
        dest="events",
        **EVENT_ARGUMENT | {"help": "replaces all events; " + EVENT_ARGUMENT["help"]},
    )
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--active", action="store_true", default=None, dest="active")
    state.add_argument("--inactive", action="store_false", dest="active")
    add_json_option(parser)
    add_api_options(parser)
    parser.set_defaults(handler=update_command)


async def create_command(args: argparse.Namespace, console: Console) -> int:
    """Create one webhook and print it."""
    async with open_client(args) as client:
        with console.writing(f"the create of {args.name!r}", check_command(args)):
            webhook = await client.webhooks.create(
                name=args.name,
                server_url=args.server_url,
                events=unique(args.events) or [],
                active=not args.inactive,
            )
    if console.json:
        console.emit_json(wire(webhook))
    else:
        console.print(f"created {webhook_line(webhook)}")
    return 0


async def update_command(args: argparse.Namespace, console: Console) -> int:
    """Find the webhook by listing, then PUT it with the changes."""
    fields = {"name": args.name, "server_url": args.server_url, "events": unique(args.events)}
    changes: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if args.active is not None:
        changes["active"] = args.active
    if not changes:
        raise UsageError("nothing to update: give --name, --server-url, --event or --(in)active")
    async with open_client(args) as client:
        before = await find_webhook(client.webhooks.list(), args.id)
        with console.writing(f"the update of {args.id}", check_command(args)):
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
    """Delete one webhook by id, once confirmed."""
    async with open_client(args) as client:  # a missing key is said before the question
        await confirm(
            console,
            f"Delete webhook {args.id}? 1 webhook will be deleted; this cannot be undone.",
            yes=args.yes,
            refusal=f"refusing to delete 1 webhook ({args.id})",
        )
        with console.writing(f"the delete of {args.id}", check_command(args)):
            result = await client.webhooks.delete(args.id)
    if console.json:
        console.emit_json({"id": args.id, "success": result.success})
    else:
        console.print(f"deleted {args.id}")
    return 0
