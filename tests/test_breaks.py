"""Series breaks and bounds as plan data: the comparable segment, chain links, and verdicts
that rest on a broader-scope bound."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mic2025 import periods
from mic2025.errors import PlanError
from mic2025.evaluate.engine import evaluate, evaluate_target
from mic2025.microdata.published import bundled_observations
from mic2025.observation import Observation
from mic2025.plan import Metric, bundled_plan_path, load_plan

TEXT = {"zh": "目标", "en": "target"}
SRC = {"zh": "来源", "en": "source"}
LATE = date(2026, 12, 1)


def obs(indicator: str, year: int, value: float, unit: str = "%", **kw: Any) -> Observation:
    return Observation(indicator=indicator, area=kw.pop("area", "000000"),
                       period=periods.year(year), value=value, unit=unit,
                       source=kw.pop("source", "nbs"), **kw)


def metric(breaks: list[dict[str, Any]] = (), bounds: list[dict[str, Any]] = (),  # type: ignore[assignment]
           direction: str = "increase", baseline: dict[int, float] | None = None,
           targets: list[dict[str, Any]] | None = None) -> Metric:
    return Metric.model_validate({
        "id": "rate", "name": TEXT, "unit": "%", "direction": direction,
        "baseline": {2015: 65} if baseline is None else baseline,
        "targets": targets or [{"year": 2020, "kind": "level", "value": 73, "text": TEXT},
                               {"year": 2025, "kind": "level", "value": 79, "text": TEXT}],
        "breaks": list(breaks), "bounds": list(bounds)})


def brk(year: int, link: float | None = None) -> dict[str, Any]:
    return {"year": year, "kind": "coverage", "text": TEXT, "source": SRC,
            "link": None if link is None else {"factor": link}}


def judge(m: Metric, year: int, figures: list[Observation],
          context: dict[str, list[Observation]] | None = None) -> Any:
    target = m.target(year)
    assert target is not None
    return evaluate_target(m, target, figures, evaluated_on=LATE, plan_base_year=2015,
                           context=context)


# ------------------------------------------------------------------------- bundled data


@pytest.fixture(scope="module")
def bundled() -> dict[str, Any]:
    plan = load_plan(bundled_plan_path())
    ev = evaluate(plan, bundled_observations(plan), evaluated_on=LATE)
    return {r.metric: {t.target_year: t for t in r.targets} for r in ev.results}


def test_solid_waste_break_removes_the_worsening_and_the_44_projection(bundled: Any) -> None:
    waste = bundled["solid_waste_utilization"]
    t2020, t2025 = waste[2020], waste[2025]
    # the plan's 65 (2015, all industrial solid waste) against 55.4 (2020, general industrial
    # solid waste on the census frame) made "deterioration, progress −120%" and a 44% 2025
    # projection; on the comparable segment one figure is too few for a trend, said as such
    for t in (t2020, t2025):
        a = t.assessment
        assert a.category == "insufficient_data" and a.progress is None
        assert t.segment is not None and t.segment.basis_from == 2016
        assert 2015 in t.segment.excluded_years
        assert t.projection is None or t.projection.value is None
    # the verdict on the published 2020 figure stands
    assert t2020.verdict == "missed" and t2020.verdict_value == pytest.approx(55.4)
    # the chart still shows the whole series, both sides of the break
    assert {p.year for p in t2020.series} >= {2015, 2020}


def test_rd_intensity_and_broadband_declare_their_breaks(bundled: Any) -> None:
    rd = bundled["rd_intensity"][2025]
    assert rd.segment is not None and rd.segment.basis_from == 2019
    # not the 主营业务收入-based 0.95 of 2015: the first figure on the 营业收入 basis
    assert rd.assessment.base_year is not None and rd.assessment.base_year >= 2019
    bb = bundled["broadband_penetration"][2025]
    assert bb.segment is not None and [b.year for b in bb.segment.breaks] == [2016, 2019]
    assert bb.segment.breaks[1].kind == "coverage" and "MIIT" in bb.segment.breaks[1].text.en
    assert bb.segment.basis_from == 2019
    # no trend from the plan's 50 through the alliance's figures to MIIT's 96
    assert bb.assessment.base_year == 2020


def test_metric_without_breaks_reports_no_segment(bundled: Any) -> None:
    assert bundled["energy_intensity_reduction"][2020].segment is None


# ------------------------------------------------------------------------- segments


FIGURES = [obs("rate", 2013, 60), obs("rate", 2014, 62), obs("rate", 2016, 50),
           obs("rate", 2017, 52), obs("rate", 2018, 54), obs("rate", 2019, 56)]


def test_without_a_break_the_pace_runs_across_the_drop() -> None:
    t = judge(metric(), 2020, FIGURES)
    assert t.assessment.category == "deterioration" and t.segment is None


def test_pace_and_projection_read_only_the_segment() -> None:
    t = judge(metric([brk(2016)]), 2025, FIGURES)
    a = t.assessment
    assert (a.base_year, a.base_value) == (2016, 50)
    assert a.category != "deterioration" and a.observed_pace is not None and a.observed_pace > 0
    assert t.segment is not None and t.segment.excluded_years == [2013, 2014, 2015]
    assert t.segment.read_from == 2016 and t.segment.links == []
    # 50 in 2016, 2 a year: 68 in 2025
    assert t.projection is not None and t.projection.value == pytest.approx(68)


def test_a_declared_link_carries_older_figures_across() -> None:
    # 65 (2015) on the old basis is 52 on the new one: the pace is 50 → 56 and 52 → 56
    t = judge(metric([brk(2016, link=0.8)]), 2025, FIGURES)
    assert t.segment is not None and t.segment.read_from is None
    assert [(x.year, x.factor) for x in t.segment.links] == [(2016, 0.8)]
    assert t.assessment.base_year == 2015
    assert t.assessment.base_value == pytest.approx(52.0)
    assert "break_linked" in t.assessment.notes
    # the shown series keeps the published values
    assert next(p for p in t.series if p.year == 2014).value == 62


def test_a_later_break_closes_the_segment_and_the_next_year_verdict() -> None:
    # no 2020 figure; 2021 is on a new basis and must not decide the 2020 target
    figures = [obs("rate", 2016, 70), obs("rate", 2019, 72), obs("rate", 2021, 90)]
    cut = judge(metric([brk(2021)]), 2020, figures)
    assert cut.verdict not in ("achieved", "missed")
    assert cut.segment is not None and cut.segment.read_until == 2021
    assert 2021 in cut.segment.excluded_years
    assert judge(metric(), 2020, figures).verdict == "achieved"  # without the break


# ------------------------------------------------------------------------- bounds


LOWER = {"series": "broad", "side": "lower", "text": TEXT, "source": SRC}
UPPER = {"series": "broad", "side": "upper", "text": TEXT, "source": SRC}


def test_a_lower_bound_meeting_an_increase_target_settles_it() -> None:
    m = metric(bounds=[LOWER])
    figures = [obs("rate", 2019, 70)]
    t = judge(m, 2020, figures, {"broad": [obs("broad", 2020, 74, scope="all industry")]})
    assert t.verdict == "achieved"
    assert t.bound is not None and t.bound.side == "lower" and t.bound.value == 74
    assert [p.code for p in t.verdict_note_parts] == ["on_lower_bound"]
    assert "lower bound" in (t.verdict_note or "")
    assert t.projection is None


def test_a_bound_that_settles_nothing_is_not_used() -> None:
    m = metric(bounds=[LOWER])
    figures = [obs("rate", 2019, 70)]
    below = judge(m, 2020, figures, {"broad": [obs("broad", 2020, 71)]})
    assert below.verdict not in ("achieved", "missed") and below.bound is None
    other_year = judge(m, 2020, figures, {"broad": [obs("broad", 2021, 80)]})
    assert other_year.bound is None


def test_an_upper_bound_below_an_increase_target_settles_a_miss() -> None:
    m = metric(bounds=[UPPER])
    t = judge(m, 2020, [obs("rate", 2019, 70)], {"broad": [obs("broad", 2020, 72)]})
    assert t.verdict == "missed" and t.bound is not None and t.bound.side == "upper"


def test_the_headline_figure_beats_a_bound() -> None:
    m = metric(bounds=[LOWER])
    t = judge(m, 2020, [obs("rate", 2020, 70)], {"broad": [obs("broad", 2020, 75)]})
    assert t.verdict == "missed" and t.bound is None


def test_bundled_rd_intensity_rests_on_the_industry_lower_bound() -> None:
    plan = load_plan(bundled_plan_path())
    # as the record stood before manufacturing's own 2021 figure: nothing for 2020 or after,
    # so only the all-industry 1.41 (a lower bound) can decide the 2020 target
    figures = [o for o in bundled_observations(plan)
               if not (o.indicator == "rd_intensity_industry" and o.year == 2020)
               and not (o.indicator == "rd_intensity" and o.year >= 2020)]
    figures.append(obs("rd_intensity_industry", 2020, 1.41, scope="规模以上工业",
                       flags=frozenset({"proxy"})))
    ev = evaluate(plan, figures, evaluated_on=LATE)
    t = next(t for r in ev.results if r.metric == "rd_intensity" for t in r.targets
             if t.target_year == 2020)
    assert t.verdict == "achieved"
    assert t.bound is not None and t.bound.series == "rd_intensity_industry"
    assert t.verdict_value == pytest.approx(1.41)


# ------------------------------------------------------------------------- plan file


PLAN = """\
schema_version: 1
id: nat
version: "1"
title: {zh: 规划, en: Plan}
base_year: 2015
target_years: [2020]
goal_areas:
  - id: g
    name: {zh: 组, en: Group}
indicators:
  - id: rate
    goal_area: g
    name: {zh: 比率, en: Rate}
    unit: "%"
    direction: increase
    baseline: {2015: 65}
    targets:
      - year: 2020
        kind: level
        value: 73
        text: {zh: "73", en: "73"}
    definition:
      kind: ratio_of_sums
      text: {zh: 比率, en: A ratio}
    breaks:
      - year: 2016
        kind: coverage
        text: {zh: 口径, en: scope}
        source: {zh: 来源, en: source}
      - year: 2019
        kind: definition
        text: {zh: 定义, en: definition}
        source: {zh: 来源, en: source}
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_regional_plan_adds_and_removes_breaks(tmp_path: Path) -> None:
    _write(tmp_path, "nat.yaml", PLAN)
    region = _write(tmp_path, "region.yaml", """\
schema_version: 1
id: region
version: "1"
title: {zh: 地方, en: Region}
area: "440000"
extends: nat.yaml
indicators:
  - id: rate
    breaks:
      - year: 2016
        remove: true
      - year: 2021
        kind: method
        text: {zh: 方法, en: method}
        source: {zh: 省统计局, en: provincial bureau}
        link: {factor: 1.1}
""")
    plan = load_plan(region)
    assert [(b.year, b.kind) for b in plan.metric("rate").breaks] == [
        (2019, "definition"), (2021, "method")]
    assert plan.metric("rate").breaks[1].link is not None


@pytest.mark.parametrize(("extra", "message"), [
    ("""      - year: 2019
        kind: coverage
        text: {zh: 又, en: again}
        source: {zh: 来源, en: source}
""", "two breaks in the same year"),
    ("""      - year: 2021
        kind: sideways
        text: {zh: 又, en: again}
        source: {zh: 来源, en: source}
""", "breaks.2.kind"),
])
def test_bad_breaks_are_refused_with_their_line(tmp_path: Path, extra: str,
                                                message: str) -> None:
    path = _write(tmp_path, "nat.yaml", PLAN + extra)
    with pytest.raises(PlanError) as err:
        load_plan(path)
    text = str(err.value) + " ".join(err.value.problems if hasattr(err.value, "problems") else [])
    assert message in text and "line" in text


def test_a_link_on_a_non_level_target_is_refused() -> None:
    with pytest.raises(ValueError, match="chain link rescales levels"):
        Metric.model_validate({
            "id": "e", "name": TEXT, "unit": "index", "direction": "decrease",
            "targets": [{"year": 2020, "kind": "relative_change", "value": -18,
                         "base_year": 2015, "text": TEXT}],
            "breaks": [brk(2016, link=0.9)]})


def test_a_bound_must_name_a_context_series(tmp_path: Path) -> None:
    """A judged metric is refused by the plan itself; an unknown series by `plan validate`,
    which knows the bundled catalogue (the plan's models sit below it)."""
    from click.testing import CliRunner

    from mic2025.catalogue import unknown_bounds
    from mic2025.cli import main

    def bound(series: str) -> str:
        return PLAN + f"""    bounds:
      - series: {series}
        side: lower
        text: {{zh: 下限, en: lower}}
        source: {{zh: 来源, en: source}}
"""
    with pytest.raises(PlanError) as err:
        load_plan(_write(tmp_path, "judged.yaml", bound("rate")))
    text = str(err.value) + " ".join(getattr(err.value, "problems", []))
    assert "rate cannot bound itself" in text and "line" in text
    path = _write(tmp_path, "nat.yaml", bound("no_such_series"))
    assert unknown_bounds(load_plan(path)) == [
        "rate: bound 'no_such_series' is not a context series (the plan's series or the bundled "
        "catalogue)"]
    r = CliRunner().invoke(main, ["plan", "validate", str(path)])
    assert r.exit_code == 2 and "no_such_series" in r.output
    assert unknown_bounds(load_plan(bundled_plan_path())) == []


# ------------------------------------------------------------------------- showing them


def test_charts_mark_the_break_and_verdicts_say_they_rest_on_a_bound(bundled: Any) -> None:
    from mic2025.evaluate.model import MetricResult
    from mic2025.report import fmt
    from mic2025.report.svg import metric_charts
    from mic2025.web.charts import metric_charts as web_charts

    plan = load_plan(bundled_plan_path())
    ev = evaluate(plan, bundled_observations(plan), evaluated_on=LATE)
    waste = next(r for r in ev.results if r.metric == "solid_waste_utilization")
    svg = metric_charts(waste, "zh")[0]
    assert '<g class="break">' in svg and "2016年口径断点" in svg and "污染源普查" in svg
    option = web_charts(waste, "en")[0]
    marks = next(s for s in option["series"] if s.get("id") == "breaks")["markLine"]["data"]
    assert [m["xAxis"] for m in marks] == [2015.5] and "break 2016" in marks[0]["name"]
    energy = next(r for r in ev.results if r.metric == "energy_intensity_reduction")
    assert '<g class="break">' not in metric_charts(energy, "zh")[0]

    m = metric(bounds=[LOWER])
    t = judge(m, 2020, [obs("rate", 2019, 70)], {"broad": [obs("broad", 2020, 74)]})
    assert fmt.verdict_label(t, "zh") == "已实现（依据下限）"
    assert fmt.verdict_label(t, "en") == "Achieved (on a lower bound)"
    result = MetricResult(metric="rate", name=TEXT, group="indicator", parent="g",
                          parent_name=TEXT, unit="%", direction="increase", targets=[t])
    assert "依据下限" in metric_charts(result, "zh")[0]


def test_growth_computed_across_a_break_is_dropped_but_published_rates_are_kept() -> None:
    m = Metric.model_validate({
        "id": "lp", "name": TEXT, "unit": "10k_yuan", "direction": "increase",
        "targets": [{"year": 2020, "kind": "average_growth", "value": 7.5,
                     "period": [2016, 2020], "text": TEXT}],
        "breaks": [brk(2018)]})
    levels = [obs("lp", y, v, "10k_yuan") for y, v in
              ((2015, 100), (2016, 107), (2017, 115), (2018, 150), (2019, 160))]
    t = judge(m, 2020, [*levels, obs("lp", 2018, 7.2, "%yoy")])
    by_year = {p.year: p for p in t.series}
    assert by_year[2018].value == 7.2  # the published rate beats the one from levels anyway
    cut = judge(m, 2020, levels)
    assert cut.segment is not None and cut.segment.excluded_years == [2018]
    assert "break_segment" in cut.assessment.notes
    # the growth from 115 (old basis) to 150 (new basis) is shown but never read
    assert any(p.year == 2018 for p in cut.series)
    assert cut.assessment.observed_pace is not None and cut.assessment.observed_pace < 10
