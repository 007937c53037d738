"""The monitoring pages: national overview, indicator, province, list of provinces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from ... import reference
from ...evaluate.model import MetricResult, TargetResult
from ...report import fmt
from ...report.series import latest_point
from .. import charts, reviews
from ..app import lang_of, render
from ..data import Platform, area_name, map_name, provinces
from ..permissions import Resource
from ..security import resolve_actor

router = APIRouter(include_in_schema=False)


def _platform(request: Request) -> Platform:
    return request.app.state.platform


@dataclass(frozen=True)
class Row:
    metric: MetricResult
    targets: list[TargetResult]
    latest: str
    latest_year: int | None
    fresh: datetime | None
    spark: dict[str, Any] | None


def _rows(platform: Platform, area: str, lang: str) -> list[Row]:
    ev = platform.evaluation(area)
    fresh = platform.freshness() if area == "000000" else {}
    out = []
    for m in ev.results:
        targets = sorted(m.targets, key=lambda t: t.target_year)
        point = latest_point(targets[0]) if targets else None
        if point is not None and area != "000000" and point.source == "plan":
            # the engine puts the plan's (national) baseline into every area's series; a
            # province's page must not show it as the province's latest figure
            point = None
        latest = (fmt.value(point.value, targets[0].measure_unit, lang)  # type: ignore[arg-type]
                  if point else fmt.DASH)
        out.append(Row(m, targets, latest, point.year if point else None,
                       fresh.get(m.metric), charts.sparkline(m)))
    return out


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    p = _platform(request)
    lang = lang_of(request)
    ev = p.evaluation()
    rows = _rows(p, "000000", lang)
    years = sorted({t.target_year for r in rows for t in r.targets})
    return render(request, "overview.html.j2", evaluation=ev, rows=rows, years=years,
                  title=ev.plan_title.get(lang), area="000000")


@router.get("/indicators/{metric_id}", response_class=HTMLResponse)
def indicator(request: Request, metric_id: str) -> HTMLResponse:
    p = _platform(request)
    lang = lang_of(request)
    try:
        metric = p.plan.metric(metric_id)
    except KeyError:
        raise HTTPException(404, f"no metric {metric_id!r} in the plan") from None
    ev = p.evaluation()
    result = next((r for r in ev.results if r.metric == metric_id), None)
    options = charts.metric_charts(result, lang) if result else []
    figures = p.province_figures(metric)
    map_option = bar_option = None
    if figures:
        rows = [(f.area, map_name(f.area), reference.area(f.area).name(lang), f.value)
                for f in figures]
        map_option, bar_option = charts.province_options(
            rows, metric.unit, metric.name.get(lang), lang)
    actor = resolve_actor(request)
    from ..permissions import allowed

    review_list = (reviews.list_reviews(p.engine, metric=metric_id)
                   if allowed(actor, "review:read", Resource("review")) else [])
    sources: list[Any] = []
    alternatives: list[Any] = []
    if result:
        seen: set[str] = set()
        for tr in result.targets:
            for pt in tr.series:
                key = pt.model_dump_json()
                if key not in seen:
                    seen.add(key)
                    sources.append((tr.measure_unit, pt))
            for alt in tr.alternatives:
                key = alt.model_dump_json()
                if key not in seen:
                    seen.add(key)
                    alternatives.append((tr.measure_unit, alt))
        sources.sort(key=lambda s: (s[1].year, s[1].period))
        alternatives.sort(key=lambda s: (s[1].year, s[1].period))
    return render(request, "indicator.html.j2", metric=metric, result=result, charts=options,
                  figures=figures, map_option=map_option, bar_option=bar_option,
                  reviews=review_list, sources=sources, alternatives=alternatives,
                  project=p.plan.project_of(metric_id), title=metric.name.get(lang),
                  ratings=reviews.RATINGS)


@router.get("/provinces", response_class=HTMLResponse)
def province_list(request: Request) -> HTMLResponse:
    from ..i18n import t

    return render(request, "provinces.html.j2", provinces=provinces(),
                  title=t("nav.provinces", lang_of(request)))


@router.get("/provinces/{code}", response_class=HTMLResponse)
def province(request: Request, code: str) -> HTMLResponse:
    lang = lang_of(request)
    c = reference.area(code)
    if c.level != "province":
        raise HTTPException(404, f"{code} is not a province")
    p = _platform(request)
    rows = _rows(p, c.code, lang)
    years = sorted({t.target_year for r in rows for t in r.targets})
    has_data = any(r.latest_year is not None for r in rows)
    return render(request, "province.html.j2", code=c, rows=rows, years=years,
                  has_data=has_data, title=area_name(c.code).get(lang), area=c.code)
