"""``whautochat webhooks list | export`` (reading); the writes are in webhooks_write.py."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from ..models import WebhookSpec
from ..sync import dump_specs, spec_of
from . import webhooks_sync, webhooks_write
from ._common import CommandError, UsageError, help_handler, open_client
from ._options import add_api_options, positive_int
from ._output import Console, RowWriter
from ._progress import Tally, showing_waits

__all__ = ["register"]

#: What ``export`` writes, by the file's extension.
EXPORT_FORMATS = {".json": "json", ".toml": "toml"}


def register(commands: Any, base: argparse.ArgumentParser) -> None:
    """Add ``webhooks`` and its subcommands."""
    group = commands.add_parser(
        "webhooks", parents=[base], help="list, create, update, delete, export, sync"
    )
    group.set_defaults(handler=help_handler(group))
    sub = group.add_subparsers(dest="action", metavar="ACTION")
    _add_list(sub, base)
    webhooks_write.register(sub, base)
    export = sub.add_parser(
        "export",
        parents=[base],
        help="write every webhook as specs that sync can load",
        description="Write every webhook as specs that `webhooks sync` can load. The format "
        "follows FILE's extension (.json or .toml); without FILE, JSON on stdout.",
    )
    export.add_argument("file", nargs="?", metavar="FILE", help="a .json or .toml file")
    add_api_options(export)
    export.set_defaults(handler=export_command)
    webhooks_sync.register(sub, base)


def _add_list(sub: Any, base: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "list",
        parents=[base],
        help="list webhooks (one page, or --all)",
        description="List webhooks. Rows are printed as each page arrives.",
    )
    parser.add_argument("--limit", type=positive_int, metavar="N", help="per page (default 100)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--page", type=positive_int, default=1, metavar="N", help="the page to show (default 1)"
    )
    which.add_argument("--all", action="store_true", help="every page, one after the other")
    style = parser.add_mutually_exclusive_group()
    style.add_argument(
        "--json", action="store_true", help="a JSON array in the API's format, streamed"
    )
    style.add_argument("--jsonl", action="store_true", help="JSON Lines: one webhook a line")
    add_api_options(parser)
    parser.set_defaults(handler=list_command)


async def list_command(args: argparse.Namespace, console: Console) -> int:
    """Print one page, or every page with ``--all``, each as soon as it arrives."""
    writer = RowWriter(console, "json" if args.json else "jsonl" if args.jsonl else "table")
    # No count on stderr (the rows are the count): only rate-limit waits, wiped by the rows.
    waits = Tally(console.err, None, enabled=console.can_show_progress())
    full_page = False
    try:
        async with open_client(args) as client, showing_waits(waits):
            if args.all:
                # prefetch=1: the next page is on its way while this one is printed.
                async with client.webhooks.list(limit=args.limit, prefetch=1) as listing:
                    async for page in listing.pages():
                        waits.add(len(page))
                        writer.add(list(page))
            else:
                page = await client.webhooks.list(page=args.page, limit=args.limit)
                waits.add(len(page))
                writer.add(list(page))
                full_page = page.limit is not None and len(page) >= page.limit
    finally:
        waits.close()
    writer.close()
    if writer.style == "table":
        count = writer.count
        where = "in all" if args.all else f"on page {args.page}"
        console.note(f"{count} webhook{'s' * (count != 1)} {where}")
        if full_page:
            console.note(f"more may follow: --page {args.page + 1}, or --all")
    return 0


def export_format(file: str | None) -> str:
    """``json`` or ``toml`` from FILE's extension (stdout: JSON); any other is refused."""
    if file is None:
        return "json"
    suffix = Path(file).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise UsageError(f"cannot tell the format of {file!r}: export writes .json or .toml files")
    parent = Path(file).parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {file}: the directory {str(parent)!r} does not exist")
    return EXPORT_FORMATS[suffix]


async def export_command(args: argparse.Namespace, console: Console) -> int:
    """Write every webhook as a spec, to FILE (.json or .toml) or stdout (JSON)."""
    form = export_format(args.file)  # before any request: a bad name costs nothing
    tally = Tally(console.err, "listing", enabled=console.can_show_progress())
    specs: list[WebhookSpec] = []
    try:
        async with (
            open_client(args) as client,
            showing_waits(tally),
            client.webhooks.list(prefetch=1) as listing,
        ):
            async for page in listing.pages():
                specs.extend(spec_of(webhook) for webhook in page)
                tally.add(len(page))
    finally:
        tally.close()
    text = dump_specs(specs, toml=form == "toml")
    if args.file is None:
        console.out.write(text)
        console.out.flush()
        return 0
    try:
        await asyncio.to_thread(Path(args.file).write_text, text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot write {args.file}: {exc.strerror or exc}") from exc
    console.note(f"exported {len(specs)} webhooks to {args.file}")
    return 0
