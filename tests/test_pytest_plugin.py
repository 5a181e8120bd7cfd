"""The pytest plugin users get through the ``pytest11`` entry point, run with ``pytester``."""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from types import ModuleType

import pytest

from whautochat_async.testing import pytest_plugin

STRICT_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
AUTO_INI = STRICT_INI + "asyncio_mode = auto\n"

CREATE_AND_LIST = """
import pytest
from whautochat_async import WhautoChat
from whautochat_async.testing import FakeWhautoChat

@pytest.mark.asyncio
async def test_create_then_list(whautochat_fake, whautochat_client):
    assert isinstance(whautochat_fake, FakeWhautoChat)
    assert isinstance(whautochat_client, WhautoChat)
    await whautochat_client.webhooks.create(
        name="orders", server_url="https://example.com/h", events=["contact_created"]
    )
    assert [hook["name"] for hook in whautochat_fake.webhooks] == ["orders"]
    assert [hook.name for hook in await whautochat_client.webhooks.list()] == ["orders"]
"""


@pytest.fixture
def no_api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs share this process's environment: start it without the client's keys."""
    monkeypatch.delenv("WHAUTOCHAT_API_KEY", raising=False)
    monkeypatch.delenv("WHAUTOCHAT_BASE_URL", raising=False)


def test_the_entry_point_registers_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI)
    pytester.makepyfile(CREATE_AND_LIST)
    result = pytester.runpytest_inprocess("-W", "error", "--strict-markers")
    result.assert_outcomes(passed=1)


def test_the_fixtures_work_in_auto_mode(pytester: pytest.Pytester) -> None:
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(CREATE_AND_LIST.replace("@pytest.mark.asyncio\n", ""))
    pytester.runpytest_inprocess("-W", "error").assert_outcomes(passed=1)


def test_markers_pass_options_and_the_closest_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(
        """
        import pytest
        from whautochat_async import RetryPolicy

        pytestmark = pytest.mark.whautochat_fake(ignore_page=True, max_page_size=2)

        @pytest.mark.whautochat_fake(max_page_size=5, api_key="key-from-marker")
        @pytest.mark.whautochat_client(retry=0)
        async def test_options(whautochat_fake, whautochat_client):
            assert whautochat_fake.ignore_page
            assert whautochat_fake.max_page_size == 5
            whautochat_fake.faults.status(503)
            with pytest.raises(Exception) as caught:
                await whautochat_client.webhooks.list()
            assert whautochat_fake.request_count == 1  # retry=0: no second attempt
            assert "503" in str(caught.value)

        async def test_defaults(whautochat_fake):
            assert whautochat_fake.api_key.startswith("test-key-")
            assert whautochat_fake.max_page_size == 2
        """
    )
    result = pytester.runpytest_inprocess("-W", "error", "--strict-markers")
    result.assert_outcomes(passed=2)


def test_fake_and_client_are_closed_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(
        """
        import socket
        import pytest
        from yarl import URL

        seen = {}

        async def test_use(whautochat_fake, whautochat_client):
            seen["client"], seen["url"] = whautochat_client, URL(whautochat_fake.url)
            await whautochat_client.webhooks.list()

        def test_then_closed():
            assert seen["client"].closed
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((seen["url"].host, seen["url"].port), timeout=5)
        """
    )
    pytester.runpytest_inprocess("-W", "error", "-p", "no:randomly").assert_outcomes(passed=2)


def test_each_test_has_a_key_of_its_own_so_a_busy_limiter_stays_behind(
    pytester: pytest.Pytester,
) -> None:
    with socket.socket() as probe:  # a port both tests' fakes take, one after the other
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(
        f"""
        import pytest
        from whautochat_async import RateLimit

        pytestmark = pytest.mark.whautochat_fake(port={port})
        keys = []

        @pytest.mark.whautochat_client(rate_limit=RateLimit(1, 3600))
        async def test_spends_an_hours_budget(whautochat_fake, whautochat_client):
            keys.append(whautochat_fake.api_key)
            await whautochat_client.webhooks.list()

        @pytest.mark.whautochat_client(rate_limit=RateLimit(2, 3600))
        async def test_then_another_budget_on_the_same_port(whautochat_fake, whautochat_client):
            keys.append(whautochat_fake.api_key)
            await whautochat_client.webhooks.list()
            assert len(set(keys)) == 2
        """
    )
    pytester.runpytest_inprocess("-W", "error", "-p", "no:randomly").assert_outcomes(passed=2)


@pytest.mark.usefixtures("no_api_env")
def test_whautochat_env_points_code_that_reads_the_environment_at_the_fake(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(AUTO_INI)
    pytester.makepyfile(
        """
        import os
        from whautochat_async import WhautoChat

        async def test_env(whautochat_env, whautochat_fake):
            async with WhautoChat() as client:  # what the code under test does
                await client.webhooks.list()
            assert whautochat_fake.request_count == 1

        def test_env_is_restored():
            assert "WHAUTOCHAT_BASE_URL" not in os.environ
        """
    )
    pytester.runpytest_inprocess("-W", "error", "-p", "no:randomly").assert_outcomes(passed=2)


def _plugin_without_pytest_asyncio(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A fresh copy of the plugin module, imported as if pytest-asyncio were not installed."""
    path = Path(pytest_plugin.__file__)
    spec = importlib.util.spec_from_file_location("whautochat_plugin_copy", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "pytest_asyncio", None)  # makes its import fail
        spec.loader.exec_module(module)
    return module


def test_without_pytest_asyncio_only_the_fixtures_fail_and_say_why(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = _plugin_without_pytest_asyncio(monkeypatch)
    pytester.makepyfile(
        """
        def test_unrelated():
            assert True

        def test_uses_the_client(whautochat_client):
            pass
        """
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:asyncio", "-p", "no:whautochat", "--strict-markers", plugins=[plugin]
    )
    result.assert_outcomes(passed=1, errors=1)
    assert pytest_plugin.MISSING_PYTEST_ASYNCIO in result.stdout.str()
