"""Every check on numbers and strings, for call arguments and configuration alike.

One rule per kind of value (a bool is never a number; nan is refused), raising the error
the caller is given: InvalidInputError for arguments, ConfigurationError for options.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from yarl import URL

from .errors import ConfigurationError, InvalidInputError, WhautoChatError
from .models import EVENTS_BY_VALUE, Event, Webhook, WebhookEvent

_VALID_EVENTS = ", ".join(event.value for event in WebhookEvent)
#: The largest number of seconds an option takes (about 31 years): beyond it a number
#: means "never" (pass None or inf where allowed), and every sum and conversion made with
#: it (clock + seconds, microseconds for Redis, timer handles) stays finite and exact.
MAX_SECONDS = 1e9
#: A host name as the resolver takes it: letters, digits, hyphens and underscores (seen
#: in real DNS names) in dot-separated labels, an optional final dot.
_HOST_LABEL = re.compile(rb"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")
#: An attrs validator: (instance, attribute, value).
Validator = Callable[[Any, Any, Any], None]


def check_int(
    name: str, value: Any, *, minimum: int, error: type[WhautoChatError] = InvalidInputError
) -> int:
    """An int >= ``minimum``; bools are refused."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise error(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_number(
    name: str,
    value: Any,
    *,
    positive: bool,
    finite: bool,
    error: type[WhautoChatError] = InvalidInputError,
) -> float:
    """A real number > 0 (``positive``) or >= 0, at most MAX_SECONDS (inf too unless
    ``finite``); bools and nan refused."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    # Compared before float(): an int too large for a float is refused, never an OverflowError.
    in_range = number and (value > 0 if positive else value >= 0)
    if not in_range or (value > MAX_SECONDS and (finite or value != math.inf)):
        bound = "> 0" if positive else ">= 0"
        kind, most = ("finite ", "") if finite else ("", " or inf")
        raise error(
            f"{name} must be a {kind}number {bound}, at most {MAX_SECONDS:g}{most}, got {value!r}"
        )
    return float(value)


def int_option(minimum: int) -> Validator:
    """An attrs validator: an int >= ``minimum``, else ConfigurationError naming the field."""

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        check_int(attribute.name, value, minimum=minimum, error=ConfigurationError)

    return validate


def number_option(*, positive: bool, finite: bool, optional: bool = False) -> Validator:
    """An attrs validator for a number option (``None`` too when ``optional``)."""

    def validate(instance: Any, attribute: Any, value: Any) -> None:
        if value is None and optional:
            return
        check_number(
            attribute.name, value, positive=positive, finite=finite, error=ConfigurationError
        )

    return validate


def bool_option(instance: Any, attribute: Any, value: Any) -> None:
    """An attrs validator: exactly True or False, else ConfigurationError naming the field."""
    if not isinstance(value, bool):
        raise ConfigurationError(f"{attribute.name} must be True or False, got {value!r}")


def check_name(name: Any) -> str:
    """A non-blank string."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"name must be a non-empty string, got {name!r}")
    return name


def check_server_url(server_url: Any) -> str:
    """An absolute http(s) URL with a host."""
    if not isinstance(server_url, str):
        raise InvalidInputError(f"server_url must be a string, got {server_url!r}")
    try:
        url = URL(server_url)
    except ValueError as exc:
        raise InvalidInputError(f"server_url is not a URL: {server_url!r}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInputError(
            f"server_url must be an http:// or https:// URL with a host, got {server_url!r}"
        )
    return server_url


#: url_problem's word for a URL that is not http(s) or has no host.
NOT_AN_HTTP_URL = "it is not an http(s) URL with a host"


def url_problem(url: URL) -> str | None:
    """Why a request to ``url`` can never be sent (a word for an error), or None if it can.

    Checked the way the request would fail later: the host as the resolver encodes it
    (IDNA: no empty or over-long label), a numeric host only in canonical form (aiohttp
    refuses ``127.1``), and a port other than 0.
    """
    try:
        scheme, host, port = url.scheme, url.host, url.port
        if scheme not in ("http", "https") or not host:
            return NOT_AN_HTTP_URL
        if port == 0:
            return "port 0 cannot be connected to"
        return _host_problem(host)
    except ValueError:  # yarl decodes lazily: a bad IDNA host or port raises here
        return "it is not a valid URL"


def _host_problem(host: str) -> str | None:
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    try:
        encoded = host.encode("idna")
    except UnicodeError:
        return f"the host {host!r} is not a valid host name"
    labels = encoded.rstrip(b".").split(b".")
    if not _HOST_LABEL.fullmatch(encoded) or all(label.isdigit() for label in labels):
        return f"the host {host!r} is not a valid host name or IP address"
    return None


def check_active(active: Any) -> bool:
    """A real bool (not a truthy string)."""
    if not isinstance(active, bool):
        raise InvalidInputError(f"active must be True or False, got {active!r}")
    return active


def check_events(events: Any, *, allow_unknown_events: bool = False) -> tuple[Event, ...]:
    """A non-empty list of event names known to this release (any name, if allowed)."""
    return _checked_events(events, None if allow_unknown_events else frozenset())


def check_kept_events(events: Any, held: Iterable[Event]) -> tuple[Event, ...]:
    """Events for a webhook that holds ``held``: unknown names pass if it already holds them.

    So a name the server added after this release does not block an update that keeps it.
    """
    return _checked_events(events, frozenset(held))  # once: it may be a one-shot iterator


def _checked_events(events: Any, allowed_unknown: frozenset[Event] | None) -> tuple[Event, ...]:
    """``allowed_unknown`` None: every string passes."""
    if isinstance(events, str | bytes) or not isinstance(events, Iterable):
        raise InvalidInputError(
            f"events must be a list of event names, got {events!r}; valid names: {_VALID_EVENTS}"
        )
    checked = tuple(_check_event(event, allowed_unknown) for event in events)
    if not checked:
        raise InvalidInputError(f"events must not be empty; valid names: {_VALID_EVENTS}")
    return checked


def _check_event(event: Any, allowed_unknown: frozenset[Event] | None) -> Event:
    if isinstance(event, WebhookEvent):
        return event
    if isinstance(event, str):
        if event in EVENTS_BY_VALUE:
            return EVENTS_BY_VALUE[event]
        if allowed_unknown is None or event in allowed_unknown:
            return event
    error = InvalidInputError(f"unknown event name {event!r}; valid names: {_VALID_EVENTS}")
    error.unknown_event = event if isinstance(event, str) else None
    raise error


def check_webhook_id(webhook_id: Any) -> str:
    """A non-empty string id that can be put in a URL."""
    if not isinstance(webhook_id, str) or not webhook_id:
        raise InvalidInputError(f"webhook id must be a non-empty string, got {webhook_id!r}")
    try:
        webhook_id.encode()  # a lone surrogate (JSON can carry one) has no UTF-8 for the path
    except UnicodeEncodeError as exc:
        raise InvalidInputError(f"webhook id must be valid Unicode, got {webhook_id!r}") from exc
    return webhook_id


def id_of(webhook_or_id: Webhook | str) -> str:
    """The id of a Webhook, or the string itself, checked."""
    if isinstance(webhook_or_id, Webhook):
        return check_webhook_id(webhook_or_id.id)
    return check_webhook_id(webhook_or_id)


def check_positive_int(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """An int >= 1 (bools are rejected); ``None`` passes when allowed."""
    if value is None and allow_none:
        return None
    return check_int(name, value, minimum=1)
