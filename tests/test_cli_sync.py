"""``whautochat webhooks sync FILE``, in-process against the fake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from whautochat_async import WhautoChat
from whautochat_async.cli import webhooks_sync
from whautochat_async.cli._progress import Progress
from whautochat_async.testing import FakeWhautoChat

from .test_cli import env, run

__all__ = ["env"]  # the fixture, shared with test_cli.py

SPECS = """
[[webhooks]]
name = "webhook-0001"
serverUrl = "https://example.com/hooks/1"
events = ["incoming_whatsapp_message"]

[[webhooks]]
name = "webhook-0002"
serverUrl = "https://example.com/hooks/2-moved"
events = ["incoming_whatsapp_message", "contact_created"]
active = false

[[webhooks]]
name = "billing"
serverUrl = "https://example.com/hooks/billing"
events = ["contact_created"]
"""


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "hooks.toml"
    path.write_text(SPECS, encoding="utf-8")
    return path


async def test_sync_prints_the_plan_then_the_report(
    env: FakeWhautoChat, capsys: Any, spec_file: Path
) -> None:
    hooks = env.seed_webhooks(3)
    code, out, err = await run(capsys, "webhooks", "sync", str(spec_file), "--prune", "-vy")
    assert code == 0
    assert out.splitlines() == [
        f"~ update  'webhook-0002' ({hooks[1]['id']})",
        "      server_url: https://example.com/hooks/2 -> https://example.com/hooks/2-moved",
        "      active:     yes -> no",
        "      events:     +contact_created",
        "+ create  'billing'",
        "      name:       billing",
        "      server_url: https://example.com/hooks/billing",
        "      events:     contact_created",
        "      active:     yes",
        f"- delete  'webhook-0003' ({hooks[2]['id']})",
        "= 1 unchanged",
        "done: 1 created, 1 updated, 1 deleted, 1 unchanged, 0 failed",
    ]
    assert err == ""  # not a terminal: no progress line
    assert [w["name"] for w in env.webhooks] == ["webhook-0001", "webhook-0002", "billing"]
    assert env.webhooks[1]["active"] is False


async def test_dry_run_writes_nothing(env: FakeWhautoChat, capsys: Any, spec_file: Path) -> None:
    env.seed_webhooks(3)
    before = [dict(w) for w in env.webhooks]
    code, out, _ = await run(capsys, "webhooks", "sync", str(spec_file), "--dry-run", "--prune")
    assert code == 0
    assert out.splitlines()[-1] == (
        "dry run, nothing written: 1 to create, 1 to update, 1 to delete, 1 unchanged, 0 failed"
    )
    assert env.webhooks == before
    assert {r.method for r in env.requests} == {"GET"}


async def test_nothing_to_do(env: FakeWhautoChat, capsys: Any, tmp_path: Path) -> None:
    path = tmp_path / "none.json"
    path.write_text("[]", encoding="utf-8")
    code, out, _ = await run(capsys, "webhooks", "sync", str(path))
    assert (code, out) == (
        0,
        "plan: nothing to change (0 unchanged)\n"
        "done: 0 created, 0 updated, 0 deleted, 0 unchanged, 0 failed\n",
    )


async def test_json_report(env: FakeWhautoChat, capsys: Any, spec_file: Path) -> None:
    hooks = env.seed_webhooks(2)
    code, out, _ = await run(capsys, "webhooks", "sync", str(spec_file), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True
    assert report["counts"] == {"create": 1, "update": 1, "delete": 0, "unchanged": 1}
    assert report["outcomes"][1] == {
        "action": "update",
        "key": "webhook-0002",
        "id": hooks[1]["id"],
        "ok": True,
        "changes": {
            "server_url": "https://example.com/hooks/2-moved",
            "active": False,
            "events": ["incoming_whatsapp_message", "contact_created"],
        },
        "error": None,
    }


async def test_a_failed_item_exits_1_and_is_named(
    env: FakeWhautoChat, capsys: Any, spec_file: Path
) -> None:
    env.seed_webhooks(2)
    # The body is given so the line does not depend on http.HTTPStatus's reason phrase,
    # which Python 3.13 renamed (422 "Unprocessable Entity" -> "Unprocessable Content").
    body = {"error": {"code": "validation_error", "message": "name is taken"}}
    env.faults.status(422, times=1, method="POST", body=body)
    code, out, _ = await run(capsys, "webhooks", "sync", str(spec_file))
    assert code == 1
    lines = out.splitlines()
    assert lines[-2] == (
        "! create 'billing' failed: UnprocessableEntityError: POST /v1/webhooks -> 422: "
        "name is taken"
    )
    assert lines[-1] == "done: 0 created, 1 updated, 0 deleted, 1 unchanged, 1 failed"
    code, out, _ = await run(capsys, "webhooks", "sync", str(spec_file), "--json")
    assert code == 0  # the create went through on the second run
    assert json.loads(out)["counts"]["create"] == 1


async def test_key_server_url(env: FakeWhautoChat, capsys: Any, tmp_path: Path) -> None:
    (hook,) = env.seed_webhooks(1)
    path = tmp_path / "h.json"
    spec = {"name": "renamed", "serverUrl": hook["serverUrl"], "events": hook["events"]}
    path.write_text(json.dumps([spec]), encoding="utf-8")
    code, out, _ = await run(capsys, "webhooks", "sync", str(path), "--key", "server_url", "-v")
    assert code == 0
    assert "      name:       webhook-0001 -> renamed" in out.splitlines()
    assert env.webhooks[0]["name"] == "renamed"


async def test_the_plan_summary_shows_counts_and_the_first_few_of_each_kind(
    env: FakeWhautoChat, capsys: Any, tmp_path: Path
) -> None:
    hooks = env.seed_webhooks(5)
    specs = [{**spec_of(h), "active": False} for h in hooks] + [
        {"name": f"new-{i}", "serverUrl": "https://a.io", "events": ["contact_created"]}
        for i in range(4)
    ]
    path = tmp_path / "h.json"
    path.write_text(json.dumps(specs))
    code, out, _ = await run(capsys, "webhooks", "sync", str(path))
    assert code == 0
    assert out.splitlines() == [
        "plan: 4 to create, 5 to update, 0 to delete, 0 unchanged",
        "+ create  'new-0'",
        "+ create  'new-1'",
        "+ create  'new-2'",
        "  ... and 1 more to create",
        f"~ update  'webhook-0001' ({hooks[0]['id']}): active",
        f"~ update  'webhook-0002' ({hooks[1]['id']}): active",
        f"~ update  'webhook-0003' ({hooks[2]['id']}): active",
        "  ... and 2 more to update",
        "(--verbose or --dry-run shows every change)",
        "done: 4 created, 5 updated, 0 deleted, 0 unchanged, 0 failed",
    ]


def spec_of(hook: dict[str, Any]) -> dict[str, Any]:
    return {k: hook[k] for k in ("name", "serverUrl", "events", "active")}


async def test_quiet_prints_only_the_summary(
    env: FakeWhautoChat, capsys: Any, spec_file: Path
) -> None:
    env.seed_webhooks(3)
    code, out, err = await run(capsys, "webhooks", "sync", str(spec_file), "-q", "--prune", "-y")
    assert (code, err) == (0, "")
    assert out == "done: 1 created, 1 updated, 1 deleted, 1 unchanged, 0 failed\n"


async def test_prune_without_a_terminal_needs_yes(
    env: FakeWhautoChat, capsys: Any, spec_file: Path
) -> None:
    env.seed_webhooks(4)
    code, _, err = await run(capsys, "webhooks", "sync", str(spec_file), "--prune", "-q")
    assert code == 2
    assert err == (
        f"whautochat: error: refusing to delete 2 webhooks not in {spec_file} without "
        "confirmation: pass --yes (no terminal to ask on)\n"
    )
    assert {r.method for r in env.requests} == {"GET"}  # planned, nothing written
    env.webhooks = env.webhooks[:2]  # nothing to delete: --prune needs no --yes
    code, _, _ = await run(capsys, "webhooks", "sync", str(spec_file), "--prune", "-q")
    assert code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--concurrency", "0"], "argument --concurrency: expected an integer >= 1, got '0'"),
        (["--key", "events"], "invalid choice: 'events'"),
    ],
)
async def test_bad_options(
    env: FakeWhautoChat, capsys: Any, spec_file: Path, argv: list[str], message: str
) -> None:
    code, _, err = await run(capsys, "webhooks", "sync", str(spec_file), *argv)
    assert code == 2
    assert message in err
    assert env.request_count == 0


async def test_bad_files_are_usage_errors(env: FakeWhautoChat, capsys: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"name": "a", "serverUrl": "https://a.io", "events": ["nope"]}]')
    code, _, err = await run(capsys, "webhooks", "sync", str(bad))
    assert code == 2
    assert err == (
        f"whautochat: error: {bad}: desired[0] (key 'a'): unknown event name 'nope'; valid names: "
        + err.split("valid names: ")[1]
    )
    code, _, err = await run(capsys, "webhooks", "sync", str(tmp_path / "missing.toml"))
    assert code == 2
    assert "missing.toml: cannot read the spec file" in err
    empty = tmp_path / "empty.toml"
    empty.write_text("webhooks = []\n")  # an empty file: refused by load_specs itself
    code, _, err = await run(capsys, "webhooks", "sync", str(empty), "--prune")
    assert code == 2
    assert "refusing to --prune every webhook" in err
    assert {r.method for r in env.requests} <= {"GET"}


async def test_server_duplicates_are_a_usage_error(
    env: FakeWhautoChat, capsys: Any, spec_file: Path
) -> None:
    env.add_webhook(name="billing")
    env.add_webhook(name="billing")
    code, out, err = await run(capsys, "webhooks", "sync", str(spec_file))
    assert (code, out) == (2, "")
    assert "'billing' is held by" in err
    assert {r.method for r in env.requests} == {"GET"}


async def test_a_repeated_key_in_the_file_is_refused_before_any_request(
    env: FakeWhautoChat, capsys: Any, tmp_path: Path
) -> None:
    env.seed_webhooks(3)
    path = tmp_path / "dupes.toml"
    path.write_text(SPECS + SPECS.split("[[webhooks]]")[1].join(["[[webhooks]]", ""]), "utf-8")
    code, _, err = await run(capsys, "webhooks", "sync", str(path))
    assert code == 2
    assert "webhook-0001" in err
    assert env.request_count == 0


async def test_the_progress_line_hears_the_rate_limit_wait(
    env: FakeWhautoChat, capsys: Any, spec_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command's client shares the process's limiter for this key and URL with ours; a
    # pause set just before the writes makes the first write queue, and on_wait must carry
    # that to the progress line.
    waits: list[float] = []
    monkeypatch.setattr(Progress, "waiting", lambda self, seconds: waits.append(seconds))
    apply_plan = webhooks_sync.apply_plan

    async def pause_then_apply(*args: Any, **options: Any) -> Any:
        assert limiter is not None
        await limiter.pause(0.05)
        return await apply_plan(*args, **options)

    monkeypatch.setattr(webhooks_sync, "apply_plan", pause_then_apply)
    async with WhautoChat() as client:
        limiter = client.rate_limiter
        code, _, _ = await run(capsys, "webhooks", "sync", str(spec_file))
    assert code == 0
    assert len(waits) >= 1
    assert 0 < waits[0] <= 0.05
