"""Enterprise-return schema: GB 32100-2015 codes and the SQL validator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mic2025.errors import ImportRejected
from mic2025.microdata import schema
from mic2025.microdata.generate import generate_population
from mic2025.microdata.schema import (
    USCC_ALPHABET,
    is_valid_uscc,
    uscc_check_char,
    uscc_check_indices,
    validate,
)

# --------------------------------------------------------------------------- GB 32100-2015


def test_weights_are_powers_of_three_mod_31() -> None:
    assert schema.USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30,
                                   28)
    assert len(USCC_ALPHABET) == 31 and not set("IOSVZ") & set(USCC_ALPHABET)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "914403001922038216"])
def test_published_codes_are_valid(code: str) -> None:
    assert is_valid_uscc(code)
    assert not is_valid_uscc(code[:17] + ("0" if code[17] != "0" else "1"))


first17 = st.tuples(st.sampled_from(USCC_ALPHABET), st.sampled_from(USCC_ALPHABET),
                    st.text("0123456789", min_size=6, max_size=6),
                    st.text(USCC_ALPHABET, min_size=9, max_size=9)).map("".join)


@given(first17, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
@settings(max_examples=500)
def test_any_single_substitution_is_detected(head: str, pos: int, char: str) -> None:
    code = head + uscc_check_char(head)
    assert is_valid_uscc(code)
    changed = code[:pos] + char + code[pos + 1:]
    assert is_valid_uscc(changed) == (changed == code) or not changed[2:8].isdigit()


@given(first17, st.integers(0, 15))
def test_adjacent_transpositions_are_detected(head: str, pos: int) -> None:
    code = head + uscc_check_char(head)
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2:]
    assert swapped == code or not is_valid_uscc(swapped)


def _codes(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    heads = ["".join(USCC_ALPHABET[i] for i in rng.integers(0, 31, 2))
             + "".join(str(d) for d in rng.integers(0, 10, 6))
             + "".join(USCC_ALPHABET[i] for i in rng.integers(0, 31, 9)) for _ in range(n)]
    return [h + uscc_check_char(h) for h in heads]


def test_vectorised_and_sql_checks_agree_with_python() -> None:
    good = _codes(300)
    idx = np.array([[USCC_ALPHABET.index(c) for c in code[:17]] for code in good])
    assert [USCC_ALPHABET[i] for i in uscc_check_indices(idx)] == [c[17] for c in good]
    bad = [c[:5] + USCC_ALPHABET[(USCC_ALPHABET.index(c[5]) + 1) % 10] + c[6:] for c in good]
    others = ["91350100M000100Y4", "91350100M000100Y43X", "91350100m000100y43",
              "91350A00M000100Y43", "91350100M000100I43", ""]
    codes = good + bad + others
    con = duckdb.connect()
    con.register("ids", pa.table({"enterprise_id": codes}))
    got = [r[0] for r in con.sql(f"SELECT {schema._uscc_sql('enterprise_id')} FROM ids"
                                 ).fetchall()]
    assert got == [is_valid_uscc(c) for c in codes]
    assert sum(got) == len(good)


# --------------------------------------------------------------------------- validator


def _good_rows(n: int = 4) -> dict[str, list[Any]]:
    ids: list[Any] = list(_codes(n, seed=7))
    return {
        "enterprise_id": ids, "year": [2020] * n, "area": ["440306"] * n,
        "division": ["39"] * n, "size_class": ["medium"] * n, "stratum": [None] * n,
        "design_weight": [None] * n, "revenue": [5e8] * n, "gross_output": [5.1e8] * n,
        "value_added": [1.2e8] * n, "rd_expenditure": [1e7] * n,
        "valid_invention_patents": [3] * n, "digital_design_tools": [1] * n,
        "key_processes": [6] * n, "key_processes_nc": [3] * n, "energy_tce": [1000.0] * n,
        "water_m3": [2e4] * n, "co2_t": [2500.0] * n, "solid_waste_generated": [50.0] * n,
        "solid_waste_utilised": [40.0] * n, "employees": [500] * n,
    }


def test_clean_rows_pass() -> None:
    con = duckdb.connect()
    rel = con.from_arrow(pa.table(_good_rows()))
    report = validate(rel, con=con)
    assert report.ok and report.rows == 4 and report.problems == () and report.counts == {}


def test_each_rule_names_row_field_value_and_rule(tmp_path: Path) -> None:
    rows = _good_rows(12)
    rows["revenue"] = [str(v) for v in rows["revenue"]]  # text column, as from a CSV
    rows["key_processes_nc"][1] = 7  # row 2: more NC processes than processes
    rows["enterprise_id"][2] = rows["enterprise_id"][2][:17] + (
        "0" if rows["enterprise_id"][2][17] != "0" else "1")  # row 3: bad check character
    rows["enterprise_id"][4] = rows["enterprise_id"][3]  # rows 4 and 5: same id, same year
    rows["division"][5] = "06"  # row 6: coal mining is not manufacturing
    rows["area"][6] = "710000"  # row 7: outside the 31 mainland provinces
    rows["revenue"][7] = "1,000"  # row 8: not a number
    rows["energy_tce"][8] = -1.0  # row 9: negative
    rows["solid_waste_utilised"][9] = 80.0  # row 10: above generated → flag only
    rows["size_class"][10] = "large"  # row 11: 500 employees is not large → flag
    rows["valid_invention_patents"][11] = 2.5  # row 12: not whole
    rows["design_weight"][11] = 3.0  # … and a weight without a stratum
    path = tmp_path / "returns.parquet"
    pq.write_table(pa.table(rows), path)
    report = validate(path)
    found = {(p.row, p.field, p.rule, p.severity) for p in report.problems}
    assert found == {
        (2, "key_processes_nc", "key_processes_nc.le_key_processes", "error"),
        (3, "enterprise_id", "enterprise_id.uscc", "error"),
        (4, "enterprise_id", "enterprise_id.unique", "error"),
        (5, "enterprise_id", "enterprise_id.unique", "error"),
        (6, "division", "division.code", "error"),
        (7, "area", "area.code", "error"),
        (8, "revenue", "revenue.type", "error"),
        (9, "energy_tce", "energy_tce.min", "error"),
        (10, "solid_waste_utilised", "solid_waste_utilised.above_generated", "flag"),
        (11, "size_class", "size_class.rule_2017", "flag"),
        (12, "valid_invention_patents", "valid_invention_patents.whole", "error"),
        (12, "stratum", "stratum.with_weight", "error"),
    }
    by_row = {p.row: p for p in report.problems}
    assert by_row[8].value == "1,000"
    assert by_row[2].value == "7" and by_row[2].enterprise_id == rows["enterprise_id"][1]
    assert report.n_errors == 10 and report.n_flags == 2 and not report.ok
    assert "row 2 (" in str(by_row[2]) and "key_processes_nc" in str(by_row[2])
    with pytest.raises(ImportRejected) as info:
        schema.check(path)
    text = str(info.value)
    assert "10 problem(s); nothing was stored" in text
    assert "row 8, column 'revenue': is not a number [revenue.type]" in text
    assert "solid_waste_utilised" not in text  # flags do not reject


def test_missing_required_column_is_one_file_level_error() -> None:
    rows = _good_rows()
    del rows["employees"]
    del rows["water_m3"]  # optional: treated as empty
    con = duckdb.connect()
    con.register("t", pa.table(rows))
    report = validate("t", con=con)
    assert [(p.row, p.field, p.message) for p in report.problems] == [
        (None, "employees", "column is missing")]


def test_limit_keeps_counts_complete() -> None:
    rows = _good_rows(50)
    rows["division"] = ["99"] * 50
    con = duckdb.connect()
    con.register("t", pa.table(rows))
    report = validate("t", con=con, limit=5)
    assert len(report.problems) == 5 and report.counts == {("division.code", "error"): 50}
    assert [p.row for p in report.problems] == [1, 2, 3, 4, 5]


def test_generated_population_has_no_errors(tmp_path: Path) -> None:
    pop = generate_population(3000, years=range(2015, 2018), seed=5)
    path = tmp_path / "pop.parquet"
    pq.write_table(pop, path)
    report = validate(path)
    assert report.ok, report.problems[:5]
    assert report.rows == 9000
    assert set(rule for rule, _ in report.counts) <= {"solid_waste_utilised.above_generated"}
