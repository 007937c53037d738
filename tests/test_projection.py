"""Projections: the weighted trend, the residual bootstrap, and honesty about small samples.

The noisy series here are SYNTHETIC (drawn from a known line plus normal noise); they are
not statistics of anything.
"""

from __future__ import annotations

import numpy as np
import pytest

from mic2025.evaluate.projection import (
    B_DEFAULT,
    SEED,
    _modified_residuals,
    geometric_mean_growth,
    project,
    project_growth,
    recency_weights,
    wls_line,
)


def test_recency_weights_rise_from_one_to_two() -> None:
    assert recency_weights([2015, 2018, 2022]).tolist() == pytest.approx([1, 1 + 3 / 7, 2])
    assert recency_weights([2020]).tolist() == [1.0]


def test_wls_line_matches_numpy_polyfit() -> None:
    x = np.array([2015, 2016, 2018, 2021, 2022], float)
    y = np.array([3.0, 3.4, 4.1, 5.2, 5.0])
    w = recency_weights(x)
    a, slope, xbar = wls_line(x, y, w)
    ref_slope, ref_icpt = np.polyfit(x, y, 1, w=np.sqrt(w))  # polyfit weights the residuals
    assert slope == pytest.approx(ref_slope, rel=1e-10)
    assert a + slope * (2025 - xbar) == pytest.approx(ref_icpt + ref_slope * 2025, rel=1e-10)


def test_an_exactly_linear_series_collapses_the_interval_onto_the_line() -> None:
    pts = [(y, 10 + 2 * (y - 2015)) for y in range(2015, 2023)]  # 10, 12, …, 24
    up = project(pts, target_year=2025, target_value=29.0, direction=1)
    assert up.value == pytest.approx(30.0)  # 10 + 2·10
    assert up.lower == pytest.approx(30.0, abs=1e-9) and up.upper == pytest.approx(30.0, abs=1e-9)
    assert up.probability == 1.0 and up.n_points == 8 and up.level == 0.90
    assert project(pts, target_year=2025, target_value=31.0, direction=1).probability == 0.0
    assert project(pts, target_year=2025, target_value=31.0, direction=-1).probability == 1.0
    # exactly on the target counts as meeting it
    assert project(pts, target_year=2025, target_value=30.0, direction=1).probability == 1.0
    assert "B=2000" in up.model and f"seed {SEED}" in up.model


def test_small_samples_get_no_interval() -> None:
    three = project([(2015, 1.0), (2018, 2.0), (2020, 2.5)], target_year=2025,
                    target_value=3.0, direction=1)
    assert three.value is not None and three.lower is None and three.upper is None
    assert three.probability is None and "at least 4" in (three.note or "")
    one = project([(2015, 1.0)], target_year=2025, target_value=3.0, direction=1)
    assert one.value is None and one.probability is None and one.n_points == 1
    # two points: the line through them
    two = project([(2015, 1.0), (2020, 2.0)], target_year=2025, target_value=3.0, direction=1)
    assert two.value == pytest.approx(3.0)


def test_projection_is_reproducible() -> None:
    rng = np.random.default_rng(1)
    pts = [(y, 5 + 0.3 * (y - 2015) + rng.normal(0, 0.5)) for y in range(2015, 2024)]
    a = project(pts, target_year=2025, target_value=8.0, direction=1)
    b = project(pts, target_year=2025, target_value=8.0, direction=1)
    assert a == b


def test_vectorised_bootstrap_equals_a_loop_of_refits() -> None:
    """The closed-form batch refit gives what B separate weighted fits would give."""
    rng_data = np.random.default_rng(7)
    years = np.arange(2015, 2024, dtype=float)
    y = 20 - 0.8 * (years - 2015) + rng_data.normal(0, 1.0, years.size)
    pts = list(zip(years.astype(int).tolist(), y.tolist(), strict=True))
    n_boot, T = 300, 2027
    got = project(pts, target_year=T, target_value=12.0, direction=-1, n_boot=n_boot, seed=99)

    w = recency_weights(years)
    # reference residuals from explicit matrices: H = X (XᵀWX)⁻¹ XᵀW, M = I − H
    X = np.column_stack([np.ones_like(years), years - 2015])
    W = np.diag(w)
    H = X @ np.linalg.inv(X.T @ W @ X) @ X.T @ W
    e = y - H @ y
    M = np.eye(years.size) - H
    r = e / np.sqrt((M**2).sum(axis=1))
    r = r - r.mean()
    assert np.allclose(r, _modified_residuals(years, y, w, slope_model=True))

    rng = np.random.default_rng(99)
    idx = rng.integers(0, years.size, size=(n_boot, years.size))
    extra = rng.integers(0, years.size, size=n_boot)
    fitted = H @ y
    preds = []
    for i in range(n_boot):  # the slow way, one weighted fit per replicate
        slope, icpt = np.polyfit(years, fitted + r[idx[i]], 1, w=np.sqrt(w))
        preds.append(icpt + slope * T + r[extra[i]])
    lo, hi = np.quantile(preds, [0.05, 0.95])
    assert got.lower == pytest.approx(lo, rel=1e-9) and got.upper == pytest.approx(hi, rel=1e-9)
    assert got.probability == pytest.approx(np.mean(np.array(preds) <= 12.0 + 1e-9 * 12))


def test_interval_coverage_on_synthetic_noisy_series() -> None:
    """SYNTHETIC: 200 series from y = 50 + 1.5·(t − 2015) + N(0, 2²), 2015–2024, projected
    to 2027; the 90 % interval should cover the realised 2027 value about 90 % of the time."""
    rng = np.random.default_rng(2025)
    years = np.arange(2015, 2025)
    hits = 0
    for _ in range(200):
        y = 50 + 1.5 * (years - 2015) + rng.normal(0, 2.0, years.size)
        truth = 50 + 1.5 * (2027 - 2015) + rng.normal(0, 2.0)
        p = project(list(zip(years.tolist(), y.tolist(), strict=True)), target_year=2027,
                    target_value=65.0, direction=1)
        assert p.lower is not None and p.upper is not None
        hits += p.lower <= truth <= p.upper
    assert 0.80 <= hits / 200 <= 0.97, hits


def test_probability_tracks_the_distance_to_the_target() -> None:
    rng = np.random.default_rng(3)
    years = np.arange(2015, 2024)
    pts = list(zip(years.tolist(), (100 + 2 * (years - 2015) + rng.normal(0, 1, 9)).tolist(),
                   strict=True))
    probs = [project(pts, target_year=2025, target_value=t, direction=1).probability
             for t in (110.0, 118.0, 120.0, 122.0, 130.0)]
    assert probs == sorted(probs, reverse=True)
    assert probs[0] == 1.0 and probs[-1] == 0.0
    # a tolerance widens what counts as met
    near = project(pts, target_year=2025, target_value=122.0, direction=1)
    about = project(pts, target_year=2025, target_value=122.0, direction=1, tolerance=2.0)
    assert about.probability is not None and near.probability is not None
    assert about.probability > near.probability


def test_growth_projection_of_the_period_mean() -> None:
    assert geometric_mean_growth([10.0, 10.0]) == pytest.approx(10.0)
    # (1.1 · 1.21)^(1/2) − 1 for 10 % and 21 %: sqrt(1.331) − 1 = 15.3690 %
    assert geometric_mean_growth([10.0, 21.0]) == pytest.approx(15.368973, abs=1e-6)
    # constant 7 % a year observed 2016–2019: the 2020 gap is filled at 7 %, mean 7 %
    pts = [(y, 7.0) for y in range(2016, 2020)]
    p = project_growth(pts, period=(2016, 2020), target_value=7.5, direction=1, tolerance=0.5)
    assert p.value == pytest.approx(7.0) and p.lower == pytest.approx(7.0)
    assert p.upper == pytest.approx(7.0) and p.probability == 1.0  # 7.0 ≥ 7.5 − 0.5
    strict = project_growth(pts, period=(2016, 2020), target_value=7.5, direction=1)
    assert strict.probability == 0.0
    assert "geometric mean" in p.model and p.year == 2020
    few = project_growth([(2016, 7.0), (2017, 8.0)], period=(2016, 2020), target_value=7.5,
                         direction=1)
    # time-weighted mean of 7 and 8 with weights 1 and 2 = 23/3 = 7.6667 for 2018–2020;
    # period mean = (1.07 · 1.08 · 1.076667³)^(1/5) − 1
    expected = ((1.07 * 1.08 * (1 + 23 / 300) ** 3) ** 0.2 - 1) * 100
    assert few.value == pytest.approx(expected) and few.lower is None and few.probability is None


def test_default_bootstrap_size() -> None:
    assert B_DEFAULT == 2000
