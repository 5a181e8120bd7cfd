"""One API call: deadline, attempts and status mapping around the transport.

Retries and rate limiting hook in here (see ``_retry.py`` and ``ratelimit.py``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from ._config import Timeout
from ._protocol import Request, Response, raise_for_status
from ._transport import Transport
from .errors import DeadlineExceededError

logger = logging.getLogger("whautochat_async")


class Requester:
    """Sends a request within the call's deadline and raises for non-2xx answers."""

    def __init__(
        self,
        transport: Transport,
        *,
        timeout: Timeout,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.transport = transport
        self.timeout = timeout
        self._clock = clock

    async def send(self, request: Request) -> Response:
        """The 2xx Response for ``request``, or the mapped error."""
        deadline = self.timeout.deadline
        started = self._clock()
        scope = asyncio.timeout(deadline)
        try:
            async with scope:
                return await self._attempt(request, started)
        except TimeoutError as exc:
            if scope.expired():
                raise DeadlineExceededError(
                    f"{request.method} /{request.path}: deadline of {deadline}s exceeded",
                    method=request.method,
                    url=str(self.transport.url_for(request)),
                ) from exc
            raise

    async def _attempt(self, request: Request, started: float) -> Response:
        response = await self.transport.send(
            request, attempt_timeout=self.timeout.attempt, connect=self.timeout.connect
        )
        logger.debug("%s /%s -> %s (attempt 1)", request.method, request.path, response.status)
        raise_for_status(response)
        return response
