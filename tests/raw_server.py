"""A loopback TCP server that answers with scripted bytes, for answers aiohttp's server won't send.

Each connection is handed to a handler coroutine with its reader and writer; the helpers
below read one HTTP/1.1 request and write raw bytes back (a broken status line, a lying
Content-Length, an endless chunked body, a close before any answer...).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

__all__ = ["Handler", "RawServer", "answer", "read_request", "response"]


class RawServer:
    """``async with RawServer(handler) as server:`` then point a client at ``server.url``."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        #: Every request read by :func:`read_request` through this server, raw.
        self.requests: list[bytes] = []
        self.connections = 0

    @property
    def port(self) -> int:
        """The listening port (still known after the server closed, for assertions)."""
        assert self._port is not None, "use the server inside 'async with'"
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self._port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in list(self._writers):
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        reader._raw_server = self  # type: ignore[attr-defined]  # lets read_request record
        try:
            await self._handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away: the script ends with it
        except asyncio.CancelledError:
            pass  # the server is closing; asyncio would log a cancelled handler as an error
        finally:
            self._tasks.discard(task)
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes | None:
    """One request (head and Content-Length body), or None when the client closed first."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    request = head + (await reader.readexactly(length) if length else b"")
    server = getattr(reader, "_raw_server", None)
    if server is not None:
        server.requests.append(request)
    return request


def answer(*responses: bytes, keep_open: bool = False) -> Handler:
    """A handler that reads a request and writes the next of ``responses``, in turn.

    Each connection answers as many requests as there are ``responses`` and then closes
    (or, with ``keep_open``, waits for the client to close).
    """

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for raw in responses:
            if await read_request(reader) is None:
                return
            writer.write(raw)
            await writer.drain()
        if keep_open:
            await reader.read()

    return handle


def response(
    status: bytes = b"200 OK",
    body: bytes = b"",
    *headers: bytes,
    content_type: bytes | None = b"application/json",
) -> bytes:
    """An HTTP/1.1 answer with a correct Content-Length, plus any raw ``headers`` lines."""
    lines = [b"HTTP/1.1 " + status, b"Content-Length: %d" % len(body), *headers]
    if content_type is not None:
        lines.append(b"Content-Type: " + content_type)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
