"""The API key never reaches what the client reports: errors, their fields and causes.

Applied once, where every call's error leaves the client (the resource funnel), never
to the data a call returns: a ``serverUrl`` that contains the key comes back exact, so an
update writes it back exact. A 2xx answer is not scanned at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ..errors import WhautoChatError
from .protocol import Response

__all__ = ["REDACTED", "Redactor"]

REDACTED = "***"
#: Containers nested deeper than this in an error's body are reported as REDACTED whole
#: (only when the body quotes the key): the copy is recursive, a server's nesting is not.
_MAX_DEPTH = 32


@attrs.frozen
class Redactor:
    """Replaces ``secret`` with ``***`` in an error, in place, and along its cause chain."""

    secret: str = attrs.field(repr=False)

    def error(self, error: BaseException) -> None:
        """Scrub ``error`` and the errors it was raised from; cut a foreign cause that quotes it."""
        link: BaseException = error
        seen: set[int] = set()
        while id(link) not in seen:
            seen.add(id(link))
            self._scrub(link)
            cause = link.__cause__ or link.__context__
            if cause is None:
                return
            if not isinstance(cause, WhautoChatError) and self._mentions(cause):
                # Not ours to rewrite (aiohttp quotes raw header bytes, json keeps .doc).
                link.__cause__ = link.__context__ = None
                link.__suppress_context__ = True
                link.add_note("(the original exception is withheld: it quoted the API key)")
                return
            link = cause

    def text(self, text: str) -> str:
        """``text`` with the key replaced."""
        return text.replace(self.secret, REDACTED) if self.secret in text else text

    def response(self, response: Response) -> Response:
        """``response`` with the key replaced in its body, headers and URL."""
        key, body = self.secret, response.body
        if key.encode() in body:
            body = body.replace(key.encode(), REDACTED.encode())
        headers = {self.text(name): self.text(value) for name, value in response.headers.items()}
        return attrs.evolve(response, body=body, headers=headers, url=self.text(response.url))

    def _scrub(self, error: BaseException) -> None:
        if not isinstance(error, WhautoChatError):
            return
        error.args = tuple(self._value(arg) for arg in error.args)
        if hasattr(error, "__notes__"):
            error.__notes__ = [self.text(note) for note in error.__notes__]
        for name, value in vars(error).items():
            if name != "__notes__":
                setattr(error, name, self._value(value))

    def _value(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return value.replace(self.secret.encode(), REDACTED.encode())
        if isinstance(value, Response):
            return self.response(value)
        if not isinstance(value, Mapping | list) or not _quotes(value, self.secret):
            return value
        if depth >= _MAX_DEPTH:
            return REDACTED
        if isinstance(value, Mapping):
            return {self.text(str(k)): self._value(v, depth + 1) for k, v in value.items()}
        return [self._value(item, depth + 1) for item in value]

    def _mentions(self, error: BaseException) -> bool:
        texts = [str(error), *error.args, *vars(error).values()]
        key = self.secret
        return any(
            (isinstance(t, str) and key in t) or (isinstance(t, bytes) and key.encode() in t)
            for t in texts
        )


def _quotes(value: Mapping[Any, Any] | list[Any], secret: str) -> bool:
    """Whether any string (key or value) nested in ``value`` contains ``secret``: a loop."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if secret in item:
                return True
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
