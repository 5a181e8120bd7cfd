"""Configuration that can never work is refused at construction, never on the first call."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as aioredis

from whautochat_async import (
    ConfigurationError,
    RateLimit,
    RetryPolicy,
    Timeout,
    WhautoChat,
)
from whautochat_async._validation import MAX_SECONDS
from whautochat_async.redis_limiter import RedisRateLimiter
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY

SECRET = "sk-live-Q7x9"


@pytest.mark.parametrize(
    ("char", "kind"),
    [
        ("\x00", "control"),
        ("\x01", "control"),
        ("\t", "control"),
        ("\x1b", "control"),
        ("\x7f", "control"),
        ("\x85", "non-ASCII"),
        ("é", "non-ASCII"),
        ("\u2028", "non-ASCII"),
        ("\udc80", "non-ASCII"),  # a lone surrogate cannot even be encoded
    ],
)
def test_a_key_no_header_can_carry_is_refused_without_echoing_it(char: str, kind: str) -> None:
    key = SECRET + char + "tail"
    for make in (
        lambda: WhautoChat(key, environ={}),
        lambda: WhautoChat(environ={"WHAUTOCHAT_API_KEY": key}),
    ):
        with pytest.raises(ConfigurationError, match=f"{kind} character at position 13") as caught:
            make()
        assert SECRET not in str(caught.value)
        assert "tail" not in str(caught.value)


def test_a_key_with_an_inner_space_is_printable_ascii_and_accepted() -> None:
    assert WhautoChat("sk two parts", environ={}, rate_limit=None).closed is False


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:0", "port 0"),
        ("http://[::1]:0/", "port 0"),
        ("http://a..b/", "not a valid host name"),
        ("http://./", "not a valid host name"),
        ("http://" + "a" * 64 + ".example/", "not a valid host name"),
        ("http://xn--/", "not a valid URL"),
        ("http://xn--zz.example/", "not a valid URL"),
        ("http://exa mple.com/", "not a valid host name or IP address"),
        ("http://ex\x00ample.com/", "not a valid host name or IP address"),
        ("http://1.2.3.4.5/", "not a valid host name or IP address"),
        ("http://256.1.1.1/", "not a valid host name or IP address"),
        ("http://127.1/", "not a valid host name or IP address"),
    ],
)
def test_a_base_url_no_request_could_use_is_refused(url: str, why: str) -> None:
    with pytest.raises(ConfigurationError, match=why):
        WhautoChat(API_KEY, base_url=url, environ={}, allow_insecure_http=True)


@pytest.mark.parametrize(
    "url", ["http://localhost./", "http://[::1]:8080/", "https://bücher.example/", "http://a_b.io/"]
)
def test_unusual_but_usable_base_urls_are_accepted(url: str) -> None:
    client = WhautoChat(API_KEY, base_url=url, environ={}, allow_insecure_http=True)
    assert client.base_url.host


TOO_BIG: list[Any] = [MAX_SECONDS * 1.5, 1e308, 2**64, 10**400]


@pytest.mark.parametrize("value", TOO_BIG, ids=str)
@pytest.mark.parametrize(
    "make",
    [
        lambda v: Timeout(deadline=v),
        lambda v: Timeout(attempt=v),
        lambda v: Timeout(connect=v),
        lambda v: Timeout.of(v),
        lambda v: RetryPolicy(backoff_base=v),
        lambda v: RetryPolicy(backoff_cap=v),
        lambda v: RetryPolicy(max_wait=v),
        lambda v: RateLimit(per=v),
        lambda v: WhautoChat(API_KEY, timeout=v, environ={}),
    ],
)
def test_seconds_that_would_overflow_are_refused(make: Any, value: Any) -> None:
    # 10**400 used to raise OverflowError from float(); 1e308 overflows Redis milliseconds.
    with pytest.raises(ConfigurationError, match="at most 1e\\+09"):
        make(value)


def test_an_infinite_backoff_is_refused_and_an_infinite_max_wait_is_kept() -> None:
    with pytest.raises(ConfigurationError, match="backoff_base must be a finite number"):
        RetryPolicy(backoff_base=float("inf"))
    with pytest.raises(ConfigurationError, match="backoff_cap must be a finite number"):
        RetryPolicy(backoff_cap=float("inf"))
    assert RetryPolicy(max_wait=float("inf")).max_wait == float("inf")


@pytest.mark.parametrize("option", ["timeout", "lease", "probe_interval"])
@pytest.mark.parametrize("value", [1e308, float("inf"), 10**400])
def test_redis_limiter_seconds_that_would_overflow_are_refused(option: str, value: Any) -> None:
    redis = aioredis.Redis()  # never connected: the options are refused first
    with pytest.raises(ConfigurationError, match=option):
        RedisRateLimiter(redis, api_key=API_KEY, environ={}, **{option: value})


async def test_the_largest_accepted_values_work_over_a_socket(fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(1)
    timeout = Timeout(deadline=MAX_SECONDS, attempt=MAX_SECONDS, connect=MAX_SECONDS)
    retry = RetryPolicy(backoff_base=MAX_SECONDS, backoff_cap=MAX_SECONDS, max_wait=MAX_SECONDS)
    limit = RateLimit(requests=10**30, per=MAX_SECONDS)
    async with WhautoChat(
        API_KEY, base_url=fake.url, environ={}, timeout=timeout, retry=retry, rate_limit=limit
    ) as client:
        assert len(await client.webhooks.list()) == 1
