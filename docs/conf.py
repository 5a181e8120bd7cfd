"""Sphinx configuration: MyST Markdown pages, autodoc reference, the furo theme."""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.ext.napoleon.docstring import GoogleDocstring
from sphinx.util.nodes import make_refnode

import whautochat_async
import whautochat_async.errors
from whautochat_async._http.protocol import Response as _Response

project = "whautochat-async"
author = "whautochat_async developers"
copyright = "2026, whautochat_async developers"
release = whautochat_async.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"whautochat-async {release}"

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_typehints = "description"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# A missing reference is an error (CI builds with -W -n). Types of other libraries are not
# linked: the build runs offline, so there is no intersphinx inventory to resolve them.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(aiohttp|yarl|multidict|cattrs|attrs?|redis|pytest|_pytest)(\..*)?"),
    (r"py:.*", r"(datetime|collections\.abc|typing|types|asyncio|enum|logging|pathlib)\..*"),
    (r"py:.*", r"(Path|URL|ClientSession|Converter|Redis|datetime|timedelta|Enum|StrEnum)"),
    (r"py:.*", r"(Mapping|Sequence|Iterable|Iterator|AsyncIterator|Callable|Awaitable)"),
    (r"py:.*", r"(Coroutine|Any|Literal|Self|TypeAlias|TracebackType|web\..*)"),
    (r"py:.*", r"(os|aioredis)\..*"),
    (r"py:.*", r"(.*\.)?[A-Z]"),  # type variables
    # Type aliases: Send types the resource's internal constructor; OnRedisError is a
    # Literal of the two strings its parameter's description lists; ProxyOption is
    # ``str | URL | None``, described with ``proxy=``. Redactor is a private class in the
    # resource's internal constructor.
    (r"py:.*", r"(.*\.)?(Send|OnRedisError|ProxyOption|Redactor)"),
    # Private modules are not in the reference by design; a docstring may still name one.
    (r"py:.*", r"whautochat_async\.(.*\.)?_\w+.*"),
]

#: The modules whose names users import; the reference documents each object under one.
PUBLIC_MODULES = [
    "whautochat_async",
    "whautochat_async.client",
    "whautochat_async.errors",
    "whautochat_async.models",
    "whautochat_async.pagination",
    "whautochat_async.ratelimit",
    "whautochat_async.sync",
    "whautochat_async.specs",
    "whautochat_async.converters",
    "whautochat_async.testing",
    "whautochat_async.redis_limiter",
]
# One-line docstrings of attributes and properties are sentences ("Slots taken now: ..."),
# not Google's "type: description": render them as written.
GoogleDocstring._parse_attribute_docstring = lambda self: self._consume_to_end()  # type: ignore[method-assign]


def _adopt_private_objects() -> None:
    """Name objects defined in private modules by the public module that exports them.

    ``Timeout`` lives in a private module and is exported as ``whautochat_async.Timeout``;
    without this, every signature would link to a page that does not exist.
    """
    for name in reversed(PUBLIC_MODULES):  # the most specific public module wins
        module = importlib.import_module(name)
        for attribute in getattr(module, "__all__", ()):
            value = getattr(module, attribute)
            owner = getattr(value, "__module__", None)
            if isinstance(owner, str) and any(part.startswith("_") for part in owner.split(".")):
                with contextlib.suppress(AttributeError, TypeError):  # e.g. a type alias
                    value.__module__ = name


_adopt_private_objects()
# exc.response is an object users read (status, headers, body, url, method), defined in a
# private module and imported by errors.py only for annotations: document it there.
whautochat_async.errors.Response = _Response  # type: ignore[attr-defined]
_Response.__module__ = "whautochat_async.errors"
# client.webhooks is a Webhooks resource: documented with the client that attaches it.
whautochat_async.client.Webhooks.__module__ = "whautochat_async.client"  # type: ignore[attr-defined]


def _resolve_short_names(
    app: Sphinx, env: Any, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve ``WebhookSpec`` (an annotation under TYPE_CHECKING) to its one documented target.

    An unknown name, or one that two objects share, stays unresolved: nitpicky mode fails.
    """
    if node.get("refdomain") != "py":
        return None
    objects = env.get_domain("py").objects
    parts = node["reftarget"].split(".")
    # The name as written, then without its leading modules: a.b.Webhooks.update -> ...,
    # Webhooks.update (the resource is documented with the client).
    for start in range(len(parts)):
        suffix = ".".join(parts[start:])
        found = [name for name in objects if name == suffix or name.endswith("." + suffix)]
        if len(found) == 1:
            obj = objects[found[0]]
            return make_refnode(
                app.builder, node["refdoc"], obj.docname, obj.node_id, contnode, found[0]
            )
        if found:
            return None  # ambiguous: leave it to nitpicky
    return None


def setup(app: Sphinx) -> None:
    """Hook the short-name resolver in."""
    app.connect("missing-reference", _resolve_short_names)
