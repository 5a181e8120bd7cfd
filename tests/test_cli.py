"""The ``whautochat`` command line, in-process against the fake: list/create/update/delete/
export, exit codes and error lines. Sync: test_cli_sync.py; subprocesses: test_cli_processes.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

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
    code, out, err = await run(capsys, "webhooks", "list", "--all", "--limit", "2", "--json")
    assert code == 0
    assert [w["name"] for w in json.loads(out)] == [f"webhook-000{i}" for i in range(1, 6)]
    pages = [r.query["page"] for r in env.requests]
    assert pages in (["1", "2", "3"], ["1", "2", "3", "4"])  # the next page is prefetched
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
    assert "error: argument --event: unknown event 'x' (valid: incoming_" in err
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
    assert await run(capsys, "webhooks", "delete", first["id"], "--yes") == (
        0,
        f"deleted {first['id']}\n",
        "",
    )
    code, out, _ = await run(capsys, "webhooks", "delete", second["id"], "--json", "-y")
    assert json.loads(out) == {"id": second["id"], "success": True}
    assert env.webhooks == []
    code, out, err = await run(capsys, "webhooks", "delete", "wh_gone", "--yes")
    assert (code, out) == (1, "")
    assert (
        err == "whautochat: error: DELETE /v1/webhooks/wh_gone -> 404: Webhook wh_gone not found\n"
    )


async def test_delete_without_a_terminal_needs_yes(env: FakeWhautoChat, capsys: Any) -> None:
    (hook,) = env.seed_webhooks(1)
    code, out, err = await run(capsys, "webhooks", "delete", hook["id"])
    assert (code, out) == (2, "")
    assert err == (
        f"whautochat: error: refusing to delete 1 webhook ({hook['id']}) without confirmation: "
        "pass --yes (no terminal to ask on)\n"
    )
    assert env.request_count == 0


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


async def test_export_to_a_missing_directory_is_refused_before_any_request(
    env: FakeWhautoChat, capsys: Any, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such.json"
    code, _, err = await run(capsys, "webhooks", "export", str(target))
    assert code == 2
    assert err == (
        f"whautochat: error: cannot write {target}: the directory "
        f"{str(tmp_path / 'no')!r} does not exist\n"
    )
    assert env.request_count == 0


async def test_export_refuses_a_format_it_does_not_write(
    env: FakeWhautoChat, capsys: Any, tmp_path: Path
) -> None:
    code, _, err = await run(capsys, "webhooks", "export", str(tmp_path / "hooks.yaml"))
    assert code == 2
    assert "export writes .json or .toml files" in err
    assert env.request_count == 0
    (tmp_path / "dir.json").mkdir()  # a write that fails after the listing: exit 1, one line
    code, _, err = await run(capsys, "webhooks", "export", str(tmp_path / "dir.json"))
    assert code == 1
    assert err == f"whautochat: error: cannot write {tmp_path / 'dir.json'}: Is a directory\n"


async def test_missing_key_is_a_usage_error(capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WHAUTOCHAT_API_KEY", raising=False)
    code, out, err = await run(capsys, "webhooks", "list")
    assert (code, out) == (2, "")
    assert err == (
        "whautochat: error: no API key: set the WHAUTOCHAT_API_KEY environment variable\n"
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
        "hint: check the API key in WHAUTOCHAT_API_KEY\n"
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

    monkeypatch.setattr("whautochat_async.cli.webhooks_write.webhook_line", broken)
    argv = [
        "webhooks",
        "create",
        "--name=a",
        "--server-url=https://a.io",
        "--event=contact_created",
    ]
    code, _, err = await run(capsys, *argv)
    assert code == 1
    assert err == (
        "whautochat: error: internal error (KeyError): 'oops'\n"
        "hint: run again with --debug for the traceback\n"
    )
