"""The evidence store: observations with their vintages and provenance, append-only.

Open it with :func:`open_store` (SQLite by default, PostgreSQL by URL); write batches with
:meth:`Store.import_observations` (files go through :mod:`mic2025.ingest` first); read what
was known at any moment with :meth:`Store.observations` and ``as_of``. See
:mod:`mic2025.store.repo` for the as-of semantics.
"""

from . import followup as followup  # registers the follow-up records' tables (migration 0004)
from . import platform as platform  # registers the platform tables on the shared metadata
from . import reviews as reviews  # registers the third-party reviews' table (migration 0007)
from .db import default_url, migrate
from .followup import EvaluationRound, Score, SupervisionUpdate
from .repo import (
    EXPORT_COLUMNS,
    LONG_COLUMNS,
    VINTAGE_COLUMNS,
    ImportResult,
    Key,
    Store,
    Vintage,
    as_of_instant,
    end_of_day,
    export_row,
    open_store,
)

__all__ = [
    "EXPORT_COLUMNS",
    "LONG_COLUMNS",
    "VINTAGE_COLUMNS",
    "EvaluationRound",
    "ImportResult",
    "Key",
    "Score",
    "Store",
    "SupervisionUpdate",
    "Vintage",
    "as_of_instant",
    "default_url",
    "end_of_day",
    "export_row",
    "migrate",
    "open_store",
]
