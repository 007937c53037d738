"""Target adjustment (动态调整): what the evidence says about each target, and what to propose.

Method
------
For every target of the chosen year whose outcome is not yet final (verdict ``open`` or
``pending``) the comparable series is projected to the target year with the engine's model
(:mod:`mic2025.evaluate.projection`: a time-weighted linear trend with a residual bootstrap,
B = 2000, fixed seed). The bootstrap's predictive distribution of the value at the target year
is the evidence. Write ``P(v)`` for the share of draws that meet a target value ``v``.

* **achieved early** — the latest figure already meets the target and ``P(target) ≥
  raise_min`` (0.9): propose a *raised* target, the value met with probability
  ``raise_probability`` (0.95: the lower end of the 90% prediction interval for a metric where
  more is better, the upper end where less is better), rounded to the decimals of the
  plan's own figure on the easier side, and only if that is more ambitious than the target;
* **on course** — ``P(target) ≥ keep_min`` (0.5): keep;
* **at risk** — ``reach_min ≤ P(target) < keep_min``: keep, with the pace needed from now;
* **out of reach** — ``P(target) < reach_min`` (0.2): propose an *attainable* target, the value
  met with probability ``attainable_probability`` (0.8), rounded likewise;
* **insufficient evidence** — no probability (fewer than four points): nothing proposed.

Each proposal states ``P`` at the rounded proposed value, recomputed with the same draws.
Quantiles come from :func:`~mic2025.evaluate.projection.project` itself: with the fixed seed
its draws do not depend on ``level``, so the lower end of the interval at level ``1 − 2q`` is
the ``q``-quantile of the same draws.

Assumptions (stated in every proposal set): the trend of the fitted span continues to the
target year; the errors are exchangeable; a proposal is evidence for a decision, never the
decision (that is :func:`record`, with a reason and who decided).

Values: a proposal is given in the comparison measure (an index with base year = 100 for
"比2015年下降18%" targets) and in the plan's own terms (``proposed_plan_value``: −18 → −20),
which is what a new plan version writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from .. import __version__
from ..evaluate.breaks import segment
from ..evaluate.engine import evaluate, project_for
from ..evaluate.measures import Comparable, comparable_series
from ..evaluate.methods import DEFAULT_METHOD
from ..evaluate.model import Evaluation, Projection, TargetResult
from ..evaluate.projection import LEVEL, meets
from ..evaluate.trajectory import required_pace, required_remaining_growth
from ..i18n import code_label
from ..observation import Observation
from ..plan import Metric, Plan, Target, Text, load_plan
from .common import FollowupError, decimals_of, now_utc, round_toward

Evidence = Literal["achieved_early", "on_course", "at_risk", "out_of_reach", "insufficient",
                   "decided"]
Action = Literal["raise", "keep", "lower", "none"]



class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Settings(Out):
    """The thresholds a proposal set was made with (recorded with it)."""

    raise_min: float = 0.9
    raise_probability: float = 0.95
    keep_min: float = 0.5
    reach_min: float = 0.2
    attainable_probability: float = 0.8


class Proposal(Out):
    metric: str
    name: Text
    target_year: int
    kind: str
    measure: str
    measure_unit: str
    direction: Literal["increase", "decrease"]
    target_value: float
    plan_value: float
    verdict: str
    status: str
    latest_year: int | None = None
    latest_value: float | None = None
    probability: float | None = None
    projection: Projection | None = None
    evidence: Evidence
    action: Action
    proposed_value: float | None = None
    proposed_plan_value: float | None = None
    proposed_probability: float | None = None
    required_change: float | None = None
    required_growth: float | None = None
    reason: Text


class ProposalSet(Out):
    plan: str
    plan_version: str
    target_year: int
    method: str
    as_of: datetime | None
    evaluated_on: date
    generated_at: datetime
    software: str
    settings: Settings
    assumptions: Text
    proposals: list[Proposal]


class Scenario(Out):
    """What pace is needed from the latest figure to reach ``target_value`` by ``target_year``."""

    metric: str
    name: Text
    measure: str
    measure_unit: str
    direction: Literal["increase", "decrease"]
    target_year: int
    target_plan_value: float
    target_value: float
    latest_year: int | None
    latest_value: float | None
    required_change: float | None
    required_growth: float | None
    observed_change: float | None
    probability: float | None
    projection: Projection | None
    note: str | None = None


ASSUMPTIONS = Text(
    zh="预测模型为时间加权线性趋势（加权最小二乘，近期权重较高）加残差自助法（B=2000，固定种子）；"
       "假定拟合期的趋势延续至目标年份、误差可交换。建议是决策依据，不是决定；调整须经记录（理由、决定者、日期）。",
    en="The projection model is a time-weighted linear trend (WLS, recent years weigh more) with "
       "a residual bootstrap (B=2000, fixed seed); it assumes the fitted span's trend continues "
       "to the target year and that errors are exchangeable. A proposal is evidence for a "
       "decision, not the decision; an adjustment is recorded with reason, decider and date.",
)


# --------------------------------------------------------------------------- proposals


def propose(plan: Plan, observations: Sequence[Observation], *, year: int | None = None,
            method: str = DEFAULT_METHOD, evaluated_on: date | None = None,
            as_of: datetime | None = None, settings: Settings | None = None,
            evaluation: Evaluation | None = None) -> ProposalSet:
    """One proposal per target of ``year`` (default: the plan's last target year)."""
    s = settings or Settings()
    y = year or max(plan.target_years)
    ev = evaluation or evaluate(plan, observations, area=plan.area, method=method,
                                evaluated_on=evaluated_on, as_of=as_of)
    area_obs = [o for o in observations if o.area == plan.area and o.sector == ""]
    proposals = []
    for mr in ev.results:
        metric = plan.metric(mr.metric)
        for tr in mr.targets:
            if tr.target_year != y:
                continue
            target = metric.target(y)
            assert target is not None
            proposals.append(_proposal(plan, metric, target, tr, area_obs, s))
    return ProposalSet(plan=plan.id, plan_version=plan.version, target_year=y, method=ev.method,
                       as_of=ev.as_of, evaluated_on=ev.evaluated_on, generated_at=now_utc(),
                       software=f"mic2025 {__version__}", settings=s, assumptions=ASSUMPTIONS,
                       proposals=proposals)


def _proposal(plan: Plan, metric: Metric, target: Target, tr: TargetResult,
              observations: Sequence[Observation], s: Settings) -> Proposal:
    a = tr.assessment
    base = dict(metric=metric.id, name=metric.name, target_year=tr.target_year, kind=tr.kind,
                measure=tr.measure, measure_unit=tr.measure_unit, direction=tr.direction,
                target_value=tr.target_value, plan_value=target.value, verdict=tr.verdict,
                status=a.status, latest_year=a.latest_year, latest_value=a.latest_value,
                projection=tr.projection)
    if tr.verdict != "open":
        # the target year is over (pending included): its outcome is for the final
        # evaluation to judge, never a reason to raise or lower the target after the fact
        evidence: Evidence = "decided" if tr.verdict != "not_assessable" else "insufficient"
        return Proposal(**base, evidence=evidence, action="none",
                        reason=_why(evidence, tr, None))
    comp, _ = segment(comparable_series(
        metric, target, observations, plan_base_year=plan.base_year,
        plan_document=plan.document.number if plan.document else None), metric)
    req_change, req_growth = _required(comp, tr.target_value)
    pr = tr.projection
    p = pr.probability if pr else None
    sign = 1 if tr.direction == "increase" else -1
    extra: dict[str, Any] = dict(probability=p, required_change=req_change,
                                 required_growth=req_growth)
    if p is None:
        return Proposal(**base, **extra, evidence="insufficient", action="none",
                        reason=_why("insufficient", tr, None))
    latest_meets = a.latest_value is not None and bool(
        meets(sign, a.latest_value, tr.target_value, tr.tolerance))
    if latest_meets and p >= s.raise_min:
        found = _at_probability(comp, metric, plan, s.raise_probability, target)
        if found is not None and sign * (found[0] - tr.target_value) > 0:
            value, plan_value, prob = found
            return Proposal(**base, **extra, evidence="achieved_early", action="raise",
                            proposed_value=value, proposed_plan_value=plan_value,
                            proposed_probability=prob,
                            reason=_why("achieved_early", tr, (value, prob)))
        return Proposal(**base, **extra, evidence="achieved_early", action="keep",
                        reason=_why("achieved_early", tr, None))
    if p >= s.keep_min:
        return Proposal(**base, **extra, evidence="on_course", action="keep",
                        reason=_why("on_course", tr, None))
    if p >= s.reach_min:
        return Proposal(**base, **extra, evidence="at_risk", action="keep",
                        reason=_why("at_risk", tr, None))
    found = _at_probability(comp, metric, plan, s.attainable_probability, target)
    if found is None:
        return Proposal(**base, **extra, evidence="out_of_reach", action="none",
                        reason=_why("out_of_reach", tr, None))
    value, plan_value, prob = found
    return Proposal(**base, **extra, evidence="out_of_reach", action="lower",
                    proposed_value=value, proposed_plan_value=plan_value,
                    proposed_probability=prob, reason=_why("out_of_reach", tr, (value, prob)))


def _why(evidence: str, tr: TargetResult, proposed: tuple[float, float | None] | None) -> Text:
    pr = tr.projection
    p = pr.probability if pr else None
    pz = "—" if p is None else f"{p:.0%}"
    pv = "—" if pr is None or pr.value is None else f"{pr.value:.4g}"
    head_zh = f"预测{tr.target_year}年为{pv}，达到目标{tr.target_value:.4g}的概率{pz}"
    head_en = (f"projected {pv} in {tr.target_year}; probability of meeting the target "
               f"{tr.target_value:.4g}: {pz}")
    if evidence == "decided":
        return Text(zh=f"目标年份已过（{code_label('verdict', tr.verdict, 'zh')}），不再调整，"
                       "由终期评估判断。",
                    en=f"The target year is over ({code_label('verdict', tr.verdict, 'en')}); "
                       "no adjustment: the final evaluation judges it.")
    if evidence == "insufficient":
        return Text(zh="数据点不足，无法估计概率，不提出调整建议。",
                    en="Too few data points for a probability; no proposal.")
    if proposed is not None:
        v, q = proposed
        qz = "—" if q is None else f"{q:.0%}"
        return Text(zh=f"{head_zh}；按预测分布，{v:.4g}的实现概率为{qz}。",
                    en=f"{head_en}; under the projection, {v:.4g} is met with probability {qz}.")
    return Text(zh=f"{head_zh}。", en=f"{head_en}.")


def _required(comp: Comparable, target_value: float) -> tuple[float | None, float | None]:
    """Pace still needed from the latest figure: units a year, and percent a year."""
    observed = comp.observed()
    if not observed:
        return None, None
    if comp.measure == "growth":
        assert comp.period is not None
        first, last = comp.period
        inside = [p.value for p in observed if first <= p.year <= last]
        return None, required_remaining_growth(inside, last - first + 1, target_value)
    latest = observed[-1]
    if latest.year >= comp.target_year:
        return None, None
    start = (latest.year, latest.value)
    change = required_pace(start, (comp.target_year, target_value), "linear")
    growth = (required_pace(start, (comp.target_year, target_value), "cagr")
              if latest.value > 0 and target_value > 0 else None)
    return change, growth


def _projection(comp: Comparable, metric: Metric, plan: Plan, target_value: float,
                level: float = LEVEL) -> Projection | None:
    """The engine's projection of ``comp`` (:func:`~mic2025.evaluate.engine.project_for`, the
    same inputs as the evaluation) for any target value."""
    return project_for(comp, metric, plan_base_year=plan.base_year, target_value=target_value,
                       level=level)


def _at_probability(comp: Comparable, metric: Metric, plan: Plan, probability: float,
                    target: Target) -> tuple[float, float, float | None] | None:
    """The value met with ``probability``, rounded on the easier side: measure value, plan value
    and its own probability; ``None`` without an interval or at the metric's natural limit."""
    level = 2 * probability - 1 if probability > 0.5 else 1 - 2 * probability
    pr = _projection(comp, metric, plan, comp.target_value, level=level)
    if pr is None or pr.lower is None or pr.upper is None:
        return None
    raw = pr.lower if comp.sign > 0 else pr.upper
    if comp.measure == "level" and raw in tuple(b for b in metric.value_range if b is not None):
        return None  # every draw is clipped at the range's edge (a rate at 100%)
    decimals = max(decimals_of(target.value), 0)
    plan_value = round_toward(_to_plan(raw, comp, target), decimals, comp.sign)
    value = round(_from_plan(plan_value, comp, target), 10)
    check = _projection(comp, metric, plan, value)
    return value, plan_value, (check.probability if check else None)


def _to_plan(value: float, comp: Comparable, target: Target) -> float:
    """A value of the comparison measure in the plan's terms (the target's ``value`` field)."""
    if target.kind == "change_pp":
        return value - (comp.base[1] if comp.base else 0.0)
    if target.kind == "relative_change":
        base = comp.base[1] if comp.base else 100.0
        return (value / base - 1.0) * 100.0
    return value


def _from_plan(value: float, comp: Comparable, target: Target) -> float:
    if target.kind == "change_pp":
        return value + (comp.base[1] if comp.base else 0.0)
    if target.kind == "relative_change":
        base = comp.base[1] if comp.base else 100.0
        return base * (1.0 + value / 100.0)
    return value


# --------------------------------------------------------------------------- scenarios


def scenario(plan: Plan, observations: Sequence[Observation], metric_id: str,
             target_plan_value: float, year: int) -> Scenario:
    """The pace needed from the latest figure to reach ``target_plan_value`` by ``year``.

    ``target_plan_value`` is in the terms of the metric's target for ``year`` (or of its
    latest target when it has none for that year): a level, points against the base year, a
    percent change against the base year, or an average growth rate.
    """
    try:
        metric = plan.metric(metric_id)
    except KeyError:
        known = ", ".join(m.id for m in plan.metrics())
        raise FollowupError(f"--metric {metric_id!r} is not a metric with targets; "
                            f"one of: {known}") from None
    template = metric.target(year) or (max(metric.targets, key=lambda t: t.year)
                                       if metric.targets else None)
    if template is None:
        raise FollowupError(f"metric {metric_id!r} has no target to take a kind from")
    data = template.model_dump()
    data.update(year=year, value=target_plan_value)
    if template.kind == "average_growth" and template.year != year:
        assert template.period is not None
        data["period"] = (template.period[0], year)
    try:
        target = Target.model_validate(data)
    except ValueError as exc:
        raise FollowupError(f"cannot build a {template.kind} target for {year}: {exc}") from None
    obs = [o for o in observations if o.area == plan.area and o.sector == ""]
    comp, _ = segment(comparable_series(
        metric, target, obs, plan_base_year=plan.base_year,
        plan_document=plan.document.number if plan.document else None), metric)
    observed = comp.observed()
    latest = observed[-1] if observed else None
    change, growth = _required(comp, comp.target_value)
    observed_change = None
    pts = [p for p in observed if comp.base is None or p.year >= comp.base[0]]
    if comp.measure != "growth" and comp.base is not None and latest is not None \
            and latest.year > comp.base[0]:
        observed_change = (latest.value - comp.base[1]) / (latest.year - comp.base[0])
    elif comp.measure == "growth" and pts:
        observed_change = sum(p.value for p in pts) / len(pts)
    pr = _projection(comp, metric, plan, comp.target_value)
    note = None
    if latest is None:
        note = "no observed figure: no pace can be computed"
    elif latest.year >= year:
        note = f"the latest figure ({latest.year}) is not before {year}"
    return Scenario(metric=metric.id, name=metric.name, measure=comp.measure,
                    measure_unit=comp.unit, direction=metric.direction, target_year=year,
                    target_plan_value=target_plan_value, target_value=comp.target_value,
                    latest_year=latest.year if latest else None,
                    latest_value=latest.value if latest else None, required_change=change,
                    required_growth=growth, observed_change=observed_change,
                    probability=pr.probability if pr else None, projection=pr, note=note)


# --------------------------------------------------------------------------- recording


def record(proposals: ProposalSet, *, out: Path, reason: str, decided_by: str,
           decided_on: date | None = None, version: str | None = None,
           metrics: Iterable[str] | None = None, parent: str | None = None,
           proposals_sha256: str | None = None) -> Path:
    """Write a new plan version that adopts the proposals with ``action`` raise or lower.

    The file ``extends`` the plan the proposals were made on (``parent``: a bundled id or a
    path; default the plan id), restates the changed targets and lists one
    :class:`~mic2025.plan.Adjustment` per change. ``metrics`` limits which proposals are
    adopted. The written file is loaded back and validated before this returns.
    """
    if not reason.strip() or not decided_by.strip():
        raise FollowupError("an adjustment needs a --reason and a --decided-by")
    day = decided_on or date.today()
    chosen = [p for p in proposals.proposals
              if p.action in ("raise", "lower") and p.proposed_plan_value is not None]
    if metrics is not None:
        wanted = set(metrics)
        unknown = wanted - {p.metric for p in proposals.proposals}
        if unknown:
            raise FollowupError(f"--metric {', '.join(sorted(unknown))}: not in the proposals")
        chosen = [p for p in chosen if p.metric in wanted]
    if not chosen:
        raise FollowupError("no proposal to adopt: none has action 'raise' or 'lower'")
    base_plan = load_plan(_parent_path(parent or proposals.plan, out))
    new_version = version or f"{proposals.plan_version}+adj.{day.isoformat()}"
    indicators: list[dict[str, Any]] = []
    projects: dict[str, list[dict[str, Any]]] = {}
    adjustments = []
    for p in chosen:
        metric = base_plan.metric(p.metric)
        old = metric.target(p.target_year)
        if old is None:
            raise FollowupError(f"{p.metric} has no {p.target_year} target in {parent}")
        assert p.proposed_plan_value is not None
        new_value = float(p.proposed_plan_value)
        entry = {"id": metric.id, "targets": [{
            "year": p.target_year, "value": new_value,
            "text": {"zh": f"{_num(new_value)}（{day.year}年动态调整，原目标{_num(old.value)}）",
                     "en": f"{_num(new_value)} (adjusted {day.year}; was {_num(old.value)})"},
        }]}
        project = base_plan.project_of(metric.id)
        if project is None:
            indicators.append(entry)
        else:
            projects.setdefault(project.id, []).append(entry)
        evidence: dict[str, Any] = {
            "evidence": p.evidence, "action": p.action, "method": proposals.method,
            "as_of": proposals.as_of.isoformat() if proposals.as_of else None,
            "evaluated_on": proposals.evaluated_on.isoformat(),
            "latest_year": p.latest_year, "latest_value": p.latest_value,
            "probability_old_target": p.probability,
            "probability_new_target": p.proposed_probability,
            "projection": p.projection.value if p.projection else None,
            "projection_lower": p.projection.lower if p.projection else None,
            "projection_upper": p.projection.upper if p.projection else None,
            "proposals_sha256": proposals_sha256,
        }
        adjustments.append({
            "id": f"{metric.id}_{p.target_year}_{day.strftime('%Y%m%d')}",
            "metric": metric.id, "target_year": p.target_year, "old_value": old.value,
            "new_value": new_value, "reason": reason, "decided_by": decided_by,
            "decided_on": day.isoformat(), "evidence": evidence,
        })
    doc: dict[str, Any] = {
        "schema_version": 1, "id": base_plan.id, "version": new_version,
        "extends": parent or proposals.plan,
    }
    if indicators:
        doc["indicators"] = indicators
    if projects:
        doc["projects"] = [{"id": k, "metrics": v} for k, v in projects.items()]
    doc["adjustments"] = [*(a.model_dump(mode="json") for a in base_plan.adjustments),
                          *adjustments]
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (f"# Plan version {new_version}: targets adjusted (动态调整) by {decided_by} on "
              f"{day.isoformat()}.\n# Written by `mic2025 adjust record`; the evidence of "
              "each change is in `adjustments`.\n")
    out.write_text(header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False),
                   encoding="utf-8")
    load_plan(out)  # refuse to leave behind a plan that does not validate
    return out


def _parent_path(parent: str, out: Path) -> str | None:
    """``load_plan`` argument for a parent given as a bundled id or a path."""
    if parent.endswith((".yaml", ".yml")):
        return str((out.parent / parent) if not Path(parent).is_absolute() else Path(parent))
    from ..plan import bundled_plan_path

    return str(bundled_plan_path(parent))


def _num(v: float) -> str:
    return f"{v:g}"


def read_proposals(path: Path) -> tuple[ProposalSet, str]:
    """A proposal set written by ``mic2025 adjust propose --format json``, and its sha256."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FollowupError(f"{path}: proposals file not found") from None
    try:
        return ProposalSet.model_validate(json.loads(raw)), hashlib.sha256(raw).hexdigest()
    except (ValueError, json.JSONDecodeError) as exc:
        raise FollowupError(f"{path}: not a proposal set from `mic2025 adjust propose "
                            f"--format json`: {str(exc).splitlines()[0]}") from None
