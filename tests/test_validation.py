"""Caller input is checked before any request, with errors that say what is wrong."""

from __future__ import annotations

import pytest

from whautochat_async import InvalidInputError, WebhookEvent
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


@pytest.mark.parametrize("webhook_id", ["", None, 5])
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
