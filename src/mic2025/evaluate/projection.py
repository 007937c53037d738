"""Projections to a target year: a time-weighted linear trend with a residual bootstrap.

Model
-----
The comparable series (level, index or growth; see :mod:`mic2025.evaluate.measures`) from
the base year on is fitted by weighted least squares,

    y_i = a + β·(x_i − x̄_w) + ε_i,     weights  w_i = 1 + (x_i − x_first)/(x_last − x_first),

so the latest year weighs twice the first and the weights rise linearly in between. Recent
data weigh more because a plan changes policy and statistics change method; the idea of
weighting recent years more in an extrapolation is ESCAP's (Bidarbakht Nia 2017, ESCAP
SD/WP/04, "A weighted extrapolation method for measuring the SDGs progress"). The weights
here are mic2025's own choice, stated in every :class:`~mic2025.evaluate.model.Projection`'s
``model`` string.

The point projection is the fitted line at the target year T. Its uncertainty comes from a
residual bootstrap (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, ch. 9;
Davison & Hinkley 1997, *Bootstrap Methods and their Application*, §6.2–6.3):

1. residuals e = y − ŷ are rescaled to unit leverage, r_i = e_i / sqrt(Σ_j M_ij²) with
   M = I − H and H the weighted hat matrix (so each r_i has the error variance σ² when
   the errors are homoscedastic), then centred;
2. B = 2000 times: y* = ŷ + r[resampled], the line is re-fitted in closed form, and the
   prediction at T is fit*(T) + r[one more resample] — the last term carries the
   year-to-year noise of the value at T itself (a prediction, not a confidence, interval);
3. the interval is the 5th–95th percentile of the predictions (level 0.90); the
   probability is the share of predictions that meet the target within its tolerance.

All B refits are one matrix product: with Σ_i w_i(x_i − x̄_w) = 0, the WLS estimates are
the linear maps β* = Y*·w(x − x̄)/Sxx and a* = Y*·w/Σw over the B × n array Y*.

Assumptions and honesty
-----------------------
* the trend is linear over the fitted span and continues to T; errors are exchangeable
  (homoscedastic, no autocorrelation) — with short official series this is a working model,
  not a finding;
* with fewer than 4 points no interval and no probability are given (the bootstrap would
  resample two or three residuals); with 2–3 points only the fitted line is extrapolated,
  and with fewer than 2 nothing;
* the generator is seeded (``SEED``) so that a report is reproducible to the digit.

Growth measures (average-growth targets) project the period's geometric-mean growth: the
years already observed are kept, the missing years of the period are the time-weighted mean
growth rate (the same model without slope: growth rates fluctuate around a level, and a
trend in growth rates extrapolated over several years is not credible) plus resampled
residuals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .model import (
    PROJECTION_MODEL_CODES,
    PROJECTION_NOTE_CODES,
    NoteArg,
    NotePart,
    Projection,
    note_text,
)

Array = npt.NDArray[np.float64]

B_DEFAULT = 2000
SEED = 20150508  # the day 国发〔2015〕28号 was issued
LEVEL = 0.90
MIN_POINTS_INTERVAL = 4
MIN_POINTS_POINT = 2


def recency_weights(years: Sequence[float] | Array) -> Array:
    """Weights rising linearly with recency: 1 for the first year, 2 for the last."""
    x = np.asarray(years, dtype=float)
    if x.size == 0:
        return x
    span = float(x.max() - x.min())
    if span == 0.0:
        return np.ones_like(x)
    return 1.0 + (x - x.min()) / span


def wls_line(years: Sequence[float] | Array, values: Sequence[float] | Array,
             weights: Array | None = None) -> tuple[float, float, float]:
    """Weighted least-squares line: returns ``(a, slope, x̄_w)`` with ŷ = a + slope·(x − x̄_w)."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    w = recency_weights(x) if weights is None else weights
    if x.size < 2:
        raise ValueError("a line needs at least two points")
    sw = float(w.sum())
    # centre both variables: years near 2000 and Σw(x − x̄) ≠ 0 in floating point would
    # otherwise give a spurious slope for a flat series
    x0 = float(x[0])
    xbar = x0 + float((w * (x - x0)).sum() / sw)
    sxx = float((w * (x - xbar) ** 2).sum())
    if sxx == 0.0:
        raise ValueError("a line needs at least two distinct years")
    a = float((w * y).sum() / sw)
    slope = float((w * (x - xbar) * (y - a)).sum() / sxx)
    return a, slope, xbar


def meets(direction: int, value: float | Array, target: float,
          tolerance: float = 0.0) -> npt.NDArray[np.bool_]:
    """``d·(value − target) ≥ −tolerance``, with float-noise slack; vectorised."""
    eps = 1e-9 * max(1.0, abs(target))
    return np.asarray(direction * (np.asarray(value, dtype=float) - target) >= -tolerance - eps)


def model_name(kind: str, n_boot: int = B_DEFAULT, seed: int = SEED, level: float = LEVEL) -> str:
    """The English name of a projection model (``Projection.model``)."""
    code, args = _model(kind, n_boot, seed, level)
    return PROJECTION_MODEL_CODES[code].format(**args)


def _model(kind: str, n_boot: int, seed: int, level: float) -> tuple[str, dict[str, NoteArg]]:
    """The model's code in :data:`PROJECTION_MODEL_CODES` and its template's arguments."""
    code = "mean_growth" if kind == "growth" else "linear_trend"
    return code, {"n_boot": n_boot, "seed": seed, "level": level}


def _named(kind: str, n_boot: int, seed: int, level: float) -> dict[str, Any]:
    """The ``model``, ``model_code`` and ``model_args`` of a :class:`Projection`."""
    code, args = _model(kind, n_boot, seed, level)
    return {"model": PROJECTION_MODEL_CODES[code].format(**args), "model_code": code,
            "model_args": args}


def _modified_residuals(x: Array, y: Array, w: Array, slope_model: bool) -> Array:
    n = x.size
    sw = w.sum()
    xbar = (w * x).sum() / sw
    if slope_model:
        sxx = (w * (x - xbar) ** 2).sum()
        # H_ij = w_j/Σw + (x_i − x̄)(x_j − x̄) w_j / Sxx  (weighted hat matrix, ŷ = H y)
        h = w[None, :] / sw + np.outer(x - xbar, (x - xbar) * w) / sxx
    else:
        h = np.broadcast_to(w[None, :] / sw, (n, n))
    fitted = h @ y
    e = y - fitted
    m = np.eye(n) - h
    scale = np.sqrt((m**2).sum(axis=1))
    r = np.where(scale > 1e-12, e / np.where(scale > 1e-12, scale, 1.0), 0.0)
    return np.asarray(r - r.mean(), dtype=float)


def _noted(parts: list[NotePart]) -> dict[str, object]:
    """The ``note`` text and ``note_parts`` of a :class:`Projection` from its parts."""
    return {"note": note_text(parts, PROJECTION_NOTE_CODES), "note_parts": parts}


def project(series: Sequence[tuple[int, float]], *, target_year: int, target_value: float,
            direction: int, tolerance: float = 0.0, n_boot: int = B_DEFAULT, seed: int = SEED,
            level: float = LEVEL,
            bounds: tuple[float | None, float | None] = (None, None)) -> Projection:
    """Project a level or index series to ``target_year`` (see the module docstring).

    ``bounds`` is the range a value can take (a rate is 0–100, see ``Metric.value_range``):
    the projection and every bootstrap draw are clipped to it, and the note says so.
    """
    name = _named("level", n_boot, seed, level)
    pts = sorted(series)
    n = len(pts)
    if n < MIN_POINTS_POINT:
        return Projection(**name, year=target_year, value=None, lower=None, upper=None,
                          level=level, probability=None, n_points=n,
                          **_noted([NotePart(code="too_few_points",
                                             args={"n": n, "min_points": MIN_POINTS_POINT})]))
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    w = recency_weights(x)
    a, slope, xbar = wls_line(x, y, w)
    raw_point = a + slope * (target_year - xbar)
    point = _clip(raw_point, bounds)
    clipped = [] if point == raw_point else [
        NotePart(code="clipped", args={"raw": float(raw_point), "value": float(point)})]
    if n < MIN_POINTS_INTERVAL:
        short = NotePart(code="no_interval", args={"n": n, "min_points": MIN_POINTS_INTERVAL})
        return Projection(**name, year=target_year, value=float(point), lower=None, upper=None,
                          level=level, probability=None, n_points=n, **_noted([short, *clipped]))
    r = _modified_residuals(x, y, w, slope_model=True)
    fitted = a + slope * (x - xbar)
    rng = np.random.default_rng(seed)
    ystar = fitted[None, :] + r[rng.integers(0, n, size=(n_boot, n))]
    sw = w.sum()
    sxx = (w * (x - xbar) ** 2).sum()
    a_star = ystar @ (w / sw)
    b_star = ystar @ (w * (x - xbar) / sxx)
    pred = a_star + b_star * (target_year - xbar) + r[rng.integers(0, n, size=n_boot)]
    pred = np.clip(pred, *_limits(bounds))
    lo, hi = np.quantile(pred, [(1 - level) / 2, 1 - (1 - level) / 2])
    prob = float(meets(direction, pred, target_value, tolerance).mean())
    return Projection(**name, year=target_year, value=float(point), lower=float(lo),
                      upper=float(hi), level=level, probability=prob, n_points=n,
                      **_noted(clipped))


def _limits(bounds: tuple[float | None, float | None]) -> tuple[float, float]:
    lo, hi = bounds
    return (-np.inf if lo is None else lo), (np.inf if hi is None else hi)


def _clip(value: float, bounds: tuple[float | None, float | None]) -> float:
    lo, hi = _limits(bounds)
    return float(min(max(value, lo), hi))


def geometric_mean_growth(rates_pct: Sequence[float] | Array) -> float:
    """Geometric mean of yearly growth rates in percent: (Π(1 + g/100))^(1/n) − 1, in percent."""
    g = np.asarray(rates_pct, dtype=float)
    if g.size == 0:
        raise ValueError("no growth rates")
    if np.any(g <= -100):
        raise ValueError("a growth rate of −100% or less has no geometric mean")
    return float((np.exp(np.log1p(g / 100).mean()) - 1) * 100)


def project_growth(series: Sequence[tuple[int, float]], *, period: tuple[int, int],
                   target_value: float, direction: int, tolerance: float = 0.0,
                   n_boot: int = B_DEFAULT, seed: int = SEED, level: float = LEVEL) -> Projection:
    """Project the geometric-mean growth over ``period`` (see the module docstring).

    ``series`` holds (year, growth %) points: those inside the period are kept as observed,
    all of them feed the time-weighted mean used for the period's missing years.
    """
    name = _named("growth", n_boot, seed, level)
    first, last = period
    pts = sorted(series)
    n = len(pts)
    observed = {y: v for y, v in pts if first <= y <= last}
    missing = [y for y in range(first, last + 1) if y not in observed]
    if n < MIN_POINTS_POINT:
        return Projection(**name, year=last, value=None, lower=None, upper=None, level=level,
                          probability=None, n_points=n,
                          **_noted([NotePart(code="growth_too_few",
                                             args={"n": n, "min_points": MIN_POINTS_POINT})]))
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    w = recency_weights(x)
    mu = float((w * y).sum() / w.sum())
    obs_log = float(np.log1p(np.array(list(observed.values()), dtype=float) / 100).sum())
    k = len(missing)
    years_total = last - first + 1
    point = (np.exp((obs_log + k * np.log1p(mu / 100)) / years_total) - 1) * 100
    if n < MIN_POINTS_INTERVAL:
        return Projection(**name, year=last, value=float(point), lower=None, upper=None,
                          level=level, probability=None, n_points=n,
                          **_noted([NotePart(code="growth_no_interval",
                                             args={"n": n, "min_points": MIN_POINTS_INTERVAL})]))
    r = _modified_residuals(x, y, w, slope_model=False)
    rng = np.random.default_rng(seed)
    ystar = mu + r[rng.integers(0, n, size=(n_boot, n))]
    mu_star = ystar @ (w / w.sum())
    future = mu_star[:, None] + r[rng.integers(0, n, size=(n_boot, k))]
    future = np.maximum(future, -99.999)
    logs = obs_log + np.log1p(future / 100).sum(axis=1)
    pred = (np.exp(logs / years_total) - 1) * 100
    lo, hi = np.quantile(pred, [(1 - level) / 2, 1 - (1 - level) / 2])
    prob = float(meets(direction, pred, target_value, tolerance).mean())
    return Projection(**name, year=last, value=float(point), lower=float(lo), upper=float(hi),
                      level=level, probability=prob, n_points=n)
