"""The grant protocol of the acquire script, called directly: fair shares between processes."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from whautochat_async.redis_limiter import _scripts

REQUESTS = 6
LIMITS = _scripts.arguments(REQUESTS, 10.0, lease=60.0, grace=5.0, void_ttl=60.0)


class Budget:
    """The two scripts on one budget, called as processes named by a letter would."""

    def __init__(self, client: aioredis.Redis) -> None:
        self.keys = _scripts.limiter_keys("k", "https://api.whauto.chat")
        self.client = client
        self._acquire = client.register_script(_scripts.ACQUIRE)
        self._apply = client.register_script(_scripts.APPLY)
        self._calls = 0

    async def ask(self, process: str, want: int) -> tuple[int, int, int]:
        """Ask for ``want`` slots: (granted, wait µs, own)."""
        self._calls += 1
        keys = [self.keys.log, self.keys.paused, self.keys.void, self.keys.waiting]
        args = (process, self._calls, want, *LIMITS[0])
        granted, wait, own = await self._acquire([*keys, self.keys.wants], args)
        return granted, wait, own

    async def free_all(self) -> None:
        """Every request so far was never sent: all slots are free again."""
        members: Any = await self.client.zrange(self.keys.log, 0, -1)
        ops = [part for member in members for part in ("U", member.decode(), 0)]
        await self._apply([self.keys.log, self.keys.paused, self.keys.void], (*LIMITS[1], *ops))


async def test_waiting_processes_split_the_window_and_none_takes_beyond_its_share(
    redis_client: aioredis.Redis,
) -> None:
    budget = Budget(redis_client)
    assert (await budget.ask("x", REQUESTS))[0] == REQUESTS  # alone: the whole window
    for process in "abc":
        granted, wait, _ = await budget.ask(process, 5)  # nothing free: registered
        assert (granted, wait > 0) == (0, True)
    await budget.free_all()
    assert [(await budget.ask(process, 5))[0] for process in "abc"] == [2, 2, 2]
    granted, wait, own = await budget.ask("a", 3)  # at its share: waits for its own slot
    assert (granted, own) == (0, 1)


async def test_a_process_wanting_less_than_a_split_gets_it_and_the_rest_is_shared(
    redis_client: aioredis.Redis,
) -> None:
    budget = Budget(redis_client)
    await budget.ask("x", REQUESTS)
    for process, want in (("a", 1), ("b", 5), ("c", 5)):
        await budget.ask(process, want)
    await budget.free_all()
    asks = (("b", 5), ("c", 5), ("a", 1))
    got = {process: (await budget.ask(process, want))[0] for process, want in asks}
    assert got["a"] == 1
    assert sorted([got["b"], got["c"]]) == [2, 3]  # 5 left: the odd one to one of them
    assert sum(got.values()) == REQUESTS  # the whole window is used


async def test_a_process_that_stops_waiting_leaves_its_share_to_the_others(
    redis_client: aioredis.Redis,
) -> None:
    budget = Budget(redis_client)
    await budget.ask("x", REQUESTS)
    await budget.ask("a", 5)
    await budget.ask("b", 5)
    await budget.ask("a", 0)  # a's callers gave up
    await budget.free_all()
    assert (await budget.ask("b", 5))[0] == 5
