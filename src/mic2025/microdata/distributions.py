"""Quantiles of Student's t and the beta distribution, vectorised, without SciPy.

The intervals need t quantiles with the design's degrees of freedom and beta quantiles for
Korn–Graubard share intervals; mic2025 does not depend on SciPy for two functions, so they
are computed here from the regularised incomplete beta function I_x(a, b), evaluated by its
continued fraction (modified Lentz method; Press et al. 2007, *Numerical Recipes*, 3rd ed.,
§6.4) and inverted by safeguarded Newton steps. Accuracy is about 1e-12 in x, far below
what an interval needs; the functions are deterministic, so every engine gets the same bits.
"""

from __future__ import annotations

import functools
import math

import numpy as np

_TINY = 1e-300
#: beta parameters above which :func:`beta_ppf` uses the Cornish–Fisher expansion
LARGE = 1000.0
_ITERATIONS = 300
_lgamma = np.vectorize(math.lgamma, otypes=[np.float64])


def _betacf(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = np.ones_like(x)
    d = 1.0 - qab * x / qap
    d = np.where(np.abs(d) < _TINY, _TINY, d)
    d = 1.0 / d
    h = d.copy()
    for m in range(1, _ITERATIONS + 1):
        m2 = 2.0 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / np.where(np.abs(d) < _TINY, _TINY, d)
        c = 1.0 + aa / c
        c = np.where(np.abs(c) < _TINY, _TINY, c)
        step = d * c
        h *= step
        if np.all(np.abs(step - 1.0) < 1e-15):
            break
    return h


def betainc(a: np.ndarray | float, b: np.ndarray | float, x: np.ndarray | float) -> np.ndarray:
    """The regularised incomplete beta function I_x(a, b) (a, b > 0, 0 ≤ x ≤ 1)."""
    a, b, x = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(a, b, x))
    out = np.where(x <= 0.0, 0.0, 1.0)
    inside = (x > 0.0) & (x < 1.0)
    if not inside.any():
        return out
    ai, bi, xi = a[inside], b[inside], x[inside]
    front = np.exp(_lgamma(ai + bi) - _lgamma(ai) - _lgamma(bi)
                   + ai * np.log(xi) + bi * np.log1p(-xi))
    direct = xi < (ai + 1.0) / (ai + bi + 2.0)  # the fraction converges fast on this side
    value = np.empty_like(xi)
    if direct.any():
        value[direct] = front[direct] * _betacf(ai[direct], bi[direct], xi[direct]) / ai[direct]
    if (~direct).any():
        flip = ~direct
        value[flip] = 1.0 - front[flip] * _betacf(bi[flip], ai[flip], 1.0 - xi[flip]) / bi[flip]
    out[inside] = np.clip(value, 0.0, 1.0)
    return out


def _beta_pdf(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.exp(_lgamma(a + b) - _lgamma(a) - _lgamma(b)
                      + (a - 1.0) * np.log(x) + (b - 1.0) * np.log1p(-x))


def beta_ppf(q: np.ndarray | float, a: np.ndarray | float, b: np.ndarray | float
             ) -> np.ndarray:
    """The q-quantile of Beta(a, b): Newton steps on :func:`betainc`, kept inside a
    bisection bracket (a step that would leave it bisects instead); each value iterates
    until it stops moving. With both parameters above :data:`LARGE` (a share in a cell of
    thousands of units), the Cornish–Fisher expansion to the skewness term instead."""
    q, a, b = (np.asarray(v, dtype=np.float64) for v in np.broadcast_arrays(q, a, b))
    shape = q.shape
    q, a, b = q.ravel(), a.ravel(), b.ravel()
    lo, hi = np.zeros_like(q), np.ones_like(q)
    # start from the normal approximation (mean ± z·sd), kept inside (0, 1): a few Newton
    # steps then suffice even for the large parameters of a big cell
    from statistics import NormalDist

    z = np.array([NormalDist().inv_cdf(min(max(v, 1e-12), 1 - 1e-12)) for v in q.tolist()])
    total = a + b
    sd = np.sqrt(a * b / (total**2 * (total + 1.0)))
    x = np.clip(a / total + z * sd, 1e-6, 1 - 1e-6)
    # both parameters above LARGE: the continued fraction needs ~sqrt(a) terms, while the
    # Cornish–Fisher expansion to the skewness term is within 2e-4 sd of the quantile
    large = (a > LARGE) & (b > LARGE)
    skew = 2.0 * (b - a) * np.sqrt(total + 1.0) / ((total + 2.0) * np.sqrt(a * b))
    x[large] = (a / total + sd * (z + skew * (z * z - 1.0) / 6.0))[large]
    active = np.flatnonzero(~large)
    for _ in range(200):
        if active.size == 0:
            break
        xa, qa, aa, ba = x[active], q[active], a[active], b[active]
        f = betainc(aa, ba, xa) - qa
        below = f < 0
        lo[active] = np.where(below, xa, lo[active])
        hi[active] = np.where(below, hi[active], xa)
        with np.errstate(all="ignore"):
            step = xa - f / _beta_pdf(aa, ba, xa)
        la, ha = lo[active], hi[active]
        inside = np.isfinite(step) & (step > la) & (step < ha)
        new = np.where(inside, step, (la + ha) / 2.0)
        x[active] = new
        moving = (np.abs(new - xa) > 1e-15 * np.maximum(xa, 1e-300)) & (ha - la > 1e-300)
        active = active[moving]
    return x.reshape(shape)


@functools.lru_cache(maxsize=4096)
def _t_upper(p: float, nu: float) -> float:
    if nu == 1.0:  # Cauchy
        return math.tan(math.pi * (p - 0.5))
    if nu == 2.0:
        return (2.0 * p - 1.0) / math.sqrt(2.0 * p * (1.0 - p))
    # Cornish–Fisher start (Abramowitz & Stegun 26.7.5), then Newton steps on the upper
    # tail P(T > t) = I_{ν/(ν+t²)}(ν/2, 1/2) / 2
    from statistics import NormalDist

    z = NormalDist().inv_cdf(p)
    t = (z + (z**3 + z) / (4 * nu) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu**2)
         + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * nu**3))
    log_c = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
    for _ in range(20):
        tail = 0.5 * float(betainc(nu / 2, 0.5, nu / (nu + t * t))[()])
        density = math.exp(log_c - (nu + 1) / 2 * math.log1p(t * t / nu))
        step = (tail - (1.0 - p)) / density
        t += step
        if abs(step) <= 1e-13 * abs(t):
            break
    return t


def t_ppf(p: float, df: np.ndarray | float) -> np.ndarray:
    """The p-quantile (p > 0.5) of Student's t with ``df`` degrees of freedom (df ≥ 1;
    ``inf`` gives the normal quantile). Computed once per distinct df and remembered."""
    from statistics import NormalDist

    if not 0.5 < p < 1.0:
        raise ValueError("t_ppf takes an upper quantile, 0.5 < p < 1")
    df = np.asarray(df, dtype=np.float64)
    distinct, inverse = np.unique(df, return_inverse=True)
    values = np.array([NormalDist().inv_cdf(p) if not math.isfinite(nu) else _t_upper(p, nu)
                       for nu in distinct.tolist()], dtype=np.float64)
    return values[inverse.reshape(df.shape)]
