"""Pure request building and response interpretation, no sockets."""

from __future__ import annotations

import pytest
from yarl import URL

from whautochat_async import (
    APIStatusError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
    ResponseValidationError,
    __version__,
)
from whautochat_async._http import protocol
from whautochat_async._http.protocol import delete_request
from whautochat_async._http.transport import _CACHE_SIZE, Transport


def response(status: int, body: bytes, **headers: str) -> protocol.Response:
    return protocol.Response(
        method="GET",
        url="https://api.example.com/v1/webhooks?page=1",
        status=status,
        headers=headers,
        body=body,
    )


@pytest.mark.parametrize("webhook_id", ["a/../b", "..", ".", "a?b#c", "x y%2F", "ü/"])
def test_ids_stay_one_segment_under_the_webhooks_path(webhook_id: str) -> None:
    path = protocol.webhook_path(webhook_id)
    base = URL("https://api.example.com/prefix/")
    resolved = URL(str(base) + path, encoded=True)
    assert resolved.path.startswith("/prefix/v1/webhooks/")
    assert resolved.raw_path.count("/") == 4
    assert resolved.path.removeprefix("/prefix/v1/webhooks/") == webhook_id
    assert "/../" not in resolved.raw_path
    assert not resolved.raw_path.endswith("/..")


def test_default_headers_name_the_client_and_version() -> None:
    headers = protocol.default_headers()
    assert headers == {
        "Accept": "application/json",
        "User-Agent": f"whautochat-async/{__version__}",
    }


def test_list_request_sends_page_and_limit_as_strings() -> None:
    request = protocol.list_request(page=3, limit=50)
    assert (request.method, request.path, request.params) == (
        "GET",
        "v1/webhooks",
        {"page": "3", "limit": "50"},
    )
    assert request.idempotent
    assert not protocol.create_request({"name": "x"}).idempotent


def test_decode_json_rejects_html_with_the_content_type_and_an_excerpt() -> None:
    page = response(200, b"<html>Bad gateway</html>", **{"content-type": "text/html"})
    with pytest.raises(ResponseValidationError, match="text/html") as caught:
        protocol.decode_json(page)
    assert "Bad gateway" in caught.value.body_excerpt
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, AuthenticationError), (404, NotFoundError), (503, InternalServerError)],
)
def test_raise_for_status_maps_and_keeps_details(status: int, cls: type[APIStatusError]) -> None:
    body = b'{"error": {"code": "x", "message": "Webhook wh_1 not found"}}'
    with pytest.raises(cls) as caught:
        protocol.raise_for_status(response(status, body, **{"x-request-id": "req_9"}))
    error = caught.value
    assert str(error) == f"GET /v1/webhooks?page=1 -> {status}: Webhook wh_1 not found"
    assert (error.status, error.method, error.request_id) == (status, "GET", "req_9")
    assert error.body == {"error": {"code": "x", "message": "Webhook wh_1 not found"}}


def test_unlisted_status_is_still_an_api_status_error() -> None:
    with pytest.raises(APIStatusError) as caught:
        protocol.raise_for_status(response(418, b"short and stout"))
    assert type(caught.value) is APIStatusError
    assert "418: short and stout" in str(caught.value)


def test_rate_limit_error_carries_retry_after() -> None:
    with pytest.raises(RateLimitError) as caught:
        protocol.raise_for_status(response(429, b""), retry_after=2.5)
    assert caught.value.retry_after == 2.5
    assert "no body" in str(caught.value)


def test_2xx_passes() -> None:
    protocol.raise_for_status(response(204, b""))


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"message": "m"}, "m"),
        ({"error": "e"}, "e"),
        ({"error": {"message": "nested"}}, "nested"),
        ({"detail": " d "}, "d"),
        ("plain", "plain"),
        ({"other": 1}, None),
        ([1], None),
    ],
)
def test_error_text_reads_common_shapes(body: object, text: str | None) -> None:
    assert protocol.error_text(body) == text


def test_transport_urls_are_parsed_once_per_path_and_the_cache_stays_bounded() -> None:
    transport = Transport(base_url=URL("https://api.example.com/base/"), api_key="k")
    first = transport.url_for(delete_request("wh 1"))
    assert str(first) == "https://api.example.com/base/v1/webhooks/wh%201"
    assert transport.url_for(delete_request("wh 1")) is first
    urls = [transport.url_for(delete_request(f"wh_{n}")) for n in range(3 * _CACHE_SIZE)]
    assert [url.path for url in urls[-3:]] == [
        f"/base/v1/webhooks/wh_{n}" for n in range(3 * _CACHE_SIZE - 3, 3 * _CACHE_SIZE)
    ]
    assert len(transport._urls) <= _CACHE_SIZE


def test_transport_client_timeouts_are_reused_and_the_cache_stays_bounded() -> None:
    transport = Transport(base_url=URL("https://api.example.com/"), api_key="k")
    first = transport._client_timeout(5.0)
    assert (first.connect, first.total) == (5.0, None)
    assert transport._client_timeout(5.0) is first
    clipped = [transport._client_timeout(n / 1000) for n in range(1, 2 * _CACHE_SIZE)]
    assert clipped[-1].connect == (2 * _CACHE_SIZE - 1) / 1000
    assert len(transport._timeouts) <= _CACHE_SIZE


def test_status_error_builds_the_error_carrying_the_response() -> None:
    answer = response(404, b'{"message": "gone"}', **{"x-request-id": "req_3"})
    error = protocol.status_error(answer)
    assert type(error) is NotFoundError
    assert error.response is answer
    assert (error.status, error.url, error.headers) == (404, answer.url, answer.headers)
    assert error.request_id == "req_3"


def test_every_request_is_labelled_in_one_way() -> None:
    assert protocol.list_request(page=1, limit=5).label == "GET /v1/webhooks"
    assert protocol.delete_request("a/b").label == "DELETE /v1/webhooks/a%2Fb"
    assert protocol.update_request("wh_1", {}).label == "PUT /v1/webhooks/wh_1"


def test_unknown_outcome_wording_names_the_operation() -> None:
    cause = InternalServerError("boom", response=response(502, b""))
    created = protocol.unknown_outcome(protocol.create_request({}), cause, "502 after a POST")
    assert str(created).startswith("POST /v1/webhooks: the webhook may or may not have been")
    assert "list the webhooks before creating it again" in str(created)
    other = protocol.Request(method="POST", path="v1/webhooks/wh_1/test")
    unknown = protocol.unknown_outcome(other, cause, "502 after a POST", url="u")
    assert str(unknown).startswith("POST /v1/webhooks/wh_1/test: it may or may not have taken")
    assert "created" not in str(unknown)
    assert (unknown.method, unknown.url) == ("POST", "u")
