"""One rate-limit budget for every process and machine using an API key, kept in Redis.

Install with ``pip install 'whautochat-async[redis]'``; the core package never needs Redis.

::

    async with RedisRateLimiter.from_url("redis://redis:6379/0") as limiter:
        async with WhautoChat(rate_limit=limiter) as client:   # key from WHAUTOCHAT_API_KEY
            ...

**Algorithm.** The in-process :class:`~whautochat_async.SlidingWindowRateLimiter`'s
sliding log, moved into one Redis sorted set per budget and changed only by atomic Lua
scripts (see ``_scripts.py``). A request holds its slot from the grant until ``per``
seconds after it finished, so no ``per``-long interval at the server ever sees more than
``requests`` of them, whatever the network delays and however many processes share the
set. acquire() runs one script: trim, count, take a slot or answer "wait N µs" (until the
oldest slot frees, or the pause ends), measured on Redis's own clock (``TIME``). The
caller sleeps exactly that long: there is no polling loop. (Only when every slot is held
by a request still in flight is no finish time known yet; then it asks again after
``per / requests``, as the in-process limiter does, in case one is given back.)
``release(sent=False)`` removes the slot; ``release(sent=True)`` re-stamps it with the
finish time. ``pause(seconds)`` sets a key with a TTL that every acquire checks. Needs
Redis 5 or later.

**Why redis-py and a script, not the** ``limits`` **library.** ``limits``' async moving
window over Redis is exact at the moment of the hit, but it only counts hits: it cannot
hold a slot while the request is in flight and date it from the finish (so a request
delayed on the network can land in the next server window: a 429), cannot give back the
slot of a request that never left, cannot pause for a server reset, and answers "refused"
without the time until a slot frees. Those four rules are the client's protocol; the
script implementing them is ~20 lines of Lua on redis-py's maintained asyncio client.

**Cancellation.** A wait that is cancelled takes nothing. If the script's answer is lost
(cancelled, timed out, connection broken) the script may have run: a "void" script then
removes the slot, or bars that grant if it has not run yet.

**The API key never reaches Redis.** Keys are ``whautochat:ratelimit:{<id>}:log`` (and
``:paused``, ``:void``), ``<id>`` being 128 bits of SHA-256 over the API key and base URL;
members are random ids.

**When Redis fails** (refused, timed out after ``timeout``, error):

* ``on_redis_error="fail_closed"`` (the default) raises
  :class:`RateLimiterUnavailableError` from acquire() at once: no request is sent. The
  default protects the quota: falling back to per-process limits lets a fleet of N
  workers spend N times the budget, i.e. the 429 storm this limiter exists to prevent.
* ``on_redis_error="fail_open"`` logs one WARNING and limits this process on its own
  (``fallback_limit``, default: the whole limit; set it to your share of the budget),
  retrying Redis after 1 s, 2 s, 4 s … (at most 30 s); when Redis answers it is used
  again (one INFO line).

Either way a Redis that comes back is used again, and release() and pause() never raise.
One limiter belongs to one event loop (like a redis-py client).
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
