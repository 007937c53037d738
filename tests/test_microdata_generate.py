"""Synthetic populations and samples: labelling, calibration, structure, design weights."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from mic2025.formula import evaluate, fields_of, parse
from mic2025.microdata.generate import (
    CALIBRATION,
    CERTAINTY_CV,
    DEMO_TARGETS,
    GenerationError,
    allocate,
    certainty_cutoff,
    cochran_minimum,
    draw_sample,
    generate_population,
    is_synthetic,
    resolve_targets,
    write_parquet,
)
from mic2025.microdata.schema import is_valid_uscc
from microdata_support import one_province

YEARS = range(2015, 2026)


@pytest.fixture(scope="module")
def pop() -> pa.Table:
    return generate_population(20_000, years=YEARS, seed=11)


def _national(table: pa.Table, formula: str, year: int, weighted: bool = False) -> float:
    mask = table.column("year").to_numpy() == year
    tree = parse(formula)
    data = {name: np.asarray(table.column(name).to_numpy(zero_copy_only=False)[mask],
                             dtype=np.float64)
            for name in fields_of(tree)}
    w = table.column("design_weight").to_numpy()[mask] if weighted else None
    return evaluate(tree, data, w)


def test_every_output_is_labelled_synthetic(pop: pa.Table, tmp_path: Path) -> None:
    assert pop.column("synthetic").to_numpy().all()
    assert pop.schema.metadata[b"mic2025.synthetic"] == b"true"
    assert b"not real" in pop.schema.metadata[b"mic2025.note"]
    path = write_parquet(pop, tmp_path / "pop.parquet")
    assert is_synthetic(path)
    sample = draw_sample(pop, 2_000)
    assert sample.schema.metadata[b"mic2025.synthetic"] == b"true"
    assert sample.schema.metadata[b"mic2025.kind"] == b"sample"
    assert is_synthetic(write_parquet(sample, tmp_path / "s.parquet"))
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"x": [1]}), plain)
    assert not is_synthetic(plain)
    with pytest.raises(GenerationError):
        write_parquet(pa.table({"x": [1]}), tmp_path / "unlabelled.parquet")


def test_parquet_layout_one_row_group_per_year(pop: pa.Table, tmp_path: Path) -> None:
    calls: list[int] = []
    path = write_parquet(pop, tmp_path / "pop.parquet", on_row_group=lambda: calls.append(1))
    meta = pq.ParquetFile(path).metadata
    assert meta.num_row_groups == len(YEARS) == len(calls)
    for i, year in enumerate(YEARS):
        group = meta.row_group(i)
        assert group.num_rows == 20_000
        stats = group.column(pop.schema.get_field_index("year")).statistics
        assert stats.min == stats.max == year
        assert group.column(0).compression == "SNAPPY"
    assert pq.ParquetFile(path).schema_arrow.field("enterprise_id").type == pa.string()
    back = pq.read_table(path)
    assert back.column("enterprise_id").to_pylist() == pop.column("enterprise_id").to_pylist()
    assert back.drop_columns("enterprise_id").equals(pop.drop_columns("enterprise_id"))
    # not year-major (years interleaved): no row group per run of one row, nothing lost
    mixed = pa.concat_tables([pop.slice(0, 10), pop.slice(20_000, 10), pop.slice(10, 20)])
    path = write_parquet(mixed, tmp_path / "mixed.parquet")
    assert pq.ParquetFile(path).metadata.num_row_groups == 1
    assert pq.read_table(path).to_pylist() == mixed.to_pylist()
    empty = write_parquet(pop.slice(0, 0), tmp_path / "empty.parquet")
    assert pq.read_table(empty).num_rows == 0


def test_shape_codes_and_ids(pop: pa.Table) -> None:
    assert pop.num_rows == 20_000 * 11
    ids = pop.column("enterprise_id").to_pylist()[:20_000]
    assert len(set(ids)) == 20_000 and all(is_valid_uscc(c) for c in ids[:2000])
    areas = pop.column("area").to_pylist()[:20_000]
    assert all(i[2:8] == a for i, a in zip(ids, areas, strict=True))  # registered where it is
    assert set(pop.column("division").to_pylist()) <= {str(d) for d in range(13, 44)}


def test_ratio_of_sums_targets_are_met_exactly(pop: pa.Table) -> None:
    for name in ("rd_intensity", "value_added_rate", "energy_intensity", "co2_intensity",
                 "water_intensity", "solid_waste_utilisation"):
        series = DEMO_TARGETS[name]
        for year in YEARS:
            want = float(np.interp(year, sorted(series), [series[y] for y in sorted(series)]))
            got = _national(pop, CALIBRATION[name].formula, year)
            assert got == pytest.approx(want, rel=1e-9), (name, year)
    # 0.95 in 2015, 1.3 in 2020, 1.7 in 2023 and held flat after
    assert _national(pop, CALIBRATION["rd_intensity"].formula, 2018) == pytest.approx(1.16)
    assert _national(pop, CALIBRATION["rd_intensity"].formula, 2025) == pytest.approx(1.7)


def test_share_mean_and_count_targets(pop: pa.Table) -> None:
    for year, want in DEMO_TARGETS["digital_design_tools"].items():
        got = _national(pop, CALIBRATION["digital_design_tools"].formula, year)
        assert abs(got - want) <= 100 / 20_000
    for year, want in DEMO_TARGETS["key_process_nc_rate"].items():
        assert _national(pop, CALIBRATION["key_process_nc_rate"].formula, year) == \
            pytest.approx(want, abs=1.0)
    for year, want in DEMO_TARGETS["patents_per_100m_revenue"].items():
        assert _national(pop, CALIBRATION["patents_per_100m_revenue"].formula, year) == \
            pytest.approx(want, rel=0.05)


def test_targets_keyed_by_plan_formula_with_other_units() -> None:
    resolved = resolve_targets({"sum(energy_tce) / sum(value_added) * 1e4": {2015: 1.2},
                                "sum(rd_expenditure) / sum(revenue)": {2015: 0.0095}})
    assert resolved["energy_intensity"][2015] == pytest.approx(1.2e-4)
    assert resolved["rd_intensity"][2015] == pytest.approx(0.95)
    table = generate_population(2000, years=[2015], targets={
        "sum(energy_tce) / sum(value_added) * 1e4": {2015: 1.2}}, seed=2)
    assert _national(table, "sum(energy_tce) / sum(value_added)", 2015) == pytest.approx(1.2e-4)
    with pytest.raises(GenerationError, match="cannot calibrate"):
        resolve_targets({"sum(revenue) / count()": {2015: 1.0}})


def test_panel_persistence_and_correlations(pop: pa.Table) -> None:
    n = 20_000
    rev = np.log(pop.column("revenue").to_numpy().reshape(11, n))
    assert np.corrcoef(rev[0], rev[1])[0, 1] > 0.95
    assert np.corrcoef(rev[0], rev[10])[0, 1] > 0.7
    tools = (pop.column("digital_design_tools").to_numpy().reshape(11, n) > 0)
    assert (tools[0] == tools[1]).mean() > 0.8
    rd = pop.column("rd_expenditure").to_numpy().reshape(11, n)[5]
    nc = pop.column("key_processes_nc").to_numpy().reshape(11, n)[5]
    kp = pop.column("key_processes").to_numpy().reshape(11, n)[5]
    has = kp > 0
    intensity = rd / pop.column("revenue").to_numpy().reshape(11, n)[5]
    assert np.corrcoef(intensity[has], nc[has] / kp[has])[0, 1] > 0.1
    assert np.corrcoef(intensity, tools[5])[0, 1] > 0.1
    assert (nc <= kp).all()
    # skewed: the top 1% of enterprises hold a large share of revenue
    r = np.sort(np.exp(rev[5]))
    assert r[-200:].sum() / r.sum() > 0.15


def test_sample_design(pop: pa.Table) -> None:
    sample = draw_sample(pop, 3_000, seed=4)
    year = sample.column("year").to_numpy()
    assert (np.bincount(year - 2015) == 3_000).all()
    con = duckdb.connect()
    con.register("s", sample)
    con.register("p", pop)
    # Σ weights per stratum is N_h, so the HT estimate of the number of enterprises is exact
    rows = con.sql("SELECT year, SUM(design_weight) FROM s GROUP BY year").fetchall()
    assert all(abs(total - 20_000) < 1e-6 for _, total in rows)
    large = con.sql("SELECT MIN(inclusion_probability), MAX(design_weight) FROM s "
                    "WHERE size_class = 'large'").fetchall()[0]
    n_large = con.sql("SELECT COUNT(*) FROM p WHERE size_class = 'large'").fetchall()[0][0]
    n_large_s = con.sql("SELECT COUNT(*) FROM s WHERE size_class = 'large'").fetchall()[0][0]
    assert large == (1.0, 1.0) and n_large == n_large_s  # take-all
    check = con.sql("SELECT MAX(ABS(design_weight * inclusion_probability - 1)), "
                    "MIN(stratum_size) FROM s").fetchall()[0]
    assert check[0] < 1e-12
    per_stratum = con.sql("SELECT year, stratum, COUNT(*) FROM s GROUP BY ALL").fetchall()
    assert min(n for *_, n in per_stratum) >= 1
    # HT estimate of total revenue is close to the truth (a 15% sample)
    est = con.sql("SELECT SUM(design_weight * revenue) FROM s WHERE year = 2020").fetchall()[0][0]
    true = con.sql("SELECT SUM(revenue) FROM p WHERE year = 2020").fetchall()[0][0]
    assert est == pytest.approx(true, rel=0.03)


def test_allocation_rules() -> None:
    sizes = np.array([5, 100, 1000, 40, 1])
    spreads = np.array([9.0, 1.0, 1.0, 50.0, 1.0])
    take_all = np.array([True, False, False, False, False])
    alloc = allocate(200, sizes, spreads, take_all)
    assert alloc.sum() == 200 and alloc[0] == 5 and alloc[4] == 1
    assert alloc[3] == 40  # Neyman wants more than N_h: capped, rest reallocated
    assert (alloc <= sizes).all() and (alloc[1:4] >= 2).all()
    prop = allocate(200, sizes, spreads, take_all, method="proportional")
    assert prop.sum() == 200 and prop[2] > 8 * prop[1]
    assert allocate(10_000, sizes, spreads, take_all).tolist() == sizes.tolist()
    with pytest.raises(GenerationError, match="cannot hold"):
        allocate(6, sizes, spreads, take_all)
    # Neyman wants almost nothing in five strata: they are held at the minimum of two and
    # the rest goes to the sixth (trimming the rounding instead left them at one unit)
    skewed = allocate(20, np.array([100] * 5 + [10_000]), np.array([1e-6] * 5 + [1.0]),
                      np.zeros(6, dtype=bool))
    assert skewed.tolist() == [2, 2, 2, 2, 2, 10]
    # a minimum per stratum
    assert allocate(20, np.array([100] * 3), np.array([1.0, 1e-6, 1e-6]), np.zeros(3, bool),
                    minimum=np.array([0, 5, 3])).tolist() == [12, 5, 3]


def test_certainty_cutoff_computed_by_hand() -> None:
    # Y = 102, c = 0.1, so (cY)² = 104.04.
    # 1st pass, all ten units: m = 10.2, S² = (39.8² + 9.8² + 8·6.2²)/9 = 1987.6/9 = 220.84,
    #   B = 10.2 + √(220.84 + 104.04/10) = 10.2 + 15.21 = 25.41: 50 moves.
    # 2nd pass, 20 and eight 4s: m = 52/9 = 5.78, S² = (400 + 128 − 52²/9)/8 = 28.44,
    #   B = 5.78 + √(28.44 + 104.04/9) = 5.78 + 6.32 = 12.10: 20 moves.
    # 3rd pass, eight 4s: m = 4, S² = 0, B = 4 + √(104.04/8) = 7.606: nobody moves.
    size = np.array([4, 50, 4, 4, 20, 4, 4, 4, 4, 4.0])
    found = certainty_cutoff(size, 0.1)
    assert found.boundary == pytest.approx(4 + np.sqrt(104.04 / 8), rel=1e-12)
    assert found.certain.tolist() == [False, True, False, False, True] + [False] * 5
    assert found.iterations == 3
    # a unit of a take-all size class counts in Y but not in the take-some mean and variance:
    # the passes start at the 2nd above, and the forced unit is not reported as moved
    forced = size == 50
    found = certainty_cutoff(size, 0.1, forced=forced)
    assert found.boundary == pytest.approx(7.606244584, rel=1e-9)
    assert found.certain.tolist() == [False] * 4 + [True] + [False] * 5
    assert found.iterations == 2
    # nothing to move: equal sizes stay take-some; a loose target moves nobody
    assert not certainty_cutoff(np.full(5, 3.0), 0.01).certain.any()
    assert not certainty_cutoff(size, 10.0).certain.any()
    with pytest.raises(GenerationError, match="target CV must be positive"):
        certainty_cutoff(size, 0.0)


def test_cochran_minimum_by_hand() -> None:
    # 0, 0, 0, 0, 10: mean 2, deviations −2 (×4) and 8, m2 = (16 + 64)/5 = 16,
    # m3 = (−32 + 512)/5 = 96, G1 = 96 / 16^1.5 = 1.5: 28 + 25·2.25 = 84.25
    assert cochran_minimum(np.array([0, 0, 0, 0, 10.0])) == pytest.approx(84.25, rel=1e-12)
    # the sign of the skew does not matter; a symmetric population needs the base 28
    assert cochran_minimum(np.array([10, 10, 10, 10, 0.0])) == pytest.approx(84.25, rel=1e-12)
    assert cochran_minimum(np.array([1, 2, 3, 4.0])) == pytest.approx(28.0, abs=1e-12)
    # too few units or no spread: no skewness to speak of
    assert cochran_minimum(np.array([5.0, 50.0])) == 28.0
    assert cochran_minimum(np.full(6, 3.0)) == 28.0


def test_certainty_cut_kept_only_where_the_take_some_sample_meets_cochrans_rule(
        pop: pa.Table) -> None:
    # 20,000 enterprises over 31 provinces, 3,000 a year: a province's take-some sample
    # after its cut would be a few dozen units, below Cochran's minimum for what is left,
    # so every cut is declined, nobody is taken whole and the sample is the one drawn
    # without certainty strata
    spread = draw_sample(pop, 3_000, seed=4, certainty_cv="auto")
    meta = json.loads(spread.schema.metadata[b"mic2025.certainty"])
    assert meta["enabled"] and sum(meta["units"].values()) == 0
    assert "28 + 25*G1^2" in meta["take_some_rule"]
    assert set(meta["declined"]) == {str(y) for y in YEARS}
    for year, provinces in meta["declined"].items():
        assert len(provinces) >= 25, year
        assert all(d["take_some"] < d["cochran"] for d in provinces.values())
        assert all(meta["cutoffs"][year][p] is None for p in provinces)
    plain = draw_sample(pop, 3_000, seed=4, certainty_cv=None)
    columns = ["enterprise_id", "year", "stratum", "design_weight", "stratum_size"]
    assert spread.select(columns).cast(plain.select(columns).schema).equals(
        plain.select(columns))
    # the same enterprises in one province: its take-some part is large enough, the cut is
    # kept every year, and the take-some sample it leaves meets Cochran's rule for the
    # units below the cut-off
    gathered = one_province(pop)
    sample = draw_sample(gathered, 3_000, seed=4, certainty_cv="auto")
    meta = json.loads(sample.schema.metadata[b"mic2025.certainty"])
    assert meta["declined"] == {} and min(meta["units"].values()) > 500
    con = duckdb.connect()
    con.register("s", sample)
    con.register("p", gathered)
    for year in YEARS:
        cutoff = meta["cutoffs"][str(year)]["11"]
        below = con.sql("SELECT revenue FROM p WHERE year = ? AND revenue < ? AND "
                        "CAST(size_class AS VARCHAR) <> 'large'",
                        params=[year, cutoff]).fetchnumpy()["revenue"]
        drawn = con.sql("SELECT COUNT(*) FROM s WHERE year = ? AND inclusion_probability < 1",
                        params=[year]).fetchall()[0][0]
        assert drawn >= cochran_minimum(below) > 28, year


def test_certainty_design_beyond_the_sample_size_is_refused(pop: pa.Table) -> None:
    # three provinces, each able to hold its own certainty units in a sample of 1,500 but
    # not all three together: refused, naming the year, instead of drawing 1,500 in each
    three = one_province(pop.filter(pc.equal(pop.column("year"), 2020)), ("11", "31", "44"))
    with pytest.raises(GenerationError, match=r"a sample of 1500 in 2020 cannot hold the "
                       r"\d+ units taken whole .*target CV 0.01"):
        draw_sample(three, 1_500, seed=4, certainty_cv=0.01)
    # what the sample size affords is drawn, at its size
    drawn = draw_sample(three, 1_500, seed=4, certainty_cv="auto")
    assert drawn.num_rows == 1_500


def test_certainty_units_are_taken_whole(pop: pa.Table) -> None:
    pop = one_province(pop)  # cuts are kept in provinces of full-size scale only
    sample = draw_sample(pop, 3_000, seed=4, certainty_cv="auto")
    meta = json.loads(sample.schema.metadata[b"mic2025.certainty"])
    assert meta["enabled"] and meta["target_cv"] == CERTAINTY_CV
    assert meta["size_variable"] == "revenue" and "Hidiroglou (1986" in meta["rule"]
    con = duckdb.connect()
    con.register("s", sample)
    con.register("p", pop)
    certain = con.sql("SELECT year, substr(CAST(area AS VARCHAR), 1, 2) AS prov, "
                      "CAST(size_class AS VARCHAR), revenue, CAST(stratum AS VARCHAR), "
                      "design_weight, inclusion_probability, stratum_size "
                      "FROM s WHERE CAST(stratum AS VARCHAR) LIKE '%|certain'").fetchall()
    assert certain and sum(meta["units"].values()) == len(certain)
    for year, prov, size, revenue, stratum, weight, pi, _ in certain:
        assert (weight, pi) == (1.0, 1.0) and size != "large"
        assert stratum == f"{prov}0000|{size}|certain"
        assert revenue >= meta["cutoffs"][str(year)][prov]
    # every unit of the population at or above its province's cut-off is in the sample
    # (take-all classes aside), and no unit below it is in a certainty stratum
    above = con.sql("SELECT year, substr(CAST(area AS VARCHAR), 1, 2), revenue, "
                    "CAST(enterprise_id AS VARCHAR) FROM p "
                    "WHERE CAST(size_class AS VARCHAR) <> 'large'").fetchall()
    cutoffs = meta["cutoffs"]
    expected = {(y, e) for y, prov, rev, e in above
                if cutoffs[str(y)][prov] is not None and rev >= cutoffs[str(y)][prov]}
    got = {(y, e) for y, e in con.sql("SELECT year, CAST(enterprise_id AS VARCHAR) FROM s "
                                      "WHERE CAST(stratum AS VARCHAR) LIKE '%|certain'").fetchall()}
    assert got == expected
    sizes = con.sql("SELECT year, stratum, COUNT(*), MIN(stratum_size), MAX(stratum_size) "
                    "FROM s WHERE CAST(stratum AS VARCHAR) LIKE '%|certain' GROUP BY ALL"
                    ).fetchall()
    assert all(n == lo == hi for *_, n, lo, hi in sizes)
    # on by default
    assert draw_sample(pop, 3_000, seed=4).equals(sample)
    # None: no certainty strata, and the metadata says so
    plain = draw_sample(pop, 3_000, seed=4, certainty_cv=None)
    assert json.loads(plain.schema.metadata[b"mic2025.certainty"]) == {"enabled": False}
    assert not any(s.endswith("|certain")
                   for s in plain.column("stratum").cast(pa.string()).to_pylist())


@pytest.mark.slow
def test_500k_by_11_years_is_calibrated_at_full_scale(tmp_path: Path) -> None:
    # Speed is measured by the benchmarks, not here; this checks the full-size population is
    # whole, written, and still hits its calibration targets.
    table = generate_population(500_000, years=YEARS, seed=1)
    path = tmp_path / "big.parquet"
    write_parquet(table, path)
    assert table.num_rows == 5_500_000
    row = duckdb.sql(
        "SELECT sum(rd_expenditure) / sum(revenue) * 100 FROM read_parquet(?) WHERE year = 2015",
        params=[str(path)],
    ).fetchall()[0]
    assert row[0] == pytest.approx(DEMO_TARGETS["rd_intensity"][2015], abs=1e-6)
