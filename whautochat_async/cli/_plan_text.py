"""The sync plan and report as text: the full plan, its summary, the report, its JSON."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..sync import SyncAction, SyncOutcome, SyncReport
from ._output import events_text, yes_no

__all__ = ["format_plan", "format_report", "plan_summary", "report_json"]

_SIGNS = {SyncAction.CREATE: "+", SyncAction.UPDATE: "~", SyncAction.DELETE: "-"}
#: Items of each kind the plan summary shows before "... and N more".
SUMMARY_ITEMS = 3


def plan_summary(plan: Sequence[SyncOutcome], *, items: int = SUMMARY_ITEMS) -> str:
    """The counts, then the first few items of each kind, one line each."""
    counts = SyncReport(outcomes=tuple(plan), dry_run=True).summary(failed=False)
    writes = any(outcome.is_write for outcome in plan)
    lines = [f"plan: {counts}" if writes else f"plan: nothing to change ({len(plan)} unchanged)"]
    for action in _SIGNS:
        kind = [outcome for outcome in plan if outcome.action is action]
        for outcome in kind[:items]:
            changed = f": {', '.join(outcome.changes)}" if outcome.changes else ""
            lines.append(f"{_SIGNS[action]} {action.value:<7} {_title(outcome)}{changed}")
        if len(kind) > items:
            lines.append(f"  ... and {len(kind) - items} more to {action.value}")
    if writes:
        lines.append("(--verbose or --dry-run shows every change)")
    return "\n".join(lines)


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
