"""Rao–Wu rescaling bootstrap: replicate weights, agreement with the textbook variance, coverage."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mic2025.microdata.engine import EngineError, compute
from mic2025.microdata.generate import draw_sample, generate_population
from mic2025.microdata.variance import bootstrap, dense_ids, rao_wu_weights


def _design(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A stratified SRSWOR sample: stratum labels, N_h per unit, weights and values."""
    rng = np.random.default_rng(seed)
    n_h = np.array([2, 5, 12, 30, 8])
    big_n = np.array([40, 50, 300, 60, 8])  # the last stratum is take-all
    stratum = np.repeat(np.arange(5), n_h)
    sizes = big_n[stratum]
    weights = sizes / n_h[stratum]
    y = rng.lognormal(3.0, 1.0, stratum.size) * (1 + stratum)
    return stratum, sizes, weights, y


def _textbook_variance(stratum: np.ndarray, sizes: np.ndarray, y: np.ndarray) -> float:
    """V̂(Ŷ_HT) = Σ_h N_h² (1 − f_h) s_h² / n_h for stratified SRSWOR (Cochran 1977, 5.9)."""
    total = 0.0
    for h in np.unique(stratum):
        yh = y[stratum == h]
        n, big_n = yh.size, sizes[stratum == h][0]
        total += big_n**2 * (1 - n / big_n) * yh.var(ddof=1) / n
    return total


def test_replicate_weights_structure() -> None:
    stratum, sizes, weights, _ = _design()
    reps = rao_wu_weights(stratum, weights, 500, stratum_size=sizes, seed=1)
    assert reps.weights.shape == (500, stratum.size) and reps.singletons == 0
    assert (reps.weights >= 0).all()
    # equal weights within a stratum: every replicate keeps the stratum's total weight
    for h in range(5):
        in_h = stratum == h
        assert np.allclose(reps.weights[:, in_h].sum(axis=1), weights[in_h].sum())
    # a take-all stratum (f_h = 1) never moves; on average every weight is the design weight
    assert np.allclose(reps.weights[:, stratum == 4], weights[stratum == 4])
    assert np.allclose(reps.weights.mean(axis=0), weights, rtol=0.15)
    # without fpc, a 2-unit stratum puts its whole weight on one unit: 2w or 0
    plain = rao_wu_weights(stratum, weights, 50, seed=2).weights[:, stratum == 0]
    assert set(np.unique(plain / weights[stratum == 0])) <= {0.0, 2.0}
    # a one-unit stratum is resampled with its neighbour; with no neighbour it keeps its weight
    single = rao_wu_weights(np.array([0, 1, 1]), np.ones(3), 10)
    assert single.singletons == 1 and len(np.unique(single.weights[:, 0])) > 1
    lone = rao_wu_weights(np.array(["2020|a", "2021|b", "2021|b"]), np.ones(3), 10)
    assert lone.singletons == 1 and (lone.weights[:, 0] == 1).all()


def test_bootstrap_variance_of_a_total_matches_the_textbook_formula() -> None:
    stratum, sizes, weights, y = _design(seed=3)
    reps = rao_wu_weights(stratum, weights, 6000, stratum_size=sizes, seed=4)
    boot = (reps.weights @ y).var(ddof=1)
    assert boot == pytest.approx(_textbook_variance(stratum, sizes, y), rel=0.08)


def test_bootstrap_through_sql_matches_textbook_for_sum_and_count() -> None:
    stratum, sizes, weights, y = _design(seed=5)
    table = pa.table({"year": np.full(y.size, 2020), "stratum": stratum.astype(str),
                      "stratum_size": sizes, "design_weight": weights, "revenue": y})
    result = bootstrap(table, {"total": "sum(revenue)", "n": "count()"},
                       by=(), replicates=3000, seed=6).to_pylist()
    total, count = result
    assert total["estimate"] == pytest.approx(float(weights @ y))
    assert total["se"] ** 2 == pytest.approx(_textbook_variance(stratum, sizes, y), rel=0.1)
    assert count["estimate"] == pytest.approx(sizes[np.unique(stratum, return_index=True)[1]]
                                              .sum())
    assert count["se"] == pytest.approx(0.0, abs=1e-6)  # stratum counts are known exactly
    assert total["ci_low"] < total["estimate"] < total["ci_high"]
    assert total["replicates"] == 3000


def test_bootstrap_needs_a_design() -> None:
    table = pa.table({"year": [2020], "revenue": [1.0], "design_weight": [1.0]})
    with pytest.raises(EngineError, match="'stratum'"):
        bootstrap(table, {"x": "sum(revenue)"})


FORMULAS = {
    "rd_intensity": "sum(rd_expenditure) / sum(revenue) * 100",
    "nc_rate": "mean(key_processes_nc / key_processes) * 100",
    "digital": "count_if(digital_design_tools > 0) / count() * 100",
    "waste": "sum(solid_waste_utilised) / sum(solid_waste_generated) * 100",
}


@pytest.mark.slow  # a simulation: many samples drawn and estimated
def test_95_percent_intervals_cover_about_95_percent() -> None:
    """Repeated stratified samples from one synthetic population: coverage ≈ 0.95.

    Measured once with 400 repeats and 100 replicates (n = 700 of 8,000): rd_intensity
    0.94, nc_rate 0.95, digital 0.92, waste 0.90 — the skewed waste ratio under-covers, as
    normal-theory intervals do for heavy-tailed ratios in small samples.
    """
    pop = generate_population(8_000, years=[2020], seed=31)
    truth = compute(pop, FORMULAS, by=()).to_pylist()[0]
    repeats = 120
    estimates: dict[str, list[float]] = {k: [] for k in FORMULAS}
    ses: dict[str, list[float]] = {k: [] for k in FORMULAS}
    covered = dict.fromkeys(FORMULAS, 0)
    for i in range(repeats):
        sample = draw_sample(pop, 700, seed=1000 + i)
        for row in bootstrap(sample, FORMULAS, by=(), replicates=60, seed=i).to_pylist():
            k = row["indicator"]
            covered[k] += row["ci_low"] <= truth[k] <= row["ci_high"]
            estimates[k].append(row["estimate"])
            ses[k].append(row["se"])
    rates = {k: v / repeats for k, v in covered.items()}
    assert all(0.86 <= r <= 0.99 for r in rates.values()), rates
    assert 0.90 <= sum(rates.values()) / len(rates) <= 0.98, rates
    for k in FORMULAS:  # the bootstrap SE tracks the SD of the estimator across samples
        ratio = np.sqrt(np.mean(np.square(ses[k]))) / np.std(estimates[k])
        assert 0.75 < ratio < 1.25, (k, ratio)


# --------------------------------------------------------------------------- small strata


def _small_sample() -> pa.Table:
    """Two provinces' worth of strata in one year; stratum 110000|b has one respondent."""
    rng = np.random.default_rng(8)
    strata = ["110000|a"] * 6 + ["110000|b"] + ["120000|a"] * 5
    area = [s[:6] for s in strata]
    n = len(strata)
    size = {"110000|a": 60, "110000|b": 20, "120000|a": 50}
    count = {s: strata.count(s) for s in size}
    return pa.table({
        "enterprise_id": [f"e{i}" for i in range(n)], "year": [2020] * n, "area": area,
        "stratum": strata, "stratum_size": [size[s] for s in strata],
        "design_weight": [size[s] / count[s] for s in strata],
        "revenue": rng.lognormal(18, 0.5, n), "rd_expenditure": rng.lognormal(14, 1.0, n),
        "digital_design_tools": [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1],
    })


def test_a_stratum_with_one_respondent_is_collapsed_and_counted() -> None:
    table = _small_sample()
    lone = table.filter(pa.compute.equal(table.column("stratum"), "110000|b"))
    # the lone unit's stratum alone: it used to add no variance at all
    only = bootstrap(lone, {"total": "sum(revenue)"}, by=(), replicates=50, seed=1)
    row = only.to_pylist()[0]
    assert row["singletons"] == 1 and row["collapsed"] == 0 and not row["se_estimable"]
    assert row["ci_low"] is None and row["df"] == 0
    # with the rest of the sample it joins 110000|a (the longest shared label prefix)
    result = bootstrap(table, {"total": "sum(revenue)"}, by=("province",), replicates=200,
                       seed=1).to_pylist()
    beijing = next(r for r in result if r["province"] == "110000")
    assert beijing["collapsed"] == 1 and beijing["singletons"] == 0
    assert beijing["strata"] == 1 and beijing["df"] == 6  # 7 units in one variance stratum
    from mic2025.microdata.design import COLLAPSED, rao_wu_draw

    labels = np.array([f"2020|{s}" for s in table.column("stratum").to_pylist()])
    drawn = rao_wu_draw(labels, 20, stratum_size=np.asarray(table.column("stratum_size")))
    assert drawn.singletons == 1 and drawn.collapsed == 1
    assert drawn.role[6] == COLLAPSED and drawn.vstratum[6] == drawn.vstratum[0]
    assert drawn.lam[6] > 0 and len(np.unique(drawn.r[6])) > 1


def test_intervals_use_the_design_degrees_of_freedom() -> None:
    from mic2025.microdata.distributions import t_ppf

    table = _small_sample()
    result = bootstrap(table, {"total": "sum(revenue)"}, by=("province",), replicates=200,
                       seed=2).to_pylist()
    for row in result:
        # strata are nested in provinces: df = respondents − variance strata
        assert row["design_df"] == row["n_units"] - row["strata"]
        assert 1 <= row["df"] <= row["design_df"]
        half = (row["ci_high"] - row["ci_low"]) / 2
        assert half == pytest.approx(float(t_ppf(0.975, row["df"])) * row["se"], rel=1e-9)
        assert row["interval"] == "t"


def test_a_cell_whose_variance_rests_on_one_unit_gets_fewer_degrees_of_freedom() -> None:
    """Twenty respondents in one stratum give 19 design df, but when one enterprise carries
    almost all of the cell's variance the variance estimate is about as stable as one with
    two or three df (Satterthwaite with the stratum's kurtosis): the t quantile widens."""
    from mic2025.microdata.distributions import t_ppf

    rng = np.random.default_rng(21)
    n = 20
    skewed = np.full(n, 1.0e8) * rng.uniform(0.95, 1.05, n)
    skewed[7] = 5.0e10  # one dominant enterprise
    even = rng.uniform(0.9e8, 1.1e8, n)
    table = pa.table({
        "enterprise_id": [f"e{i}" for i in range(2 * n)], "year": [2020] * (2 * n),
        "area": ["110000"] * n + ["120000"] * n,
        "stratum": ["110000|a"] * n + ["120000|a"] * n,
        "stratum_size": [200] * (2 * n), "design_weight": [10.0] * (2 * n),
        "revenue": np.concatenate([skewed, even]),
    })
    rows = {r["province"]: r for r in bootstrap(table, {"total": "sum(revenue)"},
                                                 by=("province",), replicates=200,
                                                 seed=6).to_pylist()}
    beijing, tianjin = rows["110000"], rows["120000"]
    assert beijing["n_units"] - beijing["strata"] == 19 == beijing["design_df"]
    assert 1 <= beijing["df"] <= 3
    half = (beijing["ci_high"] - beijing["ci_low"]) / 2
    assert half == pytest.approx(float(t_ppf(0.975, beijing["df"])) * beijing["se"], rel=1e-9)
    assert half > 1.5 * float(t_ppf(0.975, 19)) * beijing["se"]
    # evenly spread values: the design df stand
    assert tianjin["df"] == tianjin["design_df"] == 19


def test_share_intervals_stay_between_0_and_100_and_ratios_above_0() -> None:
    table = _small_sample()
    formulas = {"digital": "count_if(digital_design_tools > 0) / count() * 100",
                "rd": "sum(rd_expenditure) / sum(revenue) * 100"}
    result = bootstrap(table, formulas, by=("province",), replicates=200, seed=3).to_pylist()
    shares = [r for r in result if r["indicator"] == "digital"]
    assert all(r["interval"] == "Korn-Graubard" for r in shares)
    # 4 of 5 units with tools in 120000: the normal interval ran past 100
    tianjin = next(r for r in shares if r["province"] == "120000")
    assert tianjin["estimate"] + 1.96 * tianjin["se"] > 100
    for r in shares:
        assert 0 <= r["ci_low"] <= r["estimate"] <= r["ci_high"] <= 100
    for r in result:
        if r["indicator"] == "rd":
            assert r["interval"] == "log-t" and 0 < r["ci_low"] < r["estimate"] < r["ci_high"]
            assert r["ci_low"] * r["ci_high"] == pytest.approx(r["estimate"] ** 2, rel=1e-9)


def test_a_share_at_0_still_has_an_interval() -> None:
    table = _small_sample()
    table = table.set_column(table.schema.get_field_index("digital_design_tools"),
                             "digital_design_tools", pa.array([0] * table.num_rows))
    row = bootstrap(table, {"d": "count_if(digital_design_tools > 0) / count() * 100"},
                    by=(), replicates=100, seed=4).to_pylist()[0]
    assert row["estimate"] == 0 and row["se"] == 0 and row["ci_low"] == 0
    assert 10 < row["ci_high"] < 100  # Korn–Graubard at the effective n (12 units, df 9)


def test_quantiles_match_closed_forms() -> None:
    from mic2025.microdata.distributions import beta_ppf, t_ppf

    p = 0.975
    assert t_ppf(p, 1.0) == pytest.approx(np.tan(np.pi * (p - 0.5)), rel=1e-12)
    assert t_ppf(p, 2.0) == pytest.approx((2 * p - 1) / np.sqrt(2 * p * (1 - p)), rel=1e-12)
    assert t_ppf(p, [3, 10, 30]) == pytest.approx([3.182446305, 2.228138852, 2.042272456],
                                                  rel=1e-9)
    assert t_ppf(p, np.inf) == pytest.approx(1.959963985, rel=1e-9)
    for b in (1.0, 7.5, 200.0):  # Beta(1, b): 1 − (1 − q)^(1/b)
        assert beta_ppf(0.3, 1.0, b) == pytest.approx(1 - 0.7 ** (1 / b), rel=1e-10)
        assert beta_ppf(0.3, b, 1.0) == pytest.approx(0.3 ** (1 / b), rel=1e-10)


def test_large_beta_quantiles_by_cornish_fisher(monkeypatch: pytest.MonkeyPatch) -> None:
    from mic2025.microdata import distributions

    rng = np.random.default_rng(1)
    a, b = rng.uniform(1001, 3000, 50), rng.uniform(1001, 3000, 50)
    q = np.where(rng.random(50) < 0.5, 0.025, 0.975)
    fast = distributions.beta_ppf(q, a, b)
    monkeypatch.setattr(distributions, "LARGE", np.inf)
    exact = distributions.beta_ppf(q, a, b)
    assert np.allclose(distributions.betainc(a, b, exact), q, atol=1e-12)
    sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    assert np.max(np.abs(fast - exact) / sd) < 5e-4


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 70_000), max_size=300), st.booleans())
def test_dense_ids_number_distinct_codes_in_ascending_order(codes: list[int],
                                                            narrow: bool) -> None:
    """Both routes (a table of the range, and ``np.unique`` for a wide one) number the
    distinct codes as ``np.unique`` would and name a member of each."""
    code = np.array(codes, dtype=np.int64)
    bound = (max(codes, default=0) + 1) if narrow else 10**12
    gid, member = dense_ids(code, bound)
    distinct, inverse = np.unique(code, return_inverse=True)
    assert gid.dtype == np.int64
    assert gid.tolist() == inverse.ravel().tolist()
    assert len(member) == len(distinct) and code[member].tolist() == distinct.tolist()


def test_a_cell_without_variance_keeps_no_effective_df_whatever_its_rounding() -> None:
    """A share of 100% has no variance: its linearised values x/T₂ − T₁/T₂² cancel. Totals
    summed in another order differ in the last digits, and what is left of the cancellation is
    rounding; the df must not come from it (it fell back to the design df with one summing
    order and came from rounding with another, moving a published interval's lower limit
    from 67.6 to 63.6)."""
    from mic2025.formula import aggregates_of, parse
    from mic2025.microdata.design import rao_wu_draw
    from mic2025.microdata.schema import FIELD_NAMES
    from mic2025.microdata.variance import effective_df, unit_matrix

    rng = np.random.default_rng(4)
    n = 400
    gid = np.repeat([0, 1], n // 2)
    stratum = rng.integers(0, 8, n)
    tools = np.where(gid == 0, 3.0, rng.integers(0, 2, n).astype(float))  # group 0: all have
    weights = rng.uniform(1.0, 30.0, n)
    tree = parse("count_if(digital_design_tools > 0) / count() * 100", list(FIELD_NAMES))
    aggs = list(dict.fromkeys(aggregates_of(tree)))
    columns = [np.ones(n) if a.func == "count" else (tools > 0).astype(float) for a in aggs]
    values, slot = unit_matrix(columns, aggs)
    design = rao_wu_draw(stratum, 10, seed=1)
    exact = np.zeros((2, values.shape[1]))
    for j in range(values.shape[1]):
        exact[:, j] = np.bincount(gid, weights * values[:, j], minlength=2)
    first, _ = slot[aggs[0]]
    nudged = exact.copy()  # the count_if total off the count by as much as another order of
    nudged[0, first] *= 1 + 1e-13  # summing gives
    assert nudged[0, first] != exact[0, 1 - first]
    got_exact = effective_df([tree], values, slot, weights, gid, 2, design, totals=exact)
    got_nudged = effective_df([tree], values, slot, weights, gid, 2, design, totals=nudged)
    assert np.isnan(got_exact[0, 0]) and np.isnan(got_nudged[0, 0])
    assert np.isfinite(got_exact[1, 0]) and got_exact[1, 0] > 1
    assert got_nudged[1, 0] == pytest.approx(got_exact[1, 0], rel=1e-12)
