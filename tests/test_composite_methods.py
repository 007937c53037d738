"""Normalisers, aggregators, imputation and treatment: hostile inputs and properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mic2025.composite import CompositeError, Framework, run_pipeline
from mic2025.composite import aggregate as agg
from mic2025.composite import impute as imp
from mic2025.composite import normalise as norm
from mic2025.composite import treat as trt
from mic2025.composite.framework import AGGREGATE, INDICATOR, Element
from mic2025.composite.pipeline import rank_scores
from mic2025.composite.table import Table

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def tiny_framework(values: list[list[float]]) -> Framework:
    elements = (
        Element("A", "A", 1, INDICATOR, "P"),
        Element("B", "B", 1, INDICATOR, "P"),
        Element("P", "P", 2, AGGREGATE, None),
    )
    units = tuple(f"U{i + 1}" for i in range(len(values)))
    return Framework("tiny", elements, Table(units, ("A", "B"), np.array(values)), units)


# -- hostile inputs --------------------------------------------------------------------------
def test_geometric_mean_on_non_positive_data_names_unit_and_indicator() -> None:
    fw = tiny_framework([[1.0, 2.0], [3.0, 0.0], [2.0, 5.0]])
    with pytest.raises(CompositeError) as exc:
        run_pipeline(fw, [{"step": "aggregate", "method": "gmean"}])
    text = str(exc.value)
    assert "unit 'U2'" in text and "indicator 'B'" in text and "'P'" in text


def test_min_max_zero_lower_bound_then_geometric_mean_is_refused() -> None:
    fw = tiny_framework([[1.0, 2.0], [3.0, 4.0], [2.0, 5.0]])
    with pytest.raises(CompositeError, match="rescale first"):
        run_pipeline(fw, [{"step": "normalise", "method": "minmax", "l": 0, "u": 100},
                          {"step": "aggregate", "method": "gmean"}])
    ok = run_pipeline(fw, [{"step": "normalise", "method": "minmax", "l": 1, "u": 100},
                           {"step": "aggregate", "method": "gmean"}])
    assert np.all(np.isfinite(ok.latest.column("P")))


def test_harmonic_and_generalised_means_refuse_bad_values() -> None:
    with pytest.raises(CompositeError, match="harmonic mean"):
        agg.harmonic_mean([[1.0, 0.0]], [1, 1])
    with pytest.raises(CompositeError, match="generalised mean"):
        agg.generalised_mean([[1.0, -1.0]], [1, 1], p=0.5)
    with pytest.raises(CompositeError, match="generalised mean"):
        agg.generalised_mean([[1.0, 0.0]], [1, 1], p=-1)


def test_missing_data_policies() -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [2.0, 2.0, 2.0]])
    w = [1, 1, 2]
    renorm = agg.arithmetic_mean(x, w)
    assert renorm[0] == pytest.approx((1 + 2 * 3) / 3)
    assert np.isnan(renorm[1])
    strict = agg.arithmetic_mean(x, w, policy="strict")
    assert np.isnan(strict[0]) and strict[2] == 2.0
    thresh = agg.arithmetic_mean(x, w, dat_thresh=0.7)
    assert np.isnan(thresh[0]) and thresh[2] == 2.0
    with pytest.raises(CompositeError, match="policy"):
        agg.arithmetic_mean(x, w, policy="zero")


def test_outranking_refuses_missing_unless_pairwise() -> None:
    x = np.array([[1.0, np.nan], [2.0, 1.0], [0.0, 3.0]])
    with pytest.raises(CompositeError, match="unit #1"):
        agg.copeland(x, [1, 1])
    out = agg.outranking_matrix(x, [1, 1], missing="pairwise")
    assert out.matrix[0, 1] == 0.0 and out.matrix[1, 0] == 1.0
    assert out.n_dominant == 2  # U2 over U1, and U1 over U3 on the one shared member


def test_weights_must_match_and_be_non_negative() -> None:
    with pytest.raises(CompositeError, match="3 weights for 2 members"):
        agg.arithmetic_mean([[1.0, 2.0]], [1, 1, 1])
    with pytest.raises(CompositeError, match="weights"):
        agg.arithmetic_mean([[1.0, 2.0]], [1, -1])


def test_constant_indicator_cannot_be_min_max_scaled() -> None:
    with pytest.raises(CompositeError, match="constant"):
        norm.minmax([2.0, 2.0, np.nan])
    with pytest.raises(CompositeError, match="constant"):
        norm.zscore([2.0, 2.0, 2.0])


def test_unknown_method_and_bad_parameters() -> None:
    with pytest.raises(CompositeError, match="unknown normalisation method"):
        norm.normalise_indicator([1.0, 2.0], "softmax")
    with pytest.raises(CompositeError, match="bad parameters"):
        norm.normalise_indicator([1.0, 2.0], "minmax", {"lower": 0})
    with pytest.raises(CompositeError, match="needs a target"):
        norm.normalise_indicator([1.0, 2.0], "dist2targ")


def test_direction_minus_one_matches_coinr_formulas() -> None:
    x = np.array([3.0, 5.0, 9.0, np.nan, 1.0])
    lo, hi = 1.0, 9.0
    # COINr n_dist2targ, direction -1: (max - x)/(max - targ)
    got = norm.normalise_indicator(x, "dist2targ", direction=-1, target=2.0)
    np.testing.assert_allclose(got, (hi - x) / (hi - 2.0))
    # COINr n_goalposts, direction -1: (x - hi)/(lo - hi), truncated, times scale
    got = norm.normalise_indicator(x, "goalposts", {"lo": 0, "hi": 8, "scale": 100}, -1)
    np.testing.assert_allclose(got, np.clip((x - 8) / (0 - 8), 0, 1) * 100)
    got = norm.normalise_indicator(x, "minmax", {"l": 0, "u": 1}, -1)
    np.testing.assert_allclose(got, (hi - x) / (hi - lo))


# -- imputation -----------------------------------------------------------------------------
def test_imputation_keeps_observed_values_and_fills_by_group() -> None:
    x = np.array([[1.0, 10.0], [3.0, np.nan], [np.nan, 30.0], [7.0, 50.0]])
    groups = ["a", "a", "b", "b"]
    out = imp.impute_group_mean(x, groups)
    obs = ~np.isnan(x)
    np.testing.assert_array_equal(out[obs], x[obs])
    assert out[1, 1] == 10.0 and out[2, 0] == 7.0
    assert imp.impute_mean(x)[2, 0] == pytest.approx(11 / 3)
    assert imp.impute_median(x)[1, 1] == 30.0


def test_knn_imputation_uses_nearest_units() -> None:
    x = np.array([[1.0, 1.0, 100.0], [1.1, 1.1, np.nan], [5.0, 5.0, 500.0], [5.1, 5.2, 520.0]])
    out = imp.impute_knn(x, k=1)
    assert out[1, 2] == 100.0
    out2 = imp.impute_knn(x, k=2)
    assert out2[1, 2] == pytest.approx((100.0 + 500.0) / 2)
    np.testing.assert_array_equal(out[~np.isnan(x)], x[~np.isnan(x)])


def test_group_imputation_needs_a_known_group() -> None:
    fw = tiny_framework([[1.0, np.nan], [3.0, 4.0], [2.0, 5.0]])
    with pytest.raises(CompositeError, match="needs 'group'"):
        run_pipeline(fw, [{"step": "impute", "method": "group_mean", "group": "Region"}])


# -- treatment ------------------------------------------------------------------------------
def test_log_transform_when_winsorising_is_not_enough() -> None:
    x = np.concatenate([np.linspace(1, 2, 40), [50.0, 60.0, 80.0, 100.0, 200.0, 400.0]])
    t = trt.treat_indicator(x, winmax=1)
    assert not t.passed_before and t.method == "log_CT" and t.n_winsorised == 1
    np.testing.assert_allclose(t.values, trt.log_ct(x))
    again = trt.treat_indicator(x, winmax=10)
    assert again.method == "winsorise" and again.passed_after


def test_negative_skew_is_winsorised_at_the_bottom() -> None:
    x = -np.concatenate([np.linspace(1, 2, 40), [30.0, 2.5]])
    t = trt.treat_indicator(x, winmax=5)
    assert t.moved is not None and t.moved[40] == -1.0
    assert t.values[40] == pytest.approx(-2.5)


# -- properties -----------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(
    x=arrays(np.float64, st.integers(2, 40), elements=finite),
    lo=st.floats(-100, 100),
    width=st.floats(0.5, 1000),
)
def test_minmax_output_lies_within_bounds(x: np.ndarray, lo: float, width: float) -> None:
    assume(np.ptp(x) > 1e-6 * max(1.0, float(np.max(np.abs(x)))))
    hi = lo + width
    y = norm.minmax(x, lo, hi)
    tol = 1e-9 * max(1.0, abs(lo), abs(hi))
    assert np.all(y >= lo - tol) and np.all(y <= hi + tol)
    assert y[np.argmin(x)] == pytest.approx(lo) and y[np.argmax(x)] == pytest.approx(hi)


@settings(max_examples=200, deadline=None)
@given(
    x=arrays(np.float64, st.integers(1, 40),
             elements=st.integers(-50, 50).map(float) | st.just(np.nan)),
    transform=st.sampled_from(["exp", "cube", "affine", "arctan"]),
)
def test_ranks_are_invariant_under_monotone_transforms(x: np.ndarray, transform: str) -> None:
    f = {
        "exp": lambda v: np.exp(v / 10),
        "cube": lambda v: v**3,
        "affine": lambda v: 3.5 * v - 7,
        "arctan": np.arctan,
    }[transform]
    y = f(x)
    for ties in ("min", "average"):
        np.testing.assert_array_equal(norm.rank(x, ties), norm.rank(y, ties))
    np.testing.assert_array_equal(rank_scores(x), rank_scores(y))


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(1, 30), elements=st.integers(-20, 20).map(float)))
def test_rank_scores_are_min_ties_best_first(x: np.ndarray) -> None:
    r = rank_scores(x)
    for i in range(x.size):
        assert r[i] == 1 + np.sum(x > x[i])


@settings(max_examples=150, deadline=None)
@given(
    x=arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(1, 6)),
             elements=st.floats(0.5, 100)),
    data=st.data(),
)
def test_power_means_lie_between_min_and_max_and_increase_with_p(
    x: np.ndarray, data: st.DataObject
) -> None:
    w = np.array(data.draw(st.lists(st.floats(0.1, 5), min_size=x.shape[1],
                                    max_size=x.shape[1])))
    lo, hi = x.min(axis=1), x.max(axis=1)
    means = [agg.harmonic_mean(x, w), agg.geometric_mean(x, w), agg.arithmetic_mean(x, w),
             agg.generalised_mean(x, w, 2.0)]
    for m in means:
        assert np.all(m >= lo * (1 - 1e-12)) and np.all(m <= hi * (1 + 1e-12))
    for a, b in itertools.pairwise(means):
        assert np.all(a <= b * (1 + 1e-12))


@settings(max_examples=100, deadline=None)
@given(arrays(np.float64, st.integers(3, 40), elements=finite))
def test_zscore_has_requested_mean_and_sd(x: np.ndarray) -> None:
    assume(np.std(x) > 1e-3 * max(1.0, float(np.max(np.abs(x)))))
    z = norm.zscore(x, 10, 2)
    assert np.mean(z) == pytest.approx(10, abs=1e-9)
    assert np.std(z, ddof=1) == pytest.approx(2, rel=1e-9)


def test_build_notes_record_what_imputation_and_screening_left_or_removed() -> None:
    fw = tiny_framework([[1.0, np.nan], [np.nan, np.nan], [2.0, 5.0], [3.0, 4.0]])
    build = run_pipeline(fw, [{"step": "screen", "dat_thresh": 0.5},
                              {"step": "impute", "method": "mean"}])
    assert build.notes == ["screen: 1 unit(s) removed: ['U2']"]
    assert build.dsets["Screened"].units == ("U1", "U3", "U4")
    assert build.dsets["Imputed"].get("U1", "B") == 4.5
    # a unit with no observed value has no neighbours: kNN leaves it missing, and says so
    knn = run_pipeline(fw, [{"step": "impute", "method": "knn", "k": 1}])
    assert knn.notes == ["impute: 2 value(s) still missing, in ['A', 'B']"]
    assert np.isnan(knn.dsets["Imputed"].get("U2", "A"))
    assert knn.dsets["Imputed"].get("U1", "B") == 5.0  # U3 (A = 2) is nearest to A = 1
