"""Stream every webhook to JSON Lines, page by page, never holding the whole list.

One line per webhook, in the API's own format (unknown fields included)::

    WHAUTOCHAT_API_KEY=... python examples/export_jsonl.py webhooks.jsonl
    WHAUTOCHAT_API_KEY=... python examples/export_jsonl.py | jq .name
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from whautochat_async import WhautoChat
from whautochat_async.converters import make_converter


async def export(client: WhautoChat, out: TextIO) -> int:
    """Write each webhook as one JSON line as soon as its page arrives; the count."""
    converter = make_converter()
    count = 0
    # prefetch=1: the next page is fetched while this one is written.
    async with client.webhooks.list(prefetch=1) as webhooks:
        async for hook in webhooks:
            out.write(json.dumps(converter.unstructure(hook), ensure_ascii=False) + "\n")
            count += 1
    return count


#: The exit status when the reader of stdout went away (``| head``), as SIGPIPE gives.
CLOSED_PIPE = 141


async def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    out = stdout or sys.stdout
    try:
        async with WhautoChat() as client:
            if not args or args[0] == "-":
                count = await export(client, out)
            else:
                with open(args[0], "w", encoding="utf-8") as file:  # noqa: ASYNC230 - small writes
                    count = await export(client, file)
    except BrokenPipeError:
        # The reader has gone: stop quietly. As the Python docs advise, point stdout at
        # devnull so that the flush at exit does not fail a second time.
        with contextlib.suppress(OSError, ValueError):
            fd = out.fileno()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        return CLOSED_PIPE
    print(f"exported {count} webhooks", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
