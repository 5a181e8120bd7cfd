"""Malformed server answers end in library errors, over real loopback sockets.

A create that fails after its request went out is always UnknownOutcomeError, so a caller
who catches WhautoChatError and sends again never duplicates.
"""

from __future__ import annotations

import json
import socket

import pytest

from whautochat_async import (
    APIConnectionError,
    APIStatusError,
    BadRequestError,
    InternalServerError,
    InvalidInputError,
    ResponseValidationError,
    UnknownOutcomeError,
    Webhook,
    WhautoChatError,
)
from whautochat_async.converters import make_converter
from whautochat_async.testing import FakeWhautoChat

from .endpoints import ENDPOINTS, HOOK, endpoint, quick_client
from .raw_server import RawServer, answer, response

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000


def _nested_message(depth: int) -> bytes:
    body = b'"innermost"'
    for _ in range(depth):
        body = b'{"message":' + body + b"}"
    return body


async def _outcome(name: str, *raw: bytes) -> BaseException | object:
    """What endpoint ``name`` ends with when the server answers ``raw``."""
    async with RawServer(answer(*raw)) as server, quick_client(server.url) as client:
        try:
            return await endpoint(client, name)()
        except WhautoChatError as exc:
            return exc


def _expect(name: str, exc: BaseException | object, usual: type[WhautoChatError]) -> None:
    expected = UnknownOutcomeError if name == "create" else usual
    assert isinstance(exc, expected), exc


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize(
    "body",
    [DEEP_ARRAY, b'{"a": "\xff\xfe"}', b"[" + b"9" * 5000 + b"]", b"<html>busy</html>"],
    ids=["nested-100k-deep", "invalid-utf8", "5000-digit-int", "html"],
)
async def test_an_unreadable_2xx_is_a_validation_error_or_an_unknown_create(
    name: str, body: bytes
) -> None:
    exc = await _outcome(name, response(b"200 OK", body))
    _expect(name, exc, ResponseValidationError)
    assert "\n" not in str(exc)


@pytest.mark.parametrize("name", ENDPOINTS)
async def test_a_deeply_nested_error_body_is_the_status_error(name: str) -> None:
    exc = await _outcome(name, response(b"400 Bad Request", _nested_message(3000)))
    assert isinstance(exc, BadRequestError)
    exc = await _outcome(name, response(b"500 Oops", DEEP_ARRAY))
    _expect(name, exc, InternalServerError)


async def test_an_error_message_nested_a_little_is_still_read() -> None:
    exc = await _outcome("list", response(b"400 Bad Request", _nested_message(3)))
    assert isinstance(exc, BadRequestError)
    assert str(exc).endswith("-> 400: innermost")


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"\x00\x01garbage\r\n\r\n",
        response(b"200 OK", b"[]", b"Content-Length: 5"),  # a second, different length
        response(b"200 OK", b"[]", b"BadHeaderWithoutColon"),
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n[]",  # cut short
        response(b"200 OK", b"not gzip", b"Content-Encoding: gzip"),
        b"",  # closed without a word
    ],
    ids=["status", "garbage", "two-lengths", "no-colon", "chunked", "short", "gzip", "closed"],
)
async def test_an_answer_that_is_not_http_is_a_connection_error_in_one_line(
    name: str, raw: bytes
) -> None:
    exc = await _outcome(name, raw)
    _expect(name, exc, APIConnectionError)
    assert "\n" not in str(exc)
    assert "400," not in str(exc)  # aiohttp's own status for a parse error is not the server's


@pytest.mark.parametrize(
    "location",
    [b"http://[::1", b"http://a..b/", b"ftp://x/", b"//:99999/", b"http://127.0.0.1:0/"],
)
async def test_an_unusable_location_is_answered_like_a_missing_one(location: bytes) -> None:
    for name in ("list", "update", "delete"):
        exc = await _outcome(name, response(b"302 Found", b"", b"Location: " + location))
        assert isinstance(exc, APIStatusError)
        assert exc.status == 302
    # After a POST, "see other" may follow a create that happened; 307 says it did not.
    assert isinstance(
        await _outcome("create", response(b"303 See Other", b"", b"Location: " + location)),
        UnknownOutcomeError,
    )
    exc = await _outcome("create", response(b"307 Temporary", b"", b"Location: " + location))
    assert isinstance(exc, APIStatusError)
    assert exc.status == 307


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_a_create_redirected_to_a_dead_port_was_sent() -> None:
    # The POST reached the server (it answered 303): the next hop failing to connect
    # must not make it look "never sent", which would be retried.
    location = b"Location: http://127.0.0.1:%d/done" % _closed_port()
    exc = await _outcome("create", response(b"303 See Other", b"", location))
    assert isinstance(exc, UnknownOutcomeError)
    assert isinstance(exc.__cause__, APIConnectionError)
    assert exc.__cause__.request_sent


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
async def test_a_timestamp_outside_utc_range_is_kept_raw_and_written_back(
    fake: FakeWhautoChat, created_at: str
) -> None:
    fake.add_webhook(**{**HOOK, "createdAt": created_at})
    async with quick_client(fake.url) as client:
        (hook,) = await client.webhooks.list()
        assert hook.created_at is None
        assert hook.extra["createdAt"] == created_at
        await client.webhooks.update(hook, name="renamed")
    assert fake.requests[-1].json["createdAt"] == created_at


@pytest.mark.parametrize(
    "raw",
    [
        response(b"204 No Content", content_type=None),
        response(b"200 OK", b""),
        response(b"200 OK", b" \r\n"),
    ],
    ids=["204", "200-empty", "200-blank"],
)
async def test_a_delete_answered_with_no_body_succeeded(raw: bytes) -> None:
    result = await _outcome("delete", raw)
    assert getattr(result, "success", None) is True


@pytest.mark.parametrize("name", ["list", "update"])
async def test_no_body_is_still_an_error_where_a_body_is_the_answer(name: str) -> None:
    exc = await _outcome(name, response(b"204 No Content", content_type=None))
    assert isinstance(exc, ResponseValidationError)
    assert isinstance(await _outcome("create", response(b"201 Created")), UnknownOutcomeError)


async def test_delete_with_a_body_still_reads_it() -> None:
    body = json.dumps({"success": False}).encode()
    exc = await _outcome("delete", response(b"200 OK", body))
    assert "success=False" in str(exc)


def _nested_list(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"team": {1, 2}}, "set is not JSON serializable"),
        ({"x": _nested_list(200_000)}, "deeply"),  # Python 3.13 encodes 5,000 levels
    ],
)
async def test_an_unencodable_webhook_is_refused_before_any_request(
    fake: FakeWhautoChat, extra: dict[str, object], why: str
) -> None:
    hook = make_converter().structure({**HOOK, **extra}, Webhook)
    async with quick_client(fake.url) as client:
        with pytest.raises(InvalidInputError, match=why):
            await client.webhooks.update(hook, name="m")
    assert fake.request_count == 0
