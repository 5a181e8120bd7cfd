"""Every exception the client raises, in one tree.

::

    WhautoChatError
    ├── ConfigurationError            (also ValueError) bad api_key / base_url / option
    ├── InvalidInputError             (also ValueError) bad argument, caught before any request
    ├── ClientClosedError             (also RuntimeError) call on a closed client
    │   └── SessionClosedError        ... or with a borrowed aiohttp session that is closed
    ├── EventLoopError                (also RuntimeError) the session is bound to another open loop
    ├── APIConnectionError            the request failed on the network
    │   ├── APITimeoutError           (also TimeoutError) an attempt or the deadline ran out
    │   │   └── DeadlineExceededError the call's overall deadline ran out
    │   │       └── QueueTimeoutError  ... while queued for the rate limiter: never sent
    │   └── TooManyRedirectsError     more than 10 redirects (never retried)
    ├── UnknownOutcomeError           a write failed ambiguously: it may or may not have happened
    ├── APIStatusError                the server answered with a non-2xx status
    │   ├── BadRequestError           400
    │   ├── AuthenticationError       401
    │   ├── PermissionDeniedError     403
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── UnprocessableEntityError  422
    │   ├── RateLimitError            429 (``retry_after``)
    │   └── InternalServerError       5xx
    ├── ResponseValidationError       (also ValueError) the answer is not what the API promises
    │   └── ResponseTooLargeError     a 2xx body over ``max_response_size`` (reading stopped)
    ├── OperationFailedError          a 2xx answer that reports failure ({"success": false})
    ├── PaginationError               the server paginates in a way that cannot be walked
    ├── SyncError                     a sync plan cannot be made safely (duplicate keys)
    └── RateLimiterUnavailableError   (redis_limiter) Redis failed; the limiter fails closed

Every error carries ``resume_page``: during an ``async for`` walk it is the page to pass
to ``list(page=...)`` to carry on where the walk stopped (``None`` outside a walk).
An :class:`APIStatusError` carries the ``response`` itself (redacted: never the API key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: the protocol module imports this one
    from ._http.protocol import Response

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DeadlineExceededError",
    "EventLoopError",
    "InternalServerError",
    "InvalidInputError",
    "NotFoundError",
    "OperationFailedError",
    "PaginationError",
    "PermissionDeniedError",
    "QueueTimeoutError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "SessionClosedError",
    "SyncError",
    "TooManyRedirectsError",
    "UnknownOutcomeError",
    "UnprocessableEntityError",
    "WhautoChatError",
    "status_error_class",
]


class WhautoChatError(Exception):
    """Base class of every error this package raises."""

    #: During an ``async for`` walk: the page to resume from with ``list(page=...)``.
    resume_page: int | None = None


class ConfigurationError(WhautoChatError, ValueError):
    """The client was configured with a missing or invalid value.

    ``variable`` names the environment variable the value was read from (None: an
    argument), and ``remedy`` is the advice to a Python caller that ends the message, so
    a command line can word both its own way.
    """

    def __init__(self, problem: str, *, variable: str | None = None, remedy: str = "") -> None:
        super().__init__(f"{problem} ({remedy})" if remedy else problem)
        self.problem, self.variable, self.remedy = problem, variable, remedy


class InvalidInputError(WhautoChatError, ValueError):
    """An argument is invalid; raised before any request is sent."""

    #: The event name that was wrong, when an unknown one was (so a caller may suggest one).
    unknown_event: str | None = None


class ClientClosedError(WhautoChatError, RuntimeError):
    """The client was closed; create a new one."""


class SessionClosedError(ClientClosedError):
    """The aiohttp session passed as ``session=`` is closed; nothing was sent."""


class EventLoopError(WhautoChatError, RuntimeError):
    """The client's own session (or a RedisRateLimiter) belongs to another event loop.

    A session is bound to the loop that opened it: use one client per loop (thread).
    """


class APIConnectionError(WhautoChatError):
    """The request could not be completed on the network.

    ``request_sent`` is ``False`` only when the request provably never left the client
    (the connection could not be opened); otherwise the server may have acted on it.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        request_sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.request_sent = request_sent


class APITimeoutError(APIConnectionError, TimeoutError):
    """An attempt timed out (also a :class:`TimeoutError`, i.e. ``asyncio.TimeoutError``)."""


class DeadlineExceededError(APITimeoutError):
    """The call's overall deadline, retries and waits included, ran out."""


class QueueTimeoutError(DeadlineExceededError):
    """The deadline ran out while the call was queued for the client's rate limiter.

    That attempt never left the process. ``waited``: seconds it queued; ``ahead``: how
    many calls were queued before it (``None`` if the limiter does not say).
    """

    def __init__(
        self, message: str, *, method: str, url: str, waited: float, ahead: int | None
    ) -> None:
        super().__init__(message, method=method, url=url, request_sent=False)
        self.waited = waited
        self.ahead = ahead


class TooManyRedirectsError(APIConnectionError):
    """The server redirected more than the client follows (a loop); not retried."""


class UnknownOutcomeError(WhautoChatError):
    """A non-idempotent request failed after it may have reached the server; not retried.

    The message names the operation (a create: list before creating again). The original
    failure is ``__cause__``.
    """

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.url = url


class APIStatusError(WhautoChatError):
    """The server answered with a status outside 2xx; ``response`` is that answer, redacted."""

    def __init__(
        self,
        message: str,
        *,
        response: Response,
        body: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.response = response
        #: The body parsed as JSON, else as text (None when empty).
        self.body = body
        self.request_id = request_id

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self.response.status

    @property
    def method(self) -> str:
        """The HTTP method of the request."""
        return self.response.method

    @property
    def url(self) -> str:
        """The URL that answered (after any redirect)."""
        return self.response.url

    @property
    def headers(self) -> Mapping[str, str]:
        """The response headers, lower-cased keys."""
        return self.response.headers


class BadRequestError(APIStatusError):
    """400 Bad Request."""


class AuthenticationError(APIStatusError):
    """401 Unauthorized: the API key is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403 Forbidden."""


class NotFoundError(APIStatusError):
    """404 Not Found."""


class ConflictError(APIStatusError):
    """409 Conflict."""


class UnprocessableEntityError(APIStatusError):
    """422 Unprocessable Entity: the server rejected the body."""


class RateLimitError(APIStatusError):
    """429 Too Many Requests; ``retry_after`` is the wait in seconds, if known."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """A 5xx answer."""


class ResponseValidationError(WhautoChatError, ValueError):
    """The server's answer is not what the API promises (not JSON, wrong shape or type)."""

    def __init__(self, message: str, *, body_excerpt: str = "") -> None:
        super().__init__(message)
        self.body_excerpt = body_excerpt


class ResponseTooLargeError(ResponseValidationError):
    """A 2xx body larger than ``max_response_size`` bytes (after decompression).

    The client stopped reading at the limit. After a create the webhook may exist:
    ``create()`` raises :class:`UnknownOutcomeError` from this error.
    """

    def __init__(self, message: str, *, method: str, url: str, limit: int) -> None:
        super().__init__(message)
        self.method = method
        self.url = url
        self.limit = limit


class OperationFailedError(WhautoChatError):
    """The server answered 2xx but said the operation did not succeed."""


class PaginationError(WhautoChatError):
    """The server paginates in a way the walk cannot follow safely (e.g. ignores ``page``)."""


class SyncError(WhautoChatError, ValueError):
    """A sync plan cannot be made without guessing (duplicate keys); nothing was written."""


class RateLimiterUnavailableError(WhautoChatError):
    """Redis failed and the limiter fails closed: no request was sent."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status: int) -> type[APIStatusError]:
    """The exception class for an HTTP status; any unlisted status is an APIStatusError."""
    if status in _STATUS_CLASSES:
        return _STATUS_CLASSES[status]
    if 500 <= status <= 599:
        return InternalServerError
    return APIStatusError


_EXCERPT_CHARS = 200


def excerpt_of(body: bytes) -> str:
    """The first characters of a body, decoded leniently, for error messages."""
    text = body[:_EXCERPT_CHARS].decode("utf-8", errors="replace")
    return text + ("..." if len(body) > _EXCERPT_CHARS else "")
