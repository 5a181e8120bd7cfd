"""Scenario 5: the client's cattrs converter against a hand-written ``from_dict``."""

from __future__ import annotations

from whautochat_async import Webhook
from whautochat_async.converters import make_converter, structure_response

from ._common import Result, Settings, interleaved, ratio_text, repetitions_text, seconds_text
from ._data import webhook_from_dict, wire_webhooks

TARGET = 1.3


async def structure_scenario(settings: Settings) -> Result:
    """Scenario 5: structure the same decoded JSON both ways, in this process."""
    count = settings.structure_count
    data = wire_webhooks(count)
    converter = make_converter()

    async def converted() -> list[Webhook]:
        return structure_response(converter, data, list[Webhook])

    async def by_hand() -> list[Webhook]:
        return [webhook_from_dict(item) for item in data]

    same = await converted() == await by_hand()
    timings = await interleaved({"cattrs": converted, "hand": by_hand}, settings.repeats)
    ratio = timings.ratio("cattrs", "hand")
    return Result(
        number="5",
        scenario=f"structure {count:,} webhook dicts",
        baseline="hand-written from_dict (no validation)",
        target=f"≤ {TARGET:g}x",
        measured=ratio_text(ratio),
        passed=same and ratio <= TARGET,
        details=[
            f"median cattrs {seconds_text(timings.median('cattrs'))}, hand-written "
            f"{seconds_text(timings.median('hand'))} ({repetitions_text(settings.repeats)}); "
            f"identical Webhook objects: {'yes' if same else 'NO'}",
            timings.noise_check("cattrs", "hand"),
            "the converter also checks every type strictly (a string is not a bool, a "
            "missing id is an error with its path); the hand-written one checks nothing",
        ],
    )
