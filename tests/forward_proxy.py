"""A loopback forward proxy: absolute-form requests are relayed, CONNECT is refused.

Enough to prove what a client sends through a proxy: every request it receives is
recorded (request line and headers) and relayed to its loopback target, one request per
connection. A CONNECT (a tunnel for https) is recorded and answered ``connect_status``.
"""

from __future__ import annotations

import asyncio
import contextlib

from yarl import URL

from .raw_server import RawServer, read_request

__all__ = ["ForwardProxy"]


class ForwardProxy(RawServer):
    """``async with ForwardProxy() as proxy:``; ``proxy.seen`` holds each request's head."""

    def __init__(self, *, connect_status: int = 403) -> None:
        super().__init__(self._relay)
        self.connect_status = connect_status
        #: (request line, {lower-cased header: value}) for each request received.
        self.seen: list[tuple[str, dict[str, str]]] = []

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw = await read_request(reader)
        if raw is None:
            return
        head, _, body = raw.partition(b"\r\n\r\n")
        line, *fields = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
        self.seen.append((line, headers))
        method, target, version = line.split(" ")
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 %d Refused\r\nContent-Length: 0\r\n\r\n" % self.connect_status)
            await writer.drain()
            return
        url = URL(target)
        assert url.host in ("127.0.0.1", "localhost"), f"the proxy relays to loopback only: {url}"
        forwarded = [f"{method} {url.raw_path_qs} {version}"]
        forwarded += [f for f in fields if not f.lower().startswith(("proxy-", "connection:"))]
        forwarded.append("Connection: close")
        upstream_reader, upstream_writer = await asyncio.open_connection(url.host, url.port)
        try:
            upstream_writer.write("\r\n".join(forwarded).encode("latin-1") + b"\r\n\r\n" + body)
            await upstream_writer.drain()
            writer.write(await upstream_reader.read())  # the upstream closes after answering
            await writer.drain()
        finally:
            upstream_writer.close()
            with contextlib.suppress(OSError):
                await upstream_writer.wait_closed()

    @property
    def lines(self) -> list[str]:
        """The request line of each request received, in order."""
        return [line for line, _ in self.seen]
