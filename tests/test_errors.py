"""The exception tree and the one status mapping function."""

from __future__ import annotations

import asyncio

import pytest

import whautochat_async
from whautochat_async import errors


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequestError),
        (401, errors.AuthenticationError),
        (403, errors.PermissionDeniedError),
        (404, errors.NotFoundError),
        (409, errors.ConflictError),
        (422, errors.UnprocessableEntityError),
        (429, errors.RateLimitError),
        (500, errors.InternalServerError),
        (503, errors.InternalServerError),
        (599, errors.InternalServerError),
        (418, errors.APIStatusError),
        (420, errors.APIStatusError),
        (302, errors.APIStatusError),
    ],
)
def test_status_error_class(status: int, cls: type[errors.APIStatusError]) -> None:
    assert errors.status_error_class(status) is cls


def test_timeouts_are_also_asyncio_timeouts() -> None:
    assert issubclass(errors.APITimeoutError, asyncio.TimeoutError)
    assert issubclass(errors.DeadlineExceededError, errors.APIConnectionError)


@pytest.mark.parametrize(
    "cls", [errors.InvalidInputError, errors.ConfigurationError, errors.ResponseValidationError]
)
def test_value_errors(cls: type[Exception]) -> None:
    assert issubclass(cls, ValueError)
    assert issubclass(cls, errors.WhautoChatError)


def test_every_public_error_is_in_the_tree_and_the_docstring() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.WhautoChatError)
            assert name in doc, name
            assert obj.__doc__, name


def test_all_is_sorted_and_complete() -> None:
    exported = whautochat_async.__all__
    assert list(exported) == sorted(exported)
    for name in errors.__all__:
        if name != "status_error_class":
            assert name in exported, name


def test_the_redis_limiter_error_is_defined_with_the_others() -> None:
    from whautochat_async.redis_limiter import RateLimiterUnavailableError

    assert RateLimiterUnavailableError is errors.RateLimiterUnavailableError
    assert RateLimiterUnavailableError is whautochat_async.RateLimiterUnavailableError
    assert issubclass(RateLimiterUnavailableError, errors.WhautoChatError)
