"""``RedisRateLimiter.aclose()`` with a release task that has finished but not yet left."""

from __future__ import annotations

import asyncio
import threading

import redis.asyncio as aioredis

from whautochat_async.redis_limiter import RedisRateLimiter

_GUARD_SECONDS = 30.0  # only bounds a broken aclose(), which spins without yielding


async def _close_with_a_finished_task() -> None:
    client = aioredis.Redis(host="127.0.0.1", port=1)  # never connected: nothing is sent
    limiter = RedisRateLimiter(client, api_key="k", base_url="http://127.0.0.1", environ={})
    finished = asyncio.get_running_loop().create_future()
    finished.set_result(None)
    # Done, and its discard callback not run yet: what a release task is for one loop step.
    limiter._tasks.add(finished)  # type: ignore[arg-type]
    await limiter.aclose()
    await client.aclose()


def test_aclose_returns_when_a_release_task_finished_but_was_not_yet_discarded() -> None:
    # In a thread: the bug this guards against spins the event loop without yielding, so a
    # timeout inside that loop could never fire.
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(_close_with_a_finished_task())
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(_GUARD_SECONDS)
    assert not thread.is_alive(), "aclose() did not return"
    assert errors == []
