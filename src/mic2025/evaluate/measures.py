"""From a metric's observations to the comparable yearly series of one target.

The target's kind decides what the comparison is made on (the *measure*, see
:mod:`mic2025.evaluate.model`):

``level``
    the value in the metric's unit (money converted with :func:`mic2025.units.convert`).
    Change figures (``%yoy``, ``decline%vs:2020``…) cannot become levels without a base and
    are kept as alternatives with that reason.
``change_pp`` ("比2015年提高2个百分点")
    the level; the target is base level + value. The base level is the plan's
    ``baseline[base_year]`` when stated (note ``base_from_plan``), else the observed
    base-year figure (``base_observed``). A figure published as a change in points
    (``pp_vs:YYYY``) becomes a level on the level of year YYYY. Without any base level the
    comparison is made on the change in points itself (unit ``pp_vs:YYYY``, base 0;
    notes ``no_base``, ``change_in_points``).
``relative_change`` ("比2015年下降18%")
    an index with the base year = 100; the target is 100 + value. The index is built from
    whatever arrived: a cumulative change against the base year (``decline%vs:2015`` 16 →
    84), a level (100 × level_t / level_base), a cumulative change against another year Y
    (index_Y × (1 + change)) or a one-year change (index_{t−1} × (1 + change)). Every point
    records its ``derivation`` (and ``derivation_part``, the same as a code of
    :data:`~mic2025.evaluate.model.DERIVATION_CODES`, a chained one nesting the derivation it
    builds on); a point whose link is missing is kept as an alternative
    with the reason; routes are preferred direct-against-base first, then by fewer chaining
    steps, and the routes not used stay as alternatives with their difference from the
    headline (a cross-check).
``average_growth`` ("年均增长7.5%左右")
    growth on the previous year in percent (``%yoy``): published growth rates, or growth
    computed from two consecutive full-year levels.

Headline selection: one point per year. Among the candidates of a year the first by

1. scope: the scope ranked first in ``metric.scopes``; a figure of a scope the list does
   not name (a sub-population such as light industry alone, a different waste category) is
   never used in the headline and is shown as an alternative; a figure with no scope, and
   every figure when the list is empty, is accepted;
2. a full-year figure (a year, or a stock as of 31 December) before a part-year one, and
   among part-year figures the latest period end (flag ``partial_year``);
3. the route (relative change: direct against the base, then levels, then chained, fewer
   steps first; growth: published before computed from levels);
4. a figure not flagged ``derived`` before a derived one;
5. the latest ``source_date``, then the latest vintage.

Figures flagged ``proxy`` never enter the headline. Every candidate not chosen becomes an
:class:`~mic2025.evaluate.model.Alternative` with its reason. Scopes may differ between
years (statistics change scope between releases): each point shows its scope and the series
notes ``mixed_scopes``.

The plan's stated baseline is the base of the comparison (the target is defined against
it). It appears as a series point with source ``plan`` unless an observation of the
preferred scope exists for that year; then the observation is shown, the plan's figure stays
the base, and ``base_differs_from_observed`` is noted when the two differ by more than 1 %
of the base.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .. import units
from ..observation import Observation
from ..plan import Metric, Target
from .model import (
    ALTERNATIVE_REASON_CODES,
    DERIVATION_CODES,
    Alternative,
    Derivation,
    Measure,
    NoteArg,
    NotePart,
    SeriesPoint,
    derivation_text,
    note_text,
)

PLAN_SOURCE = "plan"


@dataclass(frozen=True)
class Comparable:
    """A target's comparable series: what the methods, the verdict and the projection read."""

    metric: str
    measure: Measure
    unit: str
    direction: Literal["increase", "decrease"]
    target_year: int
    target_value: float
    tolerance: float
    base: tuple[int, float] | None
    period: tuple[int, int] | None
    points: tuple[SeriesPoint, ...]
    alternatives: tuple[Alternative, ...]
    notes: tuple[str, ...]
    #: per year, the first-ranked full-year observation (the headline point when it is one;
    #: else an alternative): what a verdict on that year reads
    full_year: dict[int, SeriesPoint] = field(default_factory=dict)

    @property
    def sign(self) -> int:
        return 1 if self.direction == "increase" else -1

    def values(self, since: int | None = None) -> list[tuple[int, float]]:
        """(year, value) of the headline points, from ``since`` on."""
        return [(p.year, p.value) for p in self.points if since is None or p.year >= since]

    def point(self, year: int) -> SeriesPoint | None:
        return next((p for p in self.points if p.year == year), None)

    def observed(self) -> list[SeriesPoint]:
        """Headline points that come from observations (not the plan, not a definition)."""
        return [p for p in self.points if p.source != PLAN_SOURCE]


# --------------------------------------------------------------------------- candidates


def full_year(obs: Observation) -> bool:
    """A year, or a stock as of 31 December (截至年底), counts as a full-year figure."""
    p = obs.period
    return p.is_annual or (p.kind == "date" and (p.end.month, p.end.day) == (12, 31))


@dataclass
class _Cand:
    """One way of getting a comparable value for one year."""

    year: int
    obs: Observation | None  # None: a figure stated by the plan, or the base by definition
    route: int  # preference among routes: 0 best
    steps: int = 0
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    derivation: Derivation | None = None
    problem: NotePart | None = None  # why no value could be made (ALTERNATIVE_REASON_CODES)
    raw_value: float = 0.0
    raw_unit: str = ""
    source: str = PLAN_SOURCE
    definitional: bool = False

    @property
    def proxy(self) -> bool:
        return self.obs is not None and "proxy" in self.obs.flags


def _why(code: str, **args: NoteArg) -> NotePart:
    """A reason for an alternative: a code of :data:`ALTERNATIVE_REASON_CODES` and its args."""
    assert code in ALTERNATIVE_REASON_CODES, code
    return NotePart(code=code, args=args)


def _how(code: str, **args: NoteArg) -> Derivation:
    """How a value was computed: a code of :data:`DERIVATION_CODES` and its args."""
    assert code in DERIVATION_CODES, code
    return Derivation(code=code, args=args)


def _chained(code: str, of: Derivation | None, **args: NoteArg) -> Derivation:
    """How a value chained on another figure was computed; ``of`` says how that one was."""
    assert code in DERIVATION_CODES, code
    return Derivation(code=code, args=args, of=of)


def _text(d: Derivation | None) -> str | None:
    return derivation_text(d) if d is not None else None


def _num(v: float) -> str:
    """84 → '84.0', 79.296 → '79.296', 0.12345678 → '0.1235'."""
    text = f"{v:.4f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


class _Ranker:
    """The headline order of candidates within one year (module docstring, steps 1–5)."""

    def __init__(self, metric: Metric) -> None:
        self.scopes = metric.scopes

    def accepts(self, c: _Cand) -> bool:
        """Whether a candidate's scope may enter the headline series at all."""
        if c.obs is None or not self.scopes or not c.obs.scope:
            return True
        return c.obs.scope in self.scopes

    def scope_key(self, c: _Cand) -> tuple[float, str]:
        if c.definitional:
            return (-1.0, "")
        if c.obs is None:
            return (0.5, "")  # the plan: after the preferred scope, before any other
        s = c.obs.scope
        if s in self.scopes:
            return (float(self.scopes.index(s)), "")
        return (float(len(self.scopes)), s)

    def key(self, c: _Cand) -> tuple[object, ...]:
        o = c.obs
        if o is None:
            return (self.scope_key(c), 0, 0, (c.route, c.steps), 0, 0, 0)
        fy = full_year(o)
        return (
            self.scope_key(c),
            0 if fy else 1,
            0 if fy else -o.period.end.toordinal(),
            (c.route, c.steps),
            1 if "derived" in o.flags else 0,
            -(o.source_date.toordinal()) if o.source_date else 1,
            -(o.vintage) if o.vintage is not None else 1,
        )

    def reason(self, loser: _Cand, winner: _Cand) -> NotePart:
        if loser.proxy:
            return _why("proxy")
        if not self.accepts(loser):
            assert loser.obs is not None
            return _why("scope_not_accepted", scope=loser.obs.scope,
                        accepted=", ".join(self.scopes))
        lk, wk = self.key(loser), self.key(winner)
        if loser.obs is None and not loser.definitional:
            return _why("plan_baseline")
        if winner.definitional:
            return _why("base_year", value=_num(winner.value or 100.0))
        if lk[0] != wk[0]:
            if loser.obs and loser.obs.scope:
                return _why("other_scope", scope=loser.obs.scope)
            return _why("other_scope_none")
        if lk[1] != wk[1]:
            return _why("full_year")
        if lk[2] != wk[2]:
            return _why("later_period", period=winner.obs.period.code if winner.obs else "")
        if lk[3] != wk[3]:
            diff = (loser.value or 0.0) - (winner.value or 0.0)
            return _why("other_route", derivation=str(_text(loser.derivation)), diff=diff)
        if lk[4] != wk[4]:
            return _why("derived")
        lo, wo = loser.obs, winner.obs
        if lo is not None and wo is not None and lo.key == wo.key:
            return _why("later_vintage")
        if loser.value is not None and winner.value is not None and \
                abs(loser.value - winner.value) <= 1e-9 * max(1.0, abs(winner.value)):
            return _why("same_figure", source=lo.source if lo else PLAN_SOURCE)
        return _why("conflicting_source_newer" if lk[5:] != wk[5:] else "conflicting_source",
                    value=_num(loser.value) if loser.value is not None else "?",
                    headline=_num(winner.value) if winner.value is not None else "?",
                    source=wo.source if wo else PLAN_SOURCE)


def _point(c: _Cand, partial: bool) -> SeriesPoint:
    assert c.value is not None
    o = c.obs
    flags = sorted(o.flags) if o else []
    if partial:
        flags.append("partial_year")
    return SeriesPoint(
        year=c.year, period=o.period.code if o else f"{c.year:04d}", value=c.value,
        raw_value=c.raw_value, raw_unit=c.raw_unit, scope=o.scope if o else "",
        source=o.source if o else c.source, source_date=o.source_date if o else None,
        citation=o.citation if o else None,
        flags=flags, vintage=o.vintage if o else None, derivation=_text(c.derivation),
        derivation_part=c.derivation,
        lower=c.lower, upper=c.upper, quote=(o.quote or None) if o else None,
        note=(o.note or None) if o else None,
    )


def _alternative(c: _Cand, reason: NotePart) -> Alternative:
    o = c.obs
    return Alternative(
        year=c.year, period=o.period.code if o else f"{c.year:04d}",
        value=c.value if c.value is not None else c.raw_value,
        raw_value=c.raw_value, raw_unit=c.raw_unit, scope=o.scope if o else "",
        source=o.source if o else c.source, source_date=o.source_date if o else None,
        citation=o.citation if o else None,
        flags=sorted(o.flags) if o else [], vintage=o.vintage if o else None,
        derivation=_text(c.derivation), derivation_part=c.derivation, lower=c.lower,
        upper=c.upper, reason=note_text([reason], ALTERNATIVE_REASON_CODES) or "",
        reason_parts=[reason],
        comparable=c.value is not None, quote=(o.quote or None) if o else None,
        note=(o.note or None) if o else None,
    )


@dataclass
class _Dep:
    """A candidate that needs the headline value of another year."""

    obs: Observation
    year: int
    needs: int
    route: int
    make: Callable[[_Cand], tuple[float, Derivation]]  # headline of `needs` → (value, how)
    bounds: Callable[[_Cand, float], float] | None = None


@dataclass
class _Selection:
    chosen: dict[int, _Cand] = field(default_factory=dict)
    alternatives: list[Alternative] = field(default_factory=list)
    full_year: dict[int, _Cand] = field(default_factory=dict)


def _select(ranker: _Ranker, static: Iterable[_Cand], deps: Iterable[_Dep] = ()) -> _Selection:
    """Choose one headline candidate a year, resolving chained candidates year by year."""
    by_year: dict[int, list[_Cand]] = {}
    for c in static:
        by_year.setdefault(c.year, []).append(c)
    dep_year: dict[int, list[_Dep]] = {}
    for d in deps:
        dep_year.setdefault(d.year, []).append(d)
    sel = _Selection()
    for year in sorted(set(by_year) | set(dep_year)):
        cands = list(by_year.get(year, []))
        for d in dep_year.get(year, []):
            cands.append(_resolve(d, sel.chosen))
        usable = [c for c in cands if c.value is not None and not c.proxy and ranker.accepts(c)]
        winner = min(usable, key=ranker.key) if usable else None
        if winner is not None:
            sel.chosen[year] = winner
        full = [c for c in usable if c.obs is not None and full_year(c.obs)]
        if full:
            sel.full_year[year] = min(full, key=ranker.key)
        for c in cands:
            if c is winner:
                continue
            if c.value is None:
                sel.alternatives.append(_alternative(c, c.problem or _why("no_comparable_value")))
            elif winner is None:
                sel.alternatives.append(_alternative(c, ranker.reason(c, c)))
            else:
                sel.alternatives.append(_alternative(c, ranker.reason(c, winner)))
    return sel


def _resolve(d: _Dep, chosen: dict[int, _Cand]) -> _Cand:
    o = d.obs
    base = _Cand(year=d.year, obs=o, route=d.route, raw_value=o.value, raw_unit=o.unit)
    dep = chosen.get(d.needs)
    if d.needs >= d.year:
        base.problem = _why("refers_not_before", needs=d.needs, year=d.year)
        return base
    if dep is None or dep.value is None:
        base.problem = _why("chain_missing", needs=d.needs)
        return base
    value, how = d.make(dep)
    base.value, base.derivation, base.steps = value, how, dep.steps + 1
    if d.bounds is not None and o.lower is not None and o.upper is not None:
        a, b = d.bounds(dep, o.lower), d.bounds(dep, o.upper)
        base.lower, base.upper = min(a, b), max(a, b)
    return base


# --------------------------------------------------------------------------- entry point


def comparable_series(metric: Metric, target: Target, observations: Iterable[Observation], *,
                      plan_base_year: int, plan_document: str | None = None) -> Comparable:
    """The comparable series of ``target`` from ``observations`` of ``metric``.

    Only observations of the metric with sector ``''`` are read (the caller picks the area).
    ``plan_base_year`` is the base of ``level`` targets (the plan's base year);
    ``change_pp`` and ``relative_change`` targets carry their own ``base_year``.
    """
    obs = [o for o in observations if o.indicator == metric.id and o.sector == ""]
    builder = _Builder(metric, target, obs, plan_base_year, plan_document)
    if target.kind == "relative_change":
        return builder.index()
    if target.kind == "average_growth":
        return builder.growth()
    if target.kind == "change_pp":
        return builder.change_pp()
    return builder.level()


class _Builder:
    def __init__(self, metric: Metric, target: Target, obs: list[Observation], plan_base_year: int,
                 plan_document: str | None) -> None:
        self.metric, self.target, self.obs = metric, target, obs
        self.ranker = _Ranker(metric)
        self.plan_base_year = plan_base_year
        self.plan_document = plan_document
        approx = target.approx
        self.tolerance = approx.width(target.value) if approx else 0.0

    # ----------------------------------------------------------------- shared pieces

    def _plan_how(self, code: str, **args: NoteArg) -> Derivation:
        """The derivation of a figure the plan states or defines, with the plan's document
        number (the reports name the plan as its source by it)."""
        if self.plan_document:
            args["document"] = self.plan_document
        return _how(code, **args)

    def _plan_cands(self, unit: str) -> list[_Cand]:
        how = self._plan_how("plan_baseline") if self.plan_document \
            else _how("plan_baseline_undocumented")
        return [
            _Cand(year=y, obs=None, route=0, value=float(v), raw_value=float(v), raw_unit=unit,
                  derivation=how)
            for y, v in sorted(self.metric.baseline.items())
        ]

    def _direct(self, o: Observation, unit: str) -> _Cand:
        """A figure in (a unit convertible to) ``unit``; else a candidate with the problem."""
        c = _Cand(year=o.year, obs=o, route=0, raw_value=o.value, raw_unit=o.unit)
        if units.convertible(o.unit, unit):
            c.value = units.convert(o.value, o.unit, unit)
            if o.lower is not None and o.upper is not None:
                c.lower = units.convert(o.lower, o.unit, unit)
                c.upper = units.convert(o.upper, o.unit, unit)
                c.lower, c.upper = min(c.lower, c.upper), max(c.lower, c.upper)
            if o.unit != unit:
                c.derivation = _how("unit_conversion", value=_num(o.value), unit=o.unit,
                                    converted=_num(c.value), to=unit)
        elif units.change(o.unit) is not None and units.change(unit) is None:
            c.problem = _why("change_not_level", unit=o.unit)
        else:
            c.problem = _why("unit_not_convertible", unit=o.unit, to=unit)
        return c

    def _finish(self, measure: Measure, unit: str, sel: _Selection, *,
                base: tuple[int, float] | None, target_value: float, notes: list[str],
                period: tuple[int, int] | None = None) -> Comparable:
        points: list[SeriesPoint] = []
        for year in sorted(sel.chosen):
            c = sel.chosen[year]
            partial = c.obs is not None and not full_year(c.obs)
            points.append(_point(c, partial))
            if partial:
                notes.append("partial_year")
            if c.steps > 0 and measure == "index":
                notes.append("chained")
        scopes = {p.scope for p in points if p.source != PLAN_SOURCE}
        if len(scopes) > 1:
            notes.append("mixed_scopes")
        alts = sorted(sel.alternatives, key=lambda a: (a.year, a.period, a.source))
        return Comparable(
            metric=self.metric.id, measure=measure, unit=unit, direction=self.metric.direction,
            target_year=self.target.year, target_value=target_value, tolerance=self.tolerance,
            base=base, period=period, points=tuple(points), alternatives=tuple(alts),
            notes=tuple(dict.fromkeys(notes)),
            full_year={y: _point(c, False) for y, c in sorted(sel.full_year.items())},
        )

    def _level_base(self, sel: _Selection, base_year: int, notes: list[str], *,
                    allow_later: bool) -> tuple[int, float] | None:
        plan = self.metric.baseline.get(base_year)
        observed = sel.chosen.get(base_year)
        if plan is not None:
            notes.append("base_from_plan")
            if observed is not None and observed.obs is not None and observed.value is not None \
                    and abs(observed.value - plan) > 0.01 * abs(plan):
                notes.append("base_differs_from_observed")
            return base_year, float(plan)
        if observed is not None and observed.value is not None:
            notes.append("base_observed")
            return base_year, observed.value
        if allow_later:
            later = sorted(y for y in sel.chosen if base_year < y < self.target.year)
            if later:
                notes.append("base_observed_later")
                value = sel.chosen[later[0]].value
                assert value is not None
                return later[0], value
        notes.append("no_base")
        return None

    # ----------------------------------------------------------------- level

    def level(self) -> Comparable:
        unit = self.metric.unit
        cands = [*self._plan_cands(unit), *(self._direct(o, unit) for o in self.obs)]
        sel = _select(self.ranker, cands)
        notes: list[str] = []
        base = self._level_base(sel, self.plan_base_year, notes, allow_later=True)
        return self._finish("level", unit, sel, base=base, target_value=self.target.value,
                            notes=notes)

    # ----------------------------------------------------------------- change in points

    def change_pp(self) -> Comparable:
        unit = self.metric.unit
        B = self.target.base_year
        assert B is not None
        static: list[_Cand] = [*self._plan_cands(unit)]
        deps: list[_Dep] = []
        for o in self.obs:
            ch = units.change(o.unit)
            if ch is not None and ch.points and not ch.yoy and ch.base_year is not None \
                    and units.change(unit) is None:
                deps.append(self._pp_dep(o, ch.base_year, ch.sign))
            else:
                static.append(self._direct(o, unit))
        sel = _select(self.ranker, static, deps)
        notes: list[str] = []
        base = self._level_base(sel, B, notes, allow_later=False)
        if base is not None:
            return self._finish("level", unit, sel, base=base,
                                target_value=base[1] + self.target.value, notes=notes)
        return self._change_in_points(B, notes)

    def _pp_dep(self, o: Observation, year: int, sign: int) -> _Dep:
        def make(dep: _Cand) -> tuple[float, Derivation]:
            assert dep.value is not None
            v = dep.value + sign * o.value
            op = "+" if sign * o.value >= 0 else "−"
            return v, _chained("level_plus_points", dep.derivation, year=year,
                               level=_num(dep.value), op=op, change=abs(o.value),
                               value=o.value, unit=o.unit)

        def bound(dep: _Cand, x: float) -> float:
            assert dep.value is not None
            return dep.value + sign * x

        return _Dep(obs=o, year=o.year, needs=year, route=1, make=make, bounds=bound)

    def _change_in_points(self, B: int, notes: list[str]) -> Comparable:
        unit = f"pp_vs:{B}"
        static = [_Cand(year=B, obs=None, route=0, value=0.0, raw_value=0.0, raw_unit=unit,
                        definitional=True,
                        derivation=self._plan_how("points_base", base_year=B))]
        for o in self.obs:
            c = self._direct(o, unit)
            if c.value is None:
                c.problem = _why("no_base_for_points", base_year=B, unit=o.unit)
            static.append(c)
        sel = _select(self.ranker, static)
        notes.append("change_in_points")
        return self._finish("level", unit, sel, base=(B, 0.0), target_value=self.target.value,
                            notes=notes)

    # ----------------------------------------------------------------- index

    def index(self) -> Comparable:
        B = self.target.base_year
        assert B is not None
        level_unit = self._level_unit()
        base_level = self._base_level(B, level_unit)
        static: list[_Cand] = [_Cand(
            year=B, obs=None, route=-1, value=100.0, raw_value=100.0, raw_unit="index",
            definitional=True, derivation=self._plan_how("index_base", base_year=B))]
        deps: list[_Dep] = []
        for o in self.obs:
            ch = units.change(o.unit)
            if ch is None:
                static.append(self._index_from_level(o, B, base_level))
            elif ch.points:
                static.append(_Cand(year=o.year, obs=o, route=9, raw_value=o.value, raw_unit=o.unit,
                                    problem=_why("points_not_relative", unit=o.unit)))
            elif not ch.yoy and ch.base_year == B:
                static.append(self._index_direct(o, ch.sign))
            elif ch.yoy and not full_year(o):
                # a change on the same part of last year says nothing about the annual index
                static.append(_Cand(year=o.year, obs=o, route=9, raw_value=o.value,
                                    raw_unit=o.unit,
                                    problem=_why("partial_year_yoy", period=o.period.code)))
            else:
                needs = o.year - 1 if ch.yoy else ch.base_year
                assert needs is not None
                deps.append(self._index_dep(o, needs, ch.sign))
        sel = _select(self.ranker, static, deps)
        notes: list[str] = []
        if base_level is not None and base_level[2] == "plan":
            notes.append("base_from_plan")
        return self._finish("index", "index", sel, base=(B, 100.0),
                            target_value=100.0 + self.target.value, notes=notes)

    def _level_unit(self) -> str | None:
        if units.change(self.metric.unit) is None:
            return self.metric.unit
        levels = [o.unit for o in self.obs if units.change(o.unit) is None]
        return levels[0] if levels else None

    def _base_level(self, B: int, unit: str | None) -> tuple[float, str, str] | None:
        """(level, unit, where) of the base year for the level route, or None."""
        if unit is None:
            return None
        if units.change(self.metric.unit) is None and B in self.metric.baseline:
            return float(self.metric.baseline[B]), unit, "plan"
        cands = [self._direct(o, unit) for o in self.obs
                 if o.year == B and units.change(o.unit) is None]
        usable = [c for c in cands
                  if c.value is not None and not c.proxy and self.ranker.accepts(c)]
        if not usable:
            return None
        best = min(usable, key=self.ranker.key)
        assert best.value is not None and best.obs is not None
        return best.value, unit, best.obs.source

    def _index_direct(self, o: Observation, sign: int) -> _Cand:
        idx = 100.0 * (1 + sign * o.value / 100)
        op = "+" if sign * o.value >= 0 else "−"
        c = _Cand(year=o.year, obs=o, route=0, value=idx, raw_value=o.value, raw_unit=o.unit,
                  derivation=_how("index_direct", op=op, change=abs(o.value), value=o.value,
                                  unit=o.unit))
        if o.lower is not None and o.upper is not None:
            a, b = 100.0 * (1 + sign * o.lower / 100), 100.0 * (1 + sign * o.upper / 100)
            c.lower, c.upper = min(a, b), max(a, b)
        return c

    def _index_from_level(self, o: Observation, B: int,
                          base_level: tuple[float, str, str] | None) -> _Cand:
        c = _Cand(year=o.year, obs=o, route=1, raw_value=o.value, raw_unit=o.unit)
        if base_level is None:
            c.problem = _why("level_needs_base", unit=o.unit, base_year=B)
            return c
        lb, unit, where = base_level
        if not units.convertible(o.unit, unit):
            c.problem = _why("unit_not_base_unit", unit=o.unit, to=unit)
            return c
        if lb == 0:
            c.problem = _why("base_level_zero", base_year=B)
            return c
        lt = units.convert(o.value, o.unit, unit)
        c.value = 100.0 * lt / lb
        how = self._plan_how if where == PLAN_SOURCE else _how
        c.derivation = how("index_levels", level=_num(lt), base_level=_num(lb), level_unit=unit,
                           base_year=B, where=where)
        if o.lower is not None and o.upper is not None:
            c.lower = 100.0 * units.convert(o.lower, o.unit, unit) / lb
            c.upper = 100.0 * units.convert(o.upper, o.unit, unit) / lb
            c.lower, c.upper = min(c.lower, c.upper), max(c.lower, c.upper)
        return c

    def _index_dep(self, o: Observation, needs: int, sign: int) -> _Dep:
        def make(dep: _Cand) -> tuple[float, Derivation]:
            assert dep.value is not None
            v = dep.value * (1 + sign * o.value / 100)
            op = "+" if sign * o.value >= 0 else "−"
            return v, _chained("index_chained", dep.derivation, year=needs,
                               index=_num(dep.value), op=op, change=abs(o.value),
                               value=o.value, unit=o.unit)

        def bound(dep: _Cand, x: float) -> float:
            assert dep.value is not None
            return dep.value * (1 + sign * x / 100)

        d = _Dep(obs=o, year=o.year, needs=needs, route=2, make=make, bounds=bound)
        return d

    # ----------------------------------------------------------------- growth

    def growth(self) -> Comparable:
        unit = "%yoy"
        metric_unit = self.metric.unit
        metric_change = units.change(metric_unit)
        metric_is_growth = metric_change is not None and metric_change.yoy
        static: list[_Cand] = []
        if metric_is_growth:
            static.extend(self._plan_cands(metric_unit))
            for c in static:
                assert c.value is not None
                c.value = units.convert(c.value, metric_unit, unit)
        level_obs: list[Observation] = []
        for o in self.obs:
            ch = units.change(o.unit)
            if ch is not None and ch.yoy and not ch.points:
                static.append(self._direct(o, unit))
            elif ch is None and metric_is_growth and o.unit in ("%", "pp"):
                static.append(_Cand(year=o.year, obs=o, route=9, raw_value=o.value, raw_unit=o.unit,
                                    problem=_why("level_not_growth", unit=o.unit)))
            elif ch is None:
                level_obs.append(o)
            else:
                static.append(_Cand(year=o.year, obs=o, route=9, raw_value=o.value, raw_unit=o.unit,
                                    problem=_why("fixed_change_not_growth", unit=o.unit)))
        level_sel, level_alts = self._level_headline(level_obs, metric_unit, metric_is_growth)
        static.extend(self._growth_from_levels(level_sel, level_obs))
        sel = _select(self.ranker, static)
        sel.alternatives.extend(level_alts)
        return self._finish("growth", unit, sel, base=None, target_value=self.target.value,
                            notes=[], period=self.target.period)

    def _level_headline(self, level_obs: Sequence[Observation], metric_unit: str,
                        metric_is_growth: bool) -> tuple[dict[int, _Cand], list[Alternative]]:
        if not level_obs and (metric_is_growth or not self.metric.baseline):
            return {}, []
        unit = metric_unit if not metric_is_growth else level_obs[0].unit
        static = [] if metric_is_growth else self._plan_cands(unit)
        static.extend(self._direct(o, unit) for o in level_obs)
        sel = _select(self.ranker, static)
        # losing levels are not growth candidates, but they are still figures not used
        return sel.chosen, sel.alternatives

    def _growth_from_levels(self, levels: dict[int, _Cand],
                            level_obs: Sequence[Observation]) -> list[_Cand]:
        out: list[_Cand] = []
        for year, cur in sorted(levels.items()):
            if cur.obs is None:
                continue  # a plan figure yields no growth observation of its own
            c = _Cand(year=year, obs=cur.obs, route=1, steps=1, raw_value=cur.raw_value,
                      raw_unit=cur.raw_unit)
            prev = levels.get(year - 1)
            if prev is None or prev.value is None or cur.value is None:
                c.problem = _why("growth_prev_missing", prev_year=year - 1)
            elif not full_year(cur.obs) or (prev.obs is not None and not full_year(prev.obs)):
                c.problem = _why("growth_part_year")
            elif prev.value <= 0:
                c.problem = _why("growth_prev_not_positive", prev_year=year - 1)
            else:
                c.value = 100.0 * (cur.value / prev.value - 1)
                c.derivation = _how("growth_levels", current=_num(cur.value),
                                    previous=_num(prev.value), previous_year=year - 1, year=year)
            out.append(c)
        return out
