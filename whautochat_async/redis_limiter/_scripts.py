"""The Redis side of the shared limiter: key names and the two Lua scripts (no I/O here).

Every script reads the time with Redis ``TIME``, so the machines' clocks never matter,
and runs atomically: no two processes can both take the last slot. Times are integer
microseconds. The keys of one budget share a ``{hash tag}`` (one Redis Cluster slot).

* ``log`` — a sorted set, one member per granted request, named ``<process>:<call>:<n>``.
  The score is when the slot's ``per`` seconds start counting down: the finish time of a
  finished request, or ``grant + lease`` for one still in flight.
* ``paused`` — a string with a TTL: nothing is granted while it exists.
* ``void`` — a sorted set of calls (``<process>:<call>``) whose answer was lost: a late
  run of such a call grants nothing.
* ``waiting`` / ``wants`` — the processes with callers waiting: when each promised to
  ask again (a sorted set; past that it counts as gone) and how many callers it has.

The grant protocol (fair shares): a process asks for as many slots as it has waiters, in
one call. The slots of the window are divided among the waiting processes by
water-filling over what each holds plus what it wants: a process wanting less than an
even split gets all it wants, the others whole equal shares of the rest, the odd slots
going to them in turn (the turn moves every ``per``). No process may take beyond its
share. A process at its share is told to wait until one of its own slots frees (it
knows when better than Redis: see ``own``); the others until the oldest slot frees. A
process that stops asking drops out ``grace`` after the time it promised to ask again.
"""

from __future__ import annotations

import hashlib
import math

import attrs

__all__ = ["ACQUIRE", "APPLY", "LimiterKeys", "arguments", "limiter_keys", "micros"]

DEFAULT_PREFIX = "whautochat:ratelimit"

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
"""

#: KEYS: log, paused, void, waiting, wants.
#: ARGV: process, call, want, requests, per_us, lease_us, grace_us.
#: Returns {granted, wait_us, own}: members ``process:call:1..granted`` were granted (-1:
#: the call was voided); the process's other callers ask again in ``wait_us``, or (own=1)
#: once one of its own requests in flight has finished ``per`` ago, if that is sooner
#: than ``per + wait_us``: the process knows that moment, Redis does not.
ACQUIRE = (
    _NOW
    + """
local proc, want = ARGV[1], tonumber(ARGV[3])
local tag = proc .. ':' .. ARGV[2]
local requests, per = tonumber(ARGV[4]), tonumber(ARGV[5])
local lease, grace = tonumber(ARGV[6]), tonumber(ARGV[7])
local keep = math.ceil((lease + per) / 1000)
local function register(left, wait)
  if left > 0 then
    redis.call('ZADD', KEYS[4], now + wait + grace, proc)
    redis.call('HSET', KEYS[5], proc, left)
    redis.call('PEXPIRE', KEYS[4], keep)
    redis.call('PEXPIRE', KEYS[5], keep)
  else
    redis.call('ZREM', KEYS[4], proc)
    redis.call('HDEL', KEYS[5], proc)
  end
end
if redis.call('ZSCORE', KEYS[3], tag) then return {-1, 0, 0} end
local done = 0  -- redis-py resent a call that had run: answer what it granted
while done < want and redis.call('ZSCORE', KEYS[1], tag .. ':' .. (done + 1)) do
  done = done + 1
end
if done > 0 then return {done, 0, 0} end
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then register(want, paused * 1000) return {0, paused * 1000, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - per)
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do
  redis.call('HDEL', KEYS[5], gone)
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local used = redis.call('ZCARD', KEYS[1])
local have, share, first, mine = 0, math.huge, nil, nil
if redis.call('HLEN', KEYS[5]) > redis.call('HEXISTS', KEYS[5], proc) then
  local held = {}  -- others wait too: count what each holds, to share the window
  local log = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #log, 2 do
    local owner = string.match(log[i], '^[^:]+') or log[i]
    held[owner] = (held[owner] or 0) + 1
    local score = tonumber(log[i + 1])
    if not first then first = score end
    if owner == proc and not mine then mine = score end
  end
  have = held[proc] or 0
  local demands, active, capacity = {{proc, have + want}}, {[proc] = true}, requests
  local wants = redis.call('HGETALL', KEYS[5])
  for i = 1, #wants, 2 do
    if wants[i] ~= proc then
      active[wants[i]] = true
      demands[#demands + 1] = {wants[i], (held[wants[i]] or 0) + tonumber(wants[i + 1])}
    end
  end
  for owner, count in pairs(held) do
    if not active[owner] then capacity = capacity - count end
  end
  table.sort(demands, function(a, b) return a[2] < b[2] end)
  share = have + want
  local left = #demands
  for index, entry in ipairs(demands) do
    if entry[2] * left > capacity then  -- the rest are capped: whole shares, one extra in turn
      local names = {}
      for k = index, #demands do names[#names + 1] = demands[k][1] end
      table.sort(names)
      local base = math.floor(capacity / left)
      local extra = capacity - base * left
      local turn = math.floor(now / per)
      for k, name in ipairs(names) do
        if name == proc then
          share = base
          if (k - 1 - turn) % left < extra then share = base + 1 end
        end
      end
      break
    end
    capacity, left = capacity - entry[2], left - 1
  end
else  -- alone: any free slot may be taken, and only the oldest slot matters
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if oldest[2] then
    first = tonumber(oldest[2])
    if string.match(oldest[1], '^[^:]+') == proc then have, mine = 1, first end
  end
end
local take = math.max(0, math.min(want, share - have, requests - used))
for i = 1, take do redis.call('ZADD', KEYS[1], now + lease, tag .. ':' .. i) end
if take > 0 then redis.call('PEXPIRE', KEYS[1], keep) end
local wait, own = 0, 0
if want > take then
  local oldest = first
  if have + take >= share and have + take > 0 then oldest = mine end
  if oldest and oldest <= now then
    wait = math.max(oldest + per - now, 1)
  else  -- in flight: it frees `per` after it ends, or when given back
    wait = math.max(math.floor(per / requests), math.min(math.floor(per / 4), 1000000), 1)
    if have + take > 0 and (not mine or mine > now) then own = 1 end
  end
end
register(want - take, wait + own * per)
return {take, wait, own}
"""
)

#: KEYS: log, paused, void. ARGV: per_us, lease_us, void_ttl_us, then triples
#: (op, name, number): ``S`` member finished ``number`` µs ago; ``U`` member never sent;
#: ``V`` void call ``name`` that asked for ``number`` slots; ``P`` pause ``number`` ms;
#: ``C`` a fallback grant carried in (in flight: ``number`` -1, else finished that long ago).
APPLY = (
    _NOW
    + """
local per, lease, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local longest = 0
for i = 4, #ARGV, 3 do
  local op, name, number = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if op == 'U' or ((op == 'S' or op == 'C') and number >= per) then
    redis.call('ZREM', KEYS[1], name)
  elseif op == 'S' or (op == 'C' and number >= 0) then
    redis.call('ZADD', KEYS[1], now - number, name)
    longest = math.max(longest, per - number)
  elseif op == 'C' then
    redis.call('ZADD', KEYS[1], now + lease, name)
    longest = math.max(longest, lease + per)
  elseif op == 'V' then
    for n = 1, number do redis.call('ZREM', KEYS[1], name .. ':' .. n) end
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
    redis.call('ZADD', KEYS[3], now + ttl, name)
    redis.call('PEXPIRE', KEYS[3], math.ceil(ttl / 1000))
  elseif op == 'P' and redis.call('PTTL', KEYS[2]) < number then
    redis.call('SET', KEYS[2], '1', 'PX', number)
  end
end
local ms = math.ceil(longest / 1000)
if ms > 0 and redis.call('PTTL', KEYS[1]) < ms then redis.call('PEXPIRE', KEYS[1], ms) end
return 0
"""
)


def micros(seconds: float) -> int:
    """Seconds as the scripts' whole microseconds (at least 1)."""
    return max(math.ceil(seconds * 1_000_000), 1)


def arguments(
    requests: int, per: float, *, lease: float, grace: float, void_ttl: float
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The fixed arguments of ACQUIRE (after process, call, want) and of APPLY."""
    per_us, lease_us = micros(per), micros(lease)
    return (requests, per_us, lease_us, micros(grace)), (per_us, lease_us, micros(void_ttl))


@attrs.frozen
class LimiterKeys:
    """The Redis keys of one budget (one API key at one base URL)."""

    log: str
    paused: str
    void: str
    waiting: str
    wants: str


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
    return LimiterKeys(
        log=f"{base}:log",
        paused=f"{base}:paused",
        void=f"{base}:void",
        waiting=f"{base}:waiting",
        wants=f"{base}:wants",
    )
