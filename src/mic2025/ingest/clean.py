"""Reading cells as people write them in Chinese statistical tables — and refusing to guess.

Pure functions, one per kind of cell. Each returns the clean value or raises
:class:`CleanError` whose message says what was expected; none of them ever turns
something unreadable into a number.

What is accepted in a number cell (``value``, ``lower``, ``upper``):

* full-width digits and punctuation (``１２．５``, ``１，２３４``, ``－３``, ``１２％``), and
  the typographic minus ``−``;
* thousands separators in well-formed groups of three: ``1,234.5``, ``1 234``, ``1，234``
  (``1,5`` is refused: it may be a decimal comma);
* a trailing ``%`` when the row's unit is a percentage (``%``, ``%yoy``, ``decline%yoy``,
  ``%vs:YYYY``…), and ``个百分点`` / ``百分点`` when it is in percentage points; a ``%`` on a
  count or an amount is refused;
* an amount written with its unit — ``3.2亿元`` with unit 万元 is 32000, with unit 亿元 it
  is 3.2 — only when the row's unit is 元, 万元 or 亿元; ``万`` and ``亿`` as bare multipliers
  only for counts (``1.2万`` 家 = 12000);
* scientific notation (``1.2e5``).

What is refused, with a message:

* qualifiers — 约, 左右, 超过, 以上, 余, 多, 近, 逾, 不足, ``~``, ``>``…: the file must give
  a plain number and say how it is uncertain (flag ``estimate``; bounds in
  ``lower``/``upper``). "超过3000家" as 3000 would be a guess the importer will not make;
* placeholders for a missing figure (—, –, -, .., …, NA, n.a., ``#N/A``…) raise
  :class:`MissingValue`: a long-format file lists published figures, so a row without one
  has no reason to exist (delete the row, or give the figure with flag ``estimate``);
* anything else that is not a number, infinities and NaN;
* a number a float cannot hold: beyond about ±1.8e308 (it would become infinite), or not
  zero but nearer zero than about 5e-324 (``1e-400`` would be stored as 0).

Scaling is done in decimal arithmetic, so ``3.2亿元`` in 万元 is exactly 32000, not
32000.000000000004.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from .. import units
from ..citation import GRADES
from ..observation import FLAGS


class CleanError(ValueError):
    """A cell cannot be read as what its column holds; the message says what was expected.

    ``key`` and ``params`` name the message among the ``ingest.`` texts of
    :mod:`mic2025.i18n`, so that the platform can give it in the reader's language; a
    message without a key is shown as written.
    """

    def __init__(self, message: str, key: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.key = key
        self.params = {k: str(v) for k, v in params.items()}


class MissingValue(CleanError):
    """A number cell is empty or holds a placeholder for a missing figure."""


@dataclass(frozen=True)
class Uncalculated:
    """A spreadsheet formula whose result was never saved in the file."""

    formula: str


@dataclass(frozen=True)
class SheetError:
    """A spreadsheet cell showing an error such as ``#DIV/0!`` or ``#REF!``."""

    code: str


@dataclass(frozen=True)
class Refused:
    """A cell a reader already knows it cannot hand on: ``reason`` says why.

    The SDMX-CSV reader (:mod:`.sdmx`) translates SDMX codes into the long format's cells;
    a code with no translation (an unknown unit code, a half-year period) becomes this, so
    the one problem is reported in the column it came from, with the cell as written
    (``code``), by whichever check reads the cell.
    """

    code: str
    reason: str


#: placeholders for a missing figure, compared after folding to ASCII and lower case
MISSING = frozenset({
    "", "—", "——", "–", "-", "--", "..", "...", "na", "n.a.", "n/a", "#n/a", "null", "none",
    "nan",
})

#: words and signs that qualify a number instead of stating it
QUALIFIERS = (
    "大约", "约", "左右", "上下", "超过", "以上", "以下", "余", "多", "近", "逾", "不足", "不到",
    "将近", "接近", "~", "≈", ">", "<", "≥", "≤", "about", "approx", "over", "under",
)

_MONEY_WORDS = {"元": "yuan", "万元": "10k_yuan", "亿元": "100m_yuan"}
_MONEY_SCALE = {"yuan": Decimal(1), "10k_yuan": Decimal(10) ** 4, "100m_yuan": Decimal(10) ** 8}
_MULTIPLIERS = {"万": Decimal(10) ** 4, "亿": Decimal(10) ** 8}
_SUFFIX = re.compile(r"^(?P<num>.*?)\s*(?P<suffix>亿元|万元|元|个百分点|百分点|%|亿|万)$")
# ASCII digits only: \d would also admit other scripts' digits, which NFKC does not fold
_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_GROUPED = re.compile(r"^[+-]?\d{1,3}(?P<sep>[, ])\d{3}(?:(?P=sep)\d{3})*(\.\d+)?$", re.ASCII)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_ascii(text: str) -> str:
    """Fold full-width forms to ASCII (NFKC) and odd minus and space characters to plain ones."""
    folded = unicodedata.normalize("NFKC", text)
    return folded.replace("−", "-").replace("\u2012", "-").strip()


def is_percent_unit(unit: str) -> bool:
    """True for units whose numbers are written with a ``%`` sign (levels and changes)."""
    if unit == "%":
        return True
    change = units.change(unit)
    return change is not None and not change.points


def is_points_unit(unit: str) -> bool:
    """True for units in percentage points (``pp``, ``pp_vs:YYYY``)."""
    if unit == "pp":
        return True
    change = units.change(unit)
    return change is not None and change.points


def parse_number(cell: object, unit: str | None) -> float:
    """The number in a ``value``, ``lower`` or ``upper`` cell, in the row's ``unit``.

    ``unit`` is the row's canonical unit code (:func:`mic2025.units.normalise`); ``None``
    when the row's unit could not be read, in which case only the number's syntax is
    checked. Raises :class:`MissingValue` for an empty cell or a placeholder,
    :class:`CleanError` for anything else that is not a plain number.
    """
    if cell is None:
        raise MissingValue("the value is empty", "ingest.value_missing")
    _check_sheet_cell(cell)
    if isinstance(cell, bool):
        raise CleanError("TRUE/FALSE is not a number")
    if isinstance(cell, int):
        if abs(cell).bit_length() > 1100:  # far past a float, and maybe past str() of an int
            raise CleanError(_too_large(f"a whole number of {abs(cell).bit_length()} bits"))
        return _to_float(Decimal(cell), cell)
    if isinstance(cell, float):
        return _finite(cell, cell)
    if isinstance(cell, datetime | date):
        raise CleanError("a date is not a number (the spreadsheet may have turned the figure "
                         "into a date; format the column as text or number)")
    if not isinstance(cell, str):
        raise CleanError(f"a {type(cell).__name__} is not a number")
    text = to_ascii(cell)
    if text.lower() in MISSING:
        raise MissingValue(f"the value is missing ({cell.strip() or 'empty'})",
                           "ingest.value_missing")
    lowered = text.lower()
    for word in QUALIFIERS:
        if word in lowered:
            raise CleanError(
                f"{word!r} qualifies the number instead of stating it; write the plain number and "
                "say how it is uncertain: flag 'estimate' for 约/左右/余/多, or a bound in "
                "lower/upper for 超过/以上/不足", "ingest.value_qualified", word=word
            )
    scale = Decimal(1)
    match = _SUFFIX.match(text)
    if match:
        text, suffix = match["num"].strip(), match["suffix"]
        scale = _suffix_scale(suffix, unit)
    number = _decimal(text)
    try:
        scaled = number * scale if scale != 1 else number
    except ArithmeticError:  # decimal overflow of an absurd exponent
        raise CleanError(_too_large(cell)) from None
    return _to_float(scaled, cell)


def parse_optional_number(cell: object, unit: str | None) -> float | None:
    """Like :func:`parse_number`, but an empty cell or placeholder is ``None``."""
    try:
        return parse_number(cell, unit)
    except MissingValue:
        return None


def _suffix_scale(suffix: str, unit: str | None) -> Decimal:
    if unit is None:
        return Decimal(1)  # the row is refused for its unit already; check the number only
    if suffix == "%":
        if not is_percent_unit(unit):
            raise CleanError(f"the value carries '%' but the row's unit is {unit!r}, not a "
                             "percentage; give the plain number or correct the unit")
        return Decimal(1)
    if suffix in ("个百分点", "百分点"):
        if not is_points_unit(unit):
            raise CleanError(f"the value is in percentage points ({suffix}) but the row's unit is "
                             f"{unit!r}")
        return Decimal(1)
    if suffix in _MONEY_WORDS:
        if unit not in _MONEY_SCALE:
            raise CleanError(f"the value is an amount in {suffix} but the row's unit is {unit!r}; "
                             "give the unit 元, 万元 or 亿元")
        return _MONEY_SCALE[_MONEY_WORDS[suffix]] / _MONEY_SCALE[unit]
    # a bare 万 or 亿
    if unit != "count":
        raise CleanError(f"{suffix!r} is only read as a multiplier for counts; the row's unit is "
                         f"{unit!r}: write the full number, or the amount with its unit (亿元)")
    return _MULTIPLIERS[suffix]


def _decimal(text: str) -> Decimal:
    grouped = _GROUPED.match(text)
    if grouped:
        text = text.replace(grouped["sep"], "")
    elif "," in text:
        raise CleanError("',' is not between groups of three digits; it may be a decimal comma — "
                         "write the number with a decimal point (1234.5)")
    if not _NUMBER.match(text):
        raise CleanError("not a number; expected a plain number such as 1234.5, -3, 12.5% "
                         "or 3.2亿元", "ingest.value_not_number")
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - _NUMBER admits only what Decimal reads
        raise CleanError("not a number") from None


def _to_float(number: Decimal, shown: object) -> float:
    """``number`` as the float the store keeps, refusing one a float cannot hold.

    A float silently turns a number beyond its range into infinity and a nonzero number too
    near zero into 0.0; either would store a figure the file does not give.
    """
    value = float(number)
    if math.isinf(value):
        raise CleanError(_too_large(shown))
    if value == 0.0 and number != 0:
        raise CleanError(f"{_shown(shown)} is too small to store: it is not zero, but nearer "
                         "zero than the smallest number the store holds (about 5e-324), so it "
                         "would be stored as 0; check the exponent")
    return value


def _too_large(shown: object) -> str:
    return (f"{_shown(shown)} is too large to store: beyond the largest finite number the "
            "store holds (about 1.8e308); check the exponent")


def _shown(cell: object) -> str:
    text = str(cell)
    return text if len(text) <= 40 else text[:37] + "…"


def _finite(value: float, shown: object) -> float:
    if not math.isfinite(value):
        raise CleanError(f"{shown!s} is not a finite number")
    return value


def _check_sheet_cell(cell: object) -> None:
    if isinstance(cell, Uncalculated):
        raise CleanError(
            f"the cell holds a formula ({cell.formula}) whose result was never saved in the "
            "file; open the workbook in Excel or LibreOffice and save it, or paste values"
        )
    if isinstance(cell, SheetError):
        raise CleanError(f"the cell shows the spreadsheet error {cell.code}")
    if isinstance(cell, Refused):
        raise CleanError(cell.reason)


def parse_year(cell: object) -> int:
    """A calendar year from 1949 to 2100 (``2017``, ``2017.0``, ``２０１７``, ``2017年``)."""
    _check_sheet_cell(cell)
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise CleanError("the year is empty", "ingest.year_missing")
    if isinstance(cell, bool):
        raise CleanError("TRUE/FALSE is not a year")
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, int):
        number = cell
    elif isinstance(cell, str):
        text = to_ascii(cell).removesuffix("年").strip()
        if not re.fullmatch(r"[0-9]{4}", text):
            raise CleanError("not a year; expected four digits such as 2017", "ingest.year_bad")
        number = int(text)
    else:
        raise CleanError("not a year; expected four digits such as 2017", "ingest.year_bad")
    if not 1949 <= number <= 2100:
        raise CleanError(f"year {number} is outside 1949–2100", "ingest.year_range",
                         year=number)
    return number


def parse_date(cell: object) -> date | None:
    """A date (``2021-02-28``, ``2021/2/28``, ``2021.2.28``, ``2021年2月28日``), or ``None``."""
    _check_sheet_cell(cell)
    if cell is None:
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if not isinstance(cell, str):
        raise CleanError("not a date; expected a date such as 2021-02-28", "ingest.date_bad")
    text = to_ascii(cell)
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:[-/.]|年)(\d{1,2})(?:[-/.]|月)(\d{1,2})日?", text, re.ASCII) or \
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text, re.ASCII)
    if not m:
        raise CleanError("not a date; expected a date such as 2021-02-28", "ingest.date_bad")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise CleanError(f"not a calendar date ({exc})") from None


#: Chinese spellings of the flags
FLAG_ALIASES = {
    "估计": "estimate", "估算": "estimate", "初步": "provisional", "初步数": "provisional",
    "初步核算": "provisional", "推算": "derived", "派生": "derived", "代理": "proxy",
    "合成": "synthetic", "模拟": "synthetic",
}


def parse_flags(cell: object) -> frozenset[str]:
    """Flags separated by ``;`` ``,`` ``|`` or spaces, each one of ``observation.FLAGS``."""
    _check_sheet_cell(cell)
    if cell is None:
        return frozenset()
    if not isinstance(cell, str):
        raise CleanError(f"flags must be words, one or more of {', '.join(sorted(FLAGS))}")
    words = [w for w in re.split(r"[;,|\s]+", to_ascii(cell).lower()) if w]
    out = {FLAG_ALIASES.get(w, w) for w in words}
    unknown = sorted(out - FLAGS)
    if unknown:
        raise CleanError(f"unknown flag(s) {', '.join(unknown)}; use {', '.join(sorted(FLAGS))}")
    return frozenset(out)


#: other spellings of the grades (after folding case, spaces and hyphens)
GRADE_ALIASES = {
    "官方": "official", "官方网站": "official", "官方媒体": "official_media",
    "行业组织": "industry_body", "行业协会": "industry_body", "其他转载": "other_copy",
    "转载": "other_copy",
}


def parse_grade(cell: object) -> str | None:
    """The grade of the copy read: one of :data:`mic2025.citation.GRADES`, or ``None``."""
    _check_sheet_cell(cell)
    if cell is None:
        return None
    if not isinstance(cell, str):
        raise CleanError(f"not a grade; use one of {', '.join(GRADES)}")
    text = re.sub(r"[\s\-]+", "_", to_ascii(cell).lower())
    if not text:
        return None
    grade = GRADE_ALIASES.get(text, text)
    if grade not in GRADES:
        raise CleanError(f"unknown grade; the grade of the copy read is one of "
                         f"{', '.join(GRADES)} (the publisher's own site, official media, an "
                         "industry body's own site, any other copy)")
    return grade


def clean_code(cell: object) -> str:
    """A code cell (indicator, area, sector, unit, period) folded to ASCII and trimmed.

    Whole numbers lose the ``.0`` a spreadsheet may give them (``110000.0`` is ``110000``).
    """
    _check_sheet_cell(cell)
    if cell is None:
        return ""
    if isinstance(cell, bool):
        raise CleanError("TRUE/FALSE is not a code")
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, int | float):
        return str(cell)
    if isinstance(cell, datetime | date):
        raise CleanError("a date is not a code")
    return to_ascii(str(cell))


def clean_text(cell: object) -> str:
    """A free-text cell (publisher, publication, scope, quote, note…), kept as written apart
    from outer spaces.

    Text is stored verbatim — a formula-like ``=HYPERLINK(...)`` stays text — but control
    characters other than tab and newline are refused: PostgreSQL cannot hold a NUL, and
    the other engines must not hold what it cannot.
    """
    _check_sheet_cell(cell)
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    text = str(cell).strip()
    bad = _CONTROL.search(text)
    if bad:
        raise CleanError(f"the text holds the control character U+{ord(bad.group()):04X}")
    return text


def percent_display(number: float) -> str:
    """A number from a percent-formatted spreadsheet cell, as the person saw it (0.125 → 12.5%).

    Decimal arithmetic keeps 0.07 as 7%, not 7.000000000000001%.
    """
    return f"{Decimal(repr(number)) * 100}%"
