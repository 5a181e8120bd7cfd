"""Shared fixtures: the fake server on loopback, a client bound to it, aioresponses, Redis."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import aioresponses.core
import pytest
import redis.asyncio as aioredis
from aiohttp import ClientResponse

from whautochat_async import WhautoChat
from whautochat_async.ratelimit import _registry as limiter_registry
from whautochat_async.testing import FakeWhautoChat

from .redis_server import RedisServer, running_redis

API_KEY = "sk-test-0123456789abcdef"
_KEY_NUMBERS = itertools.count()


class _CompatClientResponse(ClientResponse):
    """aioresponses 0.7.9 does not pass aiohttp 3.14's keyword-only ``stream_writer``.

    Its issue #289; with ``writer=None`` aiohttp only reads ``output_size`` from it.
    """

    def __init__(self, *args: Any, stream_writer: Any = None, **kwargs: Any) -> None:
        writer = stream_writer or SimpleNamespace(output_size=0)
        super().__init__(*args, stream_writer=writer, **kwargs)


@pytest.fixture(autouse=True)
def fresh_limiter_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty process-wide limiter registry.

    A limiter another test left busy (a slot held for its ``per``) would otherwise meet this
    test's clients whenever the fake server gets the same port again, and a different
    RateLimit for the same key and URL is refused.
    """
    monkeypatch.setattr(limiter_registry, "_registry", limiter_registry._Registry())


@pytest.fixture
def api_key() -> str:
    """A key of this test's own (the process-wide limiters are kept per key)."""
    return f"sk-test-{next(_KEY_NUMBERS):04d}-0123456789abcdef"


@pytest.fixture
def mock_http() -> Iterator[aioresponses.aioresponses]:
    """aioresponses with the aiohttp 3.14 compat shim; for narrow unit cases only."""
    original = aioresponses.core.ClientResponse
    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]
    try:
        with aioresponses.aioresponses() as mocked:
            yield mocked
    finally:
        aioresponses.core.ClientResponse = original  # type: ignore[misc]


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhautoChat]:
    """A FakeWhautoChat on 127.0.0.1, an ephemeral port, accepting API_KEY."""
    async with FakeWhautoChat(api_key=API_KEY, seed=1) as server:
        yield server


@pytest.fixture
async def client(fake: FakeWhautoChat) -> AsyncIterator[WhautoChat]:
    """A client talking to ``fake`` over a real socket."""
    async with WhautoChat(API_KEY, base_url=fake.url, environ={}) as api:
        yield api


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of its own on 127.0.0.1 (started for the test, stopped after it)."""
    with running_redis() as server:
        yield server


@pytest.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[aioredis.Redis]:
    """A redis-py client of ``redis_server``, closed after the test."""
    client = aioredis.Redis.from_url(redis_server.url)
    yield client
    await client.aclose()
