"""A real ``redis-server`` for tests: 127.0.0.1, a free port, a temporary directory.

Tests that need it skip only when the binary is missing *and* we are not in CI
(``.ci/run`` installs it; in CI a missing binary fails the test instead).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from whautochat_async import RateLimit
from whautochat_async.redis_limiter import RedisRateLimiter

__all__ = ["RedisServer", "redis_server_binary", "running_redis"]

_START_TIMEOUT = 10.0
_PORT_ATTEMPTS = 5


def redis_server_binary() -> str:
    """The path of ``redis-server``; skips the test (fails it in CI) when it is missing."""
    binary = shutil.which("redis-server")
    if binary is not None:
        return binary
    message = "redis-server is not installed (Debian: apt-get install redis-server)"
    if os.environ.get("CI"):
        pytest.fail(message + "; .ci/run installs it, so in CI this is an error")
    pytest.skip(message)


def free_port() -> int:
    """A port that was free a moment ago (the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """One redis-server process; ``stop()`` and ``start()`` again keep the same port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start on the current port, or on a fresh free one (retried on a lost race)."""
        fixed = self.port != 0
        for _ in range(_PORT_ATTEMPTS):
            port = self.port if fixed else free_port()
            if self._try_start(port):
                self.port = port
                return
            if fixed:
                break
        raise RuntimeError(f"redis-server did not start; see {self.directory / 'redis.log'}")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and wait for it; safe to call twice."""
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def command(self, *args: str) -> bytes:
        """Send one command over a fresh socket and return the raw first reply line."""
        return _command(self.port, *args)

    def _try_start(self, port: int) -> bool:
        arguments = [self.binary, "--port", str(port), "--bind", "127.0.0.1"]
        arguments += ["--dir", str(self.directory), "--save", "", "--appendonly", "no"]
        arguments += ["--logfile", str(self.directory / "redis.log"), "--daemonize", "no"]
        arguments += _debug_option(self.binary)
        self._process = subprocess.Popen(arguments, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:  # exited: most likely the port was taken
                self._process = None
                return False
            try:
                if _command(port, "PING").startswith(b"+PONG"):
                    return True
            except OSError:
                time.sleep(0.01)
        self.stop()
        return False


@functools.cache
def _debug_option(binary: str) -> list[str]:
    """What lets tests send DEBUG SLEEP (a stalled Redis): Redis 7 refuses it by default,
    and older servers do not know the option."""
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    match = re.search(r"v=(\d+)\.", version.stdout)
    if match is None or int(match.group(1)) < 7:
        return []
    return ["--enable-debug-command", "local"]


def _command(port: int, *args: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        parts = [f"${len(arg.encode())}\r\n{arg}\r\n" for arg in args]
        conn.sendall(f"*{len(args)}\r\n{''.join(parts)}".encode())
        with conn.makefile("rb") as reply:
            return reply.readline()


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started RedisServer in a temporary directory, stopped and removed afterwards."""
    binary = redis_server_binary()
    with tempfile.TemporaryDirectory(prefix="whautochat-redis-") as directory:
        server = RedisServer(binary, Path(directory))
        server.start()
        try:
            yield server
        finally:
            server.stop()


#: The API base URL the Redis limiter tests budget for (no request goes there).
LIMITER_BASE_URL = "https://api.whauto.chat"


def from_url_limiter(
    server: RedisServer, api_key: str, requests: int, per: float, **options: Any
) -> RedisRateLimiter:
    """A RedisRateLimiter with its own Redis client on ``server``, at ``requests`` per ``per``."""
    limit = RateLimit(requests, per)
    return RedisRateLimiter.from_url(
        server.url, api_key=api_key, base_url=LIMITER_BASE_URL, limit=limit, **options
    )
