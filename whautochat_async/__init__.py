"""An asyncio client for the WhautoChat Webhooks REST API."""

from ._version import __version__

__all__ = ["__version__"]
