"""The microdata engines' error, in a module of its own so that every engine module and the
engine registry (:mod:`.backends`) can raise it without importing one another."""

from __future__ import annotations

from ..errors import Mic2025Error


class EngineError(Mic2025Error):
    """Indicators cannot be computed as asked (unknown group key, missing weight column,
    unknown or uninstalled engine…)."""
