"""The enterprise annual return: its fields, units and rules, and a validator that runs in SQL.

One row is one enterprise in one year. The population is the manufacturing enterprises above
designated size (规模以上工业企业, main-business revenue of at least 20 million yuan since 2011);
a sample row also carries its stratum and design weight.

======================== ======== ========== =================================================
field                    type     unit       rule
======================== ======== ========== =================================================
enterprise_id            text     —          统一社会信用代码, 18 characters, GB 32100-2015 check
year                     integer  year       1998–2100; (enterprise_id, year) is unique
area                     text     —          GB/T 2260 code, 6 digits (county or province) in one of
                                             the 31 mainland provinces
division                 text     —          GB/T 4754-2017 manufacturing division, "13"–"43"
size_class               text     —          large / medium / small / micro (flagged when it
                                             disagrees with 统计上大中小微型企业划分办法(2017))
stratum                  text     —          sample stratum; required when design_weight is given
design_weight            number   —          ≥ 1 when given (1/π, inverse inclusion probability);
                                             empty for a census
revenue                  number   yuan       ≥ 0, required (营业收入); flagged below 20 million
gross_output             number   yuan       ≥ 0 (工业总产值)
value_added              number   yuan       ≤ gross_output; flagged when negative or above revenue
rd_expenditure           number   yuan       ≥ 0 (R&D经费内部支出); flagged above revenue
valid_invention_patents  integer  patents    ≥ 0 (有效发明专利数)
digital_design_tools     integer  tools      ≥ 0; 0/1 (uses digital R&D design tools) or a count
key_processes            integer  processes  ≥ 0 (关键工序数)
key_processes_nc         integer  processes  ≥ 0 and ≤ key_processes (已实现数控化的关键工序数)
energy_tce               number   tce        ≥ 0, t standard coal eq. (综合能源消费量)
water_m3                 number   m³         ≥ 0 (取水量)
co2_t                    number   t          ≥ 0 (CO₂ emissions)
solid_waste_generated    number   t          ≥ 0 (一般工业固体废物产生量)
solid_waste_utilised     number   t          ≥ 0 (综合利用量); flagged above solid_waste_generated
employees                integer  persons    ≥ 0, required (从业人员平均人数)
synthetic                boolean  —          true on rows made by :mod:`.generate`
======================== ======== ========== =================================================

Two severities. An *error* rejects the whole file (imports are all or nothing). A *flag* is
reported but accepted, for values that are unusual yet legitimate:

* ``solid_waste_utilised`` above ``solid_waste_generated`` — NBS counts in 综合利用量 the
  stockpiles of earlier years that were used this year (综合利用往年贮存量), so utilisation can
  exceed generation; it is flagged, not rejected, and the ratio of sums can exceed 100;
* a ``size_class`` that disagrees with the 2017 NBS rule for industry (large: ≥ 1000 employees
  and ≥ 400 million yuan revenue; medium: ≥ 300 and ≥ 20 million; small: ≥ 20 and ≥ 3 million;
  otherwise micro — a unit that misses either lower bound drops a class) — a return may
  classify on the previous year's figures;
* revenue below the 20 million yuan 规模以上 threshold (an enterprise leaving the population),
  R&D above revenue, negative value added.

统一社会信用代码 (GB 32100-2015, *法人和其他组织统一社会信用代码编码规则*): 18 characters
drawn from the 31-character alphabet ``0-9 A-H J-N P-R T-U W-Y`` (no I, O, S, V, Z):
registration authority (1), organisation type (1), GB/T 2260 registration area (6),
organisation code (9, GB 11714), check character (1). With the first 17 characters mapped to
their alphabet indices ``c_i`` and weights ``w_i = 3^(i-1) mod 31``, the check character is the
one whose index is ``(31 - Σ c_i·w_i mod 31) mod 31``.

:func:`validate` checks a Parquet file or a DuckDB relation in a single SQL statement (one
``UNION ALL`` branch per rule, no Python loop over rows) and reports every problem with its row
number, enterprise_id, field, value and rule.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np

from ..errors import ImportRejected, Problem
from ..reference import areas, industries
from .sources import ROW_COLUMN, Source, columns_of, own_connection, source_sql

#: Parquet compression of every file mic2025 writes. Snappy, not ZSTD: on the benchmark
#: population (500,000 enterprises × 11 years, 2 cores) ZSTD makes the file 11% smaller
#: (474 against 533 MB) but its decompression is about 40% of a DuckDB scan — the compiled
#: query took 0.30 s on the ZSTD file and 0.17 s on the Snappy one (2026-11-26; the
#: benchmark prints both). Estimation reads the files again and again; storage is cheap.
PARQUET_COMPRESSION = "snappy"


# --------------------------------------------------------------------------- GB 32100-2015

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, …


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError(f"{first17!r} is not 17 characters of the GB 32100 alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for an 18-character code whose area part is digits and whose check character fits."""
    return (isinstance(code, str) and len(code) == 18 and code[2:8].isdigit()
            and all(c in USCC_ALPHABET for c in code)
            and uscc_check_char(code[:17]) == code[17])


def uscc_check_indices(indices: np.ndarray) -> np.ndarray:
    """Vectorised check: alphabet indices of the check character for an (n, 17) index array."""
    weights = np.asarray(USCC_WEIGHTS, dtype=np.int64)
    return (31 - (indices.astype(np.int64) @ weights) % 31) % 31


def _uscc_sql(column: str) -> str:
    """SQL that is TRUE when ``column`` is a well-formed code with the right check character."""
    digit = "strpos('" + USCC_ALPHABET + "', substr({c}, {i}, 1)) - 1"
    total = " + ".join(f"({digit.format(c=column, i=i + 1)}) * {w}"
                       for i, w in enumerate(USCC_WEIGHTS))
    return (f"(regexp_full_match({column}, '[0-9A-HJ-NPQRTUWXY]{{2}}[0-9]{{6}}"
            f"[0-9A-HJ-NPQRTUWXY]{{10}}') AND "
            f"(31 - ({total}) % 31) % 31 = strpos('{USCC_ALPHABET}', substr({column}, 18, 1)) - 1)")


# --------------------------------------------------------------------------- fields

FieldType = Literal["text", "integer", "number", "boolean"]
_SQL_TYPE = {"text": "VARCHAR", "integer": "DOUBLE", "number": "DOUBLE", "boolean": "BOOLEAN"}
STORAGE_TYPE = {"text": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}

SIZE_CLASSES = ("large", "medium", "small", "micro")
SCALE_THRESHOLD_YUAN = 20_000_000  # 规模以上: main-business revenue ≥ 2000万元 (since 2011)


@dataclass(frozen=True)
class Field:
    """One field of the return: name, type, unit, meaning, and its simple range."""

    name: str
    type: FieldType
    unit: str
    zh: str
    en: str
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None


FIELDS: tuple[Field, ...] = (
    Field("enterprise_id", "text", "", "统一社会信用代码", "Unified social credit code",
          required=True),
    Field("year", "integer", "year", "年份", "Reference year", required=True,
          minimum=1998, maximum=2100),
    Field("area", "text", "", "行政区划代码", "GB/T 2260 area code", required=True),
    Field("division", "text", "", "行业大类代码", "GB/T 4754-2017 division", required=True),
    Field("size_class", "text", "", "企业规模", "Size class", required=True),
    Field("stratum", "text", "", "抽样层", "Sample stratum"),
    Field("design_weight", "number", "", "设计权数", "Design weight (1/π)", minimum=1),
    Field("revenue", "number", "yuan", "营业收入", "Revenue", required=True, minimum=0),
    Field("gross_output", "number", "yuan", "工业总产值", "Gross output", minimum=0),
    Field("value_added", "number", "yuan", "工业增加值", "Value added"),
    Field("rd_expenditure", "number", "yuan", "R&D经费内部支出", "Intramural R&D expenditure",
          minimum=0),
    Field("valid_invention_patents", "integer", "patents", "有效发明专利数",
          "Valid invention patents", minimum=0),
    Field("digital_design_tools", "integer", "tools", "数字化研发设计工具",
          "Digital R&D design tools (0/1 or count)", minimum=0),
    Field("key_processes", "integer", "processes", "关键工序数", "Key processes", minimum=0),
    Field("key_processes_nc", "integer", "processes", "数控化关键工序数",
          "Key processes under numerical control", minimum=0),
    Field("energy_tce", "number", "tce", "综合能源消费量", "Energy use (t standard coal eq.)",
          minimum=0),
    Field("water_m3", "number", "m3", "取水量", "Water withdrawal", minimum=0),
    Field("co2_t", "number", "t", "二氧化碳排放量", "CO2 emissions", minimum=0),
    Field("solid_waste_generated", "number", "t", "一般工业固体废物产生量",
          "General industrial solid waste generated", minimum=0),
    Field("solid_waste_utilised", "number", "t", "一般工业固体废物综合利用量",
          "General industrial solid waste utilised", minimum=0),
    Field("employees", "integer", "persons", "从业人员平均人数", "Average employees",
          required=True, minimum=0),
    Field("synthetic", "boolean", "", "合成数据", "Synthetic row (not real data)"),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
NUMERIC_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.type in ("integer", "number")
                                        and f.name not in ("year", "design_weight"))
_BY_NAME = {f.name: f for f in FIELDS}


def field(name: str) -> Field:
    return _BY_NAME[name]


def mainland_provinces() -> tuple[str, ...]:
    """Two-digit prefixes of the 31 mainland province-level areas (the statistics' scope)."""
    return tuple(sorted(c[:2] for c, a in areas().items()
                        if a.level == "province" and c[:2] not in ("71", "81", "82")))


def manufacturing_divisions() -> tuple[str, ...]:
    """GB/T 4754-2017 divisions of section C (manufacturing), "13"–"43"."""
    return tuple(sorted(c for c, i in industries().items()
                        if i.level == "division" and i.parent == "C"))


def size_class_sql(employees: str = "employees", revenue: str = "revenue") -> str:
    """SQL for the size class of 统计上大中小微型企业划分办法(2017) for industry."""
    return (f"CASE WHEN {employees} >= 1000 AND {revenue} >= 400000000 THEN 'large' "
            f"WHEN {employees} >= 300 AND {revenue} >= 20000000 THEN 'medium' "
            f"WHEN {employees} >= 20 AND {revenue} >= 3000000 THEN 'small' ELSE 'micro' END")


# --------------------------------------------------------------------------- rules

Severity = Literal["error", "flag"]


@dataclass(frozen=True)
class Rule:
    """A check on the typed columns: ``violated`` is SQL that is TRUE when a row breaks it."""

    id: str
    field: str
    severity: Severity
    violated: str
    message: str


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def rules() -> tuple[Rule, ...]:
    """Every rule, field by field, then across fields."""
    out: list[Rule] = []
    for f in FIELDS:
        if f.required:
            missing = f.name if f.type == "text" else f'"__raw_{f.name}"'
            out.append(Rule(f"{f.name}.required", f.name, "error", f"{missing} IS NULL",
                            "is required"))
        if f.type in ("integer", "number", "boolean"):
            out.append(Rule(f"{f.name}.type", f.name, "error",
                            f'"__raw_{f.name}" IS NOT NULL AND {f.name} IS NULL',
                            "is not a " + ("whole number" if f.type == "integer" else
                                           "number" if f.type == "number" else "boolean")))
        if f.type in ("integer", "number"):
            out.append(Rule(f"{f.name}.finite", f.name, "error", f"NOT isfinite({f.name})",
                            "is not a finite number"))
        if f.type == "integer":
            out.append(Rule(f"{f.name}.whole", f.name, "error",
                            f"isfinite({f.name}) AND {f.name} <> round({f.name})",
                            "is not a whole number"))
        if f.minimum is not None:
            out.append(Rule(f"{f.name}.min", f.name, "error", f"{f.name} < {f.minimum}",
                            f"is below {f.minimum:g}"))
        if f.maximum is not None:
            out.append(Rule(f"{f.name}.max", f.name, "error", f"{f.name} > {f.maximum}",
                            f"is above {f.maximum:g}"))
    out += [
        Rule("enterprise_id.uscc", "enterprise_id", "error", f"NOT {_uscc_sql('enterprise_id')}",
             "is not a 统一社会信用代码 (18 characters with a GB 32100-2015 check character)"),
        Rule("enterprise_id.unique", "enterprise_id", "error", '"__dup" > 1',
             "appears more than once for the same year"),
        Rule("area.code", "area", "error",
             f"NOT (regexp_full_match(area, '[0-9]{{6}}') AND substr(area, 1, 2) IN "
             f"{_in(mainland_provinces())})",
             "is not a 6-digit GB/T 2260 code in one of the 31 mainland provinces"),
        Rule("division.code", "division", "error",
             f"division NOT IN {_in(manufacturing_divisions())}",
             "is not a GB/T 4754-2017 manufacturing division (13–43)"),
        Rule("size_class.code", "size_class", "error", f"size_class NOT IN {_in(SIZE_CLASSES)}",
             "is not one of " + ", ".join(SIZE_CLASSES)),
        Rule("stratum.with_weight", "stratum", "error",
             "design_weight IS NOT NULL AND stratum IS NULL",
             "is required when design_weight is given"),
        Rule("key_processes_nc.le_key_processes", "key_processes_nc", "error",
             "key_processes_nc > key_processes", "exceeds key_processes"),
        Rule("value_added.le_gross_output", "value_added", "error",
             "value_added > gross_output", "exceeds gross_output"),
        Rule("solid_waste_utilised.above_generated", "solid_waste_utilised", "flag",
             "solid_waste_utilised > solid_waste_generated",
             "exceeds solid_waste_generated (allowed: utilisation includes earlier stockpiles)"),
        Rule("size_class.rule_2017", "size_class", "flag",
             f"size_class IN {_in(SIZE_CLASSES)} AND employees IS NOT NULL AND revenue IS NOT "
             f"NULL AND size_class <> {size_class_sql()}",
             "disagrees with employees and revenue under the 2017 NBS size rule"),
        Rule("revenue.scale_threshold", "revenue", "flag", f"revenue < {SCALE_THRESHOLD_YUAN}",
             "is below the 20 million yuan threshold of 规模以上 enterprises"),
        Rule("rd_expenditure.above_revenue", "rd_expenditure", "flag",
             "rd_expenditure > revenue", "exceeds revenue"),
        Rule("value_added.negative", "value_added", "flag", "value_added < 0", "is negative"),
        Rule("value_added.above_revenue", "value_added", "flag", "value_added > revenue",
             "exceeds revenue"),
    ]
    return tuple(out)


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class RowProblem:
    """One broken rule in one row (``row`` is 1-based; None for a file-level problem)."""

    row: int | None
    enterprise_id: str | None
    field: str
    value: str | None
    rule: str
    severity: Severity
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        who = f" ({self.enterprise_id})" if self.enterprise_id else ""
        got = "" if self.value is None else f" (got {self.value!r})"
        return f"{where}{who}, {self.field}: {self.message}{got} [{self.severity} {self.rule}]"


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate` found. ``problems`` holds the first ``limit`` problems in row
    order; ``counts`` counts every problem by (rule, severity)."""

    source: str
    rows: int
    problems: tuple[RowProblem, ...]
    counts: dict[tuple[str, Severity], int]

    @property
    def n_errors(self) -> int:
        return sum(n for (_, sev), n in self.counts.items() if sev == "error")

    @property
    def n_flags(self) -> int:
        return sum(n for (_, sev), n in self.counts.items() if sev == "flag")

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    @property
    def errors(self) -> tuple[RowProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def flags(self) -> tuple[RowProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "flag")

    def raise_for_errors(self) -> None:
        """Raise :class:`~mic2025.errors.ImportRejected` listing the errors, if any."""
        if self.ok:
            return
        raise ImportRejected(self.source, [
            Problem(self.source, p.row, p.field,
                    f"{p.message} [{p.rule}]" + (f" ({p.enterprise_id})" if p.enterprise_id
                                                 else ""), value=p.value)
            for p in self.errors])


def _typed_select(present: dict[str, str]) -> str:
    parts = [ROW_COLUMN]
    for f in FIELDS:
        if f.name in present:
            raw = f'"{f.name}"'
            if f.type == "text":
                parts.append(f"NULLIF(trim(CAST({raw} AS VARCHAR)), '') AS {f.name}")
            else:
                parts.append(f"TRY_CAST({raw} AS {_SQL_TYPE[f.type]}) AS {f.name}")
            parts.append(f'{raw} AS "__raw_{f.name}"')
        else:
            parts.append(f"CAST(NULL AS {_SQL_TYPE[f.type]}) AS {f.name}")
            parts.append(f'CAST(NULL AS VARCHAR) AS "__raw_{f.name}"')
    return ", ".join(parts)


def validate(source: Source, *, con: duckdb.DuckDBPyConnection | None = None,
             limit: int = 10_000) -> ValidationReport:
    """Check every row of a Parquet file, DuckDB table name or relation against :func:`rules`.

    Runs one SQL statement; nothing is loaded into Python but the problems. A relation must
    belong to ``con``. Columns that are not in :data:`FIELDS` are ignored; a missing
    required column is one file-level error; a missing optional column counts as empty.
    """
    con, source = own_connection(con, source)
    from_sql = source_sql(con, source, row_numbers=True)
    present = {k: v for k, v in columns_of(con, from_sql).items() if k in FIELD_NAMES}
    missing = [f for f in FIELDS if f.required and f.name not in present]
    file_problems = [RowProblem(None, None, f.name, None, f"{f.name}.required", "error",
                                "column is missing") for f in missing]
    checks = [r for r in rules() if not (r.id.endswith(".required") and r.field not in present)]
    branches = [
        f"SELECT {ROW_COLUMN} AS row, \"__raw_enterprise_id\" AS enterprise_id, "
        f"'{r.field}' AS field, CAST(\"__raw_{r.field}\" AS VARCHAR) AS value, "
        f"'{r.id}' AS rule, '{r.severity}' AS severity, "
        f"'{r.message.replace(chr(39), chr(39) * 2)}' AS message "
        f"FROM typed WHERE {r.violated}"
        for r in checks
    ]
    dup = ("COUNT(*) OVER (PARTITION BY enterprise_id, year)" if "enterprise_id" in present
           and "year" in present else "1")
    table = f"__mic2025_problems_{uuid.uuid4().hex[:12]}"
    con.sql(f"CREATE TEMP TABLE {table} AS "
            f"WITH typed AS (SELECT *, {dup} AS \"__dup\" FROM "
            f"(SELECT {_typed_select(present)} FROM {from_sql})) "
            + " UNION ALL ".join(branches))
    try:
        counts: Counter[tuple[str, Severity]] = Counter()
        for rule_id, severity, n in con.sql(
                f"SELECT rule, severity, COUNT(*) FROM {table} GROUP BY rule, severity"
        ).fetchall():
            counts[(rule_id, severity)] = int(n)
        head = con.sql(f"SELECT * FROM {table} ORDER BY row, field, rule LIMIT {int(limit)}"
                       ).fetchall()
    finally:
        con.sql(f"DROP TABLE IF EXISTS {table}")
    for p in file_problems:
        counts[(p.rule, p.severity)] += 1
    n_rows = int(con.sql(f"SELECT COUNT(*) FROM {from_sql}").fetchall()[0][0])
    problems = tuple(file_problems) + tuple(
        RowProblem(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in head)
    name = str(source) if isinstance(source, str | Path) else type(source).__name__
    return ValidationReport(name, n_rows, problems, dict(counts))


def check(source: Source, *, con: duckdb.DuckDBPyConnection | None = None) -> ValidationReport:
    """:func:`validate`, then all or nothing: raise ``ImportRejected`` on any error."""
    report = validate(source, con=con)
    report.raise_for_errors()
    return report
