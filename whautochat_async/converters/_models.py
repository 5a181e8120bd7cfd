"""The hooks of the models: wire names, unknown fields kept in ``extra``, and the fast
path for a page of webhooks (only a failure runs cattrs' detailed hook, for the path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ..models import DeleteResult, Webhook, WebhookSpec
from ._scalars import json_type, parse_timestamp, require_list

__all__ = ["WIRE_NAMES", "register_models"]

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


def register_models(converter: cattrs.Converter) -> None:
    """Register the hooks of every model (after the scalar hooks they call)."""
    _register_webhook(converter)
    webhooks_hook = _webhooks_hook(
        converter.get_structure_hook(Webhook),
        require_list(converter.get_structure_hook(list[Webhook])),
    )
    converter.register_structure_hook_func(lambda t: t == list[Webhook], webhooks_hook)
    _register_delete_result(converter)
    _register_spec(converter)


def _renames(cls: type, **extra: Any) -> dict[str, Any]:
    """``override(rename=...)`` for each attribute of ``cls`` in WIRE_NAMES, plus ``extra``."""
    renames: dict[str, Any] = {
        field.name: override(rename=WIRE_NAMES[field.name])
        for field in attrs.fields(cls)
        if field.name in WIRE_NAMES
    }
    return renames | extra


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


def _as_is(value: Any, _: Any) -> Any:
    return value


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
            raise TypeError(f"expected an object, got {json_type(data)}")
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
            raise TypeError(f"expected an object, got {json_type(data)}")
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
