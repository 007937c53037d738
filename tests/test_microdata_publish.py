"""Estimates into the evidence store: keys, units, intervals, flags, provenance, index base."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mic2025.microdata.adjust import SuppressionRule, long_estimates, suppress
from mic2025.microdata.engine import compute, plan_formulas
from mic2025.microdata.generate import draw_sample, generate_population, write_parquet
from mic2025.microdata.publish import (
    Provenance,
    PublishError,
    file_sha256,
    to_observations,
)
from mic2025.microdata.variance import bootstrap
from mic2025.observation import Observation
from mic2025.permissions import SYSTEM
from mic2025.plan import Plan, load_plan
from mic2025.services.imports import store_estimates
from mic2025.store import open_store


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pop = generate_population(3_000, years=[2015, 2016, 2017], seed=8)
    return write_parquet(draw_sample(pop, 600, seed=9), tmp_path_factory.mktemp("pub") / "s.pq")


def _provenance(path: Path, **kw: object) -> Provenance:
    settings: dict[str, object] = dict(path=str(path), sha256=file_sha256(path), synthetic=True,
                                       weighted=True, estimator="ratio / Hájek estimators",
                                       replicates=20, seed=3)
    settings.update(kw)
    return Provenance(**settings)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def national(sample_file: Path, plan: Plan) -> pa.Table:
    return bootstrap(sample_file, plan, by=("year",), replicates=20, seed=3)


def test_observations_carry_interval_flags_and_provenance(national: pa.Table, plan: Plan,
                                                          sample_file: Path) -> None:
    prov = _provenance(sample_file)
    published = to_observations(national, plan, prov, ["year"])
    assert not published.skipped
    assert len(published.observations) == 3 * len(plan_formulas(plan))
    rd = next(o for o in published.observations
              if o.indicator == "rd_intensity" and o.year == 2016)
    row = next(r for r in national.to_pylist()
               if r["indicator"] == "rd_intensity" and r["year"] == 2016)
    assert rd.value == row["estimate"] and rd.unit == "%"
    assert (rd.lower, rd.upper) == (row["ci_low"], row["ci_high"]) and rd.lower < rd.value
    assert rd.area == "000000" and rd.sector == "" and rd.period.code == "2016"
    assert rd.flags == {"estimate", "synthetic"}
    assert rd.scope == "规模以上制造业 (样本估计)"
    assert "s.pq" in rd.source and prov.sha256 in rd.source
    assert "Rao–Wu" in rd.note and "20 replicates" in rd.note and "SYNTHETIC" in rd.note
    patents = next(o for o in published.observations
                   if o.indicator == "patents_per_100m_revenue")
    assert patents.unit == "count/100m_yuan"


def test_intensities_are_stored_as_an_index_on_their_own_2015_level(
        national: pa.Table, plan: Plan, sample_file: Path) -> None:
    obs = to_observations(national, plan, _provenance(sample_file), ["year"]).observations
    levels = {r["year"]: r for r in national.to_pylist()
              if r["indicator"] == "energy_intensity_reduction"}
    energy = {o.year: o for o in obs if o.indicator == "energy_intensity_reduction"}
    assert energy[2015].value == pytest.approx(100.0, rel=1e-12)
    assert energy[2017].value == pytest.approx(
        100 * levels[2017]["estimate"] / levels[2015]["estimate"], rel=1e-12)
    # the 2015 level is an estimate too: the index's interval is wider than the scaled level's
    assert energy[2017].upper > 100 * levels[2017]["ci_high"] / levels[2015]["estimate"]
    assert energy[2017].lower < 100 * levels[2017]["ci_low"] / levels[2015]["estimate"]
    assert energy[2015].upper == pytest.approx(
        100 * levels[2015]["ci_high"] / levels[2015]["estimate"], rel=1e-12)
    assert all(o.unit == "index" for o in energy.values())
    assert "index 2015 = 100" in energy[2017].note
    assert "base-year variance included" in energy[2017].note


ENERGY = "energy_intensity_reduction"


def _cells(base: dict[str, object], later: dict[str, object]) -> pa.Table:
    """Two estimate rows of the energy intensity level: 2015 and 2017."""
    rows = [{"year": 2015, "indicator": ENERGY, **base}, {"year": 2017, "indicator": ENERGY,
                                                          **later}]
    return pa.Table.from_pylist(rows)


def _index_2017(table: pa.Table, plan: Plan, prov: Provenance) -> Observation:
    published = to_observations(table, plan, prov, ["year"])
    return next(o for o in published.observations if o.year == 2017)


#: year 2017: level 0.8, SE 0.04 (CV 5%), 12 degrees of freedom, its log-t interval
LATER: dict[str, object] = {"estimate": 0.8, "se": 0.04, "df": 12, "interval": "log-t",
                            "se_estimable": True}
SPREAD_T = math.exp(2.1788128296634177 * 0.05)  # t_{0.975, 12} · CV
LATER |= {"ci_low": 0.8 / SPREAD_T, "ci_high": 0.8 * SPREAD_T}


def test_an_index_includes_the_variance_of_an_estimated_base(plan: Plan,
                                                             sample_file: Path) -> None:
    prov = _provenance(sample_file)
    # a base estimated with CV 20% on 9 degrees of freedom
    base = {"estimate": 1.0, "se": 0.2, "df": 9, "interval": "log-t", "se_estimable": True,
            "ci_low": 0.6, "ci_high": 1.6}
    index = _index_2017(_cells(base, LATER), plan, prov)
    assert index.value == pytest.approx(80.0, rel=1e-12)  # the point estimate is unchanged
    assert index.upper is not None and index.lower is not None
    old_low, old_high = 100 * LATER["ci_low"] / 1.0, 100 * LATER["ci_high"] / 1.0
    assert index.lower < old_low and index.upper > old_high
    # delta method on the log scale: √(0.05² + 0.2²), Welch–Satterthwaite df
    # (0.05² + 0.2²)² / (0.05⁴/12 + 0.2⁴/9) = 10.13… → 10, t_{0.975, 10} = 2.228138851964938
    cv2 = 0.05**2 + 0.2**2
    assert math.floor(cv2**2 / (0.05**4 / 12 + 0.2**4 / 9)) == 10
    spread = math.exp(2.228138851964938 * math.sqrt(cv2))
    assert index.lower == pytest.approx(80.0 / spread, rel=1e-9)
    assert index.upper == pytest.approx(80.0 * spread, rel=1e-9)
    assert "base-year variance included" in index.note
    # a symmetric level interval gives a symmetric index interval with the same SE
    flat = _index_2017(_cells({**base, "interval": "t"}, {**LATER, "interval": "t"}), plan,
                       prov)
    assert flat.upper is not None and flat.lower is not None
    assert flat.upper - 80.0 == pytest.approx(80.0 - flat.lower, rel=1e-12)
    assert flat.upper - 80.0 == pytest.approx(2.228138851964938 * 80 * math.sqrt(cv2),
                                              rel=1e-9)


def test_an_exactly_known_base_keeps_the_scaled_interval(plan: Plan, sample_file: Path) -> None:
    prov = _provenance(sample_file)
    # take-all units in the base year: SE 0, no df (infinite), the estimate as its interval
    exact = {"estimate": 1.25, "se": 0.0, "df": None, "interval": "log-t",
             "se_estimable": True, "ci_low": 1.25, "ci_high": 1.25}
    index = _index_2017(_cells(exact, LATER), plan, prov)
    assert index.value == pytest.approx(64.0, rel=1e-12)
    assert (index.lower, index.upper) == (100 * LATER["ci_low"] / 1.25,
                                          100 * LATER["ci_high"] / 1.25)
    # a census base year (no SE, no interval) likewise
    census = {"estimate": 1.25, "se": None, "ci_low": None, "ci_high": None}
    index = _index_2017(_cells(census, LATER), plan, prov)
    assert (index.lower, index.upper) == (100 * LATER["ci_low"] / 1.25,
                                          100 * LATER["ci_high"] / 1.25)


def test_a_base_whose_variance_is_unknown_leaves_the_index_without_interval(
        plan: Plan, sample_file: Path) -> None:
    # one respondent in the base year: SE 0 that cannot be trusted
    lone = {"estimate": 1.0, "se": 0.0, "df": 0, "interval": "log-t", "se_estimable": False,
            "ci_low": None, "ci_high": None}
    index = _index_2017(_cells(lone, LATER), plan, _provenance(sample_file))
    assert index.value == pytest.approx(80.0) and index.lower is None and index.upper is None


def test_index_without_the_base_year_is_refused(national: pa.Table, plan: Plan,
                                                sample_file: Path) -> None:
    later = national.filter(pc.greater(national.column("year"), 2015))
    with pytest.raises(PublishError, match=r"energy_intensity_reduction.*2016–2017 but not 2015"):
        to_observations(later, plan, _provenance(sample_file), ["year"])
    # the indicators measured in their own unit can still be stored on their own
    direct = later.filter(pc.equal(later.column("indicator"), "rd_intensity"))
    assert len(to_observations(direct, plan, _provenance(sample_file), ["year"])
               .observations) == 2


def test_grouped_census_goes_to_province_and_division(plan: Plan, sample_file: Path) -> None:
    by = ["year", "province", "division"]
    wide = compute(sample_file, {"rd_intensity": plan.metric("rd_intensity").definition
                                 .formula or ""}, by=by)
    cells = suppress(long_estimates(wide, by), SuppressionRule(max_cv=None))
    prov = _provenance(sample_file, weighted=False, replicates=None,
                       estimator="sums over all units")
    published = to_observations(cells, plan, prov, by)
    assert published.observations and published.skipped  # small cells exist in a sample
    o = published.observations[0]
    assert len(o.area) == 6 and o.area.endswith("0000") and o.area != "000000"
    assert len(o.sector) == 2 and o.flags == {"derived", "synthetic"}
    assert o.lower is None and o.scope == "规模以上制造业 (企业数据汇总)"
    assert all(s.reason.startswith("suppressed: fewer than 3 units") for s in published.skipped)
    n_cells = cells.num_rows
    assert len(published.observations) + len(published.skipped) == n_cells


def test_what_cannot_be_stored_is_refused(national: pa.Table, plan: Plan,
                                          sample_file: Path) -> None:
    prov = _provenance(sample_file)
    with pytest.raises(PublishError, match="group by year"):
        to_observations(national, plan, prov, [])
    with pytest.raises(PublishError, match=r"nothing for \['size_class'\]"):
        to_observations(national, plan, prov, ["year", "size_class"])
    composite = pa.table({"year": [2016], "indicator": ["quality_competitiveness_index"],
                          "estimate": [84.0], "n_units": [10]})
    with pytest.raises(PublishError, match="composite_index value"):
        to_observations(composite, plan, prov, ["year"])


def test_store_estimates_writes_one_estimate_vintage(
        national: pa.Table, plan: Plan, sample_file: Path, tmp_path: Path,
        sqlite_copy: Callable[..., str]) -> None:
    prov = _provenance(sample_file)
    cells = suppress(national)
    with open_store(sqlite_copy(tmp_path / "store.sqlite", evidence=False)) as store:
        published = store_estimates(store, SYSTEM, cells, plan, prov, ["year"])
        assert published.result is not None and published.result.rows_new == \
            len(published.observations)
        vintage = store.vintages()[-1]
        assert vintage.kind == "estimate" and vintage.source_name == "s.pq"
        assert vintage.sha256 == prov.batch_sha256(["year"]) != prov.sha256
        stored = store.observations(indicators="rd_intensity")
        assert len(stored) == 3 and all(o.lower is not None for o in stored)
        assert stored[0].flags == {"estimate", "synthetic"}
        again = store_estimates(store, SYSTEM, cells, plan, prov, ["year"])
        assert again.result is not None and again.result.already_imported
        # the same file estimated another way is a new batch, not "already imported"
        other = store_estimates(store, SYSTEM, cells, plan, _provenance(sample_file, replicates=21),
                                ["year"])
        assert other.result is not None and not other.result.already_imported
