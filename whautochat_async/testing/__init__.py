"""Test helpers: a fake WhautoChat server to point the client at.

.. code-block:: python

    async with FakeWhautoChat(seed=1) as fake:
        fake.seed_webhooks(3)
        fake.faults.status(503, times=2)
        ...  # call fake.url with header x-api-key: test-key
"""

from ._fake import BeforeRequestHook, FakeWhautoChat
from ._faults import Fault, FaultKind, FaultPlan
from ._records import REDACTED, RecordedRequest
from ._responses import MALFORMED_JSON_BODY
from ._serve import serve
from ._validation import KNOWN_EVENTS

__all__ = [
    "KNOWN_EVENTS",
    "MALFORMED_JSON_BODY",
    "REDACTED",
    "BeforeRequestHook",
    "FakeWhautoChat",
    "Fault",
    "FaultKind",
    "FaultPlan",
    "RecordedRequest",
    "serve",
]
