"""The audit log as the platform shows it: its CSV export (the log itself is
:mod:`mic2025.store.audit`, written only by :mod:`mic2025.services`)."""

from __future__ import annotations

from ..store.audit import EXPORT_COLUMNS, AuditEntry, count, entries, verify
from ..tabular import csv_text

__all__ = ["AuditEntry", "count", "entries", "to_csv", "verify"]


def to_csv(rows: list[AuditEntry]) -> str:
    # audit cells hold user input: the shared writer shows it in a spreadsheet, never runs it
    return csv_text(EXPORT_COLUMNS, [e.row() for e in rows])
