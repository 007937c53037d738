"""Statistical analysis of an index: descriptive statistics and coherence checks.

Handbook step 4 ("multivariate analysis") and the JRC statistical audit: indicator
statistics with flags, correlations (Pearson, Spearman) within the tree, Cronbach's alpha,
principal components per group, effective weights and leave-one-out rank shifts.

References: OECD/JRC *Handbook on Constructing Composite Indicators* (2008), step 4 and
sections 1.4 and 1.7; Cronbach (1951), "Coefficient alpha and the internal structure of
tests", *Psychometrika* 16(3):297–334; Jolliffe (2002), *Principal Component Analysis*;
Paruolo, Saisana & Saltelli (2013), "Ratings and rankings: voodoo or science?", JRSS-A 176(3)
(effective versus nominal weights); COINr 1.1 ``get_stats``, ``get_corr``,
``get_corr_flags``, ``get_cronbach``, ``get_PCA``, ``get_eff_weights`` and
``remove_elements`` (W. Becker), whose conventions are followed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mic2025.composite.components import PCAResult, pca
from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import AGGREGATE, Framework
from mic2025.composite.normalise import rank
from mic2025.composite.pipeline import aggregate, rank_scores
from mic2025.composite.table import FloatArray, Table
from mic2025.composite.treat import kurtosis, skewness

__all__ = [
    "IndicatorStats",
    "PCAResult",
    "correlation",
    "correlation_flags",
    "correlation_matrix",
    "correlation_with_parent",
    "cronbach_alpha",
    "effective_weights",
    "indicator_stats",
    "pca",
    "remove_elements",
]


# -- descriptive statistics ---------------------------------------------------------------
@dataclass(frozen=True)
class IndicatorStats:
    """COINr ``get_stats`` for one column; ``Frc.*`` shares are over the observed values."""

    code: str
    min: float
    max: float
    mean: float
    median: float
    std: float
    skew: float
    kurt: float
    n_avail: int
    n_nonzero: int
    n_unique: int
    n_same: int
    frc_avail: float
    frc_nonzero: float
    frc_unique: float
    frc_same: float
    flag_avail: str
    flag_nonzero: str
    flag_unique: str
    flag_skewkurt: str


def indicator_stats(
    table: Table, t_skew: float = 2.0, t_kurt: float = 3.5, t_avail: float = 0.65,
    t_nonzero: float = 0.5, t_unique: float = 0.5,
) -> list[IndicatorStats]:
    """Per column: min, max, mean, median, sd (n-1), skew and kurtosis (type 2), counts.

    ``n_same`` is the count of the most frequent value. Flags: ``LOW`` when availability,
    the non-zero share or the unique share is below its threshold; ``OUT`` when
    ``|skew| >= t_skew`` and ``kurt >= t_kurt`` (the JRC outlier rule).
    """
    out: list[IndicatorStats] = []
    n_units = len(table.units)
    for j, code in enumerate(table.columns):
        col = table.values[:, j]
        obs = col[~np.isnan(col)]
        n = obs.size
        if n < 4:
            raise CompositeError(f"stats: column {code!r} has {n} observed values, need 4")
        _, counts = np.unique(obs, return_counts=True)
        s, k = skewness(obs), kurtosis(obs)
        n_nz = int(np.sum(obs != 0))
        frc_avail, frc_nz, frc_unq = n / n_units, n_nz / n, counts.size / n
        out.append(IndicatorStats(
            code, float(obs.min()), float(obs.max()), float(obs.mean()), float(np.median(obs)),
            float(np.std(obs, ddof=1)), s, k, n, n_nz, int(counts.size), int(counts.max()),
            frc_avail, frc_nz, frc_unq, float(counts.max()) / n,
            "LOW" if frc_avail < t_avail else "ok",
            "LOW" if frc_nz < t_nonzero else "ok",
            "LOW" if frc_unq < t_unique else "ok",
            "OUT" if abs(s) >= t_skew and k >= t_kurt else "ok",
        ))
    return out


# -- correlation ------------------------------------------------------------------------------
def correlation(x: Any, y: Any, method: str = "pearson") -> float:
    """Pearson or Spearman (Pearson on average ranks) correlation over pairwise-complete units."""
    a, b = np.asarray(x, float), np.asarray(y, float)
    ok = ~(np.isnan(a) | np.isnan(b))
    a, b = a[ok], b[ok]
    if method == "spearman":
        a, b = rank(a, "average"), rank(b, "average")
    elif method != "pearson":
        raise CompositeError(f"correlation: method must be 'pearson' or 'spearman' ({method!r})")
    if a.size < 3:
        return float("nan")
    da, db = a - a.mean(), b - b.mean()
    den = float(np.sqrt(np.sum(da * da) * np.sum(db * db)))
    return float(np.sum(da * db)) / den if den > 0 else float("nan")


def correlation_matrix(table: Table, columns: Sequence[str] | None = None,
                       method: str = "pearson") -> FloatArray:
    """Correlation matrix of ``columns`` (all by default), pairwise-complete."""
    cols = list(columns or table.columns)
    x = table.select(cols).values
    m = len(cols)
    out = np.eye(m)
    for i in range(m):
        for j in range(i + 1, m):
            out[i, j] = out[j, i] = correlation(x[:, i], x[:, j], method)
    return out


def correlation_with_parent(
    table: Table, framework: Framework, level: int = 1, method: str = "pearson"
) -> list[tuple[str, str, float]]:
    """(parent, member, r) for each element of ``level`` against its parent's score."""
    out = []
    for code in framework.at_level(level):
        parent = framework.element(code).parent
        if parent is None:
            continue
        out.append((parent, code, correlation(table.column(code), table.column(parent), method)))
    return out


def correlation_flags(
    table: Table, framework: Framework, threshold: float, kind: str = "high",
    level: int = 1, method: str = "pearson",
) -> list[tuple[str, str, str, float]]:
    """(group, member 1, member 2, r) for pairs within the same parent with r above
    (``kind="high"``, redundancy) or below (``"low"``, incoherence) ``threshold``."""
    if kind not in ("high", "low"):
        raise CompositeError(f"correlation_flags: kind must be 'high' or 'low' (got {kind!r})")
    out = []
    for parent in framework.at_level(level + 1):
        members = [c for c in framework.children(parent) if c in table.columns]
        mat = correlation_matrix(table, members, method)
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                r = mat[i, j]
                if (kind == "high" and r > threshold) or (kind == "low" and r < threshold):
                    out.append((parent, members[i], members[j], float(r)))
    return out


# -- reliability --------------------------------------------------------------------------
def cronbach_alpha(x: Any) -> float:
    """Cronbach's alpha ``k/(k-1)·(1 - tr(C)/ΣC)``, C the pairwise-complete covariance matrix."""
    arr = np.asarray(x, float)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise CompositeError("cronbach_alpha needs a units x items matrix with >= 2 items")
    k = arr.shape[1]
    cov = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ok = ~(np.isnan(arr[:, i]) | np.isnan(arr[:, j]))
            a, b = arr[ok, i], arr[ok, j]
            cov[i, j] = cov[j, i] = float(np.sum((a - a.mean()) * (b - b.mean()))) / (a.size - 1)
    return k / (k - 1) * (1.0 - float(np.trace(cov)) / float(cov.sum()))


# -- weights --------------------------------------------------------------------------------
def effective_weights(
    framework: Framework, weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Each element's weight in the index: the product, up the tree, of its weight share
    within its group (COINr ``get_eff_weights``). Top-level elements get 1."""
    over = dict(weights or {})

    def w(code: str) -> float:
        return float(over.get(code, framework.element(code).weight))

    out: dict[str, float] = {}
    for level in range(framework.n_levels, 0, -1):
        for code in framework.at_level(level):
            parent = framework.element(code).parent
            if parent is None:
                out[code] = 1.0
                continue
            total = sum(w(s) for s in framework.children(parent))
            out[code] = (w(code) / total if total > 0 else 0.0) * out[parent]
    return out


# -- leave one out --------------------------------------------------------------------------
def remove_elements(
    normalised: Table, framework: Framework, level: int, index: str | None = None,
    **aggregate_params: Any,
) -> dict[str, float]:
    """Mean absolute rank shift of the index when each element of ``level`` is left out.

    Each element in turn gets weight 0 and the index is re-aggregated from ``normalised``
    with ``aggregate_params`` (see :func:`mic2025.composite.pipeline.aggregate`); the result
    is the mean over units of ``|rank - nominal rank|`` (COINr ``remove_elements``).
    ``"Nominal"`` maps to 0.
    """
    top = index or framework.at_level(framework.n_levels)[0]
    base_weights = dict(aggregate_params.pop("weights", None) or {})
    nominal = rank_scores(aggregate(normalised, framework, weights=base_weights,
                                    **aggregate_params).column(top))
    out = {"Nominal": 0.0}
    for code in framework.at_level(level):
        if framework.element(code).kind != AGGREGATE and level > 1:
            continue
        ranks = rank_scores(aggregate(normalised, framework, weights={**base_weights, code: 0.0},
                                      **aggregate_params).column(top))
        out[code] = float(np.nanmean(np.abs(ranks - nominal)))
    return out
