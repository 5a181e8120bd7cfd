"""Which proxy a request goes through: the ``proxy=`` option, else HTTP(S)_PROXY / NO_PROXY.

Pure: the environment is a mapping passed in (the client's ``environ``), so tests are
hermetic. Read by hand rather than with aiohttp's ``trust_env``, which reads only
``os.environ`` and also turns on ``.netrc`` credentials for every host.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from typing import Final

import attrs
from yarl import URL

from .._validation import NOT_AN_HTTP_URL, url_problem
from ..errors import ConfigurationError

__all__ = ["FROM_ENVIRONMENT", "Proxies", "Proxy", "ProxyOption", "resolve_proxies"]

#: The ``proxy=`` default: take the proxy from the environment.
FROM_ENVIRONMENT: Final = "environment"
ProxyOption = str | URL | None
_SCHEMES = ("http", "https")


@attrs.frozen
class Proxy:
    """A proxy's URL without credentials, and the Proxy-Authorization header they make."""

    url: URL
    authorization: str | None = attrs.field(default=None, repr=False)

    @property
    def headers(self) -> Mapping[str, str] | None:
        """The headers for the proxy (never sent to the API)."""
        return None if self.authorization is None else {"Proxy-Authorization": self.authorization}


@attrs.frozen
class Proxies:
    """The proxy for each target scheme, and the NO_PROXY list that bypasses them."""

    by_scheme: Mapping[str, Proxy] = attrs.field(factory=dict)
    no_proxy: str = ""

    def for_url(self, url: URL) -> Proxy | None:
        """The proxy for a request to ``url``, or None to connect directly."""
        proxy = self.by_scheme.get(url.scheme)
        if proxy is None or not url.host:
            return None
        if self.no_proxy and _bypassed(url, self.no_proxy):
            return None
        return proxy


def resolve_proxies(option: ProxyOption, env: Mapping[str, str]) -> Proxies:
    """The explicit proxy for every request, none (``None``), or the environment's."""
    if option is None:
        return Proxies()
    if not (isinstance(option, str) and option == FROM_ENVIRONMENT):
        proxy = parse_proxy(option, "proxy")
        return Proxies({scheme: proxy for scheme in _SCHEMES})
    by_scheme = {}
    for scheme in _SCHEMES:
        name, value = _env_proxy(scheme, env)
        if value:
            url = value if "://" in value else f"http://{value}"
            by_scheme[scheme] = parse_proxy(url, name, from_env=True)
    return Proxies(by_scheme, no_proxy=env.get("no_proxy") or env.get("NO_PROXY") or "")


def parse_proxy(value: object, source: str, *, from_env: bool = False) -> Proxy:
    """A Proxy from a URL (credentials split off), or ConfigurationError naming ``source``
    (an environment variable if ``from_env``)."""
    if not isinstance(value, str | URL):
        raise ConfigurationError(f"{source} must be a URL string, a yarl.URL or None")
    where = {"variable": source, "remedy": "proxy=None ignores the environment"} if from_env else {}
    try:
        url = URL(str(value))
    except ValueError as exc:
        raise ConfigurationError(f"{source} is not a URL", **where) from exc
    problem = url_problem(url)  # the base URL's check: a proxy no request can reach is refused
    if problem is not None:
        why = "" if problem == NOT_AN_HTTP_URL else f" ({problem})"
        raise ConfigurationError(
            f"{source} must be an http:// or https:// proxy URL with a host, "
            f"got {_shown(url)}{why}",
            **where,
        )
    return Proxy(url.with_user(None).with_path(""), _basic(url.user, url.password))


def _shown(url: URL) -> str:
    """``url`` without its credentials, or a word for it if yarl cannot print it."""
    try:
        return str(url.with_user(None)) if url.host else "(not an http(s) URL)"
    except ValueError:  # yarl decodes lazily: a bad IDNA host raises here
        return "an unreadable URL"


def _basic(user: str | None, password: str | None) -> str | None:
    # By hand: aiohttp 3.14 deprecates BasicAuth, and older releases lack its replacement.
    if user is None:
        return None
    return "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")


def _env_proxy(scheme: str, env: Mapping[str, str]) -> tuple[str, str]:
    """(variable name, value) of the proxy variable for ``scheme``; lower case wins."""
    names = [f"{scheme}_proxy", "all_proxy", "ALL_PROXY"]
    # httpoxy: in a CGI script HTTP_PROXY can be set by a request's "Proxy:" header.
    if scheme == "https" or "REQUEST_METHOD" not in env:
        names.insert(1, f"{scheme.upper()}_PROXY")
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return name, value
    return "", ""


def _bypassed(url: URL, no_proxy: str) -> bool:
    """Whether NO_PROXY names ``url``'s host: ``*``, the host, a parent domain or a network."""
    host = (url.host or "").lower().rstrip(".")
    for entry in no_proxy.lower().replace(" ", "").split(","):
        name, _, port = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
        if port and port != str(url.port):
            continue
        name = name.strip(".")
        if name == "*" or host == name or host.endswith(f".{name}") or _in_network(host, name):
            return True
    return False


def _in_network(host: str, network: str) -> bool:
    if "/" not in network:
        return False
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False
