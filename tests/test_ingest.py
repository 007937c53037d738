"""Importing files: the long format, hostile inputs, and all-or-nothing on every backend."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

import hostile_files as hostile
from mic2025.errors import ImportRejected, Problem
from mic2025.ingest import check_file, load_bundled, problems_csv
from mic2025.ingest.limits import DEFAULT_LIMITS, Limits
from mic2025.ingest.readers import legacy_encoding, read_table
from mic2025.permissions import SYSTEM
from mic2025.services.imports import import_file, import_rows
from mic2025.store import Store, open_store
from store_fixtures import (
    CITED_HEADER,
    row,
    small_plan,
    write_csv,
)

PLAN = small_plan()
HEADER_LINE = hostile.LONG_HEADER
TESTS = Path(__file__).resolve().parent


def rejected(call: object, *args: object, **kwargs: object) -> list[Problem]:
    """The problems of an import that must be refused."""
    assert callable(call)
    with pytest.raises(ImportRejected) as info:
        call(*args, **kwargs)
    return info.value.problems


GOOD = [
    row(),
    row(area="440000", value="2.9", quote="研发经费投入强度为2.9%"),
    row(indicator="patents", unit="件", value="1,234", flags="provisional",
        source_date="2021-02-28"),
    row(indicator="revenue", unit="万元", value="3.2亿元", sector="C36"),
    row(indicator="energy_drop", unit="decline%yoy", value="5.4", year=2021, period="2021"),
    row(indicator="rd_intensity", period="2021-Q3", year=2021, value="２．５", lower="2.4",
        upper="2.6", scope="规模以上"),
]


# ----------------------------------------------------------------- accepted files


def test_a_good_csv_is_stored_cleaned_and_canonical(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "good.csv", GOOD)
    result = import_file(store, SYSTEM, path, PLAN)
    assert (result.rows_total, result.rows_new) == (6, 6)
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    got = {(o.indicator, o.area, o.period.code): o for o in store.observations()}
    assert got["patents", "000000", "2020"].value == 1234.0
    assert got["patents", "000000", "2020"].unit == "count"
    assert got["patents", "000000", "2020"].source_date == date(2021, 2, 28)
    revenue = got["revenue", "000000", "2020"]
    assert (revenue.value, revenue.unit, revenue.sector) == (32000.0, "10k_yuan", "36")
    q3 = got["rd_intensity", "000000", "2021-Q3"]
    assert (q3.value, q3.lower, q3.upper, q3.scope, q3.period.kind) == \
        (2.5, 2.4, 2.6, "规模以上", "quarter")
    (vintage,) = store.vintages()
    assert (vintage.source_name, vintage.actor, vintage.kind) == ("good.csv", "system", "import")


def test_chinese_headers_semicolons_and_a_byte_order_mark(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "中文.csv"
    path.write_text("\ufeff指标;地区;年份;数值;单位;来源;口径\n"
                    "rd_intensity;广东省;2020;2.9;％;广东统计年鉴;全社会\n",
                    encoding="utf-8")
    import_file(store, SYSTEM, path, PLAN)
    (o,) = store.observations()
    assert (o.area, o.value, o.unit, o.scope) == ("440000", 2.9, "%", "全社会")


def test_tab_delimited_utf16_from_excel_unicode_text(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    path.write_bytes("indicator\tarea\tyear\tvalue\tunit\tsource\n"
                     "rd_intensity\t000000\t2020\t2.4\t%\tNBS\n".encode("utf-16"))
    assert import_file(store, SYSTEM, path, PLAN).rows_new == 1


def test_same_file_twice_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "good.csv", GOOD)
    import_file(store, SYSTEM, path, PLAN)
    before = (store.counts(), store.vintages())
    again = import_file(store, SYSTEM, path, PLAN)
    assert again.already_imported and again.unchanged
    assert (store.counts(), store.vintages()) == before


def test_same_content_under_another_name_changes_nothing(store: Store, tmp_path: Path) -> None:
    import_file(store, SYSTEM, write_csv(tmp_path / "a.csv", GOOD), PLAN)
    before = (store.counts(), store.vintages())
    # same figures, other file name, other bytes (different delimiter and row order)
    again = import_file(store, SYSTEM, write_csv(tmp_path / "b.csv", GOOD[::-1], delimiter=";"),
                        PLAN)
    assert again.unchanged and not again.already_imported
    assert (store.counts(), store.vintages()) == before


def test_a_revised_file_is_a_new_vintage_and_as_of_sees_the_old_figure(
    store: Store, tmp_path: Path
) -> None:
    first = import_file(store, SYSTEM, write_csv(tmp_path / "v1.csv", [row(value="2.4")]), PLAN)
    second = import_file(store, SYSTEM, write_csv(tmp_path / "v2.csv", [row(value="2.41")]), PLAN)
    assert (second.rows_revised, second.rows_new) == (1, 0)
    assert [o.value for o in store.observations()] == [2.41]
    assert first.created_at is not None
    assert [o.value for o in store.observations(as_of=first.created_at)] == [2.4]


def test_export_rows_import_back_to_the_same_observations(
        store: Store, tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    import_file(store, SYSTEM, write_csv(tmp_path / "good.csv", GOOD), PLAN)
    rows = [{k: v for k, v in r.items() if k not in ("vintage", "vintage_at")}
            for r in store.export_rows()]
    with open_store(sqlite_copy(tmp_path / "copy.sqlite", evidence=False)) as copy:
        import_rows(copy, SYSTEM, rows, PLAN, source_name="export")
        key = lambda o: o.key  # noqa: E731
        assert [(o.key, o.value, o.flags, o.lower, o.source_date, o.unit)
                for o in sorted(copy.observations(), key=key)] == \
               [(o.key, o.value, o.flags, o.lower, o.source_date, o.unit)
                for o in sorted(store.observations(), key=key)]


def test_text_fields_that_look_like_formulas_are_stored_as_text(store: Store,
                                                                 tmp_path: Path) -> None:
    hostile = row(note="=cmd|' /C calc'!A0", source="@SUM(1+1)", quote="+1+2",
                  scope="-2+3")
    import_file(store, SYSTEM, write_csv(tmp_path / "f.csv", [hostile]), PLAN)
    (o,) = store.observations()
    assert (o.note, o.source, o.quote, o.scope) == ("=cmd|' /C calc'!A0", "@SUM(1+1)", "+1+2",
                                                    "-2+3")
    # ... and a rejection report opened in a spreadsheet shows such a value, never runs it
    report = problems_csv([Problem("f.csv", 2, "value", "not a number", value="=1+1")])
    assert "'=1+1" in report


def test_areas_and_sectors_written_by_spreadsheets(store: Store, tmp_path: Path) -> None:
    rows = [row(area="0", source="a"), row(area="44", source="b"), row(area="Guangdong",
                                                                        source="c"),
            row(sector="6", source="d"), row(sector="C", source="e")]
    import_file(store, SYSTEM, write_csv(tmp_path / "a.csv", rows), PLAN)
    got = {o.source: (o.area, o.sector) for o in store.observations()}
    assert got == {"a": ("000000", ""), "b": ("440000", ""), "c": ("440000", ""),
                   "d": ("000000", "06"), "e": ("000000", "C")}


def test_units_convertible_to_the_metrics_are_accepted(store: Store, tmp_path: Path) -> None:
    rows = [row(indicator="energy_drop", unit="%yoy", value="-5.4", year=2021),
            row(indicator="revenue", unit="亿元", value="3.2")]
    assert import_file(store, SYSTEM, write_csv(tmp_path / "a.csv", rows), PLAN).rows_new == 2


def test_blank_rows_are_passed_over_and_rows_keep_spreadsheet_numbers(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("indicator,area,year,value,unit,source,note\n"
                    "rd_intensity,000000,2020,2.4,%,NBS,\"two\nlines\"\n"
                    ",,,,,,\n"
                    "rd_intensity,000000,2021,bad,%,NBS,\n", encoding="utf-8")
    (problem,) = rejected(check_file, path, PLAN)
    assert (problem.row, problem.column, problem.value) == (4, "value", "bad")


# ----------------------------------------------------------------- refused files


def test_ten_problems_in_one_file_are_all_listed(store: Store, tmp_path: Path) -> None:
    bad = [
        row(indicator="rd_intensty"),                      # 2 unknown indicator
        row(area="999999"),                                # 3 unknown area
        row(value="130"),                                  # 4 a rate above 100
        row(indicator="patents", unit="count", value="-5"),  # 5 a negative count
        row(unit="count"),                                 # 6 a count for a % indicator
        row(period="2020-Q5"),                             # 7 bad period
        row(value="—"),                                    # 8 empty value
        row(flags="guess"),                                # 9 unknown flag
        row(source_date="yesterday"),                      # 10 not a date
        row(sector="99"),                                  # 11 unknown industry
    ]
    for i, r in enumerate(bad):
        r["source"] = f"S{i}"  # distinct keys: only the planted problems
    path = write_csv(tmp_path / "bad.csv", bad)
    problems = rejected(import_file, store, SYSTEM, path, PLAN)
    assert [(p.row, p.column) for p in problems] == [
        (2, "indicator"), (3, "area"), (4, "value"), (5, "value"), (6, "unit"), (7, "period"),
        (8, "value"), (9, "flags"), (10, "source_date"), (11, "sector"),
    ]
    assert all(p.source == str(path) and p.sheet is None for p in problems)
    text = [str(p) for p in problems]
    assert "did you mean rd_intensity" in text[0]
    assert "got '999999'" in text[1]
    assert "between 0 to 100 %" in text[2]
    assert "between 0 to ∞ count" in text[3]
    assert "does not fit rd_intensity" in text[4]
    assert "delete the row" in text[6]
    assert store.counts() == {"vintages": 0, "observations": 0}


def test_duplicate_keys_name_every_row(tmp_path: Path) -> None:
    rows = [row(value="1"), row(area="440000"), row(value="2"), row(value="3", period="2020")]
    problems = rejected(check_file, write_csv(tmp_path / "d.csv", rows), PLAN)
    assert sorted(p.row for p in problems if p.row) == [2, 4, 5]
    assert all("duplicate key" in p.message for p in problems)
    first = next(p for p in problems if p.row == 2)
    assert "also in row 4, row 5" in first.message


def test_unknown_and_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("indicator,area,year,valeu,unit,source,remarks\n"
                    "rd_intensity,000000,2020,2.4,%,NBS,x\n", encoding="utf-8")
    problems = rejected(check_file, path, PLAN)
    messages = {(p.column, p.row): p.message for p in problems}
    assert "unknown column" in messages["valeu", 1]
    assert "unknown column" in messages["remarks", 1]
    assert "missing value" in messages[None, 1]


def test_a_duplicated_column_and_an_unnamed_column_with_data(tmp_path: Path) -> None:
    path = tmp_path / "cols.csv"
    path.write_text("indicator,area,year,value,数值,unit,source,\n"
                    "rd_intensity,000000,2020,2.4,2.4,%,NBS,stray\n", encoding="utf-8")
    problems = rejected(check_file, path, PLAN)
    assert any(p.column == "数值" and "both give value" in p.message for p in problems)
    assert any("column 8 holds values but has no header" in p.message for p in problems)


@pytest.mark.parametrize("cells,column,message", [
    (dict(value="12%", indicator="patents", unit="count"), "value", "not a percentage"),
    (dict(value="约2.4"), "value", "flag 'estimate'"),
    (dict(value="=1+1"), "value", "not a number"),
    (dict(value=""), "value", "the value is missing (empty)"),
    (dict(value="NA"), "value", "missing"),
    (dict(indicator="revenue", unit="万元", value="-1"), "value", "impossible for revenue"),
    (dict(year="1900"), "year", "outside 1949–2100"),
    (dict(period="2021", year=2020), "period", "falls in 2021"),
    (dict(unit="公斤"), "unit", "unknown unit"),
    (dict(lower="2.5"), "lower", "above the value"),
    (dict(source=""), "publication", "required"),
    (dict(note="a\x00b"), "note", "control character"),
    (dict(source="来" * 501), "source", "at most 500"),
])
def test_single_cell_problems(tmp_path: Path, cells: dict[str, object], column: str,
                              message: str) -> None:
    problems = rejected(check_file, write_csv(tmp_path / "one.csv", [row(**cells)]), PLAN)
    assert [(p.row, p.column) for p in problems] == [(2, column)]
    assert message in problems[0].message


def test_a_legacy_chinese_csv_is_read_in_the_encoding_it_reads_as(store: Store,
                                                                   tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", [row(source="国家统计局")], encoding="gb18030")
    import_file(store, SYSTEM, path, PLAN)
    assert [o.source for o in store.observations()] == ["国家统计局"]
    # traditional Chinese saved as Big5 is told from GB18030, which would read it garbled
    big5 = write_csv(tmp_path / "big5.csv", [row(source="經濟部統計處", year=2021)],
                     encoding="big5")
    assert legacy_encoding(big5.read_bytes()) == "big5"
    assert legacy_encoding(path.read_bytes()) == "gb18030"
    (o,) = check_file(big5, PLAN)
    assert o.source == "經濟部統計處"
    tables, _ = read_table(big5.read_bytes(), "big5.csv", ".csv")
    assert tables[0].encoding == "big5"
    # a named encoding is still used as named, and UTF-8 assumes nothing
    utf8 = write_csv(tmp_path / "utf8.csv", [row(source="国家统计局")])
    assert read_table(utf8.read_bytes(), "utf8.csv", ".csv")[0][0].encoding is None
    (named,) = check_file(path, PLAN, encoding="gb18030")
    assert named.source == "国家统计局"


def test_bytes_in_no_known_encoding_are_refused_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(HEADER_LINE.encode() + b"\nrd_intensity,000000,2020,\x80\xff\x80\n")
    (problem,) = rejected(check_file, path, PLAN)
    assert "line 2" in problem.message and "not UTF-8" in problem.message


def test_garbage_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(b"indicator,area\n\xff\xfe\x00\x81garbage")
    (problem,) = rejected(check_file, path, PLAN)
    assert "not UTF-8" in problem.message


@pytest.mark.parametrize("name,data,message", [
    ("empty.csv", b"", "empty"),
    ("header.csv", b"indicator,area,year,value,unit,source\n", "no data rows"),
    ("old.xls", b"\xd0\xcf\x11\xe0", ".xls"),
    ("renamed.xlsx", b"not a zip", "not a readable .xlsx"),
    ("data.json", b"{}", "cannot tell the format"),
    ("quote.csv", b'indicator,area,year,value,unit,source\n"rd_intensity,0', "not readable"),
])
def test_unreadable_files(tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    problems = rejected(check_file, path, PLAN)
    assert message in problems[0].message


def test_a_row_longer_than_its_header(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("indicator,area,year,value,unit,source\n"
                    "rd_intensity,000000,2020,2,4,%,NBS\n", encoding="utf-8")
    problems = rejected(check_file, path, PLAN)
    assert any(p.row == 2 and "header names 6 columns" in p.message for p in problems)


def test_a_rejected_import_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    import_file(store, SYSTEM, write_csv(tmp_path / "good.csv", GOOD), PLAN)
    before = (store.counts(), store.vintages(), store.observations())
    mostly_good = [row(value="9.9"), row(area="110000"), row(value="130", area="120000")]
    rejected(import_file, store, SYSTEM, write_csv(tmp_path / "bad.csv", mostly_good), PLAN)
    assert (store.counts(), store.vintages(), store.observations()) == before


# ----------------------------------------------------------------- Excel


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


XHEAD: list[object] = ["indicator", "area", "year", "value", "unit", "source"]


def test_xlsx_two_sheets_one_bad_is_refused_naming_sheet_and_row(store: Store,
                                                                  tmp_path: Path) -> None:
    path = workbook(tmp_path / "two.xlsx", {
        "national": [XHEAD, ["rd_intensity", "000000", 2020, 2.4, "%", "NBS"]],
        "provinces": [XHEAD, ["rd_intensity", "440000", 2020, 2.9, "%", "GD"], [],
                      ["rd_intensity", "450000", 2020, 130, "%", "GX"]],
    })
    (problem,) = rejected(import_file, store, SYSTEM, path, PLAN)
    assert (problem.sheet, problem.row, problem.column) == ("provinces", 4, "value")
    assert "sheet 'provinces', row 4, column 'value'" in str(problem)
    assert store.counts()["vintages"] == 0
    result = import_file(store, SYSTEM, path, PLAN, sheets=["national"])
    assert result.rows_new == 1


def test_xlsx_sheet_with_content_but_no_header_is_refused(tmp_path: Path) -> None:
    path = workbook(tmp_path / "notes.xlsx", {
        "data": [XHEAD, ["rd_intensity", "000000", 2020, 2.4, "%", "NBS"]],
        "说明": [["本表数据来源于国家统计局"]],
        "empty": [],
    })
    problems = rejected(check_file, path, PLAN)
    assert [p.sheet for p in problems] == ["说明"]
    assert "row 1 is not a header" in problems[0].message
    assert len(check_file(path, PLAN, sheets=["data"])) == 1
    (missing,) = rejected(check_file, path, PLAN, sheets=["data", "nope"])
    assert "no sheet 'nope'" in missing.message


def test_xlsx_native_cells(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "native.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["指标", "地区", "年份", "数值", "单位", "来源", "发布日期"])
    ws.append(["rd_intensity", 0, 2020.0, 0.024, "%", "NBS", datetime(2021, 2, 28)])
    ws["D2"].number_format = "0.0%"          # shown as 2.4%
    ws.append(["patents", 110000, 2020, 1234, "count", "BJ", None])
    ws.append(["rd_intensity", 440000, 2020, 2.9, "%", "GD", None])
    ws["D4"].number_format = '0.0"%"'        # a literal % sign: shown as 2.9%
    wb.save(path)
    import_file(store, SYSTEM, path, PLAN)
    got = {o.area: o for o in store.observations()}
    assert got["000000"].value == 2.4
    assert got["000000"].source_date == date(2021, 2, 28)
    assert got["110000"].value == 1234.0
    assert got["440000"].value == 2.9


def test_xlsx_formulas_without_saved_results_and_error_cells(tmp_path: Path) -> None:
    path = workbook(tmp_path / "f.xlsx", {"s": [
        [*XHEAD, "period"],
        ["rd_intensity", "000000", 2020, "=1+1", "%", "NBS", None],
        ["rd_intensity", "000000", 2021, 2.0, "%", "NBS", datetime(2021, 3, 1)],
    ]})
    problems = rejected(check_file, path, PLAN)
    assert [(p.row, p.column) for p in problems] == [(2, "value"), (3, "period")]
    assert "never saved" in problems[0].message and problems[0].value == "=1+1"
    assert "'2021-03' for a month" in problems[1].message


def test_xlsx_error_cells_are_reported(tmp_path: Path) -> None:
    # openpyxl writes "#DIV/0!" as an error cell, as Excel saves a failed formula
    path = workbook(tmp_path / "e.xlsx", {"s": [
        XHEAD, ["rd_intensity", "000000", 2020, "#DIV/0!", "%", "NBS"]]})
    (problem,) = rejected(check_file, path, PLAN)
    assert "#DIV/0!" in problem.message


# ----------------------------------------------------------------- bundled evidence


def test_bundled_evidence_loads_once(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "national.csv", GOOD)
    first = load_bundled(store, PLAN, path=path)
    assert (first.kind, first.rows_new) == ("bundled", 6)
    again = load_bundled(store, PLAN, path=path)
    assert again.already_imported
    assert [v.kind for v in store.vintages()] == ["bundled"]


def test_the_shipped_evidence_loads_under_the_shipped_plan(tmp_path: Path) -> None:
    from importlib import resources

    from mic2025.plan import load_plan

    shipped = resources.files("mic2025").joinpath("data", "evidence", "national.csv")
    plan_file = resources.files("mic2025").joinpath("plans", "mic2025.yaml")
    if not shipped.is_file() or not plan_file.is_file():
        pytest.skip("data/evidence/national.csv or plans/mic2025.yaml is not written yet")
    header = shipped.read_text(encoding="utf-8").splitlines()[0].lstrip("\ufeff")
    assert header.split(",") == CITED_HEADER
    with open_store(f"sqlite:///{tmp_path / 'bundled.sqlite'}") as s:
        first = load_bundled(s, load_plan())  # ImportRejected here lists each bad row
        assert first.rows_new == first.rows_total > 0
        assert load_bundled(s, load_plan()).already_imported


# ----------------------------------------------------------------- killed mid-import


KILLED = textwrap.dedent("""
    import sys
    import time
    from pathlib import Path

    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from store_fixtures import small_plan
    from mic2025.permissions import SYSTEM
    from mic2025.services.imports import import_file
    from mic2025.store import open_store

    store = open_store(sys.argv[1])
    wrote = []

    @event.listens_for(Engine, "after_cursor_execute")
    def seen(conn, cursor, statement, parameters, context, executemany):
        wrote.append(statement.lstrip().lower().startswith("insert into observation"))

    @event.listens_for(Engine, "commit")
    def hold(conn):
        # the import's transaction holds its rows and is about to commit: say so, then wait
        if any(wrote):
            Path(sys.argv[3]).write_text("holding", encoding="utf-8")
            time.sleep(120)

    import_file(store, SYSTEM, sys.argv[2], small_plan())
""")


@pytest.mark.slow  # a child process per backend, killed while it holds its transaction
def test_killing_an_import_mid_transaction_leaves_the_store_as_it_was(
    store_url: str, tmp_path: Path
) -> None:
    with open_store(store_url) as s:
        import_file(s, SYSTEM, write_csv(tmp_path / "first.csv", [row()]), PLAN)
        before = (s.counts(), s.vintages())
    areas = ["110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000"]
    big = [row(area=a, year=y, value=f"{(y % 97) / 10:.1f}", source=f"S{k}")
           for k in range(8) for a in areas for y in range(1949, 2101)]
    path = write_csv(tmp_path / "big.csv", big)
    marker = tmp_path / "holding"
    # the hold before the commit is the test's own (an SQLAlchemy event in the child)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent / "src")])}
    proc = subprocess.Popen([sys.executable, "-c", KILLED, store_url, str(path), str(marker)],
                            env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the import never reached its commit"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with open_store(store_url) as s:
        assert (s.counts(), s.vintages()) == before
        # the file itself was fine: without the kill it goes in whole
        assert import_file(s, SYSTEM, path, PLAN).rows_new == len(big)


# ----------------------------------------------------------------- resource limits


def rejection(call: object, *args: object, **kwargs: object) -> ImportRejected:
    """The ``ImportRejected`` of an import that must be refused."""
    assert callable(call)
    with pytest.raises(ImportRejected) as info:
        call(*args, **kwargs)
    return info.value


@pytest.mark.slow  # 200,000 bad rows read and checked
def test_bad_rows_keep_the_first_1000_problems_and_count_the_rest(tmp_path: Path) -> None:
    # the same file at 200,000 rows, through the command: tests/test_cli.py (slow)
    path = tmp_path / "bad.csv"
    path.write_bytes(hostile.bad_rows_csv(20_000))
    tracemalloc.start()
    try:
        exc = rejection(check_file, path, PLAN)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(exc.problems) == DEFAULT_LIMITS.max_problems == 1000
    # every row breaks the indicator, area, year, unit and source rules
    assert exc.total == 5 * 20_000 and exc.omitted == exc.total - 1000
    assert [p.row for p in exc.problems[:6]] == [2, 2, 2, 2, 2, 3]
    # the rows read and the kept problems, about 11 MiB; writing up all 100,000 problems
    # took 30 MiB
    assert peak < 20 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    text = str(exc)
    assert "100,000 problem(s)" in text
    assert "… and 99,800 more problems not listed" in text
    assert text.count("\n") < 210  # 200 listed, the head and the tail


def test_the_problems_csv_of_a_capped_report_says_how_many_were_left_out(
        tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(hostile.bad_rows_csv(50))
    exc = rejection(check_file, path, PLAN, limits=Limits(max_problems=7))
    assert (len(exc.problems), exc.total) == (7, 250)
    rows = list(csv.reader(io.StringIO(problems_csv(exc.problems, omitted=exc.omitted))))
    assert len(rows) == 1 + 7 + 1
    assert rows[-1][0] == str(path) and "243 more problems not listed" in rows[-1][-1]


def test_a_file_with_more_rows_than_the_limit_is_refused_before_its_rows_are_checked(
        tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", [row(source=f"S{i}") for i in range(11)])
    (problem,) = rejected(check_file, good, PLAN, limits=Limits(max_rows=10))
    assert "more than 10 data rows" in problem.message and problem.source == str(good)
    assert len(check_file(good, PLAN, limits=Limits(max_rows=11))) == 11
    book = workbook(tmp_path / "rows.xlsx", {"s": [XHEAD] + [
        ["rd_intensity", "000000", 2020, 2.4, "%", f"S{i}"] for i in range(11)]})
    (problem,) = rejected(check_file, book, PLAN, limits=Limits(max_rows=10))
    assert "more than 10 data rows" in problem.message and problem.sheet == "s"


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "good.csv", [row()])
    (problem,) = rejected(check_file, path, PLAN, limits=Limits(max_file_bytes=100))
    assert "more than the 100 bytes" in problem.message


def test_a_header_of_a_million_unknown_columns_is_one_problem_not_a_million(
        tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_bytes(hostile.wide_header_csv(1_000_000))
    (problem,) = rejected(check_file, path, PLAN)
    assert problem.row == 1 and "1,000,000 cells" in problem.message
    assert f"at most {DEFAULT_LIMITS.max_columns:,} columns" in problem.message


def test_trailing_empty_cells_do_not_count_against_the_column_limit(tmp_path: Path) -> None:
    path = tmp_path / "commas.csv"
    path.write_text(HEADER_LINE + "," * 50 + "\nrd_intensity,000000,2020,2.4,%,NBS"
                    + "," * 50 + "\n", encoding="utf-8")
    assert len(check_file(path, PLAN, limits=Limits(max_columns=20))) == 1


def test_a_first_line_over_128_kib_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "long-line.csv"
    path.write_bytes(hostile.long_first_line_csv(200))
    problems = rejected(check_file, path, PLAN)
    assert problems[0].row == 1 and "131,072 characters" in problems[0].message


def test_a_first_line_over_128_kib_of_empty_cells_is_read(tmp_path: Path) -> None:
    # a spreadsheet's export with its formatting run out to the right: the names before the
    # empty cells tell the delimiter, and the empty cells are no columns
    path = tmp_path / "semi.csv"
    path.write_text(HEADER_LINE.replace(",", ";") + ";" * 200_000 + "\n"
                    "rd_intensity;000000;2020;2.4;%;NBS\n", encoding="utf-8")
    (obs,) = check_file(path, PLAN)
    assert obs.value == 2.4


def test_a_shared_strings_bomb_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(hostile.workbook(300 * 1024 * 1024))  # 300 MiB of XML, 2 MB zipped
    assert path.stat().st_size < 8 * 1024 * 1024
    tracemalloc.start()
    try:
        problems = rejected(check_file, path, PLAN)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "xl/sharedStrings.xml" in problems[0].message
    assert "unpack" in problems[0].message
    assert peak < 100 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_a_highly_compressed_workbook_part_is_refused_by_its_ratio(tmp_path: Path) -> None:
    path = tmp_path / "ratio.xlsx"
    path.write_bytes(hostile.workbook(30 * 1024 * 1024, level=9))
    (problem,) = rejected(check_file, path, PLAN)
    assert "xl/sharedStrings.xml" in problem.message and "to 1" in problem.message
    assert "zip bomb" in problem.message


def test_a_workbook_that_understates_a_parts_size_is_refused_at_that_size(
        tmp_path: Path) -> None:
    real = hostile.workbook(50 * 1024 * 1024)
    path = tmp_path / "liar.xlsx"
    path.write_bytes(hostile.understate_size(real, "xl/sharedStrings.xml", 4096))
    tracemalloc.start()
    try:
        (problem,) = rejected(check_file, path, PLAN)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "xl/sharedStrings.xml" in problem.message and "damaged" in problem.message
    assert peak < 50 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_a_workbook_within_the_limits_is_read(tmp_path: Path) -> None:
    path = tmp_path / "small.xlsx"
    path.write_bytes(hostile.workbook(hostile.shared_strings("indicator")))
    (problem,) = rejected(check_file, path, PLAN)
    assert "row 1 must be a header" in problem.message  # read, and refused on its content


def test_a_cell_number_too_long_for_python_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "digits.xlsx"
    huge = "9" * 5000  # past Python's int-from-text limit of 4300 digits
    sheet = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="n"><v>'
             + huge.encode() + b"</v></c></row></sheetData></worksheet>")
    data = hostile.workbook(hostile.shared_strings("x"))
    path.write_bytes(hostile.replace_part(data, "xl/worksheets/sheet1.xml", sheet))
    (problem,) = rejected(check_file, path, PLAN)
    assert problem.sheet == "数据" and "cannot be read" in problem.message


def test_duplicate_keys_name_a_few_other_rows_not_all_of_them(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "same.csv", [row()] * 2000)
    exc = rejection(check_file, path, PLAN)
    assert exc.total == 2000 and len(exc.problems) == 1000
    first = exc.problems[0].message
    assert "also in row 3, row 4" in first and "1,994 more rows" in first
    assert max(len(p.message) for p in exc.problems) < 600
