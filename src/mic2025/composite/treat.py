"""Outlier treatment by the JRC rule: winsorise, else log-transform (Handbook step 3).

An indicator "fails" when ``|skew| >= skew_thresh`` **and** ``kurt >= kurt_thresh`` (JRC
rule of thumb 2 and 3.5; sample skewness and excess kurtosis as Excel's SKEW and KURT, i.e.
e1071 type 2). A failing indicator is winsorised one extreme at a time, on the side of the
skew, up to ``winmax`` times, re-checking after each step; if it still fails, the original
values are log-transformed with :func:`log_ct` instead.

References: OECD/JRC Handbook 2008 step 3 and section 1.7 (outliers); JRC COIN, "Ten step
guide", step 3; COINr 1.1 ``Treat``/``qTreat``, ``winsorise``, ``log_CT``, ``check_SkewKurt``
(W. Becker); Joanes & Gill (1998), "Comparing measures of sample skewness and kurtosis",
*The Statistician* 47(1):183–189 (the type-2 estimators G1 and G2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.table import FloatArray


def skewness(x: Any) -> float:
    """Sample skewness G1 = g1·√(n(n-1))/(n-2), g1 = m3/m2^1.5 (type 2); NaN ignored."""
    obs = np.asarray(x, dtype=float)
    obs = obs[~np.isnan(obs)]
    n = obs.size
    if n < 3:
        raise CompositeError(f"skewness needs at least 3 observed values (got {n})")
    d = obs - obs.mean()
    m2 = float(np.mean(d**2))
    if m2 == 0:
        return math.nan
    g1 = float(np.mean(d**3)) / m2**1.5
    return g1 * math.sqrt(n * (n - 1)) / (n - 2)


def kurtosis(x: Any) -> float:
    """Sample excess kurtosis G2 = ((n+1)g2 + 6)(n-1)/((n-2)(n-3)), g2 = m4/m2² - 3 (type 2)."""
    obs = np.asarray(x, dtype=float)
    obs = obs[~np.isnan(obs)]
    n = obs.size
    if n < 4:
        raise CompositeError(f"kurtosis needs at least 4 observed values (got {n})")
    d = obs - obs.mean()
    m2 = float(np.mean(d**2))
    if m2 == 0:
        return math.nan
    g2 = float(np.mean(d**4)) / m2**2 - 3.0
    return ((n + 1) * g2 + 6.0) * (n - 1) / ((n - 2) * (n - 3))


def passes(x: Any, skew_thresh: float = 2.0, kurt_thresh: float = 3.5) -> bool:
    """True unless ``|skew| >= skew_thresh`` and ``kurt >= kurt_thresh`` (constant data pass)."""
    s, k = skewness(x), kurtosis(x)
    if math.isnan(s) or math.isnan(k):
        return True
    return not (abs(s) >= skew_thresh and k >= kurt_thresh)


@dataclass(frozen=True)
class Winsorised:
    """The winsorised values, the number of steps and which points moved (+1 high, -1 low)."""

    values: FloatArray
    n_winsorised: int
    passed: bool
    moved: FloatArray = field(repr=False)


def winsorise(
    x: Any, winmax: int = 5, skew_thresh: float = 2.0, kurt_thresh: float = 3.5
) -> Winsorised:
    """Winsorise one extreme at a time while the indicator fails the skew/kurtosis rule.

    At each step the side is that of the current skew: the maximum (or the minimum, for
    negative skew) is set to the next value inside, all points tied at that extreme at
    once. At most ``winmax`` steps. COINr ``winsorise`` (Handbook 2008 step 3).
    """
    arr = np.array(x, dtype=float)
    moved = np.zeros(arr.shape)
    nwin = 0
    ok = passes(arr, skew_thresh, kurt_thresh)
    while not ok and nwin < winmax:
        obs = ~np.isnan(arr)
        high = skewness(arr) > 0
        extreme = np.nanmax(arr) if high else np.nanmin(arr)
        at_extreme = obs & (arr == extreme)
        rest = arr[obs & ~at_extreme]
        if rest.size == 0:
            break
        arr[at_extreme] = rest.max() if high else rest.min()
        moved[at_extreme] = 1.0 if high else -1.0
        nwin += 1
        ok = passes(arr, skew_thresh, kurt_thresh)
    return Winsorised(arr, nwin, ok, moved)


def log_ct(x: Any) -> FloatArray:
    """COINr's "log_CT": ``log(x - min + 0.01·(max - min))``, defined for any range of x.

    For positive skew. For negative skew use :func:`treat_indicator`, which mirrors the data
    so that order is kept.
    """
    arr = np.asarray(x, dtype=float)
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    if not hi > lo:
        raise CompositeError("log_CT: the indicator is constant")
    return np.log(arr - lo + 0.01 * (hi - lo))


@dataclass(frozen=True)
class Treatment:
    """What the JRC rule did to one indicator (cf. COINr's treatment details table)."""

    values: FloatArray
    skew_before: float
    kurt_before: float
    passed_before: bool
    n_winsorised: int | None = None
    skew_after: float | None = None
    kurt_after: float | None = None
    passed_after: bool | None = None
    method: str = "none"  # "none", "winsorise" or "log_CT"
    moved: FloatArray | None = field(default=None, repr=False)


def treat_indicator(
    x: Any, winmax: int = 5, skew_thresh: float = 2.0, kurt_thresh: float = 3.5,
    f2: str | None = "log_CT",
) -> Treatment:
    """Apply the two-stage JRC rule to one indicator (COINr ``qTreat`` for one column).

    Stage 1 winsorises (see :func:`winsorise`); if the result still fails and ``f2`` is
    ``"log_CT"``, stage 2 applies :func:`log_ct` to the **original** values (mirrored as
    ``-log_CT(-x)`` when the skew is negative, so that the order of units is kept: this
    mirroring is our extension, COINr documents log_CT for positive skew only).
    """
    arr = np.asarray(x, dtype=float)
    s0, k0 = skewness(arr), kurtosis(arr)
    if passes(arr, skew_thresh, kurt_thresh):
        return Treatment(np.array(arr), s0, k0, True)
    win = winsorise(arr, winmax, skew_thresh, kurt_thresh)
    s1, k1 = skewness(win.values), kurtosis(win.values)
    if win.passed or f2 is None:
        return Treatment(win.values, s0, k0, False, win.n_winsorised, s1, k1, win.passed,
                         "winsorise", win.moved)
    if f2 != "log_CT":
        raise CompositeError(f"treat: unknown second-stage method {f2!r} (expected 'log_CT')")
    logged = log_ct(arr) if s0 > 0 else -log_ct(-arr)
    s2, k2 = skewness(logged), kurtosis(logged)
    return Treatment(logged, s0, k0, False, win.n_winsorised, s2, k2,
                     passes(logged, skew_thresh, kurt_thresh), "log_CT", None)
