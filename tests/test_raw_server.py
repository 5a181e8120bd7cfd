"""The raw-socket server helper answers with exactly the bytes it is given."""

from __future__ import annotations

import aiohttp

from .raw_server import RawServer, answer

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"


async def test_it_serves_scripted_bytes_and_records_the_request() -> None:
    async with (
        RawServer(answer(OK)) as server,
        aiohttp.ClientSession() as session,
        session.get(server.url + "/v1/webhooks?page=1") as response,
    ):
        assert response.status == 200
        assert await response.read() == b"[]"
    assert server.connections == 1
    assert server.requests[0].startswith(b"GET /v1/webhooks?page=1 HTTP/1.1\r\n")
