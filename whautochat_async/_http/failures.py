"""How a network failure becomes our error, and whether the request may have left.

``request_sent`` decides whether a create may be retried, so it is ``False`` only where
aiohttp proves that no byte of the request was written.
"""

from __future__ import annotations

import aiohttp
from yarl import URL

from ..errors import APIConnectionError, APITimeoutError
from .protocol import Request
from .session import Progress

__all__ = ["attempt_error"]


def attempt_error(
    request: Request,
    url: URL,
    exc: BaseException,
    progress: Progress | None,
    hops: list[URL],
    seconds: float | None,
) -> APIConnectionError:
    """The error of an attempt its timer (of ``seconds``), aiohttp or the OS cut short.

    ``hops``: the redirects answered before it failed.
    """
    kind, message = APIConnectionError, f"{request.label} failed: {_reason(exc)}"
    if isinstance(exc, TimeoutError):  # aiohttp's own timeouts are TimeoutErrors too
        kind, message = APITimeoutError, f"{request.label} timed out after {seconds}s"
    sent = _sent(exc, progress, answered=bool(hops))
    return kind(message, method=request.method, url=str(url), request_sent=sent)


def _sent(exc: BaseException, progress: Progress | None, *, answered: bool) -> bool:
    """Whether bytes of the request may have left: False only where that is proven."""
    if answered:  # a redirect was answered: the request reached a server
        return True
    if isinstance(exc, _NOT_SENT):
        return False
    # Our session for writes that must not repeat says when a connection is ready, before
    # anything is written: the attempt's timer (a plain TimeoutError) firing before then
    # stopped a request that never left. Elsewhere (an idempotent request is retried
    # either way; a borrowed session says nothing) a timer counts as sent.
    return not (progress is not None and not progress.connected and type(exc) is TimeoutError)


#: Raised by aiohttp before any byte of the request is written (a proxy's refused CONNECT too).
_NOT_SENT = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
    aiohttp.ClientHttpProxyError,
)


def _reason(exc: BaseException) -> str:
    """One line for a network failure; aiohttp's parser errors take several."""
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the answer's body was cut short or malformed"
    if type(exc) is aiohttp.ClientResponseError:  # raised for an answer that is not HTTP
        # Its status (400) is aiohttp's, not the server's.
        lines = str(exc.message).strip().splitlines() or [""]
        return f"the answer is not valid HTTP ({lines[0].rstrip(':') or 'unreadable'})"
    return " ".join(str(exc).split()) or type(exc).__name__
