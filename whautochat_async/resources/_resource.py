"""The one path every endpoint takes: send a request, read its 2xx answer as a type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import cattrs

from .._http import protocol
from ..converters import structure_response
from ..errors import ResponseValidationError

T = TypeVar("T")
Send = Callable[[protocol.Request], Awaitable[protocol.Response]]


class Resource:
    """A group of endpoints sharing the client's requester and converter."""

    def __init__(self, send: Send, converter: cattrs.Converter) -> None:
        self._send = send
        self._converter = converter

    async def _call(self, request: protocol.Request, kind: type[T]) -> T:
        """The 2xx answer to ``request`` as ``kind``; any other answer is the mapped error."""
        response = await self._send(request)
        try:
            data = protocol.decode_json(response)
            return structure_response(self._converter, data, kind, response.body)
        except ResponseValidationError as exc:
            if request.idempotent:
                raise
            # A 2xx says it probably acted, but without the body the caller cannot know
            # what it made (a create's id): sending it again could act twice.
            why = f"the server answered {response.status} but its body could not be read"
            raise protocol.unknown_outcome(request, exc, why, url=response.url) from exc
