"""Returning to Redis after a fail-open outage: the probe carries the fallback's grants in.

Redis knows nothing of what this process sent on its own during the outage; if it did
not learn it, every worker coming back at once would spend a second budget in the same
window and meet 429s. So the probe that finds Redis back writes the fallback's grants
into the log as they are: still in flight (held until released) or finished ``age``
ago (held until ``per`` after that). A window already full because of them grants
nothing more until they age out.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from ._books import Op
from ._grants import Grants
from ._outage import Outage

__all__ = ["carry", "probe_until_back"]


async def carry(
    apply: Callable[[list[Any]], Awaitable[None]],
    grants: Grants,
    *,
    tag: str,
    clock: Callable[[], float],
    hold: float,
) -> int:
    """Probe Redis with one script call that carries the fallback's grants; how many it
    carried. Raises on failure."""
    now = clock()
    in_flight, finished = grants.to_carry(now)
    ops = []
    for number, grant in enumerate(in_flight, 1):
        grant.member, grant.expires = f"{tag}:{number}", now + hold
        ops.append(Op("C", grant.member, number=-1, expires=grant.expires))
    for number, when in enumerate(finished, len(in_flight) + 1):
        ops.append(Op("C", f"{tag}:{number}", finished=when, expires=now + hold))
    arguments: list[Any] = []
    for op in ops:
        arguments += op.arguments(now)
    try:
        await apply(arguments)
    except BaseException:
        for grant in in_flight:  # not carried: released to the fallback alone
            grant.member = None
        raise
    grants.carried(len(finished))
    return len(ops)


async def probe_until_back(
    outage: Outage,
    probe: Callable[[], Awaitable[None]],
    *,
    sleep: Callable[[float], Awaitable[None]],
) -> None:
    """The one prober of an outage: back off 1, 2, 4 … 30 s until a probe lands."""
    while True:
        await sleep(outage.interval)
        try:
            await probe()
        except (RedisError, OSError) as exc:  # OSError covers the probe's timeout
            outage.failed(exc)
        else:
            outage.recovered()
            return
