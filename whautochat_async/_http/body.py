"""Reading an answer's body in chunks, up to a limit: a server cannot make the client hold more."""

from __future__ import annotations

import aiohttp

from ..errors import ResponseTooLargeError
from .protocol import Request

#: 10 MiB: a page of 100 webhooks is a few tens of KiB; anything near this is not the API.
DEFAULT_MAX_RESPONSE_SIZE = 10 * 1024 * 1024
#: Bytes read at a time; memory stays near the limit plus this (and aiohttp's buffers).
_READ_CHUNK = 64 * 1024


async def read_body(raw: aiohttp.ClientResponse, request: Request, limit: int) -> bytes:
    """The body, decompressed, up to ``limit`` bytes; a 2xx over it is ResponseTooLargeError.

    A non-2xx body is cut at the limit instead: its status already says what happened.
    aiohttp decompresses in bounded steps, so a gzip bomb is stopped here too.
    """
    ok = 200 <= raw.status < 300
    length = raw.content_length
    if length is not None and length <= limit and "Content-Encoding" not in raw.headers:
        # A plain body of a length within the limit: read at once (profiled: a listing's
        # pages took a few per cent longer in chunks). aiohttp reads no more than the length.
        return await raw.read()
    if ok and length is not None and length > limit:
        raise _too_large(raw, request, limit)
    body, size = bytearray(), 0
    async for chunk in raw.content.iter_chunked(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            if ok:
                raise _too_large(raw, request, limit)
            body += chunk[: len(chunk) - (size - limit)]
            break
        body += chunk
    return bytes(body)


def _too_large(raw: aiohttp.ClientResponse, request: Request, limit: int) -> ResponseTooLargeError:
    return ResponseTooLargeError(
        f"{request.label} -> {raw.status}: the answer is larger than max_response_size "
        f"({limit} bytes); the client stopped reading it",
        method=request.method,
        url=str(raw.url),
        limit=limit,
    )
