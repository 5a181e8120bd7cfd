"""What the fake server remembers about each request it received."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs
from aiohttp import web

__all__ = ["REDACTED", "RecordedRequest", "record_request"]

#: What a secret header's value is replaced with in a recorded request.
REDACTED = "***"
_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})


@attrs.frozen(kw_only=True)
class RecordedRequest:
    """One request as the fake received it, secrets redacted.

    ``path`` is decoded (``/v1/webhooks/a/../b``), ``raw_path`` is as sent
    (``/v1/webhooks/a%2F..%2Fb``). ``headers`` keys are lower-case. ``json`` is the
    parsed body, or None when there was none or it was not JSON. ``status`` is the
    status sent, or None when the connection was dropped without an answer.
    """

    method: str
    path: str
    raw_path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    json: Any
    status: int | None
    request_id: str
    body: bytes = b""


def parse_json_body(body: bytes) -> Any:
    """The JSON value in ``body``, or None when it is empty or not JSON."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def record_request(
    request: web.Request, body: bytes, status: int | None, request_id: str
) -> RecordedRequest:
    """Build the record of ``request`` with the API key redacted."""
    headers = {
        key.lower(): REDACTED if key.lower() in _SECRET_HEADERS else value
        for key, value in request.headers.items()
    }
    return RecordedRequest(
        method=request.method,
        path=request.path,
        raw_path=request.raw_path.partition("?")[0],
        query=dict(request.query),
        headers=headers,
        json=parse_json_body(body),
        status=status,
        request_id=request_id,
        body=body,
    )
