"""An asyncio client for the WhautoChat Webhooks REST API."""

from ._config import Timeout
from ._retry import RetryPolicy
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
    RateLimitError,
    ResponseValidationError,
    SyncError,
    TooManyRedirectsError,
    UnknownOutcomeError,
    UnprocessableEntityError,
    WhautoChatError,
)
from .models import DeleteResult, Event, Page, Webhook, WebhookEvent, WebhookSpec
from .pagination import AsyncPaginator
from .ratelimit import RateLimit, RateLimiter, SlidingWindowRateLimiter
from .sync import SyncAction, SyncOutcome, SyncReport, load_specs

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
    "RateLimit",
    "RateLimitError",
    "RateLimiter",
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
    "WebhookEvent",
    "WebhookSpec",
    "WhautoChat",
    "WhautoChatError",
    "__version__",
    "load_specs",
]
