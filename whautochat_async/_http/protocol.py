"""What to send and what an answer means, as pure functions: tested without a network."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import attrs

from .._version import __version__
from ..errors import (
    APIStatusError,
    InvalidInputError,
    RateLimitError,
    ResponseValidationError,
    UnknownOutcomeError,
    excerpt_of,
    status_error_class,
)

USER_AGENT = f"whautochat-async/{__version__}"
WEBHOOKS_PATH = "v1/webhooks"
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_ERROR_TEXT_DEPTH = 4  # {"error": {"message": ...}} and a little deeper


@attrs.frozen(kw_only=True)
class Request:
    """One API request: method, path relative to the base URL (already encoded)."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    json: Any = None
    #: ``json`` encoded once, here: a body that cannot be sent fails before any request.
    content: bytes | None = attrs.field(init=False, repr=False, eq=False)
    #: What the caller reads if it may or may not have acted (only non-idempotent ones can).
    if_unknown: str = "it may or may not have taken effect"
    #: How the caller finds out, and why it was not retried.
    recovery: str = "It was not retried, so as never to apply it twice: check before sending again."
    #: What a 2xx answer with no body means, when its meaning is certain (None: an error).
    if_empty: Any = None

    @content.default
    def _encode(self) -> bytes | None:
        return None if self.json is None else encode_json(self.json)

    @property
    def label(self) -> str:
        """``METHOD /path``, as errors and logs name the request."""
        return f"{self.method} /{self.path}"

    @property
    def idempotent(self) -> bool:
        """Whether sending it twice has the effect of sending it once."""
        return self.method in IDEMPOTENT_METHODS


@attrs.frozen(kw_only=True)
class Response:
    """What came back: status, headers (lower-cased keys) and the raw body."""

    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes


def encode_json(value: Any) -> bytes:
    """``value`` as a JSON body, or InvalidInputError saying why it cannot be one.

    Done before the request, not by aiohttp while sending: a value nested too deeply (a
    webhook's unknown fields as a server sent them) or of a type JSON lacks (set in
    ``extra``) is a typed error, never a bare RecursionError or TypeError.
    """
    try:
        return json.dumps(value).encode()
    except RecursionError as exc:
        raise InvalidInputError("the request body is nested too deeply to send as JSON") from exc
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"the request body cannot be sent as JSON: {exc}") from exc


def default_headers() -> dict[str, str]:
    """Headers every request carries; the key is added by the transport, per origin."""
    return {"Accept": "application/json", "User-Agent": USER_AGENT}


def webhook_path(webhook_id: str) -> str:
    """``v1/webhooks/<id>`` with the id as exactly one path segment.

    Every reserved character is percent-encoded, dots included, so ``..`` or ``a/../b``
    can never address another path after normalisation.
    """
    return f"{WEBHOOKS_PATH}/{quote(webhook_id, safe='').replace('.', '%2E')}"


def list_request(*, page: int, limit: int) -> Request:
    """GET one page of webhooks."""
    return Request(
        method="GET",
        path=WEBHOOKS_PATH,
        params={"page": str(page), "limit": str(limit)},
    )


def create_request(body: Mapping[str, Any]) -> Request:
    """POST a new webhook."""
    return Request(
        method="POST",
        path=WEBHOOKS_PATH,
        json=dict(body),
        if_unknown="the webhook may or may not have been created",
        recovery="It was not retried, so as never to create a duplicate: "
        "list the webhooks before creating it again.",
    )


def update_request(webhook_id: str, body: Mapping[str, Any]) -> Request:
    """PUT the full webhook body."""
    return Request(method="PUT", path=webhook_path(webhook_id), json=dict(body))


def delete_request(webhook_id: str) -> Request:
    """DELETE one webhook; ``204 No Content`` (or an empty 200) says it is gone."""
    return Request(method="DELETE", path=webhook_path(webhook_id), if_empty={"success": True})


def decode_answer(request: Request, response: Response) -> Any:
    """A 2xx answer's JSON; an empty body is ``request.if_empty`` where that is set."""
    if request.if_empty is not None and not response.body.strip():
        return request.if_empty
    return decode_json(response)


def decode_json(response: Response) -> Any:
    """The body as JSON, or ResponseValidationError naming what came instead."""
    try:
        return json.loads(response.body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        kind = response.headers.get("content-type", "no content type")
        excerpt = excerpt_of(response.body)
        raise ResponseValidationError(
            f"{response.method} {_path_of(response.url)} returned {response.status} "
            f"with a body that is not JSON ({kind}): {excerpt!r}",
            body_excerpt=excerpt,
        ) from exc


def raise_for_status(response: Response, *, retry_after: float | None = None) -> None:
    """Raise the mapped APIStatusError subclass for any status outside 2xx."""
    if not 200 <= response.status < 300:
        raise status_error(response, retry_after=retry_after)


def status_error(response: Response, *, retry_after: float | None = None) -> APIStatusError:
    """The APIStatusError subclass for a non-2xx response, carrying the response."""
    body = _lenient_json(response.body)
    server_text = error_text(body) or excerpt_of(response.body) or "no body"
    cls = status_error_class(response.status)
    message = f"{response.method} {_path_of(response.url)} -> {response.status}: {server_text}"
    request_id = request_id_of(response.headers)
    if issubclass(cls, RateLimitError):
        return cls(
            message, retry_after=retry_after, response=response, body=body, request_id=request_id
        )
    return cls(message, response=response, body=body, request_id=request_id)


def unknown_outcome(
    request: Request, cause: BaseException, why: str, *, url: str = ""
) -> UnknownOutcomeError:
    """The error for a request that may or may not have acted, in its own words."""
    return UnknownOutcomeError(
        f"{request.label}: {request.if_unknown} ({why}: {cause}). {request.recovery}",
        method=request.method,
        url=url or getattr(cause, "url", ""),
    )


def error_text(body: Any) -> str | None:
    """The server's error message from the usual shapes of error bodies.

    A loop with a bounded depth: a server's nesting must not cost a RecursionError.
    """
    for _ in range(_ERROR_TEXT_DEPTH):
        if isinstance(body, str):
            return body.strip()[:200] or None
        if not isinstance(body, dict):
            return None
        found = (body.get(key) for key in ("message", "error", "detail", "error_description"))
        body = next((value for value in found if _has_text(value)), None)
    return None


def _has_text(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, str) and bool(value.strip()))


def request_id_of(headers: Mapping[str, str]) -> str | None:
    """The server's request id, from the first header that carries one."""
    for name in REQUEST_ID_HEADERS:
        if name in headers:
            return headers[name]
    return None


def _lenient_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return body.decode("utf-8", errors="replace") if body else None


def _path_of(url: str) -> str:
    scheme_end = url.find("://")
    slash = url.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    return url[slash:] if slash >= 0 else url
