"""Calibration targets for the synthetic population from the bundled PUBLISHED figures.

The generator (:mod:`.generate`) meets national targets per year. This module takes them from
the figures bundled with mic2025 (``data/evidence/national.csv``, each with its source) and
the plan's own baselines, read exactly as the evaluation reads them: for every plan indicator
whose formula is one of the generator's quantities, the headline series of its first target
(:func:`mic2025.evaluate.measures.comparable_series` — accepted scopes in the plan's order,
full-year before part-year, alternatives left out). So the synthetic 规模以上 population
follows the national path mic2025 judges, and a microdata estimate can be compared with it.

What a target means per measure:

``level`` (rates in %)
    the published value, converted to the quantity's unit by the constant factor between the
    plan formula and the generator's (``… * 100`` → a share).
``index`` (the 下降幅度 indicators, 2015 = 100)
    the published PATH: the level of year t is the generator's ILLUSTRATIVE base-year level
    (:data:`.generate.DEMO_TARGETS`; no national level per yuan of value added is bundled)
    times index_t / 100. The decline is published, the absolute level is not.

A quantity is calibrated to published figures when its series has at least two points in
the generated years (the plan's base year counts); otherwise it keeps the illustrative
:data:`~.generate.DEMO_TARGETS` path and says so — with one point there is no path to follow.
Scopes differ between years and sources (重点行业骨干企业, 规模以上工业, …): each target keeps
the scope and source of every point, and the population records them in its metadata.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import numpy as np

from ..evaluate.measures import PLAN_SOURCE, comparable_series
from ..observation import Observation
from ..plan import Plan
from .generate import DEMO_TARGETS, level_in, quantity_of

#: the bundled evidence, as a package resource
EVIDENCE = ("data", "evidence", "national.csv")


@dataclass(frozen=True)
class TargetPoint:
    """One year of a calibration target, traced to what was published."""

    year: int
    value: float  # in the generator quantity's unit
    shown: float  # as the evaluation measures it (% or index, 2015 = 100)
    source: str  # a URL, or the plan document for the plan's own baseline
    scope: str
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CalibrationTarget:
    """The yearly targets of one generator quantity and where they come from."""

    quantity: str  # a name in :data:`.generate.CALIBRATION`
    metric: str  # the plan indicator it measures
    kind: Literal["published", "illustrative"]
    measure: str  # "level" or "index"
    unit: str  # of ``shown``
    points: tuple[TargetPoint, ...] = ()
    note: str = ""
    illustrative: dict[int, float] = field(default_factory=dict)  # kind == "illustrative"

    @property
    def values(self) -> dict[int, float]:
        """``{year: value}`` in the quantity's unit, as :func:`.generate.generate_population`
        takes them."""
        if self.kind == "illustrative":
            return dict(self.illustrative)
        return {p.year: p.value for p in self.points}


def bundled_observations(plan: Plan) -> list[Observation]:
    """The bundled evidence, parsed and checked as ``mic2025 import`` checks a file."""
    from ..ingest.load import parse_bytes

    data = resources.files("mic2025").joinpath(*EVIDENCE).read_bytes()
    return parse_bytes(data, "/".join(("mic2025", *EVIDENCE)), plan, suffix=".csv")


def published_targets(plan: Plan, years: Iterable[int],
                      observations: Sequence[Observation] | None = None
                      ) -> list[CalibrationTarget]:
    """One :class:`CalibrationTarget` per generator quantity that a plan indicator measures.

    ``observations`` defaults to the bundled evidence; only figures of the plan's own area
    (``plan.area``, national for the bundled plan) are read.
    Quantities no plan indicator measures are not listed (the generator keeps its own level).
    """
    wanted = sorted(set(years))
    if not wanted:
        return []
    first, last = wanted[0], wanted[-1]
    national = [o for o in (bundled_observations(plan) if observations is None
                            else observations) if o.area == plan.area]
    document = plan.document.number if plan.document is not None else "the plan"
    out: list[CalibrationTarget] = []
    seen: set[str] = set()
    for metric in plan.metrics():
        if metric.definition is None or not metric.definition.formula or not metric.targets:
            continue
        matched = quantity_of(metric.definition.formula)
        if matched is None or matched[0] in seen:
            continue
        name, factor = matched
        seen.add(name)
        series = comparable_series(metric, metric.targets[0], national,
                                   plan_base_year=plan.base_year, plan_document=document)
        inside = [p for p in series.points if first <= p.year <= last]
        if len(inside) < 2:
            why = ("no published figure in the generated years" if not inside else
                   f"only one point in the generated years ({inside[0].year})")
            out.append(CalibrationTarget(name, metric.id, "illustrative", series.measure,
                                         series.unit, note=f"{why}: illustrative path kept",
                                         illustrative=dict(DEMO_TARGETS[name])))
            continue
        if series.measure == "index":
            base_year = series.base[0] if series.base is not None else first
            level = float(level_in(DEMO_TARGETS[name], np.array([base_year]))[0])
            convert = lambda v, lv=level: lv * v / 100.0  # noqa: E731
            note = (f"published decline path (index, {base_year} = 100) on the illustrative "
                    f"{base_year} level {level:g}")
        else:
            convert = lambda v, f=factor: v / f  # noqa: E731
            note = "published levels"
        points = tuple(
            TargetPoint(p.year, convert(p.value), p.value,
                        document if p.source == PLAN_SOURCE else p.source, p.scope,
                        tuple(p.flags))
            for p in series.points if first <= p.year <= last)
        out.append(CalibrationTarget(name, metric.id, "published", series.measure, series.unit,
                                     points, note))
    return out


def targets_of(calibration: Iterable[CalibrationTarget]) -> dict[str, dict[int, float]]:
    """The ``targets`` argument of :func:`.generate.generate_population`."""
    return {t.quantity: t.values for t in calibration}


def provenance(calibration: Iterable[CalibrationTarget]) -> list[dict[str, object]]:
    """What the population's ``mic2025.calibration`` metadata records: per quantity its
    kind, indicator, note and every point's year, value as published, scope and source."""
    return [{"quantity": t.quantity, "indicator": t.metric, "kind": t.kind,
             "measure": t.measure, "unit": t.unit, "note": t.note,
             "points": [{"year": p.year, "published": p.shown, "scope": p.scope,
                         "source": p.source, "flags": list(p.flags)} for p in t.points]}
            for t in calibration]
