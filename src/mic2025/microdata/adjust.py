"""Before and after estimation: non-response adjustment of the weights, small-cell suppression.

Non-response (:func:`adjust_for_nonresponse`)
    Weighting-class adjustment (Kalton & Flores-Cervantes 2003, *J. Official Statistics* 19,
    81–97; Särndal, Swensson & Wretman 1992, §15.6): within each class — by default the
    sample stratum within its year, where the sampled units were selected with equal
    probability — the respondents carry the weight of the non-respondents,

        w_adj = w · n_selected / n_responding.

    It assumes that within a class units respond at random (missing at random given the
    class). Non-respondents leave the table; the original weight stays in ``base_weight``
    and the factor in ``nonresponse_factor``. A class in which nobody responded cannot be
    adjusted and is an error that names it (collapse it with a neighbour first). The
    bootstrap then treats the respondents as the sample drawn in each stratum, the usual
    approximation when the replicates do not repeat the adjustment.

Suppression (:func:`suppress`)
    A cell (group × indicator) is not published when it rests on fewer than ``min_units``
    units — a confidentiality rule: two enterprises could each work out the other's figure —
    or when its coefficient of variation SE/|estimate| exceeds ``max_cv`` — a quality rule,
    as statistical offices mark estimates "too unreliable to be published" (Statistics
    Canada uses CV > 33.3%; 30% is a common choice). Suppressed cells stay in the table
    with ``suppressed`` true and a ``reason``; their estimate, SE and interval are blanked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from .engine import EngineError
from .sources import ROW_COLUMN, Source, columns_of, own_connection, source_sql

#: the column that says whether a selected unit returned its form
RESPONDING = "responding"


def adjust_for_nonresponse(
    source: Source,
    *,
    responding: str = RESPONDING,
    weight_column: str = "design_weight",
    classes: Sequence[str] = ("year", "stratum"),
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """The responding units with weights adjusted within ``classes`` (see module docstring).

    ``responding`` is a boolean (or 0/1) column; a missing value is an error, since a unit
    either returned its form or did not. Row order is kept. The schema metadata of a
    pyarrow source (the synthetic label) is kept too.
    """
    con, source = own_connection(con, source)
    from_sql = source_sql(con, source, row_numbers=True)
    present = columns_of(con, from_sql)
    for needed in (responding, weight_column, *classes):
        if needed not in present:
            raise EngineError(f"non-response adjustment needs a {needed!r} column")
    flag = f'CAST("{responding}" AS BOOLEAN)'
    unknown = con.sql(f"SELECT {ROW_COLUMN} FROM {from_sql} WHERE {flag} IS NULL "
                      f"ORDER BY 1 LIMIT 5").fetchall()
    if unknown:
        rows = ", ".join(str(r[0]) for r in unknown)
        raise EngineError(f"column {responding!r} is empty in row(s) {rows}: every selected "
                          "unit either responded (true) or did not (false)")
    part = ", ".join(f'"{c}"' for c in classes)
    counted = (f"SELECT *, COUNT(*) OVER (PARTITION BY {part}) AS __n_sel, "
               f"SUM(CASE WHEN {flag} THEN 1 ELSE 0 END) OVER (PARTITION BY {part}) AS __n_resp "
               f"FROM {from_sql}")
    empty = con.sql(f"SELECT DISTINCT {part} FROM ({counted}) WHERE __n_resp = 0 "
                    f"ORDER BY ALL LIMIT 5").fetchall()
    if empty:
        names = "; ".join("/".join(str(v) for v in row) for row in empty)
        raise EngineError(f"no unit responded in class(es) {names} (by {', '.join(classes)}); "
                          "their weight cannot be carried — collapse them with a neighbour")
    factor = "CAST(__n_sel AS DOUBLE) / __n_resp"
    table = con.sql(
        f"SELECT * EXCLUDE ({ROW_COLUMN}, __n_sel, __n_resp, \"{weight_column}\"), "
        f"\"{weight_column}\" * {factor} AS \"{weight_column}\", "
        f"CAST(\"{weight_column}\" AS DOUBLE) AS base_weight, {factor} AS nonresponse_factor "
        f"FROM ({counted}) WHERE {flag} ORDER BY {ROW_COLUMN}").to_arrow_table()
    # keep the column order of the source, the new columns last
    order = [c for c in present if c != ROW_COLUMN and c in table.column_names]
    table = table.select([*order, "base_weight", "nonresponse_factor"])
    if isinstance(source, pa.Table) and source.schema.metadata:
        table = table.replace_schema_metadata(source.schema.metadata)
    return table


@dataclass(frozen=True)
class SuppressionRule:
    """When a cell is not published: fewer than ``min_units`` units, or CV above ``max_cv``.

    Defaults: 3 units (the usual confidentiality threshold) and a CV of 0.30. ``max_cv=None``
    turns the quality rule off (a census has no sampling error to measure).
    """

    min_units: int = 3
    max_cv: float | None = 0.30

    def describe(self) -> str:
        cv = "" if self.max_cv is None else f" or CV > {self.max_cv:.0%}"
        return f"suppressed when fewer than {self.min_units} units{cv}"


def suppress(estimates: pa.Table, rule: SuppressionRule | None = None) -> pa.Table:
    """Apply ``rule`` to a table of estimates (one row per group and indicator).

    Needs ``estimate`` and ``n_units``; uses ``se`` when present. Adds ``cv``, ``suppressed``
    and ``reason`` and blanks the estimate, SE and interval of suppressed cells. Nothing is
    dropped: every cell is still there to be reported.
    """
    rule = rule or SuppressionRule()
    rows = estimates.to_pylist()
    cvs: list[float | None] = []
    flags: list[bool] = []
    reasons: list[str | None] = []
    for row in rows:
        est, se, n = row["estimate"], row.get("se"), int(row["n_units"])
        cv = None
        if est is not None and se is not None:
            cv = se / abs(est) if est != 0 else (0.0 if se == 0 else float("inf"))
        why = []
        if n < rule.min_units:
            why.append(f"fewer than {rule.min_units} units (n={n})")
        if rule.max_cv is not None and cv is not None and cv > rule.max_cv:
            why.append(f"CV {cv:.0%} > {rule.max_cv:.0%}")
        cvs.append(None if cv is None or cv == float("inf") else cv)
        flags.append(bool(why))
        reasons.append("; ".join(why) or None)
    mask = pa.array(flags, pa.bool_())
    out = estimates
    for name in ("estimate", "se", "ci_low", "ci_high"):
        if name in out.column_names:
            at = out.schema.get_field_index(name)
            column = out.column(name)
            out = out.set_column(at, name, pc.if_else(mask, pa.nulls(len(flags), column.type),
                                                      column))
    return (out.append_column("cv", pa.array(cvs, pa.float64()))
            .append_column("suppressed", mask)
            .append_column("reason", pa.array(reasons, pa.string())))


def long_estimates(wide: pa.Table, by: Sequence[str]) -> pa.Table:
    """A table of :func:`.engine.compute` (one column per indicator) in the long form of the
    bootstrap (one row per group and indicator, ``se`` and interval empty: a census)."""
    indicators = [c for c in wide.column_names if c not in (*by, "n_units")]
    out: dict[str, list[object]] = {k: [] for k in [*by, "indicator", "estimate", "se",
                                                    "ci_low", "ci_high", "replicates",
                                                    "n_units"]}
    rows = wide.to_pylist()
    for ind in indicators:
        for row in rows:
            for k in by:
                out[k].append(row[k])
            out["indicator"].append(ind)
            out["estimate"].append(row[ind])
            for k in ("se", "ci_low", "ci_high", "replicates"):
                out[k].append(None)
            out["n_units"].append(row["n_units"])
    types = {"estimate": pa.float64(), "se": pa.float64(), "ci_low": pa.float64(),
             "ci_high": pa.float64(), "replicates": pa.int64(), "n_units": pa.int64(),
             "indicator": pa.string()}
    return pa.table({k: pa.array(v, types.get(k, wide.schema.field(k).type if k in by
                                              else None)) for k, v in out.items()})
