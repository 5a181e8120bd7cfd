"""What the command line prints: tables and lines for people, JSON for scripts, progress."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from ..converters import shared_converter
from ..models import Event, Webhook

__all__ = ["Console", "Progress", "events_text", "table", "webhook_line", "wire"]

#: A sync with at least this many writes shows a progress line (on a terminal only).
PROGRESS_THRESHOLD = 10


class Console:
    """Where output goes: results to ``out``, messages and progress to ``err``."""

    def __init__(self, out: TextIO, err: TextIO, *, json_output: bool = False) -> None:
        self.out, self.err = out, err
        self.json = json_output

    def print(self, text: str = "") -> None:
        """A line of the command's result."""
        print(text, file=self.out)

    def note(self, text: str) -> None:
        """A message beside the result (on stderr, so ``--json`` output stays clean)."""
        print(text, file=self.err)

    def emit_json(self, data: Any) -> None:
        """``data`` as indented JSON on stdout."""
        self.out.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def wire(webhook: Webhook) -> dict[str, Any]:
    """A webhook as the API sends it (camelCase, unknown fields included)."""
    data: dict[str, Any] = shared_converter().unstructure(webhook)
    return data


def events_text(events: Sequence[Event]) -> str:
    """``a, b, c`` for a list of events."""
    return ", ".join(str(event) for event in events)


def yes_no(value: bool) -> str:
    """``yes`` or ``no``."""
    return "yes" if value else "no"


def webhook_line(webhook: Webhook) -> str:
    """One readable line: id, quoted name, URL, state and events."""
    state = "active" if webhook.active else "inactive"
    return (
        f"{webhook.id}  {webhook.name!r} -> {webhook.server_url}  "
        f"({state}; {events_text(webhook.events)})"
    )


def webhook_table(webhooks: Sequence[Webhook]) -> str:
    """The webhooks as a table with a header row."""
    rows = [
        [hook.id, hook.name, yes_no(hook.active), _events_cell(hook.events), hook.server_url]
        for hook in webhooks
    ]
    return table(["ID", "NAME", "ACTIVE", "EVENTS", "SERVER URL"], rows)


def _events_cell(events: Sequence[Event]) -> str:
    if len(events) <= 1:
        return events_text(events)
    return f"{events[0]} +{len(events) - 1}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart."""
    widths = [
        max([len(header), *(len(row[i]) for row in rows)]) for i, header in enumerate(headers)
    ]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


class Progress:
    """An ``on_progress`` callback drawing one updating line on a terminal, else nothing."""

    def __init__(self, stream: TextIO, total: int, *, label: str = "applying") -> None:
        isatty = getattr(stream, "isatty", None)
        self.enabled = total >= PROGRESS_THRESHOLD and callable(isatty) and bool(isatty())
        self.stream, self.label = stream, label
        self.failed = 0
        self._drawn = False

    def __call__(self, done: int, total: int, outcome: Any) -> None:
        if not getattr(outcome, "ok", True):
            self.failed += 1
        if not self.enabled:
            return
        width = len(str(total))
        failed = f", {self.failed} failed" if self.failed else ""
        self.stream.write(f"\r{self.label} {done:>{width}}/{total}{failed}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the progress line, if one was drawn."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
