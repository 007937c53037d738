"""Published methods for judging progress towards a numeric target.

Each method is implemented from its published formulas (see
``shared/research/progress_methods.md`` for the sources and what was verified); the registry
:data:`METHODS` holds each method's name, title, reference, cut-offs and categories with
Chinese and English labels. :func:`assess` runs one method on one comparable series.

Notation: base year b and value x_b, latest year t and value x_t, target year T and value
x_T, desired direction d (+1 increase, −1 decrease), tolerance w ≥ 0 (the width of an
"about" target), ``CAGR(a→c) = (x_c/x_a)^(1/(c−a)) − 1``, linear progress share
``P = (x_t − x_b)/(x_T − x_b)``, elapsed share ``E = (t − b)/(T − b)``.

Project rules applied to every method (progress_methods.md §9)
---------------------------------------------------------------
* the direction is always explicit;
* "target met" is ``d·(x_t − x_T) ≥ −w``: a value within the tolerance of an "about" (左右)
  target counts as meeting it (note ``tolerance_applied`` when only the tolerance makes it);
* a target whose year has passed is assessed on the data up to the target year (EUSTAT's
  restatement of the UNSD 2023 note, exception 5); later points are not used (note
  ``after_target_ignored``) unless there are no others (note ``latest_after_target``);
* zero or negative values, or a change of sign, make a CAGR undefined: the CAGR methods then
  use the linear share ``Q = P/E`` with the same cut-offs (note ``linear_fallback``) — the
  0.001 substitute of sdg-build is never used;
* growth-rate targets ("年均增长7.5%"): the ratio is ``d·ḡ/|g_T|`` with ḡ the geometric mean
  of the yearly growth rates observed in the target period, cut against the method's own
  cut-offs (``pace_kind = mean_growth``); "target achieved" needs the whole period;
* a target equal to the base is a "maintain" objective: met if ``d·(x_t − x_T) ≥ −w``,
  otherwise the method's worst category (note ``target_equals_base``);
* a base already beyond the target that is no longer met is the method's worst category
  (StatCan exception 10; ESCAP edge case; note ``base_beyond_target``);
* a single data point, or no base, is ``insufficient_data``.

Paces are reported in percent a year for ``cagr`` and ``mean_growth`` and in the measure's
unit a year for ``linear``.

Note codes
----------
=========================  ==================================================================
``insufficient_data``       fewer than two usable points (or no growth figure in the period)
``no_base``                 no base value
``no_data_after_base``      nothing observed after the base year
``latest_meets_target``     insufficient data, but the one figure already meets the target
``linear_fallback``         zero/negative values or a sign change: linear share used
``base_beyond_target``      the base already met the target
``target_equals_base``      target equal to base: "maintain" rule
``tolerance_applied``       met only within the "about" tolerance
``after_target_ignored``    points after the target year exist and were not used
``latest_after_target``     only points after the target year exist; they were used
``period_incomplete``       growth target: not every year of the period is observed
``within_1pp_of_bound``     UNSD 2023 (EUSTAT exception 2): target 0 or 100 %, within 1 pp
``escap_reconstructed``     ESCAP: the time weights and class cut-offs are mic2025's [R]
=========================  ==================================================================

Further codes are added by :mod:`~mic2025.evaluate.measures` and
:mod:`~mic2025.evaluate.engine` (see :data:`NOTE_CODES`).

Two more code tables describe the free-text notes of a result, so that a report can translate
them: :data:`VERDICT_NOTE_CODES` (``TargetResult.verdict_note_parts``: why and how a verdict
was reached) and :data:`PROJECTION_NOTE_CODES` (``Projection.note_parts``: what limited a
projection). Each maps a code to its English template; a note part carries the code and the
template's arguments. Two more do the same for other English text of a result:
:data:`ALTERNATIVE_REASON_CODES` (``Alternative.reason_parts``: why a figure is not in the
headline series) and :data:`PROJECTION_MODEL_CODES` (``Projection.model_code`` with
``model_args``: the projection model and its settings). They are defined in
:mod:`~mic2025.evaluate.model` and listed here, beside :data:`NOTE_CODES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..errors import EvaluationError
from ..plan import Text
from .model import (  # noqa: F401  (the note-code tables are listed here, beside NOTE_CODES)
    ALTERNATIVE_REASON_CODES,
    PROJECTION_MODEL_CODES,
    PROJECTION_NOTE_CODES,
    VERDICT_NOTE_CODES,
    Assessment,
    PaceKind,
    Status,
)
from .projection import geometric_mean_growth, recency_weights, wls_line

Kind = Literal["level", "growth"]

#: every machine code that may appear in ``Assessment.notes``, with its meaning
NOTE_CODES: dict[str, str] = {
    # methods
    "insufficient_data": "fewer than two usable points (or no growth figure in the period)",
    "no_base": "no base value: the comparison cannot be anchored",
    "no_data_after_base": "nothing observed after the base year",
    "latest_meets_target": "too few data to assess, but the one figure already meets the target",
    "linear_fallback": "zero or negative values, or a sign change: linear share P/E used for CAGR",
    "base_beyond_target": "the base value already met the target",
    "target_equals_base": "target equal to base: the 'maintain' rule applies",
    "tolerance_applied": "met only within the 'about' (左右) tolerance",
    "after_target_ignored": "points after the target year exist and were not used",
    "latest_after_target": "only points after the target year exist; they were used",
    "period_incomplete": "average-growth target: not every year of the period is observed",
    "within_1pp_of_bound": "UNSD 2023: target 0 or 100 % and the value is within 1 pp of it",
    "escap_reconstructed": "ESCAP: time weights and class cut-offs are mic2025's reconstruction",
    # measures
    "base_from_plan": "the base value is the plan's stated baseline",
    "base_observed": "no baseline in the plan: the observed base-year figure is the base",
    "base_observed_later": "no base-year figure: the first later year is used as the base",
    "base_differs_from_observed": "plan baseline and observed base-year figure differ by > 1 %",
    "mixed_scopes": "the headline series mixes figures of different scopes",
    "partial_year": "a headline figure covers part of a year only",
    "partial_year_latest": "the latest figure used covers part of a year only",
    "chained": "some index points were chained from other published changes",
    "change_in_points": "no base level: the change in percentage points is compared instead",
    # engine
    "verdict_from_next_year": "no figure for the target year: the verdict uses the next year's",
    "verdict_pending": "the target year is over but its figure is not yet published",
    "data_gap": "the figure for the target year is due and not in the store",
    # series breaks (mic2025.evaluate.breaks)
    "break_segment": "a declared series break: only the figures on the target year's side are "
                     "read",
    "break_linked": "figures before a declared break are carried across by its chain link",
    "segment_base": "the base year is on the other side of a break: the segment's first figure "
                    "is the base",
}

_CUT_EPS = 1e-12  # cut-offs are inclusive; float noise at a cut-off counts as on it


class MethodInfo(BaseModel):
    """A published method: what it is called, where it is published, its cut-offs and categories.

    ``statuses`` maps each category to the method-independent status; a category that covers
    both "met" and "on track" (UNSD 2023, ESCAP ``maintain``) maps to ``on_track`` here and to
    ``achieved`` when the target is already met.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: Text
    publisher: str
    document: str
    url: str
    reference: str
    provenance: str
    thresholds: dict[str, float]
    categories: dict[str, Text]
    statuses: dict[str, Status]


_INSUFFICIENT = Text(zh="数据不足", en="Insufficient data")


def _ref(publisher: str, document: str, url: str) -> str:
    return f"{publisher}, {document}, {url}"


METHODS: dict[str, MethodInfo] = {
    "statcan": MethodInfo(
        name="statcan",
        title=Text(zh="加拿大统计局／Open SDG 进展测度（增长率比率法）",
                   en="Statistics Canada / Open SDG progress measure (growth-rate ratio)"),
        publisher="Statistics Canada; Open SDG",
        document="Canadian Indicator Framework for the SDGs — Methodology; Open SDG "
                 "progress methodology (R = d·CAGR_o/|CAGR_r|)",
        url="https://sdgcif-data-canada-oddcic-donnee.github.io/methodology/ ; "
            "https://open-sdg.readthedocs.io/en/latest/progress-methodology/",
        reference=_ref("Statistics Canada / Open SDG",
                       "Canadian Indicator Framework for the SDGs — Methodology; Open SDG "
                       "progress methodology",
                       "https://sdgcif-data-canada-oddcic-donnee.github.io/methodology/"),
        provenance="[V] formulas, cut-offs, scores and exceptions read in the published page "
                   "and the Open SDG text",
        thresholds={"on_track": 0.95, "acceleration_needed": 0.60, "limited_progress": 0.0},
        categories={
            "target_achieved": Text(zh="已达标", en="Target achieved"),
            "on_track": Text(zh="按期推进", en="On track"),
            "acceleration_needed": Text(zh="有进展但需加快",
                                        en="Progress made, acceleration needed"),
            "limited_progress": Text(zh="进展有限", en="Limited progress"),
            "deterioration": Text(zh="恶化", en="Deterioration"),
            "insufficient_data": _INSUFFICIENT,
        },
        statuses={"target_achieved": "achieved", "on_track": "on_track",
                  "acceleration_needed": "needs_acceleration", "limited_progress": "off_track",
                  "deterioration": "off_track", "insufficient_data": "insufficient_data"},
    ),
    "unsd2022": MethodInfo(
        name="unsd2022",
        title=Text(zh="联合国统计司可持续发展目标进展图（2020–2022 年版，复合增长率比率法）",
                   en="UNSD SDG Progress Chart, 2020–2022 editions (CAGR ratio)"),
        publisher="UN DESA / United Nations Statistics Division",
        document="Sustainable Development Goals Progress Chart — Technical Note (2020–2022), "
                 "section II(b): CR = CAGR_a/CAGR_r",
        url="https://unstats.un.org/sdgs/report/2022/ (technical note; table of contents seen at "
            "https://www.scribd.com/document/870374529/Progress-Chart-Technical-Note-2022)",
        reference=_ref("UN DESA/UNSD",
                       "Sustainable Development Goals Progress Chart — Technical Note "
                       "(2020–2022 editions), section II",
                       "https://unstats.un.org/sdgs/report/2022/"),
        provenance="[C] cut-offs corroborated by two independent public implementations",
        thresholds={"substantial_progress": 0.95, "fair_progress": 0.50,
                    "limited_or_no_progress": -0.10},
        categories={
            "target_met": Text(zh="已达标", en="Target met"),
            "substantial_progress": Text(zh="进展显著", en="Substantial progress / on track"),
            "fair_progress": Text(zh="有一定进展但需加快", en="Fair progress, acceleration needed"),
            "limited_or_no_progress": Text(zh="进展有限或无进展", en="Limited or no progress"),
            "deterioration": Text(zh="恶化", en="Deterioration"),
            "insufficient_data": _INSUFFICIENT,
        },
        statuses={"target_met": "achieved", "substantial_progress": "on_track",
                  "fair_progress": "needs_acceleration", "limited_or_no_progress": "off_track",
                  "deterioration": "off_track", "insufficient_data": "insufficient_data"},
    ),
    "unsd2023": MethodInfo(
        name="unsd2023",
        title=Text(zh="联合国统计司可持续发展目标进展评估（2023 年版起，预期进展比率法）",
                   en="UNSD SDG Progress Chart, 2023 and later editions (expected-progress ratio)"),
        publisher="UN DESA / United Nations Statistics Division",
        document="Progress Chart Technical Note 2023 (and Technical Note for Progress "
                 "Assessment 2024), as restated by EUSTAT",
        url="https://unstats.un.org/sdgs/files/report/2023/Progress_Chart_Technical_Note_2023.pdf",
        reference=_ref("UN DESA/UNSD", "Progress Chart Technical Note 2023",
                       "https://unstats.un.org/sdgs/files/report/2023/"
                       "Progress_Chart_Technical_Note_2023.pdf"),
        provenance="[V] as restated in full by EUSTAT "
                   "(https://github.com/EUSTAT-DES/site/blob/develop/_pages/en/metodologia.md)",
        thresholds={"target_met_or_on_track": 0.95, "fair_progress_acceleration_needed": 0.10},
        categories={
            "target_met_or_on_track": Text(zh="已达标或按期推进", en="Target met or on track"),
            "fair_progress_acceleration_needed": Text(zh="有一定进展但需加快",
                                                      en="Fair progress, acceleration needed"),
            "stagnation_or_regression": Text(zh="停滞或倒退", en="Stagnation or regression"),
            "insufficient_data": _INSUFFICIENT,
        },
        statuses={"target_met_or_on_track": "on_track",
                  "fair_progress_acceleration_needed": "needs_acceleration",
                  "stagnation_or_regression": "off_track",
                  "insufficient_data": "insufficient_data"},
    ),
    "escap": MethodInfo(
        name="escap",
        title=Text(zh="联合国亚太经社会预期进展指数（API）",
                   en="UN ESCAP Anticipated Progress Index (API)"),
        publisher="UN ESCAP",
        document="Asia-Pacific SDG Progress Assessment methodology (Current Status Index and "
                 "Anticipated Progress Index); Bidarbakht Nia (2017), SD/WP/04",
        url="https://data.unescap.org/resource-guides/progress-assessment-methodology",
        reference=_ref("UN ESCAP", "Asia-Pacific SDG Progress Assessment methodology",
                       "https://data.unescap.org/resource-guides/progress-assessment-methodology"),
        provenance="[V] concepts and class names; [R] formulas, time weights and cut-offs are "
                   "mic2025's reconstruction (the ESCAP annex could not be read)",
        thresholds={"maintain": 0.0, "accelerate": 1.0},
        categories={
            "maintain": Text(zh="保持", en="Maintain progress"),
            "accelerate": Text(zh="加快", en="Accelerate progress"),
            "reverse": Text(zh="扭转趋势", en="Reverse the trend"),
            "insufficient_data": _INSUFFICIENT,
        },
        statuses={"maintain": "on_track", "accelerate": "needs_acceleration",
                  "reverse": "off_track", "insufficient_data": "insufficient_data"},
    ),
}

DEFAULT_METHOD = "statcan"


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class ProgressInput:
    """One comparable series and its target, as the methods read it.

    ``series`` holds (year, value) in the comparable measure, one point per year; points
    before the base year are ignored. For ``kind='growth'`` the values are yearly growth
    rates in percent, ``period`` is the averaging period and ``base`` is not needed.
    ``unit`` is the measure's unit (UNSD 2023's 1 pp rule applies to ``%`` only);
    ``notes`` are passed through to the assessment.
    """

    direction: int
    target_year: int
    target_value: float
    series: tuple[tuple[int, float], ...]
    base: tuple[int, float] | None = None
    kind: Kind = "level"
    tolerance: float = 0.0
    period: tuple[int, int] | None = None
    unit: str | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.direction not in (1, -1):
            raise EvaluationError(f"direction must be +1 or -1, not {self.direction!r}")
        if self.tolerance < 0:
            raise EvaluationError(f"a tolerance cannot be negative ({self.tolerance})")
        if self.kind == "growth" and self.period is None:
            raise EvaluationError("a growth target needs its period")
        if self.base is not None and self.kind == "level" and self.base[0] >= self.target_year:
            raise EvaluationError(f"the base year {self.base[0]} is not before the target year "
                                  f"{self.target_year}")


def direction_sign(direction: str | int) -> int:
    if direction in ("increase", 1):
        return 1
    if direction in ("decrease", -1):
        return -1
    raise EvaluationError(f"direction must be 'increase' or 'decrease', not {direction!r}")


def meets(direction: int, value: float, target: float, tolerance: float = 0.0) -> bool:
    """The project's "target met" test: ``d·(value − target) ≥ −tolerance`` (float slack)."""
    eps = 1e-9 * max(1.0, abs(target))
    return direction * (value - target) >= -tolerance - eps


def _strictly_meets(direction: int, value: float, target: float) -> bool:
    return meets(direction, value, target, 0.0)


def cagr(x0: float, x1: float, years: float) -> float:
    """Compound annual growth rate as a fraction; both values must be positive."""
    return float((x1 / x0) ** (1.0 / years) - 1.0)


# --------------------------------------------------------------------------- shared facts


@dataclass
class _Facts:
    """What every method needs, worked out once with the project rules applied."""

    inp: ProgressInput
    notes: list[str]
    d: int
    T: int
    xT: float
    w: float
    kind: Kind
    met: bool
    # level
    b: int = 0
    xb: float = 0.0
    t: int = 0
    xt: float = 0.0
    used: list[tuple[int, float]] = field(default_factory=list)
    cagr_ok: bool = False
    base_beyond: bool = False
    equal: bool = False
    # growth
    mean: float = 0.0
    n_obs: int = 0
    n_total: int = 0
    complete: bool = False
    cum_obs: float = 0.0

    @property
    def elapsed(self) -> float:
        return (self.t - self.b) / (self.T - self.b)

    @property
    def progress(self) -> float | None:
        if self.kind == "growth":
            req = (1 + self.xT / 100) ** self.n_total - 1
            return None if req == 0 else self.cum_obs / req
        return None if self.equal else (self.xt - self.xb) / (self.xT - self.xb)

    @property
    def cagr_o(self) -> float:
        return cagr(self.xb, self.xt, self.t - self.b)

    @property
    def cagr_r(self) -> float:
        return cagr(self.xb, self.xT, self.T - self.b)

    def paces(self) -> tuple[float | None, float | None, PaceKind]:
        if self.kind == "growth":
            return self.mean, self.xT, "mean_growth"
        if self.cagr_ok:
            return 100 * self.cagr_o, 100 * self.cagr_r, "cagr"
        observed = (self.xt - self.xb) / (self.t - self.b)
        return observed, (self.xT - self.xb) / (self.T - self.b), "linear"

    def extrapolated(self) -> float:
        """Where the observed pace (CAGR, or linear in the fallback) leads at T."""
        if self.kind == "growth":
            return self.mean
        if self.cagr_ok:
            return self.xt * (1 + self.cagr_o) ** (self.T - self.t)
        return self.xb + (self.xt - self.xb) * (self.T - self.b) / (self.t - self.b)

    def pace_ratio(self) -> float:
        """``d·pace_o/|pace_r|``: StatCan's R, the growth rule, or Q = P/E in the fallback."""
        if self.kind == "growth":
            return self.d * self.mean / abs(self.xT)
        if self.cagr_ok:
            return self.d * self.cagr_o / abs(self.cagr_r)
        return self.d * (self.xt - self.xb) / abs(self.xT - self.xb) / self.elapsed


def _facts(inp: ProgressInput, method: str) -> _Facts | Assessment:
    """Apply the project rules; an :class:`Assessment` comes back when nothing can be judged."""
    notes = list(inp.notes)
    d, T, xT, w = inp.direction, inp.target_year, inp.target_value, inp.tolerance
    if inp.kind == "growth":
        return _growth_facts(inp, notes, method)
    if inp.base is None:
        latest = max(inp.series) if inp.series else None
        return _insufficient(inp, notes, "no_base", latest, method)
    b, xb = inp.base
    after = sorted((y, v) for y, v in inp.series if y > b)
    upto = [p for p in after if p[0] <= T]
    if upto:
        if len(upto) < len(after):
            notes.append("after_target_ignored")
        used = upto
    elif after:
        notes.append("latest_after_target")
        used = after
    else:
        return _insufficient(inp, notes, "no_data_after_base", None, method)
    t, xt = used[-1]
    f = _Facts(inp=inp, notes=notes, d=d, T=T, xT=xT, w=w, kind="level",
               met=meets(d, xt, xT, w), b=b, xb=xb, t=t, xt=xt, used=[(b, xb), *used])
    if f.met and not _strictly_meets(d, xt, xT):
        notes.append("tolerance_applied")
    f.equal = abs(xT - xb) <= 1e-12 * max(1.0, abs(xT))
    if f.equal:
        notes.append("target_equals_base")
    elif d * (xb - xT) > 0:
        f.base_beyond = True
        notes.append("base_beyond_target")
    f.cagr_ok = xb > 0 and xt > 0 and xT > 0
    return f


def _growth_facts(inp: ProgressInput, notes: list[str], method: str) -> _Facts | Assessment:
    assert inp.period is not None
    first, last = inp.period
    inside = sorted((y, v) for y, v in inp.series if first <= y <= last)
    n_total = last - first + 1
    if not inside:
        return _insufficient(inp, notes, "insufficient_data", None, method)
    values = [v for _, v in inside]
    if any(v <= -100 for v in values):
        raise EvaluationError(f"a growth rate of −100% or less in {inside}: not a growth series")
    mean = geometric_mean_growth(values)
    complete = len(inside) == n_total
    if not complete:
        notes.append("period_incomplete")
    d, xT, w = inp.direction, inp.target_value, inp.tolerance
    pace_met = meets(d, mean, xT, w)
    if pace_met and not _strictly_meets(d, mean, xT):
        notes.append("tolerance_applied")
    cum = math.prod(1 + v / 100 for v in values) - 1
    f = _Facts(inp=inp, notes=notes, d=d, T=inp.target_year, xT=xT, w=w, kind="growth",
               met=pace_met, t=inside[-1][0], xt=inside[-1][1], mean=mean, n_obs=len(inside),
               n_total=n_total, complete=complete, cum_obs=cum, used=inside)
    f.equal = abs(xT) <= 1e-12
    if f.equal:
        notes.append("target_equals_base")
    return f


def _insufficient(inp: ProgressInput, notes: list[str], why: str,
                  latest: tuple[int, float] | None, method: str) -> Assessment:
    codes = [*notes, "insufficient_data"] + ([why] if why != "insufficient_data" else [])
    if latest is not None and meets(inp.direction, latest[1], inp.target_value, inp.tolerance):
        codes.append("latest_meets_target")
    return Assessment(method=method, category="insufficient_data", status="insufficient_data",
                      base_year=inp.base[0] if inp.base else None,
                      base_value=inp.base[1] if inp.base else None,
                      latest_year=latest[0] if latest else None,
                      latest_value=latest[1] if latest else None,
                      target_year=inp.target_year, target_value=inp.target_value,
                      notes=_dedupe(codes), reference=METHODS[method].reference)


def _dedupe(codes: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(codes))


def _result(f: _Facts, method: str, category: str, *, ratio: float | None,
            score: float | None = None, projected: float | None = None,
            achieved: bool = False) -> Assessment:
    info = METHODS[method]
    status: Status = "achieved" if achieved else info.statuses[category]
    obs: float | None = None
    req: float | None = None
    kind: PaceKind | None = None
    if not (f.kind == "level" and f.equal):
        obs, req, kind = f.paces()
    if kind == "linear":
        f.notes.append("linear_fallback")
    return Assessment(
        method=method, category=category, status=status, ratio=_finite(ratio),
        progress=_finite(f.progress), observed_pace=_finite(obs), required_pace=_finite(req),
        pace_kind=kind, projected=_finite(projected if projected is not None else f.extrapolated()),
        score=_finite(score),
        base_year=f.b if f.kind == "level" else None,
        base_value=f.xb if f.kind == "level" else None,
        latest_year=f.t, latest_value=f.xt, target_year=f.T, target_value=f.xT,
        notes=_dedupe(f.notes), reference=info.reference,
    )


def _finite(v: float | None) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _cut(value: float, cuts: Sequence[tuple[float, str]], below: str) -> str:
    for threshold, category in cuts:
        if value >= threshold - _CUT_EPS:
            return category
    return below


# --------------------------------------------------------------------------- methods


def statcan_score(ratio: float) -> float:
    """StatCan/Open SDG score on −5…5: piecewise linear through (−0.6, −5), (0, −2.5),
    (0.6, 0), (0.95, 2.5), (1.3, 5), clipped; exact slopes 50/7 above 0.6 and 25/6 below."""
    if ratio >= 0.6:
        return min(50 / 7 * (ratio - 0.6), 5.0)
    return max(25 / 6 * ratio - 2.5, -5.0)


def statcan(f: _Facts) -> Assessment:
    """Statistics Canada / Open SDG progress measure.

    Published by Statistics Canada (Canadian Indicator Framework, methodology page,
    https://sdgcif-data-canada-oddcic-donnee.github.io/methodology/) and generalised in the
    Open SDG progress methodology (https://open-sdg.readthedocs.io/en/latest/progress-methodology/).

    ``R = d·CAGR_o/|CAGR_r|`` with CAGR_o = CAGR(b→t) and CAGR_r = CAGR(b→T). Target met →
    ``target_achieved`` (score 5); R ≥ 0.95 ``on_track``; 0.60 ≤ R < 0.95
    ``acceleration_needed``; 0 ≤ R < 0.60 ``limited_progress``; R < 0 ``deterioration``.
    Score: :func:`statcan_score`. Exception 10: a base beyond the target that is then no
    longer met is ``deterioration``. Growth targets: R = d·ḡ/|g_T|. Zero/negative values:
    R = d·(x_t − x_b)/|x_T − x_b| / E.
    """
    if f.kind == "growth":
        if f.equal:
            return _maintain(f, "statcan", "target_achieved", "deterioration")
        r = f.pace_ratio()
        if f.met and f.complete:
            return _result(f, "statcan", "target_achieved", ratio=r, score=5.0, achieved=True)
        cat = "on_track" if f.met else _statcan_cut(r)
        return _result(f, "statcan", cat, ratio=r, score=statcan_score(r))
    if f.equal:
        return _maintain(f, "statcan", "target_achieved", "deterioration")
    if f.met:
        return _result(f, "statcan", "target_achieved", ratio=f.pace_ratio(), score=5.0,
                       achieved=True)
    r = f.pace_ratio()
    cat = "deterioration" if f.base_beyond else _statcan_cut(r)
    return _result(f, "statcan", cat, ratio=r, score=statcan_score(r))


def _statcan_cut(r: float) -> str:
    return _cut(r, [(0.95, "on_track"), (0.60, "acceleration_needed"), (0.0, "limited_progress")],
                "deterioration")


def _maintain(f: _Facts, method: str, ok: str, bad: str) -> Assessment:
    if f.met:
        return _result(f, method, ok, ratio=None, score=_top_score(method), achieved=True)
    return _result(f, method, bad, ratio=None)


def _top_score(method: str) -> float | None:
    return {"statcan": 5.0, "unsd2023": 3.0, "escap": 1.0}.get(method)


def unsd2022(f: _Facts) -> Assessment:
    """UNSD SDG Progress Chart, 2020–2022 editions.

    Published by UN DESA/UNSD, "Sustainable Development Goals Progress Chart — Technical
    Note" (2020–2022), section II(b) (https://unstats.un.org/sdgs/report/2022/).

    ``CR = CAGR_a/CAGR_r`` (direction through the signs). Target met → ``target_met``;
    CR ≥ 0.95 ``substantial_progress``; 0.50 ≤ CR < 0.95 ``fair_progress``; −0.10 ≤ CR < 0.50
    ``limited_or_no_progress``; CR < −0.10 ``deterioration``. The plain ratio misreads a base
    beyond the target (both CAGRs point away from the target and CR comes out positive): the
    project rule makes that case ``deterioration``. Growth targets and the linear fallback as
    in :func:`statcan`.
    """
    if f.equal:
        return _maintain(f, "unsd2022", "target_met", "deterioration")
    if f.kind == "growth":
        r = f.pace_ratio()
        if f.met and f.complete:
            return _result(f, "unsd2022", "target_met", ratio=r, achieved=True)
        cat = "substantial_progress" if f.met else _unsd2022_cut(r)
        return _result(f, "unsd2022", cat, ratio=r)
    if f.met:
        return _result(f, "unsd2022", "target_met", ratio=_cr(f), achieved=True)
    cr = _cr(f)
    cat = "deterioration" if f.base_beyond else _unsd2022_cut(cr)
    return _result(f, "unsd2022", cat, ratio=cr)


def _cr(f: _Facts) -> float:
    if f.cagr_ok:
        return f.cagr_o / f.cagr_r
    p = f.progress
    assert p is not None
    return p / f.elapsed


def _unsd2022_cut(cr: float) -> str:
    return _cut(cr, [(0.95, "substantial_progress"), (0.50, "fair_progress"),
                     (-0.10, "limited_or_no_progress")], "deterioration")


def unsd2023(f: _Facts) -> Assessment:
    """UNSD expected-progress ratio (Progress Chart 2023 and later).

    Published by UN DESA/UNSD, "Progress Chart Technical Note 2023"
    (https://unstats.un.org/sdgs/files/report/2023/Progress_Chart_Technical_Note_2023.pdf),
    as restated by EUSTAT (https://github.com/EUSTAT-DES/site/blob/develop/_pages/en/metodologia.md).

    ``v_T^e = v_t·(1 + CAGR_a)^(T − t)``, ``ratio = (v_T^e − v_b)/(v_T − v_b)``. Ratio ≥ 0.95
    ``target_met_or_on_track`` (score 3); 0.10 ≤ ratio < 0.95
    ``fair_progress_acceleration_needed`` (2); ratio < 0.10 ``stagnation_or_regression`` (1).
    EUSTAT exceptions: (1) a latest value meeting the target is met whatever the trend;
    (2) a target of 0 % or 100 % counts as met within 1 percentage point; (6) two years of
    data at least. In the linear fallback v_T^e is the straight-line extrapolation, so the
    ratio equals P/E. Growth targets: ratio = d·ḡ/|g_T|.
    """
    top, mid, low = ("target_met_or_on_track", "fair_progress_acceleration_needed",
                     "stagnation_or_regression")
    if f.equal:
        return _maintain(f, "unsd2023", top, low)
    if f.kind == "growth":
        r = f.pace_ratio()
        if f.met and f.complete:
            return _result(f, "unsd2023", top, ratio=r, score=3.0, achieved=True)
        cat = top if f.met else _cut(r, [(0.95, top), (0.10, mid)], low)
        return _result(f, "unsd2023", cat, ratio=r, score=_unsd2023_score(cat))
    projected = f.extrapolated()
    ratio = (projected - f.xb) / (f.xT - f.xb)
    if f.met:
        return _result(f, "unsd2023", top, ratio=ratio, score=3.0, projected=projected,
                       achieved=True)
    if (f.inp.unit == "%" and f.xT in (0.0, 100.0) and abs(f.xt - f.xT) <= 1.0):
        f.notes.append("within_1pp_of_bound")
        return _result(f, "unsd2023", top, ratio=ratio, score=3.0, projected=projected,
                       achieved=True)
    cat = low if f.base_beyond else _cut(ratio, [(0.95, top), (0.10, mid)], low)
    return _result(f, "unsd2023", cat, ratio=ratio, score=_unsd2023_score(cat), projected=projected)


def _unsd2023_score(category: str) -> float:
    scores = {"target_met_or_on_track": 3.0, "fair_progress_acceleration_needed": 2.0}
    return scores.get(category, 1.0)


def escap_estimate(points: Sequence[tuple[int, float]], target_year: int) -> tuple[float, bool]:
    """ESCAP-style anticipated value at T from a time-weighted fit [R].

    mic2025's reconstruction of the ESCAP weighted extrapolation (Bidarbakht Nia 2017,
    SD/WP/04; UNECE: "a time-weighted linear regression"): a weighted least-squares line
    through ``ln x`` on the year with weights rising linearly with recency (1 for the base
    year, 2 for the latest; :func:`~mic2025.evaluate.projection.recency_weights`); the slope
    is the growth estimate g = e^β − 1 and ``x̂_T = x_t·(1 + g)^(T − t)``. With two points g
    is CAGR(b→t), as ESCAP states. With a zero or negative value the line is fitted to x
    itself and ``x̂_T = x_t + β·(T − t)`` (second value True = linear fallback).
    """
    years = [float(y) for y, _ in points]
    values = [v for _, v in points]
    t, xt = points[-1]
    w = recency_weights(years)
    if all(v > 0 for v in values):
        _, beta, _ = wls_line(years, [math.log(v) for v in values], w)
        # an explosive fitted growth would overflow exp(); ln(max float) ≈ 709.78
        exponent = min(beta * (target_year - t), 709.0)
        return xt * math.exp(exponent), False
    _, slope, _ = wls_line(years, values, w)
    return xt + slope * (target_year - t), True


def escap(f: _Facts) -> Assessment:
    """ESCAP Anticipated Progress Index (with the Current Status Index as score).

    Published by UN ESCAP, "Asia-Pacific SDG Progress Assessment methodology"
    (https://data.unescap.org/resource-guides/progress-assessment-methodology); the weighted
    extrapolation after Bidarbakht Nia (2017), ESCAP SD/WP/04. The concepts and class names
    are verified; the formulas below are mic2025's reconstruction [R] (progress_methods.md
    §2.2), flagged by the note ``escap_reconstructed``.

    Anticipated value x̂_T by :func:`escap_estimate`; gap ``G = (x_T − x̂_T)/(x_T − x_b)``;
    G ≤ 0 (or x̂_T within the tolerance) ``maintain``; 0 < G < 1 ``accelerate``; G ≥ 1
    ``reverse``. A target already met is ``maintain`` (CSI = 1). The score is the CSI
    ``P`` capped at 1 when met and clipped to [−1, 1]. A base beyond the target that is no
    longer met is ``reverse``. Growth targets: G = 1 − d·ḡ/|g_T|.
    """
    f.notes.append("escap_reconstructed")
    if f.equal:
        return _maintain(f, "escap", "maintain", "reverse")
    if f.kind == "growth":
        g = 1 - f.pace_ratio()
        if f.met:
            return _result(f, "escap", "maintain", ratio=g, score=_csi(f),
                           achieved=f.complete)
        return _result(f, "escap", _escap_cut(g), ratio=g, score=_csi(f))
    projected, linear = escap_estimate(f.used, f.T)
    if linear:
        f.notes.append("linear_fallback")
    gap = (f.xT - projected) / (f.xT - f.xb)
    if f.met:
        return _result(f, "escap", "maintain", ratio=gap, score=1.0, projected=projected,
                       achieved=True)
    if f.base_beyond:
        return _result(f, "escap", "reverse", ratio=gap, score=_csi(f), projected=projected)
    if meets(f.d, projected, f.xT, f.w):
        if not _strictly_meets(f.d, projected, f.xT):
            f.notes.append("tolerance_applied")
        return _result(f, "escap", "maintain", ratio=gap, score=_csi(f), projected=projected)
    return _result(f, "escap", _escap_cut(gap), ratio=gap, score=_csi(f), projected=projected)


def _escap_cut(gap: float) -> str:
    if gap <= _CUT_EPS:
        return "maintain"
    return "accelerate" if gap < 1.0 - _CUT_EPS else "reverse"


def _csi(f: _Facts) -> float | None:
    if f.met and (f.kind == "level" or f.complete):
        return 1.0
    p = f.progress
    return None if p is None else max(-1.0, min(1.0, p))


_FUNCS: dict[str, Callable[[_Facts], Assessment]] = {
    "statcan": statcan, "unsd2022": unsd2022, "unsd2023": unsd2023, "escap": escap,
}


def assess(method: str, inp: ProgressInput) -> Assessment:
    """Judge one comparable series against its target with a published method."""
    if method not in _FUNCS:
        raise EvaluationError(f"unknown progress method {method!r}; choose one of "
                              f"{', '.join(sorted(METHODS))}")
    facts = _facts(inp, method)
    if isinstance(facts, Assessment):
        return facts
    return _FUNCS[method](facts)
