"""Sampling variance of sample-based indicators by the Rao–Wu rescaling bootstrap.

Method (Rao & Wu 1988, *JASA* 83, 231–241; Rao, Wu & Yue 1992, *Survey Methodology* 18,
209–217). In stratum h with n_h sampled units, each replicate draws m_h = n_h − 1 units with
replacement; a unit drawn r_hi times gets the replicate weight

    w*_hi = w_hi · (1 − λ_h + λ_h · (n_h / m_h) · r_hi),   λ_h = sqrt(m_h · (1 − f_h) / (n_h − 1))

with f_h = n_h / N_h the sampling fraction (``fpc=True``) or 0. With m_h = n_h − 1 this is
w·n_h/(n_h − 1)·r_hi without the finite-population correction; a take-all stratum (f_h = 1)
keeps its weights in every replicate and adds no variance, as it should. A stratum with a
single unit cannot be resampled: its weights are kept and it is reported in
:attr:`ReplicateWeights.singletons`.

Every indicator is re-estimated with each replicate's weights in ONE query: the replicate
weights form a long table (replicate, row, weight) joined once to the sample, with replicate
0 holding the design weights (the full-sample estimate). The variance is
v = Σ_r (θ*_r − θ̄*)² / (R − 1) over replicates with a value, the standard error its root,
and the interval θ̂ ± z_{1−α/2}·SE (normal approximation).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import duckdb
import numpy as np
import pyarrow as pa

from ..plan import Plan
from .engine import EngineError, build_query, plan_formulas
from .schema import FIELD_NAMES
from .sources import ROW_COLUMN, Source, columns_of, own_connection, source_sql


@dataclass(frozen=True)
class ReplicateWeights:
    """``weights[r, i]`` is unit i's weight in replicate r (units in the order given)."""

    weights: np.ndarray
    singletons: int
    method: str = "Rao-Wu rescaling bootstrap (Rao & Wu 1988; Rao, Wu & Yue 1992)"


def rao_wu_weights(
    stratum: np.ndarray,
    weights: np.ndarray,
    replicates: int = 200,
    *,
    stratum_size: np.ndarray | None = None,
    seed: int = 0,
) -> ReplicateWeights:
    """Rao–Wu rescaling bootstrap weights with m_h = n_h − 1, vectorised over all replicates.

    ``stratum`` labels each unit's stratum; ``stratum_size`` (N_h per unit) turns on the
    finite-population correction. The weights form a (replicates, n) array.
    """
    counts, base, slope, singletons = _rao_wu_parts(stratum, weights, replicates,
                                                    stratum_size=stratum_size, seed=seed)
    return ReplicateWeights(base + slope * counts, singletons)


def _rao_wu_parts(
    stratum: np.ndarray,
    weights: np.ndarray,
    replicates: int,
    *,
    stratum_size: np.ndarray | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Multiplicities r (replicates × n, int16) and per-unit a, b with w* = a + b·r."""
    rng = np.random.default_rng(seed)
    _, h = np.unique(np.asarray(stratum), return_inverse=True)
    w = np.asarray(weights, dtype=np.float64)
    n = len(h)
    n_h = np.bincount(h)
    order = np.argsort(h, kind="stable")
    starts = np.concatenate([[0], np.cumsum(n_h)[:-1]])
    m_h = np.maximum(n_h - 1, 0)
    # one slot per draw: the stratum of each of the Σ m_h draws of a replicate
    slot_h = np.repeat(np.arange(len(n_h)), m_h)
    picks = starts[slot_h] + np.floor(rng.random((replicates, slot_h.size)) * n_h[slot_h]
                                      ).astype(np.int64)
    units = order[picks]  # positions in the caller's order
    flat = (units + n * np.arange(replicates)[:, None]).ravel()
    counts = np.bincount(flat, minlength=n * replicates).astype(np.int16).reshape(replicates, n)
    if stratum_size is None:
        f_h = np.zeros(len(n_h))
    else:
        big_n = np.bincount(h, np.asarray(stratum_size, dtype=np.float64)) / n_h
        f_h = np.clip(n_h / big_n, 0.0, 1.0)
    lam = np.where(n_h > 1, np.sqrt(m_h * (1.0 - f_h) / np.maximum(n_h - 1, 1)), 0.0)
    scale = np.where(m_h > 0, n_h / np.maximum(m_h, 1), 0.0)
    return counts, w * (1.0 - lam[h]), w * lam[h] * scale[h], int((n_h == 1).sum())


def bootstrap(
    source: Source,
    formulas: Plan | Mapping[str, str],
    *,
    by: Sequence[str] = ("year",),
    replicates: int = 200,
    level: float = 0.95,
    fpc: bool = True,
    seed: int = 0,
    weight_column: str = "design_weight",
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """Estimates, bootstrap SEs and intervals for every formula and group, in one query.

    The sample needs ``stratum`` and ``design_weight`` (and ``stratum_size`` for the
    finite-population correction). Replicates are drawn within the strata as given, which
    for :func:`~mic2025.microdata.generate.draw_sample` are province × size class within a
    year. Returns one row per group and indicator: the keys, ``indicator``, ``estimate``,
    ``se``, ``ci_low``, ``ci_high``, ``replicates`` (how many gave a value).
    """
    con, source = own_connection(con, source)
    chosen = plan_formulas(formulas) if isinstance(formulas, Plan) else dict(formulas)
    if not chosen:
        raise EngineError("no formulas to compute")
    from_sql = source_sql(con, source, row_numbers=True)
    present = columns_of(con, from_sql)
    for needed in ("stratum", weight_column):
        if needed not in present:
            raise EngineError(f"the bootstrap needs a {needed!r} column in the sample")
    use_fpc = fpc and "stratum_size" in present
    size_sql = "stratum_size" if use_fpc else "NULL"
    # strata are nested in years when the sample is drawn year by year
    year_sql = "year" if "year" in present else "NULL"
    design = con.sql(f"SELECT {ROW_COLUMN}, CAST({year_sql} AS VARCHAR) || '|' || "
                     f"CAST(stratum AS VARCHAR), {weight_column}, {size_sql} "
                     f"FROM {from_sql} ORDER BY {ROW_COLUMN}").fetchnumpy()
    rows, strata, base = (design[k] for k in list(design)[:3])
    sizes = design[list(design)[3]] if use_fpc else None
    counts, a, b, _ = _rao_wu_parts(np.asarray(strata, dtype=str),
                                    np.asarray(base, dtype=np.float64), replicates,
                                    stratum_size=None if sizes is None else
                                    np.asarray(sizes, dtype=np.float64), seed=seed)
    n = len(rows)
    row_ids = np.asarray(rows, dtype=np.int64)
    units = pa.table({"__urow": row_ids, "__a": a, "__b": b,
                      "__w0": np.asarray(base, dtype=np.float64)})
    long = pa.table({
        "__rep": np.repeat(np.arange(1, replicates + 1, dtype=np.int16), n),
        "__rrow": np.tile(row_ids.astype(np.int32), replicates),
        "__r": counts.ravel(),
    })
    tag = uuid.uuid4().hex[:12]
    reps_name, units_name = f"__mic2025_reps_{tag}", f"__mic2025_units_{tag}"
    con.register(reps_name, long)
    con.register(units_name, units)
    try:
        # replicate 0 carries the design weights: the full-sample estimate, in the same pass
        joined = (f"(SELECT s.*, r.__rep, CASE WHEN r.__rep = 0 THEN u.__w0 "
                  f"ELSE u.__a + u.__b * r.__r END AS __rw FROM {from_sql} AS s "
                  f"JOIN {units_name} AS u ON s.{ROW_COLUMN} = u.__urow "
                  f"JOIN (SELECT * FROM {reps_name} UNION ALL SELECT 0, __urow, 0 "
                  f"FROM {units_name}) AS r ON s.{ROW_COLUMN} = r.__rrow)")
        fields = [f for f in FIELD_NAMES if f in present]
        query = build_query(chosen, joined, by=by, weighted=True, weight_column="__rw",
                            extra_keys=[("__rep", "__rep")], fields=[*fields, "__rw"])
        result = con.sql(query).to_arrow_table()
    finally:
        con.unregister(reps_name)
        con.unregister(units_name)
    return _summarise(result, list(chosen), list(by), level)


def _summarise(result: pa.Table, indicators: list[str], by: list[str], level: float) -> pa.Table:
    rep = result.column("__rep").to_numpy()
    keys = [result.column(k).to_pylist() for k in by]
    group_of: dict[tuple[object, ...], int] = {}
    gid = np.array([group_of.setdefault(tuple(k[i] for k in keys), len(group_of))
                    for i in range(result.num_rows)], dtype=np.int64)
    g = len(group_of)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    out: dict[str, list[object]] = {k: [] for k in [*by, "indicator", "estimate", "se",
                                                    "ci_low", "ci_high", "replicates"]}
    full = rep == 0
    for ind in indicators:  # a handful of indicators; all groups and replicates vectorised
        values = np.asarray(result.column(ind).to_numpy(zero_copy_only=False), dtype=np.float64)
        estimate = np.full(g, np.nan)
        estimate[gid[full]] = values[full]
        r_vals, r_gid = values[~full], gid[~full]
        ok = ~np.isnan(r_vals)
        count = np.bincount(r_gid[ok], minlength=g)
        mean = np.bincount(r_gid[ok], r_vals[ok], minlength=g) / np.maximum(count, 1)
        dev = np.bincount(r_gid[ok], (r_vals[ok] - mean[r_gid[ok]]) ** 2, minlength=g)
        se = np.where(count > 1, np.sqrt(dev / np.maximum(count - 1, 1)), np.nan)
        for key, j in group_of.items():
            for name, value in zip(by, key, strict=True):
                out[name].append(value)
            out["indicator"].append(ind)
            est = float(estimate[j])
            out["estimate"].append(None if math.isnan(est) else est)
            s = float(se[j])
            out["se"].append(None if math.isnan(s) else s)
            out["ci_low"].append(None if math.isnan(est + s) else est - z * s)
            out["ci_high"].append(None if math.isnan(est + s) else est + z * s)
            out["replicates"].append(int(count[j]))
    return pa.table(out)
