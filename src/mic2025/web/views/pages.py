"""The monitoring pages: the overview, indicator, province, list of provinces.

The overview and the indicator pages show the plan's own area (``Plan.area``): the nation
under the national plan, the province under a regional one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ... import reference
from ...evaluate.measures import PLAN_SOURCE
from ...evaluate.model import MetricResult, SeriesPoint, TargetResult
from ...followup.warn import early_warnings
from ...i18n import Lang
from ...permissions import Resource, allowed
from ...plan import Metric
from ...report import fmt
from ...report.html import verdict_counts
from ...report.series import position
from ...services.followup import RATINGS, list_reviews
from .. import charts, etag
from ..data import Platform, area_name, map_name
from ..rendering import PageError, lang_of, render
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
    """The status table's rows, computed once per area, language and vintage of the area."""
    return platform.cached(("rows", area, lang, *platform.area_state_key(area)),
                           lambda: _compute_rows(platform, area, lang))


def _compute_rows(platform: Platform, area: str, lang: str) -> list[Row]:
    ev = platform.evaluation(area)
    # the "updated" column is the overview's (the plan's own area)
    fresh = platform.freshness(area) if area == platform.plan.area else {}
    out = []
    for m in ev.results:
        targets = sorted(m.targets, key=lambda t: t.target_year)
        # "latest" is the newest published figure of the headline series, whichever target's
        # series holds it: never a point the plan supplies (its baseline, or a base year's
        # 100 / no-change by definition)
        point, unit = newest_observed(targets)
        latest = (fmt.value(point.value, unit, lang)  # type: ignore[arg-type]
                  if point else fmt.DASH)
        out.append(Row(m, targets, latest, point.year if point else None,
                       fresh.get(m.metric), charts.sparkline(m)))
    return out


def newest_observed(targets: list[TargetResult]) -> tuple[SeriesPoint | None, str]:
    """The newest published point of the targets' headline series, with the unit of the
    measure it is in; on a tie the later target's."""
    best: tuple[SeriesPoint | None, str] = (None, "")
    for target in targets:
        observed = [p for p in target.series if p.source != PLAN_SOURCE]
        if not observed:
            continue
        point = max(observed, key=position)
        if best[0] is None or position(point) >= position(best[0]):
            best = (point, target.measure_unit)
    return best


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    p = _platform(request)
    # the plan's own area's figures alone: another area's approval leaves the page as it was
    return etag.cached_page(request, p, lambda: _overview(request, p),
                            state=p.area_state_key(p.plan.area))


def _overview(request: Request, p: Platform) -> Response:
    lang = lang_of(request)
    ev = p.evaluation()
    rows = _rows(p, ev.area, lang)
    years = sorted({t.target_year for r in rows for t in r.targets})
    rules = p.followup.rules if p.followup is not None else None
    warnings = p.cached(("early", *p.area_state_key(ev.area)),
                        lambda: early_warnings(p.plan, ev, rules))
    return render(request, "overview.html.j2", evaluation=ev, rows=rows, years=years,
                  title=ev.plan_title.get(lang), area=ev.area,
                  verdict_counts=verdict_counts(ev), early_warnings=warnings)


@router.get("/indicators/{metric_id}", response_class=HTMLResponse)
def indicator(request: Request, metric_id: str) -> Response:
    p = _platform(request)
    lang = lang_of(request)
    try:
        metric = p.plan.metric(metric_id)
    except KeyError:
        raise PageError(404, f"no metric {metric_id!r} in the plan", "error.unknown_metric",
                        metric=metric_id) from None
    return etag.cached_page(request, p, lambda: _indicator(request, p, metric, lang))


def _indicator(request: Request, p: Platform, metric: Metric, lang: Lang) -> Response:
    metric_id = metric.id
    view = p.cached(("indicator", metric_id, lang, *p.state_key()),
                    lambda: _indicator_view(p, metric, lang))
    actor = resolve_actor(request)
    review_list = (list_reviews(p.store, metric=metric_id)
                   if allowed(actor, "followup:read", Resource("followup")) else [])
    return render(request, "indicator.html.j2", metric=metric, **view, reviews=review_list,
                  project=p.plan.project_of(metric_id), title=metric.name.get(lang),
                  ratings=RATINGS)


def _indicator_view(p: Platform, metric: Metric, lang: Lang) -> dict[str, Any]:
    """What the indicator page shows of the data (in the plan's area): computed once per
    data vintage."""
    ev = p.evaluation()
    result = next((r for r in ev.results if r.metric == metric.id), None)
    options = charts.metric_charts(result, lang) if result else []
    figures = p.province_figures(metric)
    map_option = bar_option = None
    if figures.values:
        rows = [(f.area, map_name(f.area), reference.area(f.area).name(lang), f.value)
                for f in figures.values]
        map_option, bar_option = charts.province_options(
            rows, figures.unit, metric.name.get(lang), lang)
    left_out = [(reference.area(lo.area).name(lang), lo) for lo in figures.left_out]
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
                key = alt.model_dump_json(exclude={"value", "comparable"})
                if key not in seen:
                    seen.add(key)
                    alternatives.append((tr.measure_unit, alt))
        sources.sort(key=lambda s: (s[1].year, s[1].period))
        alternatives.sort(key=lambda s: (s[1].year, s[1].period))
    return {"result": result, "charts": options, "figures": figures.values,
            "left_out": left_out, "map_option": map_option,
            "bar_option": bar_option, "sources": sources, "alternatives": alternatives,
            "area_name": ev.area_name}


@router.get("/provinces/{code}", response_class=HTMLResponse)
def province(request: Request, code: str) -> Response:
    c = reference.area(code)
    if c.level != "province":
        raise PageError(404, f"{code} is not a province", "error.not_a_province",
                        area=reference.area_words(c.code))
    p = _platform(request)
    return etag.cached_page(request, p, lambda: _province(request, c),
                            state=p.area_state_key(c.code))


def _province(request: Request, c: reference.Code) -> Response:
    lang = lang_of(request)
    p = _platform(request)
    rows = _rows(p, c.code, lang)
    years = sorted({t.target_year for r in rows for t in r.targets})
    has_data = any(r.latest_year is not None for r in rows)
    return render(request, "province.html.j2", code=c, rows=rows, years=years,
                  has_data=has_data, title=area_name(c.code).get(lang), area=c.code)
