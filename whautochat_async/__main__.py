"""``python -m whautochat_async``: the ``whautochat`` command line."""

from .cli import main

raise SystemExit(main())
