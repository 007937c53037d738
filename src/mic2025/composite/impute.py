"""Imputation of missing indicator values (Handbook step 3).

Each function takes a units × indicators matrix with ``NaN`` for missing values and returns
a completed copy; observed values are never changed. A value that a method cannot supply
(e.g. a group with no observed value) stays ``NaN``; the pipeline records how many remain
in ``Build.notes``.

* ``mean`` / ``median``: unconditional column mean or median ("explicit modelling,
  unconditional mean/median substitution", Handbook 2008 step 3; COINr ``i_mean``,
  ``i_median``).
* ``group_mean`` / ``group_median``: the same within groups of similar units (e.g. region or
  income group), as in JRC practice and COINr ``i_mean_grp``, ``i_median_grp``.
* ``knn``: model-based *hot-deck* by nearest neighbours (Handbook 2008 step 3, "hot-deck
  imputation"; Troyanskaya et al. (2001), "Missing value estimation methods for DNA
  microarrays", *Bioinformatics* 17(6):520–525). Indicators are standardised (z-scores over
  the observed values); the distance between two units is the root mean square difference
  over the indicators both observe; a missing value is the mean of the raw values of the
  ``k`` nearest units that observe it (ties in distance broken by unit order).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.table import FloatArray


def _matrix(x: Any) -> FloatArray:
    arr = np.array(x, dtype=float)
    if arr.ndim != 2:
        raise CompositeError(f"imputation expects a units x indicators matrix, got {arr.shape}")
    return arr


def _fill_columns(arr: FloatArray, stat: str, rows: FloatArray | None = None) -> FloatArray:
    """Fill the NaN of ``arr[rows]`` with the column statistic over ``arr[rows]``."""
    sel = np.ones(arr.shape[0], bool) if rows is None else rows.astype(bool)
    block = arr[sel]
    for j in range(arr.shape[1]):
        col = block[:, j]
        obs = col[~np.isnan(col)]
        if obs.size and np.isnan(col).any():
            value = float(np.mean(obs)) if stat == "mean" else float(np.median(obs))
            col[np.isnan(col)] = value
            block[:, j] = col
    arr[sel] = block
    return arr


def impute_mean(x: Any) -> FloatArray:
    """Replace each missing value by its indicator's mean over the observed units."""
    return _fill_columns(_matrix(x), "mean")


def impute_median(x: Any) -> FloatArray:
    """Replace each missing value by its indicator's median over the observed units."""
    return _fill_columns(_matrix(x), "median")


def _by_group(x: Any, groups: Sequence[str | None], stat: str) -> FloatArray:
    arr = _matrix(x)
    if len(groups) != arr.shape[0]:
        raise CompositeError(f"{len(groups)} group labels for {arr.shape[0]} units")
    labels = np.array([g if g is not None else "" for g in groups], dtype=object)
    for label in dict.fromkeys(labels.tolist()):
        if label == "":
            continue  # units without a group are left for another method
        _fill_columns(arr, stat, labels == label)
    return arr


def impute_group_mean(x: Any, groups: Sequence[str | None]) -> FloatArray:
    """Replace a missing value by the mean of its indicator over the unit's group."""
    return _by_group(x, groups, "mean")


def impute_group_median(x: Any, groups: Sequence[str | None]) -> FloatArray:
    """Replace a missing value by the median of its indicator over the unit's group."""
    return _by_group(x, groups, "median")


def impute_knn(x: Any, k: int = 5) -> FloatArray:
    """k-nearest-neighbour hot-deck imputation on standardised indicators (see module doc)."""
    arr = _matrix(x)
    if k < 1:
        raise CompositeError(f"knn imputation: k must be >= 1 (got {k})")
    observed = ~np.isnan(arr)
    n_obs = observed.sum(axis=0)
    mean = np.where(n_obs > 0, np.nansum(arr, axis=0) / np.maximum(n_obs, 1), 0.0)
    sq = np.where(observed, (arr - mean) ** 2, 0.0).sum(axis=0)
    sd = np.sqrt(sq / np.maximum(n_obs - 1, 1))
    sd = np.where((sd > 0) & ~np.isnan(sd), sd, 1.0)
    z = (arr - mean) / sd
    out = np.array(arr)
    for i in np.flatnonzero(~observed.all(axis=1)):
        common = observed & observed[i]
        counts = common.sum(axis=1)
        diff = np.where(common, z - np.nan_to_num(z[i]), 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            dist = np.sqrt((diff**2).sum(axis=1) / counts)
        dist[counts == 0] = np.inf
        dist[i] = np.inf
        for j in np.flatnonzero(~observed[i]):
            donors = np.flatnonzero(observed[:, j] & np.isfinite(dist))
            if donors.size == 0:
                continue
            nearest = donors[np.argsort(dist[donors], kind="stable")[:k]]
            out[i, j] = float(np.mean(arr[nearest, j]))
    return out
