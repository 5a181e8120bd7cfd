"""The cattrs converter that maps the attrs models to the wire and back.

Built once per process (``shared_converter()``: building one costs milliseconds); its hooks
are registered in ``configure_converter()`` in a deliberate order, and validate strictly
(``"false"`` is not a bool) because cattrs' own hooks coerce.
"""

from __future__ import annotations

import functools
import re
from typing import Any, TypeVar

import cattrs

from ..errors import ResponseValidationError, excerpt_of
from ._models import WIRE_NAMES, register_models
from ._scalars import format_timestamp, parse_timestamp, register_scalars

__all__ = [
    "WIRE_NAMES",
    "configure_converter",
    "error_messages",
    "excerpt_of",
    "format_timestamp",
    "make_converter",
    "parse_timestamp",
    "shared_converter",
    "structure_response",
]

T = TypeVar("T")


def make_converter() -> cattrs.Converter:
    """A new converter with every hook of this package registered."""
    converter = cattrs.Converter(detailed_validation=True)
    configure_converter(converter)
    return converter


@functools.cache
def shared_converter() -> cattrs.Converter:
    """The process's converter, built on first use; register no hooks on it (make your own)."""
    return make_converter()


def configure_converter(converter: cattrs.Converter) -> None:
    """Register the strict scalar hooks, then the model hooks that rely on them."""
    register_scalars(converter)
    register_models(converter)


def structure_response(
    converter: cattrs.Converter, data: Any, kind: type[T], body: bytes = b""
) -> T:
    """Structure decoded JSON into ``kind`` or raise ResponseValidationError with paths."""
    try:
        return converter.structure(data, kind)
    except Exception as exc:
        messages = error_messages(exc)
        excerpt = excerpt_of(body)
        detail = "; ".join(messages[:5]) + (" ..." if len(messages) > 5 else "")
        raise ResponseValidationError(
            f"unexpected response: {detail} (body: {excerpt!r})", body_excerpt=excerpt
        ) from exc


_ATTRIBUTE = re.compile(r"\.(" + "|".join(map(re.escape, WIRE_NAMES)) + r")\b")


def error_messages(exc: Exception) -> list[str]:
    """What a structuring error found, one message per problem, with wire paths."""
    found = cattrs.transform_error(exc, path="$", format_exception=_describe)
    return [_ATTRIBUTE.sub(lambda m: "." + WIRE_NAMES[m.group(1)], text) for text in found]


def _describe(exc: BaseException, kind: Any) -> str:
    if isinstance(exc, TypeError) and str(exc).startswith("expected "):
        return str(exc)  # our own strict hooks already say it plainly
    return cattrs.v.format_exception(exc, kind)
