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

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..formula import (
    Aggregate,
    BinaryOp,
    Dialect,
    Expr,
    Negate,
    Number,
    aggregates_of,
    parse,
    to_sql,
)
from ..plan import Plan
from .design import (
    CERTAIN,
    COLLAPSED,
    SINGLETON,
    VARIABLE,
    ReplicateDesign,
    fingerprint,
    rao_wu_draw,
)
from .distributions import beta_ppf, t_ppf
from .engine import EngineError, build_query, chosen_formulas, group_sql
from .items import original
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
    chosen = chosen_formulas(formulas, source)
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
    keys = group_sql(by, "duckdb")
    key_sql = "".join(f', {sql} AS "__k_{name}"' for name, sql in keys)
    fields = [f for f in FIELD_NAMES if f in present]
    trees = [parse(chosen[i], fields) for i in chosen]
    aggs = list(dict.fromkeys(a for t in trees for a in aggregates_of(t)))
    value_sql = "".join(f", {unit_value_sql(a)} AS __v{j}" for j, a in enumerate(aggs))
    design_cols = con.sql(f"SELECT {ROW_COLUMN}, CAST({year_sql} AS VARCHAR) || '|' || "
                          f"CAST(stratum AS VARCHAR) AS __h, {weight_column} AS __w, "
                          f"{size_sql} AS __n{key_sql}{value_sql} "
                          f"FROM {from_sql} ORDER BY {ROW_COLUMN}").to_arrow_table()
    if design is None:
        design = rao_wu_draw(np.asarray(design_cols.column("__h").to_pylist(), dtype=str),
                             replicates, seed=seed,
                             stratum_size=np.asarray(design_cols.column("__n").to_numpy(
                                 zero_copy_only=False), dtype=np.float64) if use_fpc else None)
    key_columns = [design_cols.column(f"__k_{name}") for name, _ in keys]
    cells = cells_by_key(key_columns, design)
    base = np.asarray(design_cols.column("__w").to_numpy(zero_copy_only=False),
                      dtype=np.float64)
    effective = effective_by_key(key_columns, design, trees, aggs,
                                 [unit_floats(design_cols.column(f"__v{j}"))
                                  for j in range(len(aggs))], base)
    units = units_table(design_cols.column(ROW_COLUMN).to_numpy(), base, design)
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
        query = build_query(chosen, joined, by=by, weighted=True, weight_column="__rw",
                            extra_keys=[("__rep", "__rep")], fields=[*fields, "__rw"])
        result = con.sql(query).to_arrow_table()
    finally:
        con.unregister(reps_name)
        con.unregister(units_name)
    return summarise_long(result, list(chosen), list(by), level, cells,
                          [interval_kind(chosen[i]) for i in chosen], effective)


def unit_floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A fetched DOUBLE column as float64 with NaN for NULL."""
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


def group_ids(keys: Sequence[pa.ChunkedArray], n: int
              ) -> tuple[np.ndarray, list[tuple[object, ...]]]:
    """Group number of every unit and the groups' keys, numbered in the order SQL's
    ``ORDER BY`` sorts them (ascending, missing values last), as the grouped query does."""
    if not keys:
        return np.zeros(n, dtype=np.int64), [()]
    code = np.zeros(n, dtype=np.int64)
    bound = 1
    for column in keys:
        encoded = pc.dictionary_encode(column.combine_chunks())
        values = encoded.dictionary.to_pylist()
        rank = np.empty(len(values) + 1, dtype=np.int64)
        rank[sorted(range(len(values)), key=values.__getitem__)] = np.arange(len(values))
        rank[-1] = len(values)  # a missing key sorts last
        index = np.asarray(encoded.indices.fill_null(len(values)).to_numpy(), dtype=np.int64)
        code = code * (len(values) + 1) + rank[index]
        bound *= len(values) + 1
    gid, member = dense_ids(code, bound)
    labels = [column.take(pa.array(member)).to_pylist() for column in keys]
    return gid, list(zip(*labels, strict=True))


def dense_ids(code: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """Number the distinct values of ``code`` (integers in [0, ``bound``)) 0, 1, … in
    ascending order; returns each element's number and, for each number, the position of
    one element that has it.

    Where the range is small against the data (group keys: years × provinces × divisions)
    a table of the range does it in linear time; ``np.unique`` sorts (twice the time on
    330,000 units), and is what a wide range gets."""
    n = len(code)
    if bound > max(4 * n, 1 << 16):
        _, member, gid = np.unique(code, return_index=True, return_inverse=True)
        return gid.ravel().astype(np.int64), member
    seen = np.bincount(code, minlength=bound) > 0
    gid = (np.cumsum(seen, dtype=np.int64) - 1).take(code)
    member = np.empty(int(seen.sum()), dtype=np.int64)
    # every element of a number is a member of it: whichever assignment lands is right
    member[gid] = np.arange(n, dtype=np.int64)
    return gid, member


def interval_kind(formula: str | Expr) -> tuple[str, float]:
    """How a formula's interval is formed, from its shape: ``("share", k)`` for a share of
    units ``count_if(c) / count() · k`` or of a total ``sum(x where c) / sum(x) · k`` (its
    value lies in [0, k]; Korn–Graubard interval; also after the complete-case rewrite),
    ``("ratio", 1)`` for any other quotient of aggregates (log scale while the estimate is
    positive), ``("plain", 1)`` otherwise."""
    tree = parse(formula) if isinstance(formula, str) else formula
    factor = 1.0
    while isinstance(tree, BinaryOp) and tree.op in ("*", "/") and isinstance(
            tree.right, Number) and tree.right.value > 0:
        factor = factor * tree.right.value if tree.op == "*" else factor / tree.right.value
        tree = tree.left
    while isinstance(tree, BinaryOp) and tree.op == "*" and isinstance(
            tree.left, Number) and tree.left.value > 0:
        factor *= tree.left.value
        tree = tree.right
    if isinstance(tree, BinaryOp) and tree.op == "/":
        num, den = tree.left, tree.right
        if isinstance(num, Aggregate) and isinstance(den, Aggregate):
            # the complete-case rewrite (:mod:`.items`) keeps the shape of the plan's formula
            num, den = original(num), original(den)
            if num.func == "count_if" and den.func == "count":
                return "share", factor
            if (num.func == "sum" and den.func == "sum" and den.where is None
                    and num.where is not None and num.arg == den.arg):
                return "share", factor
            return "ratio", 1.0
    return "plain", 1.0


def unit_value_sql(agg: Aggregate, dialect: str | Dialect = "duckdb") -> str:
    """The value one unit contributes to an aggregate (its aggregate over a group of one),
    as a DOUBLE; NULL where the unit has no value."""
    if agg.func == "count":
        return "CAST(1 AS DOUBLE)"
    assert agg.arg is not None
    if agg.func == "count_if":
        return (f"CASE WHEN {to_sql(agg.arg, dialect=dialect)} THEN CAST(1 AS DOUBLE) "
                "ELSE CAST(0 AS DOUBLE) END")
    value = f"CAST({to_sql(agg.arg, dialect=dialect)} AS DOUBLE)"
    if agg.where is not None:
        value = f"CASE WHEN {to_sql(agg.where, dialect=dialect)} THEN {value} END"
    return value


#: where each weighted total sits in a unit matrix: (column, presence column for a mean)
Slots = dict[Aggregate, tuple[int, int | None]]


def unit_matrix(columns: Sequence[np.ndarray], aggs: Sequence[Aggregate]
                ) -> tuple[np.ndarray, Slots]:
    """Per-unit values of every weighted total (units × width, column-major, no NaN) from
    each aggregate's per-unit values (NaN for a missing value): sum/count/count_if → the
    value (0 when missing); mean → the value and whether it is present; min/max → nothing
    (they are not weighted totals)."""
    n = len(columns[0]) if len(columns) else 0
    width = sum(2 if a.func == "mean" else 0 if a.func in ("min", "max") else 1 for a in aggs)
    values = np.empty((n, width), order="F")
    slot: Slots = {}
    filled = 0
    for agg, v in zip(aggs, columns, strict=True):
        if agg.func in ("min", "max"):
            continue
        missing = np.isnan(v)
        column = values[:, filled]
        np.copyto(column, v)
        np.copyto(column, 0.0, where=missing)
        if agg.func == "mean":
            np.logical_not(missing, out=values[:, filled + 1], casting="unsafe")
            slot[agg] = (filled, filled + 1)
            filled += 2
        else:
            slot[agg] = (filled, None)
            filled += 1
    return values, slot


def _gradient(tree: Expr, totals: np.ndarray, slot: Slots) -> np.ndarray:
    """∂formula/∂total of every group (groups × width) at the groups' totals (forward
    differentiation over the formula; min/max and undefined quotients contribute 0)."""
    groups, width = totals.shape

    def walk(node: Expr) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(node, Number):
            return np.full(groups, float(node.value)), np.zeros((groups, width))
        if isinstance(node, Aggregate):
            grad = np.zeros((groups, width))
            if node not in slot:  # min/max: not a weighted total
                return np.full(groups, np.nan), grad
            first, second = slot[node]
            if second is None:
                grad[:, first] = 1.0
                return totals[:, first], grad
            s, p = totals[:, first], totals[:, second]
            with np.errstate(all="ignore"):
                grad[:, first], grad[:, second] = 1.0 / p, -s / p**2
                return s / p, grad
        if isinstance(node, Negate):
            value, grad = walk(node.operand)
            return -value, -grad
        assert isinstance(node, BinaryOp)
        (x, gx), (y, gy) = walk(node.left), walk(node.right)
        with np.errstate(all="ignore"):
            if node.op == "+":
                return x + y, gx + gy
            if node.op == "-":
                return x - y, gx - gy
            if node.op == "*":
                return x * y, gx * y[:, None] + gy * x[:, None]
            return x / y, gx / y[:, None] - gy * (x / y**2)[:, None]

    return np.nan_to_num(walk(tree)[1], nan=0.0, posinf=0.0, neginf=0.0)


#: a linearised value this small against its terms is rounding (:func:`effective_df`): the
#: totals of a cell of a few thousand units differ by about 1e-13 with the order of summing
ROUNDING = 1e-10


def effective_df(trees: Sequence[Expr], values: np.ndarray, slot: Slots, weights: np.ndarray,
                 gid: np.ndarray, n_groups: int, design: ReplicateDesign,
                 totals: np.ndarray | None = None) -> np.ndarray:
    """Effective degrees of freedom of every group's variance estimate (groups × formulas).

    A cell's variance is a sum of independent stratum parts v_h, each a scaled sum of
    squares of the units' linearised values u_i = w_i·∂θ/∂T·x_i (the formula differentiated
    at the cell's totals). Satterthwaite's approximation gives the cell's df as
    (Σ v_h)² / Σ v_h²/df_h (Cochran 1977, §5.4), and a stratum's sum of squares has
    df_h = 2n_h·M2²/(n_h·M4 − M2²) when its values have kurtosis — 2/(2/(n−1) + κ/n),
    n_h − 1 for normal data — estimated from the stratum's own moments M2, M4 and capped at
    n_h − 1 (Valliant & Rust 2010, *J. Official Statistics* 26, 585–602, on how far below
    the design df this falls in skewed populations). Units of the stratum outside the
    cell count with u = 0, as in any domain estimate. With heavy-tailed enterprise data a
    few units carry most of a small cell's variance, so its variance estimate is far less
    stable than n − H df say, and its t quantile must be wider. A cell without such
    strata, or whose parts are all 0, keeps its design df (:func:`cell_design`).
    ``totals``: the groups' weighted totals of ``values`` (groups × width) where the caller
    has them; summed here otherwise.
    """
    assert design.vstratum is not None and design.role is not None
    gid = np.asarray(gid, dtype=np.int64)
    vs = design.vstratum.astype(np.int64)
    varies = (design.role == VARIABLE) | (design.role == COLLAPSED)
    n_vs = np.bincount(vs, minlength=int(vs.max()) + 1 if vs.size else 0).astype(np.float64)
    out = np.full((n_groups, len(trees)), np.nan)
    if not varies.any() or values.shape[1] == 0:
        return out
    lam2 = np.zeros(len(n_vs))
    np.maximum.at(lam2, vs[varies], design.lam[varies] ** 2)
    # the varying units sorted by (group, variance stratum): each pair is one contiguous
    # run, so every formula's sums over pairs are one reduceat over an (units × formulas)
    # matrix
    index = np.flatnonzero(varies)
    pair_key = gid[index] * len(n_vs) + vs[index]
    if pair_key.size and np.any(pair_key[1:] < pair_key[:-1]):
        order = np.argsort(pair_key, kind="stable")
        index, pair_key = index[order], pair_key[order]
    starts = np.flatnonzero(np.concatenate([[True], pair_key[1:] != pair_key[:-1]]))
    counts = np.diff(np.append(starts, len(pair_key)))
    pairs = pair_key[starts]
    pg, ph = pairs // len(n_vs), pairs % len(n_vs)
    n_h = n_vs[ph]
    outside = n_h - counts
    if totals is None:
        totals = np.zeros((n_groups, values.shape[1]))
        for j in range(values.shape[1]):
            totals[:, j] = np.bincount(gid, weights * values[:, j], minlength=n_groups)
    grads = np.stack([_gradient(tree, totals, slot) for tree in trees], axis=2)
    sorted_values = np.empty((len(index), values.shape[1]), order="F")
    for j in range(values.shape[1]):  # column by column: a row gather of a column-major matrix
        np.take(values[:, j], index, out=sorted_values[:, j])  # is strided and slow
    g_sorted = gid[index]
    # u_i = w_i · Σ_j x_ij · ∂θ/∂T_j: one small matrix product per group. Where the terms
    # cancel (a share of 100%: x/T₂ − T₁/T₂² with T₁ = T₂) what is left is rounding, and
    # rounding of the totals differs with the order they were summed in; a u below
    # ROUNDING of its terms' size Σ_j |x_ij·∂θ/∂T_j| is 0, so that a cell without variance
    # keeps its design df whichever way its totals were added up
    u = np.empty((len(index), len(trees)))
    size = np.empty((len(index), len(trees)))
    bounds = np.searchsorted(g_sorted, np.arange(n_groups + 1))
    for g in np.flatnonzero(np.diff(bounds)):
        lo, hi = bounds[g], bounds[g + 1]
        np.matmul(sorted_values[lo:hi], grads[g], out=u[lo:hi])
        np.matmul(np.abs(sorted_values[lo:hi]), np.abs(grads[g]), out=size[lo:hi])
    u[np.abs(u) <= ROUNDING * size] = 0.0
    u *= weights[index][:, None]
    mean = np.add.reduceat(u, starts, axis=0) / n_h[:, None]
    e2 = u - np.repeat(mean, counts, axis=0)
    e2 *= e2
    m2 = np.add.reduceat(e2, starts, axis=0) + outside[:, None] * mean**2
    e2 *= e2
    m4 = np.add.reduceat(e2, starts, axis=0) + outside[:, None] * mean**4
    part = np.where((n_h > 1)[:, None],
                    (lam2[ph] * n_h / np.maximum(n_h - 1, 1))[:, None] * m2, 0.0)
    spread = n_h[:, None] * m4 - m2 * m2
    with np.errstate(all="ignore"):
        df_h = np.where(spread > 0, 2 * n_h[:, None] * m2 * m2 / spread, (n_h - 1)[:, None])
    df_h = np.clip(df_h, 1e-9, np.maximum(n_h - 1, 1e-9)[:, None])
    for k in range(len(trees)):
        total = np.bincount(pg, part[:, k], minlength=n_groups)
        squares = np.bincount(pg, part[:, k] ** 2 / df_h[:, k], minlength=n_groups)
        with np.errstate(all="ignore"):
            out[:, k] = np.where(squares > 0, total * total / squares, np.nan)
    return out


def effective_by_key(keys: Sequence[pa.ChunkedArray | pa.Array], design: ReplicateDesign,
                     trees: Sequence[Expr], aggs: Sequence[Aggregate],
                     columns: Sequence[np.ndarray], weights: np.ndarray
                     ) -> dict[tuple[object, ...], np.ndarray]:
    """:func:`effective_df` keyed by the groups' key tuples, for a route whose groups come
    from SQL (``columns``: each aggregate's per-unit values, units in the design's order)."""
    chunked = [k if isinstance(k, pa.ChunkedArray) else pa.chunked_array([k]) for k in keys]
    gid, groups = group_ids(chunked, design.units)
    values, slot = unit_matrix(columns, aggs)
    eff = effective_df(trees, values, slot, np.asarray(weights, dtype=np.float64), gid,
                       len(groups), design)
    return {g: eff[i] for i, g in enumerate(groups)}


@dataclass(frozen=True)
class CellDesign:
    """What the design says about each group's variance (arrays, one entry per group).

    ``strata``: variance strata (after collapsing) with units in the group that add
    variance; ``df``: the design degrees of freedom Σ (n_h − 1) over those strata, n_h the
    stratum's respondents (Korn & Graubard 1999, *Analysis of Health Surveys*, §5.2: the
    strata a domain touches); ``collapsed``: strata with one respondent collapsed with a
    neighbour that have a unit in the group; ``singletons``: strata with one respondent left
    alone (no neighbour), whose variance is missing; ``certain``: units of take-all strata
    (no sampling error); ``variable``: the other units."""

    strata: np.ndarray
    df: np.ndarray
    collapsed: np.ndarray
    singletons: np.ndarray
    certain: np.ndarray
    variable: np.ndarray


def cell_design(gid: np.ndarray, n_groups: int, design: ReplicateDesign) -> CellDesign:
    """:class:`CellDesign` of every group, from each unit's group number (units in the
    design's order)."""
    assert design.vstratum is not None and design.role is not None
    gid = np.asarray(gid, dtype=np.int64)
    vs = design.vstratum.astype(np.int64)
    role = design.role
    varies = (role == VARIABLE) | (role == COLLAPSED)
    n_vs = np.bincount(vs, minlength=int(vs.max()) + 1 if vs.size else 0)
    codes = gid[varies] * (len(n_vs) + 1) + vs[varies]
    pairs = codes[dense_ids(codes, n_groups * (len(n_vs) + 1))[1]]  # ascending, each once
    pg, pv = pairs // (len(n_vs) + 1), pairs % (len(n_vs) + 1)

    def per_group(mask: np.ndarray) -> np.ndarray:
        return np.bincount(gid[mask], minlength=n_groups).astype(np.int64)

    return CellDesign(
        strata=np.bincount(pg, minlength=n_groups).astype(np.int64),
        df=np.bincount(pg, n_vs[pv] - 1, minlength=n_groups).astype(np.int64),
        collapsed=per_group(role == COLLAPSED), singletons=per_group(role == SINGLETON),
        certain=per_group(role == CERTAIN), variable=per_group(varies))


def cells_by_key(keys: Sequence[pa.ChunkedArray | pa.Array], design: ReplicateDesign
                 ) -> dict[tuple[object, ...], tuple[int, ...]]:
    """:func:`cell_design` keyed by the groups' key tuples, for a route whose groups come
    from SQL (``keys``: the group-key columns of the units, in the design's order)."""
    chunked = [k if isinstance(k, pa.ChunkedArray) else pa.chunked_array([k]) for k in keys]
    gid, groups = group_ids(chunked, design.units)
    cells = cell_design(gid, len(groups), design)
    fields = (cells.strata, cells.df, cells.collapsed, cells.singletons, cells.certain,
              cells.variable)
    return {g: tuple(int(f[i]) for f in fields) for i, g in enumerate(groups)}


def summarise_long(result: pa.Table, indicators: list[str], by: list[str], level: float,
                   cells: Mapping[tuple[object, ...], tuple[int, ...]] | None = None,
                   kinds: Sequence[tuple[str, float]] | None = None,
                   effective: Mapping[tuple[object, ...], np.ndarray] | None = None
                   ) -> pa.Table:
    """Turn the long result of a replicate query (``__rep`` 0 = full sample, on any engine)
    into the rows of :func:`summarise`; ``cells`` from :func:`cells_by_key`, ``effective``
    from :func:`effective_by_key`."""
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
    design = None
    if cells is not None:
        rows = np.array([cells[g] for g in group_of], dtype=np.int64).reshape(-1, 6)
        design = CellDesign(*(rows[:, i] for i in range(6)))
    eff = None
    if effective is not None:
        eff = np.array([effective[g] for g in group_of], dtype=np.float64).reshape(
            len(group_of), len(indicators))
    return summarise(list(group_of), by, indicators, estimate, values, n_units, level,
                     cells=design, kinds=kinds, effective=eff)


def _intervals(est: np.ndarray, se: np.ndarray, df: np.ndarray, n: np.ndarray,
               kind: str, bound: float, level: float) -> tuple[np.ndarray, np.ndarray, str]:
    """Lower and upper limits of one indicator's cells, and the method's name.

    ``df`` < 1 marks a cell whose SE cannot be estimated (no interval); ``inf`` a cell with
    no sampling error (the interval is the estimate)."""
    low, high = np.full(est.shape, np.nan), np.full(est.shape, np.nan)
    ok = ~np.isnan(est) & ~np.isnan(se) & (df >= 1)
    exact = ok & np.isinf(df)
    low[exact], high[exact] = est[exact], est[exact]
    ok &= ~exact
    if not ok.any():
        return low, high, {"share": "Korn-Graubard", "ratio": "log-t"}.get(kind, "t")
    t = np.ones(est.shape)
    t[ok] = t_ppf(0.5 + level / 2, df[ok])
    if kind == "share":
        # Korn & Graubard (1998), *Survey Methodology* 24, 193–201: a Clopper–Pearson
        # interval at the effective sample size p(1 − p)/v, capped at the units and scaled
        # by (t_{n−1}/t_df)² for the design's degrees of freedom
        p = np.clip(est[ok] / bound, 0.0, 1.0)
        v = (se[ok] / bound) ** 2
        units = n[ok].astype(np.float64)
        inner = (p > 0) & (p < 1) & (v > 0)
        n_eff = units.copy()
        n_eff[inner] = np.minimum(units[inner], p[inner] * (1 - p[inner]) / v[inner])
        t_n = np.ones(units.shape)
        several = units > 1
        t_n[several] = t_ppf(0.5 + level / 2, units[several] - 1)
        n_eff = np.where(several, n_eff * (t_n / t[ok]) ** 2, n_eff)
        n_eff = np.maximum(n_eff, 1e-9)
        x = p * n_eff
        alpha = 1 - level
        lo = np.zeros(p.shape)
        hi = np.ones(p.shape)
        some = x > 0
        lo[some] = beta_ppf(alpha / 2, x[some], n_eff[some] - x[some] + 1)
        most = x < n_eff
        hi[most] = beta_ppf(1 - alpha / 2, x[most] + 1, n_eff[most] - x[most])
        low[ok], high[ok] = np.minimum(lo, p) * bound, np.maximum(hi, p) * bound
        return low, high, "Korn-Graubard"
    sym = ok.copy()
    if kind == "ratio":  # a positive ratio: symmetric on the log scale, never below 0
        pos = ok & (est > 0)
        with np.errstate(all="ignore"):
            spread = np.exp(t[pos] * se[pos] / est[pos])
        low[pos], high[pos] = est[pos] / spread, est[pos] * spread
        sym &= ~pos
    low[sym], high[sym] = est[sym] - t[sym] * se[sym], est[sym] + t[sym] * se[sym]
    return low, high, "log-t" if kind == "ratio" else "t"


def summarise(groups: Sequence[tuple[object, ...]], by: Sequence[str], indicators: Sequence[str],
              estimate: np.ndarray, values: np.ndarray, n_units: np.ndarray,
              level: float, *, cells: CellDesign | None = None,
              kinds: Sequence[tuple[str, float]] | None = None,
              effective: np.ndarray | None = None) -> pa.Table:
    """One row per group and indicator from full-sample estimates (groups × indicators) and
    replicate estimates (replicates × groups × indicators); NaN is a missing value.

    v = Σ_r (θ*_r − θ̄*)² / (R − 1) over the replicates with a value. Intervals use the t
    quantile with the cell's degrees of freedom: the design df (``cells``,
    :class:`CellDesign`; without it, R − 1, the replicate rule), lowered to the effective
    df of the cell's variance estimate where ``effective`` (groups × indicators,
    :func:`effective_df`) gives one — rounded down, at least 1; their shape follows ``kinds``
    (:func:`interval_kind`): Korn–Graubard for shares (inside [0, k]), log scale for
    positive ratios, symmetric otherwise. A cell touching a stratum with one respondent that
    had no neighbour, or with df < 1 while some units add variance, has no SE (no interval),
    and one whose sampled units give an SE of exactly 0 has none that can be trusted
    (``se_estimable`` false in both cases); a cell of take-all units only has SE 0 and the
    estimate as its interval. Columns: the keys, ``indicator``, ``estimate``, ``se``,
    ``ci_low``, ``ci_high``, ``interval`` (the method), ``df`` (what the interval used),
    ``design_df`` (Σ (n_h − 1) over the cell's variance strata), ``se_estimable``,
    ``replicates`` (how many gave a value), ``n_units`` (sample rows), ``strata``,
    ``collapsed``, ``singletons`` (see :class:`CellDesign`).
    """
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
    n_groups, n_ind = len(groups), len(indicators)
    n_units = np.asarray(n_units, dtype=np.int64)
    if cells is None:  # no design information: the replicate rule, R − 1
        zeros = np.zeros(n_groups, dtype=np.int64)
        cells = CellDesign(zeros, np.full(n_groups, max(values.shape[0] - 1, 0)), zeros, zeros,
                           zeros, n_units)
    df = cells.df.astype(np.float64)
    df[cells.variable == 0] = np.inf  # take-all units only: no sampling error
    df[cells.singletons > 0] = 0.0  # a lone singleton's variance is missing
    kinds = list(kinds) if kinds is not None else [("plain", 1.0)] * n_ind
    est_cols, se_cols, low_cols, high_cols, how_cols, df_cols = [], [], [], [], [], []
    for k in range(n_ind):
        est = np.asarray(estimate, dtype=np.float64).reshape(n_groups, n_ind)[:, k]
        err = se.reshape(n_groups, n_ind)[:, k]
        df_k = df.copy()
        if effective is not None:
            # never above the design df, never below 1 (a cell with df ≥ 1 keeps its interval)
            eff = np.asarray(effective, dtype=np.float64).reshape(n_groups, n_ind)[:, k]
            use = np.isfinite(df) & (df >= 1) & ~np.isnan(eff)
            df_k[use] = np.clip(np.floor(eff[use] + 1e-9), 1.0, df[use])
        low, high, how = _intervals(est, err, df_k, n_units, *kinds[k], level)
        df_cols.append(df_k)
        est_cols.append(est)
        se_cols.append(err)
        low_cols.append(low)
        high_cols.append(high)
        how_cols.append(how)
    est, err = np.concatenate(est_cols), np.concatenate(se_cols)
    low, high = np.concatenate(low_cols), np.concatenate(high_cols)
    df_all = np.tile(df, n_ind)
    # an SE of exactly 0 from units that were sampled (not take-all) means the replicates
    # never varied — one unit, or every unit alike — not that the estimate is exact
    estimable = ~np.isnan(err) & (df_all >= 1) & ((err > 0) | np.isinf(df_all))

    def floats(x: np.ndarray, keep: np.ndarray) -> pa.Array:
        return pa.array(np.where(keep, x, 0.0), pa.float64(), mask=~keep)

    out: dict[str, pa.Array | list[object]] = {
        name: [key[i] for key in groups] * n_ind for i, name in enumerate(by)}
    out["indicator"] = pa.array(np.repeat(np.asarray(list(indicators), dtype=object),
                                          n_groups), pa.string())
    out["estimate"] = floats(est, ~np.isnan(est))
    out["se"] = floats(err, ~np.isnan(err))
    out["ci_low"] = floats(low, ~np.isnan(low))
    out["ci_high"] = floats(high, ~np.isnan(high))
    out["interval"] = pa.array(np.repeat(np.asarray(how_cols, dtype=object), n_groups),
                               pa.string())
    used = np.concatenate(df_cols)

    def whole(x: np.ndarray) -> pa.Array:
        finite = np.isfinite(x)
        return pa.array(np.where(finite, x, 0).astype(np.int64), mask=~finite)

    out["df"] = whole(used)
    out["design_df"] = whole(df_all)
    out["se_estimable"] = pa.array(estimable)
    out["replicates"] = pa.array(count.reshape(n_groups, n_ind).T.ravel().astype(np.int64))
    out["n_units"] = pa.array(np.tile(n_units, n_ind))
    for name in ("strata", "collapsed", "singletons"):
        out[name] = pa.array(np.tile(getattr(cells, name).astype(np.int64), n_ind))
    return pa.table(out)
