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
    # one slot per draw: the stratum of each of the Σ m_h draws of a replicate; a draw picks
    # a position in the stratum-sorted order, offset by its replicate so that one bincount
    # counts every replicate at once
    slot_h = np.repeat(np.arange(len(n_h)), m_h)
    picks = rng.integers(0, np.maximum(n_h[slot_h], 1), size=(replicates, slot_h.size))
    picks += starts[slot_h]
    picks += (n * np.arange(replicates, dtype=np.int64))[:, None]
    in_order = np.bincount(picks.ravel(), minlength=n * replicates).astype(np.int16)
    counts = np.empty((replicates, n), dtype=np.int16)
    counts[:, order] = in_order.reshape(replicates, n)  # back to the caller's unit order
    if stratum_size is None:
        f_h = np.zeros(len(n_h))
    else:
        big_n = np.bincount(h, np.asarray(stratum_size, dtype=np.float64)) / n_h
        f_h = np.clip(n_h / big_n, 0.0, 1.0)
    lam = np.where(n_h > 1, np.sqrt(m_h * (1.0 - f_h) / np.maximum(n_h - 1, 1)), 0.0)
    scale = np.where(m_h > 0, n_h / np.maximum(m_h, 1), 0.0)
    return counts, w * (1.0 - lam[h]), w * lam[h] * scale[h], int((n_h == 1).sum())


def replicate_units(
    rows: np.ndarray,
    strata: np.ndarray,
    weights: np.ndarray,
    stratum_size: np.ndarray | None,
    replicates: int,
    *,
    seed: int,
) -> tuple[pa.Table, np.ndarray]:
    """The per-unit parts of the replicate weights, for an engine to join to the sample.

    ``rows`` identifies each unit (its row number), in the order the draws are made; every
    engine passes the units in row order, so the same seed gives the same replicates in
    DuckDB and in Spark. Returns the table (``__urow``, ``__a``, ``__b``, ``__w0``) with
    w*_r = a + b·r_r, and the multiplicities r as a (replicates × units) int16 array.
    """
    base = np.asarray(weights, dtype=np.float64)
    counts, a, b, _ = _rao_wu_parts(np.asarray(strata, dtype=str), base, replicates,
                                    stratum_size=None if stratum_size is None else
                                    np.asarray(stratum_size, dtype=np.float64), seed=seed)
    units = pa.table({"__urow": np.asarray(rows, dtype=np.int64), "__a": a, "__b": b,
                      "__w0": base})
    return units, counts


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
    columns = [design[k] for k in design]
    units, counts = replicate_units(columns[0], columns[1], columns[2],
                                    columns[3] if use_fpc else None, replicates, seed=seed)
    n = units.num_rows
    long = pa.table({
        "__rep": np.repeat(np.arange(1, replicates + 1, dtype=np.int16), n),
        "__rrow": np.tile(units.column("__urow").to_numpy().astype(np.int32), replicates),
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
    """Turn the long result of the replicate query (``__rep`` 0 = full sample) into rows."""
    rep = result.column("__rep").to_numpy().astype(np.int64)
    keys = [result.column(k).to_pylist() for k in by]
    group_of: dict[tuple[object, ...], int] = {}
    gid = np.array([group_of.setdefault(tuple(k[i] for k in keys), len(group_of))
                    for i in range(result.num_rows)], dtype=np.int64)
    n_reps = int(rep.max()) if rep.size else 0
    full = rep == 0
    n_units = np.zeros(len(group_of), dtype=np.int64)
    n_units[gid[full]] = result.column("n_units").to_numpy()[full]
    estimate = np.full((len(group_of), len(indicators)), np.nan)
    values = np.full((n_reps, len(group_of), len(indicators)), np.nan)
    for k, ind in enumerate(indicators):
        column = np.asarray(result.column(ind).to_numpy(zero_copy_only=False), dtype=np.float64)
        estimate[gid[full], k] = column[full]
        values[rep[~full] - 1, gid[~full], k] = column[~full]
    return summarise(list(group_of), by, indicators, estimate, values, n_units, level)


def summarise(groups: Sequence[tuple[object, ...]], by: Sequence[str], indicators: Sequence[str],
              estimate: np.ndarray, values: np.ndarray, n_units: np.ndarray,
              level: float) -> pa.Table:
    """One row per group and indicator from full-sample estimates (groups × indicators) and
    replicate estimates (replicates × groups × indicators); NaN is a missing value.

    v = Σ_r (θ*_r − θ̄*)² / (R − 1) over the replicates with a value; the interval is
    θ̂ ± z·SE. Columns: the keys, ``indicator``, ``estimate``, ``se``, ``ci_low``,
    ``ci_high``, ``replicates`` (how many gave a value) and ``n_units`` (sample rows).
    """
    z = NormalDist().inv_cdf(0.5 + level / 2)
    ok = ~np.isnan(values)
    count = ok.sum(axis=0)
    filled = np.where(ok, values, 0.0)
    mean = filled.sum(axis=0) / np.maximum(count, 1)
    dev = (np.where(ok, values - mean, 0.0) ** 2).sum(axis=0)
    se = np.where(count > 1, np.sqrt(dev / np.maximum(count - 1, 1)), np.nan)
    out: dict[str, list[object]] = {k: [] for k in [*by, "indicator", "estimate", "se",
                                                    "ci_low", "ci_high", "replicates",
                                                    "n_units"]}
    for k, ind in enumerate(indicators):
        for j, key in enumerate(groups):
            for name, value in zip(by, key, strict=True):
                out[name].append(value)
            out["indicator"].append(ind)
            est, s = float(estimate[j, k]), float(se[j, k])
            out["estimate"].append(None if math.isnan(est) else est)
            out["se"].append(None if math.isnan(s) else s)
            out["ci_low"].append(None if math.isnan(est + s) else est - z * s)
            out["ci_high"].append(None if math.isnan(est + s) else est + z * s)
            out["replicates"].append(int(count[j, k]))
            out["n_units"].append(int(n_units[j]))
    return pa.table(out)
