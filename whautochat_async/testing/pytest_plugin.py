"""pytest fixtures for your tests: a running ``FakeWhautoChat`` and a client pointed at it.

Registered through the ``pytest11`` entry point, so installing the package is enough; the
async fixtures need pytest-asyncio (``pip install 'whautochat-async[testing]'``). Options:

.. skip: next "a test module for pytest, not a script: tests/test_pytest_plugin.py runs one"

.. code-block:: python

    import pytest

    @pytest.mark.whautochat_fake(max_page_size=10, rate_limit=(5, 1.0))
    @pytest.mark.whautochat_client(retry=0)
    async def test_sync(whautochat_fake, whautochat_client): ...
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from whautochat_async import WhautoChat
    from whautochat_async.testing import FakeWhautoChat

__all__ = [
    "pytest_configure",
    "whautochat_client",
    "whautochat_env",
    "whautochat_fake",
]

MISSING_PYTEST_ASYNCIO = (
    "the whautochat_fake and whautochat_client fixtures need pytest-asyncio: "
    "pip install 'whautochat-async[testing]'"
)


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers, so ``--strict-markers`` accepts them."""
    config.addinivalue_line(
        "markers", "whautochat_fake(**options): keyword arguments for FakeWhautoChat"
    )
    config.addinivalue_line(
        "markers", "whautochat_client(**options): keyword arguments for WhautoChat"
    )


def _marker_options(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    """The keyword arguments of every ``name`` marker, the closest one winning."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(name))):
        options.update(marker.kwargs)
    return options


async def _fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeWhautoChat]:
    from whautochat_async.testing import FakeWhautoChat

    # A key of its own: the process-wide rate limiters are per key and base URL, and a later
    # test's fake may get this port again, where it would meet a limiter this test left busy.
    options: dict[str, Any] = {"api_key": f"test-key-{secrets.token_hex(8)}"}
    options |= _marker_options(request, "whautochat_fake")
    async with FakeWhautoChat(**options) as fake:
        yield fake


async def _client(
    request: pytest.FixtureRequest, whautochat_fake: FakeWhautoChat
) -> AsyncIterator[WhautoChat]:
    from whautochat_async import WhautoChat

    # No client-side rate limit unless asked: a test's burst should not wait for a window.
    options: dict[str, Any] = {"rate_limit": None}
    options |= _marker_options(request, "whautochat_client")
    key, url = whautochat_fake.api_key, whautochat_fake.url
    async with WhautoChat(key, base_url=url, environ={}, **options) as client:
        yield client


def _needs_pytest_asyncio() -> None:
    pytest.fail(MISSING_PYTEST_ASYNCIO, pytrace=False)


def _async_fixture(function: Callable[..., Any], name: str) -> Any:
    """``function`` as a pytest-asyncio fixture (strict or auto mode), or one that explains."""
    try:
        import pytest_asyncio
    except ImportError:  # a user's session must still run: only using the fixture fails
        return pytest.fixture(name=name)(_needs_pytest_asyncio)
    return pytest_asyncio.fixture(name=name)(function)


#: A running FakeWhautoChat on 127.0.0.1; options from ``@pytest.mark.whautochat_fake``.
whautochat_fake = _async_fixture(_fake, "whautochat_fake")
#: A WhautoChat client for ``whautochat_fake``; options from ``@pytest.mark.whautochat_client``.
whautochat_client = _async_fixture(_client, "whautochat_client")


@pytest.fixture
def whautochat_env(whautochat_fake: FakeWhautoChat, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point ``WHAUTOCHAT_API_KEY`` / ``WHAUTOCHAT_BASE_URL`` at the fake for this test."""
    monkeypatch.setenv("WHAUTOCHAT_API_KEY", whautochat_fake.api_key)
    monkeypatch.setenv("WHAUTOCHAT_BASE_URL", whautochat_fake.url)
