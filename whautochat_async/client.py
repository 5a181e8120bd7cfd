"""The client: an async context manager that owns the session and attaches resources."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from types import TracebackType
from typing import Self

import aiohttp
import cattrs
from yarl import URL

from ._config import Timeout, environment, resolve_api_key, resolve_base_url
from ._http.body import DEFAULT_MAX_RESPONSE_SIZE
from ._http.proxy import FROM_ENVIRONMENT, Proxies, ProxyOption, resolve_proxies
from ._http.redaction import Redactor
from ._http.requester import Requester
from ._http.retry import RetryPolicy
from ._http.transport import Transport
from ._validation import check_int
from .converters import shared_converter
from .errors import ClientClosedError, ConfigurationError
from .ratelimit import RateLimit, RateLimiter
from .ratelimit._registry import resolve_rate_limiter
from .resources import Webhooks

__all__ = ["WhautoChat"]


class WhautoChat:
    """Async client for the WhautoChat Webhooks API.

    Use it as ``async with WhautoChat() as client:``, or call ``await client.close()``.
    It opens its aiohttp session lazily, inside the running loop, and closes it on exit;
    a ``session`` you pass in is used and never closed.

    Attributes:
        webhooks: the webhooks endpoints (:class:`~whautochat_async.resources.Webhooks`):
            ``list``, ``create``, ``update``, ``delete`` and ``sync``.

    Args:
        api_key: the API key; defaults to ``WHAUTOCHAT_API_KEY``.
        base_url: the API host; defaults to ``WHAUTOCHAT_BASE_URL``, then
            ``https://api.whauto.chat``. Plain http only to loopback unless
            ``allow_insecure_http=True``.
        timeout: seconds for a whole call (retries included), or a :class:`Timeout`.
        retry: a :class:`RetryPolicy`, or the number of retries (``0``: never retry).
        rate_limit: a :class:`RateLimit` (default 100 per 60 s), shared by every client
            in the process with the same key and base URL; a :class:`RateLimiter` of
            your own (e.g. shared across processes); or ``None`` for no client-side limit.
        session: an aiohttp session to borrow (used as configured, proxies included).
        allow_insecure_http: allow plain http to a host that is not loopback.
        environ: where ``WHAUTOCHAT_API_KEY``, ``WHAUTOCHAT_BASE_URL`` and the proxy
            variables are read from; defaults to ``os.environ`` (``{}``: ignore it).
        proxy: a proxy URL (``http://user:pass@host:port``) for every request; ``None``
            for none; by default ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``.
        max_response_size: the most bytes of an answer (decompressed) the client reads.

    Raises:
        ConfigurationError: no key, or an invalid base URL or option.
    """

    webhooks: Webhooks

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | URL | None = None,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | int | None = None,
        rate_limit: RateLimit | RateLimiter | None = RateLimit(),  # noqa: B008 - frozen
        session: aiohttp.ClientSession | None = None,
        allow_insecure_http: bool = False,
        environ: Mapping[str, str] | None = None,
        proxy: ProxyOption = FROM_ENVIRONMENT,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        env = environment() if environ is None else environ
        self._base_url = resolve_base_url(base_url, env, allow_http=allow_insecure_http)
        key = resolve_api_key(api_key, env)
        self._redactor = Redactor(key)
        transport = Transport(
            base_url=self._base_url,
            api_key=key,
            session=session,
            proxies=_proxies(proxy, env, borrowed=session is not None),
            max_response_size=check_int(
                "max_response_size", max_response_size, minimum=1, error=ConfigurationError
            ),
        )
        limiter = resolve_rate_limiter(rate_limit, api_key=key, base_url=str(self._base_url))
        self._converter: cattrs.Converter = shared_converter()
        self._is_view = False
        self._requester = Requester(
            transport,
            timeout=Timeout() if timeout is None else Timeout.of(timeout),
            retry=RetryPolicy() if retry is None else RetryPolicy.of(retry),
            limiter=limiter,
        )
        self._attach_resources()

    def _attach_resources(self) -> None:
        """Build the resources on this client's requester (a view gets its own)."""
        self.webhooks = Webhooks(self._requester.send, self._converter, self._redactor)

    def __repr__(self) -> str:
        state = ("closed" if self.closed else "open") + (" view" if self._is_view else "")
        return f"<WhautoChat base_url={str(self._base_url)!r} {state}>"

    @property
    def base_url(self) -> URL:
        """The API base URL, always ending in a slash."""
        return self._base_url

    @property
    def timeout(self) -> Timeout:
        """The time limits of every call."""
        return self._requester.timeout

    @property
    def retry(self) -> RetryPolicy:
        """How failed attempts are retried."""
        return self._requester.retry

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The client-side rate limiter (shared with other clients), or None."""
        return self._requester.limiter

    def with_options(
        self,
        *,
        timeout: Timeout | float | None = None,
        retry: RetryPolicy | int | None = None,
    ) -> WhautoChat:
        """A view of this client with other limits, e.g. for one call; ``None``: keep.

        The view shares the session and the rate limiter. Closing the view does
        nothing; closing this client closes it for every view.
        """
        view = copy.copy(self)
        view._is_view = True
        view._requester = self._requester.with_options(
            timeout=None if timeout is None else Timeout.of(timeout),
            retry=None if retry is None else RetryPolicy.of(retry),
        )
        view._attach_resources()
        return view

    @property
    def closed(self) -> bool:
        """Whether the client was closed; a closed client refuses every call."""
        return self._requester.transport.closed

    async def close(self) -> None:
        """Close the session the client opened (never a borrowed one). Idempotent.

        On a view made by :meth:`with_options` it does nothing: the parent owns the session.
        """
        if not self._is_view:
            await self._requester.transport.close()

    async def __aenter__(self) -> Self:
        if self.closed:
            raise ClientClosedError("the client is closed and cannot be reopened; create a new one")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _proxies(proxy: ProxyOption, env: Mapping[str, str], *, borrowed: bool) -> Proxies:
    # A borrowed session is used as configured (its trust_env), unless proxy= is given.
    if borrowed and isinstance(proxy, str) and proxy == FROM_ENVIRONMENT:
        return Proxies()
    return resolve_proxies(proxy, env)
