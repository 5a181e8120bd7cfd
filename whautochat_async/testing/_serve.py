"""Run a fake server until cancelled (used by the command line)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ._fake import FakeWhautoChat

__all__ = ["serve"]


async def serve(
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    seed: int | None = None,
    seed_count: int = 0,
    api_key: str = "test-key",
    on_ready: Callable[[FakeWhautoChat], None] | None = None,
    **options: Any,
) -> None:
    """Serve a fake with ``seed_count`` webhooks on ``host:port`` until cancelled.

    ``options`` go to :class:`FakeWhautoChat` (``latency``, ``max_page_size``, ``rate_limit``...).
    """
    async with FakeWhautoChat(host=host, port=port, seed=seed, api_key=api_key, **options) as fake:
        fake.seed_webhooks(seed_count)
        if on_ready is not None:
            on_ready(fake)
        await asyncio.Event().wait()
