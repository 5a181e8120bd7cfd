"""The converter: camelCase mapping, lossless round-trips, strict response checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from whautochat_async import ResponseValidationError, Webhook, WebhookEvent, WebhookSpec
from whautochat_async.converters import (
    format_timestamp,
    make_converter,
    parse_timestamp,
    structure_response,
)

CONVERTER = make_converter()


def wire(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "wh_1",
        "name": "orders",
        "serverUrl": "https://example.com/hook",
        "active": True,
        "events": ["contact_created"],
        "createdAt": "2024-05-01T12:00:00.000Z",
        "updatedAt": "2024-05-01T12:00:00.000Z",
    }
    base.update(overrides)
    return base


def test_structure_maps_camel_case_and_enums() -> None:
    hook = CONVERTER.structure(wire(), Webhook)
    assert hook.server_url == "https://example.com/hook"
    assert hook.events == (WebhookEvent.CONTACT_CREATED,)
    assert hook.created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert hook.extra == {}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00.000Z", datetime(2024, 5, 1, 12, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ],
)
def test_timestamps_become_aware_datetimes(raw: str, expected: datetime) -> None:
    parsed = parse_timestamp(raw)
    assert parsed == expected
    assert parsed is not None
    assert parsed.tzinfo is not None


def test_unparseable_timestamp_is_kept_raw_not_an_error() -> None:
    hook = CONVERTER.structure(wire(createdAt="yesterday-ish", updatedAt=17), Webhook)
    assert hook.created_at is None
    assert hook.updated_at is None
    assert hook.extra == {"createdAt": "yesterday-ish", "updatedAt": 17}
    assert CONVERTER.unstructure(hook)["createdAt"] == "yesterday-ish"


def test_missing_or_null_timestamps_are_none_and_not_kept() -> None:
    data = wire(createdAt=None)
    del data["updatedAt"]
    hook = CONVERTER.structure(data, Webhook)
    assert (hook.created_at, hook.updated_at, hook.extra) == (None, None, {})


def test_unparseable_timestamp_joins_the_unknown_fields() -> None:
    hook = CONVERTER.structure(wire(beta=True, updatedAt="soon"), Webhook)
    assert hook.updated_at is None
    assert hook.created_at == datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert list(hook.extra.items()) == [("beta", True), ("updatedAt", "soon")]


def test_event_members_and_known_names_structure_alike() -> None:
    names = ["contact_created", WebhookEvent.CONTACT_TAG_ADDED, "call_started"]
    events = CONVERTER.structure(wire(events=names), Webhook).events
    assert events == (WebhookEvent.CONTACT_CREATED, WebhookEvent.CONTACT_TAG_ADDED, "call_started")
    assert [type(event) for event in events] == [WebhookEvent, WebhookEvent, str]


def test_unknown_fields_and_events_survive_a_round_trip() -> None:
    data = wire(events=["contact_created", "call_started"], team={"id": 7}, beta=True)
    hook = CONVERTER.structure(data, Webhook)
    assert hook.events == (WebhookEvent.CONTACT_CREATED, "call_started")
    assert hook.extra == {"team": {"id": 7}, "beta": True}
    assert CONVERTER.unstructure(hook) == data


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ([wire(), wire(active="false")], "$[1].active"),
        ([wire(serverUrl=3)], "$[0].serverUrl"),
        ([{k: v for k, v in wire().items() if k != "id"}], "$[0].id"),
        ([wire(events="contact_created")], "$[0].events"),
        ([wire(events=[1])], "$[0].events[0]"),
        ([wire(events=["contact_created", {"a": 1}])], "$[0].events[1]"),
        ([wire(events=["contact_created", ["x"]])], "$[0].events[1]"),
        ([wire(events=["contact_created", None])], "$[0].events[1]"),
        ([wire(), wire(beta=1, active=None)], "$[1].active"),
        ({"id": "x"}, "$"),
        ([None], "$[0]"),
    ],
)
def test_wrong_shapes_raise_with_a_readable_path(data: Any, path: str) -> None:
    with pytest.raises(ResponseValidationError) as caught:
        structure_response(CONVERTER, data, list[Webhook], b"[...body...]")
    assert f"@ {path}" in str(caught.value)
    assert "...body..." in caught.value.body_excerpt


def test_spec_unstructures_to_the_create_body() -> None:
    spec = WebhookSpec(name="n", server_url="https://x.io", events=[WebhookEvent.CONTACT_CREATED])
    assert CONVERTER.unstructure(spec) == {
        "name": "n",
        "serverUrl": "https://x.io",
        "events": ["contact_created"],
        "active": True,
    }


def test_format_timestamp_is_utc_with_milliseconds() -> None:
    moment = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert format_timestamp(moment) == "2024-05-01T12:00:00.000Z"


_text = st.text(min_size=1, max_size=20)
_json_leaf = st.none() | st.booleans() | st.integers() | _text
_extra_keys = _text.filter(
    lambda key: key not in {"id", "name", "serverUrl", "active", "events", "createdAt", "updatedAt"}
)
_moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000))


@st.composite
def webhooks(draw: st.DrawFn) -> Webhook:
    known = st.sampled_from(list(WebhookEvent))
    return Webhook(
        id=draw(_text),
        name=draw(_text),
        server_url=draw(_text),
        active=draw(st.booleans()),
        events=draw(st.lists(known | _text.filter(lambda s: s not in set(WebhookEvent)))),
        created_at=draw(st.none() | _moments),
        updated_at=draw(st.none() | _moments),
        extra=draw(st.dictionaries(_extra_keys, _json_leaf, max_size=3)),
    )


@given(webhooks())
def test_structure_inverts_unstructure(hook: Webhook) -> None:
    assert CONVERTER.structure(CONVERTER.unstructure(hook), Webhook) == hook


def test_event_names_of_other_types_are_refused_not_renamed() -> None:
    class Named(str):
        pass

    for bad in (Named("call_started"), 3, None):
        with pytest.raises(ResponseValidationError, match=r"events\[1\]"):
            structure_response(CONVERTER, [wire(events=["contact_created", bad])], list[Webhook])


def test_events_unstructure_to_their_values_and_never_through_str() -> None:
    import enum

    class Mine(str, enum.Enum):  # noqa: UP042 - the plain str mixin, as users write it
        CC = "contact_created"

    spec = WebhookSpec(
        name="n", server_url="https://x.io", events=(WebhookEvent.CONTACT_TAG_ADDED, Mine.CC)
    )
    assert CONVERTER.unstructure(spec)["events"] == ["contact_tag_added", "contact_created"]
    odd = WebhookSpec(name="n", server_url="https://x.io", events=("future_event",))
    object.__setattr__(odd, "events", ("future_event", None))  # past the model's own check
    assert CONVERTER.unstructure(odd)["events"] == ["future_event", None]


def test_a_dict_subclass_is_read_as_a_plain_dict_and_left_unchanged() -> None:
    from collections import defaultdict

    data: defaultdict[str, Any] = defaultdict(lambda: "filled", wire())
    del data["id"]
    with pytest.raises(ResponseValidationError, match=r"\$\.id"):
        structure_response(CONVERTER, data, Webhook)
    assert "id" not in data


def test_clients_share_one_converter_built_once() -> None:
    from whautochat_async import WhautoChat
    from whautochat_async.converters import shared_converter

    first, second = (WhautoChat("k", environ={}, rate_limit=None) for _ in range(2))
    assert first._converter is second._converter is shared_converter()
    assert shared_converter() is not make_converter()  # make_converter() stays a new one
