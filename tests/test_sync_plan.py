"""The pure sync planner: desired specs + current webhooks -> outcomes, no I/O."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from whautochat_async import InvalidInputError, SyncError, Webhook, WebhookEvent, WebhookSpec
from whautochat_async.sync import SyncAction, SyncOutcome, differences, plan_sync
from whautochat_async.sync._checks import check_specs, key_function

CREATED = WebhookEvent.CONTACT_CREATED
INCOMING = WebhookEvent.INCOMING_WHATSAPP_MESSAGE


def spec(
    name: str, url: str = "https://a.io/h", events: Any = (CREATED,), **kw: Any
) -> WebhookSpec:
    return WebhookSpec(name=name, server_url=url, events=events, **kw)


def hook(hook_id: str, name: str, url: str = "https://a.io/h", **kw: Any) -> Webhook:
    fields: dict[str, Any] = {"events": (CREATED,), "active": True} | kw
    return Webhook(id=hook_id, name=name, server_url=url, **fields)


def actions(plan: tuple[SyncOutcome, ...]) -> list[tuple[str, Any]]:
    return [(outcome.action.value, outcome.key) for outcome in plan]


def test_unmatched_specs_are_created_in_desired_order() -> None:
    plan = plan_sync([spec("b"), spec("a")], [])
    assert actions(plan) == [("create", "b"), ("create", "a")]
    assert plan[0].spec == spec("b")
    assert plan[0].current is None


def test_equal_webhooks_are_unchanged_and_cost_no_write() -> None:
    current = [hook("wh_1", "a")]
    (outcome,) = plan_sync([spec("a")], current)
    assert outcome.action is SyncAction.UNCHANGED
    assert outcome.current == current[0]
    assert not outcome.is_write
    assert outcome.changes == {}


def test_only_differing_fields_are_changed() -> None:
    current = [hook("wh_1", "a", events=(CREATED, INCOMING))]
    (outcome,) = plan_sync([spec("a", "https://b.io", events=[CREATED], active=False)], current)
    assert outcome.action is SyncAction.UPDATE
    assert dict(outcome.changes) == {
        "server_url": "https://b.io",
        "active": False,
        "events": (CREATED,),
    }
    assert outcome.webhook_id == "wh_1"


def test_events_compare_as_a_set() -> None:
    current = [hook("wh_1", "a", events=(CREATED, INCOMING))]
    reordered = spec("a", events=["incoming_whatsapp_message", CREATED, CREATED])
    (outcome,) = plan_sync([reordered], current)
    assert outcome.action is SyncAction.UNCHANGED


def test_events_are_deduplicated_in_order() -> None:
    (checked,) = check_specs([spec("a", events=[INCOMING, CREATED, "incoming_whatsapp_message"])])
    assert checked.events == (INCOMING, CREATED)


def test_without_prune_other_webhooks_are_not_in_the_plan() -> None:
    plan = plan_sync([spec("a")], [hook("wh_9", "other"), hook("wh_1", "a")])
    assert actions(plan) == [("unchanged", "a")]


def test_prune_deletes_the_others_last_in_listing_order() -> None:
    current = [hook("wh_9", "z"), hook("wh_1", "a"), hook("wh_8", "y")]
    plan = plan_sync([spec("new"), spec("a")], current, prune=True)
    assert actions(plan) == [
        ("create", "new"),
        ("unchanged", "a"),
        ("delete", "z"),
        ("delete", "y"),
    ]
    assert plan[2].current is not None
    assert plan[2].current.id == "wh_9"
    assert plan[2].spec is None


def test_empty_desired_with_an_allowed_prune_deletes_everything() -> None:
    plan = plan_sync([], [hook("wh_1", "a"), hook("wh_2", "b")], prune=True, allow_empty_prune=True)
    assert actions(plan) == [("delete", "a"), ("delete", "b")]


def test_duplicate_desired_keys_are_an_error_naming_them() -> None:
    with pytest.raises(SyncError, match=r"'a' at \[0\], \[2\]"):
        plan_sync([spec("a"), spec("b"), spec("a", "https://c.io")], [])


def test_server_duplicates_of_a_desired_key_are_an_error() -> None:
    current = [hook("wh_1", "a"), hook("wh_2", "a")]
    with pytest.raises(SyncError, match=r"'a' is held by wh_1, wh_2.*will not guess"):
        plan_sync([spec("a")], current)


def test_server_duplicates_no_spec_wants_are_left_alone_or_all_pruned() -> None:
    current = [hook("wh_1", "dup"), hook("wh_2", "dup"), hook("wh_3", "a")]
    assert actions(plan_sync([spec("a")], current)) == [("unchanged", "a")]
    pruned = plan_sync([spec("a")], current, prune=True)
    assert [o.webhook_id for o in pruned if o.action is SyncAction.DELETE] == ["wh_1", "wh_2"]


def test_key_can_be_server_url() -> None:
    current = [hook("wh_1", "old-name", "https://a.io/1")]
    (outcome,) = plan_sync([spec("new-name", "https://a.io/1")], current, key="server_url")
    assert outcome.action is SyncAction.UPDATE
    assert outcome.key == "https://a.io/1"
    assert dict(outcome.changes) == {"name": "new-name"}


def test_key_can_be_a_function() -> None:
    current = [hook("wh_1", "Orders")]
    (outcome,) = plan_sync([spec("orders")], current, key=lambda item: item.name.lower())
    assert outcome.action is SyncAction.UPDATE
    assert dict(outcome.changes) == {"name": "orders"}


def test_bad_key_is_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="key must be one of name, server_url"):
        key_function("events")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (lambda: spec(" "), r"name must be a non-empty string"),
        (lambda: spec("x", "ftp://a.io"), r"server_url must be an http"),
        (lambda: spec("x", events=[]), r"events must not be empty"),
        (lambda: spec("x", active="yes"), r"active must be True or False"),
    ],
)
def test_invalid_specs_are_refused_when_built(bad: Any, message: str) -> None:
    # A spec checks its fields when it is built, so a sync never meets an invalid one.
    with pytest.raises(InvalidInputError, match=message):
        bad()


def test_what_is_not_a_spec_is_named_by_index() -> None:
    with pytest.raises(InvalidInputError, match=r"desired\[1\] is a dict, not a WebhookSpec"):
        check_specs([spec("ok"), {"name": "x"}])  # type: ignore[list-item]


def test_a_single_spec_or_a_mapping_is_not_a_list() -> None:
    with pytest.raises(InvalidInputError, match="list of WebhookSpec"):
        check_specs(spec("a"))  # type: ignore[arg-type]


def test_an_empty_prune_is_refused_unless_allowed() -> None:
    current = [hook("wh_1", "a")]
    with pytest.raises(InvalidInputError, match="allow_empty_prune=True"):
        plan_sync([], current, prune=True)
    (outcome,) = plan_sync([], current, prune=True, allow_empty_prune=True)
    assert outcome.action is SyncAction.DELETE
    assert plan_sync([], current) == ()  # without prune nothing is deleted: allowed


def test_unknown_event_is_refused_on_create() -> None:
    with pytest.raises(InvalidInputError, match=r"desired\[0\] \(key 'a'\): unknown event name"):
        plan_sync([spec("a", events=["call_started"])], [])


def test_unknown_event_passes_on_update_when_the_webhook_has_it() -> None:
    current = [hook("wh_1", "a", events=(CREATED, "call_started"))]
    keep = spec("a", events=["call_started"])
    (outcome,) = plan_sync([keep], current)
    assert dict(outcome.changes) == {"events": ("call_started",)}
    with pytest.raises(InvalidInputError, match="unknown event name 'call_ended'"):
        plan_sync([spec("a", events=["call_ended"])], current)


def test_differences_ignore_unknown_server_fields() -> None:
    current = hook("wh_1", "a", extra={"team": 7})
    assert differences(spec("a"), current) == {}


# -- a property: applying the plan to the server's state gives the desired state -------

NAMES = st.sampled_from(["a", "b", "c", "d", "e"])
EVENT_SETS = st.lists(st.sampled_from(list(WebhookEvent)[:4]), min_size=1, max_size=3)
SPECS = st.builds(
    spec, name=NAMES, url=st.sampled_from(["https://a.io", "https://b.io"]), events=EVENT_SETS
)


def simulate(current: list[Webhook], plan: tuple[SyncOutcome, ...]) -> dict[str, WebhookSpec]:
    state = {w.id: spec(w.name, w.server_url, w.events, active=w.active) for w in current}
    for number, outcome in enumerate(plan):
        if outcome.action is SyncAction.CREATE and outcome.spec is not None:
            state[f"new_{number}"] = outcome.spec
        elif outcome.current is not None and outcome.action is SyncAction.UPDATE:
            old = state[outcome.current.id]
            state[outcome.current.id] = WebhookSpec(
                name=outcome.changes.get("name", old.name),
                server_url=outcome.changes.get("server_url", old.server_url),
                events=outcome.changes.get("events", old.events),
                active=outcome.changes.get("active", old.active),
            )
        elif outcome.current is not None and outcome.action is SyncAction.DELETE:
            del state[outcome.current.id]
    return state


@given(
    desired=st.lists(SPECS, max_size=4, unique_by=lambda s: s.name),
    current_specs=st.lists(SPECS, max_size=4, unique_by=lambda s: s.name),
    prune=st.booleans(),
)
def test_applying_the_plan_reaches_the_desired_state(
    desired: list[WebhookSpec], current_specs: list[WebhookSpec], prune: bool
) -> None:
    current = [
        hook(f"wh_{i}", s.name, s.server_url, events=s.events) for i, s in enumerate(current_specs)
    ]
    plan = plan_sync(desired, current, prune=prune, allow_empty_prune=True)
    after = simulate(current, plan)
    by_name = {s.name: s for s in after.values()}
    for wanted in desired:
        got = by_name[wanted.name]
        assert (got.server_url, set(got.events), got.active) == (
            wanted.server_url,
            set(wanted.events),
            wanted.active,
        )
    wanted_names = {s.name for s in desired}
    others = {s.name for s in after.values()} - wanted_names
    assert others == (set() if prune else {s.name for s in current_specs} - wanted_names)
    assert len(after) == len(by_name)  # the sync never makes a key ambiguous
