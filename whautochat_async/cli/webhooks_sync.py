"""``whautochat webhooks sync FILE``: show the plan as a diff, apply it, print the report."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from ..client import WhautoChat
from ..errors import InvalidInputError
from ..models import WebhookSpec
from ..specs import load_specs
from ..sync import KEY_FIELDS, SyncAction, SyncOutcome, SyncReport, apply_plan, plan_webhooks
from ._common import UsageError, open_client
from ._output import Console, Progress, events_text, yes_no

__all__ = ["format_plan", "register", "report_json", "run_sync"]

_SIGNS = {SyncAction.CREATE: "+", SyncAction.UPDATE: "~", SyncAction.DELETE: "-"}


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``webhooks sync``."""
    parser = sub.add_parser(
        "sync",
        parents=[common],
        help="make the webhooks match a spec file",
        description="Make the webhooks match FILE (.json or .toml, as written by export): "
        "list them once, print the plan, then create, update and (with --prune) delete.",
    )
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--prune", action="store_true", help="delete webhooks not in FILE")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    parser.add_argument(
        "--concurrency", type=int, default=4, metavar="N", help="writes at once (default 4)"
    )
    parser.add_argument("--key", choices=KEY_FIELDS, default="name", help="match on (default name)")
    parser.set_defaults(handler=sync_command)


async def sync_command(args: argparse.Namespace, console: Console) -> int:
    """Load FILE, then plan and apply; exit 1 if any item failed."""
    specs = await asyncio.to_thread(load_specs, args.file)
    if args.prune and not specs:
        raise UsageError(f"{args.file} holds no webhook: refusing to --prune every webhook")
    if args.concurrency < 1:
        raise UsageError(f"--concurrency must be >= 1, got {args.concurrency}")
    async with open_client(args) as client:
        try:
            report = await run_sync(
                client,
                specs,
                console,
                key=args.key,
                prune=args.prune,
                dry_run=args.dry_run,
                concurrency=args.concurrency,
            )
        except InvalidInputError as exc:  # a spec the plan refused (an unknown event)
            raise InvalidInputError(f"{args.file}: {exc}") from exc
    return 0 if report.ok else 1


async def run_sync(
    client: WhautoChat,
    specs: Sequence[WebhookSpec],
    console: Console,
    *,
    key: str = "name",
    prune: bool = False,
    dry_run: bool = False,
    concurrency: int = 4,
) -> SyncReport:
    """List, print the plan, apply it with a progress line, print the report."""
    plan = await plan_webhooks(client.webhooks, specs, key=key, prune=prune)
    if not console.json:
        console.print(format_plan(plan))
    if dry_run:
        report = SyncReport(outcomes=plan, dry_run=True)
    else:
        progress = Progress(console.err, sum(1 for outcome in plan if outcome.is_write))
        try:
            report = await apply_plan(
                client.webhooks, plan, concurrency=concurrency, on_progress=progress
            )
        finally:
            progress.close()
    if console.json:
        console.emit_json(report_json(report))
    else:
        console.print(format_report(report))
    return report


def format_plan(plan: Iterable[SyncOutcome]) -> str:
    """The plan as a readable diff: ``+`` create, ``~`` update, ``-`` delete."""
    lines: list[str] = []
    unchanged = 0
    for outcome in plan:
        if outcome.action is SyncAction.UNCHANGED:
            unchanged += 1
            continue
        lines.append(f"{_SIGNS[outcome.action]} {outcome.action.value:<7} {_title(outcome)}")
        lines.extend(f"      {line}" for line in _details(outcome))
    if unchanged or not lines:
        lines.append(f"= {unchanged} unchanged")
    return "\n".join(lines)


def _title(outcome: SyncOutcome) -> str:
    webhook_id = outcome.webhook_id
    return f"{outcome.key!r}" + ("" if webhook_id is None else f" ({webhook_id})")


def _details(outcome: SyncOutcome) -> list[str]:
    spec, current = outcome.spec, outcome.current
    if outcome.action is SyncAction.CREATE and spec is not None:
        return [
            f"name:       {spec.name}",
            f"server_url: {spec.server_url}",
            f"events:     {events_text(spec.events)}",
            f"active:     {yes_no(spec.active)}",
        ]
    if outcome.action is SyncAction.UPDATE and current is not None:
        return [_change(field, current, value) for field, value in outcome.changes.items()]
    return []


def _change(field: str, current: Any, value: Any) -> str:
    label = f"{field}:".ljust(11)
    if field == "events":
        old, new = {str(e) for e in current.events}, [str(e) for e in value]
        added = [f"+{event}" for event in new if event not in old]
        removed = [f"-{event}" for event in map(str, current.events) if event not in new]
        return f"{label} {' '.join(added + removed)}"
    if field == "active":
        return f"{label} {yes_no(current.active)} -> {yes_no(value)}"
    return f"{label} {getattr(current, field)} -> {value}"


def format_report(report: SyncReport) -> str:
    """The failures, one line each, then the summary."""
    lines = [
        f"! {outcome.action.value} {outcome.key!r} failed: {_one_line(outcome.error)}"
        for outcome in report.failures
    ]
    prefix = "dry run, nothing written: " if report.dry_run else "done: "
    return "\n".join([*lines, prefix + report.summary()])


def report_json(report: SyncReport) -> dict[str, Any]:
    """The report as JSON-ready data."""
    return {
        "dry_run": report.dry_run,
        "ok": report.ok,
        "summary": report.summary(),
        "counts": {action.value: count for action, count in report.counts.items()},
        "failed": len(report.failures),
        "outcomes": [_outcome_json(outcome) for outcome in report.outcomes],
    }


def _outcome_json(outcome: SyncOutcome) -> dict[str, Any]:
    changes = {field: _plain(value) for field, value in outcome.changes.items()}
    return {
        "action": outcome.action.value,
        "key": outcome.key,
        "id": outcome.webhook_id,
        "ok": outcome.ok,
        "changes": changes,
        "error": None if outcome.error is None else _one_line(outcome.error),
    }


def _plain(value: Any) -> Any:
    return [str(event) for event in value] if isinstance(value, tuple) else value


def _one_line(error: BaseException | None) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return f"{type(error).__name__}: {text}"
