"""The mid-term evaluation (中期评估): what it rests on and what it counts.

:func:`gather` evaluates, proposes, warns and collects supervision states on one data vintage
(``as_of``); :func:`metric_targets`, :func:`verdict_counts`, :func:`verdict_point` and
:func:`latest_point` pick out the year's targets, their verdicts and the figures a verdict rests
on. The document itself (the official layout, Word and PDF) is written by
:mod:`mic2025.report.midterm` from these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..evaluate.engine import evaluate
from ..evaluate.methods import DEFAULT_METHOD
from ..evaluate.model import Evaluation, MetricResult, SeriesPoint, TargetResult
from ..plan import Plan, Text
from . import adjust, supervision, warn

VERDICTS = ("achieved", "missed", "pending", "not_assessable", "open")


@dataclass
class Inputs:
    """Everything a follow-up document is built from (gathered once, both languages)."""

    plan: Plan
    evaluation: Evaluation
    proposals: adjust.ProposalSet
    warnings: list[warn.EarlyWarning]
    seed: supervision.SupervisionFile | None
    states: list[supervision.ItemState]
    vintages: list[Any]
    as_of: datetime | None


def gather(plan: Plan, store: Any, *, as_of: datetime | None = None, method: str = DEFAULT_METHOD,
           evaluated_on: date | None = None, outlook_year: int | None = None,
           area_name: Text | None = None) -> Inputs:
    """Evaluate, propose, warn and collect supervision states on one data vintage.

    ``as_of`` defaults to now, so that every document states the vintage it was made on. The
    supervision states rest on the status updates ``store`` holds, those made up to ``as_of``.
    """
    from .common import now_utc

    as_of = as_of or now_utc()
    obs = store.observations(as_of=as_of)
    ev = evaluate(plan, [o for o in obs if o.area == plan.area], area=plan.area, method=method,
                  evaluated_on=evaluated_on, as_of=as_of, area_name=area_name)
    later = outlook_year or max(plan.target_years)
    proposals = adjust.propose(plan, obs, year=later, method=method, evaluation=ev,
                               evaluated_on=evaluated_on, as_of=as_of)
    warnings = warn.evaluate_rules(plan, store, as_of=as_of, evaluation=ev, observations=obs)
    # a plan without a supervision file still gets its evaluation
    seed = supervision.bundled_supervision(plan)
    updates = supervision.read_updates(store) if seed else []
    states = supervision.states(seed, updates, on=ev.evaluated_on, evaluation=ev,
                                as_of=as_of, plan=plan) if seed else []
    vintages = [v for v in store.vintages() if as_of is None or aware(v.created_at) <= as_of]
    return Inputs(plan, ev, proposals, warnings, seed, states, vintages, as_of)


def aware(dt: datetime) -> datetime:
    from datetime import UTC

    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def verdict_point(tr: TargetResult) -> list[SeriesPoint]:
    """The published figures a verdict rests on (all years of a growth period)."""
    if tr.verdict_year is None:
        return []
    if tr.measure == "growth" and tr.assessment.base_year is None:
        first = tr.target_year - 4
        pts = [p for p in tr.series if first <= p.year <= tr.target_year and p.source != "plan"]
        if pts:
            return pts
    hit = [p for p in tr.series if p.year == tr.verdict_year and p.source != "plan"]
    hit = [p for p in hit if "partial_year" not in p.flags] or hit
    if not hit:
        hit = [a for a in tr.alternatives if a.year == tr.verdict_year and a.comparable]
    return hit[:1]


def latest_point(tr: TargetResult) -> SeriesPoint | None:
    """The figure the assessment calls latest (for a past target: up to the target year)."""
    pts = [p for p in tr.series if p.source != "plan"]
    year = tr.assessment.latest_year
    same = [p for p in pts if p.year == year]
    return same[-1] if same else (pts[-1] if pts else None)


def metric_targets(ev: Evaluation, year: int, group: str | None = None
                   ) -> list[tuple[MetricResult, TargetResult]]:
    return [(m, t) for m in ev.results for t in m.targets
            if t.target_year == year and (group is None or m.group == group)]



def verdict_counts(ev: Evaluation, year: int, group: str | None = None) -> dict[str, int]:
    """How many of the year's targets (of ``group``) have each verdict."""
    pairs = metric_targets(ev, year, group)
    return {v: sum(1 for _, t in pairs if t.verdict == v) for v in VERDICTS}


__all__ = ["VERDICTS", "Inputs", "gather", "latest_point", "metric_targets", "verdict_counts",
           "verdict_point"]
