"""Caller input is checked before any request, with errors that say what is wrong."""

from __future__ import annotations

import math

import pytest

from whautochat_async import (
    ConfigurationError,
    InvalidInputError,
    RateLimit,
    RetryPolicy,
    Timeout,
    WebhookEvent,
)
from whautochat_async import _validation as validation


@pytest.mark.parametrize("name", ["", "  ", None, 3])
def test_name(name: object) -> None:
    with pytest.raises(InvalidInputError, match="name"):
        validation.check_name(name)


@pytest.mark.parametrize(
    "url", ["", "example.com/hook", "ftp://example.com", "https://", 5, "javascript:alert(1)"]
)
def test_server_url(url: object) -> None:
    with pytest.raises(InvalidInputError, match="server_url"):
        validation.check_server_url(url)


def test_server_url_accepts_http_and_https() -> None:
    assert validation.check_server_url("http://a.io/x") == "http://a.io/x"
    assert validation.check_server_url("https://a.io:8443/x?y=1") == "https://a.io:8443/x?y=1"


def test_a_typo_in_events_lists_the_valid_names() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validation.check_events(["contact_creatd"])
    message = str(caught.value)
    assert "'contact_creatd'" in message
    assert all(event.value in message for event in WebhookEvent)


@pytest.mark.parametrize("events", [[], "contact_created", None, [1]])
def test_events_shape(events: object) -> None:
    with pytest.raises(InvalidInputError, match="event"):
        validation.check_events(events)


def test_events_accept_names_and_members() -> None:
    checked = validation.check_events(["contact_created", WebhookEvent.CONTACT_TAG_ADDED])
    assert checked == (WebhookEvent.CONTACT_CREATED, WebhookEvent.CONTACT_TAG_ADDED)
    assert validation.check_kept_events(["new"], ["new"]) == ("new",)


@pytest.mark.parametrize("active", ["false", 1, None])
def test_active_must_be_a_bool(active: object) -> None:
    with pytest.raises(InvalidInputError, match="active"):
        validation.check_active(active)


@pytest.mark.parametrize("webhook_id", ["", None, 5, "\ud800", "wh_\udfff"])
def test_webhook_id(webhook_id: object) -> None:
    with pytest.raises(InvalidInputError, match="webhook id"):
        validation.id_of(webhook_id)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "2"])
def test_positive_int(value: object) -> None:
    with pytest.raises(InvalidInputError, match="limit"):
        validation.check_positive_int("limit", value)


def test_allowed_unknown_may_be_a_one_shot_iterator() -> None:
    names = iter(["new_a", "new_b"])
    assert validation.check_kept_events(["new_a", "new_b"], names) == ("new_a", "new_b")


def test_unknown_events_pass_only_when_allowed_or_already_held() -> None:
    with pytest.raises(InvalidInputError, match="'new'"):
        validation.check_events(["new"])
    assert validation.check_events(["new"], allow_unknown_events=True) == ("new",)
    with pytest.raises(InvalidInputError, match="'other'"):
        validation.check_kept_events(["new", "other"], ["new"])
    with pytest.raises(InvalidInputError, match="1"):
        validation.check_events([1], allow_unknown_events=True)


@pytest.mark.parametrize("value", [-1, True, 1.0, "0", None])
def test_int_refuses_bools_floats_and_values_below_the_minimum(value: object) -> None:
    with pytest.raises(ConfigurationError, match=r"retries must be an integer >= 0"):
        validation.check_int("retries", value, minimum=0, error=ConfigurationError)


@pytest.mark.parametrize(
    ("value", "positive", "finite"),
    [
        (0, True, True),
        (-0.1, False, False),
        (math.nan, False, False),
        (math.inf, True, True),
        (True, False, False),
        ("1", False, False),
        (None, True, False),
    ],
)
def test_number_refuses(value: object, positive: bool, finite: bool) -> None:
    with pytest.raises(InvalidInputError, match="wait must be a"):
        validation.check_number("wait", value, positive=positive, finite=finite)


def test_number_accepts() -> None:
    assert validation.check_number("wait", 0, positive=False, finite=True) == 0.0
    assert validation.check_number("wait", math.inf, positive=True, finite=False) == math.inf
    assert validation.check_int("n", 3, minimum=1) == 3


def test_option_validators_raise_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="max_retries must be an integer >= 0"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ConfigurationError, match="per must be a finite number > 0"):
        RateLimit(per=math.inf)
    with pytest.raises(ConfigurationError, match="deadline must be a finite number > 0"):
        Timeout(deadline=0)
    assert Timeout(deadline=None).deadline is None
