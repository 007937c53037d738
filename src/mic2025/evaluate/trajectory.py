"""The planned trajectory of a metric, and the pace a target requires.

A delivery-unit style trajectory (Barber, *Instruction to Deliver*, 2007; progress_methods.md
§7 — a project convention, not PMDU's own rule): the planned path runs from the base to the
first target and on to the next, piecewise, in the comparable measure (level or index)

    linear:     τ(t) = x_a + (x_c − x_a)·(t − a)/(c − a)
    geometric:  τ(t) = x_a·(x_c/x_a)^((t − a)/(c − a))      (x_a, x_c > 0)

between consecutive anchors (a, x_a) and (c, x_c). Growth targets are drawn flat at the
required rate over their period (:func:`growth_path`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Literal

from ..errors import EvaluationError
from .model import MetricResult

Shape = Literal["linear", "geometric"]


def _anchors(base: tuple[int, float],
             targets: Iterable[tuple[int, float]]) -> list[tuple[int, float]]:
    pts = [base, *sorted(t for t in targets if t[0] > base[0])]
    years = [y for y, _ in pts]
    if len(set(years)) != len(years):
        raise EvaluationError(f"two anchors for the same year in the trajectory: {years}")
    return pts


def trajectory_value(year: float, base: tuple[int, float], targets: Iterable[tuple[int, float]],
                     shape: Shape = "linear") -> float:
    """The planned value in ``year`` (held at the last target after it, at the base before it)."""
    pts = _anchors(base, targets)
    if year <= pts[0][0] or len(pts) == 1:
        return pts[0][1]
    for (a, xa), (c, xc) in pairwise(pts):
        if year <= c:
            s = (year - a) / (c - a)
            if shape == "geometric":
                if xa <= 0 or xc <= 0:
                    raise EvaluationError("a geometric path needs positive values; use linear")
                return xa * (xc / xa) ** s
            return xa + (xc - xa) * s
    return pts[-1][1]


def planned_path(base: tuple[int, float], targets: Iterable[tuple[int, float]],
                 shape: Shape = "linear",
                 years: Iterable[int] | None = None) -> list[tuple[int, float]]:
    """The planned path year by year, base year to last target (or at the given years)."""
    pts = _anchors(base, targets)
    span = range(pts[0][0], pts[-1][0] + 1) if years is None else years
    return [(y, trajectory_value(y, base, pts[1:], shape)) for y in span]


def growth_path(target_rate: float, period: tuple[int, int]) -> list[tuple[int, float]]:
    """A growth target drawn flat at the required rate over its period."""
    return [(y, target_rate) for y in range(period[0], period[1] + 1)]


def required_pace(start: tuple[int, float], target: tuple[int, float],
                  kind: Literal["cagr", "linear"] = "cagr") -> float:
    """Pace from ``start`` to ``target``: compound growth in percent a year, or units a year.

    With ``start`` the base this is the plan's required pace; with ``start`` the latest
    observation it is the pace still needed from now on.
    """
    (a, xa), (c, xc) = start, target
    if c <= a:
        raise EvaluationError(f"the target year {c} is not after {a}")
    if kind == "linear":
        return (xc - xa) / (c - a)
    if xa <= 0 or xc <= 0:
        raise EvaluationError("a compound rate needs positive values; use kind='linear'")
    return 100.0 * ((xc / xa) ** (1.0 / (c - a)) - 1.0)


def required_remaining_growth(observed_pct: Sequence[float], period_years: int,
                              target_mean_pct: float) -> float | None:
    """Mean growth (% a year) the remaining years of a period need to reach a target average.

    ``(1 + ḡ_T)^n = Π(1 + g_i) · (1 + r)^(n − k)`` solved for r; ``None`` when no year remains.
    """
    k = len(observed_pct)
    if k >= period_years:
        return None
    done = sum(math.log1p(g / 100) for g in observed_pct)
    need = period_years * math.log1p(target_mean_pct / 100)
    return 100.0 * math.expm1((need - done) / (period_years - k))


def metric_path(result: MetricResult, shape: Shape = "linear") -> list[tuple[int, float]]:
    """The piecewise planned path of an evaluated metric in its comparable measure.

    Uses the targets that share the first target's measure and base (e.g. index 2015 = 100
    through the 2020 and the 2025 targets); empty when no base is known.
    """
    if not result.targets:
        return []
    first = result.targets[0]
    a = first.assessment
    if first.measure == "growth" or a.base_year is None or a.base_value is None:
        return []
    targets = [(t.target_year, t.target_value) for t in result.targets
               if t.measure == first.measure and t.measure_unit == first.measure_unit
               and t.assessment.base_year == a.base_year]
    return planned_path((a.base_year, a.base_value), targets, shape)
