"""Rate-limit waits shown on a terminal by the reading commands, and the sync's estimate
reading the client's limiter (in-process, stderr a fake terminal)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from whautochat_async import cli
from whautochat_async.cli import _common, webhooks_sync
from whautochat_async.cli._output import Console
from whautochat_async.ratelimit import SlidingWindowRateLimiter, notify_wait
from whautochat_async.testing import FakeWhautoChat

from .test_cli import env

__all__ = ["env"]  # the fixture, shared with test_cli.py

WAIT = "waiting for rate limit (40 s)"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class AnnouncingLimiter:
    """A limiter that grants at once, but first says the first call waits 40 s."""

    def __init__(self) -> None:
        self.told = False

    async def acquire(self) -> None:
        if not self.told:
            self.told = True
            notify_wait(40.0, ahead=0)

    def release(self, *, sent: bool) -> None:
        pass

    async def pause(self, seconds: float) -> None:
        pass


@pytest.fixture
def announcing(monkeypatch: pytest.MonkeyPatch) -> AnnouncingLimiter:
    """The commands' client gets a limiter that announces one 40 s wait."""
    limiter = AnnouncingLimiter()
    monkeypatch.setattr(_common, "RateLimit", lambda: limiter)
    return limiter


async def run_on(err: io.StringIO, *argv: str) -> tuple[int, str, str]:
    out = io.StringIO()
    code = await cli.run(list(argv), console=Console(out, err))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "after"),
    [
        (["webhooks", "list"], "3 webhooks on page 1\n"),
        (["webhooks", "list", "--all", "--jsonl"], ""),
        (["webhooks", "list", "--all", "--limit", "2"], "3 webhooks in all\n"),
    ],
)
async def test_list_shows_a_wait_on_a_terminal_and_wipes_it_for_the_rows(
    env: FakeWhautoChat, announcing: AnnouncingLimiter, argv: list[str], after: str
) -> None:
    env.seed_webhooks(3)
    code, out, err = await run_on(FakeTerminal(), *argv)
    assert code == 0
    assert announcing.told
    blank = " " * len(WAIT)
    assert err == f"\r{WAIT}\r{blank}\r{after}"
    assert "waiting" not in out
    assert "webhook-0003" in out


async def test_export_and_sync_show_a_wait_beside_their_count(
    env: FakeWhautoChat, announcing: AnnouncingLimiter, tmp_path: Path
) -> None:
    hooks = env.seed_webhooks(3)
    code, out, err = await run_on(FakeTerminal(), "webhooks", "export")
    assert code == 0
    assert [spec["name"] for spec in json.loads(out)] == [hook["name"] for hook in hooks]
    counts = f"\rlisting: 0 webhooks so far - {WAIT}\rlisting: 3 webhooks so far"
    assert err.startswith(counts)
    path = tmp_path / "hooks.json"
    path.write_text(out)
    announcing.told = False
    code, _, err = await run_on(FakeTerminal(), "webhooks", "sync", str(path))
    assert code == 0
    assert err.startswith(counts)  # the sync's listing, before its plan


@pytest.mark.parametrize(
    "argv", [["webhooks", "list"], ["webhooks", "list", "--all"], ["webhooks", "export"]]
)
async def test_no_wait_is_shown_off_a_terminal(
    env: FakeWhautoChat, announcing: AnnouncingLimiter, argv: list[str]
) -> None:
    env.seed_webhooks(3)
    code, out, err = await run_on(io.StringIO(), *argv)
    assert code == 0
    assert announcing.told
    assert "waiting" not in out + err


async def test_the_sync_estimate_reads_the_clients_limiter(
    env: FakeWhautoChat, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    given: list[object] = []
    progress = webhooks_sync.Progress

    def spy(*args: Any, **options: Any) -> Any:
        given.append(options.get("limiter"))
        return progress(*args, **options)

    monkeypatch.setattr(webhooks_sync, "Progress", spy)
    path = tmp_path / "hooks.json"
    path.write_text(
        json.dumps([{"name": "a", "serverUrl": "https://a.io", "events": ["contact_created"]}])
    )
    code, _, _ = await run_on(io.StringIO(), "webhooks", "sync", str(path))
    assert code == 0
    assert len(given) == 1
    assert isinstance(given[0], SlidingWindowRateLimiter)
    assert (given[0].requests, given[0].per) == (100, 60.0)


async def test_sync_quiet_shows_no_wait_even_on_a_terminal(
    env: FakeWhautoChat, announcing: AnnouncingLimiter, tmp_path: Path
) -> None:
    env.seed_webhooks(3)
    path = tmp_path / "hooks.json"
    spec = {"name": "webhook-0001", "serverUrl": "https://a.io", "events": ["contact_created"]}
    path.write_text(json.dumps([spec]))
    code, out, err = await run_on(FakeTerminal(), "webhooks", "sync", str(path), "--quiet")
    assert code == 0
    assert announcing.told
    assert "waiting" not in out + err
    assert out == "done: 0 created, 1 updated, 0 deleted, 0 unchanged, 0 failed\n"
