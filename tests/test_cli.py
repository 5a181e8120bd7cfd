"""The ``whautochat`` command line, in-process against the fake: list/create/update/delete/
export, exit codes and error lines. Sync: test_cli_sync.py; subprocesses: test_cli_processes.py.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook

from whautochat_async import cli
from whautochat_async.specs import load_specs
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY


@pytest.fixture
def env(fake: FakeWhautoChat, monkeypatch: pytest.MonkeyPatch) -> FakeWhautoChat:
    """The CLI's environment points at ``fake``."""
    monkeypatch.setenv("WHAUTOCHAT_API_KEY", API_KEY)
    monkeypatch.setenv("WHAUTOCHAT_BASE_URL", fake.url)
    return fake


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def test_list_prints_a_table(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(3, events=["contact_created", "contact_tag_added"])
    code, out, err = await run(capsys, "webhooks", "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "ACTIVE", "EVENTS", "SERVER", "URL"]
    assert lines[1].split() == [
        env.webhooks[0]["id"],
        "webhook-0001",
        "yes",
        "contact_created",
        "+1",
        "https://example.com/hooks/1",
    ]
    assert err == "3 webhooks on page 1\n"
    assert env.request_count == 1


async def test_list_json_is_the_wire_format(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(2, extra={"team": {"id": 7}})
    code, out, _ = await run(capsys, "webhooks", "list", "--json")
    assert code == 0
    assert json.loads(out) == env.webhooks


async def test_list_a_page_hints_at_more(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(5)
    code, out, err = await run(capsys, "webhooks", "list", "--page", "2", "--limit", "2")
    assert code == 0
    assert "webhook-0003" in out
    assert "webhook-0004" in out
    assert "more may follow: --page 3, or --all" in err
    assert env.requests[-1].query == {"page": "2", "limit": "2"}


async def test_list_all_walks_every_page(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(5)
    code, out, err = await run(capsys, "--json", "webhooks", "list", "--all", "--limit", "2")
    assert code == 0
    assert [w["name"] for w in json.loads(out)] == [f"webhook-000{i}" for i in range(1, 6)]
    assert [r.query["page"] for r in env.requests] == ["1", "2", "3"]
    code, _, err = await run(capsys, "webhooks", "list", "--all")
    assert err == "5 webhooks in all\n"


async def test_list_empty(env: FakeWhautoChat, capsys: Any) -> None:
    assert await run(capsys, "webhooks", "list") == (0, "", "0 webhooks on page 1\n")


async def test_create(env: FakeWhautoChat, capsys: Any) -> None:
    code, out, _ = await run(
        capsys,
        "webhooks",
        "create",
        "--name=orders",
        "--server-url=https://a.io/h",
        "--event=contact_created",
        "--event=incoming_whatsapp_message",
        "--inactive",
    )
    assert code == 0
    (stored,) = env.webhooks
    assert stored["events"] == ["contact_created", "incoming_whatsapp_message"]
    assert stored["active"] is False
    assert out == (
        f"created {stored['id']}  'orders' -> https://a.io/h  "
        "(inactive; contact_created, incoming_whatsapp_message)\n"
    )


async def test_create_json(env: FakeWhautoChat, capsys: Any) -> None:
    argv = ["webhooks", "create", "--json", "--name=a", "--server-url=https://a.io", "--event=x"]
    code, _, err = await run(capsys, *argv)
    assert code == 2
    assert err.startswith("whautochat: error: unknown event name 'x'; valid names: incoming_")
    assert err.count("\n") == 1
    assert env.request_count == 0
    argv[-1] = "--event=contact_created"
    code, out, _ = await run(capsys, *argv)
    assert code == 0
    assert json.loads(out) == env.webhooks[0]


async def test_update_finds_by_listing_and_keeps_unknown_fields(
    env: FakeWhautoChat, capsys: Any
) -> None:
    env.seed_webhooks(3)
    target = env.add_webhook(name="old", team={"id": 7})
    argv = ["webhooks", "update", target["id"], "--name", "new", "--inactive"]
    code, out, _ = await run(capsys, *argv, "--event", "contact_created")
    assert code == 0
    assert out.splitlines() == [
        f"updated {target['id']}",
        "  name: old -> new",
        "  events: incoming_whatsapp_message -> contact_created",
        "  active: yes -> no",
    ]
    stored = env.webhooks[3]
    assert (stored["name"], stored["active"], stored["team"]) == ("new", False, {"id": 7})
    assert [r.method for r in env.requests] == ["GET", "PUT"]


async def test_update_json_and_reactivate(env: FakeWhautoChat, capsys: Any) -> None:
    (hook,) = env.seed_webhooks(1, active=False)
    code, out, _ = await run(capsys, "webhooks", "update", hook["id"], "--active", "--json")
    assert code == 0
    assert json.loads(out)["active"] is True


async def test_update_needs_a_change_and_an_existing_id(env: FakeWhautoChat, capsys: Any) -> None:
    env.seed_webhooks(2)
    code, _, err = await run(capsys, "webhooks", "update", "wh_nope")
    assert code == 2
    assert "nothing to update" in err
    assert env.request_count == 0
    code, _, err = await run(capsys, "webhooks", "update", "wh_nope", "--inactive")
    assert code == 1
    assert err == "whautochat: error: no webhook with id 'wh_nope' among the 2 listed\n"


async def test_delete(env: FakeWhautoChat, capsys: Any) -> None:
    first, second = env.seed_webhooks(2)
    assert await run(capsys, "webhooks", "delete", first["id"]) == (
        0,
        f"deleted {first['id']}\n",
        "",
    )
    code, out, _ = await run(capsys, "webhooks", "delete", second["id"], "--json")
    assert json.loads(out) == {"id": second["id"], "success": True}
    assert env.webhooks == []
    code, out, err = await run(capsys, "webhooks", "delete", "wh_gone")
    assert (code, out) == (1, "")
    assert (
        err == "whautochat: error: DELETE /v1/webhooks/wh_gone -> 404: Webhook wh_gone not found\n"
    )


async def test_export_stdout_and_files(env: FakeWhautoChat, capsys: Any, tmp_path: Path) -> None:
    env.seed_webhooks(3, active=False)
    code, out, _ = await run(capsys, "webhooks", "export")
    assert code == 0
    assert [s["name"] for s in json.loads(out)] == ["webhook-0001", "webhook-0002", "webhook-0003"]
    assert set(json.loads(out)[0]) == {"name", "serverUrl", "events", "active"}
    for name in ("hooks.json", "hooks.toml"):
        code, _, err = await run(capsys, "webhooks", "export", str(tmp_path / name))
        assert code == 0
        assert err == f"exported 3 webhooks to {tmp_path / name}\n"
        specs = load_specs(tmp_path / name)
        assert [(s.name, s.active) for s in specs] == [
            (f"webhook-000{i}", False) for i in (1, 2, 3)
        ]


async def test_export_to_an_unwritable_place_is_one_line(
    env: FakeWhautoChat, capsys: Any, tmp_path: Path
) -> None:
    code, _, err = await run(capsys, "webhooks", "export", str(tmp_path / "no" / "such.json"))
    assert code == 1
    assert err.startswith("whautochat: error: [Errno 2] No such file or directory")


async def test_missing_key_is_a_usage_error(capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WHAUTOCHAT_API_KEY", raising=False)
    code, out, err = await run(capsys, "webhooks", "list")
    assert (code, out) == (2, "")
    assert err == (
        "whautochat: error: no API key: pass api_key=... or set the WHAUTOCHAT_API_KEY "
        "environment variable\n"
    )
    code, _, err = await run(capsys, "webhooks", "list", "--debug")
    assert code == 2
    assert "Traceback (most recent call last)" in err
    assert err.rstrip().endswith("environment variable")


async def test_wrong_key_is_an_api_error(
    env: FakeWhautoChat, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHAUTOCHAT_API_KEY", "wrong-key")
    code, _, err = await run(capsys, "webhooks", "list")
    assert code == 1
    assert err == (
        "whautochat: error: GET /v1/webhooks?page=1&limit=100 -> 401: Missing or invalid API key\n"
    )
    assert "wrong-key" not in err


async def test_base_url_option_beats_the_environment(
    env: FakeWhautoChat, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHAUTOCHAT_BASE_URL", "https://api.invalid")
    code, _, _ = await run(capsys, "webhooks", "list", "--base-url", env.url, "--debug")
    assert code == 0
    assert env.request_count == 1


async def test_a_bug_is_one_line_with_a_hint(
    env: FakeWhautoChat, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> str:
        raise KeyError("oops")

    monkeypatch.setattr("whautochat_async.cli.webhooks.webhook_line", broken)
    argv = [
        "webhooks",
        "create",
        "--name=a",
        "--server-url=https://a.io",
        "--event=contact_created",
    ]
    code, _, err = await run(capsys, *argv)
    assert code == 1
    assert err == "whautochat: error: internal error (KeyError): 'oops' (--debug for details)\n"


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["webhooks"],
        ["webhooks", "list", "--page", "0"],
        ["webhooks", "list", "--limit", "ten"],
        ["webhooks", "list", "--page", "2", "--all"],
        ["webhooks", "create", "--name", "a"],
        ["webhooks", "update", "wh_1", "--active", "--inactive"],
        ["nope"],
    ],
)
async def test_usage_errors_exit_2(capsys: Any, argv: list[str]) -> None:
    code, out, err = await run(capsys, *argv)
    assert (code, out) == (2, "")
    assert "error:" in err


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
    async def interrupted(argv: Any) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "run", interrupted)
    assert cli.main(["demo"]) == 130
    assert capsys.readouterr().err == "whautochat: interrupted\n"


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
