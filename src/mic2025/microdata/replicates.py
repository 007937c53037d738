"""The bootstrap by matrix products: the same estimates as :func:`.variance.bootstrap`, faster.

Every indicator formula is a function of a few weighted group totals — ``sum(x)`` is
Σ w·x, ``count()`` is Σ w, ``count_if(c)`` is Σ w·[c], ``mean(x)`` is Σ w·x / Σ w·[x present]
(``min``/``max`` ignore weights). A replicate changes only the weights, w*_b = a + c·r_b
(a = w·(1 − λ_h), c = w·λ_h·n_h/m_h; :mod:`.design`), so the k totals of every replicate in
group g are

    T_g = Σ_{i∈g} a_i·v_i (the same for every replicate) + R_gᵀ · (c ∘ V)_g,

with V the (units × k) matrix of per-unit values and R_g the group's (units × replicates)
multiplicities: one dense matrix product per group (in chunks of a few thousand units, the
int8 multiplicities widened to float64 chunk by chunk; units with c = 0, those of take-all
strata, are left out of it). The per-unit values come from DuckDB
in ONE projection over the sample — each aggregate's argument compiled to SQL by the same
compiler (:func:`mic2025.formula.to_sql`), so missing values, ``where`` filters and
``NULLIF`` divisions mean exactly what they mean in the grouped query — with the group
numbered by ``DENSE_RANK`` in the order the grouped query sorts groups; the formula is then
evaluated over the totals with the same rules (a zero denominator gives a missing value).

Replicates come from a stored design (``design=``, drawn once with the sample; see
:mod:`.design`) or are drawn on the fly with the same function and seed, units in row order,
so the join route and this one give the same standard errors (the tests check 1e-9). The
multiplicities take R bytes per unit (200 replicates × 330,000 units = 66 MB).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import duckdb
import numpy as np
import pyarrow as pa

from ..formula import Aggregate, BinaryOp, Expr, Negate, Number, aggregates_of, parse
from ..plan import Plan
from .design import ReplicateDesign, fingerprint, rao_wu_draw
from .engine import EngineError, chosen_formulas, group_sql
from .schema import FIELD_NAMES
from .sources import ROW_COLUMN, Source, columns_of, own_connection, source_sql
from .variance import (
    cell_design,
    effective_df,
    group_ids,
    interval_kind,
    summarise,
    unit_matrix,
    unit_value_sql,
)

#: units per matrix product (a chunk of int8 multiplicities widened to float64: 6.5 MB)
CHUNK = 4096


def _group_value(tree: Expr, totals: Mapping[Aggregate, np.ndarray]) -> np.ndarray:
    """Evaluate a formula over group totals (arrays), as SQL does over the aggregates."""
    if isinstance(tree, Number):
        return np.asarray(tree.value, dtype=np.float64)
    if isinstance(tree, Aggregate):
        return totals[tree]
    if isinstance(tree, Negate):
        return -_group_value(tree.operand, totals)
    assert isinstance(tree, BinaryOp)  # only these occur outside aggregates
    a, b = _group_value(tree.left, totals), _group_value(tree.right, totals)
    with np.errstate(all="ignore"):
        if tree.op == "/":
            return np.where(b == 0, np.nan, a / np.where(b == 0, 1.0, b))
        return a + b if tree.op == "+" else a - b if tree.op == "-" else a * b



def _floats(column: pa.ChunkedArray) -> np.ndarray:
    """A fetched DOUBLE column as float64 with NaN for NULL."""
    return np.asarray(column.to_numpy(), dtype=np.float64)


def replicate_totals(values: np.ndarray, gid: np.ndarray, n_groups: int, weights: np.ndarray,
                     a: np.ndarray, c: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Weighted group totals of every column of ``values`` (units × k, no NaN): index 0 with
    ``weights`` (the full sample), 1…R with a + c·r[:, b] (replicate b); shape
    (R + 1, groups, k). ``r`` holds the multiplicities unit-major (units × R)."""
    n, k = values.shape
    replicates = r.shape[1]
    if n == 0 or k == 0:
        return np.zeros((replicates + 1, n_groups, k))

    if np.all(gid[1:] >= gid[:-1]):  # groups already contiguous (a year-major sample by year)
        order = None
        sorted_gid = gid
    else:
        order = np.argsort(gid, kind="stable")
        sorted_gid = gid[order]
    starts = np.searchsorted(sorted_gid, np.arange(n_groups))

    def by_group(scale: np.ndarray) -> np.ndarray:  # Σ scale·v per group
        x = scale[:, None] * values
        return np.add.reduceat(x if order is None else x[order], starts, axis=0)

    # a unit with c = 0 (a take-all stratum's: every replicate weighs it a) adds nothing to
    # the products — about half the units of a sample with certainty strata; the others are
    # taken group by group, in chunks
    moving = np.flatnonzero(c != 0) if order is None else order[c[order] != 0]
    bounds = np.searchsorted(gid[moving], np.arange(n_groups + 1))
    scaled = np.empty((len(moving), k), order="F")
    c_moving = c.take(moving)
    for j in range(k):  # column by column: a row gather of a column-major matrix is slow
        np.multiply(c_moving, values[:, j].take(moving), out=scaled[:, j])
    # group-major while accumulating, so that each group's block is contiguous
    products = np.zeros((n_groups, replicates, k))
    for g in range(n_groups):
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        for start in range(lo, hi, CHUNK):
            stop = min(start + CHUNK, hi)
            products[g] += r[moving[start:stop]].T.astype(np.float64) @ scaled[start:stop]
    products += by_group(a)[:, None, :]  # Σ a·v: the same in every replicate
    totals = np.empty((replicates + 1, n_groups, k))
    totals[0] = by_group(weights)
    totals[1:] = products.transpose(1, 0, 2)
    return totals


def bootstrap_matrix(
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
    """Rao–Wu bootstrap by matrix products; same arguments and result as
    :func:`.variance.bootstrap` (see the module docstring). With ``design`` (stored
    replicate weights) nothing is drawn: ``replicates``, ``seed`` and ``fpc`` are the
    design's, and a design made for other units is refused
    (:class:`~.design.DesignMismatch`)."""
    con, source = own_connection(con, source)
    chosen = chosen_formulas(formulas, source)
    from_sql = source_sql(con, source, row_numbers=True)
    present = columns_of(con, from_sql)
    for needed in ("stratum", weight_column):
        if needed not in present:
            raise EngineError(f"the bootstrap needs a {needed!r} column in the sample")
    fields = [f for f in FIELD_NAMES if f in present]
    trees = {ident: parse(text, fields) for ident, text in chosen.items()}
    aggs = list(dict.fromkeys(a for t in trees.values() for a in aggregates_of(t)))
    use_fpc = fpc and "stratum_size" in present
    year_sql = "year" if "year" in present else "NULL"
    keys = group_sql(by, "duckdb") if by else []
    select = [ROW_COLUMN, f'CAST("{weight_column}" AS DOUBLE) AS __w']
    if design is None:  # what the draw needs: strata and N_h
        select += [f"CAST({year_sql} AS VARCHAR) || '|' || CAST(stratum AS VARCHAR) AS __h",
                   "CAST(stratum_size AS DOUBLE) AS __n" if use_fpc
                   else "CAST(NULL AS DOUBLE) AS __n"]
    else:  # what the fingerprint needs
        for needed in ("enterprise_id", "year"):
            if needed not in present:
                raise EngineError(f"stored replicate weights need a {needed!r} column in "
                                  "the sample, to check that they belong to it")
        select += ["CAST(enterprise_id AS VARCHAR) AS __fi", "year AS __fy",
                   "CAST(stratum AS VARCHAR) AS __fs",
                   ("stratum_size" if "stratum_size" in present else "NULL") + " AS __fn"]
    select += [f'{sql} AS "{name}"' for name, sql in keys]
    select += [f"{unit_value_sql(agg)} AS __v{j}" for j, agg in enumerate(aggs)]
    # a projection keeps the scan order, which is row order; checked, sorted if not
    units = con.sql(f"SELECT {', '.join(select)} FROM {from_sql}").to_arrow_table()
    rows = units.column(ROW_COLUMN).to_numpy()
    if rows.size and not np.all(rows[1:] > rows[:-1]):
        units = units.take(pa.array(np.argsort(rows, kind="stable")))
    n = units.num_rows
    weights = _floats(units.column("__w"))
    if design is None:
        design = rao_wu_draw(np.asarray(units.column("__h").to_numpy(zero_copy_only=False),
                                        dtype=str), replicates, seed=seed,
                             stratum_size=_floats(units.column("__n")) if use_fpc else None)
        checking = None
    else:
        if n != design.units:  # refused before anything is computed
            design.check("(not computed: the numbers of units differ)", n)
        # the fingerprint (sha256 over the ids: about 15 ms for 330,000 units) is computed in
        # a thread while the totals are (hashlib and BLAS release the GIL) and checked before
        # any result is returned; a thread per call, as a module-level pool would not
        # survive a fork
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mic2025-fingerprint")
        checking = pool.submit(fingerprint, units.column("__fi"), units.column("__fy"),
                                units.column("__fs"),
                                units.column("__fn") if "stratum_size" in present else None)
        pool.shutdown(wait=False)  # the submitted work still runs; the thread then ends
    replicates = design.replicates
    a, c = design.parts(weights)
    gid, groups = group_ids([units.column(name) for name, _ in keys], n)
    n_groups = len(groups)

    # one column per weighted total (:func:`.variance.unit_matrix`): sum/count/count_if → the
    # value; mean → value and presence; column-major (contiguous writes; the products below
    # take either layout)
    columns = [_floats(units.column(f"__v{j}")) for j in range(len(aggs))]
    values, slot = unit_matrix(columns, aggs)
    extreme: dict[Aggregate, np.ndarray] = {}
    present_count: dict[Aggregate, np.ndarray] = {}  # sums only: none present is NULL
    for agg, v in zip(aggs, columns, strict=True):
        if agg.func in ("min", "max"):
            reduce = np.fmin if agg.func == "min" else np.fmax
            out = np.full(n_groups, np.nan)
            reduce.at(out, gid, v)
            extreme[agg] = out
        elif agg.func == "sum":
            present_count[agg] = np.bincount(gid[~np.isnan(v)], minlength=n_groups)
    totals = replicate_totals(values, gid, n_groups, weights, a, c, design.r)
    if checking is not None:
        design.check(checking.result(), n)

    by_agg: dict[Aggregate, np.ndarray] = {}
    for agg in aggs:
        if agg in extreme:
            by_agg[agg] = np.broadcast_to(extreme[agg], (replicates + 1, n_groups))
            continue
        first_col, second = slot[agg]
        total = totals[:, :, first_col]
        if agg.func == "mean":
            assert second is not None
            den = totals[:, :, second]
            with np.errstate(all="ignore"):
                by_agg[agg] = np.where(den == 0, np.nan, total / np.where(den == 0, 1.0, den))
        elif agg.func == "sum":  # SQL: a sum over no present value is NULL, not 0
            by_agg[agg] = np.where(present_count[agg] == 0, np.nan, total)
        else:
            by_agg[agg] = total
    result = np.empty((replicates + 1, n_groups, len(chosen)))
    for k, ident in enumerate(chosen):
        result[:, :, k] = _group_value(trees[ident], by_agg)
    n_units = np.bincount(gid, minlength=n_groups)
    return summarise(groups, by, list(chosen), result[0], result[1:], n_units, level,
                     cells=cell_design(gid, n_groups, design),
                     kinds=[interval_kind(trees[i]) for i in chosen],
                     effective=effective_df([trees[i] for i in chosen], values, slot, weights,
                                            gid, n_groups, design, totals=totals[0]))
