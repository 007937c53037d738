"""Readers: a CSV or Excel file's bytes into tables of raw cells, with row numbers as shown.

Row numbers are the spreadsheet's own: the header is row 1, and a CSV row is a record (a
quoted cell spanning two lines is still one row, as a spreadsheet shows it). Rows with no
value at all are passed over — they carry nothing to lose.

CSV
    UTF-8, with or without a byte-order mark; UTF-16 when the file starts with a UTF-16
    byte-order mark (Excel's "Unicode text"); any encoding when named (``encoding="gbk"``).
    A file that is not UTF-8 and names no encoding is read in the legacy encoding it
    reads as (:func:`legacy_encoding`: GB18030, which covers GBK and GB2312 — what Excel
    on a Chinese-language Windows writes — or Big5), and the table says what was assumed
    (``Table.encoding``) so that the reader is told; one that reads as neither is refused
    with the line of the first bad byte. The delimiter — comma, semicolon or tab — is the
    one that makes most of row 1 into known column names (in SDMX-CSV, the character after
    the first header).
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
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import Problem
from .clean import SheetError, Uncalculated, percent_display
from .columns import canonical
from .limits import DEFAULT_LIMITS, RATIO_FLOOR, Limits

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
    #: the legacy encoding a CSV was read in because it was not UTF-8 and named none
    encoding: str | None = None


def read_table(
    data: bytes,
    source: str,
    suffix: str,
    *,
    encoding: str | None = None,
    sheets: Sequence[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[list[Table], list[Problem]]:
    """Read a file's bytes by its name's ending; return its tables and the problems found.

    A file past one of ``limits`` gives no table and one problem naming the limit.
    """
    suffix = suffix.lower()
    if len(data) > limits.max_file_bytes:
        return [], [too_big(source, len(data), limits)]
    if suffix in CSV_SUFFIXES:
        if sheets:
            return [], [Problem(source, None, None, "a CSV file has no sheets to choose")]
        return read_csv(data, source, encoding=encoding, limits=limits)
    if suffix in EXCEL_SUFFIXES:
        return read_xlsx(data, source, sheets=sheets, limits=limits)
    if suffix == ".xls":
        return [], [Problem(source, None, None, "the old Excel format (.xls) is not read; "
                            "save the workbook as .xlsx or the sheet as CSV UTF-8")]
    return [], [Problem(source, None, None, f"cannot tell the format from the ending "
                        f"{suffix or '(none)'!r}; expected .csv, .tsv or .xlsx")]


def too_big(source: str, size: int, limits: Limits) -> Problem:
    """The problem of a file larger than ``limits.max_file_bytes``."""
    return Problem(source, None, None, f"the file is {size:,} bytes, more than the "
                   f"{limits.max_file_bytes:,} bytes an import reads; split it into smaller "
                   "files")


class _Bounds:
    """Counts a file's data rows against the limits as they are read, over all its sheets."""

    def __init__(self, source: str, limits: Limits) -> None:
        self.source = source
        self.limits = limits
        self.rows = 0

    def row(self, number: int, cells: list[Any], sheet: str | None) -> Problem | None:
        """The problem that stops reading at this row, if any; ``cells`` may be trimmed."""
        width = self.limits.max_columns
        if len(cells) > width:
            while cells and _blank(cells[-1]):
                cells.pop()  # a spreadsheet's empty formatting out to the right
            if len(cells) > width:
                return Problem(self.source, number, None, f"row {number} has {len(cells):,} "
                               f"cells; a file may have at most {width:,} columns (the long "
                               "format has 15): reading stopped here", sheet=sheet)
        if number > 1 and any(not _blank(c) for c in cells):
            self.rows += 1
            if self.rows > self.limits.max_rows:
                return Problem(self.source, number, None, "the file has more than "
                               f"{self.limits.max_rows:,} data rows, the most one import reads "
                               f"(reading stopped at row {number:,}); split it into smaller "
                               "files", sheet=sheet)
        return None


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# ---------------------------------------------------------------------------- CSV


#: the share of a GB18030 reading's Chinese characters that must be common simplified ones
#: (GB2312) for the file to be taken as GB18030 rather than Big5: Big5 bytes read as GB18030
#: give mostly rare characters of GBK's extension, since half of Big5's second bytes fall
#: outside GB2312's range
GB_COMMON_SHARE = 0.8


def legacy_encoding(data: bytes) -> str | None:
    """The legacy Chinese encoding a file that is not UTF-8 reads as, or ``None``.

    ``"gb18030"`` when the bytes read as GB18030 and its Chinese characters are mostly
    GB2312's common ones; else ``"big5"`` when they read as Big5; else ``"gb18030"`` when
    they read as that at all; ``None`` for bytes that read as neither.
    """
    readings: dict[str, str] = {}
    for name in ("gb18030", "big5"):
        try:
            readings[name] = data.decode(name)
        except UnicodeDecodeError:
            continue
    gb = readings.get("gb18030")
    if gb is not None:
        chinese = [c for c in gb if ord(c) > 0x7F]
        common = sum(1 for c in chinese if _in_gb2312(c))
        if not chinese or common >= GB_COMMON_SHARE * len(chinese) or "big5" not in readings:
            return "gb18030"
    return "big5" if "big5" in readings else None


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def decode(data: bytes, source: str, encoding: str | None,
           assumed: list[str] | None = None) -> tuple[str | None, list[Problem]]:
    """The file's text, or a problem saying where the first undecodable byte is.

    Without ``encoding``, a file that is not UTF-8 is read in its :func:`legacy_encoding`,
    whose name is appended to ``assumed``.
    """
    if encoding is None:
        bom16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        encoding = "utf-16" if bom16 else "utf-8-sig"
    try:
        text = data.decode(encoding)
    except LookupError:
        return None, [Problem(source, None, None, f"unknown text encoding {encoding!r}")]
    except UnicodeDecodeError as exc:
        if encoding == "utf-8-sig":
            legacy = legacy_encoding(data)
            if legacy is not None:
                if assumed is not None:
                    assumed.append(legacy)
                return data.decode(legacy), []
        line = data[: exc.start].count(b"\n") + 1
        bad = data[exc.start: exc.start + 4]
        hint = " Save it as 'CSV UTF-8'." if encoding == "utf-8-sig" else ""
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


#: characters of the first line the delimiter is told from: known names come first, and a
#: longer line (a spreadsheet's empty cells out to the right) would tell nothing more
SNIFF_CHARS = 64 * 1024


def sniff_delimiter(text: str) -> str:
    """The delimiter that turns most of the first line into known column names.

    An SDMX-CSV file (first header ``DATAFLOW`` or ``STRUCTURE``) names its own: the
    character after that first header. Only the first :data:`SNIFF_CHARS` characters are
    looked at, so no cell of them can exceed the ``csv`` module's field limit.
    """
    first = text[:SNIFF_CHARS].split("\n", 1)[0].rstrip("\r")
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


#: a line with its line end (CRLF, CR or LF, as a file opened with ``newline=""`` gives it)
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterable[str]:
    # one line at a time: a StringIO would hold a second copy of the whole text
    return (m.group() for m in _LINE.finditer(text))


def read_csv(data: bytes, source: str, *, encoding: str | None = None,
             limits: Limits = DEFAULT_LIMITS) -> tuple[list[Table], list[Problem]]:
    """A CSV's one table; malformed quoting is a problem, not a silently merged row."""
    assumed: list[str] = []
    text, problems = decode(data, source, encoding, assumed)
    if text is None:
        return [], problems
    if not text or text.isspace():  # (strip() would copy the whole text)
        return [], [Problem(source, None, None, "the file is empty")]
    reader = csv.reader(_lines(text), delimiter=sniff_delimiter(text), strict=True)
    bounds = _Bounds(source, limits)
    table: Table | None = None
    number = 0
    try:
        for record in reader:
            number += 1
            stop = bounds.row(number, record, None)
            if stop is not None:
                return [], [stop]
            if table is None:
                table = Table(source, None, list(record), encoding=next(iter(assumed), None))
            elif any(cell.strip() for cell in record):
                table.rows.append((number, list(record)))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            return [], [Problem(source, number + 1, None, "a cell is longer than "
                                f"{csv.field_size_limit():,} characters, the most a CSV cell "
                                "may hold (or a quote is never closed)")]
        return [], [Problem(source, number + 1, None,
                            f"not readable as CSV near line {reader.line_num}: {exc}")]
    return ([table] if table is not None else []), []


# ---------------------------------------------------------------------------- Excel


#: the last row a spreadsheet has: openpyxl yields every row up to a cell's row number, so a
#: sheet claiming a cell in row 10**9 would otherwise be walked for ever
EXCEL_ROWS = 1_048_576
#: how much of a workbook part is unpacked at a time while it is counted
MIB_CHUNK = 1024 * 1024
#: what openpyxl (and the zip and XML readers under it) raise for a file it cannot read
_UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError,
               ValueError, TypeError, SyntaxError, zlib.error, NotImplementedError,
               RuntimeError)


def check_workbook(data: bytes, source: str, limits: Limits = DEFAULT_LIMITS) -> Problem | None:
    """The problem that refuses a workbook before any XML of it is parsed, or ``None``.

    The zip's directory says how big each part unpacks and how well it packed; a part
    that unpacks past the limits is refused from those figures alone, unread. Those
    figures are the file's own word, so each part is then unpacked once, into nothing,
    counting what it really gives: a part that gives other bytes than its directory
    entry says (a bomb declaring a small size) is damaged, and is refused at that size.
    A file that is not a zip at all gives ``None``: opening it reports that.
    """
    parts = _zip_entries(data)
    if parts is not None and parts > limits.max_parts:
        return Problem(source, None, None, f"the workbook has {parts:,} parts, more than the "
                       f"{limits.max_parts:,} an import opens (a workbook has one per sheet, "
                       "image or chart, and a few more)")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except _UNREADABLE:
        return None
    with z:
        infos = z.infolist()
        unpacked = sum(i.file_size for i in infos)
        if unpacked > limits.max_unpacked_bytes:
            big = max(infos, key=lambda i: i.file_size)
            return Problem(source, None, None, f"the workbook unpacks to {unpacked:,} bytes "
                           f"({big.filename} alone to {big.file_size:,}), more than the "
                           f"{limits.max_unpacked_bytes:,} bytes an import unpacks; it was "
                           "refused unread")
        for i in infos:
            if i.file_size >= RATIO_FLOOR and \
                    i.file_size > limits.max_ratio * max(i.compress_size, 1):
                return Problem(source, None, None, f"the workbook part {i.filename} unpacks "
                               f"{i.file_size / max(i.compress_size, 1):,.0f} to 1 "
                               f"({i.file_size:,} bytes from {i.compress_size:,}); more than "
                               f"{limits.max_ratio} to 1 is refused as a likely zip bomb")
        for i in infos:
            try:
                got = _unpacked_size(z, i)
            except _UNREADABLE as exc:
                return Problem(source, None, None, f"the workbook is damaged: its part "
                               f"{i.filename} cannot be unpacked ({exc})")
            if got != i.file_size:
                return Problem(source, None, None, f"the workbook is damaged: its part "
                               f"{i.filename} unpacks to other than the {i.file_size:,} bytes "
                               "its directory entry says")
    return None


def _unpacked_size(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    # reads a chunk at a time and stops one chunk past the declared size, whatever the
    # data would inflate to (zipfile itself stops at the declared size, then checks the CRC)
    got = 0
    with z.open(info) as f:
        while chunk := f.read(MIB_CHUNK):
            got += len(chunk)
            if got > info.file_size:
                break
    return got


def _zip_entries(data: bytes) -> int | None:
    """The number of parts a zip's end record declares, before ``zipfile`` lists them all."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    (entries,) = struct.unpack_from("<H", data, at + 10)
    if entries != 0xFFFF:
        return int(entries)
    # zip64: the count is in the zip64 end record, which the locator before this one points to
    loc = data.rfind(b"PK\x06\x07", max(0, at - 20), at)
    if loc < 0:
        return None
    (offset,) = struct.unpack_from("<Q", data, loc + 8)
    if offset + 40 > len(data) or data[offset:offset + 4] != b"PK\x06\x06":
        return None
    return int(struct.unpack_from("<Q", data, offset + 32)[0])


def read_xlsx(data: bytes, source: str, *, sheets: Sequence[str] | None = None,
              limits: Limits = DEFAULT_LIMITS) -> tuple[list[Table], list[Problem]]:
    """Every worksheet with content (or the ``sheets`` named), with saved cell values.

    The workbook is opened twice, for values and for formulas, so a formula whose result
    was never saved can be named instead of being read as an empty cell. It is opened only
    once :func:`check_workbook` passes it.
    """
    import openpyxl  # imported here: CSV imports should not pay for it

    refused = check_workbook(data, source, limits)
    if refused is not None:
        return [], [refused]
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except _UNREADABLE as exc:
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
        bounds = _Bounds(source, limits)
        for name in names:
            if sheets and name not in sheets:
                continue
            table = _read_sheet(values[name], formulas[name], name, bounds)
            if isinstance(table, Problem):
                return [], [*problems, table]
            if table is not None:
                tables.append(table)
        return tables, problems
    finally:
        values.close()
        formulas.close()


def _read_sheet(ws: Any, ws_formulas: Any, name: str, bounds: _Bounds
                ) -> Table | Problem | None:
    """A sheet's table; ``None`` for an empty sheet; a problem that stops the whole file."""
    source = bounds.source
    # Some writers record wrong sheet dimensions; reset so every row is read.
    ws.reset_dimensions()
    ws_formulas.reset_dimensions()
    header: list[object] | None = None
    header_blank = False
    rows: list[tuple[int, list[object]]] = []
    pairs = zip(ws.iter_rows(min_row=1), ws_formulas.iter_rows(min_row=1), strict=False)
    number = 0
    try:
        for number, (cells, formula_cells) in enumerate(pairs, start=1):
            if number > EXCEL_ROWS:
                return Problem(source, number, None, "the sheet has rows past row "
                               f"{EXCEL_ROWS:,}, the last a spreadsheet has", sheet=name)
            values = [_cell_value(c, f) for c, f in zip(cells, _pad(formula_cells, len(cells)),
                                                          strict=True)]
            stop = bounds.row(number, values, name)
            if stop is not None:
                return stop
            blank = all(_blank(v) for v in values)
            if number == 1:
                header, header_blank = values, blank
            elif not blank:
                rows.append((number, values))
    except _UNREADABLE as exc:
        return Problem(source, number + 1, None, f"the sheet cannot be read past row {number:,}"
                       f" ({exc.__class__.__name__}: {exc})", sheet=name)
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
