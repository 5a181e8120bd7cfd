"""Small configuration value objects and the resolution of key and base URL."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

import attrs
from yarl import URL

from ._validation import bool_option, number_option, url_problem
from .errors import ConfigurationError

API_KEY_ENV = "WHAUTOCHAT_API_KEY"
BASE_URL_ENV = "WHAUTOCHAT_BASE_URL"
# The shared limiter's variables live here, not in redis_limiter, so the CLI names them
# without importing redis (an optional extra).
REDIS_URL_ENV = "WHAUTOCHAT_REDIS_URL"
REDIS_ON_ERROR_ENV = "WHAUTOCHAT_REDIS_ON_ERROR"
DEFAULT_BASE_URL = "https://api.whauto.chat"


_SECONDS = number_option(positive=True, finite=True, optional=True)


@attrs.frozen(kw_only=True)
class Timeout:
    """Time limits, in seconds; ``None`` means no limit.

    ``deadline`` bounds a whole call, retries and waits included; ``attempt`` bounds one
    HTTP attempt; ``connect`` bounds opening a connection. Each attempt gets
    ``min(attempt, time left)``, and a retry whose wait would end past the deadline is not
    made: the last error is raised at once instead.

    ``include_queue``: whether time queued for a slot of the client's own rate limiter
    counts toward ``deadline``. Off by default, so bulk work queues as long as it must
    and each call's deadline runs only while it is under way; a plain number
    (``timeout=5``) turns it on, bounding the latency queue included.
    """

    deadline: float | None = attrs.field(default=60.0, validator=_SECONDS)
    attempt: float | None = attrs.field(default=30.0, validator=_SECONDS)
    connect: float | None = attrs.field(default=10.0, validator=_SECONDS)
    include_queue: bool = attrs.field(default=False, validator=bool_option)

    @classmethod
    def of(cls, value: Timeout | float | None) -> Timeout:
        """A Timeout from a number: that many seconds for the whole call, queue included."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(deadline=None, attempt=None, connect=None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(f"timeout must be a number, a Timeout or None, got {value!r}")
        return cls(deadline=value, attempt=value, connect=min(value, 10.0), include_queue=True)


def resolve_api_key(api_key: str | None, environ: Mapping[str, str]) -> str:
    """The explicit key, else ``WHAUTOCHAT_API_KEY``; errors name where the bad key came from."""
    if api_key is not None and not isinstance(api_key, str):
        raise ConfigurationError(f"api_key must be a str, got {type(api_key).__name__}")
    variable = None if api_key is not None else API_KEY_ENV
    key = api_key if api_key is not None else environ.get(API_KEY_ENV)
    if key is None or not key.strip():
        raise ConfigurationError(
            f"no API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
        )
    what = "the API key" + (f" in {variable}" if variable else "")
    if key != key.strip() or any(ch in key for ch in "\r\n"):
        raise ConfigurationError(
            f"{what} has surrounding whitespace or a line break", variable=variable
        )
    _check_header_safe(key, what, variable)
    return key


def _check_header_safe(key: str, what: str, variable: str | None) -> None:
    """Refuse a key that no HTTP header can carry; the error names where, never the key.

    aiohttp refuses control characters only when sending, so every call would fail; a
    non-ASCII character has no single wire form (sent as UTF-8, read as Latin-1...).
    """
    for position, char in enumerate(key, 1):
        if not " " <= char <= "~":
            kind = (
                "a control character" if char < " " or char == "\x7f" else "a non-ASCII character"
            )
            raise ConfigurationError(
                f"{what} has {kind} at position {position}: an HTTP header cannot "
                "carry it; use printable ASCII",
                variable=variable,
            )


def resolve_base_url(
    base_url: str | URL | None, environ: Mapping[str, str], *, allow_http: bool
) -> URL:
    """The base URL (argument, ``WHAUTOCHAT_BASE_URL``, default), checked, with a trailing slash.

    Errors name where the value came from: ``base_url``, or the environment variable.
    """
    raw: object = base_url
    name, variable = "base_url", None
    if base_url is None and environ.get(BASE_URL_ENV):
        raw, name, variable = environ[BASE_URL_ENV], BASE_URL_ENV, BASE_URL_ENV
    elif base_url is None:
        raw = DEFAULT_BASE_URL
    try:
        url = URL(str(raw))
    except ValueError as exc:
        raise ConfigurationError(f"{name} is not a URL: {raw!r}", variable=variable) from exc
    problem = url_problem(url)  # first: yarl may raise when a part is read
    if problem is not None:
        raise ConfigurationError(f"{name} {str(raw)!r} cannot work: {problem}", variable=variable)
    if url.user or url.password or url.query_string or url.fragment:
        raise ConfigurationError(
            f"{name} must not carry credentials, a query or a fragment", variable=variable
        )
    if url.scheme == "http" and not allow_http and not is_loopback(url.host or ""):
        raise ConfigurationError(
            f"{name} {str(raw)!r} uses plain http to a non-loopback host, which would send "
            "the API key in clear; use https, or pass allow_insecure_http=True",
            variable=variable,
        )
    # yarl prints an empty path without its slash: add it so paths join beneath it.
    return url if str(url).endswith("/") else URL(str(url) + "/")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is localhost or a loopback address."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def environment() -> Mapping[str, str]:
    """The process environment (a seam for tests)."""
    return os.environ
