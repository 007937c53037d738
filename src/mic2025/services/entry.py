"""Figures entered in the browser's form or sent as JSON rows: the same submission as a file.

The form of an area and year (:func:`form`) lists the rows the template asks for
(:func:`~.submissions.template_rows`: each indicator for the year, then for the base year),
with the store's figures of the year before and of the base year beside each. Saving
(:func:`save`) writes the filled rows as a CSV file in the template's columns and hands it to
:func:`~.submissions.upload`: the same checks, the same draft (the open submission of the
area and year, reused), the same report, the same submit and approval after it. A draft is
resumed by reading the open submission's file back — one saved from the form or an uploaded
template alike. :func:`upload_rows` is the API's JSON rows, checked the same way; rows
with any problem are refused whole (:class:`RowsRejected`) and nothing is kept.

An area's own submissions only (the plan's area or one below it): an enterprise's return
is still a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from ..errors import Mic2025Error
from ..ingest.clean import CleanError, parse_year
from ..ingest.columns import canonical
from ..ingest.load import table_rows
from ..ingest.readers import EXCEL_SUFFIXES, read_table
from ..ingest.validate import metric_units
from ..observation import Observation
from ..permissions import Actor, Resource, require
from ..plan import Metric, Plan
from ..store import Store
from ..store.db import StoreEngine as Engine
from ..store.submissions import ReportProblem, Submission
from . import submissions as workflow

#: what the form asks of each row; the rest of the template's columns are filled in
FIELDS = ("value", "unit", "publisher", "publication", "publication_date", "note")
#: the form's columns the entry CSV leaves for the template to fill (a row with nothing else
#: is not reported)
_GIVEN = ("value", "publisher", "publication", "publication_date", "note")
#: the most JSON rows one request may carry (a province's return is tens to thousands)
MAX_JSON_ROWS = 10_000


class RowsRejected(Mic2025Error):
    """JSON rows with problems (HTTP 422): each with its row (1 = the first) and column."""

    def __init__(self, problems: list[dict[str, Any]], total: int) -> None:
        self.problems = problems
        self.total = total
        super().__init__(f"{total:,} problem(s) in the rows; nothing was stored")
        self.saying("error.rows_rejected", n=f"{total:,}")


@dataclass
class Cell:
    """One (indicator, year) row of the form: what is entered and what is wrong with it."""

    metric: Metric
    year: int
    values: dict[str, str]
    problems: list[ReportProblem] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The row's prefix in the form's field names (``rd_intensity.2024``)."""
        return f"{self.metric.id}.{self.year}"


@dataclass
class Line:
    """One indicator of the form: this year's row, the base year's, and the stored figures."""

    metric: Metric
    units: list[str]
    current: Cell
    base: Cell | None
    last_year: Observation | None
    base_year: Observation | None


@dataclass
class Form:
    area: str
    year: int
    base_year: int
    lines: list[Line]
    submission: Submission | None
    #: the open submission is awaiting approval: shown, not editable
    locked: bool
    #: rows of the open submission's file that no cell of the form shows
    other_rows: int
    #: problems of the report that belong to no cell (the file, the header)
    general: list[ReportProblem]


def _resource(area: str) -> Resource:
    return Resource("submission", area=area)




def open_submission(engine: Engine, actor: Actor, area: str, year: int) -> Submission | None:
    """The province's submission of ``year`` that is not yet approved, if any."""
    for s in workflow.list_for(engine, actor, year=year, area=area):
        if s.kind == "province" and s.status != "approved":
            return workflow.get(engine, actor, s.id)
    return None


def form(engine: Engine, store: Store, plan: Plan, actor: Actor, *, area: str,
         year: int) -> Form:
    """The entry form of an area the plan asks figures of (:func:`.submissions.plan_areas`:
    its own area, then those below it) and a year, with its open draft filled in."""
    workflow.check_area(plan, area)
    require(actor, "submission:upload", _resource(area))
    s = open_submission(engine, actor, area, year)
    entered: dict[tuple[str, int], dict[str, str]] = {}
    at: dict[tuple[str | None, int], tuple[str, int]] = {}
    other = 0
    if s is not None:
        filename, data = workflow.content(engine, actor, s.id)
        entered, at, other = _read_back(data, filename, plan, area)
    cells: dict[tuple[str, int], Cell] = {}
    for metric, row_year in workflow.template_rows(plan, year):
        values = {"unit": metric.unit} | entered.get((metric.id, row_year), {})
        cells[(metric.id, row_year)] = Cell(metric, row_year, values)
    general: list[ReportProblem] = []
    for p in s.problems if s is not None else []:
        key = at.get((p.sheet, p.row or 0))
        if key is not None and key in cells:
            cells[key].problems.append(p)
        else:
            general.append(p)
    stored = _stored(store, plan, area, (year - 1, plan.base_year))
    lines = []
    for metric in plan.indicators:
        base = stored.get((metric.id, plan.base_year))
        base_cell = cells.get((metric.id, plan.base_year))
        # the base year is asked for where the store has none, or the draft already gives it
        if base_cell is not None and base is not None and not base_cell.values.get("value"):
            base_cell = None
        lines.append(Line(metric, metric_units(metric), cells[(metric.id, year)], base_cell,
                          stored.get((metric.id, year - 1)), base))
    return Form(area, year, plan.base_year, lines, s,
                locked=s is not None and s.status == "submitted", other_rows=other,
                general=general)


def _stored(store: Store, plan: Plan, area: str, years: Sequence[int]
            ) -> dict[tuple[str, int], Observation]:
    """The store's annual figure of each indicator in each of ``years`` for the area (the
    all-industry, unscoped one when there are several)."""
    out: dict[tuple[str, int], Observation] = {}
    ids = [m.id for m in plan.indicators]
    for o in store.observations(indicators=ids, area=area):
        if not o.period.is_annual or o.period.year not in years:
            continue
        key = (o.indicator, o.period.year)
        best = out.get(key)
        if best is None or (o.sector, o.scope) < (best.sector, best.scope):
            out[key] = o
    return out


def _read_back(data: bytes, filename: str, plan: Plan, area: str
               ) -> tuple[dict[tuple[str, int], dict[str, str]],
                          dict[tuple[str | None, int], tuple[str, int]], int]:
    """A draft's file as the form's cells: by (indicator, year), the cells entered; by
    (sheet, row), which form row a line of the file is; and how many rows fit no form row."""
    suffix = PurePath(filename).suffix
    sheets = workflow.data_sheets(data, workflow.UPLOAD_LIMITS) \
        if suffix.lower() in EXCEL_SUFFIXES else None
    tables, _ = read_table(data, filename, suffix, sheets=sheets,
                           limits=workflow.UPLOAD_LIMITS)
    entered: dict[tuple[str, int], dict[str, str]] = {}
    at: dict[tuple[str | None, int], tuple[str, int]] = {}
    other = 0
    indicators = {m.id for m in plan.indicators}
    for table in tables:
        table, _dropped = workflow.drop_unreported(table)
        for raw in table_rows(table, plan)[0]:
            code = str(raw.cells.get("indicator") or "").strip()
            try:
                year = parse_year(raw.cells.get("year"))
            except CleanError:
                year = 0
            row_area = str(raw.cells.get("area") or "").strip()
            key = (code, year)
            if code not in indicators or not year or key in entered or \
                    row_area not in ("", area):
                other += 1
                continue
            entered[key] = {name: _text(raw.cells.get(name)) for name in FIELDS
                            if raw.cells.get(name) not in (None, "")}
            at[(raw.sheet, raw.row)] = key
    return entered, at, other


def _text(cell: object) -> str:
    if isinstance(cell, float):
        return repr(cell).removesuffix(".0") if cell.is_integer() else repr(cell)
    if hasattr(cell, "isoformat"):
        return str(cell.isoformat())[:10]
    return str(cell).strip()


# ------------------------------------------------------------------------------ saving


def entry_csv(rows: Sequence[Mapping[str, object]]) -> bytes:
    """Rows (cells by long-format column) as a CSV file in the template's columns.

    The cells are written as given: the checks read them exactly as they read a template's
    cells, so what the form or the API sends is judged as the same figures in a file would be.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([h for h, _ in workflow.TEMPLATE_COLUMNS])
    for r in rows:
        writer.writerow(["" if r.get(name) is None else r.get(name)
                         for _, name in workflow.TEMPLATE_COLUMNS])
    return out.getvalue().encode("utf-8")


def form_rows(plan: Plan, area: str, year: int,
              fields: Mapping[str, str]) -> list[dict[str, object]]:
    """The filled rows of a posted form (``{indicator}.{year}.{field}`` → text), in the
    template's order, each with what the template fills in; empty rows left out."""
    from ..ingest.messages import unit_words

    out: list[dict[str, object]] = []
    for metric, row_year in workflow.template_rows(plan, year):
        prefix = f"{metric.id}.{row_year}."
        given = {name: fields.get(prefix + name, "").strip() for name in FIELDS}
        if not any(given[name] for name in _GIVEN):
            continue
        unit = given["unit"] or metric.unit
        out.append({"indicator": metric.id, "indicator_name": metric.name.zh, "area": area,
                    "year": row_year, "unit": unit, "unit_name": unit_words(unit, "zh"),
                    **{k: v for k, v in given.items() if k != "unit"}})
    return out


def save(engine: Engine, plan: Plan, actor: Actor, *, area: str, year: int,
         fields: Mapping[str, str], ip: str = "") -> Submission:
    """Keep the form's rows as the open draft of the area and year (see the module)."""
    workflow.check_area(plan, area)
    require(actor, "submission:upload", _resource(area))
    data = entry_csv(form_rows(plan, area, year, fields))
    return workflow.upload(engine, plan, actor, area=area, year=year,
                           filename=f"entry-{area}-{year}.csv", data=data, ip=ip)


def upload_rows(engine: Engine, plan: Plan, actor: Actor, *, area: str, year: int,
                rows: Sequence[Mapping[str, object]], enterprise: str = "",
                ip: str = "") -> Submission:
    """JSON rows (cells by long-format column) as the open submission of the area and year.

    Checked as a file of those rows would be; any problem refuses them all
    (:class:`RowsRejected`, each problem with its row — 1 for the first — and column, in
    both languages) and nothing is kept.
    """
    workflow.check_area(plan, area)
    require(actor, "submission:upload", Resource("submission", area=area,
                                                 enterprise=enterprise))
    if len(rows) > MAX_JSON_ROWS:
        # said by its own key (RowsRejected sets error.rows_rejected); API only
        raise RowsRejected([{"row": None, "column": None, "value": None,
                             "message": f"{len(rows):,} rows; one request carries at most "
                                        f"{MAX_JSON_ROWS:,}", "messages": {}}], 1)
    data = entry_csv(rows)
    name = f"rows-{enterprise or area}-{year}.csv"
    checked = workflow.check_upload(data, name, plan, area)
    if checked.problem_count:
        found = workflow.problem_dicts(checked.problems, plan)
        for p in found:
            # the file's row 2 is the first JSON row; its columns are the JSON keys
            p["row"] = p["row"] - 1 if p["row"] else None
            p["column"] = canonical(p["column"]) or p["column"] if p["column"] else None
            p.pop("sheet", None)
            p.pop("level", None)
        # said by its own key (RowsRejected sets error.rows_rejected); API only
        raise RowsRejected(found, checked.problem_count)
    return workflow.upload(engine, plan, actor, area=area, year=year, filename=name, data=data,
                           enterprise=enterprise, ip=ip)


__all__ = ["Cell", "Form", "Line", "RowsRejected", "entry_csv", "form", "form_rows",
           "open_submission", "save", "upload_rows"]
