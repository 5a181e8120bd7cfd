"""The client: an async context manager that owns the session and attaches resources."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import aiohttp
import cattrs
from yarl import URL

from ._config import Timeout, environment, resolve_api_key, resolve_base_url
from ._requester import Requester
from ._transport import Transport
from .converters import make_converter
from .resources import Webhooks

__all__ = ["WhautoChat"]


class WhautoChat:
    """Async client for the WhautoChat Webhooks API.

    Use it as ``async with WhautoChat() as client:``, or call ``await client.close()``.
    It opens its aiohttp session lazily, inside the running loop, and closes it on exit;
    a ``session`` you pass in is used and never closed.

    Args:
        api_key: the API key; defaults to ``WHAUTOCHAT_API_KEY``.
        base_url: the API host; defaults to ``WHAUTOCHAT_BASE_URL``, then
            ``https://api.whauto.chat``. Plain http only to loopback unless
            ``allow_insecure_http=True``.
        timeout: seconds for a whole call (retries included), or a :class:`Timeout`.
        session: an aiohttp session to borrow.

    Raises:
        ConfigurationError: no key, or an invalid base URL or option.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | URL | None = None,
        timeout: Timeout | float | None = None,
        session: aiohttp.ClientSession | None = None,
        allow_insecure_http: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = environment() if environ is None else environ
        self._base_url = resolve_base_url(base_url, env, allow_http=allow_insecure_http)
        transport = Transport(
            base_url=self._base_url,
            api_key=resolve_api_key(api_key, env),
            session=session,
        )
        self._timeout = Timeout() if timeout is None else Timeout.of(timeout)
        self._converter: cattrs.Converter = make_converter()
        self._requester = Requester(transport, timeout=self._timeout)
        self.webhooks = Webhooks(self._requester.send, self._converter)

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<WhautoChat base_url={str(self._base_url)!r} {state}>"

    @property
    def base_url(self) -> URL:
        """The API base URL, always ending in a slash."""
        return self._base_url

    @property
    def timeout(self) -> Timeout:
        """The time limits of every call."""
        return self._timeout

    @property
    def closed(self) -> bool:
        """Whether the client was closed; a closed client refuses every call."""
        return self._requester.transport.closed

    async def close(self) -> None:
        """Close the session the client opened (never a borrowed one). Idempotent."""
        await self._requester.transport.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
