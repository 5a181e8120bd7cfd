"""The fake server's endpoints, auth, validation, paging and routing, over loopback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from yarl import URL

from whautochat_async.testing import FakeWhautoChat

KEY = {"x-api-key": "test-key"}
BODY = {"name": "n", "serverUrl": "https://h.example/x", "events": ["contact_created"]}


class Ticker:
    """A clock that moves one second per call from 2024-05-01T12:00:00Z."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> datetime:
        self.calls += 1
        return datetime(2024, 5, 1, 12, tzinfo=UTC) + timedelta(seconds=self.calls - 1)


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhautoChat]:
    async with FakeWhautoChat(seed=1, clock=Ticker()) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers=KEY) as session:
        yield session


async def call(
    http: aiohttp.ClientSession, method: str, url: str | URL, body: Any = None
) -> tuple[int, Any]:
    async with http.request(method, url, json=body) as resp:
        return resp.status, await resp.json()


async def test_create_stamps_id_and_times_and_keeps_unknown_fields(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    status, created = await call(http, "POST", f"{fake.url}/v1/webhooks", BODY | {"x": 1})
    assert status == 200
    assert re.fullmatch(r"wh_[0-9a-f]{12}", created["id"])
    assert created["createdAt"] == created["updatedAt"] == "2024-05-01T12:00:00.000Z"
    assert created["active"] is True
    assert created["x"] == 1
    assert fake.webhooks == [created]


async def test_list_is_a_bare_array_in_insertion_order(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    seeded = fake.seed_webhooks(3)
    status, listed = await call(http, "GET", f"{fake.url}/v1/webhooks")
    assert status == 200
    assert listed == seeded
    assert [w["name"] for w in listed] == ["webhook-0001", "webhook-0002", "webhook-0003"]


async def test_paging_caps_limit_silently(http: aiohttp.ClientSession) -> None:
    async with FakeWhautoChat(max_page_size=10, default_page_size=7) as fake:
        fake.seed_webhooks(25)
        url = f"{fake.url}/v1/webhooks"
        assert len((await call(http, "GET", f"{url}?page=1&limit=50"))[1]) == 10
        _, third = await call(http, "GET", f"{url}?page=3&limit=10")
        assert [w["name"] for w in third] == [f"webhook-00{n}" for n in range(21, 26)]
        assert (await call(http, "GET", f"{url}?page=4&limit=10"))[1] == []
        assert len((await call(http, "GET", url))[1]) == 7


@pytest.mark.parametrize("query", ["page=0", "page=-1", "limit=abc", "limit=", "page=1.5"])
async def test_bad_paging_params_are_400(
    fake: FakeWhautoChat, http: aiohttp.ClientSession, query: str
) -> None:
    status, body = await call(http, "GET", f"{fake.url}/v1/webhooks?{query}")
    assert status == 400
    assert body["error"]["code"] == "invalid_query"


async def test_ignore_page_always_serves_page_one(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    first = fake.seed_webhooks(4)[:2]
    fake.ignore_page = True
    _, page2 = await call(http, "GET", f"{fake.url}/v1/webhooks?page=2&limit=2")
    assert page2 == first


async def test_put_replaces_whole_webhook(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    old = fake.add_webhook(legacy=True)
    body = BODY | {"active": False, "newField": [1], "id": "wh_forged", "createdAt": "x"}
    url = f"{fake.url}/v1/webhooks/{old['id']}"
    status, new = await call(http, "PUT", url, body)
    assert status == 200
    assert "legacy" not in new
    assert new["newField"] == [1]
    assert (new["id"], new["createdAt"]) == (old["id"], old["createdAt"])
    assert new["updatedAt"] > old["updatedAt"]
    assert fake.webhooks == [new]


async def test_delete_removes_and_answers_success(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    hook_id = fake.add_webhook()["id"]
    status, body = await call(http, "DELETE", f"{fake.url}/v1/webhooks/{hook_id}")
    assert (status, body) == (200, {"success": True})
    assert fake.webhooks == []


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
async def test_unknown_id_is_404_with_error_body(
    fake: FakeWhautoChat, http: aiohttp.ClientSession, method: str
) -> None:
    url = f"{fake.url}/v1/webhooks/wh_x"
    async with http.request(method, url, json=BODY | {"active": True}) as resp:
        assert resp.status == 404
        assert resp.headers["x-request-id"] == "req_1"
        error = {"code": "not_found", "message": "Webhook wh_x not found"}
        assert await resp.json() == {"error": error}


@pytest.mark.parametrize("headers", [{}, {"x-api-key": "wrong"}])
async def test_missing_or_wrong_key_is_401(fake: FakeWhautoChat, headers: dict[str, str]) -> None:
    async with aiohttp.ClientSession(headers=headers) as session:
        status, body = await call(session, "GET", f"{fake.url}/v1/webhooks")
    assert status == 401
    assert body["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"serverUrl": "ftp://h/x"}, "serverUrl"),
        ({"serverUrl": "not a url"}, "serverUrl"),
        ({"serverUrl": "http://[bad"}, "serverUrl"),
        ({"serverUrl": 5}, "serverUrl"),
        ({"events": []}, "events"),
        ({"events": ["contact_created", "nope"]}, "events[1]"),
        ({"active": "yes"}, "active"),
    ],
)
async def test_invalid_body_is_422_with_details(
    fake: FakeWhautoChat, http: aiohttp.ClientSession, change: dict[str, Any], field: str
) -> None:
    status, body = await call(http, "POST", f"{fake.url}/v1/webhooks", BODY | change)
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert [d["field"] for d in body["error"]["details"]] == [field]
    assert fake.webhooks == []


async def test_put_requires_active(fake: FakeWhautoChat, http: aiohttp.ClientSession) -> None:
    url = f"{fake.url}/v1/webhooks/{fake.add_webhook()['id']}"
    status, body = await call(http, "PUT", url, BODY)
    assert status == 422
    assert body["error"]["details"][0]["field"] == "active"


@pytest.mark.parametrize(("raw", "code"), [(b"{nope", "invalid_json"), (b"[]", "invalid_body")])
@pytest.mark.parametrize("method", ["POST", "PUT"])
async def test_non_object_body_is_400(
    fake: FakeWhautoChat, http: aiohttp.ClientSession, raw: bytes, code: str, method: str
) -> None:
    hook_id = fake.add_webhook()["id"]
    url = f"{fake.url}/v1/webhooks" + ("" if method == "POST" else f"/{hook_id}")
    async with http.request(method, url, data=raw) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == code


@pytest.mark.parametrize(
    ("raw_id", "decoded"), [("a%2F..%2Fb", "a/../b"), ("%2E%2E", ".."), ("%2E", ".")]
)
async def test_encoded_ids_stay_one_segment(
    fake: FakeWhautoChat, http: aiohttp.ClientSession, raw_id: str, decoded: str
) -> None:
    fake.seed_webhooks(1)
    url = URL(f"{fake.url}/v1/webhooks/{raw_id}", encoded=True)
    status, body = await call(http, "DELETE", url)
    assert status == 404
    assert body["error"] == {"code": "not_found", "message": f"Webhook {decoded} not found"}
    assert fake.requests[0].raw_path == f"/v1/webhooks/{raw_id}"
    assert fake.requests[0].path == f"/v1/webhooks/{decoded}"
    assert len(fake.webhooks) == 1


async def test_literal_dot_segment_is_refused(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.seed_webhooks(1)
    url = URL(f"{fake.url}/v1/webhooks/..", encoded=True)
    status, body = await call(http, "DELETE", url)
    assert (status, body["error"]["code"]) == (400, "invalid_path")
    assert len(fake.webhooks) == 1


async def test_unknown_route_and_method(fake: FakeWhautoChat, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, "GET", f"{fake.url}/v1/other")
    assert (status, body["error"]["code"]) == (404, "route_not_found")
    async with http.patch(f"{fake.url}/v1/webhooks/x") as resp:
        assert resp.status == 405
        assert "PUT" in resp.headers["Allow"]
        assert (await resp.json())["error"]["code"] == "method_not_allowed"


async def test_requests_are_recorded_with_key_redacted(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.seed_webhooks(2)
    await call(http, "POST", f"{fake.url}/v1/webhooks", BODY)
    await call(http, "GET", f"{fake.url}/v1/webhooks?page=2&limit=5")
    post, get = fake.requests
    assert fake.request_count == 2
    assert post.headers["x-api-key"] == "***"
    assert "test-key" not in repr(fake.requests)
    assert (post.method, post.json, post.status) == ("POST", BODY, 200)
    assert (get.query, get.json, get.request_id) == ({"page": "2", "limit": "5"}, None, "req_2")


async def test_seed_makes_ids_reproducible(http: aiohttp.ClientSession) -> None:
    ids = []
    for seed in (7, 7, 8):
        async with FakeWhautoChat(seed=seed) as fake:
            fake.seed_webhooks(2)
            _, created = await call(http, "POST", f"{fake.url}/v1/webhooks", BODY)
            ids.append([*(w["id"] for w in fake.webhooks[:2]), created["id"]])
    assert ids[0] == ids[1]
    assert ids[0] != ids[2]


def test_direct_adds_take_overrides_and_extra_fields() -> None:
    fake = FakeWhautoChat(clock=lambda: datetime(2024, 1, 2, 3, 4, 5, 678999))
    added = fake.seed_webhooks(2, extra={"odd-key": 1}, active=False, events=["future"])
    assert [w["name"] for w in added] == ["webhook-0001", "webhook-0002"]
    assert all(w["odd-key"] == 1 and w["active"] is False for w in added)
    assert added[0]["events"] == ["future"]
    assert added[0]["createdAt"] == "2024-01-02T03:04:05.678Z"
    assert fake.add_webhook(id="wh_fixed")["id"] == "wh_fixed"
    assert fake.request_count == 0


async def test_app_works_without_a_socket() -> None:
    fake = FakeWhautoChat()
    fake.seed_webhooks(1)
    async with TestClient(TestServer(fake.app)) as client:
        resp = await client.get("/v1/webhooks", headers=KEY)
        assert resp.status == 200
        assert len(await resp.json()) == 1


@pytest.mark.parametrize(
    "options", [{"max_page_size": 0}, {"default_page_size": 0}, {"rate_limit": (0, 1.0)}]
)
def test_bad_options_are_refused(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=">"):
        FakeWhautoChat(**options)


async def test_webhooks_can_be_replaced_wholesale(
    fake: FakeWhautoChat, http: aiohttp.ClientSession
) -> None:
    fake.webhooks = [{"id": "wh_only", "name": "odd"}]
    assert (await call(http, "GET", f"{fake.url}/v1/webhooks"))[1] == fake.webhooks


async def test_seeding_many_webhooks_gives_unique_ids() -> None:
    fake = FakeWhautoChat(seed=3)
    fake.add_webhook(name="first")
    seeded = fake.seed_webhooks(2000)
    ids = [item["id"] for item in fake.webhooks]
    assert len(ids) == len(set(ids)) == 2001
    assert [item["id"] for item in seeded] == ids[1:]


def _ids_a_seed_gives(seed: int, count: int) -> list[str]:
    twin = FakeWhautoChat(seed=seed)
    return [item["id"] for item in twin.seed_webhooks(count)]


_EDITS = ["assign_a_new_list", "replace_elements", "add_webhook", "assign_in_the_store"]


@pytest.mark.parametrize("how", _EDITS)
def test_new_ids_avoid_ids_the_test_stored_directly(how: str) -> None:
    # With a seed the next ids are known in advance; storing them by hand first must
    # not make the store hand out a duplicate, whichever way they were stored.
    upcoming = _ids_a_seed_gives(5, 4)
    fake = FakeWhautoChat(seed=5)
    fake.seed_webhooks(2)  # takes upcoming[0:2]
    by_hand = [{"id": upcoming[2], "name": "by hand"}, {"id": upcoming[3], "name": "by hand"}]
    hooks = fake.webhooks
    if how == "assign_a_new_list":
        fake.webhooks = [*hooks, *by_hand]
    elif how == "replace_elements":
        fake.webhooks = by_hand
    elif how == "add_webhook":
        for fields in by_hand:
            fake.add_webhook(**fields)
    else:
        fake.store.items = [*hooks, *by_hand]
    added = fake.seed_webhooks(3)
    ids = [item["id"] for item in fake.webhooks]
    assert len(ids) == len(set(ids))
    assert not {item["id"] for item in added} & set(upcoming)


def test_an_id_changed_by_assigning_the_list_counts_at_once() -> None:
    upcoming = _ids_a_seed_gives(9, 3)
    fake = FakeWhautoChat(seed=9)
    fake.seed_webhooks(2)
    fake.webhooks = [{**fake.webhooks[0], "id": upcoming[2]}]  # ids are keys: assign
    added = fake.add_webhook()
    assert added["id"] != upcoming[2]


def test_two_stored_webhooks_never_share_an_id() -> None:
    fake = FakeWhautoChat()
    fake.add_webhook(id="wh_same")
    with pytest.raises(ValueError, match="wh_same"):
        fake.add_webhook(id="wh_same")
    with pytest.raises(ValueError, match="share the id 'wh_x'"):
        fake.webhooks = [{"id": "wh_x"}, {"id": "wh_x"}]


def test_stored_webhooks_are_copies_both_ways() -> None:
    fake = FakeWhautoChat()
    nested: dict[str, Any] = {"team": {"tags": ["a"]}, "pair": ("x", ["y"])}
    returned = fake.add_webhook(extra=nested)
    nested["team"]["tags"].append("changed by the caller")
    returned["extra"]["pair"][1].append("changed via the answer")
    stored = fake.webhooks[0]["extra"]
    assert stored == {"team": {"tags": ["a"]}, "pair": ("x", ["y"])}
