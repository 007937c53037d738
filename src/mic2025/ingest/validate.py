"""Validation of long-format rows against the plan, the code lists and the units.

Every cell of every row is checked and every problem counted, so one pass over a file tells
its author everything to fix; the first problems are kept for the report and the rest only
counted (:class:`~.limits.ProblemLog`). A row becomes an :class:`~mic2025.observation.Observation`
only when nothing is wrong with it; the caller refuses the whole file when anything is.

The rules, in the order of the columns:

* ``indicator`` — an id of ``known_series(plan)`` (the plan's metrics and the bundled
  series catalogue); a near miss is suggested;
* ``area`` — a GB/T 2260 code known to :mod:`mic2025.reference` (``000000`` national; a
  spreadsheet's ``0`` is read as ``000000``; ``44`` as ``440000``), or a province's exact
  Chinese or English name;
* ``sector`` — blank (all industry) or a GB/T 4754-2017 code (``C``, ``36``, ``C36``);
* ``year`` — 1949–2100; ``period`` — see :func:`mic2025.periods.parse`, blank = the year;
* ``unit`` — readable by :func:`mic2025.units.normalise`, and the metric's unit, one of
  its ``units``, or convertible to one of them (万元 for an indicator in 亿元);
* ``value`` — a finite number (see :mod:`.clean`), and inside the metric's
  ``value_range`` once converted to the metric's unit; a count is never negative;
* ``lower`` ≤ ``value`` ≤ ``upper`` when given;
* ``flags`` — from ``observation.FLAGS``;
* the citation (:mod:`mic2025.citation`): ``publication_date`` a date; ``retrieved_from``
  an http(s) URL; ``grade`` one of ``official``, ``official_media``, ``industry_body``,
  ``other_copy``; every row names its publication (``publisher``/``publication``) or the
  copy read (``retrieved_from``). The legacy ``source`` fills ``retrieved_from`` when it is
  a URL, else ``publication``, and ``source_date`` fills ``publication_date``; a legacy
  cell that disagrees with the new one beside it is refused, naming both columns;
* the key (indicator, area, sector, period, scope, source) — once per file, its source
  being the citation's key (the publication, else the copy); every row of a repeated key
  is refused, naming a few of the others.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .. import periods, reference, units
from ..catalogue import known_series
from ..citation import Citation, is_url
from ..errors import Problem, UnknownCodeError
from ..observation import Observation
from ..plan import Metric, Plan
from ..store.models import LIMITS
from .clean import (
    CleanError,
    MissingValue,
    Refused,
    clean_code,
    clean_text,
    parse_date,
    parse_flags,
    parse_grade,
    parse_number,
    parse_optional_number,
    parse_year,
)
from .limits import ProblemLog

Key = tuple[str, str, str, str, str, str]


@dataclass(frozen=True)
class RawRow:
    """One data row as read: its place in the file and its cells by long-format column."""

    source: str
    sheet: str | None
    row: int
    cells: Mapping[str, object]
    names: Mapping[str, str]  # column → its header as the file wrote it, for messages

    def where(self) -> str:
        return f"row {self.row}" if self.sheet is None else f"sheet {self.sheet!r} row {self.row}"


class _Failed:
    """A cell that could not be read (its problem is already recorded)."""


FAILED = _Failed()


def validate_rows(rows: Iterable[RawRow], plan: Plan, problems: ProblemLog | None = None
                  ) -> tuple[list[Observation], ProblemLog]:
    """Check every row; return the observations of good rows and the problems found.

    The problems go into ``problems`` when given (a file's log, shared by every step of
    reading it), else into a new log with the default cap; that log is returned.
    """
    log = problems if problems is not None else ProblemLog()
    return [obs for _, obs in validated_rows(rows, plan, log)], log


def validated_rows(rows: Iterable[RawRow], plan: Plan, problems: ProblemLog
                   ) -> list[tuple[RawRow, Observation]]:
    """Each good row with its observation, in order; every problem goes into ``problems``."""
    context = _Context(known_series(plan))
    good: list[tuple[RawRow, Observation]] = []
    keys: dict[Key, list[RawRow]] = defaultdict(list)
    for raw in rows:
        check = _RowCheck(raw, context, keep=not problems.full)
        obs, key = check.run()
        problems.extend(check.problems)
        problems.count(check.failures - len(check.problems))
        if key is not None:
            keys[key].append(raw)
        if obs is not None:
            good.append((raw, obs))
    _duplicates(keys, problems)
    return good


def metric_units(metric: Metric) -> list[str]:
    """The canonical codes of a metric's unit and its other accepted units."""
    out = []
    for text in (metric.unit, *metric.units):
        try:
            code = units.normalise(text)
        except ValueError:
            continue
        if code not in out:
            out.append(code)
    return out


#: other rows a duplicate-key problem names; a key repeated on every row of a big file
#: would otherwise make each of its problems list the whole file
OTHERS_NAMED = 5


def _duplicates(keys: Mapping[Key, list[RawRow]], problems: ProblemLog) -> None:
    for key, rows in keys.items():
        if len(rows) < 2:
            continue
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(
            ("indicator", "area", "sector", "period", "scope", "source"), key, strict=True))
        for raw in rows:
            named = [r.where() for r in rows[:OTHERS_NAMED + 1] if r is not raw][:OTHERS_NAMED]
            rest = len(rows) - 1 - len(named)
            others = ", ".join(named) + (f" and {rest:,} more rows" if rest else "")
            problems.add(Problem(
                raw.source, raw.row, None,
                f"duplicate key ({shown}): also in {others}. A file gives one figure per key; "
                "a revision goes in a later file, a second source gets its own source name",
                sheet=raw.sheet, key="ingest.duplicate",
                args=(("indicator", key[0]), ("period", key[3]), ("others", others)),
            ))


def _show(cell: object) -> str | None:
    if cell is None or (isinstance(cell, Refused) and not cell.code):
        return None
    text = getattr(cell, "formula", None) or getattr(cell, "code", None) or str(cell)
    return text if len(text) <= 120 else text[:117] + "…"


class _Context:
    """What every row of one file is checked against, with answers worked out once."""

    def __init__(self, series: Mapping[str, Metric]) -> None:
        self.series = series
        self.names = list(series)
        self._near: dict[str, list[str]] = {}

    def near(self, code: str) -> list[str]:
        """Known ids close to an unknown one (the same typo on every row is looked up once)."""
        found = self._near.get(code)
        if found is None:
            found = difflib.get_close_matches(code, self.names, n=3, cutoff=0.6)
            if len(self._near) < 10_000:
                self._near[code] = found
        return found


class _RowCheck:
    """The checks of one row; ``keep`` False counts its problems without writing them up
    (the file's log keeps no more)."""

    def __init__(self, raw: RawRow, context: _Context, *, keep: bool = True) -> None:
        self.raw = raw
        self.context = context
        self.series = context.series
        self.keep = keep
        self.failures = 0
        self.problems: list[Problem] = []

    def bad(self, column: str, message: str, *, show: bool = True, key: str | None = None,
            params: Mapping[str, str] | None = None, **args: str) -> None:
        """Record a problem of ``column``; ``key`` and ``args`` say it in other languages
        (see :mod:`.messages`), and the row's indicator, when known, goes with every one."""
        self.failures += 1
        if not self.keep:
            return
        raw = self.raw
        code = raw.cells.get("indicator")
        named = {"indicator": code.strip()} if isinstance(code, str) and \
            code.strip() in self.series else {}
        self.problems.append(Problem(
            raw.source, raw.row, raw.names.get(column, column), message, sheet=raw.sheet,
            value=_show(raw.cells.get(column)) if show else None, key=key,
            args=tuple((k, str(v)) for k, v in (named | dict(params or {}) | args).items()),
        ))

    def read(self, column: str, reader: Any, *args: Any) -> Any:
        try:
            return reader(self.raw.cells.get(column), *args)
        except CleanError as exc:
            self.bad(column, str(exc), key=exc.key, params=exc.params)
            return FAILED

    def run(self) -> tuple[Observation | None, Key | None]:
        indicator, metric = self.indicator()
        area = self.area()
        sector = self.sector()
        year = self.read("year", parse_year)
        period = self.period(year)
        unit = self.unit(metric)
        value = self.value(unit)
        lower = self.read("lower", parse_optional_number, _unit_or_none(unit))
        upper = self.read("upper", parse_optional_number, _unit_or_none(unit))
        self.bounds(value, lower, upper)
        if metric is not None and isinstance(value, float) and isinstance(unit, str):
            self.in_range(metric, value, unit)
        flags = self.read("flags", parse_flags)
        scope = self.text("scope")
        citation = self.citation()
        source: Any = citation.key() if isinstance(citation, Citation) else FAILED
        note = self.text("note")
        quote = self.text("quote")

        # The key is worked out even when other cells are wrong, so that a repeated key is
        # reported alongside them rather than on the next attempt.
        key: Key | None = None
        if isinstance(period, periods.Period) and all(
            isinstance(p, str) for p in (indicator, area, sector, scope, source)
        ):
            key = (indicator, area, sector, period.code, scope, source)
        if self.failures or key is None:
            return None, key
        assert isinstance(period, periods.Period) and isinstance(citation, Citation)
        obs = Observation(
            indicator=indicator, area=area, period=period, value=value, unit=unit,
            source=source, sector=sector, scope=scope, citation=citation, flags=flags,
            note=note, quote=quote, lower=lower, upper=upper,
        )
        return obs, key

    def citation(self) -> Any:
        """The row's citation from its new cells and its legacy ``source``/``source_date``."""
        fields: dict[str, Any] = {
            name: self.text(name) for name in ("publisher", "publication", "locator")}
        fields["retrieved_from"] = self.text("retrieved_from")
        if isinstance(fields["retrieved_from"], str) and fields["retrieved_from"] and \
                not is_url(fields["retrieved_from"]):
            self.bad("retrieved_from", "not a web address: retrieved_from is the URL (http:// "
                     "or https://) of the copy read; a printed publication goes in publication",
                     key="ingest.url_bad")
            fields["retrieved_from"] = FAILED
        fields["publication_date"] = self.read("publication_date", parse_date)
        fields["grade"] = self.read("grade", parse_grade)
        source = self.text("source")
        source_date = self.read("source_date", parse_date)
        if isinstance(source, str) and source and not self.same_key(source, fields):
            legacy = Citation.from_source(source)
            column = "retrieved_from" if legacy.retrieved_from else "publication"
            mapped = legacy.retrieved_from or legacy.publication
            given = fields[column]
            if isinstance(given, str) and given and given != mapped:
                self.bad("source", f"the legacy source {mapped!r} and {self.name(column)} "
                         f"{given!r} disagree; give the source once: keep {column} and "
                         "delete the source cell, or make them the same", show=False)
                fields[column] = FAILED
            elif isinstance(given, str) and not given:
                fields[column] = mapped
        if source_date is not None and source_date is not FAILED:
            given_date = fields["publication_date"]
            if given_date is None:
                fields["publication_date"] = source_date
            elif given_date is not FAILED and given_date != source_date:
                self.bad("source_date", f"the legacy source_date {source_date.isoformat()} "
                         f"and {self.name('publication_date')} {given_date.isoformat()} "
                         "disagree; give the date once, in publication_date", show=False)
                fields["publication_date"] = FAILED
        if any(v is FAILED for v in fields.values()) or source is FAILED:
            return FAILED
        citation = Citation(**fields)
        if citation.empty:
            self.bad("publication", "required: name the figure's primary publication "
                     "(publisher and publication) or the copy read (retrieved_from, a URL)",
                     show=False, key="ingest.publication_required")
            return FAILED
        if len(citation.key()) > LIMITS["source"]:
            column = "publication" if citation.names_publication else "retrieved_from"
            self.bad(column, f"publisher and publication (or the URL) are {len(citation.key())} "
                     f"characters together; the store keys a figure by at most "
                     f"{LIMITS['source']}", show=False)
            return FAILED
        return citation

    def same_key(self, source: str, fields: Mapping[str, Any]) -> bool:
        """Whether a legacy ``source`` is the key the new cells give (as an export of the
        key column, SDMX's SOURCE, writes it)."""
        parts = [fields[n] for n in ("publisher", "publication") if isinstance(fields[n], str)]
        return source == " ".join(p for p in parts if p)

    def name(self, column: str) -> str:
        return self.raw.names.get(column, column)

    # ---------------------------------------------------------------- columns

    def indicator(self) -> tuple[Any, Metric | None]:
        code = self.read("indicator", clean_code)
        if code is FAILED:
            return FAILED, None
        if not code:
            self.bad("indicator", "required: the id of a plan metric or catalogue series",
                     key="ingest.indicator_required")
            return FAILED, None
        metric = self.series.get(code)
        if metric is None:
            near = self.context.near(code)
            hint = f"; did you mean {' or '.join(near)}?" if near else ""
            self.bad("indicator", "unknown indicator: not a metric of the plan nor a series of "
                     f"the catalogue{hint}", key="ingest.indicator_unknown", code=code,
                     near=",".join(near))
            return FAILED, None
        return code, metric

    def area(self) -> Any:
        code = self.read("area", clean_code)
        if code is FAILED:
            return FAILED
        if not code:
            self.bad("area", "required: a GB/T 2260 code such as 000000 (全国) or 110000 (北京市)",
                     key="ingest.area_required")
            return FAILED
        if code.isdigit() and not code.strip("0"):
            code = reference.NATIONAL  # a spreadsheet shows 000000 as 0
        try:
            return reference.area(code).code
        except UnknownCodeError:
            pass
        for known in reference.areas().values():
            if code in (known.name_zh, known.name_en) or code.lower() == known.name_en.lower():
                return known.code
        self.bad("area", "unknown area; expected a GB/T 2260 code such as 000000 (全国) or "
                 "110000 (北京市), or a province's name", key="ingest.area_unknown")
        return FAILED

    def sector(self) -> Any:
        code = self.read("sector", clean_code)
        if code is FAILED or not code:
            return code if code is FAILED else ""
        if code.isdigit() and len(code) == 1:
            code = code.zfill(2)  # a spreadsheet shows division 06 as 6
        try:
            return reference.industry(code).code
        except UnknownCodeError:
            self.bad("sector", "unknown industry; expected blank (all industry) or a GB/T "
                     "4754-2017 code such as C (制造业) or 36 (汽车制造业)")
            return FAILED

    def period(self, year: Any) -> Any:
        cell = self.raw.cells.get("period")
        if isinstance(cell, datetime) and cell.day == 1 and cell.time() == datetime.min.time():
            self.bad("period", "the cell holds the date "
                     f"{cell.date().isoformat()}, which a spreadsheet makes of '"
                     f"{cell:%Y-%m}'; write the period as text ('{cell:%Y-%m}' for a month, "
                     f"'{cell.date().isoformat()}' for an as-of date)")
            return FAILED
        if isinstance(cell, date | datetime):
            text = (cell.date() if isinstance(cell, datetime) else cell).isoformat()
        else:
            text = self.read("period", clean_code)
            if text is FAILED:
                return FAILED
        if year is FAILED:
            if not text:
                return FAILED  # nothing to check without the year
            year = None
        try:
            return periods.parse(text, year)
        except ValueError as exc:
            self.bad("period", str(exc))
            return FAILED

    def unit(self, metric: Metric | None) -> Any:
        text = self.read("unit", clean_code)
        if text is FAILED:
            return FAILED
        if not text:
            self.bad("unit", "required: the unit of the value (%, pp, count, 万元, 亿元, …)",
                     key="ingest.unit_required")
            return FAILED
        try:
            code = units.normalise(text)
        except ValueError as exc:
            self.bad("unit", str(exc), key="ingest.unit_unknown")
            return FAILED
        if len(code) > LIMITS["unit"]:
            self.bad("unit", f"a unit code is at most {LIMITS['unit']} characters")
            return FAILED
        if metric is not None:
            accepted = metric_units(metric)
            if code not in accepted and not any(units.convertible(code, a) for a in accepted):
                self.bad("unit", f"unit {code!r} does not fit {metric.id}, which is measured in "
                         f"{' or '.join(accepted)} (or a unit convertible to it)",
                         key="ingest.unit_mismatch", unit=code, accepted=",".join(accepted))
                return FAILED
        return code

    def value(self, unit: Any) -> Any:
        try:
            return parse_number(self.raw.cells.get("value"), _unit_or_none(unit))
        except MissingValue as exc:
            self.bad("value", f"{exc}; a long-format file lists published figures: delete the "
                     "row, or give the figure with flag 'estimate'", key="ingest.value_missing")
        except CleanError as exc:
            self.bad("value", str(exc), key=exc.key, params=exc.params)
        return FAILED

    def bounds(self, value: Any, lower: Any, upper: Any) -> None:
        if isinstance(lower, float) and isinstance(upper, float) and lower > upper:
            self.bad("lower", f"lower {lower:g} is above upper {upper:g}")
            return
        if isinstance(value, float):
            if isinstance(lower, float) and lower > value:
                self.bad("lower", f"lower {lower:g} is above the value {value:g}")
            if isinstance(upper, float) and upper < value:
                self.bad("upper", f"upper {upper:g} is below the value {value:g}")

    def in_range(self, metric: Metric, value: float, unit: str) -> None:
        accepted = metric_units(metric)
        if not accepted or not units.convertible(unit, accepted[0]):
            return
        canon = accepted[0]
        low, high = metric.value_range
        if canon == "count" and low is None:
            low = 0.0  # a count below zero is impossible whatever the plan says
        converted = units.convert(value, unit, canon)
        if (low is not None and converted < low) or (high is not None and converted > high):
            lo_text = "−∞" if low is None else f"{low:g}"
            hi_text = "∞" if high is None else f"{high:g}"
            span = f"{lo_text} to {hi_text}"
            in_canon = "" if unit == canon else f" (= {converted:g} {canon})"
            self.bad("value", f"{value:g} {unit}{in_canon} is impossible for {metric.id}, whose "
                     f"values lie between {span} {canon}", key="ingest.out_of_range",
                     number=f"{value:g}", unit=unit, low=lo_text, high=hi_text, canon=canon)

    def text(self, column: str, *, required: bool = False) -> Any:
        text = self.read(column, clean_text)
        if text is FAILED:
            return FAILED
        if required and not text:
            self.bad(column, f"required: {column} must say where the figure was published")
            return FAILED
        limit = LIMITS.get(column)
        if limit is not None and len(text) > limit:
            self.bad(column, f"{len(text)} characters; the store keeps at most {limit}", show=False)
            return FAILED
        return text


def _unit_or_none(unit: Any) -> str | None:
    return unit if isinstance(unit, str) else None
