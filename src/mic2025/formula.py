"""The indicator formula language: parsed by hand, never ``eval``'d, compiled to SQL.

A plan file states how an indicator is computed from enterprise returns, e.g.::

    sum(rd_expenditure) / sum(revenue) * 100            # ratio of sums (研发强度)
    mean(key_processes_nc / key_processes) * 100        # mean of rates (关键工序数控化率)
    count_if(digital_design_tools > 0) / count() * 100  # share of enterprises
    sum(revenue where employees >= 1000) / sum(revenue) * 100

Grammar (lowest precedence first; ``×`` ``÷`` ``−`` are accepted for ``*`` ``/`` ``-``)::

    formula   := or
    or        := and ("or" and)*
    and       := not ("and" not)*
    not       := "not" not | compare
    compare   := additive [("<" | "<=" | ">" | ">=" | "==" | "!=") additive]
    additive  := term (("+" | "-") term)*
    term      := unary (("*" | "/") unary)*
    unary     := ("-" | "+") unary | primary
    primary   := NUMBER | FIELD | FUNCTION "(" [or ["where" or]] ")" | "(" or ")"

Aggregates: ``sum(x)``, ``mean(x)``, ``min(x)``, ``max(x)`` (each with an optional
``where`` filter), ``count()`` and ``count_if(condition)``.

Rules, checked by :func:`parse` with the column of the offending token:

* aggregates do not nest, and every field is inside an aggregate (a formula describes a
  population, not a row); literals may appear anywhere;
* comparisons and ``and``/``or``/``not`` appear only inside ``count_if`` or a ``where``
  filter; the formula as a whole gives a number and contains at least one aggregate;
* with a declared set of fields, unknown names are refused with a suggestion.

Semantics (the same in every engine, and in :func:`evaluate`, the numpy reference):

* a missing value (SQL NULL, NaN in numpy) propagates through row arithmetic and is skipped
  by aggregates; an aggregate over no values is NULL, except the counts, which are 0;
* every division, at row or at aggregate level, divides by ``NULLIF(denominator, 0)``: a
  zero denominator gives NULL, never an error. ``mean(key_processes_nc / key_processes)``
  therefore averages over the enterprises that have key processes;
* a comparison with a missing value is unknown (SQL three-valued logic): ``count_if`` and
  ``where`` keep a row only when the condition is true.

Survey weights (``weighted=True`` in :func:`to_sql`): totals become Horvitz–Thompson
estimates, ``sum(x)`` → Σ w·x and ``count()`` → Σ w, so a ratio of two sums is the ratio
estimator; ``mean(r)`` → Σ w·r / Σ w over units with r present (the Hájek mean). ``min`` and
``max`` are not weighted. References: Horvitz & Thompson (1952), *JASA* 47, 663–685;
Särndal, Swensson & Wretman (1992), *Model Assisted Survey Sampling*, §5.6–5.7 (ratio
estimator, Hájek estimator).

SQL dialects differ only in quoting and the names of the double and string types
(:class:`Dialect`): DuckDB, Spark SQL and PostgreSQL are defined; every field is cast to
double, every division uses ``NULLIF``, literals carry an exponent and counts are cast to
double, so every value is double and integer division never truncates.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .errors import Mic2025Error

__all__ = [
    "AGGREGATES",
    "DIALECTS",
    "Aggregate",
    "BinaryOp",
    "BoolOp",
    "Compare",
    "Dialect",
    "Expr",
    "FieldRef",
    "FormulaError",
    "Negate",
    "Not",
    "Number",
    "evaluate",
    "fields_of",
    "parse",
    "to_sql",
    "to_text",
]

AGGREGATES = ("sum", "mean", "min", "max", "count", "count_if")
_KEYWORDS = frozenset({"and", "or", "not", "where"})
_ALIASES = {"avg": "mean", "average": "mean", "total": "sum", "countif": "count_if",
            "n": "count", "minimum": "min", "maximum": "max"}
MAX_NESTING = 48  # parentheses and unary operators; keeps recursion far below Python's limit
MAX_DEPTH = 200  # of the syntax tree (long chains like a+b+c+…)


class FormulaError(Mic2025Error):
    """A formula cannot be parsed or breaks a rule of the language.

    ``col`` is the 1-based column in ``formula`` of the offending token; ``str(error)``
    reads ``col 12: unknown field 'revnue' (did you mean 'revenue'?)``.
    """

    def __init__(self, message: str, formula: str = "", col: int = 1) -> None:
        self.message = message
        self.formula = formula
        self.col = col
        super().__init__(f"col {col}: {message}")

    def pointer(self) -> str:
        """The formula with a caret under the offending column."""
        return f"{self.formula}\n{' ' * (self.col - 1)}^"


# --------------------------------------------------------------------------- syntax tree
# ``col`` is where a node starts in its source text; it takes no part in equality, so a
# formula printed and parsed again compares equal to the original tree.


@dataclass(frozen=True)
class Number:
    value: float
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class FieldRef:
    name: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Negate:
    operand: Expr
    col: int = field(default=0, compare=False)


ArithOp = Literal["+", "-", "*", "/"]
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]


@dataclass(frozen=True)
class BinaryOp:
    op: ArithOp
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    left: Expr
    right: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Expr
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Aggregate:
    func: Literal["sum", "mean", "min", "max", "count", "count_if"]
    arg: Expr | None = None
    where: Expr | None = None
    col: int = field(default=0, compare=False)


Expr = Number | FieldRef | Negate | BinaryOp | Compare | BoolOp | Not | Aggregate


def _children(e: Expr) -> tuple[Expr, ...]:
    if isinstance(e, Negate | Not):
        return (e.operand,)
    if isinstance(e, BinaryOp | Compare | BoolOp):
        return (e.left, e.right)
    if isinstance(e, Aggregate):
        return tuple(x for x in (e.arg, e.where) if x is not None)
    return ()


def _walk(e: Expr) -> Iterator[Expr]:
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(_children(node)))


def fields_of(expr: Expr | str) -> list[str]:
    """The field names a formula reads, in order of first appearance."""
    tree = parse(expr) if isinstance(expr, str) else expr
    seen: dict[str, None] = {}
    for node in _walk(tree):
        if isinstance(node, FieldRef):
            seen.setdefault(node.name)
    return list(seen)


def aggregates_of(expr: Expr | str) -> list[Aggregate]:
    """The aggregates of a formula (they never nest), left to right, repeats kept."""
    tree = parse(expr) if isinstance(expr, str) else expr
    return [node for node in _walk(tree) if isinstance(node, Aggregate)]


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Token:
    kind: Literal["num", "name", "op", "end"]
    text: str
    col: int


_TOKEN = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<num>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|<>|[-+*/()<>=,×÷−])
    """,
    re.VERBOSE,
)
_UNICODE_OPS = {"×": "*", "÷": "/", "−": "-"}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FormulaError(f"unexpected character {text[pos]!r}", text, pos + 1)
        kind = m.lastgroup
        if kind != "space":
            tok = m.group()
            if kind == "op":
                if tok in ("<>", "="):
                    hint = "!=" if tok == "<>" else "=="
                    raise FormulaError(f"unknown operator {tok!r}; write {hint!r}", text, pos + 1)
                tok = _UNICODE_OPS.get(tok, tok)
            elif kind == "num" and m.end() < len(text) and (
                    text[m.end()].isalnum() or text[m.end()] in "_."):
                raise FormulaError(f"malformed number {text[pos:m.end() + 1]!r}", text, pos + 1)
            tokens.append(_Token(kind, tok, pos + 1))  # type: ignore[arg-type]
        pos = m.end()
    tokens.append(_Token("end", "", len(text) + 1))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.nesting = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def error(self, message: str, tok: _Token | None = None) -> FormulaError:
        return FormulaError(message, self.text, (tok or self.tok).col)

    def describe(self, tok: _Token) -> str:
        return "the end of the formula" if tok.kind == "end" else repr(tok.text)

    def advance(self) -> _Token:
        tok = self.tok
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        return self.tok.kind in ("op", "name") and self.tok.text in texts

    def expect(self, text: str, what: str) -> _Token:
        if not self.at(text):
            raise self.error(f"expected {what}, found {self.describe(self.tok)}")
        return self.advance()

    def enter(self) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.error(f"formula nests deeper than {MAX_NESTING} levels")

    def parse(self) -> Expr:
        if self.tok.kind == "end":
            raise self.error("empty formula; expected an expression such as sum(revenue)")
        expr = self.parse_or()
        if self.tok.kind != "end":
            tok = self.tok
            if tok.kind in ("num", "name") or tok.text == "(":
                raise self.error(f"expected an operator, found {self.describe(tok)}")
            raise self.error(f"unexpected {self.describe(tok)}")
        return expr

    def parse_or(self) -> Expr:
        left = self.parse_and()
        while self.at("or"):
            tok = self.advance()
            left = BoolOp("or", left, self.parse_and(), tok.col)
        return left

    def parse_and(self) -> Expr:
        left = self.parse_not()
        while self.at("and"):
            tok = self.advance()
            left = BoolOp("and", left, self.parse_not(), tok.col)
        return left

    def parse_not(self) -> Expr:
        if self.at("not"):
            tok = self.advance()
            self.enter()
            operand = self.parse_not()
            self.nesting -= 1
            return Not(operand, tok.col)
        return self.parse_compare()

    def parse_compare(self) -> Expr:
        left = self.parse_additive()
        if self.tok.kind == "op" and self.tok.text in ("<", "<=", ">", ">=", "==", "!="):
            tok = self.advance()
            right = self.parse_additive()
            if self.tok.kind == "op" and self.tok.text in ("<", "<=", ">", ">=", "==", "!="):
                raise self.error("comparisons cannot be chained; join them with 'and'")
            return Compare(tok.text, left, right, tok.col)  # type: ignore[arg-type]
        return left

    def parse_additive(self) -> Expr:
        left = self.parse_term()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            tok = self.advance()
            left = BinaryOp(tok.text, left, self.parse_term(), tok.col)  # type: ignore[arg-type]
        return left

    def parse_term(self) -> Expr:
        left = self.parse_unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            tok = self.advance()
            left = BinaryOp(tok.text, left, self.parse_unary(), tok.col)  # type: ignore[arg-type]
        return left

    def parse_unary(self) -> Expr:
        if self.tok.kind == "op" and self.tok.text in ("-", "+"):
            tok = self.advance()
            self.enter()
            operand = self.parse_unary()
            self.nesting -= 1
            return Negate(operand, tok.col) if tok.text == "-" else operand
        return self.parse_primary()

    def parse_primary(self) -> Expr:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            value = float(tok.text)
            if not math.isfinite(value):
                raise self.error(f"number {tok.text} is too large", tok)
            return Number(value, tok.col)
        if tok.kind == "name":
            if tok.text in _KEYWORDS:
                raise self.error(f"expected a number, a field or a function, found {tok.text!r}")
            self.advance()
            if self.at("("):
                return self.parse_call(tok)
            return FieldRef(tok.text, tok.col)
        if self.at("("):
            self.advance()
            self.enter()
            inner = self.parse_or()
            self.nesting -= 1
            self.expect(")", "')' to close the '(' at col " + str(tok.col))
            return inner
        raise self.error(f"expected a number, a field or a function, found {self.describe(tok)}")

    def parse_call(self, name: _Token) -> Expr:
        func = name.text
        if func not in AGGREGATES:
            guess = _ALIASES.get(func) or next(iter(difflib.get_close_matches(func, AGGREGATES, 1)),
                                                None)
            hint = f" (did you mean {guess!r}?)" if guess else f"; known: {', '.join(AGGREGATES)}"
            raise self.error(f"unknown function {func!r}{hint}", name)
        self.advance()  # "("
        self.enter()
        arg: Expr | None = None
        where: Expr | None = None
        if not self.at(")"):
            if self.at("where"):
                raise self.error(f"{func}() needs an argument before 'where'")
            arg = self.parse_or()
            if self.at("where"):
                where_tok = self.advance()
                if func in ("count", "count_if"):
                    raise self.error(f"{func}() takes no 'where' filter; "
                                     "write count_if(condition)", where_tok)
                where = self.parse_or()
        if self.at(","):
            raise self.error(f"{func}() takes one argument; filter rows with 'where'")
        self.expect(")", f"')' to close {func}( at col {name.col}")
        self.nesting -= 1
        if func == "count" and arg is not None:
            raise self.error("count() takes no argument; use count_if(condition) to count "
                             "the rows that meet a condition", name)
        if func != "count" and arg is None:
            needs = "a condition" if func == "count_if" else "an expression"
            raise self.error(f"{func}() needs {needs}", name)
        return Aggregate(func, arg, where, name.col)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- checking


def _is_bool(e: Expr) -> bool:
    return isinstance(e, Compare | BoolOp | Not)


def _check(text: str, tree: Expr, fields: Collection[str] | None) -> None:
    depth = _depth(tree)
    if depth > MAX_DEPTH:
        raise FormulaError(f"formula is too long ({depth} levels deep; at most {MAX_DEPTH})",
                           text, 1)
    known = None if fields is None else set(fields)
    has_aggregate = False

    def fail(message: str, node: Expr) -> FormulaError:
        return FormulaError(message, text, max(node.col, 1))

    def visit(node: Expr, inside: Aggregate | None, want_bool: bool) -> None:
        nonlocal has_aggregate
        if want_bool and not _is_bool(node):
            where = f"{inside.func}()" if inside else "here"
            raise fail(f"expected a condition (a comparison such as x > 0) in {where}", node)
        if not want_bool and _is_bool(node):
            if inside is None:
                raise fail("a condition cannot stand outside an aggregate; put it in "
                           "count_if(...) or a where filter", node)
            raise fail(f"expected a number in {inside.func}(), found a condition"
                       + ("; use count_if(condition)" if inside.func != "count_if" else ""),
                       node)
        if isinstance(node, FieldRef):
            if inside is None:
                raise fail(f"field {node.name!r} is outside an aggregate; wrap it in "
                           "sum(), mean(), min() or max()", node)
            if known is not None and node.name not in known:
                guess = difflib.get_close_matches(node.name, sorted(known), 1)
                hint = f" (did you mean {guess[0]!r}?)" if guess else ""
                raise fail(f"unknown field {node.name!r}{hint}", node)
        elif isinstance(node, Negate):
            visit(node.operand, inside, False)
        elif isinstance(node, BinaryOp | Compare):
            visit(node.left, inside, False)
            visit(node.right, inside, False)
        elif isinstance(node, BoolOp):
            visit(node.left, inside, True)
            visit(node.right, inside, True)
        elif isinstance(node, Not):
            visit(node.operand, inside, True)
        elif isinstance(node, Aggregate):
            if inside is not None:
                raise fail(f"aggregates cannot nest: {node.func}() inside {inside.func}()", node)
            has_aggregate = True
            if node.arg is not None:
                visit(node.arg, node, node.func == "count_if")
            if node.where is not None:
                visit(node.where, node, True)

    visit(tree, None, False)
    if not has_aggregate:
        raise FormulaError("a formula must aggregate over enterprises, e.g. sum(revenue); "
                           "found no sum, mean, min, max, count or count_if", text, 1)


def _depth(tree: Expr) -> int:
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((c, d + 1) for c in _children(node))
    return deepest


def parse(text: str, fields: Collection[str] | None = None) -> Expr:
    """Parse and check a formula; with ``fields``, every field must be one of them.

    Raises :class:`FormulaError` (and nothing else) for any text that is not a valid formula.
    """
    if not isinstance(text, str):
        raise FormulaError(f"a formula is text, not {type(text).__name__}")
    tree = _Parser(text).parse()
    _check(text, tree, fields)
    return tree


# --------------------------------------------------------------------------- printing

_PREC = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6, "/": 6, "neg": 7}


def _prec(e: Expr) -> int:
    if isinstance(e, BoolOp | BinaryOp):
        return _PREC[e.op]
    if isinstance(e, Not):
        return _PREC["not"]
    if isinstance(e, Compare):
        return _PREC["cmp"]
    if isinstance(e, Negate):
        return _PREC["neg"]
    return 8


def _number_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    if value.is_integer() and abs(value) < 1e16:  # 1e8 rather than 100000000
        for digits in range(17):
            mantissa, exponent = f"{value:.{digits}e}".split("e")
            if float(f"{mantissa}e{exponent}") == value:
                return f"{mantissa}e{int(exponent)}"
    return repr(value)


def to_text(expr: Expr) -> str:
    """Print a tree as formula text with the fewest parentheses that keep its shape.

    ``parse(to_text(tree)) == tree`` for every tree :func:`parse` can return.
    """

    def wrap(child: Expr, parens: bool) -> str:
        inner = show(child)
        return f"({inner})" if parens else inner

    def show(e: Expr) -> str:
        if isinstance(e, Number):
            return _number_text(e.value)
        if isinstance(e, FieldRef):
            return e.name
        if isinstance(e, Negate):
            return "-" + wrap(e.operand, _prec(e.operand) <= _PREC["neg"])
        if isinstance(e, Not):
            return "not " + wrap(e.operand, _prec(e.operand) < _PREC["not"])
        if isinstance(e, BinaryOp | BoolOp | Compare):
            p = _prec(e)
            op = e.op
            return f"{wrap(e.left, _prec(e.left) <= p if p == 4 else _prec(e.left) < p)} {op} " \
                   f"{wrap(e.right, _prec(e.right) <= p)}"
        # Aggregate
        inside = "" if e.arg is None else show(e.arg)
        if e.where is not None:
            inside += " where " + show(e.where)
        return f"{e.func}({inside})"

    return show(expr)


# --------------------------------------------------------------------------- SQL


@dataclass(frozen=True)
class Dialect:
    """What changes between SQL engines: identifier quoting, the double and string types."""

    name: str
    quote: str
    double: str
    string: str = "VARCHAR"

    def ident(self, name: str) -> str:
        q = self.quote
        return f"{q}{name.replace(q, q + q)}{q}"

    def number(self, value: float) -> str:
        # an exponent makes the literal DOUBLE (not DECIMAL) in DuckDB and Spark SQL
        text = repr(float(value))
        return text if "e" in text else text + "e0"


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect("duckdb", '"', "DOUBLE"),
    "spark": Dialect("spark", "`", "DOUBLE", "STRING"),
    "postgres": Dialect("postgres", '"', "DOUBLE PRECISION"),
}

_SQL_CMP = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}


def to_sql(
    formula: Expr | str,
    *,
    dialect: str | Dialect = "duckdb",
    weighted: bool = False,
    weight_column: str = "design_weight",
    fields: Collection[str] | None = None,
    table_alias: str | None = None,
) -> str:
    """Compile a formula to one SQL expression (aggregate-level, to use in ``SELECT``).

    ``weighted`` multiplies sums and counts by ``weight_column`` (Horvitz–Thompson totals,
    ratio and Hájek estimators; see the module docstring). ``table_alias`` qualifies every
    column (``t."revenue"``), for queries that join.
    """
    tree = parse(formula, fields) if isinstance(formula, str) else formula
    d = DIALECTS[dialect] if isinstance(dialect, str) else dialect
    prefix = "" if table_alias is None else d.ident(table_alias) + "."

    def col(name: str) -> str:
        return f"CAST({prefix}{d.ident(name)} AS {d.double})"

    weight = col(weight_column)

    def sql(e: Expr) -> str:
        if isinstance(e, Number):
            return d.number(e.value)
        if isinstance(e, FieldRef):
            return col(e.name)
        if isinstance(e, Negate):
            return f"(-{sql(e.operand)})"
        if isinstance(e, Not):
            return f"(NOT {sql(e.operand)})"
        if isinstance(e, BoolOp):
            return f"({sql(e.left)} {e.op.upper()} {sql(e.right)})"
        if isinstance(e, Compare):
            return f"({sql(e.left)} {_SQL_CMP[e.op]} {sql(e.right)})"
        if isinstance(e, BinaryOp):
            if e.op == "/":
                return f"({sql(e.left)} / NULLIF({sql(e.right)}, 0))"
            return f"({sql(e.left)} {e.op} {sql(e.right)})"
        return aggregate(e)

    def aggregate(e: Aggregate) -> str:
        if e.func == "count":
            return f"COALESCE(SUM({weight}), 0)" if weighted else f"CAST(COUNT(*) AS {d.double})"
        assert e.arg is not None
        if e.func == "count_if":
            if weighted:
                return f"COALESCE(SUM(CASE WHEN {sql(e.arg)} THEN {weight} END), 0)"
            return f"CAST(COUNT(CASE WHEN {sql(e.arg)} THEN 1 END) AS {d.double})"
        value = sql(e.arg)
        if e.where is not None:
            value = f"CASE WHEN {sql(e.where)} THEN {value} END"
        if e.func in ("min", "max"):
            return f"{e.func.upper()}({value})"
        if e.func == "sum":
            return f"SUM({weight} * {value})" if weighted else f"SUM({value})"
        if not weighted:
            return f"AVG({value})"
        return (f"(SUM({weight} * {value}) / "
                f"NULLIF(SUM(CASE WHEN {value} IS NOT NULL THEN {weight} END), 0))")

    return sql(tree)


# --------------------------------------------------------------------------- numpy reference


def evaluate(
    formula: Expr | str,
    data: Mapping[str, np.ndarray],
    weights: np.ndarray | None = None,
) -> float:
    """Evaluate a formula over one group of rows with numpy: the reference semantics.

    ``data`` maps field names to equal-length arrays; NaN stands for a missing value.
    Returns NaN where SQL returns NULL. Meant for tests and small data; engines compile
    with :func:`to_sql`.
    """
    tree = parse(formula) if isinstance(formula, str) else formula
    n = len(next(iter(data.values()))) if data else 0
    w = None if weights is None else np.asarray(weights, dtype=np.float64)

    def divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
        out = np.full(a.shape, np.nan)
        ok = (b != 0) & ~np.isnan(b) & ~np.isnan(a)
        with np.errstate(over="ignore"):
            np.divide(a, b, out=out, where=ok)
        return out

    def row(e: Expr) -> np.ndarray:
        """Row-level value: float array, NaN = NULL; conditions are 1.0 / 0.0 / NaN."""
        if isinstance(e, Number):
            return np.full(n, e.value)
        if isinstance(e, FieldRef):
            return np.asarray(data[e.name], dtype=np.float64)
        if isinstance(e, Negate):
            return -row(e.operand)
        if isinstance(e, BinaryOp):
            a, b = row(e.left), row(e.right)
            if e.op == "/":
                return divide(a, b)
            with np.errstate(over="ignore", invalid="ignore"):
                return a + b if e.op == "+" else a - b if e.op == "-" else a * b
        if isinstance(e, Compare):
            a, b = row(e.left), row(e.right)
            ops = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                   ">=": np.greater_equal, "==": np.equal, "!=": np.not_equal}
            out = ops[e.op](a, b).astype(np.float64)
            out[np.isnan(a) | np.isnan(b)] = np.nan
            return out
        if isinstance(e, Not):
            return 1.0 - row(e.operand)
        if isinstance(e, BoolOp):
            a, b = row(e.left), row(e.right)
            if e.op == "and":  # Kleene: false wins, then unknown
                out = np.where((a == 0) | (b == 0), 0.0, np.where(np.isnan(a) | np.isnan(b),
                                                                   np.nan, 1.0))
            else:
                out = np.where((a == 1) | (b == 1), 1.0, np.where(np.isnan(a) | np.isnan(b),
                                                                   np.nan, 0.0))
            return out
        raise AssertionError(f"aggregate {e} inside a row expression")  # excluded by _check

    def group(e: Expr) -> float:
        if isinstance(e, Number):
            return e.value
        if isinstance(e, Negate):
            return -group(e.operand)
        if isinstance(e, BinaryOp):
            a, b = group(e.left), group(e.right)
            if e.op == "/":
                return math.nan if b == 0 or math.isnan(b) or math.isnan(a) else a / b
            with np.errstate(over="ignore", invalid="ignore"):
                x, y = np.float64(a), np.float64(b)
                return float(x + y if e.op == "+" else x - y if e.op == "-" else x * y)
        assert isinstance(e, Aggregate)
        wts = np.ones(n) if w is None else w
        if e.func == "count":
            return float(n if w is None else wts.sum())
        assert e.arg is not None
        if e.func == "count_if":
            keep = row(e.arg) == 1
            return float(keep.sum() if w is None else wts[keep].sum())
        value = row(e.arg)
        keep = ~np.isnan(value)
        if e.where is not None:
            keep &= row(e.where) == 1
        v, vw = value[keep], wts[keep]
        if v.size == 0:
            return math.nan
        with np.errstate(over="ignore", invalid="ignore"):
            if e.func == "min":
                return float(v.min())
            if e.func == "max":
                return float(v.max())
            if e.func == "sum":
                return float(v.sum() if w is None else (vw * v).sum())
            if w is None:
                return float(v.mean())
            total = vw.sum()
            return math.nan if total == 0 else float((vw * v).sum() / total)

    return group(tree)
