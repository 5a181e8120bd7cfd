"""What "sent" means: bytes of the request may have left on a connection, not "a timer fired".

Over real loopback sockets: a port whose accept queue is full (the SYN is dropped, so the
connect never completes), a server that drops connections the client would reuse, and a
borrowed session that is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
from collections.abc import Iterator

import aiohttp
import pytest

from whautochat_async import (
    APITimeoutError,
    ClientClosedError,
    RetryPolicy,
    SessionClosedError,
    Timeout,
    UnknownOutcomeError,
    WhautoChat,
)

from .conftest import API_KEY
from .counting_limiter import CountingLimiter
from .raw_server import RawServer, read_request

NO_WAIT = RetryPolicy(max_retries=1, backoff_base=0)
CREATED = (
    b'{"id": "wh_1", "name": "n", "serverUrl": "https://example.com/h",'
    b' "events": ["contact_created"], "active": true}'
)
ANSWERS = {
    b"POST": b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(CREATED), CREATED),
    b"GET": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]",
}


@contextlib.contextmanager
def unanswered_port() -> Iterator[int]:
    """A loopback port that never completes a connect: its accept queue is full."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)  # never accepted; Linux queues one connection, then drops SYNs
    address = listener.getsockname()
    fillers = [socket.socket() for _ in range(3)]
    try:
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(address)
        probe = fillers[-1]
        _, writable, _ = select.select([], [probe], [], 0.05)
        assert not writable, "the kernel completed a connect to a full accept queue"
        yield address[1]
    finally:
        for sock in [*fillers, listener]:
            sock.close()


def create(client: WhautoChat) -> object:
    return client.webhooks.create(
        name="n", server_url="https://example.com/h", events=["contact_created"]
    )


@pytest.mark.parametrize("connect", [0.1, 5.0], ids=["equal timeouts", "attempt timer first"])
async def test_a_create_whose_connect_never_completed_is_retried(connect: float) -> None:
    timeout = Timeout(deadline=10, attempt=0.1, connect=connect)
    with unanswered_port() as port:
        url = f"http://127.0.0.1:{port}"
        async with WhautoChat(
            API_KEY, base_url=url, timeout=timeout, retry=NO_WAIT, rate_limit=None, environ={}
        ) as client:
            with pytest.raises(APITimeoutError) as caught:
                await create(client)  # type: ignore[misc]
    assert caught.value.request_sent is False  # retried once, then raised: never sent
    assert any("attempt 2" in note for note in caught.value.__notes__)


async def test_a_borrowed_session_counts_a_timer_during_connect_as_sent() -> None:
    # Without our trace on the session nothing proves the request had not left yet.
    timeout = Timeout(deadline=10, attempt=0.1, connect=5.0)
    with unanswered_port() as port:
        url = f"http://127.0.0.1:{port}"
        async with (
            aiohttp.ClientSession() as session,
            WhautoChat(
                API_KEY, base_url=url, timeout=timeout, session=session, rate_limit=None, environ={}
            ) as client,
        ):
            with pytest.raises(UnknownOutcomeError):
                await create(client)  # type: ignore[misc]


async def answer_first_request_only(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    """Answer one request per connection, then drop it at the next: a stale pooled connection."""
    request = await read_request(reader)
    if request is None:
        return
    writer.write(ANSWERS[request.split(b" ", 1)[0]])
    await writer.drain()
    await read_request(reader)  # a reused connection: read it, answer nothing, close


async def test_creates_never_ride_a_connection_the_server_may_have_dropped() -> None:
    async with (
        RawServer(answer_first_request_only) as server,
        WhautoChat(API_KEY, base_url=server.url, rate_limit=None, environ={}) as client,
    ):
        for _ in range(5):
            await create(client)  # type: ignore[misc]
    assert len(server.requests) == 5
    assert server.connections == 5


async def test_a_list_on_a_dropped_connection_is_retried_through_the_limiter() -> None:
    limiter = CountingLimiter()
    async with (
        RawServer(answer_first_request_only) as server,
        WhautoChat(
            API_KEY, base_url=server.url, rate_limit=limiter, retry=NO_WAIT, environ={}
        ) as client,
    ):
        await client.webhooks.list()
        await client.webhooks.list()  # its pooled connection is dropped: resent once
    # Every request that reached the wire took a slot (aiohttp's own resend would not).
    assert len(server.requests) == limiter.acquired == 3


async def test_a_closed_borrowed_session_is_a_clear_error_holding_no_slot() -> None:
    limiter = CountingLimiter()
    session = aiohttp.ClientSession()
    await session.close()
    client = WhautoChat(API_KEY, session=session, rate_limit=limiter, environ={})
    with pytest.raises(SessionClosedError, match="session passed as session= is closed"):
        await client.webhooks.list()
    assert isinstance(SessionClosedError("x"), ClientClosedError)
    assert limiter.acquired == 0


async def test_a_session_closed_while_queued_refunds_its_slot() -> None:
    session = aiohttp.ClientSession()
    limiter = CountingLimiter(on_acquire=session.close)
    client = WhautoChat(API_KEY, session=session, rate_limit=limiter, environ={})
    with pytest.raises(SessionClosedError):
        await create(client)  # type: ignore[misc]
    assert limiter.released == [False]
    await session.close()
