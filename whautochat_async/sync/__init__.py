"""Declarative bulk sync: make the server's webhooks match a list of :class:`WebhookSpec`.

``await client.webhooks.sync(desired)`` lists once, plans (:func:`plan_sync`, pure) and
applies (:func:`apply_plan`); the steps are public so a caller can show the plan first.
Specs come from files with :func:`load_specs` and go to them with :func:`dump_specs`.
"""

from ._apply import (
    ProgressCallback,
    SyncOptions,
    SyncReport,
    SyncTarget,
    WebhookWriter,
    apply_plan,
    plan_webhooks,
    sync_webhooks,
)
from ._checks import KEY_FIELDS, SyncKey
from ._plan import SyncAction, SyncOutcome, differences, plan_sync
from ._specs import dump_specs, load_specs, parse_specs, spec_of

__all__ = [
    "KEY_FIELDS",
    "ProgressCallback",
    "SyncAction",
    "SyncKey",
    "SyncOptions",
    "SyncOutcome",
    "SyncReport",
    "SyncTarget",
    "WebhookWriter",
    "apply_plan",
    "differences",
    "dump_specs",
    "load_specs",
    "parse_specs",
    "plan_sync",
    "plan_webhooks",
    "spec_of",
    "sync_webhooks",
]
