"""Errors in the CLI's own names, each with its hint; event names checked with a suggestion."""

from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import io
import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from whautochat_async import (
    APIConnectionError,
    APITimeoutError,
    ConfigurationError,
    InternalServerError,
    PermissionDeniedError,
    RateLimitError,
    UnknownOutcomeError,
    WhautoChat,
    cli,
)
from whautochat_async._http.protocol import Response
from whautochat_async.cli import _common
from whautochat_async.cli._common import open_client
from whautochat_async.cli._errors import check_command, describe
from whautochat_async.cli._output import Console
from whautochat_async.testing import FakeWhautoChat

from .conftest import API_KEY
from .test_cli import env, run

__all__ = ["env"]  # the fixture, shared with test_cli.py


def at(status: int) -> dict[str, Response]:
    """The ``response=`` of an APIStatusError: a GET of the listing answered ``status``."""
    url = "http://127.0.0.1/v1/webhooks"
    return {"response": Response(method="GET", url=url, status=status, headers={}, body=b"")}


CREATE = ["webhooks", "create", "--name=a", "--server-url=https://a.io"]


@pytest.mark.parametrize(
    ("error", "message", "hint", "code"),
    [
        (
            RateLimitError("GET /v1/webhooks -> 429: slow down", retry_after=29.6, **at(429)),
            "GET /v1/webhooks -> 429: slow down",
            "the API's rate limit is spent: wait 30 s and try again",
            1,
        ),
        (
            RateLimitError("429", **at(429)),
            "429",
            "the API's rate limit is spent: wait a minute and try again",
            1,
        ),
        (
            UnknownOutcomeError("POST /v1/webhooks: no answer"),
            "POST /v1/webhooks: no answer",
            "the write may have happened: check with `whautochat webhooks list --all` "
            "before retrying",
            1,
        ),
        (InternalServerError("500: boom\n  oops", **at(500)), "500: boom oops", None, 1),
        (
            PermissionDeniedError("403: no", **at(403)),
            "403: no",
            "the key in WHAUTOCHAT_API_KEY may not be allowed to do this",
            1,
        ),
        (
            APITimeoutError("GET /v1/webhooks timed out"),
            "GET /v1/webhooks timed out",
            "the API did not answer in time; try again, or check --base-url",
            1,
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "/etc/x"),
            "/etc/x: Permission denied",
            None,
            1,
        ),
        (
            ConfigurationError("base_url must be http(s) with a host, got 'x'"),
            "--base-url must be http(s) with a host, got 'x'",
            None,
            2,
        ),
        (
            OSError(errno.EADDRINUSE, "port 8080 on 127.0.0.1 is already in use"),
            "port 8080 on 127.0.0.1 is already in use",
            "another program uses that port: pick another with --port, or --port 0 for any",
            1,
        ),
    ],
)
def test_describe(error: Exception, message: str, hint: str | None, code: int) -> None:
    assert describe(error) == (message, hint, code)


def test_a_connection_that_could_not_open_points_at_base_url() -> None:
    error = APIConnectionError("GET /v1/webhooks failed: refused", request_sent=False)
    assert "check --base-url (or WHAUTOCHAT_BASE_URL)" in str(describe(error).hint)
    assert "`whautochat fake-server`" in str(describe(error).hint)
    assert describe(APIConnectionError("reset", request_sent=True)).hint is None


async def test_connection_refused_end_to_end(
    env: FakeWhautoChat, capsys: Any, unused_tcp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No retries: the same error at once, without sleeping through the back-off.
    monkeypatch.setattr(_common, "WhautoChat", functools.partial(WhautoChat, retry=0))
    base_url = f"http://127.0.0.1:{unused_tcp_port}"
    code, _, err = await run(capsys, "webhooks", "list", "--base-url", base_url)
    assert code == 1
    first, hint = err.splitlines()
    assert first.startswith("whautochat: error: GET /v1/webhooks failed: Cannot connect to host")
    assert hint.startswith("hint: nothing answers at that address: check --base-url")


async def test_plain_http_names_the_cli_option(env: FakeWhautoChat, capsys: Any) -> None:
    code, _, err = await run(capsys, "webhooks", "list", "--base-url", "http://api.example.com")
    assert code == 2
    assert err == (
        "whautochat: error: --base-url 'http://api.example.com' uses plain http to a non-loopback "
        "host, which would send the API key in clear; use https, or pass --allow-insecure-http\n"
    )
    assert env.request_count == 0
    args = argparse.Namespace(base_url="http://api.example.com", allow_insecure_http=True)
    async with open_client(args) as client:  # accepted: no request is made here
        assert not client.closed


async def test_a_port_in_use_has_a_hint(capsys: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        code, out, err = await run(capsys, "fake-server", "--port", port)
    assert (code, out) == (1, "")
    assert err == (
        f"whautochat: error: port {port} on 127.0.0.1 is already in use\n"
        "hint: another program uses that port: pick another with --port, or --port 0 for any\n"
    )


@pytest.mark.parametrize(
    ("given", "suggestion"),
    [("CONTACT_CREATED", "contact_created"), ("contact_createdd", "contact_created")],
)
async def test_an_unknown_event_gets_the_closest_name(
    env: FakeWhautoChat, capsys: Any, given: str, suggestion: str
) -> None:
    code, _, err = await run(capsys, *CREATE, "--event", given)
    assert code == 2
    assert f"unknown event {given!r}; did you mean {suggestion!r}? (valid: " in err
    assert env.request_count == 0


@pytest.mark.parametrize("given", ["contact_tag_aded", "contact_tag_'added"])
async def test_an_unknown_event_in_a_spec_file_gets_a_suggestion(
    env: FakeWhautoChat, capsys: Any, tmp_path: Path, given: str
) -> None:
    path = tmp_path / "h.json"
    spec = {"name": "a", "serverUrl": "https://a.io", "events": [given]}
    path.write_text(json.dumps([spec]))
    code, _, err = await run(capsys, "webhooks", "sync", str(path))
    assert code == 2
    assert err.splitlines()[-1] == "hint: did you mean 'contact_tag_added'?"


async def test_a_repeated_event_counts_once(env: FakeWhautoChat, capsys: Any) -> None:
    argv = [*CREATE, "--event=contact_created", "--event=contact_tag_added"]
    code, _, _ = await run(capsys, *argv, "--event=contact_created")
    assert code == 0
    assert env.webhooks[0]["events"] == ["contact_created", "contact_tag_added"]
    (hook,) = env.webhooks
    code, _, _ = await run(
        capsys, "webhooks", "update", hook["id"], *["--event=contact_created"] * 2
    )
    assert code == 0
    assert env.webhooks[0]["events"] == ["contact_created"]


@pytest.mark.parametrize(
    ("variable", "value", "message", "hint"),
    [
        (
            "HTTPS_PROXY",
            "socks5://p:1",
            "HTTPS_PROXY must be an http:// or https:// proxy URL with a host, got socks5://p:1",
            "fix or unset HTTPS_PROXY",
        ),
        (
            "WHAUTOCHAT_BASE_URL",
            "http://127.0.0.1:99999",
            "WHAUTOCHAT_BASE_URL is not a URL: 'http://127.0.0.1:99999'",
            "fix or unset WHAUTOCHAT_BASE_URL, or give --base-url",
        ),
        (
            "WHAUTOCHAT_API_KEY",
            "ab\x01c",
            "the API key in WHAUTOCHAT_API_KEY has a control character at position 3: an HTTP "
            "header cannot carry it; use printable ASCII",
            "fix WHAUTOCHAT_API_KEY: it must hold the key alone, in printable ASCII",
        ),
        (
            "WHAUTOCHAT_API_KEY",
            " abc",
            "the API key in WHAUTOCHAT_API_KEY has surrounding whitespace or a line break",
            "fix WHAUTOCHAT_API_KEY: it must hold the key alone, in printable ASCII",
        ),
    ],
)
async def test_a_bad_variable_is_named_with_what_to_do(
    env: FakeWhautoChat,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    message: str,
    hint: str,
) -> None:
    monkeypatch.setenv(variable, value)
    code, out, err = await run(capsys, "webhooks", "list")
    assert (code, out) == (2, "")
    assert err == f"whautochat: error: {message}\nhint: {hint}\n"
    assert env.request_count == 0


async def test_a_bad_base_url_option_is_named_as_the_option(
    env: FakeWhautoChat, capsys: Any
) -> None:
    # WHAUTOCHAT_BASE_URL is set too (to the fake): the option wins, and is the one named.
    code, _, err = await run(capsys, "webhooks", "list", "--base-url", "http://127.0.0.1:99999")
    assert code == 2
    assert err == "whautochat: error: --base-url is not a URL: 'http://127.0.0.1:99999'\n"


def test_check_hints_name_the_server_the_command_was_given() -> None:
    assert check_command(None) == "whautochat webhooks list --all"
    args = argparse.Namespace(base_url="http://127.0.0.1:8080/a b", allow_insecure_http=True)
    named = "--base-url 'http://127.0.0.1:8080/a b' --allow-insecure-http"
    assert check_command(args) == f"whautochat webhooks list --all {named}"
    assert check_command(args, ["webhooks", "sync", "my hooks.toml", "--dry-run"]) == (
        f"whautochat webhooks sync 'my hooks.toml' --dry-run {named}"
    )
    hint = describe(UnknownOutcomeError("POST /v1/webhooks: no answer"), args).hint
    assert f"`whautochat webhooks list --all {named}`" in str(hint)


class _RecordingConsole(Console):
    """A console that keeps the check command of every write it is told of."""

    checks: list[str]

    @contextlib.contextmanager
    def writing(self, what: str | Callable[[], str], check: str) -> Iterator[None]:
        self.checks.append(check)
        with super().writing(what, check):
            yield


async def test_every_write_names_the_base_url_in_its_check(
    fake: FakeWhautoChat, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("WHAUTOCHAT_API_KEY", API_KEY)
    monkeypatch.delenv("WHAUTOCHAT_BASE_URL", raising=False)
    hook = fake.seed_webhooks(1)[0]["id"]
    spec = tmp_path / "hooks.toml"
    spec.write_text(
        '[[webhooks]]\nname = "b"\nserverUrl = "https://b.io"\nevents = ["contact_created"]'
    )
    console = _RecordingConsole(io.StringIO(), io.StringIO(), io.StringIO())
    console.checks = []
    server = ["--base-url", fake.url, "--allow-insecure-http"]
    for argv in (
        ["create", "--name=a", "--server-url=https://a.io", "--event=contact_created"],
        ["update", hook, "--name=renamed"],
        ["delete", hook, "--yes"],
        ["sync", str(spec), "--yes"],
    ):
        code = await cli.run(["webhooks", *argv, *server], console=console)
        assert code == 0, console.err.getvalue()
    assert len(console.checks) == 4
    assert all(
        check.endswith(f"--base-url {fake.url} --allow-insecure-http") for check in console.checks
    )
