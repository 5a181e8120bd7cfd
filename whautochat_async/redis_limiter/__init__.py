"""One rate-limit budget for every process and machine using an API key, kept in Redis.

Install with ``pip install 'whautochat-async[redis]'``; the core package never needs Redis.

.. skip: next "needs a Redis server at redis:6379; tests/test_redis_limiter.py runs a real one"

.. code-block:: python

    from whautochat_async import WhautoChat
    from whautochat_async.redis_limiter import RedisRateLimiter

    async with RedisRateLimiter.from_url("redis://redis:6379/0") as limiter:
        async with WhautoChat(rate_limit=limiter) as client:   # key from WHAUTOCHAT_API_KEY
            await client.webhooks.list()

**Algorithm.** The in-process limiter's sliding log, moved into one Redis sorted set per
budget and changed only by atomic Lua scripts on Redis's clock (``_scripts.py``): a
request holds its slot from the grant until ``per`` after it finished, so no ``per``-long
interval at the server sees more than ``requests``, however many processes share it.
Callers of one process wait in one FIFO queue (``_queue.py``) served by one task with one
script call in flight, which asks for as many slots as there are waiters and divides the
window fairly between the processes waiting; releases, voids and pauses go in batches in
the background and are retried until they land (``_books.py``).

**Why redis-py and scripts, not the** ``limits`` **library.** ``limits`` only counts hits:
it cannot hold a slot while the request is in flight and date it from the finish, give
back the slot of a request that never left, pause for a server reset, or say how long to
wait. Those rules are the client's protocol; the scripts are a few dozen lines of Lua.

**The API key never reaches Redis**: keys are ``whautochat:ratelimit:{<id>}:...``,
``<id>`` being 128 bits of SHA-256 over the API key and base URL.

**When Redis fails**, ``on_redis_error="fail_closed"`` (the default) raises
:class:`RateLimiterUnavailableError` before anything is sent; ``"fail_open"`` limits this
process on its own until one prober finds Redis again and carries the fallback's grants
into Redis's window (``_carry.py``). release() and pause() never raise. One limiter
belongs to one event loop (like a redis-py client). The README's "Many workers, one
budget" says what each choice costs.
"""

from __future__ import annotations

try:
    import redis.asyncio  # noqa: F401 - checked here to name the extra
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "whautochat_async.redis_limiter needs redis-py: pip install 'whautochat-async[redis]'"
    ) from exc

from ._env import REDIS_ON_ERROR_ENV, REDIS_URL_ENV, limiter_from_env
from ._limiter import OnRedisError, RateLimiterUnavailableError, RedisRateLimiter
from ._scripts import LimiterKeys

__all__ = [
    "REDIS_ON_ERROR_ENV",
    "REDIS_URL_ENV",
    "LimiterKeys",
    "OnRedisError",
    "RateLimiterUnavailableError",
    "RedisRateLimiter",
    "limiter_from_env",
]
