"""An asyncio worker that keeps the webhooks in line with a spec file.

Every round it re-reads the file (edits are picked up), syncs, and logs the report.
A bad file or an unreachable API is logged and retried next round; with ``--once`` it is
logged and the exit status says it (1 the API failed, 2 a bad file or setup). SIGINT/SIGTERM
stop the worker (a sync in progress is cancelled with its writes)::

    WHAUTOCHAT_API_KEY=... python examples/sync_worker.py hooks.toml --interval 300
    WHAUTOCHAT_API_KEY=... python examples/sync_worker.py hooks.toml --once --prune
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Sequence
from pathlib import Path

from whautochat_async import (
    ConfigurationError,
    InvalidInputError,
    SyncError,
    WhautoChat,
    WhautoChatError,
)
from whautochat_async.specs import load_specs
from whautochat_async.sync import SyncReport

log = logging.getLogger("sync_worker")


async def sync_once(client: WhautoChat, path: Path, *, prune: bool = False) -> SyncReport:
    """One round: load the file, sync, log what happened."""
    specs = await asyncio.to_thread(load_specs, path)
    report = await client.webhooks.sync(specs, prune=prune)
    log.info("%s: %s", path, report.summary())
    for failure in report.failures:
        log.error("%s %r failed: %s", failure.action.value, failure.key, failure.error)
    return report


async def run_worker(
    client: WhautoChat, path: Path, *, interval: float, stop: asyncio.Event, prune: bool = False
) -> None:
    """Sync every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            await sync_once(client, path, prune=prune)
        except (InvalidInputError, SyncError) as exc:  # a bad or ambiguous spec file
            log.error("not synced: %s", exc)
        except WhautoChatError as exc:  # the API failed after the client's retries
            log.warning("not synced, will retry: %s", exc)
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            continue


async def run_once(path: Path, *, prune: bool) -> int:
    """One round; errors are logged, not raised: 0 done, 1 failed, 2 a bad file or setup."""
    try:
        async with WhautoChat() as client:
            report = await sync_once(client, path, prune=prune)
    except (InvalidInputError, SyncError, ConfigurationError) as exc:
        log.error("not synced: %s", exc)
        return 2
    except WhautoChatError as exc:
        log.error("not synced: %s", exc)
        return 1
    return 0 if report.ok else 1


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--interval", type=float, default=300.0, help="seconds between rounds")
    parser.add_argument("--once", action="store_true", help="one round, exit 1 if it failed")
    parser.add_argument("--prune", action="store_true", help="delete webhooks not in the file")
    args = parser.parse_args(argv)
    if args.once:
        return await run_once(args.file, prune=args.prune)
    async with WhautoChat() as client:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        await run_worker(client, args.file, interval=args.interval, stop=stop, prune=args.prune)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    raise SystemExit(asyncio.run(main()))
