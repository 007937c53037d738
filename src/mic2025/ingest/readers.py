"""Readers: a CSV or Excel file's bytes into tables of raw cells, with row numbers as shown.

Row numbers are the spreadsheet's own: the header is row 1, and a CSV row is a record (a
quoted cell spanning two lines is still one row, as a spreadsheet shows it). Rows with no
value at all are passed over — they carry nothing to lose.

CSV
    UTF-8, with or without a byte-order mark; UTF-16 when the file starts with a UTF-16
    byte-order mark (Excel's "Unicode text"). Any other encoding is read only when named
    (``encoding="gb18030"``): a file that is not UTF-8 is refused with the line of the
    first bad byte, and the message says when the file reads as GB18030 (what Excel on a
    Chinese-language Windows writes), rather than guessing an encoding and storing garbled
    text. The delimiter — comma, semicolon or tab — is the one that makes most of row 1
    into known column names (in SDMX-CSV, the character after the first header).
Excel (.xlsx, .xlsm)
    Every sheet is read; a sheet with no content is passed over, a sheet with content must
    have the header in row 1 (or the import is refused, naming the sheet), unless the
    caller names the sheets to read. Cells give their saved values: a formula whose result
    was never saved and an error such as ``#REF!`` are reported, not read as blank. A
    number in a percent-formatted cell is read as shown (0.125 shown as 12.5% is 12.5%).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from .clean import SheetError, Uncalculated, percent_display
from .columns import canonical

#: file name endings read as CSV and as Excel workbooks
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Table:
    """One sheet (or the one table of a CSV): its header row and its non-blank data rows."""

    source: str
    sheet: str | None
    header: list[object]
    rows: list[tuple[int, list[object]]] = field(default_factory=list)


def read_table(
    data: bytes,
    source: str,
    suffix: str,
    *,
    encoding: str | None = None,
    sheets: Sequence[str] | None = None,
) -> tuple[list[Table], list[Problem]]:
    """Read a file's bytes by its name's ending; return its tables and the problems found."""
    suffix = suffix.lower()
    if suffix in CSV_SUFFIXES:
        if sheets:
            return [], [Problem(source, None, None, "a CSV file has no sheets to choose")]
        return read_csv(data, source, encoding=encoding)
    if suffix in EXCEL_SUFFIXES:
        return read_xlsx(data, source, sheets=sheets)
    if suffix == ".xls":
        return [], [Problem(source, None, None, "the old Excel format (.xls) is not read; "
                            "save the workbook as .xlsx or the sheet as CSV UTF-8")]
    return [], [Problem(source, None, None, f"cannot tell the format from the ending "
                        f"{suffix or '(none)'!r}; expected .csv, .tsv or .xlsx")]


# ---------------------------------------------------------------------------- CSV


def decode(data: bytes, source: str, encoding: str | None) -> tuple[str | None, list[Problem]]:
    """The file's text, or a problem saying where the first undecodable byte is."""
    if encoding is None:
        bom16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        encoding = "utf-16" if bom16 else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except LookupError:
        return None, [Problem(source, None, None, f"unknown text encoding {encoding!r}")]
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start: exc.start + 4]
        hint = ""
        if encoding == "utf-8-sig":
            try:
                data.decode("gb18030")
                hint = (" It reads as GB18030 (Excel on a Chinese-language Windows saves CSV so):"
                        " save it as 'CSV UTF-8', or import it with encoding gb18030.")
            except UnicodeDecodeError:
                hint = " Save it as 'CSV UTF-8'."
        shown = "UTF-8" if encoding == "utf-8-sig" else encoding
        return None, [Problem(
            source, None, None,
            f"line {line}: the file is not {shown} text (byte {exc.start}: {exc.reason}).{hint}",
            value=bad.hex(" "),
        )]
    return text.removeprefix("\ufeff"), []


#: the first header of an SDMX-CSV file and the delimiter right after it (SDMX-CSV 2.0 says
#: the delimiter is "the character that follows the fixed first column header term")
_SDMX_FIRST = re.compile(r'^"?(?:DATAFLOW|STRUCTURE(?:\[[^\]]*\])?)"?(?P<delim>[,;\t|])',
                         re.IGNORECASE)


def sniff_delimiter(text: str) -> str:
    """The delimiter that turns most of the first line into known column names.

    An SDMX-CSV file (first header ``DATAFLOW`` or ``STRUCTURE``) names its own: the
    character after that first header.
    """
    first = text.split("\n", 1)[0].rstrip("\r")
    sdmx = _SDMX_FIRST.match(first.strip())
    if sdmx:
        return sdmx["delim"]
    best, best_known = ",", -1
    for delim in (",", ";", "\t"):
        names = next(csv.reader([first], delimiter=delim), [])
        known = sum(1 for n in names if canonical(n) is not None)
        if known > best_known:
            best, best_known = delim, known
    return best


def read_csv(data: bytes, source: str, *, encoding: str | None = None
             ) -> tuple[list[Table], list[Problem]]:
    """A CSV's one table; malformed quoting is a problem, not a silently merged row."""
    text, problems = decode(data, source, encoding)
    if text is None:
        return [], problems
    if not text.strip():
        return [], [Problem(source, None, None, "the file is empty")]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text),
                        strict=True)
    table: Table | None = None
    number = 0
    try:
        for record in reader:
            number += 1
            if table is None:
                table = Table(source, None, list(record))
            elif any(cell.strip() for cell in record):
                table.rows.append((number, list(record)))
    except csv.Error as exc:
        return [], [Problem(source, number + 1, None,
                            f"not readable as CSV near line {reader.line_num}: {exc}")]
    return ([table] if table is not None else []), []


# ---------------------------------------------------------------------------- Excel


def read_xlsx(data: bytes, source: str, *, sheets: Sequence[str] | None = None
              ) -> tuple[list[Table], list[Problem]]:
    """Every worksheet with content (or the ``sheets`` named), with saved cell values.

    The workbook is opened twice, for values and for formulas, so a formula whose result
    was never saved can be named instead of being read as an empty cell.
    """
    import openpyxl  # imported here: CSV imports should not pay for it

    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        return [], [Problem(source, None, None,
                            f"not a readable .xlsx workbook ({exc.__class__.__name__}: {exc}); "
                            "an old .xls renamed to .xlsx is not one")]
    try:
        # worksheets only: a chart sheet holds no cells
        names = [ws.title for ws in values.worksheets]
        problems = [Problem(source, None, None, f"the workbook has no sheet {name!r}; it has "
                            f"{', '.join(map(repr, names))}") for name in (sheets or ())
                    if name not in names]
        tables = []
        for name in names:
            if sheets and name not in sheets:
                continue
            table = _read_sheet(values[name], formulas[name], source, name)
            if table is not None:
                tables.append(table)
        return tables, problems
    finally:
        values.close()
        formulas.close()


def _read_sheet(ws: Any, ws_formulas: Any, source: str, name: str) -> Table | None:
    # Some writers record wrong sheet dimensions; reset so every row is read.
    ws.reset_dimensions()
    ws_formulas.reset_dimensions()
    header: list[object] | None = None
    header_blank = False
    rows: list[tuple[int, list[object]]] = []
    pairs = zip(ws.iter_rows(min_row=1), ws_formulas.iter_rows(min_row=1), strict=False)
    for number, (cells, formula_cells) in enumerate(pairs, start=1):
        values = [_cell_value(c, f) for c, f in zip(cells, _pad(formula_cells, len(cells)),
                                                      strict=True)]
        blank = all(v is None or (isinstance(v, str) and not v.strip()) for v in values)
        if number == 1:
            header, header_blank = values, blank
        elif not blank:
            rows.append((number, values))
    if header is None or (header_blank and not rows):
        return None  # an empty sheet: nothing in it to lose
    return Table(source, name, header, rows)


def _pad(cells: Sequence[Any], n: int) -> list[Any]:
    out = list(cells)[:n]
    return out + [None] * (n - len(out))


_QUOTED = re.compile(r'"[^"]*"|\\.')


def _cell_value(cell: Any, formula_cell: Any) -> object:
    value = getattr(cell, "value", None)
    if getattr(cell, "data_type", None) == "e" and isinstance(value, str):
        return SheetError(value)
    if value is None:
        formula = getattr(formula_cell, "value", None)
        if isinstance(formula, str) and formula.startswith("="):
            return Uncalculated(formula)
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        # '%' outside quotes and escapes scales the shown number by 100; 0.0"%" does not
        fmt = _QUOTED.sub("", str(getattr(cell, "number_format", "") or ""))
        if "%" in fmt:
            return percent_display(float(value))
    return value
