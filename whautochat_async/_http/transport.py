"""The only module that does network I/O: it owns (or borrows) the aiohttp session.

Redirects are followed by hand so the API key goes only to the API's own origin
(aiohttp would forward ``x-api-key`` to another origin on a redirect).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeVar

import aiohttp
from yarl import URL

from .._validation import url_problem
from ..errors import (
    ClientClosedError,
    SessionClosedError,
    TooManyRedirectsError,
)
from .body import DEFAULT_MAX_RESPONSE_SIZE, read_body
from .failures import attempt_error
from .protocol import Request, Response, default_headers
from .proxy import Proxies, Proxy
from .session import OwnedSessions, Progress

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
        proxies: Proxies | None = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self._origin = base_url.origin()
        self._base = str(base_url)
        # Read-only: aiohttp copies the headers it is given, so one mapping serves all.
        self._api_headers = MappingProxyType({**default_headers(), API_KEY_HEADER: api_key})
        self._urls: dict[str, URL] = {}
        self._timeouts: dict[float | None, aiohttp.ClientTimeout] = {}
        self._borrowed = session
        self._owned = OwnedSessions() if session is None else None
        self._proxies = Proxies() if proxies is None else proxies
        self._max_size = max_response_size
        self._closed = False

    def __repr__(self) -> str:
        return f"<Transport {self._origin} owns_session={self._owned is not None}>"

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._closed

    async def close(self) -> None:
        """Close the sessions this transport opened; never a borrowed one."""
        self._closed = True
        if self._owned is not None:
            await self._owned.close()

    @property
    def owned_sessions(self) -> tuple[aiohttp.ClientSession, ...]:
        """The sessions this transport opened and has not closed (for tests and benchmarks)."""
        return () if self._owned is None else self._owned.opened

    def check_open(self) -> None:
        """Raise what a call would fail with before sending (checked before it takes a slot).

        Raises:
            ClientClosedError: the client, or the borrowed session, is closed.
            EventLoopError: the client's sessions belong to another open loop.
        """
        if self._closed:
            raise ClientClosedError("the client is closed; create a new WhautoChat")
        if self._owned is not None:
            self._owned.check_loop()
        if self._borrowed is not None and self._borrowed.closed:
            raise SessionClosedError(
                "the aiohttp session passed as session= is closed; nothing was sent"
            )

    def url_for(self, request: Request) -> URL:
        """The absolute URL of a request (its path is already percent-encoded)."""
        # Parsing a URL costs more than the rest of this layer: one parse per path.
        path = request.path
        return _cached(self._urls, path, lambda: URL(self._base + path, encoded=True))

    async def send(
        self, request: Request, *, attempt_timeout: float | None, connect: float | None
    ) -> Response:
        """One attempt, redirects included, within ``attempt_timeout`` seconds."""
        session = await self._get_session(request)
        url = self.url_for(request)
        # Our session for non-idempotent requests reports when a connection opened (_sent()).
        progress = Progress() if self._owned is not None and not request.idempotent else None
        hops: list[URL] = []  # answered redirects: after one, the request has been sent
        try:
            async with asyncio.timeout(attempt_timeout):
                return await self._follow(session, request, url, connect, progress, hops)
        except (aiohttp.ClientError, OSError) as exc:  # OSError: TimeoutError too
            raise attempt_error(request, url, exc, progress, hops, attempt_timeout) from exc

    async def _follow(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        url: URL,
        connect: float | None,
        progress: Progress | None,
        hops: list[URL],
    ) -> Response:
        method, body, params = request.method, request.content, request.params
        headers = self._api_headers  # the first hop goes to the base URL, our API origin
        for _ in range(MAX_REDIRECTS + 1):
            proxy = self._proxies.for_url(url)
            async with session.request(
                method,
                url,
                params=params,
                data=body,
                headers=_hop_headers(headers, body, proxy, url),
                allow_redirects=False,
                raise_for_status=False,
                timeout=self._client_timeout(connect),
                proxy=None if proxy is None else proxy.url,
                proxy_headers=None if proxy is None else proxy.headers,
                trace_request_ctx=progress,
            ) as raw:
                target = _redirect_target(raw, url)
                if target is None:
                    content = await read_body(raw, request, self._max_size)
                    return _response_of(raw, method, content)
            hops.append(url)
            url, params = target, None  # the Location carries its own query
            headers = self._api_headers if url.origin() == self._origin else _PLAIN_HEADERS
            method, body = _redirected(raw.status, method, body)
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

    async def _get_session(self, request: Request) -> aiohttp.ClientSession:
        self.check_open()
        if self._borrowed is not None:
            return self._borrowed
        assert self._owned is not None  # one or the other
        # A request that may not be repeated never rides a pooled (possibly stale) connection.
        return await self._owned.get(fresh=not request.idempotent)


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


def _redirected(status: int, method: str, body: bytes | None) -> tuple[str, bytes | None]:
    """The method and body a redirect asks for: a GET after a 303, or a 301/302 to a POST."""
    if status == 303 or (status in (301, 302) and method == "POST"):
        return "GET", None
    return method, body


def _hop_headers(
    headers: Mapping[str, str], body: bytes | None, proxy: Proxy | None, url: URL
) -> Mapping[str, str]:
    if body is not None:
        headers = {**headers, **_JSON_CONTENT}
    # aiohttp sends proxy_headers on a CONNECT (https) only; plain http asks the proxy itself.
    if proxy is None or proxy.authorization is None or url.scheme != "http":
        return headers
    return {**headers, "Proxy-Authorization": proxy.authorization}
