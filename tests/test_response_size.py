"""max_response_size: a huge, endless or decompression-bomb answer stops the read at the limit."""

from __future__ import annotations

import asyncio
import tracemalloc
import zlib

import pytest
from yarl import URL

from whautochat_async import (
    APIStatusError,
    ConfigurationError,
    ResponseTooLargeError,
    ResponseValidationError,
    Timeout,
    UnknownOutcomeError,
    Webhook,
    WhautoChat,
)
from whautochat_async._http import protocol
from whautochat_async._http.redaction import Redactor
from whautochat_async._http.requester import Requester
from whautochat_async._http.transport import Transport
from whautochat_async.converters import shared_converter
from whautochat_async.resources._resource import Resource

from .conftest import API_KEY
from .raw_server import RawServer, answer, read_request

KIB, MIB = 1024, 1024 * 1024
LIMIT = 64 * KIB
#: What the client may hold on top of the limit: socket buffers and one read chunk.
SLACK = 16 * MIB
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


class Streamer:
    """A handler that sends ``head`` then ``chunk`` until ``cap`` bytes or the client leaves."""

    def __init__(self, head: bytes, chunk: bytes, *, cap: int = 256 * MIB) -> None:
        self.head, self.chunk, self.cap = head, chunk, cap
        self.sent = 0

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(self.head)
        while self.sent < self.cap:
            writer.write(self.chunk)
            self.sent += len(self.chunk)
            await writer.drain()  # raises once the client has closed the connection


def client_for(url: str, **options: object) -> WhautoChat:
    return WhautoChat(
        API_KEY, base_url=url, max_response_size=LIMIT, rate_limit=None, environ={}, **options
    )  # type: ignore[arg-type]


async def test_a_content_length_over_the_limit_is_refused_before_reading() -> None:
    streamer = Streamer(OK + b"Content-Length: %d\r\n\r\n" % (256 * MIB), b" " * MIB)
    async with RawServer(streamer) as server, client_for(server.url) as client:
        with pytest.raises(ResponseTooLargeError) as caught:
            await client.webhooks.list()
    error = caught.value
    assert isinstance(error, ResponseValidationError)
    assert (error.limit, error.method) == (LIMIT, "GET")
    assert "max_response_size (65536 bytes)" in str(error)
    assert streamer.sent < SLACK
    assert len(server.requests) == 1  # the same answer would come again: not retried


async def test_an_endless_chunked_body_is_cut_at_the_limit() -> None:
    chunk = b"%x\r\n%s\r\n" % (64 * KIB, b" " * 64 * KIB)
    streamer = Streamer(OK + b"Transfer-Encoding: chunked\r\n\r\n", chunk)
    async with RawServer(streamer) as server, client_for(server.url) as client:
        with pytest.raises(ResponseTooLargeError):
            await client.webhooks.list()
    assert streamer.sent < SLACK


async def test_a_gzip_bomb_is_counted_decompressed_in_bounded_memory() -> None:
    squeezer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: the gzip container
    bomb = squeezer.compress(b" " * 64 * MIB) + squeezer.flush()
    assert len(bomb) < LIMIT  # small on the wire: only decompressing shows its size
    head = OK + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb)
    async with RawServer(answer(head + bomb)) as server, client_for(server.url) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ResponseTooLargeError):
                await client.webhooks.list()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 * MIB  # read whole, it would be 64 MiB and more


async def test_a_body_of_exactly_the_limit_is_read() -> None:
    body = b"[]".ljust(LIMIT)
    raw = OK + b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    async with RawServer(answer(raw)) as server, client_for(server.url) as client:
        page = await client.webhooks.list()
    assert page.items == ()


async def test_a_create_whose_2xx_answer_is_too_large_has_an_unknown_outcome() -> None:
    streamer = Streamer(
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"400\r\n%s\r\n" % (b" " * KIB),
    )
    async with RawServer(streamer) as server, client_for(server.url) as client:
        with pytest.raises(UnknownOutcomeError, match="may or may not have been created") as caught:
            await client.webhooks.create(
                name="n", server_url="https://example.com/h", events=["contact_created"]
            )
    assert isinstance(caught.value.__cause__, ResponseTooLargeError)
    assert len(server.requests) == 1


async def test_an_error_answer_too_large_is_its_status_error_with_the_body_cut() -> None:
    streamer = Streamer(
        b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"400\r\n%s\r\n" % (b"x" * KIB),
    )
    async with RawServer(streamer) as server, client_for(server.url) as client:
        with pytest.raises(APIStatusError) as caught:
            await client.webhooks.list()
    assert caught.value.status == 400
    assert caught.value.response.body == b"x" * LIMIT
    assert streamer.sent < SLACK


@pytest.mark.parametrize("size", [0, -1, True, 1.5, "10"])
def test_max_response_size_must_be_a_positive_int(size: object) -> None:
    with pytest.raises(ConfigurationError, match="max_response_size"):
        WhautoChat(API_KEY, max_response_size=size, environ={})  # type: ignore[arg-type]


@pytest.mark.parametrize(("method", "error"), [("POST", UnknownOutcomeError), ("GET", None)])
async def test_the_resource_alone_turns_a_too_large_answer_to_a_write_into_unknown_outcome(
    method: str, error: type[Exception] | None
) -> None:
    too_large = ResponseTooLargeError("too large", method=method, url="https://x/h", limit=1)

    async def send(request: protocol.Request) -> protocol.Response:
        raise too_large

    resource = Resource(send, shared_converter(), Redactor(API_KEY))
    get = protocol.Request(method="GET", path="v1/webhooks")
    request = protocol.create_request({"name": "n"}) if method == "POST" else get
    with pytest.raises(error or ResponseTooLargeError, match=r"over max_response_size|too large"):
        await resource._call(request, Webhook)
    # The requester passes it on as it is: the rule lives in one place.
    step = Requester(_Raising(too_large), timeout=Timeout(deadline=5.0))
    with pytest.raises(ResponseTooLargeError):
        await step.send(request)


class _Raising(Transport):
    def __init__(self, error: Exception) -> None:
        super().__init__(base_url=URL("https://api.example/"), api_key=API_KEY)
        self.error = error

    async def send(
        self, request: protocol.Request, *, attempt_timeout: float | None, connect: float | None
    ) -> protocol.Response:
        raise self.error
