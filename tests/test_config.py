"""Resolution and validation of the key, the base URL and the time limits."""

from __future__ import annotations

import pytest

from whautochat_async import ConfigurationError, Timeout, WhautoChat
from whautochat_async._config import is_loopback, resolve_api_key, resolve_base_url


def test_key_falls_back_to_the_environment() -> None:
    assert resolve_api_key(None, {"WHAUTOCHAT_API_KEY": "k-env"}) == "k-env"
    assert resolve_api_key("k-arg", {"WHAUTOCHAT_API_KEY": "k-env"}) == "k-arg"


@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_or_blank_key_names_the_variable(key: str | None) -> None:
    with pytest.raises(ConfigurationError, match="WHAUTOCHAT_API_KEY"):
        WhautoChat(key, environ={})


def test_key_with_a_line_break_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_api_key("secret-value\n", {})
    assert "secret-value" not in str(caught.value)


@pytest.mark.parametrize("key", [b"k-123", 123])
def test_a_key_that_is_not_a_str_says_so(key: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        WhautoChat(key, environ={"WHAUTOCHAT_API_KEY": "k-env"})  # type: ignore[arg-type]
    assert str(caught.value) == f"api_key must be a str, got {type(key).__name__}"


def test_errors_name_the_variable_a_bad_value_came_from() -> None:
    with pytest.raises(ConfigurationError) as caught:
        WhautoChat(environ={"WHAUTOCHAT_API_KEY": "k\x00", "WHAUTOCHAT_BASE_URL": "http://a.io"})
    assert str(caught.value).startswith("WHAUTOCHAT_BASE_URL 'http://a.io' uses plain http")
    assert caught.value.variable == "WHAUTOCHAT_BASE_URL"
    with pytest.raises(ConfigurationError) as caught:
        WhautoChat(environ={"WHAUTOCHAT_API_KEY": "k\x00"})
    assert str(caught.value).startswith("the API key in WHAUTOCHAT_API_KEY has a control")
    assert caught.value.variable == "WHAUTOCHAT_API_KEY"
    with pytest.raises(ConfigurationError) as caught:
        WhautoChat("k\x00", base_url="http://a.io", environ={})
    assert str(caught.value).startswith("base_url 'http://a.io' uses plain http")
    assert caught.value.variable is None
    with pytest.raises(ConfigurationError) as caught:
        WhautoChat("k", environ={"HTTPS_PROXY": "socks5://p:1"})
    assert str(caught.value).endswith(" (proxy=None ignores the environment)")
    assert (caught.value.variable, caught.value.remedy) == (
        "HTTPS_PROXY",
        "proxy=None ignores the environment",
    )


def test_base_url_defaults_and_environment() -> None:
    assert str(resolve_base_url(None, {}, allow_http=False)) == "https://api.whauto.chat/"
    env = {"WHAUTOCHAT_BASE_URL": "https://eu.whauto.chat/api"}
    assert str(resolve_base_url(None, env, allow_http=False)) == "https://eu.whauto.chat/api/"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.whauto.chat",
        "api.whauto.chat",
        "https://",
        "http://api.whauto.chat",
        "https://user:pw@api.whauto.chat",
        "https://api.whauto.chat/?x=1",
    ],
)
def test_bad_base_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        resolve_base_url(url, {}, allow_http=False)


def test_plain_http_only_to_loopback_unless_allowed() -> None:
    assert resolve_base_url("http://127.0.0.1:8080", {}, allow_http=False).port == 8080
    assert resolve_base_url("http://localhost", {}, allow_http=False).host == "localhost"
    assert resolve_base_url("http://[::1]:9", {}, allow_http=False).port == 9
    assert resolve_base_url("http://10.0.0.5", {}, allow_http=True).host == "10.0.0.5"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("example.com", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_a_number_timeout_bounds_the_whole_call_queue_included() -> None:
    assert Timeout.of(5) == Timeout(deadline=5, attempt=5, connect=5, include_queue=True)
    assert Timeout.of(None) == Timeout(deadline=None, attempt=None, connect=None)
    assert Timeout().include_queue is False  # the default: queueing is not failing


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_include_queue_is_a_bool(bad: object) -> None:
    with pytest.raises(ConfigurationError, match="include_queue"):
        Timeout(include_queue=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, "3", True])
def test_bad_timeouts_are_refused(bad: object) -> None:
    with pytest.raises(ConfigurationError, match=r"timeout|deadline"):
        Timeout.of(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["deadline", "attempt", "connect"])
@pytest.mark.parametrize("bad", [True, float("nan"), float("inf"), 0, "5"])
def test_timeout_fields_refuse_non_numbers(field: str, bad: object) -> None:
    with pytest.raises(ConfigurationError, match=field):
        Timeout(**{field: bad})  # type: ignore[arg-type]
