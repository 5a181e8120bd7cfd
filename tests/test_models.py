"""The models are plain frozen, slotted, keyword-only attrs classes."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from whautochat_async import (
    DeleteResult,
    InvalidInputError,
    Page,
    Webhook,
    WebhookEvent,
    WebhookSpec,
)

HOOK = Webhook(id="wh_1", name="a", server_url="https://a.io", active=True, events=["x"])


@pytest.mark.parametrize("cls", [Webhook, WebhookSpec, DeleteResult, Page])
def test_models_are_frozen_slotted_attrs(cls: type) -> None:
    assert attrs.has(cls)
    assert "__slots__" in cls.__dict__
    assert all(field.kw_only for field in attrs.fields(cls))


def test_webhook_is_immutable_and_hashable_with_a_private_copy_of_extra() -> None:
    extra = {"team": 1}
    hook = Webhook(
        id="wh_1", name="a", server_url="https://a.io", active=True, events=[], extra=extra
    )
    extra["team"] = 2
    assert hook.extra == {"team": 1}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        hook.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        hook.extra["team"] = 3  # type: ignore[index]
    assert hash(hook) == hash(attrs.evolve(hook, extra={"other": True}))


def test_positional_arguments_are_refused() -> None:
    with pytest.raises(TypeError):
        Webhook("wh_1", "a", "https://a.io", True, [])  # type: ignore[misc]


def test_page_is_iterable_sized_and_indexable() -> None:
    page = Page(items=[HOOK, HOOK], page=2, limit=2)
    assert len(page) == 2
    assert list(page) == [HOOK, HOOK]
    assert page[1] is HOOK
    assert isinstance(page.items, tuple)


def test_webhook_event_is_a_str_enum() -> None:
    assert WebhookEvent("contact_created") == "contact_created"
    assert str(WebhookEvent.CONTACT_TAG_ADDED) == "contact_tag_added"
    assert len(WebhookEvent) == 13


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"events": 42}, "events must be a list of event names, got 42"),
        ({"events": [42]}, "unknown event name 42"),
        ({"events": []}, "events must not be empty"),
        ({"name": None}, "name must be a non-empty string"),
        ({"server_url": "ftp://x.io"}, "server_url must be an http"),
        ({"active": "yes"}, "active must be True or False"),
    ],
)
def test_a_spec_checks_its_fields_when_built(fields: dict[str, Any], message: str) -> None:
    good: dict[str, Any] = {
        "name": "n",
        "server_url": "https://x.io",
        "events": ["contact_created"],
    }
    with pytest.raises(InvalidInputError, match=message):
        WebhookSpec(**(good | fields))


def test_a_spec_keeps_unknown_event_names_and_maps_known_ones() -> None:
    spec = WebhookSpec(name="n", server_url="https://x.io", events=["contact_created", "later"])
    assert spec.events == (WebhookEvent.CONTACT_CREATED, "later")
    assert type(spec.events[0]) is WebhookEvent
