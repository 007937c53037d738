"""Many replications of the aggregation at once: arrays with a leading replication axis.

The uncertainty and sensitivity analysis (:mod:`.uncertainty`) rebuilds an index thousands of
times with other weights, normalisers or aggregators. Rebuilding it replication by replication
(COINr's ``get_sensitivity`` regenerates the whole coin each time) repeats work that does not
change, so here a *batch* of R replications that share their discrete choices is evaluated in
one pass: weights are an ``(R, elements)`` array, scores at each level ``(R, units)``, and the
members of one aggregate ``(R, units, members)``.

Every function gives, replication by replication, the same numbers as the one-at-a-time
functions in :mod:`.aggregate` and :mod:`.normalise` (tested to 1e-12 against them); only the
loops move from Python into numpy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import AGGREGATE, Framework
from mic2025.composite.table import FloatArray, Table

#: Aggregation methods the batch evaluator knows (those of :mod:`.aggregate`).
BATCH_AGGREGATORS = ("amean", "gmean", "hmean", "genmean", "copeland")
#: Normalisers the batch evaluator knows (a global method, no per-indicator parameters).
BATCH_NORMALISERS = ("minmax", "zscore", "rank", "borda", "prank", "fracmax", "dist2max")


def rank_rows(scores: Any) -> FloatArray:
    """Ranks along the last axis, 1 = highest, ties get the minimum rank, NaN stays NaN.

    Row by row the same as :func:`mic2025.composite.pipeline.rank_scores` (COINr's
    ``rank(-x, ties = "min")``): a unit's rank is one plus the number of units that score
    strictly more. Works in chunks so that the ``(R, n, n)`` comparison stays small.
    """
    s = np.asarray(scores, dtype=float)
    flat = s.reshape(-1, s.shape[-1])
    out = np.empty_like(flat)
    n = flat.shape[1]
    step = max(1, int(4_000_000 // max(n * n, 1)))
    for start in range(0, flat.shape[0], step):
        block = flat[start:start + step]
        greater = (block[:, None, :] > block[:, :, None]).sum(axis=2)
        out[start:start + step] = np.where(np.isnan(block), np.nan, greater + 1.0)
    return out.reshape(s.shape)


def _member_weights(
    x: FloatArray, w: FloatArray, policy: str, dat_thresh: float | None
) -> tuple[FloatArray, FloatArray]:
    """Normalised weights ``(R, n, k)`` (zero where a member is missing) and defined rows."""
    present = ~np.isnan(x)
    wp = np.where(present, w[:, None, :], 0.0)
    total = wp.sum(axis=2)
    ok = total > 0
    if policy == "strict":
        ok &= present.all(axis=2)
    elif policy != "renormalise":
        raise CompositeError(f"policy must be 'renormalise' or 'strict' (got {policy!r})")
    if dat_thresh is not None:
        ok &= present.mean(axis=2) >= dat_thresh
    wn = np.where(ok[..., None], wp / np.where(total > 0, total, 1.0)[..., None], 0.0)
    return wn, ok


def aggregate_members(
    x: FloatArray, w: FloatArray, method: str, policy: str = "renormalise",
    dat_thresh: float | None = None, p: float | None = None,
) -> tuple[FloatArray, FloatArray]:
    """One aggregate for R replications: ``x`` is ``(R or 1, n, k)``, ``w`` is ``(R, k)``.

    Returns the scores ``(R, n)`` and a boolean ``(R,)`` that is False for a replication
    whose inputs the method cannot take (non-positive values for a geometric or harmonic
    mean, missing values for Copeland); the caller decides whether that is an error.
    """
    r = w.shape[0]
    xb = np.broadcast_to(x, (r, *x.shape[1:])) if x.shape[0] == 1 else x
    valid = np.ones(r, dtype=bool)
    if method == "copeland":
        if np.isnan(x).any():
            valid[:] = False
            return np.full((r, x.shape[1]), np.nan), valid
        # the same arithmetic as aggregate.outranking_matrix (Σ w·beats / Σ w, summed over
        # the last axis), so that exact ties at e = ½ fall the same way
        n, k = x.shape[1], x.shape[2]
        total = w.sum(axis=1)[:, None, None]
        e = np.empty((r, n, n))
        step = max(1, 2_000_000 // max(1, n * n * k))
        for start in range(0, r, step):
            stop = min(r, start + step)
            xs_ = x if x.shape[0] == 1 else x[start:stop]
            beats = (xs_[:, :, None, :] > xs_[:, None, :, :]) + 0.5 * (
                xs_[:, :, None, :] == xs_[:, None, :, :])
            e[start:stop] = (beats * w[start:stop, None, None, :]).sum(axis=3) / total[start:stop]
        s = np.sign(e - 0.5)
        idx = np.arange(n)
        s[:, idx, idx] = 0.0
        return s.sum(axis=2), valid
    wn, ok = _member_weights(xb, w, policy, dat_thresh)
    used = wn > 0
    xs = np.where(used, xb, 1.0)
    if method == "amean":
        out = (wn * xs).sum(axis=2)
    elif method in ("gmean", "hmean") or (method == "genmean" and p is not None and p <= 0):
        bad: np.ndarray = np.asarray((used & (xs <= 0)).any(axis=(1, 2)))
        valid &= ~bad
        xs = np.where(bad[:, None, None], 1.0, xs)
        if method == "gmean" or p == 0:
            out = np.exp((wn * np.log(xs)).sum(axis=2))
        elif method == "hmean":
            inv = (wn / xs).sum(axis=2)
            out = 1.0 / np.where(ok, inv, 1.0)
        else:
            assert p is not None
            out = np.where(ok, (wn * xs**p).sum(axis=2), 1.0) ** (1.0 / p)
    elif method == "genmean":
        if p is None:
            raise CompositeError("genmean needs the power p")
        bad = np.asarray((used & (xs < 0)).any(axis=(1, 2)))
        valid &= ~bad
        xs = np.where(bad[:, None, None], 1.0, xs)
        out = np.where(ok, (wn * xs**p).sum(axis=2), 1.0) ** (1.0 / p)
    else:
        raise CompositeError(
            f"unknown aggregation method {method!r} (expected one of {BATCH_AGGREGATORS})")
    out = np.where(ok, out, np.nan)
    out[~valid] = np.nan
    return out, valid


def aggregate_batch(
    normalised: Table, framework: Framework, weights: FloatArray, method: str = "amean",
    by_level: Mapping[int, str] | None = None, policy: str = "renormalise",
    dat_thresh: float | None = None, p: float | None = None,
    codes: Sequence[str] | None = None,
) -> tuple[dict[str, FloatArray], FloatArray]:
    """Aggregate up the tree for R weight sets at once (cf. :func:`.pipeline.aggregate`).

    ``weights[r, e]`` is the weight of element ``codes[e]`` (default: every indicator and
    aggregate in framework order) in replication r; ``normalised`` holds one data set shared
    by the batch, or use :func:`aggregate_batch_data` for one data set per replication.
    Returns every aggregate's scores ``(R, units)`` by code, and the replications that were
    valid (see :func:`aggregate_members`).
    """
    x = np.asarray(normalised.values, dtype=float)[None, :, :]
    return aggregate_batch_data(x, normalised.columns, framework, weights, method, by_level,
                                policy, dat_thresh, p, codes)


def aggregate_batch_data(
    data: FloatArray, columns: Sequence[str], framework: Framework, weights: FloatArray,
    method: str = "amean", by_level: Mapping[int, str] | None = None,
    policy: str = "renormalise", dat_thresh: float | None = None, p: float | None = None,
    codes: Sequence[str] | None = None,
) -> tuple[dict[str, FloatArray], FloatArray]:
    """:func:`aggregate_batch` over ``data`` of shape ``(R or 1, units, indicators)``."""
    order = tuple(codes) if codes is not None else tuple(e.code for e in framework.elements)
    pos = {c: i for i, c in enumerate(order)}
    w = np.asarray(weights, dtype=float)
    if w.ndim != 2 or w.shape[1] != len(order):
        raise CompositeError(f"weights must be (replications, {len(order)}), got {w.shape}")
    r = w.shape[0]
    scores: dict[str, FloatArray] = {}
    for j, code in enumerate(columns):
        scores[code] = data[:, :, j]
    valid = np.ones(r, dtype=bool)
    levels = {int(k): v for k, v in (by_level or {}).items()}
    for level in range(2, framework.n_levels + 1):
        how = levels.get(level, method)
        for code in framework.at_level(level):
            if framework.element(code).kind != AGGREGATE:
                continue
            members = framework.children(code)
            missing = [m for m in members if m not in scores]
            if missing:
                raise CompositeError(f"aggregate: {code!r}: no scores for members {missing}")
            parts = [scores[m] for m in members]
            depth = max(a.shape[0] for a in parts)
            x = np.stack([np.broadcast_to(a, (depth, a.shape[1])) for a in parts], axis=2)
            wm = w[:, [pos[m] for m in members]]
            out, ok = aggregate_members(x, wm, how, policy, dat_thresh, p)
            scores[code] = out
            valid &= ok
    return {c: s for c, s in scores.items() if c not in columns}, valid


def normalise_batch(
    x: FloatArray, method: str, params: Mapping[str, Any] | None = None,
    directions: Sequence[int] | None = None,
) -> FloatArray:
    """Normalise ``(R, units, indicators)`` along the unit axis, all replications at once.

    The same formulas as :mod:`.normalise` (direction first, NaN kept); for the methods in
    :data:`BATCH_NORMALISERS`. A constant indicator in any replication raises
    :class:`CompositeError`.
    """
    if method not in BATCH_NORMALISERS:
        raise CompositeError(
            f"batch normalisation supports {BATCH_NORMALISERS}, not {method!r}")
    par = dict(params or {})
    arr = np.asarray(x, dtype=float)
    if directions is not None:
        arr = arr * np.asarray(directions, dtype=float)[None, None, :]
    if method in ("rank", "borda", "prank"):
        ties = str(par.get("ties", "min"))
        if ties != "min":
            raise CompositeError("batch normalisation: rank supports ties='min' only")
        lower = (arr[:, None, :, :] < arr[:, :, None, :]).sum(axis=2) + 1.0
        ranks = np.where(np.isnan(arr), np.nan, lower)
        if method == "rank":
            return ranks
        if method == "borda":
            return ranks - 1.0
        n_obs = (~np.isnan(arr)).sum(axis=1, keepdims=True)
        return (ranks - 1.0) / (n_obs - 1.0)
    lo = np.nanmin(arr, axis=1, keepdims=True)
    hi = np.nanmax(arr, axis=1, keepdims=True)
    if method == "fracmax":
        if np.any(hi == 0):
            raise CompositeError("fraction_of_max: the maximum is 0")
        return arr / hi
    if method == "zscore":
        mean = np.nanmean(arr, axis=1, keepdims=True)
        sd = np.nanstd(arr, axis=1, ddof=1, keepdims=True)
        if np.any(~(sd > 0)):
            raise CompositeError("zscore: an indicator is constant (sd = 0)")
        return (arr - mean) / sd * float(par.get("s", 1.0)) + float(par.get("m", 0.0))
    span = hi - lo
    if np.any(~(span > 0)):
        raise CompositeError(f"{method}: an indicator is constant; it cannot be rescaled")
    if method == "minmax":
        lo_t, hi_t = float(par.get("l", 0.0)), float(par.get("u", 100.0))
        return (arr - lo) / span * (hi_t - lo_t) + lo_t
    return 1.0 - (hi - arr) / span  # dist2max
