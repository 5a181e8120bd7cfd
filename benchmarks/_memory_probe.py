"""One memory measurement in a fresh process: ``python -m benchmarks._memory_probe URL MODE``.

MODE is ``stream`` (count the webhooks of ``async for``, keeping none) or ``list``
(materialise them all). Prints one JSON line: the peak RSS growth during the listing,
in KiB, above the RSS once the client is warm (session open, first page structured).
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import resource
import sys
from pathlib import Path
from typing import Any

from ._common import make_client

_STATUS = Path("/proc/self/status")


def _status_kib(field: str) -> int | None:
    try:
        match = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM); False where Linux does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _peak_kib() -> int:
    hwm = _status_kib("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def _measure(url: str, mode: str) -> dict[str, Any]:
    async with make_client(url) as client:
        await client.webhooks.list(limit=100)  # warm-up: session, connection, converter
        gc.collect()
        exact = _reset_peak()
        baseline = _status_kib("VmRSS") or _peak_kib()
        count = 0
        if mode == "stream":
            async for _ in client.webhooks.list(limit=100):
                count += 1
        else:
            count = len([webhook async for webhook in client.webhooks.list(limit=100)])
        peak = _peak_kib()
    method = "VmHWM reset before the listing" if exact else "ru_maxrss (peak since start)"
    return {"growth_kib": max(0, peak - baseline), "items": count, "method": method}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_measure(sys.argv[1], sys.argv[2]))))
