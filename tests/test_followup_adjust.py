"""Target adjustment (动态调整): proposals from the projection, pace scenarios, plan versions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mic2025 import periods
from mic2025.cli import main
from mic2025.errors import PlanError
from mic2025.evaluate.engine import evaluate
from mic2025.followup.adjust import propose, read_proposals, record, scenario
from mic2025.followup.common import FollowupError, decimals_of, round_toward
from mic2025.observation import Observation
from mic2025.plan import load_plan
from mic2025.store import Store, open_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory,
          sqlite_copy: Callable[..., str]) -> Iterator[Store]:
    # a store holding the bundled evidence, as the first command leaves it
    s = open_store(sqlite_copy(tmp_path_factory.mktemp("adj") / "store.sqlite"))
    yield s
    s.close()


def test_rounding_keeps_the_stated_precision_on_the_easier_side() -> None:
    assert decimals_of(1.68) == 2 and decimals_of(85.5) == 1 and decimals_of(40) == 0
    assert round_toward(1.7749, 2, +1) == 1.77  # more is better: round down
    assert round_toward(69.01, 0, -1) == 70  # less is better: round up
    assert round_toward(1.9000000001, 2, +1) == 1.9


def test_proposals_follow_the_evidence(store: Store) -> None:
    plan = load_plan()
    # on a day inside the plan period: past it, a target's year is over and nothing is proposed
    ps = propose(plan, store.observations(), year=2025, evaluated_on=date(2025, 6, 30))
    by = {p.metric: p for p in ps.proposals}
    assert len(ps.proposals) == sum(1 for m in plan.metrics() if m.target(2025))
    # since the 2019 break (营业收入) only three comparable figures: no probability
    assert by["rd_intensity"].evidence == "insufficient"
    water = by["water_intensity_reduction"]
    # already beyond its 2025 reduction: raise to the value met with probability ≥ 0.95
    assert water.evidence == "achieved_early" and water.action == "raise"
    stated = plan.metric("water_intensity_reduction").target(2025)
    assert stated is not None and water.proposed_plan_value is not None
    assert water.proposed_plan_value < stated.value
    assert water.proposed_probability is not None and water.proposed_probability >= 0.95
    assert round(water.proposed_plan_value) == water.proposed_plan_value
    energy = by["energy_intensity_reduction"]  # −34% on 2015: the bundled trend is at risk
    assert energy.evidence == "at_risk" and energy.action == "keep"
    assert energy.probability is not None and energy.probability < 0.3
    # a SYNTHETIC slowing path (0.5% and 0.3% a year after 2022) puts it out of reach: lower
    slowing = [Observation(indicator="energy_intensity_reduction", area="000000",
                           period=periods.year(y), value=v, unit="decline%yoy",
                           scope="规模以上工业", source="SYNTHETIC slowing path")
               for y, v in ((2023, 0.5), (2024, 0.3))]
    slow = next(p for p in propose(plan, [*store.observations(), *slowing], year=2025,
                                   evaluated_on=date(2025, 6, 30)).proposals
                if p.metric == "energy_intensity_reduction")
    assert slow.evidence == "out_of_reach" and slow.action == "lower"
    assert slow.probability is not None and slow.probability < 0.2
    assert slow.proposed_probability is not None and slow.proposed_probability >= 0.8
    # in the plan's own terms (percent change on 2015), less ambitious than −34
    assert slow.proposed_plan_value is not None and -34 < slow.proposed_plan_value < 0
    assert slow.proposed_value == pytest.approx(100 + slow.proposed_plan_value)
    # one comparable figure since the 2019 break of household bases
    assert by["broadband_penetration"].evidence == "insufficient"
    # a rate already at its natural limit (100%) is never "raised" to 100: read across the
    # breaks, the plan's 50 to MIIT's 96 trend reaches 100
    unbroken = plan.model_copy(update={"indicators": tuple(
        m.model_copy(update={"breaks": ()}) if m.id == "broadband_penetration" else m
        for m in plan.indicators)})
    again = propose(unbroken, store.observations(), year=2025, evaluated_on=date(2025, 6, 30))
    assert next(p for p in again.proposals
                if p.metric == "broadband_penetration").action == "keep"
    assert by["patents_per_100m_revenue"].evidence == "insufficient"
    assert "bootstrap" in ps.assumptions.en


def test_scenario_pace_from_the_latest_figure(store: Store) -> None:
    plan = load_plan()
    sc = scenario(plan, store.observations(), "rd_intensity", 2.0, 2025)
    assert (sc.latest_year, sc.latest_value) == (2023, 1.71)  # NBS census-derived
    assert sc.required_change == pytest.approx((2.0 - 1.71) / 2)
    assert sc.required_growth == pytest.approx(((2.0 / 1.71) ** 0.5 - 1) * 100)
    # three comparable figures since the 2019 break: a line, but no probability
    assert sc.probability is None
    tools = scenario(plan, store.observations(), "digital_design_tools", 84, 2025)
    assert tools.probability is not None and 0 <= tools.probability <= 1
    harder = scenario(plan, store.observations(), "digital_design_tools", 95, 2025)
    assert harder.probability is not None and harder.probability <= tools.probability
    # a reduction target is read in the plan's terms: −40% on 2015 is index 60
    en = scenario(plan, store.observations(), "energy_intensity_reduction", -40, 2025)
    assert en.measure == "index" and en.target_value == pytest.approx(60)
    with pytest.raises(FollowupError, match="not a metric with targets"):
        scenario(plan, store.observations(), "no_such_metric", 1, 2025)


def test_record_writes_a_plan_version_that_extends_the_original(store: Store,
                                                              tmp_path: Path) -> None:
    plan = load_plan()
    ps = propose(plan, store.observations(), year=2025, evaluated_on=date(2025, 6, 30))
    src = tmp_path / "proposals.json"
    src.write_text(ps.model_dump_json(), encoding="utf-8")
    loaded, sha = read_proposals(src)
    out = record(loaded, out=tmp_path / "plan-adjusted.yaml", reason="mid-term review",
                 decided_by="leading group office", version="2021-mid-term",
                 proposals_sha256=sha)
    raw = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert raw["extends"] == "mic2025" and raw["version"] == "2021-mid-term"
    new = load_plan(out)
    assert new.version == "2021-mid-term" and new.id == "mic2025"
    changed = {a.metric: a for a in new.adjustments}
    assert set(changed) == {p.metric for p in ps.proposals if p.action in ("raise", "lower")}
    water = changed["water_intensity_reduction"]
    target = new.metric("water_intensity_reduction").target(2025)
    stated = plan.metric("water_intensity_reduction").target(2025)
    assert target is not None and stated is not None
    assert target.value == water.new_value and water.old_value == stated.value
    assert water.evidence["proposals_sha256"] == sha
    assert water.decided_by == "leading group office"
    # untouched targets are inherited unchanged
    assert new.metric("water_intensity_reduction").target(2020) == \
        plan.metric("water_intensity_reduction").target(2020)
    assert new.metric("rd_intensity").target(2025) == plan.metric("rd_intensity").target(2025)
    # every later evaluation states the plan version it used
    ev = evaluate(new, store.observations(area="000000"))
    assert ev.plan_version == "2021-mid-term"


def test_an_adjustment_that_disagrees_with_its_target_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schema_version: 1\nid: mic2025\nversion: x\nextends: mic2025\nadjustments:\n"
        "  - id: a1\n    metric: rd_intensity\n    target_year: 2025\n    old_value: 1.68\n"
        "    new_value: 1.9\n    reason: r\n    decided_by: d\n    decided_on: 2021-03-01\n",
        encoding="utf-8")
    with pytest.raises(PlanError) as err:
        load_plan(bad)
    assert "adjustments.0.new_value" in str(err.value) and "line" in str(err.value)
    assert "1.68" in str(err.value)


def test_cli_propose_then_record(tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "s.sqlite")
    r = CliRunner().invoke(main, ["adjust", "propose", "--db", db, "--format", "json", "--on",
                                  "2025-06-30"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["target_year"] == 2025 and data["as_of"]
    (tmp_path / "p.json").write_text(r.output, encoding="utf-8")
    r = CliRunner().invoke(main, ["adjust", "record", "--from", str(tmp_path / "p.json"),
                                  "--out", str(tmp_path / "new.yaml"), "--reason", "review",
                                  "--decided-by", "office",
                                  "--metric", "water_intensity_reduction"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert [a.metric for a in load_plan(tmp_path / "new.yaml").adjustments] == [
        "water_intensity_reduction"]
    r = CliRunner().invoke(main, ["adjust", "scenario", "--db", db, "--metric", "rd_intensity",
                                  "--target", "2", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output)["required_change"] > 0
    r = CliRunner().invoke(main, ["adjust", "scenario", "--db", db, "--metric", "nope",
                                  "--target", "2"])
    assert r.exit_code == 2 and "nope" in r.output
