"""Aggregation: combine the members of a group (indicators of a pillar, pillars of an index).

Every aggregator takes a matrix ``X`` (units × members, ``NaN`` = missing) and a weight per
member, and returns one score per unit. Weights are relative: they are re-scaled to sum to
1 over the members used, as in COINr's ``Aggregate``.

Missing-data policy (``policy``):

* ``"renormalise"`` (default, COINr's rule for ``a_amean``, ``a_gmean``, ``a_hmean``): ignore
  missing members and re-normalise the weights of the members present, i.e. the Handbook's
  "ignore" option. ``dat_thresh`` optionally requires a minimum share of members present
  (COINr's ``dat_thresh``); below it, or with no member present, the score is NaN.
* ``"strict"``: any missing member gives NaN (COINr's ``a_genmean`` always behaves so).

Non-positive inputs to a geometric or harmonic mean raise :class:`CompositeError` naming the
unit and the member, instead of returning NaN or a complex number: rescale first (e.g.
min-max to [1, 100], as COINr's documentation advises).

References: OECD/JRC Handbook 2008, section 1.6 and step 6 ("Aggregation methods": additive,
geometric, non-compensatory multi-criteria); Munda & Nardo (2009), "Noncompensatory/nonlinear
composite indicators for ranking countries: a defensible setting", *Applied Economics*
41(12):1513–1523 (Condorcet/Copeland outranking); COINr 1.1 ``a_amean``, ``a_gmean``,
``a_hmean``, ``a_genmean``, ``a_copeland`` and ``outrankMatrix``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.table import FloatArray

POLICIES = ("renormalise", "strict")


def _prepare(
    x: Any, w: Any, units: Sequence[str] | None, members: Sequence[str] | None, method: str
) -> tuple[FloatArray, FloatArray, list[str], list[str]]:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise CompositeError(f"{method}: expected a units x members matrix, got {arr.shape}")
    n, m = arr.shape
    weights = np.ones(m) if w is None else np.asarray(w, dtype=float).ravel()
    if weights.shape != (m,):
        raise CompositeError(f"{method}: {weights.size} weights for {m} members")
    if np.any(np.isnan(weights)) or np.any(weights < 0):
        raise CompositeError(f"{method}: weights must be numbers >= 0 (got {weights.tolist()})")
    if np.any(np.isinf(arr)):
        raise CompositeError(f"{method}: infinite values in the data")
    unit_names = list(units) if units is not None else [f"unit #{i + 1}" for i in range(n)]
    member_names = list(members) if members is not None else [f"member #{j + 1}" for j in range(m)]
    return arr, weights, unit_names, member_names


def _effective_weights(
    arr: FloatArray, weights: FloatArray, policy: str, dat_thresh: float | None, method: str
) -> tuple[FloatArray, FloatArray]:
    """Per-unit weights (zero where missing, rows summing to 1) and a mask of defined rows."""
    if policy not in POLICIES:
        raise CompositeError(f"{method}: policy must be one of {POLICIES} (got {policy!r})")
    present = ~np.isnan(arr)
    w = np.where(present, weights, 0.0)
    total = w.sum(axis=1)
    ok = total > 0
    if policy == "strict":
        ok &= present.all(axis=1)
    if dat_thresh is not None:
        ok &= present.mean(axis=1) >= dat_thresh
    w_norm = np.zeros_like(w)
    w_norm[ok] = w[ok] / total[ok, None]
    return w_norm, ok


def _check_positive(
    arr: FloatArray, w: FloatArray, units: list[str], members: list[str], method: str,
    allow_zero: bool = False,
) -> None:
    used = w > 0
    bad = used & ((arr < 0) if allow_zero else (arr <= 0))
    if np.any(bad):
        i, j = (int(v) for v in np.argwhere(bad)[0])
        count = int(bad.sum())
        need = ">= 0" if allow_zero else "> 0"
        raise CompositeError(
            f"{method}: unit {units[i]!r}, {members[j]} = {float(arr[i, j])!r}; the {method} needs "
            f"values {need} ({count} value(s) fail); rescale first, e.g. min-max to [1, 100]"
        )


def arithmetic_mean(
    x: Any, w: Any = None, policy: str = "renormalise", dat_thresh: float | None = None,
    units: Sequence[str] | None = None, members: Sequence[str] | None = None,
) -> FloatArray:
    """Weighted arithmetic mean ``Σ w x / Σ w`` (linear aggregation; COINr ``a_amean``).

    Fully compensatory: a deficit in one member is offset by a surplus in another
    (Handbook 2008, step 6.2).
    """
    arr, weights, _, _ = _prepare(x, w, units, members, "arithmetic mean")
    wn, ok = _effective_weights(arr, weights, policy, dat_thresh, "arithmetic mean")
    out = np.where(wn > 0, np.nan_to_num(arr) * wn, 0.0).sum(axis=1)
    return np.where(ok, out, np.nan)


def geometric_mean(
    x: Any, w: Any = None, policy: str = "renormalise", dat_thresh: float | None = None,
    units: Sequence[str] | None = None, members: Sequence[str] | None = None,
) -> FloatArray:
    """Weighted geometric mean ``exp(Σ w log x / Σ w)`` (COINr ``a_gmean``).

    Partially compensatory; rewards balanced profiles (Handbook 2008, step 6.2). Needs
    x > 0: otherwise raises :class:`CompositeError` naming the unit and member.
    """
    arr, weights, un, mn = _prepare(x, w, units, members, "geometric mean")
    wn, ok = _effective_weights(arr, weights, policy, dat_thresh, "geometric mean")
    _check_positive(np.nan_to_num(arr, nan=1.0), wn, un, mn, "geometric mean")
    logs = np.log(np.where(wn > 0, arr, 1.0))
    return np.where(ok, np.exp((logs * wn).sum(axis=1)), np.nan)


def harmonic_mean(
    x: Any, w: Any = None, policy: str = "renormalise", dat_thresh: float | None = None,
    units: Sequence[str] | None = None, members: Sequence[str] | None = None,
) -> FloatArray:
    """Weighted harmonic mean ``Σ w / Σ (w/x)`` (COINr ``a_hmean``). Needs x > 0."""
    arr, weights, un, mn = _prepare(x, w, units, members, "harmonic mean")
    wn, ok = _effective_weights(arr, weights, policy, dat_thresh, "harmonic mean")
    _check_positive(np.nan_to_num(arr, nan=1.0), wn, un, mn, "harmonic mean")
    inv = np.where(wn > 0, wn / np.where(wn > 0, arr, 1.0), 0.0).sum(axis=1)
    with np.errstate(divide="ignore"):
        return np.where(ok, 1.0 / np.where(ok, inv, 1.0), np.nan)


def generalised_mean(
    x: Any, w: Any = None, p: float = 1.0, policy: str = "renormalise",
    dat_thresh: float | None = None, units: Sequence[str] | None = None,
    members: Sequence[str] | None = None,
) -> FloatArray:
    """Weighted power (generalised) mean ``(Σ w x^p / Σ w)^(1/p)``; p = 0 is the geometric mean.

    p = 1 arithmetic, p = -1 harmonic; higher p is more compensatory (COINr ``a_genmean``).
    Note: COINr's ``a_genmean`` returns NA when any member is missing; pass
    ``policy="strict"`` to reproduce that, the default re-normalises like the other means.
    Needs x > 0 for p < 0 and x >= 0 for p > 0.
    """
    if p == 0:
        return geometric_mean(x, w, policy, dat_thresh, units, members)
    arr, weights, un, mn = _prepare(x, w, units, members, "generalised mean")
    wn, ok = _effective_weights(arr, weights, policy, dat_thresh, "generalised mean")
    _check_positive(np.nan_to_num(arr, nan=1.0), wn, un, mn, "generalised mean",
                    allow_zero=p > 0)
    powered = np.where(wn > 0, np.where(wn > 0, arr, 1.0) ** p, 0.0)
    inner = (powered * wn).sum(axis=1)
    return np.where(ok, np.where(ok, inner, 1.0) ** (1.0 / p), np.nan)


@dataclass(frozen=True)
class Outranking:
    """The weighted outranking matrix and the dominance count (COINr ``outrankMatrix``).

    ``matrix[j, k]`` = share of weight on which unit j beats unit k, ties counting half;
    the diagonal is 0. ``n_dominant`` counts unit pairs where one unit beats the other on
    every member (``matrix = 1``), ``frac_dominant`` is that count over all pairs.
    """

    matrix: FloatArray
    n_dominant: int
    frac_dominant: float


def outranking_matrix(
    x: Any, w: Any = None, missing: str = "error", units: Sequence[str] | None = None,
    members: Sequence[str] | None = None,
) -> Outranking:
    """``e_jk = Σ_q w_q [x_qj > x_qk] + ½ Σ_q w_q [x_qj = x_qk]``, weights summing to 1.

    Handbook 2008 step 6.2 (non-compensatory multi-criteria approach); Munda & Nardo 2009.
    ``missing="error"`` (default) refuses NaN; ``"pairwise"`` compares each pair of units on
    the members both have, re-normalising the weights over those members.
    """
    arr, weights, un, mn = _prepare(x, w, units, members, "outranking matrix")
    if missing not in ("error", "pairwise"):
        raise CompositeError(f"outranking matrix: missing must be 'error' or 'pairwise' "
                             f"(got {missing!r})")
    nan = np.isnan(arr)
    if missing == "error" and nan.any():
        i, j = (int(v) for v in np.argwhere(nan)[0])
        raise CompositeError(
            f"outranking matrix: unit {un[i]!r}, {mn[j]} is missing; impute first or pass "
            "missing='pairwise'"
        )
    n = arr.shape[0]
    a = arr[:, None, :]
    b = arr[None, :, :]
    both = ~(np.isnan(a) | np.isnan(b))
    wq = np.where(both, weights, 0.0)
    tot = wq.sum(axis=2)
    score = (wq * ((a > b) + 0.5 * (a == b))).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mat = np.where(tot > 0, score / np.where(tot > 0, tot, 1.0), np.nan)
    np.fill_diagonal(mat, 0.0)
    upper = np.triu_indices(n, k=1)
    dom = int(np.sum((mat[upper] == 1.0) | (mat.T[upper] == 1.0)))
    pairs = n * (n - 1) // 2
    return Outranking(mat, dom, dom / pairs if pairs else 0.0)


def copeland(
    x: Any, w: Any = None, missing: str = "error", units: Sequence[str] | None = None,
    members: Sequence[str] | None = None,
) -> FloatArray:
    """Copeland score: ``Σ_k≠j sign(e_jk - ½)`` over the outranking matrix (COINr ``a_copeland``).

    A unit gains 1 per unit it outranks by weight majority and loses 1 per unit that
    outranks it. Weights act as importance coefficients, not trade-offs (Munda & Nardo
    2009; Handbook 2008 step 6.2). The result ranks; it is not a cardinal score.
    """
    mat = outranking_matrix(x, w, missing, units, members).matrix
    s = np.sign(mat - 0.5)
    np.fill_diagonal(s, 0.0)
    return np.nansum(s, axis=1)


#: Aggregators over one group of members, by name (all but Copeland accept ``policy``).
AGGREGATORS: dict[str, Callable[..., FloatArray]] = {
    "amean": arithmetic_mean,
    "gmean": geometric_mean,
    "hmean": harmonic_mean,
    "genmean": generalised_mean,
    "copeland": copeland,
}


def aggregate_group(
    x: Any, w: Any, method: str, units: Sequence[str] | None = None,
    members: Sequence[str] | None = None, policy: str = "renormalise",
    dat_thresh: float | None = None, p: float | None = None,
) -> FloatArray:
    """Dispatch to one aggregator by name; ``p`` is used by ``genmean`` only."""
    if method not in AGGREGATORS:
        raise CompositeError(
            f"unknown aggregation method {method!r} (expected one of {sorted(AGGREGATORS)})"
        )
    if method == "copeland":
        return copeland(x, w, units=units, members=members)
    if method == "genmean":
        if p is None:
            raise CompositeError("genmean needs the power p")
        return generalised_mean(x, w, p, policy, dat_thresh, units, members)
    mean = {"amean": arithmetic_mean, "gmean": geometric_mean, "hmean": harmonic_mean}[method]
    return mean(x, w, policy=policy, dat_thresh=dat_thresh, units=units, members=members)
