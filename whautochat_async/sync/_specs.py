"""Webhook specs in files: JSON (a list of objects) or TOML (``[[webhooks]]`` tables).

Fields take their wire names (``serverUrl``; ``server_url`` is accepted too). An empty
file is an error, not an empty list, so that ``sync(load_specs(path), prune=True)`` never
deletes every webhook because a file came out empty; ``[]`` or ``webhooks = []`` is one.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from ..converters import WIRE_NAMES, error_messages, shared_converter
from ..errors import InvalidInputError
from ..models import Webhook, WebhookSpec

__all__ = ["dump_specs", "load_specs", "parse_specs", "spec_of"]

#: Python names accepted beside the wire names (``server_url`` for ``serverUrl``).
_ALIASES = {
    field.name: WIRE_NAMES[field.name]
    for field in attrs.fields(WebhookSpec)
    if field.name in WIRE_NAMES
}
# What TOML basic strings must escape: quote, backslash and the control characters.
_TOML_ESCAPES = {code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]} | {
    ord('"'): '\\"',
    ord("\\"): "\\\\",
}


def load_specs(path: str | os.PathLike[str]) -> list[WebhookSpec]:
    """The specs in a ``.json`` or ``.toml`` file (chosen by its suffix).

    Raises:
        InvalidInputError: the file cannot be read or parsed, holds no list of specs
            (an empty file included), or an entry is invalid; the file and entry named.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{file}: cannot read the spec file: {exc}") from exc
    kind = "TOML" if file.suffix.lower() == ".toml" else "JSON"
    if not text.strip():
        raise InvalidInputError(
            f"{file}: the file is empty; write [] (JSON) or webhooks = [] (TOML) for no webhook"
        )
    try:
        data = tomllib.loads(text) if kind == "TOML" else json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError
        raise InvalidInputError(f"{file}: not valid {kind}: {exc}") from exc
    return parse_specs(data, source=str(file))


def parse_specs(data: Any, *, source: str = "specs") -> list[WebhookSpec]:
    """Specs from decoded JSON/TOML data: a list, or a table holding a ``webhooks`` list."""
    if isinstance(data, dict) and set(data) == {"webhooks"}:
        data = data["webhooks"]
    if not isinstance(data, list):
        raise InvalidInputError(
            f"{source}: expected a list of webhook specs (or a 'webhooks' list), "
            f"got {type(data).__name__}"
        )
    return [_parse_entry(index, entry, source) for index, entry in enumerate(data)]


def _parse_entry(index: int, entry: Any, source: str) -> WebhookSpec:
    where = f"{source}: webhooks[{index}]"
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{where}: expected a table/object, got {type(entry).__name__}")
    name = entry.get("name")
    if isinstance(name, str):
        where += f" ({name!r})"
    fields = dict(entry)
    for alias, wire in _ALIASES.items():
        if alias in fields:
            if wire in fields:
                raise InvalidInputError(f"{where}: give {wire} or {alias}, not both")
            fields[wire] = fields.pop(alias)
    try:
        spec: WebhookSpec = shared_converter().structure(fields, WebhookSpec)
    except Exception as exc:
        # The spec's own check of a field already words it; cattrs wraps it in a group.
        found = exc.split(InvalidInputError)[0] if isinstance(exc, ExceptionGroup) else None
        problems = [str(e) for e in found.exceptions] if found else error_messages(exc)
        raise InvalidInputError(f"{where}: {'; '.join(problems)}") from exc
    return spec


def spec_of(webhook: Webhook) -> WebhookSpec:
    """The writable fields of a webhook, as a spec."""
    return WebhookSpec(
        name=webhook.name,
        server_url=webhook.server_url,
        events=webhook.events,
        active=webhook.active,
    )


def dump_specs(specs: Iterable[WebhookSpec], *, toml: bool = False) -> str:
    """Specs as JSON (a list) or TOML (``[[webhooks]]`` tables), loadable by load_specs."""
    entries = [shared_converter().unstructure(spec) for spec in specs]
    if not toml:
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    if not entries:
        return "webhooks = []\n"
    # Strings, lists of strings and booleans only: a TOML writer (not in the standard
    # library) would be a dependency for four lines.
    blocks = [
        "[[webhooks]]\n"
        + "".join(f"{key} = {_toml_value(value)}\n" for key, value in entry.items())
        for entry in entries
    ]
    return "\n".join(blocks)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.translate(_TOML_ESCAPES) + '"'
    return "[" + ", ".join(_toml_value(item) for item in value) + "]"
