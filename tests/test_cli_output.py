"""Output that streams: rows as pages arrive, and a closed stdout (``| head``) ends quietly."""

from __future__ import annotations

import asyncio
import io
import json
import os
from typing import Any

from aiohttp import web

from whautochat_async import cli
from whautochat_async.cli import CLOSED_PIPE_EXIT
from whautochat_async.cli._output import Console
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .test_cli import env, run
from .test_cli_processes import WHAUTOCHAT, clean_env

__all__ = ["env"]  # the fixture, shared with test_cli.py


async def test_rows_are_printed_as_pages_arrive(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(6)
    printed_before_page_3: list[str] = []

    def watch(request: web.Request) -> None:
        if request.query.get("page") == "3":  # (page 2 may be prefetched before page 1 prints)
            printed_before_page_3.append(capsys.readouterr().out)

    env.before_request.append(watch)
    code, out, _ = await run(capsys, "webhooks", "list", "--all", "--limit", "2")
    assert code == 0
    (early,) = printed_before_page_3
    assert early.splitlines()[0].split()[:2] == ["ID", "NAME"]
    assert "webhook-0001" in early
    assert "webhook-0006" in out


async def test_json_and_json_lines_stream_the_wire_format(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(5, extra={"team": {"id": 7}})
    code, out, err = await run(capsys, "webhooks", "list", "--all", "--limit", "2", "--jsonl")
    assert (code, err) == (0, "")
    assert [json.loads(line) for line in out.splitlines()] == env.webhooks
    code, out, _ = await run(capsys, "webhooks", "list", "--all", "--limit", "2", "--json")
    assert json.loads(out) == env.webhooks
    env.webhooks = []
    assert await run(capsys, "webhooks", "list", "--all", "--json") == (0, "[]\n", "")


async def test_the_first_page_sets_the_columns(env: FakeWhautoChat, capsys: Any) -> None:
    env.add_webhook(name="a")
    env.add_webhook(name="a-much-longer-name")
    code, out, _ = await run(capsys, "webhooks", "list", "--all", "--limit", "1")
    assert code == 0
    header, first, second = out.splitlines()
    assert header.index("ACTIVE") == first.index("yes")
    assert second.index("yes") > header.index("ACTIVE")  # a wider cell pushes its row right


class ClosedPipe(io.StringIO):
    """A stdout whose reader has gone after ``room`` characters."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def write(self, text: str) -> int:
        if self.tell() + len(text) > self.room:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


async def test_a_closed_stdout_ends_quietly_in_process(env: FakeWhautoChat) -> None:
    env.seed_webhooks(300)
    out, err = ClosedPipe(200), io.StringIO()
    code = await cli.run(["webhooks", "list", "--all", "--jsonl"], console=Console(out, err))
    assert (code, err.getvalue()) == (CLOSED_PIPE_EXIT, "")
    assert env.request_count <= 2  # it stopped at the first page it could not print


async def test_a_closed_stdout_ends_quietly_in_a_process(fake: FakeWhautoChat) -> None:
    """``whautochat webhooks list --all | head -1``: exit 141 as SIGPIPE gives, no message."""
    fake.seed_webhooks(400)
    env = clean_env(WHAUTOCHAT_API_KEY=API_KEY, WHAUTOCHAT_BASE_URL=fake.url)
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as head:  # reads one line, then goes away
        try:
            process = await asyncio.create_subprocess_exec(
                *WHAUTOCHAT,
                *("webhooks", "list", "--all", "--limit", "50"),
                env=env,
                stdout=write_end,
                stderr=asyncio.subprocess.PIPE,
            )
        finally:
            os.close(write_end)  # the child has its own copy
        first = await asyncio.to_thread(head.readline)
    assert first.split()[:2] == [b"ID", b"NAME"]
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert (process.returncode, err.decode()) == (CLOSED_PIPE_EXIT, "")
