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

The multiplicities are drawn by :func:`.design.rao_wu_draw`, here on the fly or once with the
sample and stored (:mod:`.design`; pass ``design=``). Every indicator is re-estimated with
each replicate's weights in ONE query: the replicate weights form a long table (replicate,
row, weight) joined once to the sample, with replicate 0 holding the design weights (the
full-sample estimate). The variance is
v = Σ_r (θ*_r − θ̄*)² / (R − 1) over replicates with a value, the standard error its root,
and the interval θ̂ ± z_{1−α/2}·SE (normal approximation).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import duckdb
import numpy as np
import pyarrow as pa

from ..plan import Plan
from .design import ReplicateDesign, fingerprint, rao_wu_draw
from .engine import EngineError, build_query, chosen_formulas
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
    drawn = rao_wu_draw(stratum, replicates, stratum_size=stratum_size, seed=seed)
    a, b = drawn.parts(weights)
    return ReplicateWeights((a[:, None] + b[:, None] * drawn.r).T, drawn.singletons)


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
    w*_r = a + b·r_r, and the multiplicities r as a (replicates × units) array (a view of
    the unit-major draw).
    """
    drawn = rao_wu_draw(np.asarray(strata, dtype=str), replicates, seed=seed,
                        stratum_size=None if stratum_size is None else
                        np.asarray(stratum_size, dtype=np.float64))
    return units_table(rows, weights, drawn), drawn.r.T


def units_table(rows: np.ndarray, weights: np.ndarray, design: ReplicateDesign) -> pa.Table:
    """One row per unit (``__urow``, ``__a``, ``__b``, ``__w0``): its row number, the parts of
    its replicate weights w*_r = a + b·r_r, and its full-sample weight; what the join routes
    (DuckDB and Spark) join to the sample."""
    base = np.asarray(weights, dtype=np.float64)
    a, b = design.parts(base)
    return pa.table({"__urow": np.asarray(rows, dtype=np.int64), "__a": a, "__b": b,
                     "__w0": base})


def fingerprint_sql(con: duckdb.DuckDBPyConnection, from_sql: str,
                    present: Mapping[str, str]) -> tuple[str, int]:
    """The fingerprint (:func:`.design.fingerprint`) of the units of ``from_sql`` in row
    order, and their number; ``from_sql`` must have row numbers."""
    for needed in ("enterprise_id", "year", "stratum"):
        if needed not in present:
            raise EngineError(f"stored replicate weights need a {needed!r} column in the "
                              "sample, to check that they belong to it")
    size = "stratum_size" if "stratum_size" in present else "NULL"
    keys = con.sql(f"SELECT CAST(enterprise_id AS VARCHAR) AS i, year AS y, "
                   f"CAST(stratum AS VARCHAR) AS s, {size} AS n FROM {from_sql} "
                   f"ORDER BY {ROW_COLUMN}").to_arrow_table()
    sizes = keys.column("n") if size != "NULL" else None
    return (fingerprint(keys.column("i"), keys.column("y"), keys.column("s"), sizes),
            keys.num_rows)


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
    design: ReplicateDesign | None = None,
) -> pa.Table:
    """Estimates, bootstrap SEs and intervals for every formula and group, in one query.

    The sample needs ``stratum`` and ``design_weight`` (and ``stratum_size`` for the
    finite-population correction). Replicates are drawn within the strata as given, which
    for :func:`~mic2025.microdata.generate.draw_sample` are province × size class within a
    year. With ``design`` (stored replicate weights, :mod:`.design`) nothing is drawn:
    ``replicates``, ``seed`` and ``fpc`` are the design's, and a design made for other units
    is refused (:class:`~.design.DesignMismatch`). Returns one row per group and indicator:
    the keys, ``indicator``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``replicates``
    (how many gave a value).
    """
    con, source = own_connection(con, source)
    chosen = chosen_formulas(formulas)
    from_sql = source_sql(con, source, row_numbers=True)
    present = columns_of(con, from_sql)
    for needed in ("stratum", weight_column):
        if needed not in present:
            raise EngineError(f"the bootstrap needs a {needed!r} column in the sample")
    if design is not None:
        design.check(*fingerprint_sql(con, from_sql, present))
    use_fpc = fpc and "stratum_size" in present
    size_sql = "stratum_size" if use_fpc else "NULL"
    # strata are nested in years when the sample is drawn year by year
    year_sql = "year" if "year" in present else "NULL"
    design_cols = con.sql(f"SELECT {ROW_COLUMN}, CAST({year_sql} AS VARCHAR) || '|' || "
                          f"CAST(stratum AS VARCHAR), {weight_column}, {size_sql} "
                          f"FROM {from_sql} ORDER BY {ROW_COLUMN}").fetchnumpy()
    columns = [design_cols[k] for k in design_cols]
    if design is None:
        design = rao_wu_draw(np.asarray(columns[1], dtype=str), replicates, seed=seed,
                             stratum_size=np.asarray(columns[3], dtype=np.float64)
                             if use_fpc else None)
    units = units_table(columns[0], columns[2], design)
    replicates = design.replicates
    n = units.num_rows
    long = pa.table({  # unit-major, as the design holds the multiplicities
        "__rep": np.tile(np.arange(1, replicates + 1, dtype=np.int16), n),
        "__rrow": np.repeat(units.column("__urow").to_numpy().astype(np.int32), replicates),
        "__r": design.r.astype(np.int16).ravel(),
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
    return summarise_long(result, list(chosen), list(by), level)


def summarise_long(result: pa.Table, indicators: list[str], by: list[str], level: float
                   ) -> pa.Table:
    """Turn the long result of a replicate query (``__rep`` 0 = full sample, on any engine)
    into the rows of :func:`summarise`."""
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
    missing = np.isnan(values)
    if not missing.any():  # the usual case: one pass for the mean, one for the deviations
        count = np.full(values.shape[1:], values.shape[0], dtype=np.int64)
        se = (values.std(axis=0, ddof=1) if values.shape[0] > 1
              else np.full(values.shape[1:], np.nan))
    else:
        ok = ~missing
        count = ok.sum(axis=0)
        mean = np.where(ok, values, 0.0).sum(axis=0) / np.maximum(count, 1)
        dev = (np.where(ok, values - mean, 0.0) ** 2).sum(axis=0)
        se = np.where(count > 1, np.sqrt(dev / np.maximum(count - 1, 1)), np.nan)
    n_ind = len(indicators)
    est = np.asarray(estimate, dtype=np.float64).reshape(len(groups), n_ind).T.ravel()
    err = se.reshape(len(groups), n_ind).T.ravel()  # rows: indicator by indicator, then group
    both = ~np.isnan(est + err)

    def floats(x: np.ndarray, keep: np.ndarray) -> pa.Array:
        return pa.array(np.where(keep, x, 0.0), pa.float64(), mask=~keep)

    out: dict[str, pa.Array | list[object]] = {
        name: [key[i] for key in groups] * n_ind for i, name in enumerate(by)}
    out["indicator"] = pa.array(np.repeat(np.asarray(list(indicators), dtype=object),
                                          len(groups)), pa.string())
    out["estimate"] = floats(est, ~np.isnan(est))
    out["se"] = floats(err, ~np.isnan(err))
    out["ci_low"] = floats(est - z * err, both)
    out["ci_high"] = floats(est + z * err, both)
    out["replicates"] = pa.array(count.reshape(len(groups), n_ind).T.ravel().astype(np.int64))
    out["n_units"] = pa.array(np.tile(np.asarray(n_units, dtype=np.int64), n_ind))
    return pa.table(out)
