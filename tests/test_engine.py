"""The evaluation engine: verdicts, assessments and projections for a plan's targets."""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from mic2025 import periods
from mic2025.errors import EvaluationError
from mic2025.evaluate.engine import assess_series, evaluate, evaluate_target
from mic2025.evaluate.methods import NOTE_CODES
from mic2025.evaluate.model import Evaluation
from mic2025.evaluate.trajectory import (
    metric_path,
    planned_path,
    required_pace,
    required_remaining_growth,
    trajectory_value,
)
from mic2025.observation import Observation
from mic2025.plan import Metric, Plan

TEXT = {"zh": "目标", "en": "target"}
DEFN = {"kind": "ratio_of_sums", "text": {"zh": "定义", "en": "definition"}}


def obs(indicator: str, year: int | periods.Period, value: float, unit: str,
        source: str = "nbs", **kw: Any) -> Observation:
    period = periods.year(year) if isinstance(year, int) else year
    return Observation(indicator=indicator, area=kw.pop("area", "000000"), period=period,
                       value=value, unit=unit, source=source, **kw)


ENERGY = Metric.model_validate({
    "id": "energy", "name": {"zh": "单位工业增加值能耗下降", "en": "energy intensity"},
    "unit": "index", "direction": "decrease", "baseline": {2015: 100},
    "targets": [
        {"year": 2020, "kind": "relative_change", "value": -18, "base_year": 2015, "text": TEXT},
        {"year": 2025, "kind": "relative_change", "value": -34, "base_year": 2015, "text": TEXT},
    ],
})
ENERGY_OBS = [
    obs("energy", 2020, 16, "decline%vs:2015"),
    obs("energy", 2021, 5.6, "decline%yoy"),
    obs("energy", 2022, 6.8, "decline%vs:2020", source="miit"),
]


def target_result(m: Metric, year: int, data: list[Observation], on: date, method: str = "statcan"):
    t = m.target(year)
    assert t is not None
    return evaluate_target(m, t, data, method=method, evaluated_on=on, plan_base_year=2015)


def test_energy_chain_2020_missed_2025_pending_with_a_statcan_category() -> None:
    on = date(2026, 6, 1)
    r20 = target_result(ENERGY, 2020, ENERGY_OBS, on)
    assert r20.measure == "index" and r20.target_value == 82.0
    assert [round(p.value, 3) for p in r20.series] == [100.0, 84.0, 79.296, 78.288]
    # the 2020 figure is index 84.0 > 82: missed
    assert (r20.verdict, r20.verdict_year, r20.verdict_value) == ("missed", 2020, 84.0)
    assert r20.projection is None  # the target year's figure is known
    r25 = target_result(ENERGY, 2025, ENERGY_OBS, on)
    assert r25.target_value == 66.0 and r25.verdict == "pending"
    assert "2025" in (r25.verdict_note or "") and "verdict_pending" in r25.assessment.notes
    a = r25.assessment
    # by hand: CAGR_o = 0.78288^(1/7) − 1; ln 0.78288 = −0.2447759, /7 = −0.0349680,
    #   e^−0.0349680 − 1 = −0.0343637.  CAGR_r = 0.66^(1/10) − 1; ln 0.66 = −0.4155154,
    #   /10 = −0.0415515, e^… − 1 = −0.0407001.  R = −1·(−0.0343637)/0.0407001 = 0.844314
    #   → 0.60 ≤ R < 0.95: acceleration needed; score = 50/7·(0.844314 − 0.6) = 1.745098
    assert a.category == "acceleration_needed" and a.status == "needs_acceleration"
    assert a.ratio == pytest.approx(0.844314, abs=5e-6)
    assert a.score == pytest.approx(1.745098, abs=1e-5)
    assert (a.base_year, a.base_value, a.latest_year) == (2015, 100.0, 2022)
    assert a.latest_value == pytest.approx(78.288)
    assert r25.projection is not None and r25.projection.n_points == 4
    assert r25.projection.year == 2025 and r25.projection.probability is not None


def test_verdict_open_before_the_target_year_ends() -> None:
    r = target_result(ENERGY, 2025, ENERGY_OBS, date(2025, 12, 31))
    assert r.verdict == "open" and r.verdict_year is None
    assert "verdict_pending" not in r.assessment.notes


def test_verdict_from_the_next_year_is_flagged() -> None:
    m = Metric.model_validate({
        "id": "nc", "name": {"zh": "数控化率", "en": "NC rate"}, "unit": "%",
        "direction": "increase", "baseline": {2015: 33},
        "targets": [{"year": 2020, "kind": "level", "value": 50, "text": TEXT}]})
    data = [obs("nc", periods.as_of(date(2020, 9, 30)), 49.0, "%"), obs("nc", 2021, 55.3, "%")]
    r = target_result(m, 2020, data, date(2022, 6, 1))
    assert (r.verdict, r.verdict_year, r.verdict_value) == ("achieved", 2021, 55.3)
    assert "2021" in (r.verdict_note or "") and "verdict_from_next_year" in r.assessment.notes
    # the assessment itself uses the data up to the target year (a part-year figure here)
    assert r.assessment.latest_year == 2020 and "partial_year_latest" in r.assessment.notes


def test_a_full_year_figure_of_another_scope_decides_when_the_headline_is_part_year() -> None:
    m = Metric.model_validate({
        "id": "tools", "name": {"zh": "普及率", "en": "tools"}, "unit": "%",
        "direction": "increase", "baseline": {2015: 58}, "scopes": ["A", "B"],
        "targets": [{"year": 2020, "kind": "level", "value": 72, "text": TEXT}]})
    data = [obs("tools", periods.as_of(date(2020, 9, 30)), 72.1, "%", scope="A"),
            obs("tools", 2020, 71.5, "%", scope="B")]
    r = target_result(m, 2020, data, date(2021, 6, 1))
    assert r.series[-1].value == 72.1  # the preferred scope heads the series…
    # …but the verdict needs a full-year figure: 71.5 < 72 → missed
    assert (r.verdict, r.verdict_year, r.verdict_value) == ("missed", 2020, 71.5)
    assert "part-year" in (r.verdict_note or "")


def test_projection_is_clipped_to_the_metric_value_range() -> None:
    m = Metric.model_validate({
        "id": "bb", "name": {"zh": "宽带普及率", "en": "broadband"}, "unit": "%",
        "direction": "increase", "baseline": {2015: 50}, "value_range": [0, 100],
        "targets": [{"year": 2025, "kind": "level", "value": 82, "text": TEXT}]})
    # 61, 72, 83, 94, 96 in 2016–2020: the trend passes 100 well before 2025
    data = [obs("bb", y, v, "%") for y, v in zip(range(2016, 2021), (61, 72, 83, 94, 96),
                                                 strict=True)]
    r = target_result(m, 2025, data, date(2021, 6, 1))
    assert r.projection is not None and r.projection.value == 100.0
    assert r.projection.upper is not None and r.projection.upper <= 100.0
    assert "clipped" in (r.projection.note or "")


def test_not_assessable_without_data_and_tolerance_in_the_verdict() -> None:
    m = Metric.model_validate({
        "id": "centres", "name": {"zh": "创新中心", "en": "innovation centres"}, "unit": "count",
        "direction": "increase", "baseline": {2015: 0},
        "targets": [{"year": 2020, "kind": "level", "value": 15, "text": TEXT,
                     "approx": {"tolerance": 0.1, "relative": True}}]})
    none = target_result(m, 2020, [], date(2021, 6, 1))
    assert none.verdict == "not_assessable" and none.assessment.category == "insufficient_data"
    assert none.tolerance == pytest.approx(1.5)  # 10 % of 15
    # 14 is short of 15 but within ±1.5 → achieved; base 0 → linear share
    data = [obs("centres", 2017, 5, "count"), obs("centres", 2020, 14, "count")]
    r = target_result(m, 2020, data, date(2021, 6, 1))
    assert r.verdict == "achieved" and "tolerance" in (r.verdict_note or "")
    assert r.assessment.category == "target_achieved"
    assert {"tolerance_applied", "linear_fallback"} <= set(r.assessment.notes)


LP = Metric.model_validate({
    "id": "lp", "name": {"zh": "劳动生产率增速", "en": "labour productivity growth"},
    "unit": "%yoy", "direction": "increase",
    "targets": [{"year": 2020, "kind": "average_growth", "value": 7.5, "period": [2016, 2020],
                 "approx": {"tolerance": 0.5}, "text": TEXT}]})


def test_average_growth_verdict_needs_every_year_of_the_period() -> None:
    rates = {2016: 7.0, 2017: 7.2, 2018: 7.4, 2019: 7.1, 2020: 7.3}
    full = [obs("lp", y, v, "%yoy") for y, v in rates.items()]
    r = target_result(LP, 2020, full, date(2021, 6, 1))
    # geometric mean 7.199907 % ≥ 7.5 − 0.5 → achieved
    assert r.verdict == "achieved" and r.verdict_year == 2020
    assert r.verdict_value == pytest.approx(7.199907, abs=1e-6)
    assert r.measure == "growth" and r.assessment.category == "target_achieved"
    part = target_result(LP, 2020, full[:3], date(2021, 6, 1))
    assert part.verdict == "pending" and "3 of 5 years" in (part.verdict_note or "")
    assert part.assessment.pace_kind == "mean_growth"
    assert part.projection is not None and part.projection.year == 2020
    low = [obs("lp", y, 6.0, "%yoy") for y in rates]
    assert target_result(LP, 2020, low, date(2021, 6, 1)).verdict == "missed"


def plan_dict() -> dict[str, Any]:
    return {
        "schema_version": 1, "id": "demo", "version": "1", "title": {"zh": "示例", "en": "Demo"},
        "base_year": 2015, "target_years": [2020, 2025],
        "goal_areas": [{"id": "green", "name": {"zh": "绿色", "en": "Green"}}],
        "indicators": [{**ENERGY.model_dump(), "goal_area": "green", "definition": DEFN}],
        "projects": [{"id": "centres_project", "box": 1,
                      "name": {"zh": "创新中心工程", "en": "Centres project"},
                      "metrics": [{"id": "centres", "name": {"zh": "创新中心", "en": "centres"},
                                   "unit": "count", "direction": "increase",
                                   "baseline": {2015: 0},
                                   "targets": [{"year": 2025, "kind": "level", "value": 40,
                                                "text": TEXT}]}]}],
    }


def test_evaluate_a_whole_plan() -> None:
    plan = Plan.model_validate(plan_dict())
    data = [*ENERGY_OBS, obs("centres", 2020, 17, "count"), obs("centres", 2022, 26, "count"),
            obs("centres", 2024, 33, "count"),
            obs("energy", 2020, 10, "decline%vs:2015", area="440000"),  # another area
            obs("energy", 2020, 50, "decline%vs:2015", sector="C26")]  # a sector, not headline
    ev = evaluate(plan, data, method="statcan", evaluated_on=date(2026, 6, 1),
                  as_of=datetime(2026, 1, 1))
    assert isinstance(ev, Evaluation)
    assert ev.area == "000000" and ev.area_name.zh == "全国"
    assert [m.metric for m in ev.results] == ["energy", "centres"]
    energy, centres = ev.results
    assert (energy.group, energy.parent, energy.parent_name.en) == ("indicator", "green", "Green")
    assert (centres.group, centres.parent) == ("project", "centres_project")
    assert [t.target_year for t in energy.targets] == [2020, 2025]
    assert energy.targets[0].series[1].value == pytest.approx(84.0)  # not the 440000 or C26 rows
    c = centres.targets[0]
    # base 0 → linear: P = 33/40 = 0.825, E = 9/10, Q = 0.916667 → acceleration needed
    assert c.assessment.ratio == pytest.approx(0.916667, abs=1e-6)
    assert c.assessment.category == "acceleration_needed" and c.verdict == "pending"
    assert ev.software.startswith("mic2025 ")
    for m in ev.results:
        for t in m.targets:
            assert set(t.assessment.notes) <= set(NOTE_CODES), t.assessment.notes
    # JSON round trip of the documented output model
    assert Evaluation.model_validate_json(ev.model_dump_json()) == ev


def test_evaluate_with_every_method_and_an_unknown_one() -> None:
    plan = Plan.model_validate(plan_dict())
    for method in ("statcan", "unsd2022", "unsd2023", "escap"):
        ev = evaluate(plan, ENERGY_OBS, method=method, evaluated_on=date(2026, 6, 1))
        assert ev.results[0].targets[1].assessment.method == method
    with pytest.raises(EvaluationError, match="unknown progress method"):
        evaluate(plan, ENERGY_OBS, method="nope")


def test_as_of_leaves_out_later_vintages() -> None:
    plan = Plan.model_validate(plan_dict())
    late = obs("energy", 2023, 3.0, "decline%yoy", vintage_at=datetime(2024, 3, 1))
    ev = evaluate(plan, [*ENERGY_OBS, late], evaluated_on=date(2026, 6, 1),
                  as_of=datetime(2024, 1, 1))
    assert [p.year for p in ev.results[0].targets[1].series] == [2015, 2020, 2021, 2022]


def test_assess_series_level_and_growth() -> None:
    a, pr = assess_series("increase", (2015, 100.0), (2025, 200.0), [(2020, 140.0)])
    assert a.category == "on_track" and a.ratio == pytest.approx(0.969862, abs=5e-6)
    assert pr is not None and pr.value == pytest.approx(180.0) and pr.probability is None
    a2, pr2 = assess_series("increase", (2015, 100.0), (2020, 150.0),
                            [(2018, 130.0), (2020, 160.0)])
    assert a2.category == "target_achieved" and pr2 is None
    g, gp = assess_series("increase", (2015, 0.0), (2020, 7.5), [(2016, 7.0), (2017, 7.2)],
                          kind="growth", tolerance=0.5, method="unsd2022")
    assert g.pace_kind == "mean_growth" and g.category == "substantial_progress"
    assert gp is not None
    late, _ = assess_series("decrease", (2015, 10.0), (2020, 8.0), [(2018, 9.0)],
                            evaluated_on=date(2022, 1, 1))
    assert "verdict_pending" in late.notes
    with pytest.raises(EvaluationError, match="same year"):
        assess_series("increase", (2015, 1.0), (2020, 2.0), [(2018, 1.0), (2018, 1.1)])
    with pytest.raises(EvaluationError, match="direction"):
        assess_series("up", (2015, 1.0), (2020, 2.0), [(2018, 1.0)])


def test_trajectory_piecewise_and_paces() -> None:
    path = planned_path((2015, 100.0), [(2020, 82.0), (2025, 66.0)])
    assert dict(path)[2018] == pytest.approx(89.2)  # 100 − 18·3/5
    assert dict(path)[2023] == pytest.approx(72.4)  # 82 − 16·3/5
    geo = trajectory_value(2018, (2015, 100.0), [(2020, 82.0)], "geometric")
    assert geo == pytest.approx(100 * 0.82 ** 0.6)
    assert required_pace((2015, 100.0), (2025, 66.0)) == pytest.approx(-4.0700112, abs=1e-6)
    assert required_pace((2022, 78.288), (2025, 66.0), "linear") == pytest.approx(-4.096)
    # 7 % and 7.2 % in 2016–17; the remaining three years need r with
    # 1.075^5 = 1.07·1.072·(1 + r)^3: 1.435629/1.14704 = 1.251595, cube root → r = 7.7675 %
    r = required_remaining_growth([7.0, 7.2], 5, 7.5)
    assert r == pytest.approx((1.075**5 / (1.07 * 1.072)) ** (1 / 3) * 100 - 100)
    assert math.isclose(r or 0, 7.7675, abs_tol=1e-3)
    assert required_remaining_growth([7.0] * 5, 5, 7.5) is None


def test_metric_path_follows_the_evaluated_targets() -> None:
    plan = Plan.model_validate(plan_dict())
    ev = evaluate(plan, ENERGY_OBS, evaluated_on=date(2026, 6, 1))
    path = dict(metric_path(ev.results[0]))
    assert path[2015] == 100.0 and path[2020] == 82.0 and path[2025] == 66.0


REAL_PLAN = Path(__file__).resolve().parents[1] / "src" / "mic2025" / "plans" / "mic2025.yaml"


@pytest.mark.skipif(not REAL_PLAN.exists(), reason="plans/mic2025.yaml not written yet")
def test_the_real_plan_with_a_few_hand_made_observations() -> None:
    from mic2025.plan import load_plan

    plan = load_plan(REAL_PLAN)
    data = [
        obs("energy_intensity_reduction", 2020, 16, "decline%vs:2015", scope="规模以上工业"),
        obs("energy_intensity_reduction", 2021, 5.6, "decline%yoy", scope="规模以上工业"),
        obs("energy_intensity_reduction", 2022, 6.8, "decline%vs:2020", scope="规模以上工业"),
        obs("key_process_nc_rate", 2021, 55.3, "%", scope="规模以上工业企业"),
        obs("key_process_nc_rate", 2021, 51.3, "%", scope="全国工业企业"),
        obs("key_process_nc_rate", 2023, 62.9, "%", scope="重点工业企业"),
        obs("labour_productivity_growth", 2019, 6.81, "%yoy", scope="制造业"),
    ]
    # before the 2025 figures fall due (energy: end of February, NC rate: end of May 2026)
    ev = evaluate(plan, data, evaluated_on=date(2026, 2, 1))
    results = {m.metric: m for m in ev.results}
    energy = {t.target_year: t for t in results["energy_intensity_reduction"].targets}
    assert energy[2020].verdict == "missed" and energy[2020].verdict_value == pytest.approx(84.0)
    assert energy[2025].verdict == "pending"
    assert energy[2025].assessment.category == "acceleration_needed"
    assert energy[2025].assessment.ratio == pytest.approx(0.844314, abs=5e-6)
    nc = {t.target_year: t for t in results["key_process_nc_rate"].targets}
    # base 33 (plan), 2025 target 64, latest 62.9 (2023) — not met yet:
    # CAGR_o = (62.9/33)^(1/8) − 1: ln 1.906061 = 0.645037, /8 = 0.0806296 → 8.3970 %;
    # CAGR_r = (64/33)^(1/10) − 1: ln 1.939394 = 0.662376, /10 → 6.8481 %; R = 1.226182
    a = nc[2025].assessment
    assert a.category == "on_track" and a.ratio == pytest.approx(1.226182, abs=5e-6)
    assert nc[2025].verdict == "pending" and "mixed_scopes" in a.notes
    assert any(alt.value == 51.3 for alt in nc[2025].alternatives)
    assert nc[2020].verdict == "achieved" and nc[2020].verdict_year == 2021  # T+1 rule
    lp = {t.target_year: t for t in results["labour_productivity_growth"].targets}
    # the 2016–2020 growth figures were due by the end of 2021: four of them are a data gap
    assert lp[2020].verdict == "not_assessable" and lp[2020].data_gap
    assert lp[2020].missing_years == [2016, 2017, 2018, 2020]
    # the 2025 figure is due by the end of 2026: pending, though nothing is known yet
    assert lp[2025].verdict == "pending" and not lp[2025].data_gap
    assert lp[2025].due_date == date(2026, 12, 31)
    for m in ev.results:
        for t in m.targets:
            assert set(t.assessment.notes) <= set(NOTE_CODES)


def test_another_area_is_not_anchored_on_the_plans_national_baseline() -> None:
    # synthetic provincial figures under the national plan
    from mic2025.plan import load_plan

    plan = load_plan()
    # a metric without declared breaks, so the base year's figure anchors every target
    unit = "count/100m_yuan"
    obs = [
        Observation("patents_per_100m_revenue", "440000", periods.year(2015), 0.60, unit, "prov"),
        Observation("patents_per_100m_revenue", "440000", periods.year(2019), 0.90, unit, "prov"),
    ]
    ev = evaluate(plan, obs, area="440000", evaluated_on=date(2026, 11, 26))
    pat = next(m for m in ev.results if m.metric == "patents_per_100m_revenue")
    for t in pat.targets:
        assert t.assessment.base_value == 0.60  # not the national 0.44 of the plan's table
        assert all(p.source != "plan" for p in t.series)
    national = evaluate(plan, [], area="000000", evaluated_on=date(2026, 11, 26))
    pat_nat = next(m for m in national.results if m.metric == "patents_per_100m_revenue")
    assert pat_nat.targets[0].assessment.base_value == 0.44


def test_by_default_the_plans_own_area_is_judged_with_the_registrys_method() -> None:
    from mic2025.evaluate.methods import DEFAULT_METHOD
    from mic2025.plan import load_plan

    regional = load_plan(Path(__file__).resolve().parents[1]
                         / "src/mic2025/plans/examples/guangdong_example.yaml")
    figures = [Observation("rd_intensity", area, periods.year(2019), value, "%", "stats")
               for area, value in (("440000", 2.7), ("000000", 2.2))]
    ev = evaluate(regional, figures, evaluated_on=date(2026, 11, 26))
    assert (ev.area, ev.method, ev.area_name.zh) == ("440000", DEFAULT_METHOD, "广东省")
    rd = next(m for m in ev.results if m.metric == "rd_intensity")
    assert [p.value for p in rd.targets[0].series if p.source == "stats"] == [2.7]
    a, _ = assess_series("increase", (2015, 1.0), (2025, 2.0), [(2020, 1.5)])
    assert a.method == DEFAULT_METHOD
