"""The cattrs converter that maps the attrs models to the wire and back.

Built once per process (``shared_converter()``: building one costs milliseconds); its hooks
are registered in ``configure_converter()`` in a deliberate order, and validate strictly
(``"false"`` is not a bool) because cattrs' own hooks coerce.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ResponseValidationError, excerpt_of
from .models import EVENTS_BY_VALUE, DeleteResult, Event, Webhook, WebhookEvent, WebhookSpec

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

#: Python attribute name -> wire (camelCase) name, for the attributes that differ.
WIRE_NAMES: Mapping[str, str] = {
    "server_url": "serverUrl",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
}
_TIMESTAMP_KEYS = (WIRE_NAMES["created_at"], WIRE_NAMES["updated_at"])
_WIRE_KEYS = frozenset(
    WIRE_NAMES.get(field.name, field.name)
    for field in attrs.fields(Webhook)
    if field.name != "extra"
)
# Never a wire key: it carries the unknown fields, gathered by the wrapper, into the
# generated functions.
_EXTRA_KEY = "\x00extra"
_EVENTS_BY_VALUE: dict[str, Event] = dict(EVENTS_BY_VALUE)  # a plain dict: a hot lookup
_KNOWN_EVENT_NAMES = frozenset(_EVENTS_BY_VALUE)
_EVENT_NAMED = _EVENTS_BY_VALUE.__getitem__
_ONLY_STR = frozenset({str})


def _renames(cls: type, **extra: Any) -> dict[str, Any]:
    """``override(rename=...)`` for each attribute of ``cls`` in WIRE_NAMES, plus ``extra``."""
    renames: dict[str, Any] = {
        field.name: override(rename=WIRE_NAMES[field.name])
        for field in attrs.fields(cls)
        if field.name in WIRE_NAMES
    }
    return renames | extra


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
    converter.register_structure_hook(str, _strict(str, "a string"))
    converter.register_structure_hook(bool, _strict(bool, "a boolean"))
    converter.register_structure_hook(Event, _structure_event)
    converter.register_unstructure_hook(WebhookEvent, lambda event: event.value)
    converter.register_unstructure_hook(datetime, format_timestamp)
    events_type = tuple[Event, ...]
    events_hook = _events_hook(_require_list(converter.get_structure_hook(events_type)))
    converter.register_structure_hook_func(lambda t: t == events_type, events_hook)
    # A StrEnum member's str() is its wire name; cattrs would dispatch on the union per item.
    converter.register_unstructure_hook_func(lambda t: t == events_type, _event_names)
    _register_webhook(converter)
    webhooks_hook = _webhooks_hook(
        converter.get_structure_hook(Webhook),
        _require_list(converter.get_structure_hook(list[Webhook])),
    )
    converter.register_structure_hook_func(lambda t: t == list[Webhook], webhooks_hook)
    _register_delete_result(converter)
    _register_spec(converter)


def _strict(kind: type[T], label: str) -> Callable[[Any, Any], T]:
    def structure(value: Any, _: Any) -> T:
        if type(value) is not kind:
            raise TypeError(f"expected {label}, got {_json_type(value)}")
        return value  # type: ignore[no-any-return,unused-ignore]

    return structure


def _require_list(inner: Callable[[Any, Any], T]) -> Callable[[Any, Any], T]:
    def structure(value: Any, kind: Any) -> T:
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {_json_type(value)}")
        return inner(value, kind)

    return structure


def _events_hook(
    detailed: Callable[[Any, Any], tuple[Event, ...]],
) -> Callable[[Any, Any], tuple[Event, ...]]:
    # A fast path for a valid list of names; anything else goes through cattrs' hook, which
    # raises with the path of the bad element (``$.events[1]``). Profiled: the generic
    # tuple hook was a fifth of the time spent structuring a listing. The first test takes
    # any element equal to a known name (from JSON: a str); it is mapped to the member.
    def structure(value: Any, kind: Any) -> tuple[Event, ...]:
        if isinstance(value, list):
            try:
                if _KNOWN_EVENT_NAMES.issuperset(value):  # the usual case: all known
                    return tuple(map(_EVENT_NAMED, value))
            except TypeError:  # an unhashable element: the detailed hook names it
                return detailed(value, kind)
            if _ONLY_STR.issuperset(map(type, value)):
                names: list[str] = value
                return tuple([_EVENTS_BY_VALUE.get(name, name) for name in names])
        return detailed(value, kind)

    return structure


def _webhooks_hook(
    item: Callable[[Any, Any], Webhook], detailed: Callable[[Any, Any], list[Webhook]]
) -> Callable[[Any, Any], list[Webhook]]:
    # cattrs' detailed list hook wraps every element in its own try/except with an index;
    # a valid page takes one comprehension, and only a failure is redone, for the path.
    def structure(value: Any, kind: Any) -> list[Webhook]:
        if type(value) is list:
            try:
                return [item(element, Webhook) for element in value]
            except Exception:  # the detailed hook raises it again, with the path
                pass
        return detailed(value, kind)

    return structure


def _event_names(events: tuple[Event, ...]) -> list[Any]:
    # An enum member goes out as its value; anything else as it is, so that a bad value
    # built in Python reaches the server (and its 422) unchanged, never renamed by str().
    return [event.value if isinstance(event, enum.Enum) else event for event in events]


def _as_is(value: Any, _: Any) -> Any:
    return value


def _structure_event(value: Any, _: Any) -> Event:
    if isinstance(value, WebhookEvent):
        return value
    if type(value) is not str:
        raise TypeError(f"expected a string, got {_json_type(value)}")
    # An event name this release does not know stays a plain string (forward compatible).
    return _EVENTS_BY_VALUE.get(value, value)


def parse_timestamp(value: Any, _: Any = None) -> datetime | None:
    """An ISO 8601 string as an aware datetime (naive is taken as UTC); else ``None``.

    It is also the structure hook of both timestamps: a timestamp it cannot parse is
    ``None`` there, and the Webhook hook keeps the raw value in ``extra``.
    """
    if type(value) is not str:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        # One that cannot be told in UTC (year 1 at +01:00) could not be written back.
        aware.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return aware


def format_timestamp(value: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with milliseconds, e.g. ``...00.000Z``."""
    utc = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return utc.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _register_webhook(converter: cattrs.Converter) -> None:
    overrides = _renames(
        Webhook,
        created_at=override(rename=WIRE_NAMES["created_at"], struct_hook=parse_timestamp),
        updated_at=override(rename=WIRE_NAMES["updated_at"], struct_hook=parse_timestamp),
        extra=override(rename=_EXTRA_KEY, struct_hook=_as_is),
    )
    # Two generated functions from the same overrides: the plain one is about twice as
    # fast; only when it fails is the detailed one run, to raise with the field's path.
    fast = make_dict_structure_fn(
        Webhook, converter, _cattrs_detailed_validation=False, **overrides
    )
    detailed = make_dict_structure_fn(Webhook, converter, **overrides)

    def structure(data: Any, _: Any) -> Webhook:
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {_json_type(data)}")
        known = data if type(data) is dict else dict(data)  # never a subclass's own lookups
        if not _WIRE_KEYS.issuperset(known):  # unknown fields: carried in under _EXTRA_KEY
            known = {**known, _EXTRA_KEY: _extra_of(known)}
        try:
            webhook: Webhook = fast(known, Webhook)
        except Exception:
            webhook = detailed(known, Webhook)  # raises again, with the path of the error
        if webhook.created_at is None or webhook.updated_at is None:
            return _keep_unparsed(webhook, known)
        return webhook

    converter.register_structure_hook(Webhook, structure)
    converter.register_unstructure_hook(Webhook, _webhook_unstructure(converter))


def _extra_of(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in _WIRE_KEYS}


def _keep_unparsed(webhook: Webhook, data: dict[str, Any]) -> Webhook:
    # A timestamp that could not be parsed never aborts a listing: it stays in ``extra``
    # as it came, so that an update sends it back unchanged.
    parsed = (webhook.created_at, webhook.updated_at)
    unparsed = {
        key: data[key]
        for key, value in zip(_TIMESTAMP_KEYS, parsed, strict=True)
        if value is None and data.get(key) is not None
    }
    if not unparsed:
        return webhook
    return attrs.evolve(webhook, extra={**webhook.extra, **unparsed})


def _webhook_unstructure(converter: cattrs.Converter) -> Callable[[Webhook], Any]:
    overrides = _renames(
        Webhook,
        created_at=override(rename=WIRE_NAMES["created_at"], omit_if_default=True),
        updated_at=override(rename=WIRE_NAMES["updated_at"], omit_if_default=True),
        extra=override(omit=True),
    )
    generated = make_dict_unstructure_fn(Webhook, converter, **overrides)

    def unstructure(webhook: Webhook) -> dict[str, Any]:
        wire: dict[str, Any] = generated(webhook)
        for key, value in webhook.extra.items():
            wire.setdefault(key, value)
        return wire

    return unstructure


def _register_delete_result(converter: cattrs.Converter) -> None:
    generated = make_dict_structure_fn(
        DeleteResult, converter, extra=override(rename=_EXTRA_KEY, struct_hook=_as_is)
    )

    def structure(data: Any, _: Any) -> DeleteResult:
        if not isinstance(data, dict):
            raise TypeError(f"expected an object, got {_json_type(data)}")
        extra = {key: value for key, value in data.items() if key != "success"}
        return generated({"success": data.get("success"), _EXTRA_KEY: extra}, _)

    converter.register_structure_hook(DeleteResult, structure)


def _register_spec(converter: cattrs.Converter) -> None:
    renames = _renames(WebhookSpec)
    converter.register_structure_hook(
        WebhookSpec,
        make_dict_structure_fn(WebhookSpec, converter, _cattrs_forbid_extra_keys=True, **renames),
    )
    converter.register_unstructure_hook(
        WebhookSpec, make_dict_unstructure_fn(WebhookSpec, converter, **renames)
    )


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


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
