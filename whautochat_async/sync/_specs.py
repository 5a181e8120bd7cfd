"""Webhook specs in files: load a list of :class:`WebhookSpec` from JSON or TOML, write one.

A JSON file holds a list of spec objects (or ``{"webhooks": [...]}``); a TOML file holds
``[[webhooks]]`` tables. Each spec has ``name``, ``serverUrl`` (``server_url`` is accepted
too), ``events`` and optionally ``active`` (default true)::

    [[webhooks]]
    name = "orders"
    serverUrl = "https://example.com/hooks/orders"
    events = ["incoming_whatsapp_message", "contact_created"]

Event names this release does not know are kept (a newer server may have them); whether
they may be sent is decided by the sync, as for ``update()``.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cattrs

from ._sync_checks import check_spec
from .converters import make_converter
from .errors import InvalidInputError
from .models import Webhook, WebhookSpec

__all__ = ["dump_specs", "load_specs", "parse_specs", "spec_of"]

_CONVERTER = make_converter()
_ALIASES = {"server_url": "serverUrl"}
_SERVER_URL_PATH = re.compile(r"\.server_url\b")


def load_specs(path: str | os.PathLike[str]) -> list[WebhookSpec]:
    """The specs in a ``.json`` or ``.toml`` file (chosen by its suffix).

    Raises:
        InvalidInputError: the file cannot be read or parsed, or an entry is invalid;
            the message names the file and the entry.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{file}: cannot read the spec file: {exc}") from exc
    try:
        data = tomllib.loads(text) if file.suffix.lower() == ".toml" else json.loads(text)
    except ValueError as exc:  # json.JSONDecodeError and tomllib.TOMLDecodeError
        kind = "TOML" if file.suffix.lower() == ".toml" else "JSON"
        raise InvalidInputError(f"{file}: not valid {kind}: {exc}") from exc
    return parse_specs(data, source=str(file))


def parse_specs(data: Any, *, source: str = "specs") -> list[WebhookSpec]:
    """Specs from decoded JSON/TOML data: a list, or a table with a ``webhooks`` list."""
    if isinstance(data, dict) and set(data) <= {"webhooks"}:
        data = data.get("webhooks", [])  # an empty TOML file is an empty table
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
        spec = _CONVERTER.structure(fields, WebhookSpec)
    except Exception as exc:
        problems = _problems(exc)
        raise InvalidInputError(f"{where}: {'; '.join(problems)}") from exc
    try:
        return check_spec(spec)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{where}: {exc}") from exc


def _problems(exc: Exception) -> list[str]:
    found = cattrs.transform_error(exc, path="$", format_exception=_describe)
    return [_SERVER_URL_PATH.sub(".serverUrl", message) for message in found]


def _describe(error: BaseException, kind: Any) -> str:
    # The package converter's strict hooks already say it plainly ("expected an array...").
    if isinstance(error, TypeError) and str(error).startswith("expected "):
        return str(error)
    return cattrs.v.format_exception(error, kind)


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
    entries = [_CONVERTER.unstructure(spec) for spec in specs]
    if not toml:
        return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
    # A JSON string or list of strings is also a valid TOML value: no TOML writer needed.
    blocks = [
        "[[webhooks]]\n"
        + "".join(
            f"{field} = {json.dumps(value, ensure_ascii=False)}\n" for field, value in entry.items()
        )
        for entry in entries
    ]
    return "\n".join(blocks)
