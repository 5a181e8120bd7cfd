"""API resources, one module each, attached to the client (``client.webhooks``)."""

from .webhooks import Webhooks

__all__ = ["Webhooks"]
