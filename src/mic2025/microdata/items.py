"""Item non-response: which units a formula uses when some of its fields are missing.

A unit that returned its form may still leave an item empty. SQL aggregates skip a missing
value one aggregate at a time, so in ``sum(rd_expenditure) / sum(revenue)`` a unit without
R&D stays in the denominator but never reaches the numerator, and in
``count_if(digital_design_tools > 0) / count()`` a unit without the item counts as "no
tools": both bias the estimate downwards. Each plan formula therefore declares its rule
(``definition.missing`` in the plan, :data:`RULES`):

``complete_cases`` (the default)
    A unit enters the formula only when every field the formula reads is present: each
    aggregate's argument is rewritten so that a missing item anywhere in the formula makes
    it missing too (``+ 0·f`` for every other field f of the formula; ``count()`` becomes
    ``count_if(0·f₁ + 0·f₂ … == 0)``, a ``count_if`` condition gets the same test with
    ``and``). For a present value ``x + 0·f`` is exactly x, so complete data give exactly
    the same numbers. It is unbiased when items are missing completely at random within
    the formula's population, and for ratios, shares and means the dropped units need no
    re-weighting (the ratio does not depend on the weight total). Totals (``sum(x)`` alone)
    would be biased low; no plan formula is a bare total.
``available_cases``
    Each aggregate uses the units that have its own fields (plain SQL semantics) — for
    formulas whose parts are meant to cover different units.

Item imputation within strata is not implemented. The rewrite happens once, in
:func:`mic2025.microdata.engine.plan_formulas`, so every engine (DuckDB, Spark), route and
the disclosure rules see the same formula; a mapping ``{id: formula}`` given to an engine
directly keeps SQL's available-case semantics.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from ..formula import (
    Aggregate,
    BinaryOp,
    BoolOp,
    Compare,
    Expr,
    FieldRef,
    Negate,
    Number,
    fields_of,
    parse,
    to_text,
)
from .sources import file_stamp

RULES = ("complete_cases", "available_cases")


def _zero_times(names: list[str]) -> Expr:
    """0·f₁ + 0·f₂ + …: 0 when every field is present, missing otherwise."""
    terms: list[Expr] = [BinaryOp("*", Number(0.0), FieldRef(n)) for n in names]
    out = terms[0]
    for term in terms[1:]:
        out = BinaryOp("+", out, term)
    return out


def _complete(agg: Aggregate, fields: list[str]) -> Aggregate:
    own = set(fields_of(agg.arg)) if agg.arg is not None else set()
    if agg.where is not None:
        own |= set(fields_of(agg.where))
    others = [f for f in fields if f not in own]
    if agg.func == "count":
        if not fields:
            return agg
        return Aggregate("count_if", Compare("==", _zero_times(fields), Number(0.0)))
    if not others:
        return agg
    assert agg.arg is not None
    if agg.func == "count_if":
        test = Compare("==", _zero_times(others), Number(0.0))
        return Aggregate("count_if", BoolOp("and", agg.arg, test))
    return Aggregate(agg.func, BinaryOp("+", agg.arg, _zero_times(others)), agg.where)


def _rewrite(tree: Expr, fields: list[str]) -> Expr:
    if isinstance(tree, Aggregate):
        return _complete(tree, fields)
    if isinstance(tree, Negate):
        return Negate(_rewrite(tree.operand, fields))
    if isinstance(tree, BinaryOp):
        return BinaryOp(tree.op, _rewrite(tree.left, fields), _rewrite(tree.right, fields))
    return tree


def with_item_rule(formula: str, rule: str = "complete_cases") -> str:
    """``formula`` as the engines compute it under ``rule`` (see the module docstring)."""
    if rule not in RULES:
        raise ValueError(f"unknown item non-response rule {rule!r}; choose from "
                         f"{', '.join(RULES)}")
    if rule == "available_cases":
        return formula
    tree = parse(formula)
    return to_text(_rewrite(tree, fields_of(tree)))


_PRESENCE = re.compile(r" \+ 0 \* [a-z_0-9]+")


def readable(text: str) -> str:
    """A rewritten sum's text without the presence terms, for messages."""
    return _PRESENCE.sub("", text)


def _zeros(e: Expr) -> bool:
    if isinstance(e, BinaryOp) and e.op == "*":
        return isinstance(e.left, Number) and e.left.value == 0 and isinstance(e.right, FieldRef)
    return isinstance(e, BinaryOp) and e.op == "+" and _zeros(e.left) and _zeros(e.right)


def is_presence(e: Expr | None) -> bool:
    """True for the presence test the rewrite adds (``0·f₁ + … == 0``)."""
    return (isinstance(e, Compare) and e.op == "==" and isinstance(e.right, Number)
            and e.right.value == 0 and _zeros(e.left))


def original(agg: Aggregate) -> Aggregate:
    """An aggregate without the rewrite's presence terms (for recognising a formula's
    shape); ``count_if`` of a bare presence test is ``count()``."""
    if agg.func == "count_if" and is_presence(agg.arg):
        return Aggregate("count")
    arg = agg.arg
    presence_and = (agg.func == "count_if" and isinstance(arg, BoolOp) and arg.op == "and"
                    and is_presence(arg.right))
    plus_zeros = isinstance(arg, BinaryOp) and arg.op == "+" and _zeros(arg.right)
    if presence_and or plus_zeros:
        assert isinstance(arg, BoolOp | BinaryOp)
        arg = arg.left
    return Aggregate(agg.func, arg, agg.where)


def known_complete(source: object) -> frozenset[str]:
    """Columns that certainly have no missing value, known without reading the data: a
    pyarrow table's null counts, or a local Parquet file's statistics (every row group's
    null count 0). Anything else (a query, a remote path, a Spark DataFrame): none."""
    import pyarrow as pa

    if isinstance(source, pa.Table):
        return frozenset(n for n, c in zip(source.column_names, source.columns, strict=True)
                         if c.null_count == 0)
    if not isinstance(source, str | Path) or not Path(source).is_file():
        return frozenset()
    stamp = file_stamp(source)
    return frozenset() if stamp is None else _complete_in_file(stamp)


@functools.lru_cache(maxsize=64)
def _complete_in_file(stamp: tuple[str, int, int]) -> frozenset[str]:
    """:func:`known_complete` of one version of a Parquet file (its footer is read once)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(stamp[0]).metadata
    except (OSError, pa.ArrowException):
        return frozenset()  # the engine reports what is wrong with the file
    complete = set()
    for j in range(meta.num_columns):
        stats = [meta.row_group(i).column(j).statistics for i in range(meta.num_row_groups)]
        if all(st is not None and st.has_null_count and st.null_count == 0 for st in stats):
            complete.add(meta.schema.column(j).path)
    return frozenset(complete)


def _drop(e: Expr, complete: frozenset[str]) -> Expr | None:
    """A chain 0·f₁ + 0·f₂ … without the fields in ``complete`` (None when none is left)."""
    if isinstance(e, BinaryOp) and e.op == "+":
        left, right = _drop(e.left, complete), _drop(e.right, complete)
        if left is None or right is None:
            return left if right is None else right
        return BinaryOp("+", left, right)
    assert isinstance(e, BinaryOp) and isinstance(e.right, FieldRef)
    return None if e.right.name in complete else e


def _simplified(agg: Aggregate, complete: frozenset[str]) -> Aggregate:
    arg = agg.arg
    if agg.func == "count_if" and is_presence(arg):
        assert isinstance(arg, Compare)
        left = _drop(arg.left, complete)
        return (Aggregate("count") if left is None
                else Aggregate("count_if", Compare("==", left, Number(0.0))))
    if (agg.func == "count_if" and isinstance(arg, BoolOp) and arg.op == "and"
            and is_presence(arg.right)):
        assert isinstance(arg.right, Compare)
        left = _drop(arg.right.left, complete)
        return Aggregate("count_if", arg.left if left is None else BoolOp(
            "and", arg.left, Compare("==", left, Number(0.0))))
    if isinstance(arg, BinaryOp) and arg.op == "+" and _zeros(arg.right):
        rest = _drop(arg.right, complete)
        return Aggregate(agg.func, arg.left if rest is None else BinaryOp("+", arg.left, rest),
                         agg.where)
    return agg


def _walk_aggregates(tree: Expr, complete: frozenset[str]) -> Expr:
    if isinstance(tree, Aggregate):
        return _simplified(tree, complete)
    if isinstance(tree, Negate):
        return Negate(_walk_aggregates(tree.operand, complete))
    if isinstance(tree, BinaryOp):
        return BinaryOp(tree.op, _walk_aggregates(tree.left, complete),
                        _walk_aggregates(tree.right, complete))
    return tree


def without_needless_terms(formulas: dict[str, str], source: object) -> dict[str, str]:
    """The formulas with the complete-case terms of fields that cannot be missing in
    ``source`` removed (:func:`known_complete`): the same numbers — x + 0·f is x for a
    present f — without the arithmetic, so the rewrite costs nothing on complete data."""
    complete = known_complete(source)
    if not complete:
        return formulas
    out = {}
    for ident, text in formulas.items():
        out[ident] = (to_text(_walk_aggregates(parse(text), complete))
                      if "0 * " in text else text)
    return out
