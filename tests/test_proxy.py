"""Proxies: the proxy= option and HTTP(S)_PROXY / NO_PROXY, through a loopback forward proxy."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from yarl import URL

from whautochat_async import APIConnectionError, ConfigurationError, RetryPolicy, WhautoChat
from whautochat_async._http.proxy import Proxies, resolve_proxies
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .forward_proxy import ForwardProxy
from .raw_server import RawServer, answer

API = URL("https://api.whauto.chat/v1/webhooks")
BASIC = base64.b64encode(b"user:p@ss").decode()
NO_WAIT = RetryPolicy(max_retries=1, backoff_base=0)
CREATED = (
    b'{"id": "wh_1", "name": "n", "serverUrl": "https://example.com/h",'
    b' "events": ["contact_created"], "active": true}'
)


def test_the_environment_gives_a_proxy_per_scheme_lower_case_first() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "lower:3128", "HTTP_PROXY": "http://h:2"}
    proxies = resolve_proxies("environment", env)
    https = proxies.for_url(API)
    assert https is not None
    assert https.url == URL("http://lower:3128")  # no scheme: http
    plain = proxies.for_url(URL("http://example.com/"))
    assert plain is not None
    assert plain.url == URL("http://h:2")


@pytest.mark.parametrize("env", [{}, {"HTTP_PROXY": "http://h:2"}, {"HTTPS_PROXY": " "}])
def test_a_scheme_without_a_variable_has_no_proxy(env: dict[str, str]) -> None:
    assert resolve_proxies("environment", env).for_url(API) is None


def test_all_proxy_is_the_fallback_and_http_proxy_is_ignored_in_cgi() -> None:
    env = {"ALL_PROXY": "http://all:1", "HTTP_PROXY": "http://h:2", "REQUEST_METHOD": "GET"}
    proxies = resolve_proxies("environment", env)
    assert proxies.for_url(URL("http://example.com/")).url == URL("http://all:1")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypassed"),
    [
        ("*", "https://api.whauto.chat/", True),
        ("whauto.chat", "https://api.whauto.chat/", True),
        (".whauto.chat", "https://api.whauto.chat/", True),
        ("api.whauto.chat:443", "https://api.whauto.chat/", True),
        ("api.whauto.chat:8443", "https://api.whauto.chat/", False),
        ("chat", "https://api.whauto.chat/", True),
        ("hauto.chat", "https://api.whauto.chat/", False),
        ("localhost, 10.0.0.0/8", "http://10.1.2.3:8080/", True),
        ("10.0.0.0/8", "http://11.1.2.3/", False),
        ("::1", "http://[::1]:8080/", True),
        ("", "https://api.whauto.chat/", False),
    ],
)
def test_no_proxy_bypasses_the_hosts_it_names(no_proxy: str, url: str, bypassed: bool) -> None:
    proxies = resolve_proxies(
        "environment",
        {"HTTPS_PROXY": "http://p:1", "HTTP_PROXY": "http://p:1", "NO_PROXY": no_proxy},
    )
    assert (proxies.for_url(URL(url)) is None) is bypassed


def test_an_explicit_proxy_overrides_the_environment_and_none_disables_it() -> None:
    env = {"HTTPS_PROXY": "http://env:1", "NO_PROXY": "*"}
    explicit = resolve_proxies("http://user:p%40ss@corp:3128", env).for_url(API)
    assert explicit is not None
    assert explicit.url == URL("http://corp:3128")
    assert explicit.headers == {"Proxy-Authorization": f"Basic {BASIC}"}
    assert "Basic" not in repr(explicit)
    assert resolve_proxies(None, env) == Proxies()


@pytest.mark.parametrize(
    ("proxy", "env"),
    [
        ("socks5://user:secret@corp:1080", {}),
        ("corp:3128", {}),
        ("http://", {}),
        ("http://user:secret@ho st:80", {}),
        ("http://user:secret@corp:0", {}),
        ("environment", {"HTTPS_PROXY": "user:secret@ho st:3128"}),
        (3128, {}),
        ("environment", {"ALL_PROXY": "socks5://user:secret@corp:1080"}),
    ],
)
def test_a_proxy_that_cannot_work_is_refused_at_construction(
    proxy: object, env: dict[str, str]
) -> None:
    with pytest.raises(ConfigurationError, match="proxy") as caught:
        WhautoChat("key", proxy=proxy, environ=env)  # type: ignore[arg-type]
    assert "secret" not in str(caught.value)
    assert all(variable in str(caught.value) for variable in env)  # names where it came from


async def test_requests_go_through_the_environment_proxy_with_its_credentials(
    fake: FakeWhautoChat,
) -> None:
    async with ForwardProxy() as proxy:
        proxy_url = URL(proxy.url).with_user("user").with_password("p@ss")
        env = {"HTTP_PROXY": str(proxy_url)}
        async with WhautoChat(API_KEY, base_url=fake.url, environ=env) as client:
            page = await client.webhooks.list()
    assert page.items == ()
    assert proxy.lines == [f"GET {fake.url}/v1/webhooks?page=1&limit=100 HTTP/1.1"]
    _, headers = proxy.seen[0]
    assert headers["proxy-authorization"] == f"Basic {BASIC}"
    assert fake.request_count == 1


async def test_no_proxy_bypasses_the_proxy(fake: FakeWhautoChat) -> None:
    async with ForwardProxy() as proxy:
        env = {"HTTP_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"}
        async with WhautoChat(API_KEY, base_url=fake.url, environ=env) as client:
            await client.webhooks.list()
    assert proxy.seen == []
    assert fake.request_count == 1


async def test_proxy_none_ignores_the_environment(fake: FakeWhautoChat) -> None:
    async with ForwardProxy() as proxy:
        env = {"HTTP_PROXY": proxy.url}
        async with WhautoChat(API_KEY, base_url=fake.url, environ=env, proxy=None) as client:
            await client.webhooks.list()
    assert proxy.seen == []


async def test_the_key_is_not_sent_to_another_origin_through_the_proxy() -> None:
    async with RawServer(
        answer(b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(CREATED), CREATED))
    ) as other:
        moved = (
            b"HTTP/1.1 307 Moved\r\nLocation: %s/v1/webhooks\r\nContent-Length: 0\r\n\r\n"
            % other.url.encode()
        )
        async with (
            RawServer(answer(moved)) as api,
            ForwardProxy() as proxy,
            WhautoChat(API_KEY, base_url=api.url, proxy=proxy.url, environ={}) as client,
        ):
            await client.webhooks.create(
                name="n", server_url="https://example.com/h", events=["contact_created"]
            )
    (first, first_headers), (second, second_headers) = proxy.seen
    assert first.startswith(f"POST {api.url}/v1/webhooks ")
    assert first_headers["x-api-key"] == API_KEY
    assert second.startswith(f"POST {other.url}/v1/webhooks ")
    assert "x-api-key" not in second_headers
    assert API_KEY.encode() not in other.requests[0]


async def test_a_refused_tunnel_is_a_create_that_was_never_sent() -> None:
    async with ForwardProxy(connect_status=407) as proxy:
        client = WhautoChat(
            API_KEY,
            base_url="https://api.whauto.chat",
            proxy=proxy.url,
            retry=NO_WAIT,
            rate_limit=None,
            environ={},
        )
        async with client:
            with pytest.raises(APIConnectionError) as caught:
                await client.webhooks.create(
                    name="n", server_url="https://example.com/h", events=["contact_created"]
                )
    assert caught.value.request_sent is False
    assert proxy.lines == ["CONNECT api.whauto.chat:443 HTTP/1.1"] * 2  # not sent, so retried


async def test_a_borrowed_session_keeps_its_own_proxy_settings(fake: FakeWhautoChat) -> None:
    async with ForwardProxy() as proxy, aiohttp.ClientSession() as session:
        env = {"HTTP_PROXY": proxy.url}  # the session does not trust the environment
        async with WhautoChat(API_KEY, base_url=fake.url, session=session, environ=env) as client:
            await client.webhooks.list()
        assert proxy.seen == []
        async with WhautoChat(
            API_KEY, base_url=fake.url, session=session, proxy=proxy.url, environ={}
        ) as client:
            await client.webhooks.list()
        assert len(proxy.seen) == 1
