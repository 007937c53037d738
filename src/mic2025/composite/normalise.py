"""Normalisation: bring indicators onto a common scale (Handbook step 5).

Each function takes a 1-D array of one indicator over the units, with ``NaN`` for missing
values, and returns an array of the same length in which missing stays missing. The
indicator's **direction is applied before** calling them: multiply by -1 an indicator where
lower is better (and its target or goalposts likewise; :func:`normalise_indicator` does
that), so that higher is always better here.

References: OECD/JRC, *Handbook on Constructing Composite Indicators: Methodology and User
Guide*, OECD 2008, section 1.5 / table 3 ("Normalisation methods"); COINr 1.1 documentation,
"Normalisation" vignette and the ``n_*`` functions (W. Becker), whose numerical conventions
are followed so that results match COINr to rounding error.

A constant indicator (max = min) cannot be scaled by most methods; the functions raise
:class:`CompositeError` instead of returning a column of NaN or infinities.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.table import FloatArray


def _as_array(x: Any) -> FloatArray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise CompositeError(f"expected a 1-D array of one indicator, got shape {arr.shape}")
    return arr


def _observed(x: FloatArray, method: str, at_least: int = 1) -> FloatArray:
    obs = x[~np.isnan(x)]
    if obs.size < at_least:
        raise CompositeError(f"{method}: needs at least {at_least} observed value(s)")
    return obs


def _span(lo: float, hi: float, method: str) -> float:
    if not hi > lo:
        raise CompositeError(
            f"{method}: the indicator is constant or the bounds are equal ({lo} and {hi}); "
            "it cannot be rescaled"
        )
    return hi - lo


def minmax(x: Any, l: float = 0.0, u: float = 100.0) -> FloatArray:  # noqa: E741
    """Min-max rescaling to [l, u]: ``(x - min)/(max - min)·(u - l) + l``.

    Handbook 2008 table 3 "re-scaling"; COINr ``n_minmax(x, l_u = c(l, u))``.
    """
    arr = _as_array(x)
    obs = _observed(arr, "minmax")
    lo, hi = float(obs.min()), float(obs.max())
    return (arr - lo) / _span(lo, hi, "minmax") * (u - l) + l


def zscore(x: Any, m: float = 0.0, s: float = 1.0) -> FloatArray:
    """Standardisation: ``(x - mean)/sd·s + m``, sd with the n-1 divisor.

    Handbook 2008 table 3 "standardisation (z-scores)"; COINr ``n_zscore(x, m_sd = c(m, s))``.
    """
    arr = _as_array(x)
    obs = _observed(arr, "zscore", at_least=2)
    sd = float(np.std(obs, ddof=1))
    if not sd > 0:
        raise CompositeError("zscore: the indicator is constant (sd = 0)")
    return (arr - float(np.mean(obs))) / sd * s + m


def rank(x: Any, ties: str = "min") -> FloatArray:
    """Ranks, 1 = lowest value; ties get the ``min`` or the ``average`` rank; NaN kept.

    Handbook 2008 table 3 "ranking"; COINr ``n_rank(x, ties.method)``, i.e. R's ``rank`` with
    ``na.last = "keep"``.
    """
    arr = _as_array(x)
    if ties not in ("min", "average", "max"):
        raise CompositeError(f"rank: ties must be 'min', 'average' or 'max' (got {ties!r})")
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    obs = arr[ok]
    sorted_vals = np.sort(obs)
    lower = np.searchsorted(sorted_vals, obs, side="left") + 1.0
    upper = np.searchsorted(sorted_vals, obs, side="right").astype(float)
    out[ok] = {"min": lower, "max": upper, "average": (lower + upper) / 2.0}[ties]
    return out


def borda(x: Any) -> FloatArray:
    """Borda score: the number of units with a lower value, ``rank(x, "min") - 1``.

    COINr ``n_borda``; Handbook 2008 section 6 (Borda as a rank-sum aggregation).
    """
    return rank(x, "min") - 1.0


def percentile_rank(x: Any) -> FloatArray:
    """Percentile rank in [0, 1]: ``(rank_min - 1)/(n - 1)`` over the n observed values.

    COINr ``n_prank`` (dplyr ``percent_rank``).
    """
    arr = _as_array(x)
    n = _observed(arr, "percentile_rank", at_least=2).size
    return (rank(arr, "min") - 1.0) / (n - 1)


def fraction_of_max(x: Any) -> FloatArray:
    """Fraction of the maximum, ``x/max``. COINr ``n_fracmax``; Handbook "distance to leader"."""
    arr = _as_array(x)
    top = float(_observed(arr, "fraction_of_max").max())
    if top == 0:
        raise CompositeError("fraction_of_max: the maximum is 0")
    return arr / top


def distance_to_max(x: Any) -> FloatArray:
    """Distance to the maximum, ``1 - (max - x)/(max - min)``. COINr ``n_dist2max``."""
    arr = _as_array(x)
    obs = _observed(arr, "distance_to_max")
    lo, hi = float(obs.min()), float(obs.max())
    return 1.0 - (hi - arr) / _span(lo, hi, "distance_to_max")


def distance_to_reference(x: Any, ref: int, cap: bool = False) -> FloatArray:
    """Distance to a reference unit, ``1 - (x_ref - x)/(x_ref - min)``, optionally capped at 1.

    ``ref`` is the position of the reference unit in ``x``. Handbook 2008 table 3 "distance
    to a reference" (a leader or benchmark unit); COINr ``n_dist2ref(x, iref, cap_max)``.
    """
    arr = _as_array(x)
    lo = float(_observed(arr, "distance_to_reference").min())
    xref = float(arr[ref])
    if np.isnan(xref):
        raise CompositeError(f"distance_to_reference: the reference unit (position {ref}) is NA")
    out = 1.0 - (xref - arr) / _span(lo, xref, "distance_to_reference")
    return np.minimum(out, 1.0) if cap else out


def distance_to_target(x: Any, target: float, cap: bool = False) -> FloatArray:
    """Distance to target, ``(x - min)/(target - min)``, optionally capped at 1.

    With direction applied before (x and target multiplied by -1 for a negative indicator)
    this equals COINr's ``n_dist2targ`` for both directions: ``(max - x)/(max - target)``
    for direction -1. Handbook 2008 table 3 "distance to a reference (target)".
    """
    arr = _as_array(x)
    lo = float(_observed(arr, "distance_to_target").min())
    out = (arr - lo) / _span(lo, float(target), "distance_to_target (target vs min)")
    return np.minimum(out, 1.0) if cap else out


def goalposts(
    x: Any, lo: float, hi: float, scale: float = 1.0, truncate: bool = True
) -> FloatArray:
    """Goalposts: ``(x - lo)/(hi - lo)``, truncated to [0, 1] by default, times ``scale``.

    Fixed goalposts (e.g. at a base year) keep scores comparable over time (Handbook 2008
    table 3 "min-max" with fixed bounds; UNDP HDI). COINr ``n_goalposts(x, gposts, direction,
    trunc2posts)``. With direction applied before, pass the posts multiplied by the
    direction (for -1 they swap roles: ``lo = -hi_original``, ``hi = -lo_original``).
    """
    arr = _as_array(x)
    out = (arr - lo) / _span(lo, hi, "goalposts")
    if truncate:
        out = np.clip(out, 0.0, 1.0)
    return out * scale


def scaled(x: Any, a: float, b: float, scale: float = 100.0) -> FloatArray:
    """Linear scaling by given constants, ``(x - a)/(b - a)·scale``. COINr ``n_scaled``."""
    arr = _as_array(x)
    return (arr - a) / _span(a, b, "scaled") * scale


Normaliser = Callable[..., FloatArray]

#: Normalisers by name, as used in pipeline steps and YAML files.
NORMALISERS: dict[str, Normaliser] = {
    "minmax": minmax,
    "zscore": zscore,
    "rank": rank,
    "borda": borda,
    "prank": percentile_rank,
    "fracmax": fraction_of_max,
    "dist2max": distance_to_max,
    "dist2ref": distance_to_reference,
    "dist2targ": distance_to_target,
    "goalposts": goalposts,
    "scaled": scaled,
}


def normalise_indicator(
    x: Any,
    method: str,
    params: Mapping[str, Any] | None = None,
    direction: int = 1,
    target: float | None = None,
    label: str = "indicator",
) -> FloatArray:
    """Apply ``direction`` and then the named normaliser, as COINr's ``Normalise`` does.

    For ``dist2targ`` the target (default: ``target``) is multiplied by the direction too,
    and for ``goalposts`` the posts are reflected, so that a negative indicator reaches 1
    at its target or best post. Errors name ``label``.
    """
    if method not in NORMALISERS:
        raise CompositeError(
            f"{label}: unknown normalisation method {method!r} (expected one of "
            f"{sorted(NORMALISERS)})"
        )
    if direction not in (1, -1):
        raise CompositeError(f"{label}: direction must be 1 or -1 (got {direction!r})")
    kwargs = dict(params or {})
    arr = _as_array(x) * direction
    if method == "dist2targ":
        targ = kwargs.pop("target", target)
        if targ is None:
            raise CompositeError(f"{label}: dist2targ needs a target (iMeta 'Target' column)")
        kwargs["target"] = float(targ) * direction
    if method == "goalposts" and direction == -1 and "lo" in kwargs and "hi" in kwargs:
        kwargs["lo"], kwargs["hi"] = -float(kwargs["hi"]), -float(kwargs["lo"])
    try:
        return NORMALISERS[method](arr, **kwargs)
    except TypeError as exc:
        raise CompositeError(f"{label}: bad parameters for {method}: {exc}") from exc
    except CompositeError as exc:
        raise CompositeError(f"{label}: {exc}") from exc
