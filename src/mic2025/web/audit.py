"""The audit log as the platform shows it: readable changes and its CSV export (the log
itself is :mod:`mic2025.store.audit`, written only by :mod:`mic2025.services`).

An entry keeps the resource before and after a write as JSON. :func:`changes` turns the two
into what a person reads: one line per field that changed, "field: before → after", with
the field named in the reader's language, a submission's state by its label, and the notes
and reasons on single figures one line each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..i18n import Lang, t
from ..store.audit import EXPORT_COLUMNS, AuditEntry, count, entries, verify
from ..store.platform import SUBMISSION_STATES
from ..tabular import csv_text

__all__ = ["AuditEntry", "Change", "changes", "count", "entries", "step_label", "to_csv",
           "verify"]

#: fields with a label of their own (``audit.field.<name>``); any other shows its name
LABELLED = ("status", "filename", "sha256", "rows", "problems", "comment", "vintage_id",
            "notes", "reasons", "due", "year", "area", "username", "roles", "disabled",
            "display_name")
#: fields holding one text per figure (``{figure: text}``)
PER_FIGURE = ("notes", "reasons")
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    """One field of a write as a person reads it: ``field: before → after``."""

    field: str
    before: str
    after: str


def to_csv(rows: list[AuditEntry]) -> str:
    # audit cells hold user input: the shared writer shows it in a spreadsheet, never runs it
    return csv_text(EXPORT_COLUMNS, [e.row() for e in rows])


def changes(entry: AuditEntry, lang: Lang) -> list[Change]:
    """The fields the entry changed, in the order they are recorded; a field it created
    shows "—" before, one it removed "—" after."""
    before, after = _flat(entry.before), _flat(entry.after)
    out = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name, _ABSENT), after.get(name, _ABSENT)
        if old == new:
            continue
        out.append(Change(_label(name, lang), _text(name, old, lang), _text(name, new, lang)))
    return out


def step_label(action: str, lang: Lang) -> str:
    """A submission step (``submission.approve``) as the trace names it (批准 / Approved)."""
    key = f"audit.step.{action}"
    label = t(key, lang)
    return action if label == key else label


def _flat(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {"": text}
    if not isinstance(value, dict):
        return {"": value}
    out: dict[str, Any] = {}
    for name, v in value.items():
        if name in PER_FIGURE and isinstance(v, dict):
            for figure, note in v.items():
                out[f"{name}\x1f{figure}"] = note
        else:
            out[name] = v
    return out


def _label(name: str, lang: Lang) -> str:
    base, _, figure = name.partition("\x1f")
    label = t(f"audit.field.{base}", lang) if base in LABELLED else base
    return f"{label} · {figure}" if figure else label


def _text(name: str, value: Any, lang: Lang) -> str:
    if value is _ABSENT or value is None or value == "":
        return "—"
    if name == "status" and value in (*SUBMISSION_STATES, "missing"):
        return t(f"state.{value}", lang)
    if name == "sha256" and isinstance(value, str) and len(value) > 12:
        return value[:12] + "…"
    if isinstance(value, bool):
        return t("audit.yes" if value else "audit.no", lang)
    if isinstance(value, list):
        return ", ".join(_text("", v, lang) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(k, v, lang)}" for k, v in value.items()) or "—"
    return str(value)
