"""The one path every endpoint takes: send a request, read its 2xx answer as a type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import cattrs

from .._http import protocol
from .._http.redaction import Redactor
from ..converters import structure_response
from ..errors import ResponseValidationError, WhautoChatError

T = TypeVar("T")
Send = Callable[[protocol.Request], Awaitable[protocol.Response]]


class Resource:
    """A group of endpoints sharing the client's requester, converter and redactor."""

    def __init__(self, send: Send, converter: cattrs.Converter, redactor: Redactor) -> None:
        self._send = send
        self._converter = converter
        self._redactor = redactor

    async def _call(self, request: protocol.Request, kind: type[T]) -> T:
        """The 2xx answer to ``request`` as ``kind``; any other answer is the mapped error.

        Every error a call ends with leaves through here, so here alone the API key is
        taken out of what it reports; the data returned is never touched.
        """
        try:
            return await self._answer(request, kind)
        except WhautoChatError as exc:
            self._redactor.error(exc)
            raise

    async def _answer(self, request: protocol.Request, kind: type[T]) -> T:
        """The answer as ``kind``; an unreadable 2xx to a write is an unknown outcome."""
        response = None
        try:
            response = await self._send(request)
            data = protocol.decode_answer(request, response)
            return structure_response(self._converter, data, kind, response.body)
        except ResponseValidationError as exc:
            if request.idempotent:
                raise
            # A 2xx says it probably acted, but without the body the caller cannot know
            # what it made (a create's id): sending it again could act twice.
            if response is None:  # the transport stopped reading a 2xx over the limit
                why = "its answer was over max_response_size"
                raise protocol.unknown_outcome(request, exc, why) from exc
            why = f"the server answered {response.status} but its body could not be read"
            raise protocol.unknown_outcome(request, exc, why, url=response.url) from exc
