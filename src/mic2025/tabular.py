"""The one writer of every table mic2025 hands to a spreadsheet: CSV text and Excel workbooks.

Every CSV the product writes goes through :func:`csv_text` — ``mic2025 data export``, the
evaluation CSV, the platform's CSV, Excel and SDMX-CSV downloads, the audit log export,
the problems of a rejected import, the composite-index tables — so they all defuse
formula-looking text the same way.

CSV (formula injection, CWE-1236)
    A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@``
    (and some also after a leading tab or carriage return) as a formula: figures' sources,
    notes and quotes come from uploads and must be shown, never run. Such text is written
    with one apostrophe in front (``'=cmd|'/c calc'!A1``), which spreadsheets display as
    text and hide. Text that itself starts with an apostrophe gets one more, so removing
    exactly one leading apostrophe (:func:`restore`) always gives back the original text;
    the SDMX-CSV import does that (:mod:`mic2025.ingest.sdmx`). Numbers (``int``,
    ``float``) are written as numbers: a negative value stays ``-1.5``, not text. A NaN is
    an empty cell; dates and times are ISO 8601.

Excel
    Cells are typed, so text is written as a text cell holding exactly the stored text —
    never as a formula, even when it starts with ``=`` — and formula-looking text is also
    marked "quote prefix", so editing the cell in Excel keeps it text. Nothing is prefixed.

This module sits below every subsystem (it imports nothing of mic2025), so the command line
and the platform share it without crossing the layers.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

#: first characters that make a spreadsheet read a CSV cell as a formula
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: the prefix that keeps such a cell text
PREFIX = "'"

Row = Mapping[str, Any] | Sequence[Any]


def looks_like_formula(text: str) -> bool:
    return text[:1] in FORMULA_START


def neutralise(text: str) -> str:
    """``text`` as a CSV cell: one apostrophe in front when it looks like a formula or already
    starts with an apostrophe (so that :func:`restore` is exact)."""
    return PREFIX + text if text[:1] in (*FORMULA_START, PREFIX) else text


def restore(text: str) -> str:
    """The text :func:`neutralise` was given: exactly one leading apostrophe removed."""
    return text[1:] if text.startswith(PREFIX) else text


def cell(value: Any) -> Any:
    """A value as a CSV cell: numbers as they are, everything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return "" if math.isnan(value) else value  # csv writes repr(): reads back equal
    if isinstance(value, datetime | date):
        return value.isoformat()
    return neutralise(str(value))


def _cells(columns: Sequence[str], row: Row) -> list[Any]:
    if isinstance(row, Mapping):
        # by the columns' names: a column without its cell in the row is a KeyError
        return [row[c] for c in columns]
    if len(row) != len(columns):
        raise ValueError(f"a row of {len(row)} cells under {len(columns)} columns")
    return list(row)


def csv_text(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """A CSV table: the header, then each row (a mapping by column name, or a sequence).

    Lines end with ``\\r\\n`` (RFC 4180); cells holding a comma, a quote, a carriage return
    or a line feed are quoted. (With ``\\n`` alone, Python's writer would leave a lone
    carriage return unquoted and a reader would split the row there.)
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in columns])
    for row in rows:
        writer.writerow([cell(v) for v in _cells(columns, row)])
    return out.getvalue()


def xlsx_bytes(columns: Sequence[str], rows: Iterable[Row], *, sheet: str = "data") -> bytes:
    """An Excel workbook of one sheet: the header (frozen), then each row, cells typed."""
    from openpyxl import Workbook

    wb = Workbook(write_only=False)
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    for r, values in enumerate([list(columns), *(_cells(columns, row) for row in rows)],
                               start=1):
        for c, value in enumerate(values, start=1):
            target = ws.cell(row=r, column=c)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if isinstance(value, bool | int | float):
                target.value = value
                continue
            if isinstance(value, datetime | date):
                value = value.isoformat()  # as in the CSV: no time zone lost to Excel's dates
            text = str(value)
            target.value = text
            # set after the value: openpyxl would otherwise type "=…" as a formula
            target.data_type = "s"
            if looks_like_formula(text):
                target.quotePrefix = True
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
