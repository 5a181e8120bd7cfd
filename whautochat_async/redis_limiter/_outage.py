"""When Redis is down and the limiter fails open: one warning, and probes with back-off."""

from __future__ import annotations

import logging

__all__ = ["MAX_PROBE_INTERVAL", "Outage", "describe"]

logger = logging.getLogger("whautochat_async")

#: The longest wait between two attempts to use Redis again during an outage.
MAX_PROBE_INTERVAL = 30.0


class Outage:
    """One Redis outage: warns once; each failed probe (not each caller) doubles the wait."""

    def __init__(self, *, first_probe: float, label: str) -> None:
        self._first_probe = first_probe
        self._label = label
        self.interval = first_probe  # how long the prober waits before its next probe
        self.active = False

    def failed(self, error: BaseException) -> None:
        """Redis failed: start an outage with one WARNING, or back off the next probe."""
        if not self.active:
            self.active = True
            self.interval = self._first_probe
            logger.warning(
                "%s: Redis is unavailable (%s); falling back to this process's own limiter "
                "until it recovers",
                self._label,
                describe(error),
                extra={"redis_outage": describe(error)},  # for a caller's own wording
            )
        else:
            self.interval = min(self.interval * 2, MAX_PROBE_INTERVAL)
            logger.debug("%s: Redis still unavailable (%s)", self._label, describe(error))

    def recovered(self) -> None:
        """Redis answered: end the outage (logged once)."""
        if self.active:
            self.active = False
            logger.info("%s: Redis is available again; the shared limit applies", self._label)


def describe(error: BaseException) -> str:
    """The error's class and first line (redis-py names host and port, never a password)."""
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
