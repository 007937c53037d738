"""Series breaks and bounds: what a judgement may read across a break, and what a bound settles.

Breaks
------
A metric may declare breaks (``Metric.breaks``): from a break's ``year`` on, its figures are
on another basis (a new denominator, a new survey frame, another publisher's household base).
:func:`segment` cuts a target's comparable series to the *comparable segment*: the figures
from the latest break at or before the target year up to the next break. Earlier figures are
read only through declared chain links (``link.factor``, old × factor = new basis), break by
break as far back as every break on the way has one. If the comparison's base year falls
outside the segment, the segment's first figure before the target year becomes the base (note
``segment_base``; no base when there is none): a pace measured across a break would measure
the break, not progress.

Growth measures are year-on-year rates, which a publisher states on one basis; only a rate
mic2025 computed itself from two levels on either side of a break is left out.

The verdict reads the same segment, so a figure for the year after the target year is not
used when a break lies between them. The result keeps the whole series for display and says
in ``TargetResult.segment`` what was read.

Bounds
------
A metric may declare bounds (``Metric.bounds``): a broader-scope context series that lies on
one side of the metric. :func:`bound_verdict` decides a verdict the headline series could not
decide, and only when the bound settles it: a favourable bound (lower for an increase target,
upper for a decrease target) that already meets the target proves it achieved; an unfavourable
bound that fails it proves it missed. Bounds are compared in the metric's own unit, so they
apply to level targets; the figure must be a full-year figure for the target year itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from .. import units
from ..observation import Observation
from ..plan import Bound, Metric
from .measures import Comparable, full_year
from .model import (
    BoundUsed,
    BreakMark,
    ComparableSegment,
    NotePart,
    SegmentLink,
    SeriesPoint,
    Verdict,
)
from .projection import meets


def segment(comp: Comparable, metric: Metric) -> tuple[Comparable, ComparableSegment | None]:
    """``comp`` cut to the target year's comparable segment, and what was read.

    Returns ``comp`` unchanged and ``None`` for a metric without breaks.
    """
    if not metric.breaks:
        return comp, None
    years = sorted(b.year for b in metric.breaks)
    marks = [BreakMark(year=b.year, kind=b.kind, text=b.text, source=b.source)
             for b in sorted(metric.breaks, key=lambda b: b.year)]
    if comp.measure == "growth":
        return _growth_segment(comp, years, marks)
    by_year = {b.year: b for b in metric.breaks}
    T = comp.target_year
    start = max((y for y in years if y <= T), default=None)
    end = next((y for y in years if y > T), None)
    # walk back through linked breaks: each span before a break is read at the product of the
    # links between it and the target year's basis
    spans: list[tuple[int | None, int, float]] = []
    links: list[SegmentLink] = []
    read_from, factor = start, 1.0
    while read_from is not None:
        link = by_year[read_from].link
        if link is None:
            break
        factor *= link.factor
        links.append(SegmentLink(year=read_from, factor=link.factor))
        earlier = max((y for y in years if y < read_from), default=None)
        spans.append((earlier, read_from, factor))
        read_from = earlier

    def scale(year: int) -> float | None:
        if end is not None and year >= end:
            return None
        if start is None or year >= start:
            return 1.0
        for lo, hi, f in spans:
            if (lo is None or year >= lo) and year < hi:
                return f
        return None

    points = [p for p in (_scaled(p, scale(p.year)) for p in comp.points) if p is not None]
    excluded = sorted({p.year for p in comp.points if scale(p.year) is None})
    notes = list(comp.notes)
    base = comp.base
    if base is not None:
        k = scale(base[0])
        if k is not None:
            base = (base[0], base[1] * k)
        else:
            first = next((p for p in points if p.year < T), None)
            base = (first.year, first.value) if first is not None else None
            notes.append("segment_base")
    if excluded or base != comp.base:
        notes.append("break_segment")
    if any(scale(p.year) not in (None, 1.0) for p in comp.points):
        notes.append("break_linked")
    full = {y: q for y, q in ((y, _scaled(p, scale(y))) for y, p in comp.full_year.items())
            if q is not None}
    cut = dataclasses.replace(comp, points=tuple(points), base=base, full_year=full,
                              notes=tuple(dict.fromkeys(notes)))
    return cut, ComparableSegment(basis_from=start, read_from=read_from, read_until=end,
                                  links=links, excluded_years=excluded, breaks=marks)


def _scaled(p: SeriesPoint, k: float | None) -> SeriesPoint | None:
    if k is None:
        return None
    if k == 1.0:
        return p
    return p.model_copy(update={
        "value": p.value * k,
        "lower": p.lower * k if p.lower is not None else None,
        "upper": p.upper * k if p.upper is not None else None})


def _growth_segment(comp: Comparable, years: list[int],
                    marks: list[BreakMark]) -> tuple[Comparable, ComparableSegment]:
    def crosses(p: SeriesPoint) -> bool:
        d = p.derivation_part
        if d is None or d.code != "growth_levels":
            return False
        prev = int(d.args["previous_year"])
        return any(prev < b <= p.year for b in years)

    dropped = [p for p in comp.points if crosses(p)]
    if not dropped:
        return comp, ComparableSegment(breaks=marks)
    cut = dataclasses.replace(
        comp, points=tuple(p for p in comp.points if not crosses(p)),
        full_year={y: p for y, p in comp.full_year.items() if not crosses(p)},
        notes=tuple(dict.fromkeys([*comp.notes, "break_segment"])))
    return cut, ComparableSegment(excluded_years=sorted(p.year for p in dropped), breaks=marks)


def bound_verdict(metric: Metric, comp: Comparable,
                  context: Mapping[str, Sequence[Observation]]
                  ) -> tuple[Verdict, BoundUsed, NotePart] | None:
    """The verdict a declared bound settles for ``comp``'s target year, or ``None``."""
    if comp.measure != "level" or comp.unit != metric.unit:
        return None
    T = comp.target_year
    for b in metric.bounds:
        figures = [o for o in context.get(b.series, ())
                   if o.year == T and full_year(o) and units.convertible(o.unit, comp.unit)]
        if not figures:
            continue
        o = max(figures, key=lambda o: (o.source_date.toordinal() if o.source_date else 0,
                                        o.vintage or 0))
        value = units.convert(o.value, o.unit, comp.unit)
        ok = bool(meets(comp.sign, value, comp.target_value, comp.tolerance))
        favourable = (b.side == "lower") == (comp.sign > 0)
        if favourable != ok:
            continue  # a lower bound below an increase target says nothing, and so on
        used = _used(b, o, value, comp.unit)
        part = NotePart(code=f"on_{b.side}_bound",
                        args={"series": b.series, "year": T, "value": value})
        return ("achieved" if ok else "missed"), used, part
    return None


def _used(b: Bound, o: Observation, value: float, unit: str) -> BoundUsed:
    return BoundUsed(series=b.series, side=b.side, year=o.year, period=o.period.code,
                     value=value, unit=unit, source=o.source, text=b.text,
                     relation_source=b.source)
