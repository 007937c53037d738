"""The synthetic population calibrated to the bundled published figures (issue #3)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.microdata.engine import compute, plan_formulas
from mic2025.microdata.generate import DEMO_TARGETS, generate_population, quantity_of
from mic2025.microdata.published import (
    CalibrationTarget,
    provenance,
    published_targets,
    targets_of,
)
from mic2025.plan import Plan, load_plan

YEARS = range(2015, 2026)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="module")
def calibration(plan: Plan) -> dict[str, CalibrationTarget]:
    return {t.quantity: t for t in published_targets(plan, YEARS)}


def test_quantity_of_matches_formulas_up_to_a_constant() -> None:
    assert quantity_of("sum(rd_expenditure) / sum(revenue) * 100") == ("rd_intensity", 1.0)
    assert quantity_of("sum(rd_expenditure) / sum(revenue)") == ("rd_intensity", 0.01)
    assert quantity_of("sum(energy_tce) / sum(value_added)") == ("energy_intensity", 1.0)
    assert quantity_of("sum(revenue) / sum(rd_expenditure)") is None
    assert quantity_of("sum(energy_tce) / sum(value_added) * 0") is None


def test_targets_come_from_the_bundled_figures_with_their_sources(
        calibration: dict[str, CalibrationTarget]) -> None:
    rd = calibration["rd_intensity"]
    assert rd.kind == "published" and rd.metric == "rd_intensity" and rd.measure == "level"
    by_year = {p.year: p for p in rd.points}
    # 2015 is the plan's baseline (国发〔2015〕28号), 2018 the NBS figure for 规模以上制造业
    assert by_year[2015].shown == 0.95 and by_year[2015].source == "国发〔2015〕28号"
    assert by_year[2018].shown == 1.34 and by_year[2018].scope == "规模以上制造业"
    assert by_year[2018].source == "国家统计局 《第四次全国经济普查公报(第六号)》"
    assert all(2015 <= y <= 2025 for y in by_year)  # 2012 is outside the generated years
    # a 下降幅度 indicator: the published index path on the illustrative 2015 level
    energy = calibration["energy_intensity"]
    assert energy.kind == "published" and energy.measure == "index"
    base = DEMO_TARGETS["energy_intensity"][2015]
    assert energy.values[2015] == pytest.approx(base)
    assert energy.values[2020] == pytest.approx(base * 0.84)  # 16% below 2015
    assert "illustrative 2015 level" in energy.note
    # solid waste: the alternative scope (大宗工业固废 2023) never becomes a target
    assert 2023 not in calibration["solid_waste_utilisation"].values
    # nothing published after the base year: the illustrative path is kept, and said so
    co2 = calibration["co2_intensity"]
    assert co2.kind == "illustrative" and co2.values == DEMO_TARGETS["co2_intensity"]
    assert "illustrative path kept" in co2.note and co2.points == ()


def test_population_meets_the_published_figures(
        plan: Plan, calibration: dict[str, CalibrationTarget], tmp_path: Path) -> None:
    targets = targets_of(calibration.values())
    pop = generate_population(30_000, years=YEARS, seed=5, targets=targets,
                              provenance=provenance(calibration.values()))
    national = compute(pop, plan_formulas(plan), by=("year",)).to_pylist()
    row = {r["year"]: r for r in national}
    # ratios of sums are met exactly, every year with a published figure
    for year, value in ((2015, 0.95), (2018, 1.34), (2021, 1.46), (2023, 1.71)):
        assert row[year]["rd_intensity"] == pytest.approx(value, rel=1e-9)
    assert row[2020]["solid_waste_utilization"] == pytest.approx(55.4, rel=1e-9)
    energy = {y: row[y]["energy_intensity_reduction"] for y in row}
    assert energy[2020] / energy[2015] == pytest.approx(0.84, rel=1e-9)
    assert energy[2022] / energy[2015] == pytest.approx(0.78288, rel=1e-9)
    water = {y: row[y]["water_intensity_reduction"] for y in row}
    assert water[2020] / water[2015] == pytest.approx(0.60, rel=1e-9)
    # between published years the path is interpolated (2016-2017 for R&D)
    assert row[2016]["rd_intensity"] == pytest.approx(0.95 + (1.34 - 0.95) / 3, rel=1e-9)
    # a share of enterprises: met to one enterprise in 30,000
    assert row[2021]["digital_design_tools"] == pytest.approx(74.7, abs=100 / 30_000 + 1e-9)
    # the mean of enterprise rates: in expectation (bisection on the population's own rates)
    assert row[2023]["key_process_nc_rate"] == pytest.approx(62.9, abs=0.5)
    meta = json.loads(pop.schema.metadata[b"mic2025.calibration"])
    assert {m["quantity"] for m in meta} == set(calibration)
    rd_meta = next(m for m in meta if m["quantity"] == "rd_intensity")
    assert {"year": 2018, "published": 1.34, "scope": "规模以上制造业"}.items() <= \
        next(p for p in rd_meta["points"] if p["year"] == 2018).items()


def test_cli_generate_calibrates_to_published_by_default(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["microdata", "generate", "--out", str(tmp_path / "p"),
                                  "--enterprises", "3000", "--years", "2015-2020",
                                  "--sample", "300", "--replicates", "0"])
    assert result.exit_code == 0, result.output
    assert "calibration: rd_intensity ← rd_intensity, published levels" in result.output
    assert "calibration: co2_intensity ← ILLUSTRATIVE" in result.output
    for name in ("population.parquet", "sample.parquet"):
        meta = pq.read_schema(tmp_path / "p" / name).metadata
        kinds = {m["quantity"]: m["kind"] for m in json.loads(meta[b"mic2025.calibration"])}
        assert kinds["rd_intensity"] == "published" and kinds["co2_intensity"] == "illustrative"
    table = pq.read_table(tmp_path / "p" / "population.parquet")
    national = compute(table, {"rd": "sum(rd_expenditure) / sum(revenue) * 100"},
                       by=("year",)).to_pylist()
    assert [round(r["rd"], 9) for r in national][3] == 1.34  # 2018

    result = runner.invoke(main, ["microdata", "generate", "--out", str(tmp_path / "d"),
                                  "--enterprises", "500", "--years", "2015-2016",
                                  "--sample", "0", "--targets", "illustrative"])
    assert result.exit_code == 0, result.output
    assert "ILLUSTRATIVE demo values for every quantity" in result.output
    meta = pq.read_schema(tmp_path / "d" / "population.parquet").metadata
    assert json.loads(meta[b"mic2025.calibration"]) == {"kind": "illustrative"}
    assert json.loads(meta[b"mic2025.targets"])["rd_intensity"] == {
        str(y): v for y, v in DEMO_TARGETS["rd_intensity"].items()}


def test_an_empty_range_and_no_published_figures(plan: Plan) -> None:
    assert published_targets(plan, []) == []
    # without evidence only the plan's own 2015 baselines remain: one point, no path
    none = published_targets(plan, YEARS, observations=[])
    assert none and all(t.kind == "illustrative" for t in none)
    assert targets_of(none) == {t.quantity: DEMO_TARGETS[t.quantity] for t in none}
