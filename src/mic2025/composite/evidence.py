"""The unit × indicator data of an index from the evidence: what the store knows, per area.

An index whose indicators are plan metrics (YAML ``metric:``, see
:mod:`mic2025.composite.framework`) needs no data file: :func:`indicator_table` reads each
metric's observations of every area from the evidence store (or any observations) and puts
one figure per area and metric in the table, chosen the way the evaluation chooses:

* the figures are put on the metric's comparable measure by
  :func:`mic2025.evaluate.measures.comparable_series`, for the target the evaluation would
  judge that year (the first target in or after the year, else the last one; a level for a
  metric without targets, and for a change in points when the area has no base-year level:
  the levels themselves are compared, only the target needs the base). So the headline
  scope ranking, the refusal of proxies and of scopes the plan does not accept, unit
  conversion and the chaining of published changes into an index (the intensity metrics:
  2015 = 100) are the evaluation's own;
* the cell takes the first-ranked **full-year** figure of the year, as a verdict on that
  year does; a part-year figure leaves it missing;
* a plan's stated baselines describe the plan's own area and are ignored for any other,
  as in :func:`mic2025.evaluate.engine.evaluate`;
* with ``as_of``, what the store knew then (a date: the end of that day, UTC, as
  :func:`mic2025.store.repo.as_of_instant` reads it).

A cell with no figure stays missing (NaN) and :attr:`Evidence.missing` says why; the build
then treats it as any missing value (an ``impute`` step fills it, aggregation re-normalises
the weights over the members present by default). An indicator with no figure in any area
is an error: nothing could normalise or impute it. Every filled cell keeps the series point
it came from (source, scope, vintage, derivation) in :attr:`Evidence.cells`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import Framework
from mic2025.composite.table import Table
from mic2025.evaluate.measures import comparable_series
from mic2025.evaluate.model import SeriesPoint
from mic2025.observation import Observation
from mic2025.plan import Metric, Plan, Target, Text
from mic2025.reference import areas as known_areas
from mic2025.store.repo import as_of_instant

#: the unit of the comparable measure of each kind of target, given the metric's unit
_MEASURE_UNIT = {"level": None, "change_pp": None, "relative_change": "index",
                 "average_growth": "%yoy"}


class ObservationSource(Protocol):
    """What is read of the evidence store (:class:`mic2025.store.repo.Store`)."""

    def observations(
        self, *, indicators: str | Iterable[str] | None = None, area: str | None = None,
        sector: str | None = None, as_of: date | datetime | None = None,
    ) -> list[Observation]: ...


@dataclass(frozen=True)
class Evidence:
    """The data table of an index built from observations, and where each cell came from.

    ``table`` has one row per area and the framework's indicators as columns, in framework
    order; ``cells[(area, indicator)]`` is the series point of a filled cell; ``missing``
    one line per empty cell saying why; ``measures[indicator]`` the unit of the comparable
    measure of the column.
    """

    table: Table
    unit_names: tuple[str, ...]
    year: int
    plan: str
    as_of: datetime | None
    cells: Mapping[tuple[str, str], SeriesPoint] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    measures: Mapping[str, str] = field(default_factory=dict)

    def framework(self, fw: Framework) -> Framework:
        """``fw`` over these units and values; ``about`` records the year, the plan and the
        missing cells."""
        framed = fw.with_units(self.table, self.unit_names,
                               {g: [None] * len(self.table.units) for g in fw.groups})
        about: dict[str, Any] = dict(
            fw.about, data="evidence", year=self.year, plan=self.plan,
            missing_cells=list(self.missing))
        if self.as_of is not None:
            about["as_of"] = self.as_of.isoformat()
        return replace(framed, about=about,
                       source=f"{fw.source} + evidence ({self.plan}, {self.year})")


def indicator_table(
    source: ObservationSource | Iterable[Observation], plan: Plan, framework: Framework,
    areas: Sequence[str] | None, year: int, *, as_of: date | datetime | None = None,
) -> Evidence:
    """The unit × indicator table of ``framework`` for ``year`` (see the module docstring).

    ``source`` is the evidence store (read through ``Store.observations``) or observations
    already read. ``areas`` are the units, in order; ``None`` takes every area with at least
    one figure for the year, except the plan's own area (a national plan's provincial
    index leaves the nation out; name it in ``areas`` to include it). Every indicator must be
    a plan metric.
    """
    metrics = _metrics(plan, framework)
    ids = sorted({m.id for m in metrics.values()})
    instant = None if as_of is None else as_of_instant(as_of)
    observations = _read(source, ids, instant)
    by_area: dict[str, dict[str, list[Observation]]] = {}
    for o in observations:
        if o.sector == "":
            by_area.setdefault(o.area, {}).setdefault(o.indicator, []).append(o)
    wanted = list(areas) if areas is not None else sorted(a for a in by_area if a != plan.area)
    duplicates = sorted({a for a in wanted if wanted.count(a) > 1})
    if duplicates:
        raise CompositeError(f"index from evidence: areas listed twice: {duplicates}")
    codes = framework.indicators
    values = np.full((len(wanted), len(codes)), np.nan)
    cells: dict[tuple[str, str], SeriesPoint] = {}
    missing: list[tuple[str, str]] = []  # (area, why)
    measures: dict[str, str] = {}
    for j, code in enumerate(codes):
        metric = metrics[code]
        target = _target(metric, year)
        expected = _MEASURE_UNIT[target.kind] or metric.unit
        measures[code] = expected
        for i, area in enumerate(wanted):
            judged = metric if area == plan.area else metric.model_copy(update={"baseline": {}})
            figures = by_area.get(area, {}).get(metric.id, [])
            comp = comparable_series(judged, target, figures, plan_base_year=plan.base_year)
            if comp.unit != expected and target.kind == "change_pp":
                # without a base-year level the evaluation falls back to the change in
                # points; an index compares the levels themselves, which need no base
                comp = comparable_series(judged, _level_target(year), figures,
                                         plan_base_year=plan.base_year)
            point = comp.full_year.get(year)
            why = None
            if point is None:
                why = _why_missing(comp.points, comp.alternatives, year)
            elif comp.unit != expected:
                why = (f"measured as {comp.unit} (no base-year level for this area), "
                       f"the column as {expected}")
            if why is None and point is not None:
                values[i, j] = point.value
                cells[(area, code)] = point
            else:
                missing.append((area, f"{area} {code} ({metric.id}) {year}: {why}"))
    if areas is None:  # keep the areas that have something for the year
        keep = [i for i in range(len(wanted)) if not np.isnan(values[i]).all()]
        kept = {wanted[i] for i in keep}
        missing = [(a, why) for a, why in missing if a in kept]
        wanted, values = [wanted[i] for i in keep], values[keep]
    known = "" if instant is None else f" as of {instant.isoformat()}"
    if not wanted:
        raise CompositeError(f"index from evidence: no figure for {year} of any of {ids} in "
                             f"any area{known}")
    empty = [f"{c} ({metrics[c].id})" for j, c in enumerate(codes) if np.isnan(values[:, j]).all()]
    if empty:  # nothing to normalise against: no imputation can make such a column up
        raise CompositeError(
            f"index from evidence: no area has a figure for {year}{known} of "
            f"{', '.join(empty)}; import provincial figures for them, or leave them out of "
            "the definition")
    names = known_areas()
    unit_names = tuple(f"{names[a].name_en} {names[a].name_zh}" if a in names else a
                       for a in wanted)
    return Evidence(Table(tuple(wanted), codes, values), unit_names, year, plan.id, instant,
                    cells, tuple(why for _, why in missing), measures)


def _metrics(plan: Plan, framework: Framework) -> dict[str, Metric]:
    out: dict[str, Metric] = {}
    problems = []
    for code in framework.indicators:
        metric_id = framework.element(code).metric
        if metric_id is None:
            problems.append(f"indicator {code!r} is not a plan metric (no 'metric:'); give "
                            "the index's data as a table instead")
            continue
        try:
            out[code] = plan.metric(metric_id)
        except KeyError:
            problems.append(f"indicator {code!r}: {metric_id!r} is not a metric of plan "
                            f"{plan.id!r}")
    if problems:
        raise CompositeError(f"{framework.source}: cannot fill the index from the evidence",
                             problems)
    return out


def _target(metric: Metric, year: int) -> Target:
    """The target whose measure the evaluation would judge ``year`` on."""
    ordered = sorted(metric.targets, key=lambda t: t.year)
    if not ordered:
        return _level_target(year)
    return next((t for t in ordered if t.year >= year), ordered[-1])


def _level_target(year: int) -> Target:
    """A target on the metric's level, for reading the level series (its value is unused)."""
    return Target(year=year, kind="level", value=0.0, text=Text(zh="", en=""))


def _read(source: ObservationSource | Iterable[Observation], ids: list[str],
          instant: datetime | None) -> list[Observation]:
    if hasattr(source, "observations"):
        return list(source.observations(indicators=ids, as_of=instant))
    wanted = set(ids)
    return [o for o in source if o.indicator in wanted and (
        instant is None or (o.known_at or o.vintage_at) is None
        or _utc(o.known_at or o.vintage_at) <= instant)]  # type: ignore[arg-type]


def _utc(moment: datetime) -> datetime:
    """A stored instant without a zone is UTC (the store writes UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _why_missing(points: Sequence[SeriesPoint], alternatives: Sequence[Any], year: int) -> str:
    partial = [p for p in points if p.year == year and "partial_year" in p.flags]
    if partial:
        return f"only a part-year figure ({partial[0].period})"
    left = [a for a in alternatives if a.year == year]
    if left:
        return f"no usable full-year figure ({left[0].reason})"
    return "no figure"
