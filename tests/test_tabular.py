"""Every CSV (and Excel) mic2025 writes defuses formula-looking text the same way.

Hostile text goes into every text field a writer puts out; each writer's output is then read
back cell by cell. Platform downloads go through the real app on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st

from mic2025 import periods
from mic2025.citation import Citation
from mic2025.cli import main
from mic2025.composite.table import Table
from mic2025.errors import Problem
from mic2025.ingest import problems_csv
from mic2025.observation import Observation
from mic2025.permissions import Actor
from mic2025.store import EXPORT_COLUMNS, Store, audit, open_store
from mic2025.store.db import begin_write
from mic2025.tabular import FORMULA_START, cell, csv_text, neutralise, restore, xlsx_bytes
from store_fixtures import BACKENDS, StoreTemplates, fresh_url
from test_web_support import app, bearer, client, tokens  # noqa: F401

#: the issue's examples, and the other starts a spreadsheet runs
HOSTILE = ("=cmd|'/c calc'!A1", "@SUM(1+1)", "-2+3+cmd", "+1+2", "\t=1+1", "\r=1+1",
           "'quoted")
#: columns of the observation exports that hold numbers, not text
NUMERIC = {"year", "value", "lower", "upper", "vintage", "OBS_VALUE", "LOWER_BOUND",
           "UPPER_BOUND", "VINTAGE"}


def url_of(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def hostile_observations() -> list[Observation]:
    """Hostile text in every text field the store keeps (it checks lengths, not content)."""
    out = []
    for i, text in enumerate(HOSTILE):
        out.append(Observation(
            indicator=f"{text}{i}", area=text[:10] + str(i), sector=text[:10],
            period=periods.year(2020), value=-1.5 - i, unit=text[:39], source=text,
            scope=text, flags=frozenset({text}), quote=text, note=text, lower=-9.5,
            upper=None, citation=Citation(
                publisher=text, publication=text, publication_date=date(2021, 1, 2),
                locator=text, retrieved_from=text, grade="other_copy")))
    return out


def assert_defused(text: str, *, numeric: set[str] = NUMERIC) -> list[dict[str, str]]:
    """Every cell is either a number in a numeric column or text a spreadsheet shows."""
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    for row in rows:
        for column, value in row.items():
            if column in numeric and value:
                float(value)  # a number, written as one
                continue
            assert value[:1] not in (*FORMULA_START, "'") or (
                value[:1] == "'" and value[1:2] in (*FORMULA_START, "'")), (column, value)
    return rows


# --------------------------------------------------------------------------- the writer


@given(st.text())
def test_restore_undoes_neutralise_exactly(text: str) -> None:
    assert restore(neutralise(text)) == text
    assert neutralise(text)[:1] not in FORMULA_START


def test_numbers_stay_numbers_and_text_is_defused() -> None:
    assert [cell(v) for v in (-1.5, -2, 0.1 + 0.2, None, float("nan"))] == \
        [-1.5, -2, 0.1 + 0.2, "", ""]
    assert cell("-1.5") == "'-1.5"  # text that looks like a number is still text
    assert cell(datetime(2024, 3, 1, tzinfo=UTC)) == "2024-03-01T00:00:00+00:00"
    text = csv_text(["a", "b"], [{"a": -1.5, "b": "=1+1"}, ["x", "'y"]])
    assert text == "a,b\r\n-1.5,'=1+1\r\nx,''y\r\n"
    # a lone carriage return is quoted, so the row stays one row
    assert list(csv.reader(io.StringIO(csv_text(["a"], [["x\ry"]]), newline=""))) == \
        [["a"], ["x\ry"]]


def test_excel_cells_are_typed_text_never_formulas() -> None:
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx_bytes(["t", "n"], [[h, -1.5] for h in HOSTILE]))).active
    assert ws is not None
    got = [(c.value, c.data_type, n.value) for c, n in ws.iter_rows(min_row=2)]
    assert got == [(h, "s", -1.5) for h in HOSTILE]


# --------------------------------------------------------------------------- every writer


def test_platform_downloads_and_cli_export_defuse_every_text_column(app: FastAPI) -> None:  # noqa: F811
    from openpyxl import load_workbook

    store = app.state.platform.store
    hostile = hostile_observations()
    store.import_observations(hostile, source_name="hostile", sha256=None)
    c = client(app)
    indicators = {"indicator": [o.indicator for o in hostile]}
    downloaded = c.get("/api/observations", params={**indicators, "format": "csv"})
    rows = assert_defused(downloaded.text)
    assert {restore(r["note"]) for r in rows} == set(HOSTILE)
    assert {r["value"] for r in rows} == {str(o.value) for o in hostile}  # numbers, not text
    sdmx = assert_defused(c.get("/api/export/sdmx-csv", params=indicators).text)
    assert {restore(r["COMMENT_OBS"]) for r in sdmx} == set(HOSTILE)
    workbook = load_workbook(io.BytesIO(
        c.get("/api/observations", params={**indicators, "format": "xlsx"}).content))
    ws = workbook.active
    assert ws is not None
    header = [h.value for h in ws[1]]
    notes = [row[header.index("note")] for row in ws.iter_rows(min_row=2)]
    assert {(n.value, n.data_type) for n in notes} == {(h, "s") for h in HOSTILE}
    # the command line's export writes what the platform's download does, byte for byte
    everything = c.get("/api/observations", params={"format": "csv"}).text
    exported = CliRunner().invoke(main, ["data", "export", "--db", url_of(store)])
    assert exported.exit_code == 0, exported.output
    assert exported.stdout_bytes.decode("utf-8") == everything
    assert everything.splitlines()[0] == ",".join(EXPORT_COLUMNS)


def test_the_audit_export_defuses_every_text_column(app: FastAPI,  # noqa: F811
                                                    tokens: dict[str, str]) -> None:  # noqa: F811
    engine = app.state.platform.engine
    for text in HOSTILE:
        with begin_write(engine) as conn:
            audit.record(conn, Actor(id=None, username=text, via="cli"), text, text[:30], text,
                         before={"x": text}, after=None, comment=text, ip=text)
    exported = client(app).get("/api/audit", headers=bearer(tokens["admin"]),
                               params={"format": "csv"}).text
    rows = assert_defused(exported, numeric={"id"})
    assert {restore(r["comment"]) for r in rows} >= set(HOSTILE)


def test_the_problems_csv_defuses_every_text_column(tmp_path: Path,
                                                    sqlite_copy: Callable[..., str]) -> None:
    problems = [Problem(h, 2, h, h, sheet=h, value=h) for h in HOSTILE]
    assert_defused(problems_csv(problems), numeric={"row"})
    # and through the command line: a rejected import's --problems file
    bad = tmp_path / "bad.csv"
    bad.write_text("indicator,area,year,value,unit,source\nrd_intensity,000000,2020,"
                   "=1+1,%,NBS\n", encoding="utf-8")
    written = tmp_path / "problems.csv"
    db = sqlite_copy(tmp_path / "s.db")  # as the first command leaves it
    r = CliRunner().invoke(main, ["import", str(bad), "--db", db, "--problems", str(written)])
    assert r.exit_code == 3, r.output
    rows = assert_defused(written.read_bytes().decode("utf-8"), numeric={"row"})
    assert "'=1+1" in {r["value"] for r in rows}


def test_composite_tables_defuse_unit_names(tmp_path: Path) -> None:
    import numpy as np

    path = tmp_path / "t.csv"
    Table(tuple(HOSTILE), ("=x",), np.array([[-1.0]] * len(HOSTILE))).to_csv(path)
    rows = assert_defused(path.read_bytes().decode("utf-8"), numeric={"'=x"})
    assert [restore(r["uCode"]) for r in rows] == list(HOSTILE)


# --------------------------------------------------------------------------- SDMX round trip


@pytest.fixture(params=BACKENDS)
def two_stores(request: pytest.FixtureRequest, tmp_path: Path,
               store_templates: StoreTemplates) -> Iterator[tuple[str, str]]:
    """The store written directly (migrated, empty) and the one the import command writes
    into (as its first run leaves it); on SQLite, copies of the session's templates."""
    with fresh_url(request.param, tmp_path / "a") as a, fresh_url(request.param,
                                                                   tmp_path / "b") as b:
        store_templates.migrate_into(a)
        store_templates.migrate_into(b, evidence=True)
        yield a, b


def test_sdmx_csv_round_trip_restores_hostile_text_exactly(
        two_stores: tuple[str, str], tmp_path: Path) -> None:
    from mic2025.web import exports

    source_url, target_url = two_stores
    texts = ("=cmd|'/c calc'!A1", "'quoted", "@SUM(1+1)", "-2+3+cmd", "''twice")
    written = [Observation(indicator="rd_intensity", area="000000", period=periods.year(2020),
                           value=2.4, unit="%", source=t, scope=t, quote=t, note=t)
               for t in texts]
    with open_store(source_url) as s:
        s.import_observations(written, source_name="hostile", sha256=None)
        observations = s.observations()
    path = tmp_path / "hostile.sdmx.csv"
    path.write_text(exports.to_sdmx_csv(observations), encoding="utf-8")
    assert_defused(path.read_bytes().decode("utf-8"))
    r = CliRunner().invoke(main, ["import", str(path), "--db", target_url])
    assert r.exit_code == 0, r.output
    with open_store(target_url) as t:
        back = [o for o in t.observations() if o.source in texts]
    assert sorted((o.source, o.scope, o.quote, o.note) for o in back) == \
        sorted((x, x, x, x) for x in texts)
