"""From observations to comparable series: units, chaining, headline selection, the base."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from mic2025 import periods
from mic2025.citation import Citation
from mic2025.evaluate.measures import comparable_series
from mic2025.observation import Observation
from mic2025.plan import Metric, Target

TEXT = {"zh": "目标", "en": "target"}


def metric(targets: list[dict[str, Any]], **kw: Any) -> Metric:
    data: dict[str, Any] = {"id": "m", "name": {"zh": "指标", "en": "metric"}, "unit": "%",
                            "direction": "increase", "targets": targets}
    data.update(kw)
    return Metric.model_validate(data)


def obs(year: int | periods.Period, value: float, unit: str = "%", source: str = "nbs",
        **kw: Any) -> Observation:
    period = periods.year(year) if isinstance(year, int) else year
    flags = frozenset(kw.pop("flags", ()))
    return Observation(indicator=kw.pop("indicator", "m"), area="000000", period=period,
                       value=value, unit=unit, source=source, flags=flags, **kw)


def only(m: Metric) -> Target:
    assert len(m.targets) == 1
    return m.targets[0]


def series(m: Metric, observations: list[Observation], target: Target | None = None):
    return comparable_series(m, target or m.targets[0], observations, plan_base_year=2015)


# --------------------------------------------------------------------------- relative change

ENERGY = metric([
    {"year": 2020, "kind": "relative_change", "value": -18, "base_year": 2015, "text": TEXT},
    {"year": 2025, "kind": "relative_change", "value": -34, "base_year": 2015, "text": TEXT},
], unit="tce/10k_yuan", direction="decrease", id="energy")

ENERGY_OBS = [
    obs(2020, 16, "decline%vs:2015", indicator="energy"),
    obs(2021, 5.6, "decline%yoy", indicator="energy"),
    obs(2022, 6.8, "decline%vs:2020", source="miit", indicator="energy"),
]


def test_relative_change_is_chained_into_an_index() -> None:
    s = series(ENERGY, ENERGY_OBS)
    assert s.measure == "index" and s.base == (2015, 100.0)
    assert s.target_value == 82.0  # 100 − 18
    assert series(ENERGY, ENERGY_OBS, ENERGY.targets[1]).target_value == 66.0
    # 2020: 100 × (1 − 0.16) = 84; 2021: 84 × (1 − 0.056) = 79.296; 2022: 84 × (1 − 0.068) = 78.288
    assert s.values() == [(2015, 100.0), (2020, pytest.approx(84.0)),
                          (2021, pytest.approx(79.296)), (2022, pytest.approx(78.288))]
    by_year = {p.year: p for p in s.points}
    assert by_year[2020].derivation == "100 × (1 − 16%) [decline%vs:2015]"
    assert by_year[2021].derivation == \
        "index 2020 (84.0, decline%vs:2015) × (1 − 5.6%) [decline%yoy]"
    assert by_year[2022].derivation == \
        "index 2020 (84.0, decline%vs:2015) × (1 − 6.8%) [decline%vs:2020]"
    assert by_year[2022].raw_value == 6.8 and by_year[2022].raw_unit == "decline%vs:2020"
    assert "chained" in s.notes


def test_a_second_route_for_the_same_year_is_kept_as_a_cross_check() -> None:
    # 2022 also published as a one-year decline of 1.5 % → 79.296 × 0.985 = 78.10656
    extra = obs(2022, 1.5, "decline%yoy", source="other", indicator="energy")
    s = series(ENERGY, [*ENERGY_OBS, extra])
    assert s.point(2022).value == pytest.approx(78.288)  # fewer chaining steps wins (1 < 2)
    alt = next(a for a in s.alternatives if a.year == 2022)
    assert alt.value == pytest.approx(78.10656) and alt.comparable
    assert alt.reason.startswith("other route")
    assert "-0.1814" in alt.reason  # 78.10656 − 78.288 = −0.18144


def test_direct_against_the_base_beats_a_chain() -> None:
    # 2021 also published directly against 2015: 20.5 % → 79.5, preferred over the chained 79.296
    direct = obs(2021, 20.5, "decline%vs:2015", source="review", indicator="energy")
    s = series(ENERGY, [*ENERGY_OBS, direct])
    assert s.point(2021).value == pytest.approx(79.5)
    alt = next(a for a in s.alternatives if a.year == 2021)
    assert alt.value == pytest.approx(79.296)
    assert "differs from the headline by -0.204" in alt.reason
    # the 2022 chain through 2020 is unaffected
    assert s.point(2022).value == pytest.approx(78.288)


def test_a_missing_link_leaves_the_point_as_an_alternative() -> None:
    s = series(ENERGY, [ENERGY_OBS[0], obs(2022, 3.0, "decline%yoy", indicator="energy")])
    assert s.point(2022) is None
    alt = s.alternatives[0]
    assert alt.year == 2022 and "needs the value for 2021" in alt.reason
    assert not alt.comparable and alt.value == alt.raw_value == 3.0


def test_levels_become_an_index_on_the_base_level() -> None:
    m = metric([{"year": 2020, "kind": "relative_change", "value": -18, "base_year": 2015,
                 "text": TEXT}], unit="tce/10k_yuan", direction="decrease", baseline={2015: 0.8})
    s = series(m, [obs(2018, 0.7, "tce/10k_yuan")])
    assert s.point(2018).value == pytest.approx(87.5)  # 100 × 0.7/0.8
    assert s.point(2018).derivation.startswith("100 × 0.7 / 0.8")
    assert "base_from_plan" in s.notes
    # without a base level the level cannot be used
    m2 = metric([{"year": 2020, "kind": "relative_change", "value": -18, "base_year": 2015,
                  "text": TEXT}], unit="tce/10k_yuan", direction="decrease")
    s2 = series(m2, [obs(2018, 0.7, "tce/10k_yuan")])
    assert s2.point(2018) is None and "needs the 2015 level" in s2.alternatives[0].reason


# --------------------------------------------------------------------------- change in points


def test_change_pp_with_an_observed_base() -> None:
    m = metric([{"year": 2020, "kind": "change_pp", "value": 2, "base_year": 2015, "text": TEXT}])
    s = series(m, [obs(2015, 21.77), obs(2018, 20.5), obs(2019, -1.5, "pp_vs:2015")])
    assert s.base == (2015, 21.77) and "base_observed" in s.notes
    assert s.target_value == pytest.approx(23.77)  # 21.77 + 2
    assert s.point(2019).value == pytest.approx(20.27)  # 21.77 − 1.5 pp
    assert s.point(2019).derivation == "level 2015 (21.77) − 1.5 pp [pp_vs:2015]"


def test_change_pp_from_the_plan_baseline() -> None:
    m = metric([{"year": 2020, "kind": "change_pp", "value": 2, "base_year": 2015, "text": TEXT}],
               baseline={2015: 20.0})
    s = series(m, [obs(2018, 20.5)])
    assert s.base == (2015, 20.0) and s.target_value == 22.0 and "base_from_plan" in s.notes
    assert s.point(2015).source == "plan"


def test_change_pp_without_any_base_compares_the_change_itself() -> None:
    m = metric([{"year": 2020, "kind": "change_pp", "value": 2, "base_year": 2015, "text": TEXT}])
    s = series(m, [obs(2018, 20.5), obs(2019, 0.8, "pp_vs:2015")])
    assert s.unit == "pp_vs:2015" and s.base == (2015, 0.0) and s.target_value == 2
    assert {"no_base", "change_in_points"} <= set(s.notes)
    assert s.point(2019).value == 0.8
    assert any(a.year == 2018 and "no base level" in a.reason for a in s.alternatives)


# --------------------------------------------------------------------------- levels


def test_headline_selection_with_two_scopes_and_a_part_year_figure() -> None:
    m = metric([{"year": 2025, "kind": "level", "value": 64, "text": TEXT}],
               scopes=["规模以上工业企业", "全国工业企业"], baseline={2015: 33})
    data = [
        obs(2021, 55.3, scope="规模以上工业企业", source="scio"),
        obs(2021, 51.3, scope="全国工业企业", source="miit"),
        obs(periods.as_of(date(2020, 9, 30)), 51.7, scope="规模以上工业企业", source="a"),
        obs(2020, 52.1, scope="规模以上工业企业", source="b"),
        obs(periods.quarter(2023, 2), 60.0, scope="全国工业企业", source="c"),
        obs(periods.quarter(2023, 3), 61.0, scope="全国工业企业", source="d"),
        obs(2022, 58.0, scope="规模以上工业企业", source="e", flags={"proxy"}),
    ]
    s = series(m, data)
    assert [(p.year, p.value) for p in s.points] == [(2015, 33), (2020, 52.1), (2021, 55.3),
                                                     (2023, 61.0)]
    assert s.point(2015).source == "plan"
    assert s.point(2023).flags == ["partial_year"] and s.point(2023).period == "2023-Q3"
    reasons = {(a.year, a.value): a.reason for a in s.alternatives}
    assert reasons[(2021, 51.3)] == "other scope: 全国工业企业"
    assert reasons[(2020, 51.7)] == "superseded by full-year figure"
    assert reasons[(2023, 60.0)] == "superseded by a later period (2023-Q3)"
    assert reasons[(2022, 58.0)].startswith("proxy figure")
    assert {"partial_year", "mixed_scopes", "base_from_plan"} <= set(s.notes)
    assert s.base == (2015, 33.0)


def test_listed_scopes_rank_in_order_and_unlisted_ones_stay_out() -> None:
    m = metric([{"year": 2025, "kind": "level", "value": 64, "text": TEXT}], scopes=["A", "B"])
    s = series(m, [obs(2021, 1.0, scope="Z"), obs(2021, 2.0, scope="B"), obs(2021, 3.0, scope="A")])
    assert s.point(2021).value == 3.0
    s2 = series(m, [obs(2021, 1.0, scope="Z"), obs(2021, 2.0, scope="B")])
    assert s2.point(2021).value == 2.0
    s3 = series(m, [obs(2021, 1.0, scope="Z")])
    assert all(p.year != 2021 for p in s3.points)
    assert any(a.scope == "Z" for a in s3.alternatives)
    unlisted = metric([{"year": 2025, "kind": "level", "value": 64, "text": TEXT}], scopes=[])
    assert series(unlisted, [obs(2021, 1.0, scope="Z")]).point(2021).value == 1.0


def test_the_plan_baseline_stays_the_base_when_an_observation_differs() -> None:
    m = metric([{"year": 2020, "kind": "level", "value": 70, "text": TEXT}],
               scopes=["家庭户"], baseline={2015: 50})
    s = series(m, [obs(2015, 40.0, scope="家庭户", flags={"derived"}),
                   obs(2018, 80.0, scope="家庭户")])
    assert s.base == (2015, 50.0)
    assert s.point(2015).value == 40.0 and s.point(2015).source == "nbs"
    assert "base_differs_from_observed" in s.notes
    plan_alt = next(a for a in s.alternatives if a.source == "plan")
    assert plan_alt.value == 50 and "stays the base" in plan_alt.reason
    # within 1 % of the base: no note
    s2 = series(m, [obs(2015, 50.4, scope="家庭户")])
    assert "base_differs_from_observed" not in s2.notes
    # an observation of another scope does not displace the plan's figure
    s3 = series(m, [obs(2015, 40.0, scope="other")])
    assert s3.point(2015).source == "plan"


def test_money_units_are_converted_and_change_units_left_out_of_levels() -> None:
    m = metric([{"year": 2020, "kind": "level", "value": 5e8, "text": TEXT}], unit="yuan",
               baseline={2015: 1e8})
    s = series(m, [obs(2018, 3.0, "100m_yuan"), obs(2019, 12.0, "%yoy")])
    assert s.point(2018).value == pytest.approx(3e8)
    assert s.point(2018).raw_value == 3.0 and s.point(2018).raw_unit == "100m_yuan"
    alt = s.alternatives[0]
    assert alt.year == 2019 and "cannot become a level without a base" in alt.reason


def test_level_base_from_a_later_year_when_the_base_year_is_missing() -> None:
    m = metric([{"year": 2020, "kind": "level", "value": 30, "text": TEXT}])
    s = series(m, [obs(2017, 20.0), obs(2019, 25.0)])
    assert s.base == (2017, 20.0) and "base_observed_later" in s.notes


def test_conflicting_sources_and_vintages() -> None:
    m = metric([{"year": 2020, "kind": "level", "value": 30, "text": TEXT}])
    early = obs(2018, 20.0, source="a", citation=Citation(publication_date=date(2019, 2, 1)))
    late = obs(2018, 21.0, source="b", citation=Citation(publication_date=date(2019, 9, 1)))
    same = obs(2018, 21.0, source="c", citation=Citation(publication_date=date(2019, 3, 1)))
    v1 = obs(2019, 22.0, source="a", vintage=1)
    v2 = obs(2019, 22.5, source="a", vintage=2)
    derived = obs(2019, 23.0, source="z", flags={"derived"})
    s = series(m, [early, late, same, v1, v2, derived])
    assert s.point(2018).value == 21.0 and s.point(2018).source == "b"
    reasons = {(a.year, a.source, a.value): a.reason for a in s.alternatives}
    assert reasons[(2018, "a", 20.0)].startswith("conflicting source: 20.0 against 21.0 from b")
    assert reasons[(2018, "c", 21.0)].startswith("same figure from another release")
    assert s.point(2019).value == 22.5
    assert reasons[(2019, "a", 22.0)] == "superseded by a later vintage"
    assert reasons[(2019, "z", 23.0)] == "derived figure; a published figure exists"


# --------------------------------------------------------------------------- growth


def test_average_growth_from_rates_and_from_levels() -> None:
    m = metric([{"year": 2020, "kind": "average_growth", "value": 7.5, "period": [2016, 2020],
                 "approx": {"tolerance": 0.5}, "text": TEXT}], unit="yuan")
    data = [obs(2015, 100.0, "yuan"), obs(2016, 107.0, "yuan"), obs(2017, 115.0, "yuan"),
            obs(2017, 7.3, "%yoy", source="pub")]
    s = series(m, data)
    assert s.measure == "growth" and s.unit == "%yoy" and s.period == (2016, 2020)
    assert s.tolerance == 0.5 and s.base is None
    # 2016 from levels: 100 × (107/100 − 1) = 7.0; 2017 published 7.3 beats 115/107 − 1 = 7.4766 %
    assert s.values() == [(2016, pytest.approx(7.0)), (2017, 7.3)]
    assert s.point(2016).derivation == "100 × (107.0 / 100.0 − 1) [levels 2015 and 2016]"
    alt = next(a for a in s.alternatives if a.year == 2017)
    assert alt.value == pytest.approx(7.476636, abs=1e-6) and alt.reason.startswith("other route")
    # a growth metric reads %yoy and decline%yoy directly
    g = metric([{"year": 2020, "kind": "average_growth", "value": 7.5, "period": [2016, 2020],
                 "text": TEXT}], unit="%yoy")
    s2 = series(g, [obs(2016, 6.8, "%yoy"), obs(2017, 1.0, "decline%yoy"), obs(2018, 7.0, "%"),
                    obs(2019, 7.5, "%")])
    assert s2.values() == [(2016, 6.8), (2017, -1.0)]
    # a rate recorded as a level in % is not differenced into growth of growth
    assert all("not a yearly growth rate" in a.reason for a in s2.alternatives)


def test_a_part_year_yoy_change_is_not_chained_onto_the_annual_index() -> None:
    # synthetic: 2020 cumulative decline of 16% on 2015, then a first-quarter yoy decline
    metric = Metric.model_validate({
        "id": "energy", "name": {"zh": "能耗", "en": "energy"}, "unit": "index",
        "direction": "decrease", "baseline": {2015: 100},
        "targets": [{"year": 2025, "kind": "relative_change", "value": -34, "base_year": 2015,
                     "text": {"zh": "下降34%", "en": "-34%"}}],
    })
    obs = [
        Observation("energy", "000000", periods.year(2020), 16.0, "decline%vs:2015", "s1"),
        Observation("energy", "000000", periods.quarter(2021, 1), 8.1, "decline%yoy", "s2"),
    ]
    comp = comparable_series(metric, metric.targets[0], obs, plan_base_year=2015)
    assert [p.year for p in comp.points] == [2015, 2020]
    alt = [a for a in comp.alternatives if a.period == "2021-Q1"]
    assert len(alt) == 1 and not alt[0].comparable and "part of a year" in alt[0].reason


def test_a_scope_the_plan_does_not_accept_never_enters_the_headline() -> None:
    # synthetic: the plan accepts two scopes; a light-industry-only figure is another population
    metric = Metric.model_validate({
        "id": "tools", "name": {"zh": "工具", "en": "tools"}, "unit": "%",
        "direction": "increase", "baseline": {2015: 58}, "scopes": ["规模以上工业企业", "工业企业"],
        "targets": [{"year": 2025, "kind": "level", "value": 84,
                     "text": {"zh": "84", "en": "84"}}],
    })
    obs = [
        Observation("tools", "000000", periods.year(2023), 80.1, "%", "s1", scope="工业企业"),
        Observation("tools", "000000", periods.year(2024), 84.9, "%", "s2", scope="轻工业企业"),
        Observation("tools", "000000", periods.year(2024), 82.0, "%", "s3", scope=""),
    ]
    comp = comparable_series(metric, metric.targets[0], obs, plan_base_year=2015)
    assert [(p.year, p.value) for p in comp.points] == [(2015, 58.0), (2023, 80.1), (2024, 82.0)]
    light = [a for a in comp.alternatives if a.scope == "轻工业企业"]
    assert len(light) == 1 and "not one the plan accepts" in light[0].reason
