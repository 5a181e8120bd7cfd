"""The ``whautochat`` entry points: help, usage errors, version, ``main()`` and Ctrl-C."""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
from importlib.metadata import entry_points
from typing import Any

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook

from whautochat_async import cli
from whautochat_async.testing import FakeWhautoChat

from .test_cli import env, run

__all__ = ["env"]  # the fixture, shared with test_cli.py


@pytest.mark.parametrize(
    "argv",
    [
        ["webhooks", "list", "--page", "0"],
        ["webhooks", "list", "--limit", "ten"],
        ["webhooks", "list", "--page", "2", "--all"],
        ["webhooks", "create", "--name", "a"],
        ["webhooks", "update", "wh_1", "--active", "--inactive"],
        ["nope"],
        ["fake-server", "--port", "99999"],
        ["fake-server", "--json"],
        ["demo", "--base-url", "http://127.0.0.1:1"],
        ["webhooks", "export", "--json"],
        ["--json", "webhooks", "list"],
        ["webhooks", "list", "--json", "--jsonl"],
    ],
)
async def test_usage_errors_exit_2(capsys: Any, argv: list[str]) -> None:
    code, out, err = await run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "error:" in err


@pytest.mark.parametrize(
    ("argv", "usage"),
    [([], "usage: whautochat [-h]"), (["webhooks"], "usage: whautochat webhooks [-h]")],
)
async def test_a_command_group_alone_prints_its_help(
    capsys: Any, argv: list[str], usage: str
) -> None:
    code, out, err = await run(capsys, *argv)
    assert (code, err) == (0, "")
    assert out.startswith(usage)


async def test_help_and_version(capsys: Any) -> None:
    code, out, _ = await run(capsys, "--help")
    assert code == 0
    assert "Exit codes: 0 ok, 1 API error, 2 usage error" in " ".join(out.split())
    code, out, _ = await run(capsys, "webhooks", "update", "--help")
    assert "no 'get one webhook' endpoint" in " ".join(out.split())
    code, out, _ = await run(capsys, "--version")
    assert (code, out.split()[0]) == (0, "whautochat")


async def test_main_runs_its_own_event_loop(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(1)
    # main() calls asyncio.run(): in a thread, while this loop keeps serving the fake.
    assert await asyncio.to_thread(cli.main, ["webhooks", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1


def test_main_turns_ctrl_c_into_130(capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    async def interrupted(argv: Any, *, console: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted)
    assert cli.main(["demo"]) == 130
    assert capsys.readouterr().err == "whautochat: interrupted\n"


def test_ctrl_c_names_the_writes_under_way(capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    done = [3]

    async def interrupted(argv: Any, *, console: Any) -> int:
        with console.writing("the delete of wh_1", "whautochat webhooks list --all"):
            pass  # finished: forgotten
        with pytest.raises(ValueError, match="404"), console.writing("the delete of wh_2", "x"):
            raise ValueError("404")  # failed: its error says so, forgotten too
        with console.writing(lambda: f"{done[0]} of 9 writes were done; any of the others", "y"):
            done[0] = 4
            raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted)
    assert cli.main(["webhooks"]) == 130
    assert capsys.readouterr().err.splitlines() == [
        "whautochat: interrupted",
        "4 of 9 writes were done; any of the others may have happened before the interrupt",
        "hint: check with `y` before running it again",
    ]


def test_python_dash_m_runs_main(capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["whautochat", "--version"])
    # The package ships a pytest plugin, so pytest's assertion rewriter loads the package's
    # modules, and runpy cannot get code from that loader: find __main__ the usual way.
    finders = [finder for finder in sys.meta_path if not isinstance(finder, AssertionRewritingHook)]
    monkeypatch.setattr(sys, "meta_path", finders)
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("whautochat_async", run_name="__main__")
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("whautochat ")


def test_the_console_script_is_main() -> None:
    (script,) = entry_points(group="console_scripts", name="whautochat")
    assert script.value == "whautochat_async.cli:main"
    assert script.load() is cli.main
