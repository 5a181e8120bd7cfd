"""The fake server in its own process, driven by one-line commands on its stdin.

A separate process keeps the server's CPU time and its stored webhooks out of the
client's measurements (its RSS above all). Run by :class:`ServerProcess`; commands:

* ``seed N``: replace the store by N generated webhooks (``benchmarks._data``)
* ``latency S``: answer every request S seconds late
* ``cap N``: silently cap ``limit`` at N
* ``reset``: forget the recorded requests
* ``stats``: print ``<stored webhooks> <requests received> <CPU seconds used>``
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from whautochat_async.testing import FakeWhautoChat

from ._data import wire_webhooks

API_KEY = "bench-key"
#: The headers of the raw-aiohttp baselines (scenarios 1 and 3).
RAW_HEADERS: Mapping[str, str] = {"x-api-key": API_KEY, "Accept": "application/json"}
ROOT = Path(__file__).resolve().parent.parent
#: Seconds to wait for a line from the server before killing it (a hung child).
READ_TIMEOUT = 120.0


def _apply(fake: FakeWhautoChat, command: str, argument: str) -> str:
    if command == "seed":
        fake.webhooks = wire_webhooks(int(argument))
    elif command == "latency":
        fake.latency = float(argument)
    elif command == "cap":
        fake.max_page_size = int(argument)
    elif command == "reset":
        fake.requests.clear()
    elif command == "stats":
        return f"{len(fake.webhooks)} {fake.request_count} {time.process_time():.6f}"
    else:
        raise ValueError(f"unknown command {command!r}")
    return "ok"


async def _serve() -> None:
    async with FakeWhautoChat(api_key=API_KEY, max_page_size=10_000) as fake:
        print(fake.url, flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            command, _, argument = line.strip().partition(" ")
            if command == "quit":
                break
            print(_apply(fake, command, argument), flush=True)


class ServerProcess:
    """Starts ``python -m benchmarks._server`` and sends it commands (blocking, untimed)."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._server"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            self.url = self._read_line()
        except BaseException:
            self.close()
            raise

    def _read_line(self) -> str:
        """The server's next line; kills the server if none comes within READ_TIMEOUT."""
        assert self._process.stdout is not None
        watchdog = threading.Timer(READ_TIMEOUT, self._process.kill)
        watchdog.start()
        try:
            line = self._process.stdout.readline().strip()
        finally:
            watchdog.cancel()
        if not line:
            raise RuntimeError(
                f"the benchmark server exited (or was killed after {READ_TIMEOUT:g} s silent)"
            )
        return line

    def command(self, line: str) -> str:
        """Send one command and return the server's answer."""
        assert self._process.stdin is not None
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        return self._read_line()

    def configure(self, *, webhooks: int, latency: float = 0.0, cap: int = 10_000) -> None:
        """Seed ``webhooks``, set latency and page cap, forget recorded requests."""
        for line in (f"seed {webhooks}", f"latency {latency}", f"cap {cap}", "reset"):
            self.command(line)

    def stats(self) -> tuple[int, int, float]:
        """(webhooks stored, requests received since the last reset, server CPU seconds)."""
        stored, requests, cpu = self.command("stats").split()
        return int(stored), int(requests), float(cpu)

    def close(self) -> None:
        """Ask the server to stop, kill it if it does not within 5 s; close both pipes."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None
        assert stdout is not None
        if self._process.poll() is None:
            with contextlib.suppress(BrokenPipeError):
                stdin.write("quit\n")
        with contextlib.suppress(BrokenPipeError):  # flushing to a server already gone
            stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        stdout.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


if __name__ == "__main__":
    asyncio.run(_serve())
