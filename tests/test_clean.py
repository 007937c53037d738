"""The cell cleaners: what they read, what they refuse, and that they never guess."""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mic2025.ingest.clean import (
    MISSING,
    CleanError,
    MissingValue,
    SheetError,
    Uncalculated,
    clean_code,
    clean_text,
    parse_date,
    parse_flags,
    parse_number,
    parse_optional_number,
    parse_year,
    percent_display,
)

FULL = str.maketrans({**{str(d): chr(ord("０") + d) for d in range(10)},
                      ".": "．", ",": "，", "-": "－", "%": "％", "+": "＋"})

decimals = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"),
                       allow_nan=False, allow_infinity=False, places=4)
units_any = st.sampled_from(["%", "count", "10k_yuan", "pp", "index", None])


def plain(d: Decimal) -> str:
    return format(d, "f")


# ----------------------------------------------------------------- properties


@given(decimals, st.sampled_from(["", "%"]))
def test_full_width_reads_as_ascii(d: Decimal, pct: str) -> None:
    ascii_text = plain(d) + pct
    assert parse_number(ascii_text.translate(FULL), "%") == parse_number(ascii_text, "%")
    assert parse_number(ascii_text, "%") == float(d)


@given(st.integers(min_value=-10**15, max_value=10**15), st.integers(0, 9999),
       st.sampled_from([",", " ", "，", "\u00a0", "\u3000"]))
def test_thousands_separators_are_read(n: int, frac: int, sep: str) -> None:
    grouped = f"{n:,}".replace(",", sep) + f".{frac:04d}"
    expected = float(Decimal(f"{n}.{frac:04d}"))
    assert parse_number(grouped, "count") == expected


@given(decimals, st.integers(0, 40), st.sampled_from(list("abcxyz#$&*()[]{}!?/\\|_=:;'\"")))
def test_a_number_with_junk_in_it_is_never_read(d: Decimal, at: int, junk: str) -> None:
    text = plain(d)
    at = min(at, len(text))
    with pytest.raises(CleanError):
        parse_number(text[:at] + junk + text[at:], "%")


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd", "No", "Nl"))), units_any)
def test_text_without_digits_is_never_a_number(text: str, unit: str | None) -> None:
    with pytest.raises(CleanError):
        parse_number(text, unit)


@given(st.one_of(st.text(), st.floats(), st.integers(), st.none(), st.booleans()), units_any)
def test_any_cell_gives_a_finite_number_or_a_clean_error(cell: object, unit: str | None) -> None:
    try:
        value = parse_number(cell, unit)
    except CleanError:
        return
    assert isinstance(value, float) and math.isfinite(value)


@given(st.decimals(min_value=Decimal("0"), max_value=Decimal("1e6"), places=3))
def test_amounts_written_with_their_unit_scale_exactly(d: Decimal) -> None:
    assert parse_number(f"{plain(d)}亿元", "10k_yuan") == float(d * 10000)
    assert parse_number(f"{plain(d)}亿元", "100m_yuan") == float(d)
    assert parse_number(f"{plain(d)}万元", "100m_yuan") == float(d / 10000)


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_percent_formatted_cells_read_as_shown(x: float) -> None:
    shown = percent_display(x)
    assert parse_number(shown, "%") == pytest.approx(x * 100, rel=1e-12, abs=1e-12)


# ----------------------------------------------------------------- examples


@pytest.mark.parametrize("cell,unit,expected", [
    ("1,234.5", "count", 1234.5),
    ("1 234", "count", 1234.0),
    ("１２．５％", "%", 12.5),
    ("－３", "%yoy", -3.0),
    ("−3", "%yoy", -3.0),
    ("+4.5", "%", 4.5),
    ("3.2亿元", "10k_yuan", 32000.0),
    ("3.2亿元", "100m_yuan", 3.2),
    ("5000元", "10k_yuan", 0.5),
    ("1.2万", "count", 12000.0),
    ("2个百分点", "pp", 2.0),
    ("18%", "decline%vs:2015", 18.0),
    ("1.5e3", "count", 1500.0),
    (" 7 ", "index", 7.0),
    (12, "count", 12.0),
    (2.5, "%", 2.5),
])
def test_readable_numbers(cell: object, unit: str, expected: float) -> None:
    assert parse_number(cell, unit) == expected


@pytest.mark.parametrize("cell,unit,message", [
    ("12%", "count", "not a percentage"),
    ("12%", "pp", "not a percentage"),
    ("2个百分点", "%", "percentage points"),
    ("3.2亿元", "count", "give the unit 元, 万元 or 亿元"),
    ("3.2万", "10k_yuan", "only read as a multiplier for counts"),
    ("约3.2", "%", "flag 'estimate'"),
    ("3000余", "count", "qualifies"),
    ("超过3000", "count", "lower/upper"),
    ("2.5左右", "%", "qualifies"),
    (">5", "%", "qualifies"),
    ("1,5", "%", "decimal comma"),
    ("1,23,456", "count", "decimal comma"),
    ("12 34", "count", "not a number"),
    ("inf", "count", "not a number"),
    ("1e999", "count", "finite"),
    ("0x1F", "count", "not a number"),
    ("=1+1", "count", "not a number"),
    (True, "count", "TRUE/FALSE"),
    (datetime(2020, 1, 1), "count", "a date is not a number"),
    (math.inf, "count", "finite"),
    (Uncalculated("=B2*100"), "%", "never saved"),
    (SheetError("#DIV/0!"), "%", "#DIV/0!"),
])
def test_refused_numbers_say_why(cell: object, unit: str, message: str) -> None:
    with pytest.raises(CleanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_number(cell, unit)


@pytest.mark.parametrize("cell", ["—", "–", "-", "－", "", "  ", "..", "NA", "n.a.", "…", "——",
                                  "#N/A", None])
def test_placeholders_are_missing_values(cell: object) -> None:
    with pytest.raises(MissingValue):
        parse_number(cell, "%")
    assert parse_optional_number(cell, "%") is None


def test_missing_markers_are_folded_forms() -> None:
    # the table is compared after folding; an unfolded entry could never match
    from mic2025.ingest.clean import to_ascii
    assert all(to_ascii(m).lower() == m for m in MISSING)


@pytest.mark.parametrize("cell,expected", [
    (2017, 2017), (2017.0, 2017), ("2017", 2017), ("２０１７", 2017), ("2017年", 2017),
])
def test_years(cell: object, expected: int) -> None:
    assert parse_year(cell) == expected


@pytest.mark.parametrize("cell", [1948, 2101, "17", "二〇一七", 2017.5, None, "", True])
def test_bad_years(cell: object) -> None:
    with pytest.raises(CleanError):
        parse_year(cell)


@pytest.mark.parametrize("cell,expected", [
    ("2021-02-28", date(2021, 2, 28)), ("2021/2/28", date(2021, 2, 28)),
    ("2021年2月28日", date(2021, 2, 28)), ("20210228", date(2021, 2, 28)),
    (datetime(2021, 2, 28, 10, 0), date(2021, 2, 28)), ("", None), (None, None),
])
def test_dates(cell: object, expected: date | None) -> None:
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["2021-02-30", "Feb 2021", 44255, "2021-13-01"])
def test_bad_dates(cell: object) -> None:
    with pytest.raises(CleanError):
        parse_date(cell)


def test_flags() -> None:
    assert parse_flags("provisional; estimate") == {"provisional", "estimate"}
    assert parse_flags("估计，初步") == {"estimate", "provisional"}
    assert parse_flags("") == frozenset() and parse_flags(None) == frozenset()
    with pytest.raises(CleanError, match="unknown flag"):
        parse_flags("estimate;guess")


def test_codes_and_text() -> None:
    assert clean_code(110000.0) == "110000"
    assert clean_code(" Ｃ３６ ") == "C36"
    assert clean_text("  =HYPERLINK(\"http://x\")  ") == '=HYPERLINK("http://x")'
    assert clean_text("第一行\n第二行") == "第一行\n第二行"
    assert clean_text(datetime(2021, 1, 2)) == "2021-01-02"
    with pytest.raises(CleanError, match="U\\+0000"):
        clean_text("a\x00b")


@given(st.text())
def test_code_cleaning_is_idempotent(text: str) -> None:
    assume("\x00" not in text)
    once = clean_code(text)
    assert clean_code(once) == once


@pytest.mark.parametrize("cell", ["1e-400", "-1e-400", "0.1e-330", "1e-400%", "1e-330万"])
def test_a_nonzero_number_too_small_for_a_float_is_refused_not_stored_as_zero(
        cell: str) -> None:
    unit = "%" if cell.endswith("%") else "count"
    with pytest.raises(CleanError, match="too small to store"):
        parse_number(cell, unit)


@pytest.mark.parametrize("cell", [
    "1e400", "-1e400", "1.8e308", "1e305亿", pytest.param(10 ** 400, id="10^400"),
    pytest.param(-(10 ** 5000), id="-10^5000"),  # past the digits str() of an int allows
])
def test_a_number_too_large_for_a_float_is_refused(cell: object) -> None:
    with pytest.raises(CleanError, match="too large to store"):
        parse_number(cell, "count")


@pytest.mark.parametrize("cell,expected", [
    ("0", 0.0), ("0e-400", 0.0), ("-0.0", 0.0), ("1e-300", 1e-300), ("1.7e308", 1.7e308),
    ("5e-324", 5e-324),
])
def test_zero_and_numbers_at_the_edges_of_a_float_are_read(cell: str, expected: float) -> None:
    assert parse_number(cell, "count") == expected
