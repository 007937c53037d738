"""The evaluation: every target of a plan judged on the evidence, as typed results.

:func:`evaluate` walks ``plan.metrics()`` (the indicators, then each project's metrics) and
for each target builds the comparable series (:mod:`.measures`), runs the chosen progress
method (:mod:`.methods`), gives the verdict and projects to the target year
(:mod:`.projection`). :func:`assess_series` does the same for one ad-hoc series.

Verdicts (progress_methods.md §9, rules 3–4)
--------------------------------------------
* the target year T is not over on ``evaluated_on`` → ``open``;
* T is over and a full-year figure for T is in the headline series → ``achieved`` or
  ``missed`` (within the tolerance of an "about" target), with ``verdict_year`` and
  ``verdict_value``;
* otherwise a figure for T + 1 is used, and ``verdict_note`` says so (note
  ``verdict_from_next_year``);
* otherwise, when the metric declares its release (``Metric.release``, the plan's publication
  lag): up to and including the due date of T's figure → ``pending`` (note ``due``); after
  it → ``not_assessable`` with ``data_gap`` set (note ``data_gap``: the figure is due and not
  in the store). The due date is compared with the day the evaluation looks from: the as-of
  date when there is one, else ``evaluated_on``. ``TargetResult.due_date`` carries it;
* without a declared release, with data → ``pending`` (the figure for T is not yet
  published; the assessment still classifies with the latest data; note ``verdict_pending``),
  without → ``not_assessable``.

An average-growth target needs a full-year growth figure for every year of its period; the
verdict compares their geometric mean with the target. With only some years the verdict is
``pending`` (the note says how many of how many), with none ``not_assessable`` — both
subject to the due date of T's figure as above.

A part-year headline figure for T does not decide a verdict: the first-ranked full-year
figure for T does (possibly of another scope; the note says so).

Every verdict note is written twice: as English text (``verdict_note``, kept for
compatibility) and as codes with arguments (``verdict_note_parts``, codes in
:data:`~.model.VERDICT_NOTE_CODES`), which the reports translate.

:func:`project_for` is the engine's projection of one comparable series, public so that the
target-adjustment module projects exactly as the evaluation does.

Nothing here knows an indicator, a target or a year: they all come from the plan and the
observations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Literal

from .. import __version__
from ..errors import EvaluationError, UnknownCodeError
from ..observation import Observation
from ..plan import Metric, Plan, Target, Text
from .breaks import bound_verdict, segment
from .measures import Comparable, comparable_series
from .methods import DEFAULT_METHOD, METHODS, ProgressInput, assess, direction_sign, meets
from .model import (
    VERDICT_NOTE_CODES,
    Assessment,
    Evaluation,
    MetricResult,
    NotePart,
    Projection,
    SeriesPoint,
    TargetResult,
    Verdict,
    note_text,
)
from .projection import LEVEL, geometric_mean_growth, project, project_growth

__all__ = ["assess_series", "chosen", "evaluate", "evaluate_target", "project_for"]


def chosen(plan: Plan, area: str | None = None, method: str | None = None) -> tuple[str, str]:
    """The area and method an evaluation of ``plan`` uses: those named, else the plan's own
    area and the registry's default method (:data:`~.methods.DEFAULT_METHOD`).

    The one place these defaults are decided: the command line, the platform and the
    follow-up documents all leave them ``None`` and ask here. An unknown method is refused.
    """
    return (plan.area if area is None else area), _method(method)


def evaluate(plan: Plan, observations: Iterable[Observation], *, area: str | None = None,
             method: str | None = None, evaluated_on: date | None = None,
             as_of: datetime | None = None, area_name: Text | None = None) -> Evaluation:
    """Judge every target of every metric of ``plan`` in ``area`` on ``observations``.

    ``area`` and ``method`` default to the plan's own area and the registry's default
    (:func:`chosen`). ``evaluated_on`` (default: the as-of day, else today) decides which
    target years are over; ``as_of`` is recorded, observations not yet known then are left
    out (``Observation.known_at``, else the vintage's time), and due dates are read from it.

    The plan's stated baselines describe the plan's own area: judging another area (a
    province under the national plan) anchors each target on that area's observed base-year
    figures instead, never on the national ones.
    """
    area, method = chosen(plan, area, method)
    as_of_day = _aware(as_of).astimezone(UTC).date() if as_of is not None else None
    on = evaluated_on or as_of_day or date.today()
    by_metric: dict[str, list[Observation]] = {}
    for o in observations:
        if o.area != area or o.sector != "":
            continue
        known = o.known_at or o.vintage_at
        if as_of is not None and known is not None and _aware(known) > _aware(as_of):
            continue
        by_metric.setdefault(o.indicator, []).append(o)
    document = plan.document.number if plan.document else None
    goal_names = {g.id: g.name for g in plan.goal_areas}
    results = []
    for metric in plan.metrics():
        project_ = plan.project_of(metric.id)
        group: Literal["indicator", "project"]
        if project_ is None:
            group, parent = "indicator", getattr(metric, "goal_area", "")
            parent_name = goal_names.get(parent, Text(zh=parent, en=parent))
        else:
            group, parent, parent_name = "project", project_.id, project_.name
        judged = metric if area == plan.area else metric.model_copy(update={"baseline": {}})
        context = {b.series: by_metric.get(b.series, []) for b in metric.bounds}
        targets = [
            evaluate_target(judged, t, by_metric.get(metric.id, []), method=method,
                            evaluated_on=on, plan_base_year=plan.base_year,
                            plan_document=document, known_on=as_of_day, context=context)
            for t in sorted(metric.targets, key=lambda t: t.year)
        ]
        results.append(MetricResult(
            metric=metric.id, name=metric.name, group=group,
            parent=parent, parent_name=parent_name, unit=metric.unit,
            direction=metric.direction, targets=targets))
    return Evaluation(
        plan=plan.id, plan_version=plan.version, plan_title=plan.title, area=area,
        area_name=area_name or _area_name(area), method=method, evaluated_on=on, as_of=as_of,
        generated_at=datetime.now(UTC), software=f"mic2025 {__version__}", results=results,
    )


def evaluate_target(metric: Metric, target: Target, observations: Sequence[Observation], *,
                    method: str | None = None, evaluated_on: date | None = None,
                    plan_base_year: int, plan_document: str | None = None,
                    known_on: date | None = None,
                    context: Mapping[str, Sequence[Observation]] | None = None) -> TargetResult:
    """Series, assessment, verdict and projection of one target of one metric.

    ``known_on`` (default ``evaluated_on``) is the day whose knowledge is judged: the due
    date of the target year's figure is compared with it. ``context`` holds the
    observations of the context series the metric's bounds name.
    """
    method = _method(method)
    on = evaluated_on or date.today()
    shown = comparable_series(metric, target, observations, plan_base_year=plan_base_year,
                              plan_document=plan_document)
    comp, seg = segment(shown, metric)
    assessment = _assess(comp, method)
    due = metric.due_date(target.year)
    verdict, vyear, vvalue, vparts = _verdict(comp, on, due, known_on or on)
    bound = None
    if verdict not in ("open", "achieved", "missed"):
        settled = bound_verdict(metric, comp, context or {})
        if settled is not None:
            verdict, bound, part = settled
            vyear, vvalue, vparts = bound.year, bound.value, [part]
    gap = any(p.code == "data_gap" for p in vparts)
    notes = list(assessment.notes)
    if vyear is not None and vyear != comp.target_year:
        notes.append("verdict_from_next_year")
    if verdict == "pending":
        notes.append("verdict_pending")
    if gap:
        notes.append("data_gap")
    assessment = assessment.model_copy(update={"notes": list(dict.fromkeys(notes))})
    projection = None if verdict in ("achieved", "missed") else \
        project_for(comp, metric, plan_base_year=plan_base_year)
    return TargetResult(
        metric=metric.id, target_year=target.year, kind=target.kind, target_text=target.text,
        target_value=comp.target_value, tolerance=comp.tolerance, measure=comp.measure,
        measure_unit=comp.unit, direction=metric.direction, verdict=verdict, verdict_year=vyear,
        verdict_value=vvalue, verdict_note=note_text(vparts, VERDICT_NOTE_CODES),
        verdict_note_parts=vparts, assessment=assessment, projection=projection,
        series=list(shown.points), alternatives=list(shown.alternatives), segment=seg,
        bound=bound, due_date=due, data_gap=gap,
        missing_years=_missing_years(comp) if gap else [],
    )


def assess_series(direction: str, base: tuple[int, float], target: tuple[int, float],
                  observations: list[tuple[int, float]], *, method: str | None = None,
                  kind: str = "level", tolerance: float = 0.0,
                  evaluated_on: date | None = None) -> tuple[Assessment, Projection | None]:
    """Judge one ad-hoc series (``mic2025 assess``).

    ``kind='level'``: ``observations`` are values, ``base`` the base year and value.
    ``kind='growth'``: ``observations`` are yearly growth rates in percent and ``target`` the
    average rate over the years after the base year up to the target year (the base value is
    not used). The projection is ``None`` when the target year's figure is already given.
    """
    method = _method(method)
    if kind not in ("level", "growth"):
        raise EvaluationError(f"kind must be 'level' or 'growth', not {kind!r}")
    d = direction_sign(direction)
    years = [y for y, _ in observations]
    if len(set(years)) != len(years):
        raise EvaluationError(f"two observations for the same year: {sorted(years)}")
    by = sorted(observations)
    T, xT = target
    if base[0] >= T:
        raise EvaluationError(f"the base year {base[0]} is not before the target year {T}")
    notes: list[str] = []
    if evaluated_on is not None and evaluated_on > date(T, 12, 31) and T not in years:
        notes.append("verdict_pending")
    if kind == "growth":
        period = (base[0] + 1, T)
        inp = ProgressInput(direction=d, target_year=T, target_value=xT, series=tuple(by),
                            kind="growth", tolerance=tolerance, period=period, notes=tuple(notes))
        a = assess(method, inp)
        pr = None if T in years else project_growth(
            by, period=period, target_value=xT, direction=d, tolerance=tolerance)
        return a, pr
    series = [(y, v) for y, v in by if y > base[0]]
    inp = ProgressInput(direction=d, target_year=T, target_value=xT, series=tuple(series),
                        base=base, tolerance=tolerance, notes=tuple(notes))
    a = assess(method, inp)
    pr = None if T in years else project([base, *series], target_year=T, target_value=xT,
                                         direction=d, tolerance=tolerance)
    return a, pr


# --------------------------------------------------------------------------- internals


def _method(method: str | None) -> str:
    """``method``, or the registry's default when none is named; refuses an unknown one."""
    if method is None:
        return DEFAULT_METHOD
    if method not in METHODS:
        raise EvaluationError(f"unknown progress method {method!r}; choose one of "
                              f"{', '.join(sorted(METHODS))}")
    return method


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def _area_name(code: str) -> Text:
    from ..reference import area

    try:
        a = area(code)
    except UnknownCodeError:
        return Text(zh=code, en=code)
    return Text(zh=a.name_zh, en=a.name_en)


def _assess(comp: Comparable, method: str) -> Assessment:
    if comp.measure == "growth":
        inp = ProgressInput(direction=comp.sign, target_year=comp.target_year,
                            target_value=comp.target_value, series=tuple(comp.values()),
                            kind="growth", tolerance=comp.tolerance, period=comp.period,
                            unit=comp.unit, notes=comp.notes)
    else:
        since = comp.base[0] if comp.base else None
        inp = ProgressInput(direction=comp.sign, target_year=comp.target_year,
                            target_value=comp.target_value, series=tuple(comp.values(since)),
                            base=comp.base, tolerance=comp.tolerance, unit=comp.unit,
                            notes=comp.notes)
    a = assess(method, inp)
    if a.latest_year is not None:
        latest = comp.point(a.latest_year)
        if latest is not None and "partial_year" in latest.flags:
            a = a.model_copy(update={"notes": [*a.notes, "partial_year_latest"]})
    return a


_VerdictOut = tuple[Verdict, int | None, float | None, list[NotePart]]


def _part(code: str, **args: str | int | float) -> NotePart:
    assert code in VERDICT_NOTE_CODES, code
    return NotePart(code=code, args=args)


def _verdict(comp: Comparable, on: date, due: date | None, known_on: date) -> _VerdictOut:
    T = comp.target_year
    if on <= date(T, 12, 31):
        return "open", None, None, []
    observed = comp.observed()
    if comp.measure == "growth":
        return _growth_verdict(comp, observed, due, known_on)
    at_t = comp.full_year.get(T)
    if at_t is not None:
        ok = meets(comp.sign, at_t.value, comp.target_value, comp.tolerance)
        parts = _tolerance_note(comp, at_t.value)
        headline = comp.point(T)
        if headline is not None and "partial_year" in headline.flags:
            parts.append(_part("partial_year_headline", target_year=T, period=headline.period,
                               value=at_t.value, scope=at_t.scope or "—", source=at_t.source))
        return ("achieved" if ok else "missed"), T, at_t.value, parts
    nxt = comp.full_year.get(T + 1) or comp.point(T + 1)
    if nxt is not None:
        ok = meets(comp.sign, nxt.value, comp.target_value, comp.tolerance)
        return ("achieved" if ok else "missed"), T + 1, nxt.value, [
            _part("next_year", target_year=T, next_year=T + 1, period=nxt.period,
                  value=nxt.value)]
    latest = ([_part("pending_latest", target_year=T, latest_period=observed[-1].period)]
              if observed else [])
    return _unpublished(T, latest, due, known_on)


def _unpublished(T: int, pending: list[NotePart], due: date | None,
                 known_on: date) -> _VerdictOut:
    """The verdict of a target whose figure is not in the store: ``pending`` up to the due
    date, a data gap after it. ``pending`` holds the notes of a pending verdict that has data
    to go on; without a declared release only such a verdict is ``pending``."""
    if due is None:
        return ("pending", None, None, pending) if pending else \
            ("not_assessable", None, None, [])
    if known_on > due:
        return "not_assessable", None, None, [
            _part("data_gap", target_year=T, due_date=due.isoformat())]
    return "pending", None, None, [
        *pending, _part("due", target_year=T, due_date=due.isoformat())]


def _missing_years(comp: Comparable) -> list[int]:
    """The years a data gap is missing: each year of an average-growth period without a
    full-year figure, else the target year."""
    if comp.measure == "growth" and comp.period is not None:
        first, last = comp.period
        return [y for y in range(first, last + 1) if y not in comp.full_year]
    return [comp.target_year]


def _tolerance_note(comp: Comparable, value: float) -> list[NotePart]:
    if comp.tolerance > 0 and meets(comp.sign, value, comp.target_value, comp.tolerance) and \
            not meets(comp.sign, value, comp.target_value):
        return [_part("tolerance", tolerance=comp.tolerance)]
    return []


def _growth_verdict(comp: Comparable, observed: list[SeriesPoint], due: date | None,
                    known_on: date) -> _VerdictOut:
    assert comp.period is not None
    first, last = comp.period
    n = last - first + 1
    inside = {y: p.value for y, p in comp.full_year.items() if first <= y <= last}
    if len(inside) == n:
        mean = geometric_mean_growth(list(inside.values()))
        ok = meets(comp.sign, mean, comp.target_value, comp.tolerance)
        parts = [_part("geometric_mean", first=first, last=last, mean=mean),
                 *_tolerance_note(comp, mean)]
        return ("achieved" if ok else "missed"), last, mean, parts
    known = ([_part("growth_years_known", known=len(inside), years=n, first=first, last=last)]
             if inside else [])
    return _unpublished(comp.target_year, known, due, known_on)


def project_for(comp: Comparable, metric: Metric, *, plan_base_year: int,
                target_value: float | None = None, level: float = LEVEL) -> Projection | None:
    """The engine's projection of one comparable series to its target year.

    ``target_value`` (default the target's own, in the comparison measure) is the value whose
    probability is estimated; ``level`` is the prediction interval's coverage. A growth target
    projects the growth figures since the period's first year (or the plan's base year + 1, if
    earlier); a level or index target projects the points since its base year, clipped to the
    metric's ``value_range`` when the measure is the metric's own unit. ``None`` when there is
    nothing to project: no growth figure, no base, or no observed figure.
    """
    goal = comp.target_value if target_value is None else target_value
    if comp.measure == "growth":
        assert comp.period is not None
        since = min(comp.period[0], plan_base_year + 1)
        pts = comp.values(since)
        if not pts:
            return None
        return project_growth(pts, period=comp.period, target_value=goal, direction=comp.sign,
                              tolerance=comp.tolerance, level=level)
    if comp.base is None:
        return None
    pts = comp.values(comp.base[0])
    if len(pts) < 2 and not comp.observed():
        return None
    bounds = metric.value_range if comp.measure == "level" and comp.unit == metric.unit \
        else (None, None)
    return project(pts, target_year=comp.target_year, target_value=goal, direction=comp.sign,
                   tolerance=comp.tolerance, bounds=bounds, level=level)
