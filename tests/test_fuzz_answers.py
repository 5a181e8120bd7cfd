"""Random and malformed answers through a raw socket: only WhautoChatErrors ever come out.

Every endpoint meets status lines, headers and bodies drawn by hypothesis. A create never
ends in anything that says "not sent" once its bytes went out; no example leaves a task
running or a ResourceWarning behind. Bounded (no retries, short timeouts) to run in seconds.
"""

from __future__ import annotations

import asyncio
import gc
import json
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whautochat_async import (
    APIConnectionError,
    APIStatusError,
    UnknownOutcomeError,
    WhautoChatError,
)

from .endpoints import ENDPOINTS, HOOK, endpoint, quick_client
from .raw_server import RawServer, read_request

ODD_VALUES = [
    b"1e999", b"nan", b"-5", b"inf", b"-inf", b"0", b"", b" ", b"\xff\xfe", "١٢".encode(),
    b"99999999999999999999999", b"1e308", b"0x10", b"Fri, 31 Dec 9999 23:59:59 GMT",
    b"Mon, 01 Jan 0001 00:00:00 +2359", b"chunked", b"gzip", b"br", b"deflate", b"identity",
    b"application/json", b"text/html; charset=latin-1", b"application/json; charset=utf-16",
]  # fmt: skip
HEADER_NAMES = [
    b"Content-Length", b"Content-Type", b"Transfer-Encoding", b"Content-Encoding",
    b"Retry-After", b"X-RateLimit-Reset", b"X-RateLimit-Reset-After", b"X-RateLimit-Remaining",
    b"RateLimit-Reset", b"X-Request-Id", b"Connection", b"Set-Cookie",
]  # fmt: skip
STATUS_LINES = [
    b"HTTP/1.1 200 OK", b"HTTP/1.1 201 Created", b"HTTP/1.1 204 No Content",
    b"HTTP/1.1 302 Found", b"HTTP/1.1 303 See Other", b"HTTP/1.1 307 Temporary Redirect",
    b"HTTP/1.1 429 Too Many Requests", b"HTTP/1.1 503 Unavailable", b"HTTP/1.1 100 Continue",
]  # fmt: skip
# Only loopback or unusable targets: a redirect must never send the client elsewhere.
LOCATIONS = [
    b"/v1/webhooks", b"?page=2", b"http://[::1", b"//:99999/", b"http://127.0.0.1:0/",
    b"ftp://x/", b"\xff\xfe", b"http://a..b/", b"", b"http://127.1/",
]  # fmt: skip
DEEP = b"[" * 3000 + b"]" * 3000  # deeper than json.loads goes
BODIES = [
    DEEP, b"[" + b"9" * 5000 + b"]", b'{"success": 1e999999}', b'{"success": true}',
    json.dumps([HOOK]).encode(), json.dumps(HOOK).encode(), b"null", b'{"success": NaN}',
    json.dumps([{**HOOK, "createdAt": "0001-01-01T00:00:00+01:00"}]).encode(),
    b"5\r\nhello\r\nzz\r\n", b"0\r\n\r\n", b'{"a": "\xff"}', "[]".encode("utf-16"),
]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
valid_status = st.sampled_from(STATUS_LINES) | st.integers(100, 599).map(b"HTTP/1.1 %d X".__mod__)
odd_status = st.one_of(
    st.builds(
        lambda version, code, reason: version + b" %d " % code + reason,
        st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2", b"ICY", b"HTTP/1.1 "]),
        st.integers(100, 999) | st.integers(-5, 1200),
        st.sampled_from([b"OK", b"", b"\xff", b"No Content", b"x\ry"]),
    ),
    st.binary(max_size=30),
)
named_header = st.builds(
    lambda name, value: name + b": " + value,
    st.sampled_from(HEADER_NAMES) | st.binary(min_size=1, max_size=8).map(b"X-".__add__),
    st.one_of(*[st.sampled_from(ODD_VALUES)] * 3, st.binary(max_size=20)),
)
odd_line = st.one_of(
    st.sampled_from(LOCATIONS).map(b"Location: ".__add__),
    st.binary(max_size=20),  # not a header at all
)
bodies = st.one_of(
    st.sampled_from(BODIES),
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
)
# Mostly answers that parse as HTTP, so the odd values reach the client's own reading.
status_lines = st.one_of(valid_status, valid_status, odd_status)
header_lines = st.lists(st.one_of(named_header, named_header, named_header, odd_line), max_size=4)
answers = st.builds(
    lambda status, headers, body, length: (
        b"\r\n".join([status, *headers, *([b"Content-Length: %d" % len(body)] if length else [])])
        + b"\r\n\r\n"
        + body
    ),
    status_lines,
    header_lines,
    bodies,
    st.booleans(),
)


class _Script:
    """The one server of the test answers each request with the current example's bytes."""

    def __init__(self) -> None:
        self.raw = b""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if await read_request(reader) is not None:
            writer.write(self.raw)
            await writer.drain()


async def _call(url: str, name: str) -> BaseException | None:
    async with quick_client(url) as client:
        try:
            await endpoint(client, name)()
        except WhautoChatError as exc:
            return exc
    return None


def _check(name: str, error: BaseException | None) -> None:
    if name != "create" or error is None:
        return
    # Retries are off: once sent, a create ends unknown, or in the status the server gave.
    assert isinstance(error, UnknownOutcomeError | APIStatusError), repr(error)
    if isinstance(error, APIConnectionError):
        raise AssertionError(f"a create said 'not sent': {error!r}")


@pytest.fixture
def runner() -> Iterator[asyncio.Runner]:
    with asyncio.Runner() as loop_runner:
        yield loop_runner


def test_any_answer_to_any_endpoint_is_a_library_error(runner: asyncio.Runner) -> None:
    script = _Script()
    server = RawServer(script.handle)
    runner.run(server.__aenter__())
    leaks: list[Any] = []

    @settings(
        max_examples=200,
        deadline=None,  # loop start-up varies on a shared machine; timeouts bound each call
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(name=st.sampled_from(ENDPOINTS), raw=answers)
    def example(name: str, raw: bytes) -> None:
        script.raw = raw
        _check(name, runner.run(_call(server.url, name)))
        leaks.extend(_client_tasks(runner, server))

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        example()
        runner.run(server.__aexit__(None, None, None))
        gc.collect()
    assert not leaks
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def _client_tasks(runner: asyncio.Runner, server: RawServer) -> list[asyncio.Task[Any]]:
    """Tasks alive between examples that are not the server's own connection handlers."""
    alive = asyncio.all_tasks(runner.get_loop())
    return [task for task in alive if task not in server._tasks]
