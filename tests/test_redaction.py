"""The key is taken out of what the client reports, never out of the data it returns."""

from __future__ import annotations

import json
import logging
import traceback

import pytest

from whautochat_async import (
    APIConnectionError,
    APIStatusError,
    InternalServerError,
    ResponseValidationError,
    TooManyRedirectsError,
    UnknownOutcomeError,
    WhautoChat,
)
from whautochat_async._http import protocol
from whautochat_async._http.redaction import Redactor
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .endpoints import endpoint, quick_client
from .raw_server import RawServer, answer, response

REDACT = Redactor(API_KEY)
KEY_URL = f"https://hooks.example.com/in/{API_KEY}?token={API_KEY}"


def _report(exc: BaseException) -> str:
    """Everything a user or a log handler can print of an error, causes included."""
    return "".join(traceback.format_exception(exc)) + repr(vars(exc))


def _status_error(body: bytes, **headers: str) -> APIStatusError:
    answer_ = protocol.Response(
        method="GET", url=f"https://x/v1/?k={API_KEY}", status=500, headers=headers, body=body
    )
    return protocol.status_error(answer_)


def test_a_status_error_is_scrubbed_in_its_message_fields_and_response() -> None:
    error = _status_error(
        json.dumps({"error": {"message": f"key {API_KEY} lacks scope"}}).encode(),
        **{"x-debug": f"caller={API_KEY}"},
    )
    error.add_note(f"note with {API_KEY}")
    REDACT.error(error)
    assert str(error).endswith("-> 500: key *** lacks scope")
    assert error.body == {"error": {"message": "key *** lacks scope"}}
    assert error.headers["x-debug"] == "caller=***"
    assert error.response.body == b'{"error": {"message": "key *** lacks scope"}}'
    assert error.url == "https://x/v1/?k=***"
    assert API_KEY not in _report(error)


def test_a_key_hidden_by_json_escapes_is_found_in_the_parsed_body() -> None:
    escaped = "".join(f"\\u{ord(char):04x}" for char in API_KEY)
    error = _status_error(('{"message": "' + escaped + '"}').encode())
    REDACT.error(error)
    assert error.body == {"message": "***"}
    assert API_KEY not in str(error)


def test_a_deeply_nested_body_quoting_the_key_costs_no_recursion_error() -> None:
    body = f'"{API_KEY}"'
    for _ in range(900):
        body = '{"a": [' + body + "]}"
    error = _status_error(body.encode())
    REDACT.error(error)
    assert API_KEY not in repr(error.body)
    assert API_KEY not in _report(error)


def test_a_body_without_the_key_is_left_as_it_is() -> None:
    error = _status_error(b'{"message": "plain"}')
    body, answer_ = error.body, error.response
    REDACT.error(error)
    assert error.body is body
    assert error.response.body is answer_.body


def test_a_foreign_cause_quoting_the_key_is_withheld_and_ours_are_scrubbed() -> None:
    foreign = ValueError(f"parser saw b'x-api-key: {API_KEY}'")
    middle = APIConnectionError(f"GET / failed: {API_KEY}", url=f"http://x/{API_KEY}")
    middle.__cause__ = foreign
    top = UnknownOutcomeError(f"may or may not ({middle})")
    top.__cause__ = middle
    REDACT.error(top)
    assert top.__cause__ is middle
    assert middle.__cause__ is None
    assert middle.url == "http://x/***"
    assert "withheld" in "".join(middle.__notes__)
    assert API_KEY not in _report(top)


def test_the_redactor_never_shows_the_key_in_its_repr() -> None:
    assert API_KEY not in repr(REDACT)


async def test_a_server_url_holding_the_key_round_trips_exactly(fake: FakeWhautoChat) -> None:
    async with WhautoChat(API_KEY, base_url=fake.url, environ={}) as client:
        created = await client.webhooks.create(
            name="n", server_url=KEY_URL, events=["contact_created"]
        )
        assert created.server_url == KEY_URL
        (listed,) = await client.webhooks.list()
        assert listed.server_url == KEY_URL
        updated = await client.webhooks.update(listed, name="renamed")
        assert updated.server_url == KEY_URL
    assert fake.webhooks[0]["serverUrl"] == KEY_URL
    assert fake.requests[-1].json["serverUrl"] == KEY_URL


async def test_an_unreadable_2xx_quoting_the_key_is_redacted_everywhere(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="whautochat_async")
    body = json.dumps({"success": API_KEY, "serverUrl": KEY_URL, "id": 7}).encode()
    for name, expected in (("create", UnknownOutcomeError), ("delete", ResponseValidationError)):
        async with (
            RawServer(answer(response(b"200 OK", body))) as server,
            quick_client(server.url) as client,
        ):
            with pytest.raises(expected) as caught:
                await endpoint(client, name)()
        assert "***" in str(caught.value)
        assert API_KEY not in _report(caught.value)
    assert API_KEY not in caplog.text


async def test_a_malformed_header_quoting_the_key_is_redacted() -> None:
    raw = b"HTTP/1.1 200 OK\r\nkey " + API_KEY.encode() + b"\r\nContent-Length: 2\r\n\r\n[]"
    async with RawServer(answer(raw)) as server, quick_client(server.url) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.webhooks.list()
    assert API_KEY not in _report(caught.value)


async def test_a_redirect_loop_through_a_url_holding_the_key_is_redacted(
    fake: FakeWhautoChat,
) -> None:
    loop = {"Location": f"{fake.url}/v1/webhooks?k={API_KEY}"}
    fake.faults.status(302, headers=loop, body={}, times=None)
    async with quick_client(fake.url) as client:
        with pytest.raises(TooManyRedirectsError) as caught:
            await client.webhooks.list()
    assert caught.value.url.endswith("k=***")
    assert API_KEY not in _report(caught.value)


async def test_an_error_answer_after_a_create_is_redacted_through_its_cause(
    fake: FakeWhautoChat,
) -> None:
    fake.faults.status(500, body={"message": f"{API_KEY} broke"})
    async with quick_client(fake.url) as client:
        with pytest.raises(UnknownOutcomeError) as caught:
            await endpoint(client, "create")()
    cause = caught.value.__cause__
    assert isinstance(cause, InternalServerError)
    assert cause.body == {"message": "*** broke"}
    assert API_KEY not in _report(caught.value)
