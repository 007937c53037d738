"""The figures of one metric as the report shows them: grouped by the measure they compare on.

A metric's targets usually share one measure (both 能耗 targets compare on an index with
2015 = 100), and then share one chart and one data table. When they do not, each measure gets
its own. Each target carries its own copy of the series it was judged on; the copies are merged
here, each distinct point kept once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from ..evaluate.model import Alternative, MetricResult, SeriesPoint, TargetResult
from .fmt import period_position


@dataclass(frozen=True)
class MeasureGroup:
    measure: str
    unit: str
    targets: tuple[TargetResult, ...]
    points: tuple[SeriesPoint, ...]
    alternatives: tuple[Alternative, ...]

    @property
    def base(self) -> tuple[int, float] | None:
        """The base year and value of the first target's assessment, when it states them."""
        a = self.targets[0].assessment
        if a.base_year is None or a.base_value is None:
            return None
        return a.base_year, a.base_value


def point_key(point: SeriesPoint) -> str:
    """Identity of a published figure: equal points from two targets' series are one figure."""
    return point.model_dump_json()


def position(point: SeriesPoint) -> float:
    return period_position(point.year, point.period)


P = TypeVar("P", bound=SeriesPoint)


def _unique(points: list[P]) -> tuple[P, ...]:
    seen: dict[str, P] = {}
    for p in points:
        seen.setdefault(point_key(p), p)
    return tuple(sorted(seen.values(),
                        key=lambda p: (position(p), p.period, p.source, p.scope, p.value)))


def measure_groups(metric: MetricResult) -> list[MeasureGroup]:
    """The metric's targets by measure, in target-year order, each with its merged figures."""
    by_measure: dict[tuple[str, str], list[TargetResult]] = {}
    for target in sorted(metric.targets, key=lambda t: t.target_year):
        by_measure.setdefault((target.measure, target.measure_unit), []).append(target)
    return [
        MeasureGroup(
            measure=measure,
            unit=unit,
            targets=tuple(targets),
            points=_unique([p for t in targets for p in t.series]),
            alternatives=_unique([a for t in targets for a in t.alternatives]),
        )
        for (measure, unit), targets in by_measure.items()
    ]


def latest_point(target: TargetResult) -> SeriesPoint | None:
    """The series point the assessment calls latest (else the last one of the series)."""
    if not target.series:
        return None
    year = target.assessment.latest_year
    ordered = sorted(target.series, key=position)
    if year is not None:
        same_year = [p for p in ordered if p.year == year]
        value = target.assessment.latest_value
        exact = [p for p in same_year if value is not None and p.value == value]
        if exact or same_year:
            return (exact or same_year)[-1]
    return ordered[-1]


def base_point(target: TargetResult) -> SeriesPoint | None:
    """The series point at the assessment's base year with its base value, if there is one."""
    a = target.assessment
    if a.base_year is None:
        return None
    matches = [p for p in target.series
               if p.year == a.base_year and (a.base_value is None or p.value == a.base_value)]
    return sorted(matches, key=position)[-1] if matches else None
