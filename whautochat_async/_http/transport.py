"""The only module that does network I/O: it owns (or borrows) the aiohttp session.

Redirects are followed by hand so the API key goes only to the API's own origin
(aiohttp would forward ``x-api-key`` to another origin on a redirect).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import MappingProxyType
from typing import TypeVar

import aiohttp
from yarl import URL

from .._validation import url_problem
from ..errors import APIConnectionError, APITimeoutError, ClientClosedError, TooManyRedirectsError
from .protocol import Request, Response, default_headers

API_KEY_HEADER = "x-api-key"
MAX_REDIRECTS = 10
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
#: Entries kept in each per-transport cache (parsed URLs by path, ClientTimeouts).
_CACHE_SIZE = 256
_PLAIN_HEADERS = MappingProxyType(default_headers())  # to another origin: no API key
_JSON_CONTENT = MappingProxyType({"Content-Type": "application/json"})  # with a body
_K = TypeVar("_K")
_V = TypeVar("_V")


class Transport:
    """Sends a Request and reads the whole Response; maps network failures to our errors."""

    def __init__(
        self,
        *,
        base_url: URL,
        api_key: str,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_url = base_url
        self._origin = base_url.origin()
        self._base = str(base_url)
        # Read-only: aiohttp copies the headers it is given, so one mapping serves all.
        self._api_headers = MappingProxyType({**default_headers(), API_KEY_HEADER: api_key})
        self._urls: dict[str, URL] = {}
        self._timeouts: dict[float | None, aiohttp.ClientTimeout] = {}
        self._session = session
        self._owns_session = session is None
        self._closed = False

    def __repr__(self) -> str:
        return f"<Transport {self._origin} owns_session={self._owns_session}>"

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    async def close(self) -> None:
        """Close the session if this transport opened it; never a borrowed one."""
        self._closed = True
        session, self._session = self._session, None
        if self._owns_session and session is not None:
            await session.close()

    def url_for(self, request: Request) -> URL:
        """The absolute URL of a request (its path is already percent-encoded)."""
        # Parsing a URL costs more than the rest of this layer: one parse per path.
        path = request.path
        return _cached(self._urls, path, lambda: URL(self._base + path, encoded=True))

    async def send(
        self, request: Request, *, attempt_timeout: float | None, connect: float | None
    ) -> Response:
        """One attempt, redirects included, within ``attempt_timeout`` seconds."""
        session = self._get_session()
        url = self.url_for(request)
        hops: list[URL] = []  # answered redirects: after one, the request has been sent
        try:
            async with asyncio.timeout(attempt_timeout):
                return await self._follow(session, request, url, connect, hops)
        except TimeoutError as exc:
            raise APITimeoutError(
                f"{request.label} timed out after {attempt_timeout}s",
                method=request.method,
                url=str(url),
                request_sent=bool(hops) or not isinstance(exc, aiohttp.ConnectionTimeoutError),
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise _connection_error(request, url, exc, answered=bool(hops)) from exc

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        url: URL,
        connect: float | None,
        hops: list[URL],
    ) -> Response:
        method, body = request.method, request.content
        params = request.params
        headers = self._api_headers  # the first hop goes to the base URL, our API origin
        for _ in range(MAX_REDIRECTS + 1):
            async with session.request(
                method,
                url,
                params=params,
                data=body,
                headers=headers if body is None else {**headers, **_JSON_CONTENT},
                allow_redirects=False,
                raise_for_status=False,
                timeout=self._client_timeout(connect),
            ) as raw:
                target = _redirect_target(raw, url)
                if target is None:
                    return _response_of(raw, method, await raw.read())
            hops.append(url)
            url = target
            headers = self._api_headers if url.origin() == self._origin else _PLAIN_HEADERS
            params = None  # the Location carries its own query
            if raw.status == 303 or (raw.status in (301, 302) and method == "POST"):
                method, body = "GET", None
        raise TooManyRedirectsError(
            f"{request.label}: more than {MAX_REDIRECTS} redirects",
            method=request.method,
            url=str(url),
        )

    def _client_timeout(self, connect: float | None) -> aiohttp.ClientTimeout:
        # One per distinct value (a deadline-clipped attempt makes new ones).
        return _cached(
            self._timeouts, connect, lambda: aiohttp.ClientTimeout(total=None, connect=connect)
        )

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise ClientClosedError("the client is closed; create a new WhautoChat")
        if self._session is None:
            # Created lazily: an aiohttp session must be made inside a running loop.
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        return self._session


def _cached(cache: dict[_K, _V], key: _K, make: Callable[[], _V]) -> _V:
    """``cache[key]``, made on a miss; the cache is emptied when it is full (bounded)."""
    value = cache.get(key)
    if value is None:
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        value = cache[key] = make()
    return value


def _redirect_target(raw: aiohttp.ClientResponse, url: URL) -> URL | None:
    """Where a redirect leads, or None: not a redirect, or a Location no request can use.

    An unusable Location (not a URL, a bad host, another scheme) is answered like a
    missing one: the 3xx itself is the answer, an APIStatusError naming its status.
    """
    location = raw.headers.get("Location")
    if raw.status not in _REDIRECTS or location is None:
        return None
    try:
        target = url.join(URL(location))
    except ValueError:
        return None
    return target if url_problem(target) is None else None


def _response_of(raw: aiohttp.ClientResponse, method: str, body: bytes) -> Response:
    headers = {key.lower(): value for key, value in raw.headers.items()}
    return Response(method=method, url=str(raw.url), status=raw.status, headers=headers, body=body)


def _connection_error(
    request: Request, url: URL, exc: BaseException, *, answered: bool
) -> APIConnectionError:
    # Only a failure to open the connection proves the server never saw the request.
    sent = answered or not isinstance(exc, aiohttp.ClientConnectorError)
    return APIConnectionError(
        f"{request.label} failed: {_reason(exc)}",
        method=request.method,
        url=str(url),
        request_sent=sent,
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
