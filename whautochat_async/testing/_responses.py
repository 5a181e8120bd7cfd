"""Wire responses of the fake server: JSON errors and the broken answers faults send.

Every error the fake itself produces has the body
``{"error": {"code": "not_found", "message": "Webhook wh_x not found"}}``
(422s add ``"details": [{"field": ..., "message": ...}]``).
"""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from ._faults import Fault

__all__ = [
    "MALFORMED_JSON_BODY",
    "drop_connection",
    "error_code_for",
    "error_response",
    "fault_status_response",
    "html_error_response",
    "malformed_json_response",
    "truncated_response",
]

#: What ``faults.malformed_json()`` sends: the start of a list that never ends.
MALFORMED_JSON_BODY = b'[{"id": "wh_000000000000", "name": '
_NO_BODY_STATUSES = frozenset({204, 304})


def error_code_for(status: int) -> str:
    """The error ``code`` for a status: its reason phrase in snake case."""
    try:
        return http.HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return f"http_{status}"


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: list[dict[str, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """A JSON error in the fake's format."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return web.json_response({"error": error}, status=status, headers=headers)


def fault_status_response(fault: Fault) -> web.Response:
    """The answer of a ``faults.status()`` fault."""
    status = fault.status or 500
    headers = dict(fault.headers)
    if fault.retry_after is not None:
        headers.setdefault("Retry-After", _format_retry_after(fault.retry_after))
    if status < 200 or status in _NO_BODY_STATUSES:
        return web.Response(status=status, headers=headers)
    if fault.body is None:
        message = f"Injected {status} {_reason(status)}"
        return error_response(status, error_code_for(status), message, headers=headers)
    if isinstance(fault.body, bytes):
        return web.Response(status=status, body=fault.body, headers=headers)
    if isinstance(fault.body, str):
        return web.Response(status=status, text=fault.body, headers=headers)
    return web.json_response(fault.body, status=status, headers=headers)


def _format_retry_after(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def html_error_response(status: int) -> web.Response:
    """A proxy-style HTML error page (``text/html``)."""
    title = f"{status} {_reason(status)}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(status=status, text=page, content_type="text/html")


def malformed_json_response() -> web.Response:
    """200 with ``application/json`` and a body that does not parse."""
    return web.Response(status=200, body=MALFORMED_JSON_BODY, content_type="application/json")


def drop_connection(request: web.Request) -> web.Response:
    """Close the connection; the returned response is never sent.

    aiohttp then fails to write the response, sees a ConnectionError and quietly
    ends the connection: nothing is logged and the client sees a disconnect.
    """
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=204)


async def truncated_response(
    request: web.Request, full: web.Response, headers: Mapping[str, str]
) -> web.StreamResponse:
    """Send ``full``'s status and headers, half its body, then close the connection."""
    body = full.body if isinstance(full.body, bytes) else b""
    stream = web.StreamResponse(status=full.status, headers={**full.headers, **headers})
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return stream
