"""Line charts as hand-written SVG: no JavaScript, no network, the same input gives the same bytes.

Two layers:

* :class:`LineChart` and :func:`render` know nothing of the plan: marks at (year, value)
  positions, a planned path, projection bands, labels and a legend, drawn on a year axis and a
  value axis with "nice" ticks (1, 2, 2.5 or 5 times a power of ten).
* :func:`metric_charts` turns one metric of an :class:`~mic2025.evaluate.model.Evaluation` into
  charts: one per measure its targets compare on (usually one).

Text is SVG ``<text>`` in the CJK font stack below, so the browser renders Chinese with the
reader's fonts. Every string that reaches the SVG is escaped here: the SVG is inserted into
the HTML page as markup.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from ..evaluate.model import MetricResult, SeriesPoint, TargetResult
from ..i18n import Lang, code_label, t
from . import fmt
from .series import MeasureGroup, measure_groups, position

FONT_STACK = (
    "'Noto Sans SC', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', "
    "sans-serif"
)

SERIES = "#1d5fa6"
ALTERNATIVE = "#7d7d7d"
BASE = "#222222"
TARGET = "#a4470a"
PATH = "#555555"
PROJECTION = "#6d3fa0"
GRID = "#e3e3e3"
AXIS = "#8a8a8a"
TEXT = "#333333"

FONT_SIZE = 12
LEGEND_KEYS = ("series", "flagged", "alternatives", "base", "target", "tolerance", "trajectory",
               "projection")


# --------------------------------------------------------------------------- the chart model


@dataclass(frozen=True)
class Mark:
    """A data point at ``x`` (a year, fractional for part-year periods) and ``y``."""

    x: float
    y: float
    hollow: bool = False
    lower: float | None = None
    upper: float | None = None
    tip: str = ""


@dataclass(frozen=True)
class TargetMark:
    x: float
    y: float
    label: str
    tolerance: float = 0.0
    tip: str = ""


@dataclass(frozen=True)
class ProjectionMark:
    """A projection at year ``x``; the band fans out from ``start`` (the latest figure)."""

    x: float
    value: float | None
    lower: float | None
    upper: float | None
    start: tuple[float, float] | None = None
    tip: str = ""


@dataclass(frozen=True)
class BreakLine:
    """A declared series break, drawn as a vertical marker between ``x − 1`` and ``x`` (the
    first year on the new basis) with its ``label``; ``tip`` says what changed and why."""

    x: float
    label: str
    tip: str = ""


@dataclass(frozen=True)
class LineChart:
    chart_id: str
    title: str
    desc: str
    unit_label: str
    legend: Mapping[str, str] = field(default_factory=dict)
    series: tuple[Mark, ...] = ()
    alternatives: tuple[Mark, ...] = ()
    base: Mark | None = None
    targets: tuple[TargetMark, ...] = ()
    paths: tuple[tuple[tuple[float, float], ...], ...] = ()
    projections: tuple[ProjectionMark, ...] = ()
    reference_line: float | None = None
    breaks: tuple[BreakLine, ...] = ()
    no_data: str = ""
    width: int = 860
    plot_height: int = 260


# --------------------------------------------------------------------------- scales


def _decimals(step: float) -> int:
    for d in range(10):
        scaled = step * 10**d
        if abs(scaled - round(scaled)) < 1e-9 * max(1.0, abs(scaled)):
            return d
    return 10


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """Ticks covering [lo, hi] at a step of 1, 2, 2.5 or 5 times a power of ten."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"cannot make ticks for [{lo}, {hi}]")
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-12))
    decimals = _decimals(step)
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    ticks = [round(i * step, decimals) for i in range(first, last + 1)]
    return [0.0 if v == 0 else v for v in ticks]


def year_ticks(lo: int, hi: int, max_ticks: int) -> list[int]:
    """Whole years from ``lo`` to ``hi`` at a step of 1, 2, 5, 10… that leaves room for labels."""
    steps = (m * 10**k for k in range(10) for m in (1, 2, 5))
    step = next(s for s in steps if (hi - lo) // s + 1 <= max(max_ticks, 2))
    first = math.ceil(lo / step) * step
    return list(range(first, hi + 1, step))


def tick_label(v: float, ticks: Sequence[float]) -> str:
    """A tick's label with as many decimals as the step needs, the same on every tick."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    d = _decimals(step)
    v = abs(v) if v == 0 else v  # never "-0"
    return f"{v:,.{d}f}" if max(abs(x) for x in ticks) >= 10_000 else f"{v:.{d}f}"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Approximate rendered width: CJK glyphs are one em, Latin about half."""
    em = 0.0
    for ch in text:
        if ord(ch) >= 0x2E80 or ch in "“”":
            em += 1.0
        elif ch in " il.,:;|!'()[]/":
            em += 0.28
        elif ch.isupper() or ch in "mw%—–":
            em += 0.7
        else:
            em += 0.53
    return em * size


# --------------------------------------------------------------------------- rendering

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: str) -> str:
    return html.escape(_XML_INVALID.sub("", text), quote=True)


def _n(v: float) -> str:
    """A coordinate: two decimals at most, so output is stable across platforms."""
    text = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _tip(text: str) -> str:
    return f"<title>{_esc(text)}</title>" if text else ""


@dataclass
class _Frame:
    x0: float
    x1: float
    y0: float
    y1: float
    dx0: float
    dx1: float
    lo: float
    hi: float

    def sx(self, x: float) -> float:
        return self.x0 + (x - self.dx0) / (self.dx1 - self.dx0) * (self.x1 - self.x0)

    def sy(self, y: float) -> float:
        return self.y1 - (y - self.lo) / (self.hi - self.lo) * (self.y1 - self.y0)


Box = tuple[float, float, float, float]


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _line_boxes(points: Sequence[tuple[float, float]], every: float = 4.0) -> list[Box]:
    """Small boxes along a polyline (in pixels), so that labels keep off the lines too."""
    boxes: list[Box] = []
    for (x0, y0), (x1, y1) in pairwise(points):
        steps = max(1, int(math.hypot(x1 - x0, y1 - y0) // every))
        for i in range(steps + 1):
            x, y = x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps
            boxes.append((x - 1.5, y - 1.5, x + 1.5, y + 1.5))
    return boxes


def _place_label(x: float, y: float, w: float, obstacles: Sequence[Box],
                 bounds: Box) -> tuple[float, float, str, Box]:
    """Where to write a label of width ``w`` next to a mark at (x, y).

    Tries right and left of the mark, above then below, moving outwards; takes the first spot
    inside ``bounds`` that covers no obstacle, else the first spot inside, else above right.
    """
    first: tuple[float, float, str, Box] | None = None
    for dy in (-9, 17, -23, 31, -37, 45):
        for dx in (10, -10):
            tx, ty = x + dx, y + dy
            left = tx if dx > 0 else tx - w
            box = (left, ty - FONT_SIZE, left + w, ty + 3)
            if box[0] < bounds[0] or box[2] > bounds[2] or box[1] < bounds[1] \
                    or box[3] > bounds[3]:
                continue
            spot = (tx, ty, "start" if dx > 0 else "end", box)
            if not any(_overlaps(box, o) for o in obstacles):
                return spot
            first = first or spot
    if first is not None:
        return first
    return x + 10, y - 9, "start", (x + 10, y - 9 - FONT_SIZE, x + 10 + w, y - 6)


def _values(chart: LineChart) -> tuple[list[float], list[float]]:
    xs: list[float] = []
    ys: list[float] = []
    for m in (*chart.series, *chart.alternatives, *([chart.base] if chart.base else [])):
        xs.append(m.x)
        ys.extend(v for v in (m.y, m.lower, m.upper) if v is not None)
    for tm in chart.targets:
        xs.append(tm.x)
        ys.extend((tm.y - tm.tolerance, tm.y + tm.tolerance))
    for path in chart.paths:
        for x, y in path:
            xs.append(x)
            ys.append(y)
    for p in chart.projections:
        xs.append(p.x)
        ys.extend(v for v in (p.value, p.lower, p.upper) if v is not None)
        if p.start:
            xs.append(p.start[0])
            ys.append(p.start[1])
    finite = [y for y in ys if math.isfinite(y)]
    return [x for x in xs if math.isfinite(x)], finite


def _legend_items(chart: LineChart) -> list[str]:
    present = {
        "series": any(not m.hollow for m in chart.series),
        "flagged": any(m.hollow for m in chart.series),
        "alternatives": bool(chart.alternatives),
        "base": chart.base is not None,
        "target": bool(chart.targets),
        "tolerance": any(tm.tolerance > 0 for tm in chart.targets),
        "trajectory": bool(chart.paths),
        "projection": bool(chart.projections),
    }
    return [k for k in LEGEND_KEYS if present[k] and chart.legend.get(k)]


def _diamond(cx: float, cy: float, r: float) -> str:
    return (f"M{_n(cx)},{_n(cy - r)} L{_n(cx + r)},{_n(cy)} L{_n(cx)},{_n(cy + r)} "
            f"L{_n(cx - r)},{_n(cy)} Z")


def _swatch(key: str, x: float, y: float) -> list[str]:
    """The legend's little picture of ``key``, 22 px wide, centred on y."""
    cx = x + 11
    if key == "series":
        return [f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 22)}" y2="{_n(y)}" '
                f'stroke="{SERIES}" stroke-width="2"/>',
                f'<circle cx="{_n(cx)}" cy="{_n(y)}" r="3.5" fill="{SERIES}"/>']
    if key == "flagged":
        return [f'<circle cx="{_n(cx)}" cy="{_n(y)}" r="3.5" fill="#ffffff" stroke="{SERIES}" '
                'stroke-width="1.6"/>']
    if key == "alternatives":
        return [f'<path d="{_diamond(cx, y, 4.5)}" fill="{ALTERNATIVE}" fill-opacity="0.45" '
                f'stroke="{ALTERNATIVE}" stroke-width="1"/>']
    if key == "base":
        return [f'<rect x="{_n(cx - 4)}" y="{_n(y - 4)}" width="8" height="8" fill="{BASE}"/>']
    if key == "target":
        return [f'<circle cx="{_n(cx)}" cy="{_n(y)}" r="6" fill="none" stroke="{TARGET}" '
                'stroke-width="2"/>',
                f'<circle cx="{_n(cx)}" cy="{_n(y)}" r="2" fill="{TARGET}"/>']
    if key == "tolerance":
        return [f'<rect x="{_n(cx - 5)}" y="{_n(y - 7)}" width="10" height="14" fill="{TARGET}" '
                'fill-opacity="0.22"/>']
    if key == "trajectory":
        return [f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + 22)}" y2="{_n(y)}" stroke="{PATH}" '
                'stroke-width="1.5" stroke-dasharray="5 3"/>']
    return [f'<rect x="{_n(x)}" y="{_n(y - 6)}" width="22" height="12" fill="{PROJECTION}" '
            'fill-opacity="0.18"/>',
            f'<path d="{_diamond(cx, y, 4)}" fill="{PROJECTION}"/>']


def render(chart: LineChart) -> str:
    """The chart as a standalone ``<svg>`` element (one line per drawn element)."""
    chart_id = re.sub(r"[^A-Za-z0-9_-]", "-", chart.chart_id) or "chart"
    width = chart.width
    xs, ys = _values(chart)

    # value axis
    if ys:
        lo, hi = min(ys), max(ys)
        if lo == hi:
            pad = abs(lo) * 0.1 or 1.0
            lo, hi = lo - pad, hi + pad
        pad = (hi - lo) * 0.06
        lo_p, hi_p = lo - pad, hi + pad
        if lo >= 0 > lo_p:
            lo_p = 0.0
        ticks = nice_ticks(lo_p, hi_p)
    else:
        ticks = []
    labels = [tick_label(v, ticks) for v in ticks]

    # year axis
    if xs:
        first_year, last_year = math.floor(min(xs)), math.ceil(max(xs))
        if first_year == last_year:
            first_year, last_year = first_year - 1, last_year + 1
    else:
        first_year = last_year = 0

    left = 10 + max((text_width(s) for s in labels), default=0) + 8
    frame = _Frame(
        x0=max(left, 40), x1=width - 24, y0=34, y1=34 + chart.plot_height,
        dx0=first_year - 0.5, dx1=last_year + 0.5,
        lo=ticks[0] if ticks else 0.0, hi=ticks[-1] if ticks else 1.0,
    )
    year_labels = (year_ticks(first_year, last_year, int((frame.x1 - frame.x0) // 44))
                   if xs else [])

    # legend layout
    legend = _legend_items(chart)
    legend_rows: list[list[tuple[str, float]]] = [[]]
    cursor = frame.x0
    for key in legend:
        w = 22 + 6 + text_width(chart.legend[key]) + 18
        if legend_rows[-1] and cursor + w > width - 10:
            legend_rows.append([])
            cursor = frame.x0
        legend_rows[-1].append((key, cursor))
        cursor += w
    legend_top = frame.y1 + 42
    height = int(legend_top + (len(legend_rows) if legend else 0) * 20 + 6)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="{FONT_STACK}" font-size="{FONT_SIZE}">',
        f'<title id="{chart_id}-title">{_esc(chart.title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(chart.desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if chart.unit_label:
        out.append(f'<text x="10" y="18" fill="{TEXT}">{_esc(chart.unit_label)}</text>')

    # grid and axes
    out.append('<g class="grid">')
    for v, label in zip(ticks, labels, strict=True):
        y = frame.sy(v)
        out.append(f'<line x1="{_n(frame.x0)}" y1="{_n(y)}" x2="{_n(frame.x1)}" y2="{_n(y)}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{_n(frame.x0 - 6)}" y="{_n(y + 4)}" text-anchor="end" '
                   f'fill="{TEXT}">{_esc(label)}</text>')
    for year in year_labels:
        x = frame.sx(year)
        out.append(f'<line x1="{_n(x)}" y1="{_n(frame.y1)}" x2="{_n(x)}" y2="{_n(frame.y1 + 4)}" '
                   f'stroke="{AXIS}" stroke-width="1"/>')
        out.append(f'<text x="{_n(x)}" y="{_n(frame.y1 + 17)}" text-anchor="middle" '
                   f'fill="{TEXT}">{year}</text>')
    out.append(f'<line x1="{_n(frame.x0)}" y1="{_n(frame.y1)}" x2="{_n(frame.x1)}" '
               f'y2="{_n(frame.y1)}" stroke="{AXIS}" stroke-width="1"/>')
    for ref in (0.0, chart.reference_line):
        if ref is not None and ticks and frame.lo < ref < frame.hi:
            y = frame.sy(ref)
            out.append(f'<line x1="{_n(frame.x0)}" y1="{_n(y)}" x2="{_n(frame.x1)}" y2="{_n(y)}" '
                       f'stroke="{AXIS}" stroke-width="1"/>')
    out.append("</g>")
    for b in chart.breaks:
        x = frame.sx(b.x - 0.5)
        if not frame.x0 <= x <= frame.x1:
            continue
        out.append(f'<g class="break"><line x1="{_n(x)}" y1="{_n(frame.y0)}" x2="{_n(x)}" '
                   f'y2="{_n(frame.y1)}" stroke="{AXIS}" stroke-width="1.2" '
                   f'stroke-dasharray="4 3">{_tip(b.tip)}</line>')
        anchor = "end" if x > (frame.x0 + frame.x1) / 2 else "start"
        dx = -4 if anchor == "end" else 4
        out.append(f'<text x="{_n(x + dx)}" y="{_n(frame.y0 - 4)}" text-anchor="{anchor}" '
                   f'fill="{TEXT}" font-size="11">{_esc(b.label)}{_tip(b.tip)}</text></g>')

    if not ys:
        out.append(f'<text x="{_n((frame.x0 + frame.x1) / 2)}" '
                   f'y="{_n((frame.y0 + frame.y1) / 2)}" text-anchor="middle" fill="#666666" '
                   f'font-size="13">{_esc(chart.no_data)}</text>')
        out.append(_legend(chart, legend_rows, legend_top))
        out.append("</svg>")
        return "\n".join(out) + "\n"

    obstacles: list[Box] = []  # marks and lines that labels should not cover

    # projection bands under everything else
    for p in chart.projections:
        px = frame.sx(p.x)
        if p.lower is not None and p.upper is not None:
            yl, yu = frame.sy(p.lower), frame.sy(p.upper)
            if p.start is not None and p.start[0] < p.x:
                sx, sy = frame.sx(p.start[0]), frame.sy(p.start[1])
                out.append(f'<path d="M{_n(sx)},{_n(sy)} L{_n(px)},{_n(yu)} L{_n(px)},{_n(yl)} Z" '
                           f'fill="{PROJECTION}" fill-opacity="0.15">{_tip(p.tip)}</path>')
            out.append(f'<line x1="{_n(px)}" y1="{_n(yl)}" x2="{_n(px)}" y2="{_n(yu)}" '
                       f'stroke="{PROJECTION}" stroke-width="1.5" stroke-opacity="0.7"/>')
            for yy in (yl, yu):
                out.append(f'<line x1="{_n(px - 4)}" y1="{_n(yy)}" x2="{_n(px + 4)}" '
                           f'y2="{_n(yy)}" stroke="{PROJECTION}" stroke-width="1.5" '
                           'stroke-opacity="0.7"/>')
        if p.value is not None and p.start is not None and p.start[0] < p.x:
            sx, sy = frame.sx(p.start[0]), frame.sy(p.start[1])
            obstacles.extend(_line_boxes([(sx, sy), (px, frame.sy(p.value))]))
            out.append(f'<line x1="{_n(sx)}" y1="{_n(sy)}" x2="{_n(px)}" '
                       f'y2="{_n(frame.sy(p.value))}" stroke="{PROJECTION}" stroke-width="1.2" '
                       'stroke-dasharray="2 3"/>')

    # tolerance bands of "about" targets
    for tm in chart.targets:
        if tm.tolerance > 0:
            x = frame.sx(tm.x)
            top, bottom = frame.sy(tm.y + tm.tolerance), frame.sy(tm.y - tm.tolerance)
            out.append(f'<rect x="{_n(x - 7)}" y="{_n(top)}" width="14" '
                       f'height="{_n(bottom - top)}" fill="{TARGET}" fill-opacity="0.22"/>')

    # planned path
    for path in chart.paths:
        if len(path) >= 2:
            pixels = [(frame.sx(x), frame.sy(y)) for x, y in path]
            obstacles.extend(_line_boxes(pixels))
            pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in pixels)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{PATH}" stroke-width="1.5" '
                       'stroke-dasharray="6 4"/>')

    # headline line and whiskers
    series = sorted(chart.series, key=lambda m: (m.x, m.y))
    if len(series) >= 2:
        pixels = [(frame.sx(m.x), frame.sy(m.y)) for m in series]
        obstacles.extend(_line_boxes(pixels))
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in pixels)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{SERIES}" stroke-width="2" '
                   'stroke-linejoin="round"/>')
    for m in (*series, *chart.alternatives):
        if m.lower is not None and m.upper is not None:
            x = frame.sx(m.x)
            out.append(f'<line x1="{_n(x)}" y1="{_n(frame.sy(m.lower))}" x2="{_n(x)}" '
                       f'y2="{_n(frame.sy(m.upper))}" stroke="{SERIES}" stroke-width="1" '
                       'stroke-opacity="0.6"/>')

    # alternatives, base, series points
    for m in sorted(chart.alternatives, key=lambda m: (m.x, m.y)):
        x, y = frame.sx(m.x), frame.sy(m.y)
        out.append(f'<path d="{_diamond(x, y, 4.5)}" fill="{ALTERNATIVE}" fill-opacity="0.45" '
                   f'stroke="{ALTERNATIVE}" stroke-width="1">{_tip(m.tip)}</path>')
        obstacles.append((x - 5, y - 5, x + 5, y + 5))
    if chart.base is not None:
        x, y = frame.sx(chart.base.x), frame.sy(chart.base.y)
        out.append(f'<rect x="{_n(x - 4.5)}" y="{_n(y - 4.5)}" width="9" height="9" '
                   f'fill="{BASE}">{_tip(chart.base.tip)}</rect>')
        obstacles.append((x - 5, y - 5, x + 5, y + 5))
    for m in series:
        x, y = frame.sx(m.x), frame.sy(m.y)
        fill, stroke = ("#ffffff", f' stroke="{SERIES}" stroke-width="1.6"') if m.hollow \
            else (SERIES, "")
        out.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{fill}"{stroke}>'
                   f"{_tip(m.tip)}</circle>")
        obstacles.append((x - 4, y - 4, x + 4, y + 4))

    # projected values, then targets on top
    for p in chart.projections:
        if p.value is not None:
            x, y = frame.sx(p.x), frame.sy(p.value)
            out.append(f'<path d="{_diamond(x, y, 5)}" fill="{PROJECTION}">{_tip(p.tip)}</path>')
            obstacles.append((x - 5, y - 5, x + 5, y + 5))
    for tm in chart.targets:
        x, y = frame.sx(tm.x), frame.sy(tm.y)
        out.append(f'<g>{_tip(tm.tip)}<circle cx="{_n(x)}" cy="{_n(y)}" r="6" fill="none" '
                   f'stroke="{TARGET}" stroke-width="2"/>'
                   f'<circle cx="{_n(x)}" cy="{_n(y)}" r="2" fill="{TARGET}"/></g>')
        obstacles.append((x - 7, y - 7, x + 7, y + 7))

    if not chart.series and chart.no_data:
        x, y = frame.x0 + 8, frame.y0 + 14
        out.append(f'<text x="{_n(x)}" y="{_n(y)}" fill="#666666">{_esc(chart.no_data)}</text>')
        obstacles.append((x, y - FONT_SIZE, x + text_width(chart.no_data), y + 3))

    # target labels, placed where they cover neither a mark, a line nor another label
    bounds = (2.0, frame.y0 - 6, width - 2.0, frame.y1 - 2)
    for tm in chart.targets:
        x, y = frame.sx(tm.x), frame.sy(tm.y)
        if tm.tolerance > 0:
            half = abs(frame.sy(tm.y - tm.tolerance) - frame.sy(tm.y + tm.tolerance)) / 2
            obstacles.append((x - 7, y - half, x + 7, y + half))
        tx, ty, anchor, box = _place_label(x, y, text_width(tm.label), obstacles, bounds)
        obstacles.append(box)
        # a white backing box, not a white stroke under the glyphs: renderers without
        # paint-order (WeasyPrint's PDF, CairoSVG's PNG) draw such a stroke over the text
        out.append(f'<rect x="{_n(box[0] - 2)}" y="{_n(box[1])}" width="{_n(box[2] - box[0] + 4)}" '
                   f'height="{_n(box[3] - box[1])}" fill="#ffffff" fill-opacity="0.85"/>')
        out.append(f'<text x="{_n(tx)}" y="{_n(ty)}" text-anchor="{anchor}" fill="{TARGET}" '
                   f'font-weight="bold">{_esc(tm.label)}</text>')

    out.append(_legend(chart, legend_rows, legend_top))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _legend(chart: LineChart, rows: list[list[tuple[str, float]]], top: float) -> str:
    parts = ['<g class="legend">']
    for i, row in enumerate(rows):
        y = top + i * 20
        for key, x in row:
            parts.extend(_swatch(key, x, y))
            parts.append(f'<text x="{_n(x + 28)}" y="{_n(y + 4)}" fill="{TEXT}">'
                         f"{_esc(chart.legend[key])}</text>")
    parts.append("</g>")
    return "\n".join(parts)


# --------------------------------------------------------------------------- metric charts


def _axis_label(group: MeasureGroup, lang: Lang) -> str:
    if group.measure == "index":
        base = group.base
        if base is None:
            return t("chart.index_axis_nobase", lang)
        return t("chart.index_axis", lang).format(year=base[0])
    if group.measure == "growth":
        return t("chart.growth_axis", lang)
    return t("chart.unit", lang) + fmt.unit_label(group.unit, lang)


def _point_tip(p: SeriesPoint, unit: str, lang: Lang) -> str:
    parts = [f"{fmt.period_label(p.year, p.period)}: {fmt.value(p.value, unit, lang)}"]
    if p.scope:
        parts.append(p.scope)
    flags = fmt.point_flags(p.flags, p.year, p.period)
    if flags:
        parts.append(fmt.flag_list(flags, lang))
    return " — ".join(parts)


def _mark(p: SeriesPoint, unit: str, lang: Lang, extra: str = "") -> Mark:
    tip = _point_tip(p, unit, lang) + (f" — {extra}" if extra else "")
    return Mark(x=position(p), y=p.value, hollow=fmt.is_hollow(p.flags, p.year, p.period),
                lower=p.lower, upper=p.upper, tip=tip)


def _paths(group: MeasureGroup) -> tuple[tuple[tuple[float, float], ...], ...]:
    """The planned trajectory: base → each target, straight; an average-growth target flat."""
    if group.measure == "growth":
        flat: list[tuple[tuple[float, float], ...]] = []
        start = group.targets[0].assessment.base_year
        for target in group.targets:
            if start is not None and start + 1 < target.target_year:
                flat.append(((start + 1, target.target_value),
                             (target.target_year, target.target_value)))
            start = target.target_year
        return tuple(flat)
    base = group.base
    points = [(float(base[0]), base[1])] if base else []
    points += [(float(tg.target_year), tg.target_value) for tg in group.targets]
    return (tuple(points),) if len(points) >= 2 else ()


def _projection_text(year: int, value: float | None, lower: float | None, upper: float | None,
                     level: float, lang: Lang) -> str:
    text = f"{year} {t('projection', lang)} {fmt.computed(value)}"
    if lower is not None and upper is not None:
        text += t("paren", lang, text=t("interval_range", lang, level=fmt.level_percent(level),
                                         lower=fmt.computed(lower), upper=fmt.computed(upper)))
    return text


def group_chart(group: MeasureGroup, lang: Lang, chart_id: str, title: str) -> LineChart:
    """The chart of one measure group of a metric."""
    unit = group.unit
    series = tuple(_mark(p, unit, lang) for p in group.points)
    alternatives = tuple(_mark(a, unit, lang, fmt.alternative_reason(a, lang))
                         for a in group.alternatives)
    base = group.base
    base_mark = None
    if base is not None:
        base_mark = Mark(x=float(base[0]), y=base[1],
                         tip=f"{t('chart.base', lang)} {base[0]}: {fmt.value(base[1], unit, lang)}")

    targets = []
    projections = []
    desc_parts = []
    if group.points:
        last = group.points[-1]
        desc_parts.append(t("chart.desc_series", lang).format(
            n=len(group.points), first=group.points[0].year, last=last.year,
            latest=fmt.value(last.value, unit, lang), latest_year=last.year))
    else:
        desc_parts.append(t("chart.desc_no_series", lang))
    for tg in group.targets:
        value = fmt.number(tg.target_value)
        key = "chart.target_label_about" if tg.tolerance > 0 else "chart.target_label"
        targets.append(TargetMark(x=float(tg.target_year), y=tg.target_value,
                                  label=t(key, lang).format(year=tg.target_year, value=value),
                                  tolerance=tg.tolerance, tip=tg.target_text.get(lang)))
        desc_parts.append(t("chart.desc_target", lang).format(
            year=tg.target_year, value=fmt.value(tg.target_value, unit, lang),
            verdict=fmt.verdict_label(tg, lang)))
        pr = tg.projection
        if pr is None or (pr.value is None and (pr.lower is None or pr.upper is None)):
            continue
        a = tg.assessment
        start: tuple[float, float] | None = None
        if a.latest_year is not None and a.latest_value is not None and a.latest_year < pr.year:
            start = (float(a.latest_year), a.latest_value)
        else:
            earlier = [m for m in series if m.x < pr.year]
            if earlier:
                start = (earlier[-1].x, earlier[-1].y)
        projections.append(ProjectionMark(
            x=float(pr.year), value=pr.value, lower=pr.lower, upper=pr.upper, start=start,
            tip=_projection_text(pr.year, pr.value, pr.lower, pr.upper, pr.level, lang)))

    breaks = break_lines(group.targets, lang)
    desc_parts.extend(b.tip for b in breaks)
    return LineChart(
        chart_id=chart_id,
        title=title,
        desc=t("sentence_sep", lang).join(desc_parts),
        unit_label=_axis_label(group, lang),
        legend={k: t(f"chart.{k}", lang) for k in LEGEND_KEYS},
        series=series,
        alternatives=alternatives,
        base=base_mark,
        targets=tuple(targets),
        paths=_paths(group),
        projections=tuple(projections),
        reference_line=100.0 if group.measure == "index" else None,
        breaks=breaks,
        no_data=t("chart.no_data", lang),
    )


def break_lines(targets: Sequence[TargetResult], lang: Lang) -> tuple[BreakLine, ...]:
    """The declared breaks the targets' results carry, once each, as chart markers."""
    seen: dict[int, BreakLine] = {}
    for tg in targets:
        for b in tg.segment.breaks if tg.segment is not None else ():
            text = b.text.get(lang)
            seen.setdefault(b.year, BreakLine(
                x=float(b.year),
                label=t("chart.break_label", lang, year=b.year, text=_short(text, 24)),
                tip=t("chart.break_tip", lang, year=b.year, text=text,
                      source=b.source.get(lang))))
    return tuple(seen[y] for y in sorted(seen))


def _short(text: str, width: float) -> str:
    """``text`` cut to about ``width`` character cells, with an ellipsis when cut."""
    if text_width(text) <= width * FONT_SIZE * 0.6:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…") > width * FONT_SIZE * 0.6:
            break
        out += ch
    return out + "…"


def chart_title(metric: MetricResult, group: MeasureGroup, lang: Lang, several: bool) -> str:
    name = metric.name.get(lang)
    if not several:
        return name
    return f"{name} — {code_label('measure', group.measure, lang)}"


def metric_charts(metric: MetricResult, lang: Lang) -> list[str]:
    """One SVG per measure the metric's targets compare on."""
    groups = measure_groups(metric)
    return [
        render(group_chart(g, lang, f"chart-{metric.metric}-{i}",
                           chart_title(metric, g, lang, len(groups) > 1)))
        for i, g in enumerate(groups)
    ]
