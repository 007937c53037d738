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

Suppression (:func:`suppress`, :class:`SuppressionRule`)
    Confidentiality: a cell (group × indicator) is not published when it rests on fewer
    than ``min_units`` units (two enterprises could each work out the other's figure), when
    the n largest contributions hold more than k of one of its totals (dominance), or when
    the rest of a total is below p% of its largest contribution (p% rule; see
    :mod:`.disclosure`); complementary cells are suppressed so that none of these can be
    recovered from a margin. Quality: a cell whose SE cannot be estimated (a stratum with
    one respondent and no neighbour, df < 1, or an SE of 0 from sampled units) or whose
    coefficient of variation SE/|estimate| exceeds ``max_cv`` — statistical offices mark
    such estimates "too unreliable to be published" (Statistics Canada uses CV > 33.3%;
    30% is a common choice); the CV is computed only where the SE is estimable and the
    estimate is not 0. Suppressed cells stay in the table with ``suppressed`` true, the
    ``rule`` and a ``reason``; published cells say in ``reason`` why they passed.
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
    """When a cell is not published (see :func:`suppress`).

    Confidentiality: fewer than ``min_units`` units (default 3); the ``dominance`` (n, k)
    rule — the n largest contributions above k of a total (default (2, 0.85)); the p% rule
    — total − top1 − top2 < ``p_percent``·top1 (default 0.10); ``None`` turns a rule off.
    Quality: the SE cannot be estimated, or CV = SE/|estimate| above ``max_cv`` (default
    0.30; ``None`` turns both quality rules off — a census has no sampling error).
    ``secondary``: suppress complementary cells so that no confidential cell can be
    recovered from a margin (default on).
    """

    min_units: int = 3
    max_cv: float | None = 0.30
    dominance: tuple[int, float] | None = (2, 0.85)
    p_percent: float | None = 0.10
    secondary: bool = True

    def describe(self) -> str:
        parts = [f"fewer than {self.min_units} units"]
        if self.dominance is not None:
            n, k = self.dominance
            parts.append(f"top {n} above {k:.0%} of a total")
        if self.p_percent is not None:
            parts.append(f"p% rule with p = {self.p_percent:.0%}")
        if self.max_cv is not None:
            parts.append(f"SE not estimable or CV > {self.max_cv:.0%}")
        text = "suppressed when " + ", ".join(parts[:-1]) + (" or " if len(parts) > 1
                                                             else "") + parts[-1]
        if self.secondary:
            text += "; secondary suppression protects every confidential cell in its margins"
        return text


#: rules whose suppressions protect a respondent (a margin must not give them away)
CONFIDENTIAL = ("min_units", "dominance", "p_percent", "secondary")


def suppress(estimates: pa.Table, rule: SuppressionRule | None = None, *,
             concentration: pa.Table | None = None, by: Sequence[str] = ()) -> pa.Table:
    """Apply ``rule`` to a table of estimates (one row per group and indicator, keys ``by``).

    Needs ``estimate`` and ``n_units``; uses ``se``, ``df`` and ``se_estimable`` when
    present, and ``concentration`` (:meth:`.backends.Backend.concentration` of the same
    groups) for the dominance and p% rules. Adds ``cv`` (only where the SE is estimable
    and the estimate is not 0), ``suppressed``, ``rule`` (the rules that suppressed the cell,
    comma-separated: ``min_units``, ``dominance``, ``p_percent``, ``se_not_estimable``,
    ``cv``, ``secondary``) and ``reason`` — for a suppressed cell why, for a published one
    why it passed each rule — and blanks the estimate, SE and interval of suppressed cells.
    Nothing is dropped.

    Secondary suppression: for every indicator and year, the cells that differ in one
    other key only (all provinces of a year; all divisions of a province) add up to a margin
    that is, or may be, published elsewhere. When such a line holds a confidential
    suppression and only one unpublished cell, its published cell with the fewest units is
    suppressed too, until no line gives a cell away. (Shares and ratios are not sums, but
    their numerators and denominators are; the rule assumes the worst.)
    """
    from .disclosure import sensitivity

    rule = rule or SuppressionRule()
    rows = estimates.to_pylist()
    n_top = rule.dominance[0] if rule.dominance is not None else 2
    sens = (sensitivity(concentration, by, n_top) if concentration is not None else {})
    cvs: list[float | None] = []
    rules: list[list[str]] = []
    why: list[list[str]] = []
    passed: list[list[str]] = []
    for row in rows:
        est, se, n = row["estimate"], row.get("se"), int(row["n_units"])
        hit: list[str] = []
        text: list[str] = []
        ok: list[str] = []
        if n < rule.min_units:
            hit.append("min_units")
            text.append(f"fewer than {rule.min_units} units (n={n})")
        else:
            ok.append(f"n={n} ≥ {rule.min_units}")
        cell = sens.get((*[row[k] for k in by], row["indicator"]))
        if cell is not None and rule.dominance is not None:
            top, k = rule.dominance
            if cell.top_share > k:
                hit.append("dominance")
                text.append(f"top {top} hold {cell.top_share:.0%} > {k:.0%} of "
                            f"{cell.total_of}")
            else:
                ok.append(f"top {top} {cell.top_share:.0%} ≤ {k:.0%}")
        if cell is not None and rule.p_percent is not None:
            if cell.p_margin < rule.p_percent:
                hit.append("p_percent")
                text.append(f"p% rule: the rest of {cell.total_of} is "
                            f"{max(cell.p_margin, 0):.0%} < {rule.p_percent:.0%} of its "
                            "largest contribution")
            elif cell.p_margin != float("inf"):
                ok.append(f"p% margin {cell.p_margin:.0%} ≥ {rule.p_percent:.0%}")
        cv = None
        estimable = bool(row.get("se_estimable", se is not None))
        if est is not None and se is not None and estimable and est != 0:
            cv = se / abs(est)
        # a census (long_estimates: replicates empty) has no sampling error to judge
        census = "replicates" in row and row["replicates"] is None
        if census and est is not None:
            ok.append("census (no sampling error)")
        elif rule.max_cv is not None and est is not None and "se" in row:
            if not estimable or se is None:
                hit.append("se_not_estimable")
                text.append(_no_se(row))
            elif cv is None:
                hit.append("cv")
                text.append("CV undefined (estimate 0)")
            elif cv > rule.max_cv:
                hit.append("cv")
                text.append(f"CV {cv:.0%} > {rule.max_cv:.0%}")
            else:
                df, design_df = row.get("df"), row.get("design_df")
                shown = ("" if df is None else f" (df {df})" if design_df in (None, df)
                         else f" (df {df}, design df {design_df})")
                ok.append(f"CV {cv:.0%} ≤ {rule.max_cv:.0%}{shown}")
        cvs.append(cv)
        rules.append(hit)
        why.append(text)
        passed.append(ok)
    if rule.secondary:
        _secondary(rows, by, rules, why)
    flags = [bool(h) for h in rules]
    reasons = ["; ".join(w) if h else "published: " + "; ".join(o)
               for h, w, o in zip(rules, why, passed, strict=True)]
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
            .append_column("rule", pa.array([",".join(h) or None for h in rules], pa.string()))
            .append_column("reason", pa.array(reasons, pa.string())))


def _no_se(row: dict[str, object]) -> str:
    if row.get("singletons"):
        return "SE not estimable (a stratum with one respondent and no neighbour)"
    if row.get("se") is None:
        return "SE not estimable (no replicate gave a value)"
    if row.get("se") == 0:
        return "SE not estimable (0 from sampled units: the replicates never varied)"
    return f"SE not estimable (design df {row.get('design_df', row.get('df'))} < 1)"


def _secondary(rows: list[dict[str, object]], by: Sequence[str], rules: list[list[str]],
               why: list[list[str]]) -> None:
    """Complementary suppressions (see :func:`suppress`), in place."""
    free = [k for k in by if k != "year"]
    if not free:
        return
    lines: dict[tuple[object, ...], list[int]] = {}
    for i, row in enumerate(rows):
        for k in free:
            fixed = tuple((x, row[x]) for x in by if x != k)
            lines.setdefault((k, row["indicator"], *fixed), []).append(i)
    changed = True
    while changed:
        changed = False
        for line, members in lines.items():
            k = str(line[0])
            if len(members) < 2:
                continue
            hidden = [i for i in members if rules[i]]
            if len(hidden) != 1 or not any(r in CONFIDENTIAL for r in rules[hidden[0]]):
                continue
            shown = [i for i in members if not rules[i] and rows[i]["estimate"] is not None]
            if not shown:
                continue
            pick = min(shown, key=lambda i: (int(str(rows[i]["n_units"])), i))
            protected = rows[hidden[0]]
            rules[pick].append("secondary")
            why[pick].append(f"secondary: protects {k} {protected[k]} in the {k} margin")
            changed = True


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
