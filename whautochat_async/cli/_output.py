"""What the command line prints: tables and lines for people, JSON for scripts.

Results go to stdout, flushed as they come (so ``| head`` and ``| jq`` see rows as pages
arrive); messages, prompts and progress go to stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TextIO

from ..converters import shared_converter
from ..models import Event, Webhook

__all__ = ["Console", "RowWriter", "events_text", "table", "webhook_line", "wire", "yes_no"]


WEBHOOK_HEADERS = ("ID", "NAME", "ACTIVE", "EVENTS", "SERVER URL")


class Console:
    """Where output goes: results to ``out``, messages and progress to ``err``, answers
    from ``inp``; ``unsettled`` holds the writes under way (see ``writing``)."""

    def __init__(self, out: TextIO, err: TextIO, inp: TextIO | None = None) -> None:
        self.out, self.err = out, err
        self.inp = inp if inp is not None else io.StringIO()
        self.json = False  # set from --json once the arguments are parsed
        self.unsettled: list[tuple[str | Callable[[], str], str]] = []

    def print(self, text: str = "") -> None:
        """A line of the command's result, flushed at once."""
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        """A message beside the result (on stderr, so ``--json`` output stays clean)."""
        print(text, file=self.err, flush=True)

    def emit_json(self, data: Any) -> None:
        """``data`` as indented JSON on stdout."""
        self.out.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")
        self.out.flush()

    def can_show_progress(self) -> bool:
        """Whether to draw progress: stderr is a terminal (so it does not pollute a log)."""
        return _isatty(self.err)

    def can_prompt(self) -> bool:
        """Whether a person can answer a question: stdin and stderr are terminals."""
        return _isatty(self.inp) and _isatty(self.err)

    @contextlib.contextmanager
    def writing(self, what: str | Callable[[], str], check: str) -> Iterator[None]:
        """Mark a write as under way: ``what`` may have happened if interrupted, ``check``
        is the command that shows whether it did. An interrupt leaves it marked."""
        entry = (what, check)
        self.unsettled.append(entry)
        try:
            yield
        except BaseException as exc:
            if not isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
                self.unsettled.remove(entry)  # the error says what happened
            raise
        self.unsettled.remove(entry)

    def report_unsettled(self) -> None:
        """Say which writes an interrupt may have left done, and how to check."""
        for what, check in self.unsettled:
            self.note(
                f"{what() if callable(what) else what} may have happened before the interrupt"
            )
            self.note(f"hint: check with `{check}` before running it again")


def _isatty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return callable(isatty) and bool(isatty())


class RowWriter:
    """Webhooks written as they arrive: table rows, a JSON array, or JSON Lines."""

    def __init__(self, console: Console, style: str) -> None:
        self.console, self.style = console, style
        self.count = 0
        self._widths: list[int] | None = None

    def add(self, webhooks: Sequence[Webhook]) -> None:
        """Write one batch (a page) and flush it."""
        if self.style == "table":
            self._table_rows(webhooks)
            self.count += len(webhooks)
        else:
            for webhook in webhooks:
                self._json_item(webhook)
                self.count += 1  # after each item: the next one's separator depends on it
        self.console.out.flush()

    def close(self) -> None:
        """End the output (the closing bracket of a JSON array)."""
        if self.style == "json":
            self.console.out.write("[]\n" if not self.count else "\n]\n")
            self.console.out.flush()

    def _json_item(self, webhook: Webhook) -> None:
        if self.style == "jsonl":
            self.console.out.write(json.dumps(wire(webhook), ensure_ascii=False) + "\n")
            return
        text = json.dumps(wire(webhook), indent=2, ensure_ascii=False)
        lead = "[\n" if not self.count else ",\n"
        self.console.out.write(lead + "\n".join(f"  {line}" for line in text.splitlines()))

    def _table_rows(self, webhooks: Sequence[Webhook]) -> None:
        if not webhooks:
            return
        rows = [webhook_row(hook) for hook in webhooks]
        if self._widths is None:
            # The first page sets the columns; a later, wider cell just pushes its row right.
            self._widths = column_widths(WEBHOOK_HEADERS, rows)
            rows.insert(0, list(WEBHOOK_HEADERS))
        for row in rows:
            self.console.out.write(format_row(row, self._widths) + "\n")


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


def webhook_row(hook: Webhook) -> list[str]:
    """The cells of a webhook's table row."""
    return [hook.id, hook.name, yes_no(hook.active), _events_cell(hook.events), hook.server_url]


def webhook_table(webhooks: Sequence[Webhook]) -> str:
    """The webhooks as a table with a header row."""
    return table(WEBHOOK_HEADERS, [webhook_row(hook) for hook in webhooks])


def _events_cell(events: Sequence[Event]) -> str:
    if len(events) <= 1:
        return events_text(events)
    return f"{events[0]} +{len(events) - 1}"


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    """The width of each column: its widest cell."""
    return [max([len(header), *(len(row[i]) for row in rows)]) for i, header in enumerate(headers)]


def format_row(row: Sequence[str], widths: Sequence[int]) -> str:
    """Left-aligned cells two spaces apart."""
    return "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns two spaces apart."""
    widths = column_widths(headers, rows)
    return "\n".join(format_row(row, widths) for row in [headers, *rows])
