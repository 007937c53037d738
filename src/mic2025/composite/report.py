"""A self-contained HTML report of one index build (Handbook step 10, presentation).

One file, no JavaScript, no network: the charts are inline SVG drawn here, the styles are
inline, and the text is in Chinese or English (``lang``). Sections: the framework tree,
the ranking with bars stacked by pillar contribution (:func:`.explain.decompose`; plain bars
when the aggregation does not decompose additively), rank-uncertainty intervals (an
:class:`~.uncertainty.UAResult`), the correlation heatmap of the aggregates, and the Sobol
sensitivity bars (a :class:`~.uncertainty.SAResult`). Built on SYNTHETIC data, the report
carries a banner saying so on top.

Templates use Jinja2 with autoescaping; every piece of text placed inside an SVG is escaped
here with :func:`markupsafe.escape` before the SVG is marked safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from mic2025 import i18n
from mic2025.composite.analysis import correlation_matrix
from mic2025.composite.errors import CompositeError
from mic2025.composite.explain import decompose
from mic2025.composite.framework import AGGREGATE, Framework
from mic2025.composite.pipeline import Build
from mic2025.composite.uncertainty import SAResult, UAResult

TEMPLATES = Path(__file__).resolve().parent / "templates"
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")
FONT = ("'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei','Microsoft YaHei',"
        "'PingFang SC',sans-serif")


def _label(fw: Framework, code: str, lang: str) -> str:
    return fw.element(code).label(lang)


def _fmt(x: float, digits: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _tw(s: str, size: float = 11.0) -> float:
    """Rough rendered width of ``s`` in px: CJK glyphs are square, Latin about 0.58 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.58 for ch in s)


def _cut(s: str, width: float, size: float = 11.0) -> str:
    """``s`` shortened with an ellipsis to fit ``width`` px."""
    if _tw(s, size) <= width:
        return s
    while s and _tw(s + "…", size) > width:
        s = s[:-1]
    return s + "…"


# -- SVG pieces -------------------------------------------------------------------------------
def _svg(width: float, height: float, body: Sequence[str], title: str) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
            f'font-family="{FONT}" font-size="11">')
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, s: str, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(s)}'
            "</text>")


def tree_svg(fw: Framework, lang: str) -> Markup:
    """The framework as a left-to-right tree: index on the left, indicators on the right."""
    top = fw.at_level(fw.n_levels)[0]
    leaves = fw.descendants(top)
    row, col = 15.0, 210.0
    y: dict[str, float] = {c: 14 + i * row for i, c in enumerate(leaves)}
    for level in range(2, fw.n_levels + 1):
        for code in fw.at_level(level):
            kids = [y[k] for k in fw.children(code) if k in y]
            if kids:
                y[code] = sum(kids) / len(kids)

    def x_of(code: str) -> float:
        return 8 + (fw.n_levels - fw.element(code).level) * col

    body = []
    for e in fw.elements:
        if e.parent and e.code in y and e.parent in y:
            x0, x1 = x_of(e.parent) + 6, x_of(e.code) - 4
            xm = (x0 + x1) / 2
            body.append(f'<path d="M{x0:.1f},{y[e.parent]:.1f} C{xm:.1f},{y[e.parent]:.1f} '
                        f'{xm:.1f},{y[e.code]:.1f} {x1:.1f},{y[e.code]:.1f}" fill="none" '
                        'stroke="#b8c2cc" stroke-width="1"/>')
    for e in fw.elements:
        if e.code not in y:
            continue
        fill = "#1f3a5f" if e.kind == AGGREGATE else "#4e79a7"
        body.append(f'<circle cx="{x_of(e.code):.1f}" cy="{y[e.code]:.1f}" r="3.2" '
                    f'fill="{fill}"/>')
        weight = f" ({e.weight:g})" if e.parent and e.weight != 1 else ""
        arrow = " ↓" if e.direction == -1 and e.kind != AGGREGATE else ""
        room = col - 14 if e.kind == AGGREGATE else 420
        name = _cut(_label(fw, e.code, lang), room - _tw(weight + arrow))
        bold = 'font-weight="600"' if e.kind == AGGREGATE else 'fill="#333"'
        body.append(_text(x_of(e.code) + 6, y[e.code] + 3.5, f"{name}{weight}{arrow}",
                          extra=bold))
    height = 14 + len(leaves) * row + 4
    widest = max(_tw(_cut(_label(fw, c, lang), 420)) for c in leaves) + 30
    return _svg(8 + (fw.n_levels - 1) * col + widest, height, body, "framework")


def ranking_svg(build: Build, lang: str, level: int = 2) -> tuple[Markup, str | None]:
    """Bars of the index score, stacked by the contribution of each element of ``level``."""
    fw = build.framework
    res = build.results()
    units = [r[0] for r in res.ordered()]
    names = {r[0]: r[1] for r in res.ordered()}
    scores = {r[0]: r[2] for r in res.ordered()}
    why: str | None = None
    parts: list[str] = []
    contrib: dict[str, list[float]] = {}
    try:
        dec = decompose(build)
        if dec.space != "linear":
            raise CompositeError("geometric mean: contributions are in logs")
        parts = [c for c in fw.at_level(level) if c in dec.by_aggregate.columns]
        for u in units:
            i = dec.by_aggregate.unit_index(u)
            contrib[u] = [float(dec.by_aggregate.values[i, dec.by_aggregate.columns.index(c)])
                          for c in parts]
    except CompositeError as exc:
        why = str(exc).split(";")[0]
        parts = []
    row, label_w, bar_w = 16.0, 190.0, 460.0
    pos_max = max([sum(v for v in contrib[u] if v > 0) for u in units] if parts else
                  [s for s in scores.values() if not math.isnan(s)] + [0.0])
    neg_min = min([sum(v for v in contrib[u] if v < 0) for u in units] if parts else
                  [min(0.0, s) for s in scores.values() if not math.isnan(s)] + [0.0])
    span = (pos_max - neg_min) or 1.0
    zero = label_w + (-neg_min) / span * bar_w

    def sx(v: float) -> float:
        return v / span * bar_w

    body = []
    top = 22.0 if parts else 6.0
    legend = [_cut(_label(fw, c, lang), 155) for c in parts]
    legend = [f"{c}: {_cut(_label(fw, c, lang), 150 - _tw(c + ': '))}"
              if legend.count(text) > 1 else text for c, text in zip(parts, legend, strict=True)]
    for k, text in enumerate(legend):  # four to a row
        x = 10 + (k % 4) * 175
        yy = 4 + (k // 4) * 14
        body.append(f'<rect x="{x:.1f}" y="{yy:.1f}" width="10" height="10" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"/>')
        body.append(_text(x + 14, yy + 9, text))
    top += (max(0, len(parts) - 1) // 4) * 14
    for r, u in enumerate(units):
        y0 = top + r * row
        rank = res.ranks.get(u, res.index)
        body.append(_text(label_w - 6, y0 + 11, _cut(f"{_fmt(rank, 0)}  {names[u]}", label_w - 8),
                          "end"))
        if parts:
            pos, neg = zero, zero
            for k, v in enumerate(contrib[u]):
                colour = PALETTE[k % len(PALETTE)]
                if v >= 0:
                    body.append(f'<rect x="{pos:.2f}" y="{y0 + 2:.1f}" width="{sx(v):.2f}" '
                                f'height="{row - 4:.1f}" fill="{colour}"/>')
                    pos += sx(v)
                else:
                    neg -= sx(-v)
                    body.append(f'<rect x="{neg:.2f}" y="{y0 + 2:.1f}" width="{sx(-v):.2f}" '
                                f'height="{row - 4:.1f}" fill="{colour}" opacity="0.6"/>')
            end = pos
        else:
            s = scores[u]
            w = 0.0 if math.isnan(s) else sx(abs(s))
            x0 = zero if math.isnan(s) or s >= 0 else zero - w
            body.append(f'<rect x="{x0:.2f}" y="{y0 + 2:.1f}" width="{w:.2f}" '
                        f'height="{row - 4:.1f}" fill="{PALETTE[0]}"/>')
            end = zero + (w if not math.isnan(s) and s >= 0 else 0.0)
        body.append(_text(end + 4, y0 + 11, _fmt(scores[u], 1), extra='fill="#555"'))
    body.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{top:.1f}" '
                f'y2="{top + len(units) * row:.1f}" stroke="#888"/>')
    height = top + len(units) * row + 6
    return _svg(max(label_w + bar_w + 60, 720), height, body, "ranking"), why


def uncertainty_svg(ua: UAResult, fw: Framework) -> Markup:
    """Per unit (by nominal rank): 5–95 % rank interval, median dot, nominal tick."""
    order = np.argsort(np.where(np.isnan(ua.nominal_ranks), np.inf, ua.nominal_ranks),
                       kind="stable")
    n = len(ua.units)
    row, label_w, plot_w = 16.0, 190.0, 460.0
    top = 20.0

    def sx(rank: float) -> float:
        return label_w + (rank - 1) / max(n - 1, 1) * plot_w

    body = []
    for tick in sorted({1, *range(5, n - 2, 5), n}):
        body.append(f'<line x1="{sx(tick):.1f}" x2="{sx(tick):.1f}" y1="{top - 4:.1f}" '
                    f'y2="{top + n * row:.1f}" stroke="#eee"/>')
        body.append(_text(sx(tick), top - 7, str(tick), "middle", 'fill="#777"'))
    for r, i in enumerate(order):
        y0 = top + r * row + row / 2
        u = ua.units[i]
        lo, hi, med = ua.stats.q5[i], ua.stats.q95[i], ua.stats.median[i]
        body.append(_text(label_w - 6, y0 + 4, _cut(f"{_fmt(ua.nominal_ranks[i], 0)}  "
                                                    f"{fw.unit_name(u)}", label_w - 8), "end"))
        if not math.isnan(lo):
            body.append(f'<line x1="{sx(lo):.1f}" x2="{sx(hi):.1f}" y1="{y0:.1f}" '
                        f'y2="{y0:.1f}" stroke="{PALETTE[0]}" stroke-width="3" '
                        'stroke-linecap="round" opacity="0.55"/>')
            body.append(f'<circle cx="{sx(med):.1f}" cy="{y0:.1f}" r="3.3" '
                        f'fill="{PALETTE[0]}"/>')
        nom = ua.nominal_ranks[i]
        if not math.isnan(nom):
            body.append(f'<line x1="{sx(nom):.1f}" x2="{sx(nom):.1f}" y1="{y0 - 5:.1f}" '
                        f'y2="{y0 + 5:.1f}" stroke="{PALETTE[3]}" stroke-width="2"/>')
    return _svg(label_w + plot_w + 30, top + n * row + 8, body, "rank uncertainty")


def _heat(r: float) -> str:
    if math.isnan(r):
        return "#f0f0f0"
    r = max(-1.0, min(1.0, r))
    if r >= 0:  # white -> red
        g = int(255 - 170 * r)
        return f"rgb(255,{g},{int(255 - 200 * r)})"
    g = int(255 - 170 * -r)  # white -> blue
    return f"rgb({int(255 - 200 * -r)},{g},255)"


def correlation_svg(build: Build, lang: str) -> Markup:
    """Pearson correlations between all aggregates (pillars up to the index)."""
    fw = build.framework
    agg = build.dsets["Aggregated"]
    codes = [c for c in fw.aggregates if c in agg.columns]
    mat = correlation_matrix(agg, codes)
    cell = 34.0
    names = [_cut(_label(fw, c, lang), 200) for c in codes]
    label_w = max(_tw(n) for n in names) + 14
    k = len(codes)
    top = max(_tw(n) for n in names) * 0.72 + 14
    body = []
    for j, name in enumerate(names):
        x = label_w + j * cell + cell / 2
        body.append(f'<text transform="translate({x:.1f},{top - 6:.1f}) rotate(-45)" '
                    f'>{escape(name)}</text>')
    for i, name in enumerate(names):
        y = top + i * cell
        body.append(_text(label_w - 6, y + cell / 2 + 4, name, "end"))
        for j in range(k):
            r = float(mat[i, j])
            x = label_w + j * cell
            body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
                        f'fill="{_heat(r)}" stroke="#fff"/>')
            colour = "#fff" if not math.isnan(r) and abs(r) > 0.75 else "#222"
            body.append(_text(x + cell / 2, y + cell / 2 + 4, _fmt(r, 2), "middle",
                              f'fill="{colour}" font-size="10"'))
    right = max(_tw(n) for n in names) * 0.72 + 10
    return _svg(label_w + k * cell + right, top + k * cell + 10, body, "correlations")


def sensitivity_svg(sa: SAResult, t: dict[str, str]) -> Markup:
    """Horizontal bars of S_i and ST_i per input with bootstrap whiskers."""
    idx = sa.indices
    names = list(idx.names)
    every = (*idx.si_lo, *idx.si, *idx.si_hi, *idx.sti_lo, *idx.sti, *idx.sti_hi, 0.0, 1.0)
    lo_all = hi_all = [float(v) for v in every if not math.isnan(v)]
    vmin, vmax = min(lo_all), max(hi_all)
    label_w, plot_w, group_h = 130.0, 420.0, 38.0
    top = 24.0

    def sx(v: float) -> float:
        return label_w + (v - vmin) / (vmax - vmin) * plot_w

    body = [f'<rect x="{label_w:.0f}" y="4" width="10" height="10" fill="{PALETTE[0]}"/>',
            _text(label_w + 14, 13, t["first"]),
            f'<rect x="{label_w + 130:.0f}" y="4" width="10" height="10" fill="{PALETTE[1]}"/>',
            _text(label_w + 144, 13, t["total"])]
    for tick in np.linspace(math.floor(vmin * 5) / 5, math.ceil(vmax * 5) / 5,
                            math.ceil(vmax * 5) - math.floor(vmin * 5) + 1):
        x = sx(float(tick))
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top:.1f}" '
                    f'y2="{top + len(names) * group_h:.1f}" stroke="#eee"/>')
        body.append(_text(x, top + len(names) * group_h + 12, f"{round(tick, 1) + 0.0:.1f}",
                          "middle",
                          'fill="#777"'))
    for g, name in enumerate(names):
        y0 = top + g * group_h
        body.append(_text(label_w - 6, y0 + group_h / 2 + 4, name, "end"))
        for b, (val, lo, hi, colour) in enumerate((
                (idx.si[g], idx.si_lo[g], idx.si_hi[g], PALETTE[0]),
                (idx.sti[g], idx.sti_lo[g], idx.sti_hi[g], PALETTE[1]))):
            yb = y0 + 4 + b * 15
            x0, x1 = sorted((sx(0.0), sx(float(val))))
            body.append(f'<rect x="{x0:.1f}" y="{yb:.1f}" width="{x1 - x0:.1f}" height="12" '
                        f'fill="{colour}"/>')
            if not math.isnan(lo):
                body.append(f'<line x1="{sx(float(lo)):.1f}" x2="{sx(float(hi)):.1f}" '
                            f'y1="{yb + 6:.1f}" y2="{yb + 6:.1f}" stroke="#222"/>')
            body.append(_text(max(x1, sx(float(hi)) if not math.isnan(hi) else x1) + 4,
                              yb + 10, f"{val:.2f}", extra='fill="#444" font-size="10"'))
    body.append(f'<line x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="{top:.1f}" '
                f'y2="{top + len(names) * group_h:.1f}" stroke="#888"/>')
    return _svg(label_w + plot_w + 60, top + len(names) * group_h + 20, body, "sensitivity")


# -- the page ---------------------------------------------------------------------------------
def render_report(build: Build, ua: UAResult | None = None, sa: SAResult | None = None,
                  lang: str = "en") -> str:
    """The report as one HTML string (see the module docstring)."""
    language = i18n.pick(lang)
    if language is None:
        raise CompositeError(f"report: lang must be one of {sorted(i18n.LANGS)} (got {lang!r})")
    # the report's labels: the ``composite.*`` entries of the one table, by their short key
    t = {key.removeprefix("composite."): i18n.t(key, language) for key in i18n.all_keys()
         if key.startswith("composite.")}
    fw = build.framework
    ranking, why = ranking_svg(build, lang)
    about = {k: v for k, v in fw.about.items() if k not in ("unknown_indicators",)}
    context: dict[str, Any] = {
        "lang": lang, "t": t, "html_lang": i18n.t("html_lang", language),
        "title": fw.labels.get(lang) or fw.name,
        "synthetic": bool(fw.about.get("synthetic")),
        "n_units": len(fw.units), "n_indicators": len(fw.indicators),
        "n_levels": fw.n_levels, "about": about, "notes": build.notes,
        "tree": tree_svg(fw, lang), "ranking": ranking,
        "ranking_plain": t["ranking_plain"].format(why=why) if why else None,
        "correlation": correlation_svg(build, lang) if len(fw.aggregates) > 1 else None,
        "uncertainty": None, "uncertainty_note": None,
        "sensitivity": None, "sensitivity_note": None, "font": FONT,
    }
    if ua is not None:
        context["uncertainty"] = uncertainty_svg(ua, fw)
        context["uncertainty_note"] = t["uncertainty_note"].format(
            n=ua.scores.shape[0], seed=ua.seed, inputs=", ".join(i.name for i in ua.inputs))
    if sa is not None:
        context["sensitivity"] = sensitivity_svg(sa, t)
        context["sensitivity_note"] = t["sensitivity_note"].format(
            target=t["rank_shift"] if sa.target == "rank_shift" else sa.target,
            n=sa.indices.n, runs=sa.u.shape[0], boot=sa.indices.n_boot,
            lo=sa.indices.interval[0], hi=sa.indices.interval[1])
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(["html", "j2"], default=True))
    return env.get_template("index_report.html.j2").render(**context)


def write_report(path: str | Path, build: Build, ua: UAResult | None = None,
                 sa: SAResult | None = None, lang: str = "en") -> Path:
    """Write :func:`render_report` to ``path`` (UTF-8)."""
    out = Path(path)
    out.write_text(render_report(build, ua, sa, lang), encoding="utf-8")
    return out
