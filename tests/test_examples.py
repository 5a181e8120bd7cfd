"""Every example in examples/, run against the fake server."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from whautochat_async import WhautoChat
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .test_cli_output import ClosedPipe
from .test_cli_processes import clean_env

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def env(fake: FakeWhautoChat, monkeypatch: pytest.MonkeyPatch) -> FakeWhautoChat:
    monkeypatch.setenv("WHAUTOCHAT_API_KEY", API_KEY)
    monkeypatch.setenv("WHAUTOCHAT_BASE_URL", fake.url)
    return fake


async def test_quickstart(capsys: pytest.CaptureFixture[str]) -> None:
    await load_example("quickstart").main()
    out = capsys.readouterr().out
    assert out.startswith("created  wh_")
    assert "deleted" in out


async def test_aiohttp_app_holds_one_client_for_its_lifetime(fake: FakeWhautoChat) -> None:
    example = load_example("aiohttp_app")
    fake.seed_webhooks(2)
    app = example.make_app(api_key=API_KEY, base_url=fake.url, environ={})
    async with TestClient(TestServer(app)) as http:
        client = app[example.CLIENT]
        listed = await http.get("/webhooks")
        assert [hook["name"] for hook in await listed.json()] == ["webhook-0001", "webhook-0002"]
        body = {"name": "n", "server_url": "https://a.io", "events": ["contact_created"]}
        created = await http.post("/webhooks", json=body)
        assert created.status == 201
        new_id = (await created.json())["id"]
        assert (await http.delete(f"/webhooks/{new_id}")).status == 204
        assert app[example.CLIENT] is client  # the same client served every request
        assert not client.closed
    assert client.closed  # closed by the cleanup context


async def test_aiohttp_app_maps_errors(fake: FakeWhautoChat) -> None:
    example = load_example("aiohttp_app")
    app = example.make_app(api_key=API_KEY, base_url=fake.url, environ={}, retry=0)
    async with TestClient(TestServer(app)) as http:
        bad = await http.post("/webhooks", json={"name": "n", "events": ["contact_created"]})
        assert bad.status == 400
        assert "server_url must be a string" in (await bad.json())["error"]
        assert (await http.post("/webhooks", json=[1])).status == 400
        not_json = await http.post("/webhooks", data=b"{name: n")
        assert (not_json.status, await not_json.json()) == (
            400,
            {"error": "the body must be a JSON object"},
        )
        missing = await http.delete("/webhooks/wh_gone")
        assert (missing.status, await missing.json()) == (404, {"error": "no such webhook"})
        fake.faults.status(401, times=1)  # our own setup is wrong: not the caller's fault
        assert (await http.get("/webhooks")).status == 502
        fake.faults.drop_before(times=None)
        down = await http.get("/webhooks")  # (retry=0 here: at once)
        assert (down.status, await down.json()) == (503, {"error": example.API_DOWN})


def with_state(app: Any, state: dict[str, Any]) -> Callable[..., Any]:
    """What an ASGI server does after the lifespan: give each request the lifespan state."""

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app({**scope, "state": dict(state)}, receive, send)

    return asgi


@pytest.fixture
async def starlette_http(env: FakeWhautoChat) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    example = load_example("starlette_app")
    app = example.create_app()  # the key and URL come from the environment
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_state(app, state))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            yield http, state["whautochat"]
    assert state["whautochat"].closed


async def test_starlette_lifespan_holds_one_client(
    env: FakeWhautoChat, starlette_http: tuple[httpx.AsyncClient, WhautoChat]
) -> None:
    http, client = starlette_http
    env.seed_webhooks(3)
    answer = await http.get("/webhooks")
    assert answer.json() == {"count": 3, "names": ["webhook-0001", "webhook-0002", "webhook-0003"]}
    switched = await http.post("/webhooks/webhook-0002/deactivate")
    assert switched.json() == {"id": env.webhooks[1]["id"], "active": False}
    assert env.webhooks[1]["active"] is False
    assert (await http.post("/webhooks/nope/deactivate")).status_code == 404
    assert not client.closed


async def test_starlette_answers_503_while_the_api_is_down(env: FakeWhautoChat) -> None:
    app = load_example("starlette_app").create_app(retry=0)  # (the error at once)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_state(app, state))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            await starlette_errors(env, http)


async def starlette_errors(env: FakeWhautoChat, http: httpx.AsyncClient) -> None:
    env.faults.drop_before(times=None)
    down = await http.get("/webhooks")
    assert (down.status_code, down.json()) == (
        503,
        {"error": "the WhautoChat API is unavailable; try again later"},
    )
    env.faults.clear()
    env.faults.status(403, times=1)
    refused = await http.get("/webhooks")
    assert refused.status_code == 502
    assert "403" in refused.json()["error"]


async def test_the_module_level_starlette_app_opens_no_client_at_import() -> None:
    example = load_example("starlette_app")
    assert example.app.router.lifespan_context is not None


SPECS = [
    {"name": "orders", "serverUrl": "https://a.io/orders", "events": ["contact_created"]},
    {"name": "crm", "serverUrl": "https://a.io/crm", "events": ["contact_tag_added"]},
]


async def test_sync_worker_once(env: FakeWhautoChat, tmp_path: Path) -> None:
    example = load_example("sync_worker")
    env.seed_webhooks(1)
    path = tmp_path / "hooks.json"
    path.write_text(json.dumps(SPECS))
    assert await example.main([str(path), "--once", "--prune"]) == 0
    assert [w["name"] for w in env.webhooks] == ["orders", "crm"]
    env.faults.status(422, method="PUT")
    path.write_text(json.dumps([{**SPECS[0], "active": False}]))
    assert await example.main([str(path), "--once"]) == 1


async def test_sync_worker_once_logs_a_bad_file_without_a_traceback(
    env: FakeWhautoChat, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    example = load_example("sync_worker")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[webhooks]\nname =")
    assert await example.main([str(bad), "--once"]) == 2
    assert caplog.records[-1].getMessage().startswith(f"not synced: {bad}")
    assert caplog.records[-1].exc_info is None
    env.faults.status(403, times=1)  # (not retried: no waiting here)
    good = tmp_path / "hooks.json"
    good.write_text(json.dumps(SPECS))
    assert await example.main([str(good), "--once"]) == 1
    assert "not synced: GET /v1/webhooks" in caplog.records[-1].getMessage()
    assert env.webhooks == []


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in 5 s")


async def test_sync_worker_picks_up_edits_and_survives_errors(
    env: FakeWhautoChat, client: WhautoChat, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    example = load_example("sync_worker")
    caplog.set_level(logging.INFO, logger="sync_worker")
    path = tmp_path / "hooks.json"
    path.write_text(json.dumps(SPECS[:1]))
    stop = asyncio.Event()
    worker = asyncio.create_task(example.run_worker(client, path, interval=0.01, stop=stop))
    await until(lambda: [w["name"] for w in env.webhooks] == ["orders"])
    path.write_text("[not json")  # a broken edit: logged, the worker goes on
    await until(lambda: "not synced: " in caplog.text)
    env.faults.status(401, times=1)
    path.write_text(json.dumps(SPECS))
    await until(lambda: [w["name"] for w in env.webhooks] == ["orders", "crm"])
    stop.set()
    await asyncio.wait_for(worker, 5)
    assert "not synced, will retry: GET" in caplog.text
    assert "hooks.json: 1 created, 0 updated, 0 deleted, 1 unchanged, 0 failed" in caplog.text


async def test_export_jsonl_streams_every_webhook(env: FakeWhautoChat, tmp_path: Path) -> None:
    example = load_example("export_jsonl")
    env.seed_webhooks(150, extra={"team": 1})
    out = io.StringIO()
    assert await example.main(["-"], stdout=out) == 0
    assert [json.loads(line) for line in out.getvalue().splitlines()] == env.webhooks
    gets = env.request_count
    assert 2 <= gets <= 3  # two pages of 100, maybe one prefetched past the end
    target = tmp_path / "hooks.jsonl"
    assert await example.main([str(target)]) == 0
    assert len(target.read_text().splitlines()) == 150


async def test_export_jsonl_stops_quietly_when_stdout_closes(
    env: FakeWhautoChat, capsys: pytest.CaptureFixture[str]
) -> None:
    example = load_example("export_jsonl")
    env.seed_webhooks(250)
    assert await example.main(["-"], stdout=ClosedPipe(500)) == example.CLOSED_PIPE
    assert capsys.readouterr().err == ""
    assert env.request_count <= 2


async def test_export_jsonl_piped_to_head_in_a_process(fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(400)
    env = clean_env(WHAUTOCHAT_API_KEY=API_KEY, WHAUTOCHAT_BASE_URL=fake.url)
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as head:
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(EXAMPLES / "export_jsonl.py"),
                env=env,
                stdout=write_end,
                stderr=asyncio.subprocess.PIPE,
            )
        finally:
            os.close(write_end)
        first = await asyncio.to_thread(head.readline)
    assert json.loads(first)["name"] == "webhook-0001"
    _, err = await asyncio.wait_for(process.communicate(), 60)
    assert (process.returncode, err.decode()) == (load_example("export_jsonl").CLOSED_PIPE, "")
