"""``whautochat webhooks sync FILE``: plan, show it, confirm deletes, apply, report."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from ..client import WhautoChat
from ..errors import InvalidInputError
from ..models import Webhook, WebhookSpec
from ..resources.webhooks import Webhooks
from ..sync import (
    KEY_FIELDS,
    SyncAction,
    SyncOutcome,
    SyncReport,
    apply_plan,
    load_specs,
    plan_webhooks,
)
from ._common import UsageError, confirm, open_client
from ._errors import check_command
from ._options import add_api_options, add_json_option, positive_int
from ._output import Console
from ._plan_text import format_plan, format_report, plan_summary, report_json
from ._progress import Progress, Tally, showing_waits, ticking

__all__ = ["register", "run_sync"]


def register(sub: Any, base: argparse.ArgumentParser) -> None:
    """Add ``webhooks sync``."""
    parser = sub.add_parser(
        "sync",
        parents=[base],
        help="make the webhooks match a spec file",
        description="Make the webhooks match FILE (.json or .toml, as written by export): "
        "list them once, show the plan, then create, update and (with --prune) delete. "
        "Deleting asks first on a terminal; elsewhere it needs --yes.",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--prune", action="store_true", help="delete webhooks not in FILE")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument("-y", "--yes", action="store_true", help="delete without asking")
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=4,
        metavar="N",
        help="writes at once (default 4)",
    )
    parser.add_argument("--key", choices=KEY_FIELDS, default="name", help="match on (default name)")
    talk = parser.add_mutually_exclusive_group()
    talk.add_argument("-q", "--quiet", action="store_true", help="only the final summary")
    talk.add_argument("-v", "--verbose", action="store_true", help="the full plan, every change")
    add_json_option(parser, help="the report as JSON for scripts")
    add_api_options(parser)
    parser.set_defaults(handler=sync_command)


async def sync_command(args: argparse.Namespace, console: Console) -> int:
    """Load FILE, then plan and apply; exit 1 if any item failed."""
    specs = await asyncio.to_thread(load_specs, args.file)
    if args.prune and not specs:
        raise UsageError(f"{args.file} holds no webhook: refusing to --prune every webhook")
    async with open_client(args) as client:
        try:
            report = await run_sync(client, specs, console, args)
        except InvalidInputError as exc:  # a spec the plan refused (an unknown event)
            raise InvalidInputError(f"{args.file}: {exc}") from exc
    return 0 if report.ok else 1


async def run_sync(
    client: WhautoChat, specs: Sequence[WebhookSpec], console: Console, args: argparse.Namespace
) -> SyncReport:
    """List, show the plan, confirm deletes, apply it with progress, print the report."""
    tally = Tally(console.err, "listing", enabled=console.can_show_progress() and not args.quiet)
    try:
        target = _TalliedListing(client.webhooks, tally)
        async with showing_waits(tally):
            plan = await plan_webhooks(target, specs, key=args.key, prune=args.prune)
    finally:
        tally.close()
    if not (console.json or args.quiet):
        full = args.verbose or args.dry_run
        console.print(format_plan(plan) if full else plan_summary(plan))
    if args.dry_run:
        report = SyncReport(outcomes=plan, dry_run=True)
    else:
        deletes = sum(1 for outcome in plan if outcome.action is SyncAction.DELETE)
        if deletes:
            noun = f"{deletes} webhook{'s' * (deletes != 1)}"
            await confirm(
                console,
                f"Delete {noun} not in {args.file}? This cannot be undone.",
                yes=args.yes,
                refusal=f"refusing to delete {noun} not in {args.file}",
            )
        report = await _apply(client, plan, console, args)
    if console.json:
        console.emit_json(report_json(report))
    else:
        console.print(format_report(report))
    return report


async def _apply(
    client: WhautoChat,
    plan: Sequence[SyncOutcome],
    console: Console,
    args: argparse.Namespace,
) -> SyncReport:
    """Apply ``plan`` with a progress line; an interrupt says how to see what is left."""
    total = sum(1 for outcome in plan if outcome.is_write)
    enabled = console.can_show_progress() and not args.quiet
    progress = Progress(console.err, total, enabled=enabled, limiter=client.rate_limiter)
    check = ["webhooks", "sync", args.file, "--dry-run"]
    check += ["--prune"] * args.prune + (["--key", args.key] if args.key != "name" else [])
    try:
        async with ticking(progress):
            with console.writing(
                lambda: f"{progress.done} of {total} writes were done; any of the others",
                check_command(args, check),
            ):
                return await apply_plan(
                    client.webhooks,
                    plan,
                    concurrency=args.concurrency,
                    on_progress=progress,
                    on_wait=progress.waiting,
                )
    finally:
        progress.close()


class _TalliedListing:
    """The client's webhooks, whose ``list()`` walks page by page counting on ``tally``."""

    def __init__(self, webhooks: Webhooks, tally: Tally) -> None:
        self._webhooks, self._tally = webhooks, tally
        self.create, self.update, self.delete = webhooks.create, webhooks.update, webhooks.delete

    async def list(self) -> AsyncIterator[Webhook]:
        """Every webhook; the next page is fetched while this one is planned."""
        async with self._webhooks.list(prefetch=1) as listing:
            async for page in listing.pages():
                self._tally.add(len(page))
                for webhook in page:
                    yield webhook
