"""An alias kept for the examples and existing imports: the spec-file functions live in ``sync``."""

from .sync import dump_specs, load_specs, parse_specs, spec_of

__all__ = ["dump_specs", "load_specs", "parse_specs", "spec_of"]
