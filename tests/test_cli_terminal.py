"""The CLI as a process where the terminal matters: progress and questions on a
pseudo-terminal, and Ctrl-C in the middle of a write."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from whautochat_async import cli
from whautochat_async.cli._output import Console
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .test_cli import env
from .test_cli_processes import LEAK_SIGNS, WHAUTOCHAT, clean_env, whautochat

__all__ = ["env"]  # the fixture, shared with test_cli.py

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")


class Terminal:
    """A command whose stdin, stdout and stderr are one pseudo-terminal."""

    def __init__(self, process: asyncio.subprocess.Process, master: int) -> None:
        self.process, self.master = process, master
        self.output = ""

    async def expect(self, text: str) -> None:
        """Read until ``text`` has been shown."""
        async with asyncio.timeout(60):
            while text not in self.output:
                await self._read()

    def type(self, text: str) -> None:
        os.write(self.master, text.encode())

    async def finish(self) -> int:
        """Read to the end; the exit code."""
        async with asyncio.timeout(60):
            while await self._read():
                pass
            return await self.process.wait()

    async def _read(self) -> bool:
        loop = asyncio.get_running_loop()
        ready = asyncio.Event()
        loop.add_reader(self.master, ready.set)
        try:
            await ready.wait()
        finally:
            loop.remove_reader(self.master)
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the command has ended and closed the terminal
            return False
        self.output += chunk.decode()
        return bool(chunk)


@contextlib.asynccontextmanager
async def on_a_terminal(fake: FakeWhautoChat, *argv: str) -> AsyncIterator[Terminal]:
    master, slave = os.openpty()
    env = clean_env(WHAUTOCHAT_API_KEY=API_KEY, WHAUTOCHAT_BASE_URL=fake.url)
    try:
        process = await asyncio.create_subprocess_exec(
            *WHAUTOCHAT, *argv, env=env, stdin=slave, stdout=slave, stderr=slave
        )
    finally:
        os.close(slave)
    try:
        yield Terminal(process, master)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        os.close(master)


def spec_file(tmp_path: Path, hooks: list[dict[str, object]]) -> Path:
    path = tmp_path / "hooks.json"
    keys = ("name", "serverUrl", "events", "active")
    path.write_text(json.dumps([{key: hook[key] for key in keys} for hook in hooks]))
    return path


async def test_sync_draws_a_progress_line(fake: FakeWhautoChat, tmp_path: Path) -> None:
    hooks = fake.seed_webhooks(12)
    path = spec_file(tmp_path, [{**hook, "active": False} for hook in hooks])
    async with on_a_terminal(fake, "webhooks", "sync", str(path), "--concurrency", "2") as tty:
        assert await tty.finish() == 0
    assert "\rlisting: 12 webhooks so far" in tty.output
    assert "plan: 0 to create, 12 to update" in tty.output
    assert "\rapplying  1/12" in tty.output
    assert "\rapplying 12/12 - " in tty.output
    assert "/s" in tty.output.split("\rapplying 12/12")[1]
    assert tty.output.endswith("done: 0 created, 12 updated, 0 deleted, 0 unchanged, 0 failed\r\n")
    assert [hook["active"] for hook in fake.webhooks] == [False] * 12


async def test_export_counts_what_it_has_listed(fake: FakeWhautoChat, tmp_path: Path) -> None:
    fake.seed_webhooks(150)
    target = tmp_path / "hooks.toml"
    async with on_a_terminal(fake, "webhooks", "export", str(target)) as tty:
        assert await tty.finish() == 0
    assert "\rlisting: 100 webhooks so far\rlisting: 150 webhooks so far" in tty.output
    assert tty.output.endswith(f" \rexported 150 webhooks to {target}\r\n")  # a clean line


async def test_quiet_draws_no_progress(fake: FakeWhautoChat, tmp_path: Path) -> None:
    hooks = fake.seed_webhooks(12)
    path = spec_file(tmp_path, [{**hook, "active": False} for hook in hooks])
    async with on_a_terminal(fake, "webhooks", "sync", str(path), "--quiet") as tty:
        assert await tty.finish() == 0
    assert tty.output == "done: 0 created, 12 updated, 0 deleted, 0 unchanged, 0 failed\r\n"


@pytest.mark.parametrize(("answer", "code"), [("n", 1), ("", 1), ("y", 0)])
async def test_delete_asks_on_a_terminal(fake: FakeWhautoChat, answer: str, code: int) -> None:
    (hook,) = fake.seed_webhooks(1)
    async with on_a_terminal(fake, "webhooks", "delete", hook["id"]) as tty:
        await tty.expect("1 webhook will be deleted; this cannot be undone. [y/N] ")
        tty.type(answer + "\n")
        assert await tty.finish() == code
    assert fake.webhooks == ([] if answer == "y" else [hook])
    if code:
        assert "whautochat: error: not confirmed: nothing was changed" in tty.output


async def test_sync_prune_asks_before_any_write(fake: FakeWhautoChat, tmp_path: Path) -> None:
    hooks = fake.seed_webhooks(5)
    path = spec_file(tmp_path, [{**hooks[0], "active": False}])
    async with on_a_terminal(fake, "webhooks", "sync", str(path), "--prune") as tty:
        await tty.expect(f"Delete 4 webhooks not in {path}? This cannot be undone. [y/N] ")
        assert {request.method for request in fake.requests} == {"GET"}
        tty.type("y\n")
        assert await tty.finish() == 0
    assert [hook["name"] for hook in fake.webhooks] == ["webhook-0001"]
    assert "done: 0 created, 1 updated, 4 deleted" in tty.output


async def test_ctrl_c_during_create_says_it_may_have_happened(fake: FakeWhautoChat) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hold_the_create(request: web.Request) -> None:
        if request.method == "POST":
            arrived.set()
            await release.wait()

    fake.before_request.append(hold_the_create)
    env = clean_env(WHAUTOCHAT_API_KEY=API_KEY, WHAUTOCHAT_BASE_URL=fake.url)
    argv = ["--name=orders", "--server-url=https://a.io", "--event=contact_created"]
    process = await whautochat("webhooks", "create", *argv, env=env)
    try:
        await asyncio.wait_for(arrived.wait(), 60)
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        release.set()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert (process.returncode, out) == (130, b"")
    assert err.decode().splitlines() == [
        "whautochat: interrupted",
        "the create of 'orders' may have happened before the interrupt",
        "hint: check with `whautochat webhooks list --all` before running it again",
    ]
    assert not any(sign in err.decode() for sign in LEAK_SIGNS)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class PipeTerminal(io.TextIOWrapper):
    """A real file descriptor that says it is a terminal (the answer comes through a pipe)."""

    def isatty(self) -> bool:
        return True


async def delete_in_process(hook_id: str, answer: FakeTerminal | PipeTerminal) -> tuple[int, str]:
    err = FakeTerminal()
    console = Console(io.StringIO(), err, answer)
    code = await cli.run(["webhooks", "delete", hook_id], console=console)
    return code, err.getvalue()


async def test_the_question_in_process(env: FakeWhautoChat) -> None:
    first, second = env.seed_webhooks(2)
    code, err = await delete_in_process(first["id"], FakeTerminal("no\n"))
    assert code == 1
    assert err.endswith("[y/N] whautochat: error: not confirmed: nothing was changed\n")
    read_end, write_end = os.pipe()
    with PipeTerminal(os.fdopen(read_end, "rb")) as answer:
        os.write(write_end, b"YES\n")
        os.close(write_end)
        assert (await delete_in_process(first["id"], answer))[0] == 0
    assert env.webhooks == [second]
