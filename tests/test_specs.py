"""Loading webhook specs from JSON and TOML files, and writing them back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from whautochat_async import InvalidInputError, Webhook, WebhookEvent, WebhookSpec
from whautochat_async.sync import dump_specs, load_specs, parse_specs, spec_of

ORDERS = WebhookSpec(
    name="orders",
    server_url="https://example.com/hooks/orders",
    events=(WebhookEvent.INCOMING_WHATSAPP_MESSAGE, WebhookEvent.CONTACT_CREATED),
)

TOML = """
[[webhooks]]
name = "orders"
serverUrl = "https://example.com/hooks/orders"
events = ["incoming_whatsapp_message", "contact_created"]

[[webhooks]]
name = "crm"
server_url = "https://crm.example.com/in"
events = ["contact_tag_added"]
active = false
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_toml(tmp_path: Path) -> None:
    specs = load_specs(write(tmp_path, "hooks.toml", TOML))
    assert specs[0] == ORDERS
    assert specs[1] == WebhookSpec(
        name="crm",
        server_url="https://crm.example.com/in",
        events=(WebhookEvent.CONTACT_TAG_ADDED,),
        active=False,
    )


@pytest.mark.parametrize("wrap", [False, True])
def test_load_json_list_or_webhooks_object(tmp_path: Path, wrap: bool) -> None:
    entries = [{"name": "orders", "serverUrl": ORDERS.server_url, "events": list(ORDERS.events)}]
    data: Any = {"webhooks": entries} if wrap else entries
    assert load_specs(write(tmp_path, "hooks.json", json.dumps(data))) == [ORDERS]


def test_only_an_explicit_empty_list_holds_no_specs(tmp_path: Path) -> None:
    assert load_specs(write(tmp_path, "empty.toml", "webhooks = []\n")) == []
    assert load_specs(write(tmp_path, "empty.json", "[]")) == []
    assert load_specs(write(tmp_path, "wrapped.json", '{"webhooks": []}')) == []


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.toml", "", "the file is empty"),
        ("blank.json", " \n", "the file is empty"),
        ("comments.toml", "# nothing yet\n", "expected a list of webhook specs"),
        ("table.json", "{}", "expected a list of webhook specs"),
    ],
)
def test_a_file_without_an_explicit_list_is_an_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    # sync(load_specs(path), prune=True) must never wipe an account over an empty file.
    with pytest.raises(InvalidInputError, match=message):
        load_specs(write(tmp_path, name, text))


def test_unknown_event_names_are_kept_for_the_sync_to_judge(tmp_path: Path) -> None:
    entry = {"name": "a", "serverUrl": "https://a.io", "events": ["call_started"]}
    (spec,) = load_specs(write(tmp_path, "a.json", json.dumps([entry])))
    assert spec.events == ("call_started",)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "a", "serverUrl": "https://a.io", "events": ["x"], "colour": 1}, "extra fields"),
        ({"name": "a", "events": ["contact_created"]}, r"required field missing @ \$\.serverUrl"),
        (
            {"name": "a", "serverUrl": "https://a.io", "events": "contact_created"},
            r"expected an array, got a string @ \$\.events",
        ),
        (
            {"name": "a", "serverUrl": "https://a.io", "events": ["x"], "active": "no"},
            r"expected a boolean, got a string @ \$\.active",
        ),
        ({"name": "a", "serverUrl": "ftp://a.io", "events": ["x"]}, "must be an http"),
        ({"name": "a", "serverUrl": "https://a.io", "events": []}, "events must not be empty"),
        (
            {"name": "a", "serverUrl": "https://a.io", "server_url": "https://b.io", "events": []},
            "give serverUrl or server_url, not both",
        ),
        ("orders", "expected a table/object, got str"),
    ],
)
def test_errors_name_the_file_and_the_entry(tmp_path: Path, entry: Any, message: str) -> None:
    good = {"name": "ok", "serverUrl": "https://a.io", "events": ["contact_created"]}
    path = write(tmp_path, "hooks.json", json.dumps([good, entry]))
    with pytest.raises(InvalidInputError, match=message) as caught:
        load_specs(path)
    assert str(caught.value).startswith(f"{path}: webhooks[1]")


def test_the_entry_is_named_by_its_name_when_it_has_one(tmp_path: Path) -> None:
    path = write(tmp_path, "h.json", json.dumps([{"name": "orders", "events": []}]))
    with pytest.raises(InvalidInputError, match=r"webhooks\[0\] \('orders'\): required field"):
        load_specs(path)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.json", "[{", "not valid JSON"),
        ("bad.toml", "[[webhooks]\n", "not valid TOML"),
        ("bad.json", '{"hooks": []}', "expected a list of webhook specs"),
        ("bad.toml", 'name = "x"\n', "expected a list of webhook specs"),
    ],
)
def test_unparseable_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(InvalidInputError, match=message) as caught:
        load_specs(path)
    assert str(caught.value).startswith(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read the spec file"):
        load_specs(tmp_path / "nope.json")


@pytest.mark.parametrize("toml", [False, True])
def test_dump_then_load_round_trips(tmp_path: Path, toml: bool) -> None:
    tricky = WebhookSpec(
        name='quote " back\\slash é\nline',
        server_url="https://a.io/h?x=1",
        events=("contact_created", "call_started"),
        active=False,
    )
    text = dump_specs([ORDERS, tricky], toml=toml)
    path = write(tmp_path, "out.toml" if toml else "out.json", text)
    assert load_specs(path) == [ORDERS, tricky]


def _spec_or_none(name: str, path: str, events: list[Any], active: bool) -> WebhookSpec | None:
    try:
        return WebhookSpec(
            name=name, server_url=f"https://a.io/{path}", events=events, active=active
        )
    except InvalidInputError:
        return None


_SPECS = st.builds(
    _spec_or_none,
    name=st.text(min_size=1),
    path=st.text(),
    events=st.lists(st.sampled_from(WebhookEvent) | st.text(min_size=1), min_size=1),
    active=st.booleans(),
)
_DEL = WebhookSpec(name="del \x7f nul \x00 tab \t", server_url="https://a.io/\x7f", events=["e"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(specs=[_DEL], toml=True)
@example(specs=[], toml=True)
@given(specs=st.lists(_SPECS, max_size=3), toml=st.booleans())
def test_whatever_dump_specs_writes_load_specs_reads_back_equal(
    tmp_path: Path, specs: list[WebhookSpec | None], toml: bool
) -> None:
    assume(None not in specs)
    path = write(tmp_path, "out.toml" if toml else "out.json", dump_specs(specs, toml=toml))
    assert load_specs(path) == specs


def test_dump_json_uses_the_wire_names() -> None:
    assert json.loads(dump_specs([ORDERS])) == [
        {
            "name": "orders",
            "serverUrl": "https://example.com/hooks/orders",
            "events": ["incoming_whatsapp_message", "contact_created"],
            "active": True,
        }
    ]


def test_spec_of_a_webhook_keeps_the_writable_fields() -> None:
    hook = Webhook(
        id="wh_1",
        name="a",
        server_url="https://a.io",
        active=False,
        events=("contact_created",),
        extra={"team": 1},
    )
    assert spec_of(hook) == WebhookSpec(
        name="a", server_url="https://a.io", events=("contact_created",), active=False
    )


def test_parse_specs_names_its_source() -> None:
    with pytest.raises(InvalidInputError, match=r"^inline: expected a list"):
        parse_specs(3, source="inline")


def test_the_spec_functions_are_importable_from_their_old_home_too() -> None:
    import whautochat_async
    from whautochat_async import specs

    assert specs.load_specs is load_specs is whautochat_async.load_specs
    assert specs.dump_specs is dump_specs
