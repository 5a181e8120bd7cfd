"""The public signatures type-check as documented: mypy itself reads a caller's code."""

from __future__ import annotations

from pathlib import Path

from mypy import api as mypy_api

SNIPPET = """
from whautochat_async import Webhook, WhautoChat

async def change(client: WhautoChat, hook: Webhook) -> None:
    await client.webhooks.update(hook, active=False, name="ok")
    await client.webhooks.update(hook, actve=False)
    await client.webhooks.update(hook, active="no")
"""


def test_update_keywords_are_type_checked(tmp_path: Path) -> None:
    snippet = tmp_path / "caller.py"
    snippet.write_text(SNIPPET)
    out, err, status = mypy_api.run(
        ["--strict", "--no-error-summary", "--hide-error-context", str(snippet)]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 1, (out, err)
    assert len(errors) == 2, out
    assert ':6: error: Unexpected keyword argument "actve"' in errors[0]
    assert (
        ':7: error: Argument "active" to "update" of "Webhooks" has incompatible type' in errors[1]
    )
