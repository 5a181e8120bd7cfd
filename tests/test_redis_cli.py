"""The command line shares the fleet's budget when ``WHAUTOCHAT_REDIS_URL`` is set."""

from __future__ import annotations

import sys

import pytest
import redis.asyncio as aioredis

from whautochat_async import cli
from whautochat_async.redis_limiter import RedisRateLimiter
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .redis_server import RedisServer


@pytest.fixture
def env(
    fake: FakeWhautoChat, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> FakeWhautoChat:
    monkeypatch.setenv("WHAUTOCHAT_API_KEY", API_KEY)
    monkeypatch.setenv("WHAUTOCHAT_BASE_URL", fake.url)
    monkeypatch.setenv("WHAUTOCHAT_REDIS_URL", redis_server.url)
    return fake


async def test_the_cli_counts_its_requests_in_redis(
    env: FakeWhautoChat, redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    env.seed_webhooks(2)
    assert await cli.run(["webhooks", "list"]) == 0
    keys = RedisRateLimiter.from_url(redis_server.url, base_url=env.url).keys
    async with aioredis.Redis.from_url(redis_server.url) as inspector:
        assert await inspector.zcard(keys.log) == 1
    assert "webhook-0001" in capsys.readouterr().out


async def test_the_cli_fails_closed_when_redis_is_down(
    env: FakeWhautoChat, redis_server: RedisServer, capsys: pytest.CaptureFixture[str]
) -> None:
    redis_server.stop()
    assert await cli.run(["webhooks", "list"]) == 1
    err = capsys.readouterr().err
    assert "Redis is unavailable" in err
    assert "hint: check that Redis answers at WHAUTOCHAT_REDIS_URL, or set " in err
    assert "WHAUTOCHAT_REDIS_ON_ERROR=fail_open" in err
    assert env.request_count == 0


async def test_the_cli_fails_open_with_one_warning_line_in_its_own_words(
    env: FakeWhautoChat,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WHAUTOCHAT_REDIS_ON_ERROR", "fail_open")
    redis_server.stop()
    assert await cli.run(["webhooks", "list"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "Redis" in line]
    assert len(lines) == 1
    assert lines[0].startswith("whautochat: warning: Redis at WHAUTOCHAT_REDIS_URL is unavailable")
    assert "ratelimit:" not in lines[0]  # no internal key name
    assert env.request_count == 1


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("WHAUTOCHAT_REDIS_URL", "redis://:pw123@[bad", "fix or unset WHAUTOCHAT_REDIS_URL (e.g."),
        ("WHAUTOCHAT_REDIS_ON_ERROR", "ignore", "fix or unset WHAUTOCHAT_REDIS_ON_ERROR"),
    ],
)
async def test_a_bad_redis_variable_is_named_with_a_hint(
    env: FakeWhautoChat,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    hint: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert await cli.run(["webhooks", "list"]) == 2
    err = capsys.readouterr().err
    assert f"whautochat: error: {variable} " in err
    assert f"hint: {hint}" in err
    assert "pw123" not in err
    assert env.request_count == 0


async def test_the_cli_names_the_extra_when_redis_py_is_missing(
    env: FakeWhautoChat, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "whautochat_async.redis_limiter", None)
    assert await cli.run(["webhooks", "list"]) == 2
    assert "WHAUTOCHAT_REDIS_URL is set" in capsys.readouterr().err
