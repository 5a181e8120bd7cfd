"""The command line as a real process, ``fake-server`` and ``demo`` end to end."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import time
from typing import Any

import pytest

from whautochat_async import WhautoChat, cli
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY

URL_LINE = re.compile(r"^Fake WhautoChat API on (http://127\.0\.0\.1:\d+) with (\d+) webhooks")
# What an unclean shutdown prints in development mode (-X dev).
LEAK_SIGNS = ("ResourceWarning", "Unclosed", "was destroyed but it is pending", "Traceback")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any WHAUTOCHAT_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHAUTOCHAT_")}
    return env | extra


#: The command line, run as a process (in development mode: leaks would show).
WHAUTOCHAT = (sys.executable, "-X", "dev", "-m", "whautochat_async")


async def whautochat(*argv: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *WHAUTOCHAT,
        *argv,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_command_in_a_subprocess(fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(3)
    env = clean_env(WHAUTOCHAT_API_KEY=API_KEY, WHAUTOCHAT_BASE_URL=fake.url)
    process = await whautochat("webhooks", "list", "--json", env=env)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err
    assert json.loads(out) == fake.webhooks
    assert not any(sign in err.decode() for sign in LEAK_SIGNS)


async def test_usage_error_in_a_subprocess() -> None:
    process = await whautochat("webhooks", "list", env=clean_env())
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert (process.returncode, out) == (2, b"")
    assert err.decode().splitlines() == [
        "whautochat: error: no API key: set the WHAUTOCHAT_API_KEY environment variable"
    ]


async def test_fake_server_process_serves_until_sigterm() -> None:
    argv = ("fake-server", "--port", "0", "--seed", "3", "--webhooks", "2")
    process = await whautochat(*argv, env=clean_env())
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        match = URL_LINE.match(line)
        assert match, line
        assert "(API key: test-key)" in line
        async with WhautoChat("test-key", base_url=match.group(1), environ={}) as client:
            page = await client.webhooks.list()
        assert [hook.name for hook in page] == ["webhook-0001", "webhook-0002"]
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert b"Try: WHAUTOCHAT_BASE_URL=" in out
    assert err.decode() == "fake server stopped\n"


async def until_serving(capsys: Any) -> str:
    """The URL the in-process fake server printed once it was listening."""
    output = ""
    for _ in range(500):
        await asyncio.sleep(0.01)
        output += capsys.readouterr().out
        match = URL_LINE.match(output)
        if match:
            return match.group(1)
    raise AssertionError(f"the fake server did not start: {output!r}")


async def test_fake_server_in_process_stops_when_cancelled(capsys: Any) -> None:
    task = asyncio.create_task(cli.run(["fake-server", "--port", "0", "--webhooks", "1"]))
    url = await until_serving(capsys)
    async with WhautoChat("test-key", base_url=url, environ={}) as client:
        assert len(await client.webhooks.list()) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert asyncio.all_tasks() == {asyncio.current_task()}
    # The signal handlers it installed are gone again.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


async def test_fake_server_in_process_stops_on_sigterm(capsys: Any) -> None:
    task = asyncio.create_task(cli.run(["fake-server", "--port", "0"]))
    await until_serving(capsys)  # (a signal amid asyncio's create_server would leak its socket)
    assert signal.getsignal(signal.SIGTERM) != signal.SIG_DFL  # else the signal would kill us
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 10) == 0
    assert capsys.readouterr().err == "fake server stopped\n"


async def test_demo_in_process(capsys: Any) -> None:
    assert await cli.run(["demo"]) == 0
    out = capsys.readouterr().out
    titles = [line for line in out.splitlines() if re.match(r"^\d+\. ", line)]
    assert [title.split(":")[0] for title in titles] == [
        "1. Open one client for the whole program",
        "2. Create a webhook",
        "3. List one page (one request)",
        "4. Stream every webhook, page after page, with async for",
        "5. Update it",
        "6. Sync, dry run first",
        "7. Sync for real",
        "8. Delete a webhook",
    ]
    assert "   dry run, nothing written: 1 to create, 1 to update, 3 to delete" in out
    assert "   done: 1 created, 1 updated, 3 deleted, 1 unchanged, 0 failed" in out
    assert "   5 webhooks in 3 requests of up to 2" in out
    # Step 8 deletes the hook its code names: `hook`, the 'orders' webhook of step 2.
    step_8 = out.split("8. Delete a webhook")[1].splitlines()
    assert step_8[1] == '   >>> await client.webhooks.delete(hook)  # or delete("wh_...")'
    assert re.fullmatch(r"   deleted wh_\w+ \('orders'\)", step_8[2])
    assert out.splitlines()[-1] == "Done: the fake API answered 16 requests."
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_demo_is_deterministic(capsys: Any) -> None:
    await cli.run(["demo", "--seed", "11"])
    first = capsys.readouterr().out
    await cli.run(["demo", "--seed", "11"])
    second = capsys.readouterr().out
    port = re.compile(r"127\.0\.0\.1:\d+")
    assert port.sub("PORT", first) == port.sub("PORT", second)


async def test_demo_needs_no_account_and_is_fast() -> None:
    started = time.monotonic()
    process = await whautochat("demo", env=clean_env(no_proxy="*"))
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err
    assert time.monotonic() - started < 15  # a few seconds at most, interpreter start included
    assert out.decode().splitlines()[-1] == "Done: the fake API answered 16 requests."
    assert not any(sign in err.decode() for sign in LEAK_SIGNS), err
