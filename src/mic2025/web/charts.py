"""ECharts options for the pages, built on the server from the reports' chart model.

The geometry — which points are drawn hollow, where the planned trajectory runs, how the
projection band fans out — is :func:`mic2025.report.svg.group_chart`'s, so a web chart and
a report chart of the same evaluation say the same thing. These functions only translate
it into ECharts' option objects (plain JSON, embedded in the page and drawn by
``static/app.js``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from ..evaluate.model import MetricResult
from ..i18n import Lang, t
from ..report import fmt
from ..report.series import measure_groups, position
from ..report.svg import LineChart, chart_title, group_chart

INK = "#1f2328"
SERIES = "#0b5cad"
TARGET = "#b3261e"
PATH = "#6b4500"
BAND = "rgba(11, 92, 173, 0.15)"
ALT = "#8a8a8a"
FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'

STATUS_COLOURS = {
    "achieved": "#1a7f37", "on_track": "#1a7f37", "needs_acceleration": "#bf8700",
    "off_track": "#cf222e", "insufficient_data": "#8c959f",
}


def _round(v: float | None) -> float | None:
    return None if v is None else float(f"{v:.6g}")


def sparkline(metric: MetricResult) -> dict[str, Any] | None:
    """A small line of the metric's first measure group; None when it has no points."""
    groups = measure_groups(metric)
    if not groups or not groups[0].points:
        return None
    group = groups[0]
    data = [[position(p), _round(p.value)] for p in group.points]
    targets = [[tg.target_year, _round(tg.target_value)] for tg in group.targets]
    return {
        "animation": False,
        "grid": {"left": 2, "right": 2, "top": 4, "bottom": 4},
        "xAxis": {"type": "value", "show": False, "min": "dataMin", "max": "dataMax"},
        "yAxis": {"type": "value", "show": False, "scale": True},
        "tooltip": {"show": False},
        "series": [
            {"type": "line", "data": data, "symbol": "none", "lineStyle": {"width": 1.5,
                                                                          "color": SERIES}},
            {"type": "scatter", "data": targets, "symbol": "diamond", "symbolSize": 6,
             "itemStyle": {"color": TARGET}},
        ],
    }


def metric_charts(metric: MetricResult, lang: Lang) -> list[dict[str, Any]]:
    """One ECharts option per measure the metric's targets compare on."""
    groups = measure_groups(metric)
    out = []
    for i, g in enumerate(groups):
        chart = group_chart(g, lang, f"chart-{metric.metric}-{i}",
                            chart_title(metric, g, lang, len(groups) > 1))
        out.append(line_option(chart, lang))
    return out


def line_option(chart: LineChart, lang: Lang) -> dict[str, Any]:
    legend = chart.legend
    series: list[dict[str, Any]] = []
    solid = [[m.x, _round(m.y), m.tip] for m in chart.series]
    series.append({
        "name": legend.get("series", ""), "type": "line", "data": solid,
        "symbolSize": 7, "lineStyle": {"color": SERIES, "width": 2},
        "itemStyle": {"color": SERIES}, "z": 5,
        "tooltip": {"formatter": "{@[2]}"},
    })
    hollow = [[m.x, _round(m.y), m.tip] for m in chart.series if m.hollow]
    if hollow:
        series.append({
            "name": legend.get("flagged", ""), "type": "scatter", "data": hollow,
            "symbol": "circle", "symbolSize": 8, "z": 6,
            "itemStyle": {"color": "#ffffff", "borderColor": SERIES, "borderWidth": 2},
            "tooltip": {"formatter": "{@[2]}"},
        })
    if chart.alternatives:
        series.append({
            "name": legend.get("alternatives", ""), "type": "scatter", "symbol": "diamond",
            "symbolSize": 7, "itemStyle": {"color": ALT, "opacity": 0.6},
            "data": [[m.x, _round(m.y), m.tip] for m in chart.alternatives],
            "tooltip": {"formatter": "{@[2]}"},
        })
    if chart.base is not None:
        series.append({
            "name": legend.get("base", ""), "type": "scatter", "symbol": "rect",
            "symbolSize": 9, "itemStyle": {"color": INK},
            "data": [[chart.base.x, _round(chart.base.y), chart.base.tip]],
            "tooltip": {"formatter": "{@[2]}"},
        })
    for k, path in enumerate(chart.paths):
        series.append({
            "name": legend.get("trajectory", ""), "type": "line", "symbol": "none",
            "data": [[x, _round(y)] for x, y in path], "z": 2, "silent": True,
            "lineStyle": {"type": "dashed", "color": PATH, "width": 1.5},
            "itemStyle": {"color": PATH}, "id": f"path-{k}",
        })
    if chart.targets:
        series.append({
            "name": legend.get("target", ""), "type": "scatter", "symbol": "pin",
            "symbolSize": 22, "itemStyle": {"color": TARGET}, "z": 7,
            "data": [[tg.x, _round(tg.y), tg.label, tg.tip or tg.label]
                     for tg in chart.targets],
            "label": {"show": True, "position": "right", "formatter": "{@[2]}",
                      "color": TARGET, "fontSize": 11, "width": 160, "overflow": "truncate"},
            "tooltip": {"formatter": "{@[3]}"},
        })
        tolerances = [tg for tg in chart.targets if tg.tolerance > 0]
        if tolerances:
            series.append({
                "name": legend.get("tolerance", ""), "type": "scatter", "symbolSize": 0,
                "data": [], "silent": True,
                "markArea": {"silent": True, "itemStyle": {"color": "rgba(179,38,30,0.08)"},
                             "data": [[{"coord": [tg.x - 0.4, tg.y - tg.tolerance]},
                                       {"coord": [tg.x + 0.4, tg.y + tg.tolerance]}]
                                      for tg in tolerances]},
            })
    for k, pr in enumerate(chart.projections):
        if pr.lower is None or pr.upper is None or pr.start is None:
            continue
        x0, y0 = pr.start
        lower = [[x0, _round(y0)], [pr.x, _round(pr.lower)]]
        width = [[x0, 0.0], [pr.x, _round(pr.upper - pr.lower)]]
        stack = f"band-{k}"
        series.append({"name": legend.get("projection", ""), "type": "line", "data": lower,
                       "stack": stack, "symbol": "none", "lineStyle": {"opacity": 0},
                       "silent": True, "z": 1})
        series.append({"name": legend.get("projection", ""), "type": "line", "data": width,
                       "stack": stack, "symbol": "none", "lineStyle": {"opacity": 0},
                       "areaStyle": {"color": BAND}, "silent": True, "z": 1,
                       "itemStyle": {"color": BAND}})
        if pr.value is not None:
            series.append({"name": legend.get("projection", ""), "type": "line",
                           "data": [[x0, _round(y0)], [pr.x, _round(pr.value), pr.tip]],
                           "symbol": "none", "silent": True, "z": 1,
                           "lineStyle": {"type": "dotted", "color": SERIES, "width": 1}})
    xs = [m.x for m in chart.series] + [tg.x for tg in chart.targets]
    if chart.base is not None:
        xs.append(chart.base.x)
    lo, hi = (math.floor(min(xs)) - 1, math.ceil(max(xs)) + 1) if xs else (2015, 2025)
    option: dict[str, Any] = {
        "textStyle": {"fontFamily": FONT},
        "title": {"text": chart.title, "subtext": chart.unit_label, "left": 0,
                  "textStyle": {"fontSize": 15, "color": INK}},
        "tooltip": {"trigger": "item", "confine": True},
        "legend": {"bottom": 0, "type": "scroll",
                   "data": list(dict.fromkeys(s["name"] for s in series if s["name"]))},
        "grid": {"left": 56, "right": 120, "top": 64, "bottom": 56},
        "xAxis": {"type": "value", "min": lo, "max": hi, "interval": 1,
                  "axisLabel": {"formatter": "year"},  # app.js: plain digits, no comma
                  "splitLine": {"lineStyle": {"color": "#eeeeee"}}},
        "yAxis": {"type": "value", "scale": True,
                  "splitLine": {"lineStyle": {"color": "#eeeeee"}}},
        "series": series,
        "aria": {"enabled": True, "description": chart.desc},
    }
    if chart.reference_line is not None:
        series[0]["markLine"] = {"silent": True, "symbol": "none",
                                 "lineStyle": {"color": "#aaaaaa", "type": "solid"},
                                 "data": [{"yAxis": chart.reference_line}]}
    if chart.breaks:
        # a series of its own, so that the break shows with no data and has a legend entry
        series.append({
            "name": "", "type": "line", "data": [], "silent": False, "id": "breaks",
            "markLine": {"symbol": "none", "lineStyle": {"color": "#8a8a8a", "type": "dashed"},
                         "label": {"formatter": "{b}", "position": "insideEndTop",
                                   "fontSize": 11, "color": INK},
                         "tooltip": {"formatter": "{c}"},
                         "data": [{"xAxis": b.x - 0.5, "name": b.label, "value": b.tip}
                                  for b in chart.breaks]}})
    if not chart.series:
        option["graphic"] = {"type": "text", "left": "center", "top": "middle",
                             "style": {"text": chart.no_data, "fill": "#8a8a8a",
                                       "fontSize": 14}}
    return option


def province_options(rows: Sequence[tuple[str, str, str, float]], unit: str, title: str,
                     lang: Lang) -> tuple[dict[str, Any], dict[str, Any]]:
    """A choropleth of China's provinces and a ranked bar of the same figures.

    ``rows`` are (code, map name, shown name, value); the map's features are named in
    Chinese short names (广东), which ``nameMap`` relabels in English pages.
    """
    values = [v for *_, v in rows]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    lo = min(lo, 0.0)  # one province alone, or close values, still read against zero
    hi = hi if hi > lo else lo + 1
    unit_text = fmt.unit_label(unit, lang)
    name_map = {map_name: shown for _, map_name, shown, _ in rows} if lang == "en" else {}
    map_option: dict[str, Any] = {
        "textStyle": {"fontFamily": FONT},
        "title": {"text": title, "subtext": unit_text, "left": 0,
                  "textStyle": {"fontSize": 15}},
        "tooltip": {"trigger": "item"},
        "visualMap": {"min": lo, "max": hi, "left": 0, "bottom": 10,
                      "calculable": True, "inRange": {"color": ["#e1ecf9", "#0b5cad"]}},
        "series": [{
            "type": "map", "map": "china", "roam": False, "nameMap": name_map,
            "label": {"show": False}, "emphasis": {"label": {"show": True}},
            "itemStyle": {"areaColor": "#f2f2f2", "borderColor": "#999999"},
            "data": [{"name": shown if lang == "en" else map_name, "value": _round(v)}
                     for _, map_name, shown, v in rows],
        }],
    }
    ranked = sorted(rows, key=lambda r: r[3])
    bar_option: dict[str, Any] = {
        "textStyle": {"fontFamily": FONT},
        "title": {"text": t("ranking", lang), "subtext": unit_text, "left": 0,
                  "textStyle": {"fontSize": 15}},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "grid": {"left": 110, "right": 40, "top": 56, "bottom": 24},
        "xAxis": {"type": "value", "scale": False},
        "yAxis": {"type": "category", "data": [shown for _, _, shown, _ in ranked]},
        "series": [{"type": "bar", "data": [_round(v) for *_, v in ranked], "barMaxWidth": 22,
                    "itemStyle": {"color": SERIES},
                    "label": {"show": True, "position": "right", "fontSize": 11}}],
    }
    return map_option, bar_option
