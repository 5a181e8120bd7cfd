"""``whautochat completion`` and the ``fake-server`` flags for the slow paths."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import aiohttp
import pytest

from whautochat_async import cli

from .test_cli import run
from .test_cli_processes import until_serving


@pytest.mark.parametrize(
    ("shell", "sign"),
    [("bash", "complete -o"), ("zsh", "#compdef whautochat"), ("fish", "complete -c whautochat")],
)
async def test_completion_scripts(capsys: Any, shell: str, sign: str) -> None:
    code, out, err = await run(capsys, "completion", shell)
    assert (code, err) == (0, "")
    assert sign in out
    for word in ("webhooks", "fake-server", "allow-insecure-http", "contact_tag_added"):
        assert word in out, word


async def test_completion_completes_files_for_sync(capsys: Any) -> None:
    _, out, _ = await run(capsys, "completion", "bash")
    assert "_shtab_compgen_files" in out


async def test_completion_without_shtab_says_how_to_get_it(
    capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "shtab", None)  # what a plain install has
    code, out, err = await run(capsys, "completion", "zsh")
    assert (code, out) == (1, "")
    assert err == (
        "whautochat: error: shell completion needs the shtab package: "
        "pip install 'whautochat-async[cli]'\n"
    )
    code, _, err = await run(capsys, "completion", "powershell")
    assert code == 2
    assert "invalid choice" in err


async def test_fake_server_flags(capsys: Any) -> None:
    argv = ["fake-server", "--port", "0", "--webhooks", "5", "--max-page-size", "2"]
    task = asyncio.create_task(cli.run([*argv, "--rate-limit", "3/60", "--latency", "0.01"]))
    try:
        url = await until_serving(capsys)
        async with aiohttp.ClientSession(headers={"x-api-key": "test-key"}) as http:
            # Plain requests: the client's own limiter would wait instead of meeting the 429.
            statuses, sizes = [], []
            for page in (1, 2, 3, 3):
                async with http.get(f"{url}/v1/webhooks?page={page}&limit=100") as answer:
                    statuses.append(answer.status)
                    sizes.append(len(await answer.json()) if answer.status == 200 else None)
        assert statuses == [200, 200, 200, 429]  # three requests a minute
        assert sizes == [2, 2, 1, None]  # five webhooks, two a page
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.parametrize(
    "flag",
    [
        ["--rate-limit", "0"],
        ["--rate-limit", "3/0"],
        ["--rate-limit", "x/1"],
        ["--latency", "-1"],
        ["--latency", "soon"],
        ["--latency", "nan"],
        ["--max-page-size", "0"],
        ["--webhooks", "-1"],
        ["--port", "-1"],
    ],
)
async def test_fake_server_refuses_bad_flags(capsys: Any, flag: list[str]) -> None:
    code, out, err = await run(capsys, "fake-server", *flag)
    assert (code, out) == (2, "")
    assert f"argument {flag[0]}" in err
