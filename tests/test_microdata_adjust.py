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
    assert not ok["suppressed"] and ok["reason"] is None
    assert ok["estimate"] == 10.0 and ok["cv"] == pytest.approx(0.1)
    assert noisy["suppressed"] and noisy["reason"] == "CV 50% > 30%"
    assert noisy["estimate"] is None and noisy["se"] is None and noisy["ci_low"] is None
    assert noisy["cv"] == pytest.approx(0.5)
    assert both["reason"] == "fewer than 3 units (n=2); CV 50% > 30%"
    assert zero["suppressed"] and zero["cv"] is None  # an estimate of 0 with an SE: CV ∞
    assert empty["suppressed"] and empty["reason"] == "fewer than 3 units (n=0)"
    assert small["suppressed"] and small["reason"] == "fewer than 3 units (n=2)"


def test_suppression_rule_parameters() -> None:
    lenient = suppress(_estimates(), SuppressionRule(min_units=1, max_cv=None)).to_pylist()
    assert [r["suppressed"] for r in lenient] == [False, False, False, False, True, False]
    strict = suppress(_estimates(), SuppressionRule(min_units=50, max_cv=0.05))
    assert all(strict.column("suppressed").to_pylist())
    assert SuppressionRule().describe() == "suppressed when fewer than 3 units or CV > 30%"


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
