"""Plan indicators from enterprise returns: every formula, grouped, in one SQL query.

:func:`compute` takes the indicators of a plan (each metric whose definition has a
``formula``) or a mapping ``{id: formula}``, compiles each with :func:`mic2025.formula.to_sql`
and runs a single ``SELECT … GROUP BY`` over a Parquet file, DuckDB table or relation. Group
keys are any of ``year``, ``province`` (the first two digits of ``area`` + ``0000``, a
GB/T 2260 province code), ``division`` and ``size_class``; no keys gives the national figure.

A census (all 规模以上 enterprises) is computed unweighted; a sample with ``weighted=True``,
which turns sums and counts into Horvitz–Thompson estimates and ratios of sums into ratio
estimators (see :mod:`mic2025.formula`). The query text comes from :func:`build_query`, which
takes a :class:`~mic2025.formula.Dialect`, so the same query runs on Spark SQL or PostgreSQL
once a source is registered there.

This is the DuckDB engine's point estimate; callers that may run on another engine reach it
through :class:`mic2025.microdata.backends.DuckDBBackend` (``backend("duckdb")``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

from ..formula import DIALECTS, Dialect, Expr, FormulaError, parse, to_sql
from ..plan import Plan
from .errors import EngineError
from .schema import FIELD_NAMES
from .sources import Source, columns_of, own_connection, source_sql

#: the group keys and their SQL; ``{string}`` is the dialect's string type
GROUP_KEYS: dict[str, str] = {
    "year": "year",
    "province": "substr(CAST(area AS {string}), 1, 2) || '0000'",
    "division": "CAST(division AS {string})",
    "size_class": "CAST(size_class AS {string})",
}


def plan_formulas(plan: Plan) -> dict[str, str]:
    """``{metric id: formula}`` for every indicator, project metric and series with a formula,
    each under the item non-response rule its definition declares (``missing``; see
    :mod:`.items`): what every engine computes for the plan."""
    from .items import with_item_rule

    out: dict[str, str] = {}
    for metric in (*plan.metrics(), *plan.series):
        if metric.definition is not None and metric.definition.formula:
            out[metric.id] = with_item_rule(metric.definition.formula,
                                            metric.definition.missing)
    return out


def chosen_formulas(formulas: Plan | Mapping[str, str], source: object = None
                    ) -> dict[str, str]:
    """The formulas an engine is asked for: a plan's (:func:`plan_formulas`) or the mapping's;
    none is refused. With ``source``, complete-case terms of fields that cannot be missing
    there are dropped (:func:`.items.without_needless_terms`; the numbers do not change)."""
    from .items import without_needless_terms

    chosen = plan_formulas(formulas) if isinstance(formulas, Plan) else dict(formulas)
    if not chosen:
        raise EngineError("no formulas to compute")
    return chosen if source is None else without_needless_terms(chosen, source)


def _checked(formulas: Mapping[str, str], fields: Sequence[str]) -> dict[str, Expr]:
    out = {}
    for ident, text in formulas.items():
        try:
            out[ident] = parse(text, fields)
        except FormulaError as exc:
            raise FormulaError(f"indicator {ident!r}: {exc.message}", exc.formula,
                               exc.col) from None
    return out


def group_sql(by: Sequence[str], dialect: str | Dialect = "duckdb") -> list[tuple[str, str]]:
    """(name, SQL) of each group key of ``by`` in ``dialect``; unknown or repeated keys are
    refused."""
    d = DIALECTS[dialect] if isinstance(dialect, str) else dialect
    unknown = [k for k in by if k not in GROUP_KEYS]
    if unknown:
        raise EngineError(f"cannot group by {unknown}; choose from {list(GROUP_KEYS)}")
    if len(set(by)) != len(by):
        raise EngineError(f"group keys repeat: {list(by)}")
    return [(k, GROUP_KEYS[k].format(string=d.string)) for k in by]


def build_query(
    formulas: Mapping[str, str],
    from_sql: str,
    *,
    by: Sequence[str] = ("year",),
    weighted: bool = False,
    weight_column: str = "design_weight",
    dialect: str | Dialect = "duckdb",
    extra_keys: Sequence[tuple[str, str]] = (),
    fields: Sequence[str] = FIELD_NAMES,
) -> str:
    """The one ``SELECT`` that computes every formula per group.

    ``extra_keys`` are (name, SQL) pairs grouped before ``by`` (the bootstrap adds the
    replicate number). Columns: the keys, ``n_units`` (rows in the group), then one column
    per formula, named by its id.
    """
    d = DIALECTS[dialect] if isinstance(dialect, str) else dialect
    # the same request compiles to the same text: remembered (parsing and compiling nine
    # formulas is a few ms of every estimate)
    return _compiled(tuple(formulas.items()), from_sql, tuple(by), weighted, weight_column, d,
                     tuple(extra_keys), tuple(fields))


@functools.lru_cache(maxsize=128)
def _compiled(formulas: tuple[tuple[str, str], ...], from_sql: str, by: tuple[str, ...],
              weighted: bool, weight_column: str, d: Dialect,
              extra_keys: tuple[tuple[str, str], ...], fields: tuple[str, ...]) -> str:
    trees = _checked(dict(formulas), fields)
    keys = [*extra_keys, *group_sql(by, d)]
    select = [f"{sql} AS {d.ident(name)}" for name, sql in keys]
    select.append(f"COUNT(*) AS {d.ident('n_units')}")
    select += [f"{to_sql(tree, dialect=d, weighted=weighted, weight_column=weight_column)}"
               f" AS {d.ident(ident)}" for ident, tree in trees.items()]
    query = f"SELECT {', '.join(select)} FROM {from_sql}"
    if keys:
        positions = ", ".join(str(i + 1) for i in range(len(keys)))
        query += f" GROUP BY {positions} ORDER BY {positions}"
    return query


def compute(
    source: Source,
    formulas: Plan | Mapping[str, str],
    *,
    by: Sequence[str] = ("year",),
    weighted: bool = False,
    weight_column: str = "design_weight",
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.Table:
    """Every formula per group of ``by``, in one query; returns a pyarrow table.

    ``formulas`` is a plan (its metrics with formulas) or ``{id: formula}``. Formulas must
    read fields of :mod:`.schema` that the source has.
    """
    con, source = own_connection(con, source)
    chosen = chosen_formulas(formulas, source)
    from_sql = source_sql(con, source)
    present = columns_of(con, from_sql, source)
    if weighted and weight_column not in present:
        raise EngineError(f"weighted=True but the source has no {weight_column!r} column")
    fields = [f for f in FIELD_NAMES if f in present]
    query = build_query(chosen, from_sql, by=by, weighted=weighted, weight_column=weight_column,
                        fields=fields)
    return con.sql(query).to_arrow_table()
