"""Provincial figures on the metric's own measure, for maps and rankings.

Provinces submit figures in the forms they publish: energy intensity as a decline of 38% on
2015 (``decline%vs:2015``), or a one-year decline of 8.1% (``decline%yoy``), while the national
headline of that metric is an index with 2015 = 100. A map or a ranking must put every
province on one axis, the metric's own measure: the measure of its first target, built by the
same code that builds the national comparison (:func:`~mic2025.evaluate.measures.
comparable_series`), so 38% below 2015 is index 62 and a one-year decline is chained onto the
province's index of the year before when that is known.

A figure that cannot be put on that measure (a one-year decline with nothing to chain it to, a
change where a level is needed) is left out and named in :attr:`ProvinceMeasures.left_out`
with the reason, as is a figure of a scope the plan does not accept: neither ever sits on the
headline axis. A province is shown with its newest figure on the measure; the figures it
submitted later that could not be converted are listed as left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..observation import Observation
from ..plan import Metric
from .measures import PLAN_SOURCE, comparable_series
from .model import Alternative, NotePart, SeriesPoint


@dataclass(frozen=True)
class ProvinceValue:
    """A province's newest figure on the metric's measure (``unit``), and what it came from."""

    area: str
    year: int
    period: str
    value: float
    unit: str
    raw_value: float
    raw_unit: str
    scope: str
    source: str
    derivation: str | None


@dataclass(frozen=True)
class LeftOut:
    """A submitted figure kept off the map and the ranking, and why (a code of
    :data:`~mic2025.evaluate.model.ALTERNATIVE_REASON_CODES` with its arguments)."""

    area: str
    year: int
    period: str
    value: float
    unit: str
    scope: str
    source: str
    reason: NotePart
    reason_text: str


@dataclass(frozen=True)
class ProvinceMeasures:
    measure: str
    unit: str
    values: tuple[ProvinceValue, ...]
    left_out: tuple[LeftOut, ...]


def province_measures(metric: Metric, observations: Iterable[Observation], *,
                      plan_base_year: int) -> ProvinceMeasures | None:
    """Each area's newest figure of ``metric`` on its own measure, and the figures left out.

    ``observations`` may hold any areas; each is converted on its own figures only (a plan's
    stated baselines describe the plan's area and are not used). ``None`` for a metric without
    targets, which has no measure to convert to.
    """
    targets = sorted(metric.targets, key=lambda t: t.year)
    if not targets:
        return None
    judged = metric.model_copy(update={"baseline": {}})
    by_area: dict[str, list[Observation]] = {}
    for o in observations:
        if o.indicator == metric.id and o.sector == "":
            by_area.setdefault(o.area, []).append(o)
    values: list[ProvinceValue] = []
    left: list[LeftOut] = []
    measure, unit = "level", metric.unit
    for area in sorted(by_area):
        comp = comparable_series(judged, targets[0], by_area[area],
                                 plan_base_year=plan_base_year)
        measure, unit = comp.measure, comp.unit
        shown = [p for p in comp.points if p.source != PLAN_SOURCE]
        newest = max(shown, key=lambda p: (p.year, p.period)) if shown else None
        if newest is not None:
            values.append(_value(area, newest, comp.unit))
        for a in comp.alternatives:
            if _off_axis(a) and (newest is None or (a.year, a.period) > (newest.year,
                                                                          newest.period)):
                left.append(_left(area, a))
    return ProvinceMeasures(measure=measure, unit=unit, values=tuple(values),
                            left_out=tuple(left))


def _off_axis(a: Alternative) -> bool:
    """A figure that could not be put on the measure, or whose scope the plan refuses."""
    return not a.comparable or any(p.code in ("scope_not_accepted", "proxy")
                                   for p in a.reason_parts)


def _value(area: str, p: SeriesPoint, unit: str) -> ProvinceValue:
    return ProvinceValue(area=area, year=p.year, period=p.period, value=p.value, unit=unit,
                         raw_value=p.raw_value, raw_unit=p.raw_unit, scope=p.scope,
                         source=p.source, derivation=p.derivation)


def _left(area: str, a: Alternative) -> LeftOut:
    return LeftOut(area=area, year=a.year, period=a.period, value=a.raw_value, unit=a.raw_unit,
                   scope=a.scope, source=a.source, reason=a.reason_parts[0],
                   reason_text=a.reason)
