"""SDMX-CSV of mic2025's own dataflow, read into long-format rows.

The platform exports observations as SDMX-CSV (``/api/export/sdmx-csv``, dataflow
``MIC2025:MIC2025_OBS(1.0)``, structure at ``/api/sdmx/structure``). This module reads
such a file back — one platform's export into another platform's store, or a
statistician's own SDMX-CSV of that dataflow — by translating each row into the cells of
a long-format row (:class:`~.validate.RawRow`); the rows are then checked by exactly the
same rules as a long-format file (:func:`~.validate.validate_rows`), all or nothing.

Recognised by the first header of a CSV file:

``DATAFLOW``
    SDMX-CSV 1.0: every row names its dataflow in that column.
``STRUCTURE`` (or ``STRUCTURE[;]``, which declares the multi-value separator)
    SDMX-CSV 2.0: ``STRUCTURE`` (``dataflow`` or ``datastructure``), ``STRUCTURE_ID`` and
    an optional ``ACTION`` column.

The columns, in any order (:data:`MAPPING`): the dimensions ``INDICATOR``, ``REF_AREA``,
``SECTOR`` (``_T`` = all industries, a blank sector), ``SCOPE`` (``_Z`` = none, a blank
scope), ``SOURCE`` and ``TIME_PERIOD`` (``2020``, ``2020-A1``, ``2020-Q3``, ``2020-07``,
``2020-M07``, ``2020-09-30``); the measure ``OBS_VALUE``; the attributes ``UNIT_MEASURE``
(an SDMX unit code, translated back to the mic2025 unit: :func:`unit_from_code`),
``OBS_STATUS`` (the flags, several separated by ``;``; ``OBS_STATUS[]`` is accepted),
``VINTAGE``, and the optional ``QUOTE`` (``quote``), ``COMMENT_OBS`` (``note``),
``LOWER_BOUND`` and ``UPPER_BOUND`` (``lower``, ``upper``) and the citation ``PUBLISHER``,
``PUBLICATION``, ``PUBLICATION_DATE`` (``2021-02-28``), ``LOCATOR``, ``RETRIEVED_FROM`` and
``GRADE`` (their long-format columns), read by the long format's rules; an empty cell or a
missing column is a figure without one. ``SOURCE`` is read as the long format's legacy
``source`` (the key's source, which agrees with the citation columns of an export), and
``SOURCE_DATE``, what exports from before the citation carried, as the legacy
``source_date``. ``VINTAGE`` numbers the batch a figure arrived in *in the exporting system*;
it says nothing about the figure, so it is checked (a whole number) and deliberately not
stored — the import is a vintage of this store, recorded with the file's name and sha256.
The platform's export carries every field of a figure, so an export of a store's current
figures imported back into it changes nothing, and into another store brings each figure
whole.

Apostrophes: the export writes text that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) with one apostrophe in front, and text
that starts with an apostrophe with one more (:mod:`mic2025.tabular`). So every cell read
here loses exactly one leading apostrophe, if it has one: ``'=cmd|'/c calc'!A1`` is read as
``=cmd|'/c calc'!A1`` and ``''quoted`` as ``'quoted``. A hand-written SDMX-CSV whose text
really starts with an apostrophe writes it twice.

Refused, never guessed:

* rows of another dataflow (or another version of this one): one problem per dataflow
  found, naming it, its rows, and the dataflow supported — the whole file is refused;
* a column that is not one of the above (a custom column, ``SERIES_KEY``, names added by
  ``labels=both``): it would be dropped unread;
* a missing dimension, ``OBS_VALUE`` or ``UNIT_MEASURE`` column: every row must be a whole
  observation;
* ``ACTION`` ``D`` (delete), ``R`` (replace) and ``M`` (merge): the store is append-only
  and a revision is a new figure, imported with ``I`` or ``A``; each such row is named;
* a unit code that stands for no unit of the plan, or for two; an SDMX period mic2025
  has no equivalent of (a half-year, a week, a time range).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .. import periods, units
from ..catalogue import known_series
from ..errors import Problem
from ..plan import Metric, Plan
from ..sdmx_codes import (
    AGENCY,
    DATAFLOW,
    DSD_ID,
    NOT_APPLICABLE,
    TOTAL_SECTOR,
    VERSION,
    unit_code,
)
from ..tabular import restore
from .clean import CleanError, Refused, clean_code
from .limits import ProblemLog
from .readers import Table
from .validate import RawRow, metric_units

DIMENSIONS = ("INDICATOR", "REF_AREA", "SECTOR", "SCOPE", "SOURCE", "TIME_PERIOD")
MEASURE = "OBS_VALUE"
ATTRIBUTES = ("UNIT_MEASURE", "OBS_STATUS", "VINTAGE", "QUOTE", "COMMENT_OBS",
              "LOWER_BOUND", "UPPER_BOUND", "PUBLISHER", "PUBLICATION", "PUBLICATION_DATE",
              "LOCATOR", "RETRIEVED_FROM", "GRADE", "SOURCE_DATE")
COMPONENTS = (*DIMENSIONS, MEASURE, *ATTRIBUTES)
#: columns every row needs: a whole observation with its unit
REQUIRED = (*DIMENSIONS, MEASURE, "UNIT_MEASURE")
#: the columns that identify the structure, by SDMX-CSV version
STRUCTURE_COLUMNS = {"1.0": ("DATAFLOW",), "2.0": ("STRUCTURE", "STRUCTURE_ID", "ACTION")}
#: the data structure, as a ``datastructure`` row of SDMX-CSV 2.0 names it
DATA_STRUCTURE = f"{AGENCY}:{DSD_ID}({VERSION})"

#: SDMX-CSV column → the long-format column(s) it fills; VINTAGE is checked, then dropped
MAPPING: dict[str, tuple[str, ...]] = {
    "INDICATOR": ("indicator",),
    "REF_AREA": ("area",),
    "SECTOR": ("sector",),
    "SCOPE": ("scope",),
    "SOURCE": ("source",),
    "TIME_PERIOD": ("year", "period"),
    "OBS_VALUE": ("value",),
    "UNIT_MEASURE": ("unit",),
    "OBS_STATUS": ("flags",),
    "VINTAGE": (),
    "QUOTE": ("quote",),
    "COMMENT_OBS": ("note",),
    "LOWER_BOUND": ("lower",),
    "UPPER_BOUND": ("upper",),
    "PUBLISHER": ("publisher",),
    "PUBLICATION": ("publication",),
    "PUBLICATION_DATE": ("publication_date",),
    "LOCATOR": ("locator",),
    "RETRIEVED_FROM": ("retrieved_from",),
    "GRADE": ("grade",),
    "SOURCE_DATE": ("source_date",),
}
#: attributes copied as they are into their long-format column (empty → absent)
_AS_WRITTEN = ("QUOTE", "COMMENT_OBS", "LOWER_BOUND", "UPPER_BOUND", "PUBLISHER",
               "PUBLICATION", "PUBLICATION_DATE", "LOCATOR", "RETRIEVED_FROM", "GRADE",
               "SOURCE_DATE")

#: actions imported: both add figures, which is all an append-only store does
ACCEPTED_ACTIONS = ("I", "A")
REFUSED_ACTIONS = {
    "D": "action D (delete) is refused: the store is append-only and never deletes a figure. "
         "Leave the row out; a wrong figure is corrected by importing the right one with "
         "action I or A (it is stored as a revision, and the old one stays in the history)",
    "R": "action R (replace) is refused: the store never replaces a figure in place. Send the "
         "corrected figure with action I or A: a changed figure is stored as a revision (a new "
         "vintage) and the earlier one stays in the history",
    "M": "action M (merge) is refused: the store never changes a figure in place. Send the "
         "figure with action I or A: a changed figure is stored as a revision (a new vintage)",
}

#: units whose code is not spelt by any plan: the fixed canonical units of mic2025.units
_FIXED_UNITS = ("%", "pp", "index", "count", "yuan", "10k_yuan", "100m_yuan", "%yoy",
                "decline%yoy")
#: the codes of change units against a base year (``%vs:2015`` is ``PCT_VS_2015``)
_CHANGE_CODE = re.compile(r"^(?P<kind>DECLINE_PCT|PCT|PP)_VS_(?P<year>[0-9]{4})$")
_CHANGE_UNIT = {"DECLINE_PCT": "decline%vs:", "PCT": "%vs:", "PP": "pp_vs:"}
_FIRST = re.compile(r"^(?P<name>DATAFLOW|STRUCTURE)(?:\[(?P<sep>[^\]]*)\])?$", re.IGNORECASE)
_TIME = re.compile(r"^[0-9]{4}(-Q[1-4]|-[0-9]{2}(-[0-9]{2})?)?$")


def version(table: Table) -> str | None:
    """``"1.0"`` or ``"2.0"`` when a table is SDMX-CSV (by its first header), else ``None``."""
    if not table.header:
        return None
    m = _FIRST.match(str(table.header[0] or "").strip())
    if m is None:
        return None
    return "1.0" if m["name"].upper() == "DATAFLOW" else "2.0"


def unit_codes(plan: Plan) -> dict[str, set[str]]:
    """SDMX unit code → the mic2025 units it is the code of, for every unit the plan knows.

    The units are those any metric or catalogue series states (canonical codes, as the
    store holds them) and the fixed units of :mod:`mic2025.units`; change units against a
    base year are read from their code's pattern (:func:`unit_from_code`). Every unit an
    import can accept is among them: a row's unit must be its metric's or convert to it.
    """
    out: dict[str, set[str]] = defaultdict(set)
    known = set(_FIXED_UNITS)
    for metric in known_series(plan).values():
        known.update(metric_units(metric))
    for unit in known:
        out[unit_code(unit)].add(unit)
    return dict(out)


def unit_from_code(code: str, codes: Mapping[str, set[str]], metric: Metric | None
                   ) -> str | Refused:
    """The mic2025 unit an SDMX unit code stands for — the inverse of :func:`unit_code`.

    ``codes`` is :func:`unit_codes` of the plan; ``metric`` the row's metric when known.
    A code that is the code of two units (``unit_code`` folds case and punctuation) is
    read as the one of them that fits the metric; if that still leaves two, or none is
    known, the cell is refused with the reason.
    """
    text = code.strip()
    key = text.upper()
    candidates = set(codes.get(key, ()))
    change = _CHANGE_CODE.match(key)
    if change:
        candidates.add(_CHANGE_UNIT[change["kind"]] + change["year"])
    candidates = {u for u in candidates if unit_code(u) == key}
    if len(candidates) > 1 and metric is not None:
        fitting = {u for u in candidates if _fits(u, metric)}
        candidates = fitting or candidates
    if len(candidates) == 1:
        return candidates.pop()
    if candidates:
        return Refused(text, f"the unit code {key} stands for {' and '.join(sorted(candidates))}"
                       "; mic2025 will not guess which")
    if key == NOT_APPLICABLE:
        return Refused(text, f"{NOT_APPLICABLE} (no unit): every figure needs its unit")
    hint = ""
    try:
        written = units.normalise(text)
    except ValueError:
        written = None
    if written is not None and unit_code(written) != key:
        hint = f"; UNIT_MEASURE holds SDMX codes: {written} is written {unit_code(written)}"
    elif metric is not None:
        accepted = metric_units(metric)
        if accepted:
            hint = f"; {metric.id} takes " + ", ".join(
                f"{unit_code(u)} ({u})" for u in accepted) + " or a unit convertible to it"
    return Refused(text, "unknown SDMX unit code: not the code of any unit of the plan "
                   f"(see the CL_UNIT codelist of /api/sdmx/structure){hint}")


def _fits(unit: str, metric: Metric) -> bool:
    accepted = metric_units(metric)
    return unit in accepted or any(units.convertible(unit, a) for a in accepted)


@dataclass
class _Layout:
    """Where each SDMX column is, and how the file wrote its header."""

    version: str
    subsep: str | None
    columns: dict[str, int] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)

    @property
    def id_column(self) -> str:
        return "DATAFLOW" if self.version == "1.0" else "STRUCTURE_ID"

    def name(self, ident: str) -> str:
        return self.written.get(ident, ident)


def raw_rows(table: Table, plan: Plan, problems: ProblemLog | None = None
             ) -> tuple[list[RawRow], ProblemLog]:
    """An SDMX-CSV table's rows as long-format rows, with every problem found on the way.

    Problems here are the SDMX ones (header, dataflow, action, vintage); the cells of
    the returned rows are then checked by :func:`~.validate.validate_rows`, which names
    the SDMX column a bad cell came from. They go into ``problems`` when given (else a new
    log), which is returned.
    """
    out = problems if problems is not None else ProblemLog()
    vers = version(table)
    first = _FIRST.match(str(table.header[0]).strip()) if table.header else None
    if vers is None or first is None:
        raise ValueError(f"{table.source}: not an SDMX-CSV table")
    layout = _Layout(vers, first["sep"][:1] if first["sep"] else None)
    header_problems = _read_header(table, layout)
    # the rows' problems wait here: the header's are listed first, or not at all (below)
    rows_log = ProblemLog(out.cap)

    def problem(number: int, column: str | None, message: str, value: object = None,
                log: ProblemLog = rows_log) -> None:
        log.add(Problem(table.source, number, column, message, sheet=table.sheet,
                        value=None if value in (None, "") else str(value)))

    foreign: dict[str, list[int]] = defaultdict(list)
    foreign_value: dict[str, str] = {}
    mine = 0  # rows of the MIC2025 dataflow, whatever their action
    ours: list[tuple[int, list[object]]] = []
    width = len(table.header)
    has_id = layout.id_column in layout.columns
    for number, cells in table.rows:
        extra = [c for c in cells[width:] if _filled(c)]
        if extra:
            problem(number, None, f"the row has {width + len(extra)} or more cells but the "
                    f"header names {width} columns", extra[0])
            continue
        if not has_id:
            continue  # a header problem says the structure column is missing
        which = _structure(cells, layout)
        if isinstance(which, _Foreign):
            foreign[which.described].append(number)
            foreign_value[which.described] = which.value
            continue
        if isinstance(which, _Bad):
            problem(number, which.column, which.message, which.value)
            continue
        mine += 1
        action = _action(cells, layout)
        if action is not None:
            problem(number, layout.name("ACTION"), action, _cell(cells, layout, "ACTION"))
            continue  # a delete may wildcard its dimensions: its other cells mean nothing
        ours.append((number, cells))

    foreign_problems = []
    for described, numbers in foreign.items():
        foreign_problems.append(Problem(
            table.source, numbers[0], layout.name(layout.id_column),
            f"{described} is not a dataflow mic2025 can import ({_rows(numbers)}): mic2025 "
            f"reads SDMX-CSV of dataflow {DATAFLOW} only — what "
            "the platform exports at /api/export/sdmx-csv, described at /api/sdmx/structure — "
            "and does not guess how another dataflow's columns map to its figures. The whole "
            "file is refused",
            sheet=table.sheet, value=foreign_value[described]))
    if not (foreign and not mine):
        # (a file of another dataflow: its columns are that dataflow's, not misspelt ones)
        out.extend(header_problems)
    out.absorb(rows_log)
    out.extend(foreign_problems)
    if foreign and not mine:
        return [], out
    if not has_id or any(c not in layout.columns for c in REQUIRED):
        return [], out  # without its columns no row can be read

    codes = unit_codes(plan)
    series = known_series(plan)
    names = {long: layout.name(sdmx) for sdmx, longs in MAPPING.items() for long in longs}
    raws = []
    for number, cells in ours:
        vintage = str(_cell(cells, layout, "VINTAGE") or "").strip()
        if vintage and not (vintage.isascii() and vintage.isdigit()):
            problem(number, layout.name("VINTAGE"), "VINTAGE is the exporting system's batch "
                    "number, a whole number (it is checked, then not stored)", vintage, out)
        raws.append(RawRow(table.source, table.sheet, number,
                           _long_cells(cells, layout, codes, series), names))
    return raws, out


def _read_header(table: Table, layout: _Layout) -> list[Problem]:
    """Resolve the header into ``layout``; return the problems with it (all in row 1)."""
    problems: list[Problem] = []
    known = (*STRUCTURE_COLUMNS[layout.version], *COMPONENTS)
    other = "2.0" if layout.version == "1.0" else "1.0"
    used = {i for _, cells in table.rows for i, c in enumerate(cells) if _filled(c)}

    def problem(message: str, column: str | None = None) -> None:
        problems.append(Problem(table.source, 1, column, message, sheet=table.sheet))

    for i, cell in enumerate(table.header):
        text = "" if cell is None else str(cell).strip()
        if not text:
            if i in used:
                problem(f"column {i + 1} holds values but has no header; name it or delete it")
            continue
        ident = "DATAFLOW" if i == 0 and layout.version == "1.0" else \
            "STRUCTURE" if i == 0 else text.upper()
        if ident == "OBS_STATUS[]":
            ident = "OBS_STATUS"  # SDMX-CSV 2.0 marks a multi-valued attribute so
        if ident not in known:
            label = ident.split(": ", 1)[0]
            if label in known:
                problem("the header carries the component's name (SDMX-CSV labels=both): export "
                        "with labels=id, codes only — the values would carry names too",
                        column=text)
                continue
            if ident in STRUCTURE_COLUMNS[other]:
                why = (f"{ident} is a column of SDMX-CSV {other}, but the first column "
                       f"{table.header[0]!s} makes this file SDMX-CSV {layout.version}")
            elif ident in ("SERIES_KEY", "OBS_KEY", "STRUCTURE_NAME"):
                why = (f"{ident} repeats what the other columns say; export without it "
                       "(keys=none, labels=id)")
            else:
                why = (f"not a column of {DATAFLOW}, whose columns are "
                       f"{', '.join((*STRUCTURE_COLUMNS[layout.version], *COMPONENTS))}; a "
                       "custom column is refused rather than dropped unread: delete it if "
                       "nothing in it needs keeping")
            problem(f"unknown column: {why}", column=text)
        elif ident in layout.columns:
            problem(f"column {layout.written[ident]!r} and column {text!r} are both {ident}; "
                    "keep one", column=text)
        else:
            layout.columns[ident] = i
            layout.written[ident] = text
    for ident in STRUCTURE_COLUMNS[layout.version][:2]:
        if ident not in layout.columns:
            problem(f"missing column {ident}: SDMX-CSV {layout.version} names each row's "
                    f"dataflow there ({DATAFLOW})", column=ident)
    for ident in REQUIRED:
        if ident not in layout.columns:
            problem(f"missing column {ident}: mic2025 stores whole observations, so every row "
                    "needs every dimension (" + ", ".join(DIMENSIONS) + "), OBS_VALUE and "
                    "UNIT_MEASURE", column=ident)
    return problems


@dataclass(frozen=True)
class _Foreign:
    """A row of another dataflow."""

    described: str  # "dataflow ECB:EXR(1.0)"
    value: str


@dataclass(frozen=True)
class _Bad:
    """A row whose structure cells cannot be read."""

    column: str
    message: str
    value: str | None = None


def _structure(cells: Sequence[object], layout: _Layout) -> _Foreign | _Bad | None:
    """``None`` for a row of the MIC2025 dataflow; otherwise what the row is of."""
    ident = str(_cell(cells, layout, layout.id_column) or "").strip()
    column = layout.name(layout.id_column)
    if layout.version == "1.0":
        kind = "dataflow"
    else:
        kind = str(_cell(cells, layout, "STRUCTURE") or "").strip().lower()
        if kind not in ("dataflow", "datastructure", "dataprovision"):
            return _Bad(layout.name("STRUCTURE"), "STRUCTURE must say what STRUCTURE_ID names: "
                        f"dataflow (mic2025 imports dataflow {DATAFLOW}) or datastructure",
                        kind or None)
    if not ident:
        return _Bad(column, f"required: the {kind} the row belongs to, {DATAFLOW}")
    expected = {"dataflow": DATAFLOW, "datastructure": DATA_STRUCTURE}.get(kind)
    if ident == expected:
        return None
    if expected is not None and ident.startswith(expected + ": "):
        return _Bad(column, "the structure id carries a name (SDMX-CSV labels=both); export "
                    "with labels=id, codes only", ident)
    described = {"dataflow": "dataflow", "datastructure": "data structure",
                 "dataprovision": "data provision agreement"}[kind]
    return _Foreign(f"{described} {ident}", ident)


def _action(cells: Sequence[object], layout: _Layout) -> str | None:
    """``None`` when the row's action adds figures; otherwise why the row is refused."""
    if "ACTION" not in layout.columns:
        return None  # SDMX-CSV 2.0: without the column every row is I (information)
    action = str(_cell(cells, layout, "ACTION") or "").strip().upper()
    if action in ACCEPTED_ACTIONS:
        return None
    if not action:
        return "required: the action, I (information) or A (append)"
    return REFUSED_ACTIONS.get(action, "unknown action; SDMX-CSV's actions are I (information), "
                               "A (append), R (replace) and D (delete), and mic2025 imports I "
                               "and A")


def _long_cells(cells: Sequence[object], layout: _Layout, codes: Mapping[str, set[str]],
                series: Mapping[str, Metric]) -> dict[str, object]:
    """The long-format cells of one row of the MIC2025 dataflow."""

    def get(ident: str) -> object:
        return _cell(cells, layout, ident)

    out: dict[str, object] = {
        "indicator": get("INDICATOR"), "area": get("REF_AREA"), "source": get("SOURCE"),
        "sector": _coded_blank(get("SECTOR"), TOTAL_SECTOR, "SECTOR", "all industries"),
        "scope": _coded_blank(get("SCOPE"), NOT_APPLICABLE, "SCOPE", "no particular scope"),
    }
    out["year"], out["period"] = _time_period(get("TIME_PERIOD"))
    value = get(MEASURE)
    if str(value or "").strip() in ("", "NaN"):
        value = Refused(str(value or "").strip(), "OBS_VALUE is missing: mic2025 imports "
                        "observations, each with its value; delete a row that has none (a row "
                        "that only sets attributes is not imported)")
    out["value"] = value
    unit = str(get("UNIT_MEASURE") or "").strip()
    try:
        metric = series.get(clean_code(out["indicator"]))
    except CleanError:
        metric = None
    out["unit"] = unit_from_code(unit, codes, metric) if unit else Refused(
        "", "required: UNIT_MEASURE, the SDMX code of the figure's unit (PCT for %, COUNT, "
        "100M_YUAN for 亿元 …; the CL_UNIT codelist of /api/sdmx/structure)")
    status = get("OBS_STATUS")
    if isinstance(status, str) and layout.subsep and layout.subsep != ";":
        status = status.replace(layout.subsep, ";")
    out["flags"] = status
    for ident in _AS_WRITTEN:
        (long,) = MAPPING[ident]
        out[long] = get(ident)  # checked by the long format's rules: an empty cell is none
    return out


def _coded_blank(cell: object, blank: str, column: str, meaning: str) -> object:
    text = str(cell or "").strip()
    if text == blank:
        return None
    if not text:
        return Refused("", f"{column} is empty: every dimension needs a value; {blank} is "
                       f"{meaning}")
    return cell


def _time_period(cell: object) -> tuple[object, object]:
    """The long format's ``year`` and ``period`` cells for an SDMX ``TIME_PERIOD``."""
    written = str(cell or "").strip()
    if not written:
        return Refused("", "required: TIME_PERIOD, the period the figure refers to"), None
    text = written.upper()
    annual = re.fullmatch(r"([0-9]{4})-A1", text)
    monthly = re.fullmatch(r"([0-9]{4})-M([0-9]{2})", text)
    if annual:
        text = annual[1]
    elif monthly:
        text = f"{monthly[1]}-{monthly[2]}"
    if _TIME.match(text):
        try:
            period = periods.parse(text, None)
        except ValueError as exc:
            return Refused(written, str(exc)), None
        return str(period.year), "" if period.is_annual else period.code
    return Refused(written, "no mic2025 period is this SDMX period: mic2025 keeps years (2020, "
                   "2020-A1), quarters (2020-Q3), months (2020-07, 2020-M07) and as-of dates "
                   "(2020-09-30); a half-year, a week, a time range or a time of day is refused, "
                   "not rounded to one of them"), None


def _cell(cells: Sequence[object], layout: _Layout, ident: str) -> object:
    i = layout.columns.get(ident)
    cell = cells[i] if i is not None and i < len(cells) else None
    # the exporter's one apostrophe in front of formula-looking text (module docstring)
    return restore(cell) if isinstance(cell, str) else cell


def _filled(cell: object) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _rows(numbers: Sequence[int]) -> str:
    """``row 3`` or ``rows 2–40, 45 (40 rows)``."""
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    return f"rows {_ranges(numbers)} ({len(numbers)} rows)"


def _ranges(numbers: Sequence[int], limit: int = 8) -> str:
    """Row numbers as ranges: ``2–40, 45``."""
    spans: list[tuple[int, int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    text = ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in spans[:limit])
    return text + (", …" if len(spans) > limit else "")
