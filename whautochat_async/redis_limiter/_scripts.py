"""The Redis side of the shared limiter: key names and the four Lua scripts (no I/O here).

Every script reads the time with Redis ``TIME``, so the machines' clocks never matter,
and runs atomically: no two processes can both take the last slot. Times are integer
microseconds. The keys of one budget share a ``{hash tag}``, so they live in one
Redis Cluster slot.

* ``log`` — a sorted set, one member per granted request. The score is when the slot's
  ``per`` seconds start counting down: the finish time of a finished request, or
  ``grant + lease`` for one still in flight (so a process that dies mid-request frees
  its slot after ``lease + per`` instead of never).
* ``paused`` — a string with a TTL: nothing is granted while it exists.
* ``void`` — a sorted set of members whose acquire() was abandoned (cancelled, timed
  out) before its answer came back: a late-arriving grant for them is refused.
"""

from __future__ import annotations

import hashlib

import attrs

__all__ = ["ACQUIRE", "PAUSE", "RELEASE", "VOID", "LimiterKeys", "limiter_keys"]

DEFAULT_PREFIX = "whautochat:ratelimit"

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""

#: KEYS: log, paused, void. ARGV: member, requests, per_us, lease_us.
#: Returns 0 (granted), -1 (this member was voided) or microseconds to wait.
ACQUIRE = (
    _NOW
    + """
local member, requests = ARGV[1], tonumber(ARGV[2])
local per, lease = tonumber(ARGV[3]), tonumber(ARGV[4])
if redis.call('ZSCORE', KEYS[3], member) then return -1 end
if redis.call('ZSCORE', KEYS[1], member) then return 0 end
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused * 1000 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
if redis.call('ZCARD', KEYS[1]) < requests then
  redis.call('ZADD', KEYS[1], now + lease, member)
  redis.call('PEXPIRE', KEYS[1], math.ceil((lease + per) / 1000))
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest <= now then return math.max(oldest + per - now, 1) end
return math.max(math.floor(per / requests), 1)
"""
)

#: KEYS: log. ARGV: member, sent (1/0), per_us. Sent: hold the slot ``per`` from now.
RELEASE = (
    _NOW
    + """
if ARGV[2] == '1' then
  redis.call('ZADD', KEYS[1], now, ARGV[1])
  local per_ms = math.ceil(tonumber(ARGV[3]) / 1000)
  if redis.call('PTTL', KEYS[1]) < per_ms then redis.call('PEXPIRE', KEYS[1], per_ms) end
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""
)

#: KEYS: log, void. ARGV: member, ttl_us. Gives the slot back, or bars a late grant.
VOID = (
    _NOW
    + """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then return 1 end
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[2], math.ceil(ttl / 1000))
return 0
"""
)

#: KEYS: paused. ARGV: milliseconds. Extends a pause, never shortens it.
PAUSE = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then redis.call('SET', KEYS[1], '1', 'PX', ms) end
return 0
"""


@attrs.frozen
class LimiterKeys:
    """The Redis keys of one budget (one API key at one base URL)."""

    log: str
    paused: str
    void: str


def budget_id(api_key: str, base_url: str) -> str:
    """A stable, one-way id of (API key, base URL): 128 bits of a domain-separated SHA-256.

    Unsalted on purpose (every process must find the same keys); the API key has far
    too much entropy for the hash to be reversed by guessing.
    """
    material = b"whautochat-ratelimit\0" + api_key.encode() + b"\0" + base_url.encode()
    return hashlib.sha256(material).hexdigest()[:32]


def limiter_keys(api_key: str, base_url: str, prefix: str = DEFAULT_PREFIX) -> LimiterKeys:
    """The keys for this API key and (normalised) base URL; the key is never in them."""
    base = f"{prefix}:{{{budget_id(api_key, base_url)}}}"
    return LimiterKeys(log=f"{base}:log", paused=f"{base}:paused", void=f"{base}:void")
