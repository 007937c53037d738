"""The final evaluation (终期评估): every target judged once the plan period is over.

The engine's verdict (:mod:`mic2025.evaluate.engine`) waits for the target year's own figure:
a level target whose figure for 2025 is not yet out is ``pending`` (or, once its publication
window has passed, a data gap), even when every figure published since 2023 already exceeds
it. The plan's targets read "到2025年达到…": a target reached before its year and still held
on the newest figure is met, early. :func:`judge` applies that rule on top of the engine:

* ``achieved`` by the engine → ``met_early`` when a figure before the target year already met
  the target (``first_met`` is the first such year); ``met_later`` when no figure up to the
  target year met it and the engine judged on a later year's figure (the target year's own is
  not published: whether it was met in that year the evidence cannot say — never "on time");
  else ``met_on_time``;
* ``missed`` → ``missed``;
* otherwise, for a level or index target: the newest published figure up to the target year
  (a part-year figure counts, and says so) meets the target → met, judged on that figure,
  ``first_met`` the first year any figure met it: ``met_early`` when that is before the target
  year, ``met_on_time`` when only a part-year figure of the target year itself did;
* otherwise ``awaiting`` (the engine's ``pending``: the figure is expected, see
  :func:`expected_date`) or ``not_assessable`` (the engine's data gap: nothing to judge on, or
  the figure is overdue; named in the document).

An average-growth target needs every year of its period: it is never met early.

:func:`build` judges every target of every target year on one data vintage; the document
(Word and PDF) is written by :mod:`mic2025.report.final`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..evaluate.methods import meets
from ..evaluate.model import MetricResult, SeriesPoint, TargetResult
from .common import FollowupError
from .midterm import Inputs, verdict_point

FinalVerdict = Literal["met_early", "met_on_time", "met_later", "missed", "awaiting",
                       "not_assessable"]
FINAL_VERDICTS: tuple[FinalVerdict, ...] = ("met_early", "met_on_time", "met_later", "missed",
                                            "awaiting", "not_assessable")
#: the verdicts that count a target as met
MET: tuple[FinalVerdict, ...] = ("met_early", "met_on_time", "met_later")


@dataclass(frozen=True)
class FinalTarget:
    """One target with its final verdict and the figure that verdict rests on."""

    metric: MetricResult
    target: TargetResult
    verdict: FinalVerdict
    point: SeriesPoint | None  # the figure judged on (for awaiting: the latest published)
    first_met: int | None  # the first year a published figure met the target
    expected: date | None  # when the target year's figure is due, if not yet out

    @property
    def year(self) -> int:
        return self.target.target_year

    @property
    def early(self) -> bool:
        return self.verdict == "met_early"


@dataclass
class FinalEvaluation:
    inputs: Inputs
    last_year: int
    targets: list[FinalTarget]

    def of_year(self, year: int, group: str | None = None) -> list[FinalTarget]:
        return [f for f in self.targets
                if f.year == year and (group is None or f.metric.group == group)]

    def counts(self, year: int, group: str | None = None) -> dict[str, int]:
        pairs = self.of_year(year, group)
        return {v: sum(1 for f in pairs if f.verdict == v) for v in FINAL_VERDICTS}

    @property
    def years(self) -> list[int]:
        return sorted({f.year for f in self.targets})

    @property
    def first_year(self) -> int:
        """The first year of the path each indicator's table and chart show: the plan's
        base year."""
        return self.inputs.plan.base_year


def expected_date(tr: TargetResult) -> date | None:
    """When the target year's figure is expected: the engine's ``due_date`` of the target
    (the indicator's declared publication lag), ``None`` where the plan declares none."""
    return tr.due_date


def _published(tr: TargetResult) -> list[SeriesPoint]:
    """The published figures of the headline series up to the target year, oldest first (the
    plan's own baselines and base-year definitions are not published figures)."""
    return sorted((p for p in tr.series if p.source != "plan" and p.year <= tr.target_year),
                  key=lambda p: (p.year, "partial_year" not in p.flags))


def _sign(tr: TargetResult) -> int:
    return 1 if tr.direction == "increase" else -1


def first_met(tr: TargetResult) -> int | None:
    """The first year a published figure met the target (within its tolerance)."""
    for p in _published(tr):
        if meets(_sign(tr), p.value, tr.target_value, tr.tolerance):
            return p.year
    return None


def judge(m: MetricResult, tr: TargetResult) -> FinalTarget:
    """The final verdict of one target (rules in the module's docstring)."""
    if tr.verdict == "achieved":
        pts = verdict_point(tr)
        first = first_met(tr) if tr.measure != "growth" else None
        early = first is not None and first < tr.target_year
        later = first is None and tr.verdict_year is not None and \
            tr.verdict_year > tr.target_year
        verdict: FinalVerdict = "met_early" if early else "met_later" if later else "met_on_time"
        return FinalTarget(m, tr, verdict, pts[-1] if pts else None,
                           first or tr.verdict_year, None)
    if tr.verdict == "missed":
        pts = verdict_point(tr)
        return FinalTarget(m, tr, "missed", pts[-1] if pts else None, None, None)
    published = _published(tr)
    latest = published[-1] if published else None
    if tr.measure != "growth" and latest is not None and \
            meets(_sign(tr), latest.value, tr.target_value, tr.tolerance):
        first = first_met(tr) or latest.year
        # met by a part-year figure of the target year itself: on time, not early
        return FinalTarget(m, tr, "met_early" if first < tr.target_year else "met_on_time",
                           latest, first, expected_date(tr))
    if tr.verdict in ("pending", "open"):
        return FinalTarget(m, tr, "awaiting", latest, None, expected_date(tr))
    # the engine's data gap (nothing published, or past its publication window) stays a gap
    return FinalTarget(m, tr, "not_assessable", latest, None, None)


def period_over_error(plan_years: Sequence[int], year: int, on: date,
                      what: str) -> FollowupError | None:
    """The refusal of a mid-term document or an adjustment for ``year`` on ``on``, once that
    year is over and the plan period with it (``None`` while it runs): it points to the final
    evaluation."""
    last = max(plan_years)
    if year < last or on <= date(last, 12, 31):
        return None
    return FollowupError(
        f"the plan period is over: its last target year {last} ended before {on.isoformat()}, "
        f"so there is no {what} for {year}; the {last} targets are judged by the final "
        f"evaluation: mic2025 final --out DIR")


def period_over(inp: Inputs) -> bool:
    """Whether the evaluation date is past the plan's last target year."""
    return inp.evaluation.evaluated_on > date(max(inp.plan.target_years), 12, 31)


def build(inp: Inputs) -> FinalEvaluation:
    """Every target of every target year judged on ``inp``'s data vintage.

    Refused (:class:`FollowupError`) while the plan period is still running: then the mid-term
    evaluation (``mic2025 midterm``) is the document to write.
    """
    last = max(inp.plan.target_years)
    if not period_over(inp):
        raise FollowupError(
            f"the final evaluation needs the plan period to be over: its last target year is "
            f"{last} and the evaluation date is {inp.evaluation.evaluated_on.isoformat()}; "
            f"write the mid-term evaluation (mic2025 midterm --year {last}) until then")
    targets = [judge(m, tr) for m in inp.evaluation.results for tr in m.targets]
    return FinalEvaluation(inp, last, targets)


def path_point(tr: TargetResult, year: int) -> SeriesPoint | None:
    """The headline figure of ``year`` (a full-year figure before a part-year one)."""
    pts = [p for p in tr.series if p.year == year]
    full = [p for p in pts if "partial_year" not in p.flags]
    chosen = full or pts
    return chosen[-1] if chosen else None


__all__ = ["FINAL_VERDICTS", "FinalEvaluation", "FinalTarget", "FinalVerdict",
           "build", "expected_date", "first_met", "judge", "path_point", "period_over",
           "period_over_error"]
