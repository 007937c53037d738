"""Non-response adjustment of sample weights and small-cell suppression."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from mic2025.microdata.adjust import (
    SuppressionRule,
    adjust_for_nonresponse,
    long_estimates,
    suppress,
)
from mic2025.microdata.engine import EngineError, compute
from mic2025.microdata.generate import draw_sample, generate_population, simulate_nonresponse


def _design() -> pa.Table:
    return pa.table({
        "year": [2020] * 7,
        "stratum": ["A", "A", "B", "A", "B", "A", "B"],
        "design_weight": [10.0, 10.0, 4.0, 10.0, 4.0, 10.0, 4.0],
        "revenue": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        "responding": [True, False, True, True, True, False, True],
    })


def test_weights_of_nonrespondents_move_to_respondents_of_their_class() -> None:
    out = adjust_for_nonresponse(_design())
    assert out.column("revenue").to_pylist() == [1.0, 3.0, 4.0, 5.0, 7.0]  # order kept
    # A: 4 selected, 2 responded → ×2; B: all 3 responded → ×1
    assert out.column("design_weight").to_pylist() == [20.0, 4.0, 20.0, 4.0, 4.0]
    assert out.column("base_weight").to_pylist() == [10.0, 4.0, 10.0, 4.0, 4.0]
    assert out.column("nonresponse_factor").to_pylist() == [2.0, 1.0, 2.0, 1.0, 1.0]
    assert out.column_names[:5] == ["year", "stratum", "design_weight", "revenue", "responding"]
    # 0/1 works as well as a boolean
    numeric = _design().set_column(4, "responding", pa.array([1, 0, 1, 1, 1, 0, 1]))
    assert adjust_for_nonresponse(numeric).column("design_weight").to_pylist() == \
        out.column("design_weight").to_pylist()


def test_adjustment_restores_the_population_count_and_reduces_bias() -> None:
    pop = generate_population(6_000, years=[2020, 2021], seed=5)
    sample = simulate_nonresponse(draw_sample(pop, 900, seed=6), seed=7)
    responding = sample.column("responding").to_numpy(zero_copy_only=False)
    assert 0.75 < responding.mean() < 0.97
    assert sample.schema.metadata[b"mic2025.synthetic"] == b"true"
    adjusted = adjust_for_nonresponse(sample)
    assert adjusted.num_rows == responding.sum()
    assert adjusted.schema.metadata[b"mic2025.synthetic"] == b"true"
    formulas = {"n": "count()", "revenue": "sum(revenue)"}
    truth = compute(pop, formulas, by=("year",)).to_pylist()
    naive = compute(sample.filter(pa.array(responding)), formulas, by=("year",),
                    weighted=True).to_pylist()
    fixed = compute(adjusted, formulas, by=("year",), weighted=True).to_pylist()
    for t, a, b in zip(truth, naive, fixed, strict=True):
        assert b["n"] == pytest.approx(t["n"], rel=1e-12)  # Σ w_adj = N exactly
        assert a["n"] < 0.95 * t["n"]  # ignoring non-response loses the missing units
        assert abs(b["revenue"] / t["revenue"] - 1) < abs(a["revenue"] / t["revenue"] - 1)


def test_adjustment_refuses_what_it_cannot_do() -> None:
    with pytest.raises(EngineError, match="needs a 'responding' column"):
        adjust_for_nonresponse(_design().drop_columns(["responding"]))
    holes = _design().set_column(4, "responding",
                                 pa.array([True, None, True, True, True, None, True]))
    with pytest.raises(EngineError, match=r"'responding' is empty in row\(s\) 2, 6"):
        adjust_for_nonresponse(holes)
    silent_b = _design().set_column(4, "responding",
                                    pa.array([True, True, False, True, False, True, False]))
    with pytest.raises(EngineError, match=r"no unit responded in class.*2020/B"):
        adjust_for_nonresponse(silent_b)


def _estimates() -> pa.Table:
    return pa.table({
        "year": [2020, 2020, 2020, 2020, 2020, 2020],
        "indicator": ["a", "b", "c", "d", "e", "f"],
        "estimate": [10.0, 10.0, 10.0, 0.0, None, 10.0],
        "se": [1.0, 5.0, 5.0, 0.5, None, None],
        "ci_low": [8.0, 0.2, 0.2, -1.0, None, None],
        "ci_high": [12.0, 19.8, 19.8, 1.0, None, None],
        "n_units": [40, 40, 2, 40, 0, 2],
    })


def test_suppression_reports_every_cell_with_its_reason() -> None:
    out = suppress(_estimates()).to_pylist()
    assert len(out) == 6  # nothing dropped
    ok, noisy, both, zero, empty, small = out
    assert not ok["suppressed"] and ok["reason"] == "published: n=40 ≥ 3; CV 10% ≤ 30%"
    assert ok["estimate"] == 10.0 and ok["cv"] == pytest.approx(0.1)
    assert noisy["suppressed"] and noisy["reason"] == "CV 50% > 30%"
    assert noisy["estimate"] is None and noisy["se"] is None and noisy["ci_low"] is None
    assert noisy["cv"] == pytest.approx(0.5)
    assert both["reason"] == "fewer than 3 units (n=2); CV 50% > 30%"
    assert zero["suppressed"] and zero["cv"] is None  # an estimate of 0 with an SE: CV ∞
    assert empty["suppressed"] and empty["reason"] == "fewer than 3 units (n=0)"
    assert small["suppressed"] and small["reason"] == ("fewer than 3 units (n=2); SE not "
                                                       "estimable (no replicate gave a value)")
    assert small["rule"] == "min_units,se_not_estimable" and ok["rule"] is None


def test_suppression_rule_parameters() -> None:
    lenient = suppress(_estimates(), SuppressionRule(min_units=1, max_cv=None)).to_pylist()
    assert [r["suppressed"] for r in lenient] == [False, False, False, False, True, False]
    strict = suppress(_estimates(), SuppressionRule(min_units=50, max_cv=0.05))
    assert all(strict.column("suppressed").to_pylist())
    assert SuppressionRule().describe() == (
        "suppressed when fewer than 3 units, top 2 above 85% of a total, p% rule with p = 10% "
        "or SE not estimable or CV > 30%; secondary suppression protects every confidential "
        "cell in its margins")


def test_long_form_of_a_census() -> None:
    wide = pa.table({"year": pa.array([2020, 2021], pa.int32()), "n_units": [5, 6],
                     "x": [1.0, None], "y": [3.0, 4.0]})
    long = long_estimates(wide, ["year"])
    assert long.column("indicator").to_pylist() == ["x", "x", "y", "y"]
    assert long.column("estimate").to_pylist() == [1.0, None, 3.0, 4.0]
    assert long.column("n_units").to_pylist() == [5, 6, 5, 6]
    assert long.schema.field("year").type == pa.int32()
    assert np.all(np.isnan(np.asarray(long.column("se").to_numpy(zero_copy_only=False),
                                      dtype=float)))


# --------------------------------------------------------------------------- disclosure


def _returns() -> pa.Table:
    """Census returns of three provinces; in 120000 one enterprise has nearly all the R&D."""
    area = ["110000"] * 5 + ["120000"] * 5 + ["130000"] * 4
    rd = [10.0, 12.0, 9.0, 11.0, 8.0, 1000.0, 5.0, 4.0, 3.0, 6.0, 20.0, 18.0, 19.0, 21.0]
    return pa.table({"year": [2020] * len(area), "area": area, "rd_expenditure": rd,
                     "revenue": [1000.0] * len(area)})


FORMULA = {"rd": "sum(rd_expenditure) / sum(revenue) * 100"}


def _suppressed(rule: SuppressionRule, by: tuple[str, ...] = ("year", "province"),
                table: pa.Table | None = None) -> dict[object, dict[str, object]]:
    from mic2025.microdata.backends import backend

    source = _returns() if table is None else table
    engine = backend("duckdb")
    cells = long_estimates(engine.compute(source, FORMULA, by=by), list(by))
    conc = engine.concentration(source, FORMULA, by=by, top=rule.dominance[0]
                                if rule.dominance else 2)
    out = suppress(cells, rule, concentration=conc, by=by).to_pylist()
    return {r[by[-1]]: r for r in out}


def test_dominance_suppresses_a_cell_one_enterprise_dominates() -> None:
    cells = _suppressed(SuppressionRule(max_cv=None, secondary=False))
    tianjin = cells["120000"]
    assert tianjin["suppressed"] and tianjin["rule"] == "dominance,p_percent"
    assert "top 2 hold 99% > 85% of sum(rd_expenditure)" in tianjin["reason"]
    assert tianjin["estimate"] is None
    beijing = cells["110000"]
    assert not beijing["suppressed"]
    assert beijing["reason"] == ("published: n=5 ≥ 3; top 2 46% ≤ 85%; p% margin 225% ≥ 10%; "
                                 "census (no sampling error)")


def test_p_percent_rule_on_its_own() -> None:
    table = _returns()
    rd = table.column("rd_expenditure").to_pylist()
    rd[10:14] = [100.0, 60.0, 30.0, 5.0]  # rest 35 = 35% of 100: passes p = 10%, not p = 40%
    table = table.set_column(2, "rd_expenditure", pa.array(rd))
    loose = _suppressed(SuppressionRule(max_cv=None, dominance=None, secondary=False),
                        table=table)
    assert not loose["130000"]["suppressed"]
    strict = _suppressed(SuppressionRule(max_cv=None, dominance=None, p_percent=0.4,
                                         secondary=False), table=table)
    assert strict["130000"]["rule"] == "p_percent"
    assert "p% rule: the rest of sum(rd_expenditure) is 35% < 40%" in strict["130000"]["reason"]


def test_secondary_suppression_leaves_no_cell_recoverable_from_its_margin() -> None:
    cells = _suppressed(SuppressionRule(max_cv=None))
    assert cells["120000"]["rule"] == "dominance,p_percent"
    # 130000 has the fewest units among the published cells of the line: it goes too
    assert cells["130000"]["rule"] == "secondary"
    assert cells["130000"]["reason"] == ("secondary: protects province 120000 in the province "
                                         "margin")
    assert not cells["110000"]["suppressed"]
    # the national cell: the giant still holds most of it; a lone cell has no line
    national = _suppressed(SuppressionRule(max_cv=None), by=("year",))
    assert national[2020]["rule"] == "dominance"


def test_secondary_suppression_in_two_dimensions() -> None:
    rng = np.random.default_rng(3)
    n = 120
    table = pa.table({"year": [2020] * n,
                      "area": [["110000", "120000", "130000"][i % 3] for i in range(n)],
                      "division": [["13", "14", "15", "16"][(i // 3) % 4] for i in range(n)],
                      "rd_expenditure": rng.uniform(5, 10, n), "revenue": [1e3] * n})
    rd = table.column("rd_expenditure").to_pylist()
    rd[0] = 1e6  # province 110000 × division 13 is dominated
    table = table.set_column(3, "rd_expenditure", pa.array(rd))
    by = ("year", "province", "division")
    rows = list(_suppressed(SuppressionRule(max_cv=None), by=by, table=table).values())
    from mic2025.microdata.backends import backend

    engine = backend("duckdb")
    cells = suppress(long_estimates(engine.compute(table, FORMULA, by=by), list(by)),
                     SuppressionRule(max_cv=None),
                     concentration=engine.concentration(table, FORMULA, by=by),
                     by=by).to_pylist()
    assert rows and sum(c["rule"] == "dominance,p_percent" for c in cells) == 1
    for fixed, free in (("province", "division"), ("division", "province")):
        for value in {c[fixed] for c in cells}:
            line = [c for c in cells if c[fixed] == value]
            hidden = [c for c in line if c["suppressed"]]
            assert len(hidden) != 1, (fixed, value, free, hidden)
    assert sum(c["rule"] == "secondary" for c in cells) >= 3  # a 2×2 block at least


def test_cv_only_where_the_se_is_estimable() -> None:
    table = pa.table({
        "year": [2019, 2019, 2019], "indicator": ["a", "b", "c"],
        "estimate": [0.8, 0.0, 5.0], "se": [0.0, 0.0, 0.0],
        "ci_low": [0.8, 0.0, 5.0], "ci_high": [0.8, 0.0, 5.0], "df": [2, 2, None],
        "se_estimable": [False, False, True], "n_units": [3, 3, 4],
    })
    single, zero, census = suppress(table, SuppressionRule(secondary=False)).to_pylist()
    # SE 0 from sampled units is not CV 0 (Tibet 2019: 3 units, zero-width intervals)
    assert single["suppressed"] and single["rule"] == "se_not_estimable" and single["cv"] is None
    assert single["reason"] == ("SE not estimable (0 from sampled units: the replicates "
                                "never varied)")
    assert zero["suppressed"] and zero["rule"] == "se_not_estimable"  # 0 in [0, 0]
    # take-all units only: no sampling error, CV 0 is true
    assert not census["suppressed"] and census["cv"] == 0.0


def test_a_census_is_not_judged_on_sampling_error() -> None:
    wide = pa.table({"year": pa.array([2020], pa.int32()), "n_units": [5], "x": [1.0]})
    cell = suppress(long_estimates(wide, ["year"])).to_pylist()[0]
    assert not cell["suppressed"] and cell["cv"] is None
    assert cell["reason"] == "published: n=5 ≥ 3; census (no sampling error)"


def test_a_published_cell_names_the_df_its_interval_used() -> None:
    """The interval's effective df and the design df both appear in the reason when they
    differ, so a reader sees why an interval is wider than respondents − strata suggest."""
    table = pa.table({
        "year": [2019, 2019], "indicator": ["a", "b"], "estimate": [10.0, 10.0],
        "se": [1.0, 1.0], "ci_low": [7.0, 7.9], "ci_high": [13.0, 12.1], "df": [3, 19],
        "design_df": [19, 19], "se_estimable": [True, True], "n_units": [20, 20],
    })
    narrowed, plain = suppress(table, SuppressionRule(secondary=False)).to_pylist()
    assert narrowed["reason"] == "published: n=20 ≥ 3; CV 10% ≤ 30% (df 3, design df 19)"
    assert plain["reason"] == "published: n=20 ≥ 3; CV 10% ≤ 30% (df 19)"
