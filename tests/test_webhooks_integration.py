"""Every endpoint and its error paths, over a real socket to FakeWhautoChat."""

from __future__ import annotations

from datetime import datetime

import pytest

from whautochat_async import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    OperationFailedError,
    Page,
    UnprocessableEntityError,
    Webhook,
    WebhookEvent,
    WhautoChat,
)
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY

EVENTS = [WebhookEvent.CONTACT_CREATED, "incoming_whatsapp_message"]


async def test_create_returns_the_server_version(client: WhautoChat, fake: FakeWhautoChat) -> None:
    hook = await client.webhooks.create(name="orders", server_url="https://a.io/h", events=EVENTS)
    assert hook.id
    assert hook.name == "orders"
    assert hook.active is True
    assert hook.events == (WebhookEvent.CONTACT_CREATED, WebhookEvent.INCOMING_WHATSAPP_MESSAGE)
    assert isinstance(hook.created_at, datetime)
    assert hook.created_at.tzinfo is not None
    assert fake.webhooks[0]["id"] == hook.id
    assert fake.requests[-1].json == {
        "name": "orders",
        "serverUrl": "https://a.io/h",
        "events": ["contact_created", "incoming_whatsapp_message"],
        "active": True,
    }


async def test_await_list_gives_one_page(client: WhautoChat, fake: FakeWhautoChat) -> None:
    fake.seed_webhooks(5)
    page = await client.webhooks.list(page=2, limit=2)
    assert isinstance(page, Page)
    assert (page.page, page.limit, len(page)) == (2, 2, 2)
    assert [hook.name for hook in page] == [fake.webhooks[2]["name"], fake.webhooks[3]["name"]]
    assert fake.requests[-1].query == {"page": "2", "limit": "2"}


async def test_update_puts_the_whole_webhook_keeping_unknown_fields(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.extra_events = frozenset({"call_started"})  # a server newer than this client
    fake.add_webhook(
        name="a",
        serverUrl="https://a.io",
        events=["contact_created", "call_started"],
        team={"id": 7},
        priority=3,
    )
    (hook,) = await client.webhooks.list()
    assert hook.extra == {"team": {"id": 7}, "priority": 3}
    updated = await client.webhooks.update(hook, name="renamed", active=False)
    assert (updated.name, updated.active) == ("renamed", False)
    stored = fake.webhooks[0]
    assert stored["team"] == {"id": 7}
    assert stored["priority"] == 3
    assert stored["events"] == ["contact_created", "call_started"]
    assert updated.extra == {"team": {"id": 7}, "priority": 3}


async def test_delete_by_object_or_id(client: WhautoChat, fake: FakeWhautoChat) -> None:
    first, second = fake.seed_webhooks(2)
    hooks = list(await client.webhooks.list())
    assert (await client.webhooks.delete(hooks[0])).success is True
    assert (await client.webhooks.delete(second["id"])).success is True
    assert fake.webhooks == []
    assert first["id"] == hooks[0].id


async def test_delete_success_false_raises(client: WhautoChat, fake: FakeWhautoChat) -> None:
    (stored,) = fake.seed_webhooks(1)
    fake.faults.status(200, body={"success": False}, method="DELETE")
    with pytest.raises(OperationFailedError, match="success=False"):
        await client.webhooks.delete(stored["id"])


async def test_missing_webhook_is_not_found(client: WhautoChat) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.webhooks.delete("wh_nope")
    assert caught.value.status == 404
    assert caught.value.request_id
    assert "DELETE /v1/webhooks/wh_nope -> 404" in str(caught.value)


async def test_traversal_ids_address_only_their_own_segment(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.seed_webhooks(1)
    for hostile in ("a/../b", "..", "../webhooks", "%2e%2e"):
        with pytest.raises(NotFoundError):
            await client.webhooks.delete(hostile)
        assert fake.requests[-1].path == f"/v1/webhooks/{hostile}"
    assert len(fake.webhooks) == 1


async def test_wrong_key_is_an_authentication_error(fake: FakeWhautoChat) -> None:
    async with WhautoChat("wrong-key", base_url=fake.url, environ={}) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.webhooks.list()
    assert caught.value.status == 401
    assert "wrong-key" not in str(caught.value)


async def test_server_side_validation_is_unprocessable(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.add_webhook(name="a", serverUrl="https://a.io", events=["call_started"])
    (hook,) = await client.webhooks.list()
    # The fake knows only the 13 documented names, so it refuses the unknown one on PUT.
    with pytest.raises(UnprocessableEntityError) as caught:
        await client.webhooks.update(hook, name="b")
    assert caught.value.status == 422


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": "", "server_url": "https://a.io", "events": EVENTS}, "name"),
        ({"name": "n", "server_url": "a.io", "events": EVENTS}, "server_url"),
        ({"name": "n", "server_url": "https://a.io", "events": []}, "events"),
        ({"name": "n", "server_url": "https://a.io", "events": ["typo"]}, "valid names"),
        ({"name": "n", "server_url": "https://a.io", "events": EVENTS, "active": "no"}, "active"),
    ],
)
async def test_bad_create_input_fails_before_any_request(
    client: WhautoChat, fake: FakeWhautoChat, kwargs: dict[str, object], match: str
) -> None:
    with pytest.raises(InvalidInputError, match=match):
        await client.webhooks.create(**kwargs)  # type: ignore[arg-type]
    assert fake.request_count == 0


@pytest.mark.parametrize(
    ("changes", "match"),
    [({"id": "x"}, "cannot update id"), ({"events": ["typo"]}, "typo"), ({"name": " "}, "name")],
)
async def test_bad_update_input_fails_before_any_request(
    client: WhautoChat, fake: FakeWhautoChat, changes: dict[str, object], match: str
) -> None:
    hook = Webhook(id="wh_1", name="a", server_url="https://a.io", active=True, events=EVENTS)
    with pytest.raises(InvalidInputError, match=match):
        await client.webhooks.update(hook, **changes)
    with pytest.raises(InvalidInputError, match="Webhook"):
        await client.webhooks.update("wh_1", name="x")  # type: ignore[arg-type]
    assert fake.request_count == 0


@pytest.mark.parametrize("bad_id", ["", None, "\ud800"])
async def test_empty_id_fails_before_any_request(
    client: WhautoChat, fake: FakeWhautoChat, bad_id: str
) -> None:
    with pytest.raises(InvalidInputError, match="webhook id"):
        await client.webhooks.delete(bad_id)
    assert fake.request_count == 0


async def test_a_server_id_with_a_lone_surrogate_fails_before_any_request(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    fake.add_webhook(id="wh_\ud800", name="a", serverUrl="https://a.io", events=EVENTS[1:])
    (hook,) = await client.webhooks.list()  # JSON carried it as "wh_\\ud800"
    sent = fake.request_count
    with pytest.raises(InvalidInputError, match="webhook id"):
        await client.webhooks.update(hook, name="b")
    with pytest.raises(InvalidInputError, match="webhook id"):
        await client.webhooks.delete(hook)
    assert fake.request_count == sent


async def test_list_rejects_bad_paging_arguments_before_any_request(
    client: WhautoChat, fake: FakeWhautoChat
) -> None:
    for kwargs in ({"page": 0}, {"limit": 0}, {"max_items": -1}, {"prefetch": -1}):
        with pytest.raises(InvalidInputError):
            client.webhooks.list(**kwargs)
    assert fake.request_count == 0


async def test_fake_key_is_checked_with_the_default_key() -> None:
    async with FakeWhautoChat() as fake, WhautoChat(API_KEY, base_url=fake.url, environ={}) as c:
        with pytest.raises(AuthenticationError):
            await c.webhooks.list()
