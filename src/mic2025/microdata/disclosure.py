"""How concentrated each cell's totals are: the numbers behind the dominance and p% rules.

Magnitude tables about enterprises are protected by sensitivity rules on the contributions
to each published total (Hundepool et al. 2012, *Statistical Disclosure Control*, Wiley,
§4.2): the **(n, k) dominance rule** calls a cell sensitive when its n largest
contributions make up more than k of the total; the **p% rule** when the total less the
two largest contributions is below p·(the largest) — the second contributor could then
estimate the first to within p%.

Which totals. Every ``sum`` aggregate of a formula (with its ``where`` filter) is a
published magnitude total; a formula's cell is as sensitive as its most sensitive sum.
Counts (``count``, ``count_if``) are frequencies, protected by the minimum-units rule
only, and ``mean``/``min``/``max`` are not totals. A unit's contribution is |x| — or
|w·x| for a sample, its share of the published weighted total (τ-ARGUS's "apply weights";
Hundepool et al. §4.2.3).

:func:`concentration_query` builds one SQL statement (a ``UNION ALL`` of one ranked
aggregation per sum) in any :class:`~mic2025.formula.Dialect`, so every engine runs the
same query (:meth:`mic2025.microdata.backends.Backend.concentration`);
:func:`sensitivity` turns its rows into, per cell and indicator, the share of the top n
and the p% margin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from ..formula import DIALECTS, Aggregate, Dialect, aggregates_of, parse, to_sql, to_text
from ..plan import Plan
from .engine import EngineError, chosen_formulas, group_sql
from .items import readable
from .schema import FIELD_NAMES
from .sources import Source, columns_of, own_connection, source_sql


def sum_aggregates(formula: str) -> list[Aggregate]:
    """The ``sum`` aggregates of a formula, left to right, without repeats."""

    return list(dict.fromkeys(a for a in aggregates_of(formula) if a.func == "sum"))


def concentration_query(
    formulas: Mapping[str, str],
    from_sql: str,
    *,
    by: Sequence[str],
    weighted: bool,
    weight_column: str = "design_weight",
    dialect: str | Dialect = "duckdb",
    top: int = 2,
) -> tuple[str, list[Aggregate]]:
    """The query and the sums it ranks (``__agg`` numbers them). Columns: the keys,
    ``__agg``, ``__total``, ``__top1`` … ``__top{top}`` (missing when fewer units) and
    ``__units`` (units with a value); one row per group and sum."""
    d = DIALECTS[dialect] if isinstance(dialect, str) else dialect
    sums = list(dict.fromkeys(a for text in formulas.values() for a in sum_aggregates(text)))
    if not sums:
        return "", []
    keys = group_sql(by, d)
    names = [d.ident(f"__k_{name}") for name, _ in keys]
    weight = f"CAST({d.ident(weight_column)} AS {d.double})"
    parts = []
    for j, agg in enumerate(sums):
        assert agg.arg is not None
        value = to_sql(agg.arg, dialect=d)
        if agg.where is not None:
            value = f"CASE WHEN {to_sql(agg.where, dialect=d)} THEN {value} END"
        if weighted:
            value = f"({weight} * {value})"
        select = [f"{sql} AS {name}" for (_, sql), name in zip(keys, names, strict=True)]
        inner = f"SELECT {', '.join([*select, f'ABS({value}) AS __c'])} FROM {from_sql}"
        partition = f"PARTITION BY {', '.join(names)} " if names else ""
        ranked = (f"SELECT *, ROW_NUMBER() OVER ({partition}ORDER BY __c DESC) AS __rn "
                  f"FROM ({inner}) AS __i{j} WHERE __c IS NOT NULL")
        tops = [f"MAX(CASE WHEN __rn = {i} THEN __c END) AS __top{i}"
                for i in range(1, top + 1)]
        part = (f"SELECT {', '.join([*names, f'{j} AS __agg', 'SUM(__c) AS __total', *tops])}, "
                f"COUNT(*) AS __units FROM ({ranked}) AS __r{j}")
        if names:
            part += f" GROUP BY {', '.join(names)}"
        parts.append(part)
    return " UNION ALL ".join(parts), sums


def concentration(
    source: Source,
    formulas: Plan | Mapping[str, str],
    *,
    by: Sequence[str] = ("year",),
    weighted: bool = False,
    weight_column: str = "design_weight",
    top: int = 2,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """The concentration rows of :func:`concentration_query` on DuckDB, with ``indicator``
    and ``total_of`` (the sum's text) for every formula that reads the sum."""
    con, source = own_connection(con, source)
    chosen = chosen_formulas(formulas, source)
    from_sql = source_sql(con, source)
    present = columns_of(con, from_sql)
    if weighted and weight_column not in present:
        raise EngineError(f"weighted=True but the source has no {weight_column!r} column")
    fields = [f for f in FIELD_NAMES if f in present]
    for text in chosen.values():
        parse(text, fields)
    query, sums = concentration_query(chosen, from_sql, by=by, weighted=weighted,
                                      weight_column=weight_column, top=top)
    rows = con.sql(query).to_arrow_table() if query else None
    return by_indicator(rows, sums, chosen, by, top)


def by_indicator(rows: pa.Table | None, sums: list[Aggregate], formulas: Mapping[str, str],
                 by: Sequence[str], top: int) -> pa.Table:
    """Rows per group and sum → rows per group, indicator and sum (the engines' common
    result): the keys, ``indicator``, ``total_of``, ``total``, ``top1`` … and ``units``."""
    columns: dict[str, list[object]] = {k: [] for k in [*by, "indicator", "total_of", "total",
                                                        *[f"top{i}" for i in
                                                          range(1, top + 1)], "units"]}
    if rows is not None:
        raw = rows.to_pylist()
        for ident, text in formulas.items():
            own = {sums.index(a) for a in sum_aggregates(text)}
            for row in raw:
                if row["__agg"] not in own:
                    continue
                for k in by:
                    columns[k].append(row[f"__k_{k}"])
                columns["indicator"].append(ident)
                columns["total_of"].append(readable(to_text(sums[row["__agg"]])))
                columns["total"].append(row["__total"])
                for i in range(1, top + 1):
                    columns[f"top{i}"].append(row[f"__top{i}"])
                columns["units"].append(row["__units"])
    types = {"indicator": pa.string(), "total_of": pa.string(), "total": pa.float64(),
             "units": pa.int64(), **{f"top{i}": pa.float64() for i in range(1, top + 1)}}
    return pa.table({k: pa.array(v, types.get(k)) for k, v in columns.items()})


@dataclass(frozen=True)
class Sensitivity:
    """One cell's most concentrated total: the share of its top n contributions, and the
    p% margin (total − top1 − top2) / top1 (∞ when top1 is 0)."""

    total_of: str
    top_share: float
    p_margin: float


def sensitivity(table: pa.Table, by: Sequence[str], n: int
                ) -> dict[tuple[object, ...], Sensitivity]:
    """Per (keys…, indicator): the sum with the largest top-n share, and the smallest p%
    margin over the formula's sums (each judged on its own total)."""
    out: dict[tuple[object, ...], Sensitivity] = {}
    for row in table.to_pylist():
        key = (*[row[k] for k in by], row["indicator"])
        total = row["total"] or 0.0
        tops = [row.get(f"top{i}") or 0.0 for i in range(1, n + 1)]
        first, second = row.get("top1") or 0.0, row.get("top2") or 0.0
        share = sum(tops) / total if total > 0 else 0.0
        margin = (total - first - second) / first if first > 0 else float("inf")
        seen = out.get(key)
        if seen is None:
            out[key] = Sensitivity(row["total_of"], share, margin)
        else:
            worst = row["total_of"] if share > seen.top_share else seen.total_of
            out[key] = Sensitivity(worst, max(share, seen.top_share),
                                   min(margin, seen.p_margin))
    return out
