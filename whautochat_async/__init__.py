"""An asyncio client for the WhautoChat Webhooks REST API."""

from ._config import Timeout
from ._http.retry import RetryPolicy
from ._version import __version__
from .client import WhautoChat
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    DeadlineExceededError,
    InternalServerError,
    InvalidInputError,
    NotFoundError,
    OperationFailedError,
    PaginationError,
    PermissionDeniedError,
    QueueTimeoutError,
    RateLimitError,
    RateLimiterUnavailableError,
    ResponseValidationError,
    SyncError,
    TooManyRedirectsError,
    UnknownOutcomeError,
    UnprocessableEntityError,
    WhautoChatError,
)
from .models import DeleteResult, Event, Page, Webhook, WebhookChanges, WebhookEvent, WebhookSpec
from .pagination import AsyncPaginator
from .ratelimit import RateLimit, RateLimiter, SlidingWindowRateLimiter
from .specs import load_specs
from .sync import SyncAction, SyncOutcome, SyncReport

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "DeadlineExceededError",
    "DeleteResult",
    "Event",
    "InternalServerError",
    "InvalidInputError",
    "NotFoundError",
    "OperationFailedError",
    "Page",
    "PaginationError",
    "PermissionDeniedError",
    "QueueTimeoutError",
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
    "RateLimiterUnavailableError",
    "ResponseValidationError",
    "RetryPolicy",
    "SlidingWindowRateLimiter",
    "SyncAction",
    "SyncError",
    "SyncOutcome",
    "SyncReport",
    "Timeout",
    "TooManyRedirectsError",
    "UnknownOutcomeError",
    "UnprocessableEntityError",
    "Webhook",
    "WebhookChanges",
    "WebhookEvent",
    "WebhookSpec",
    "WhautoChat",
    "WhautoChatError",
    "__version__",
    "load_specs",
]
