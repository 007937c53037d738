"""A province uploads its own mic2025 platform's SDMX-CSV export as its submission.

The file goes through the same reading step as ``mic2025 import`` and every upload rule
still applies: the submission's area, all or nothing, the problem list on the page and in
the API, the original file kept for download. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from fastapi import FastAPI

from mic2025 import sdmx_codes
from mic2025.observation import Observation
from mic2025.permissions import SYSTEM
from mic2025.plan import load_plan
from mic2025.services.imports import import_rows
from mic2025.services.submissions import check_upload
from mic2025.store import open_store
from mic2025.web import exports
from test_web_support import (
    app,
    bearer,
    client,
    csrf_of,
    good_file,
    log_in,
    tokens,
    upload,
)

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here

#: every field of a figure the SDMX-CSV export carries (the vintage is the exporter's own)
EXPORTED = ("indicator", "area", "period", "value", "unit", "scope", "sector", "flags", "source",
            "source_date", "quote", "note", "lower", "upper")

#: Guangdong's figures as the province's own platform holds them: a year, a quarter, a
#: change against a base year, scopes, flags, bounds, a quote, a note and a source date
GUANGDONG = [
    {"indicator": "rd_intensity", "area": "440000", "year": 2024, "value": 3.6, "unit": "%",
     "source": "广东省统计局 统计公报", "source_date": "2025-03-01", "flags": "provisional",
     "quote": "全省研究与试验发展经费投入强度3.6%", "note": "preliminary, bulletin"},
    {"indicator": "broadband_penetration", "area": "440000", "year": 2024, "period": "2024-Q2",
     "value": 95.2, "unit": "%", "scope": "家庭户", "source": "广东省通信管理局"},
    {"indicator": "pollutant_intensity_reduction", "area": "440000", "year": 2023,
     "value": 21.5, "unit": "decline%vs:2015", "scope": "重点行业", "lower": 20,
     "source": "广东省工业和信息化厅"},
    {"indicator": "energy_intensity_reduction", "area": "440000", "year": 2024,
     "period": "2024-Q1", "value": 3.5, "unit": "decline%yoy", "scope": "规模以上工业",
     "source": "广东省统计局"},
]

#: what :func:`guangdong` gives
Export = tuple[list[Observation], str]


@pytest.fixture(scope="module")
def guangdong(tmp_path_factory: pytest.TempPathFactory,
              sqlite_copy: Callable[..., str]) -> tuple[list[Observation], str]:
    """The figures of :data:`GUANGDONG` as another mic2025 platform stores them (a store of
    its own, with the national plan as the app's), and its SDMX-CSV export; once a module."""
    db = sqlite_copy(tmp_path_factory.mktemp("province") / "province.sqlite", evidence=False)
    with open_store(db) as source:
        import_rows(source, SYSTEM, GUANGDONG, load_plan(), source_name="guangdong.csv")
        observations = source.observations()
    assert len(observations) == len(GUANGDONG)
    return observations, exports.to_sdmx_csv(observations)


def sdmx_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def sdmx_text(rows: Sequence[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def fields(o: Observation) -> tuple[object, ...]:
    return tuple(getattr(o, n) for n in EXPORTED)


def upload_sdmx(app: FastAPI, token: str, data: bytes) -> dict[str, Any]:
    r = upload(client(app), token, data=data, name="guangdong.sdmx.csv")
    assert r.status_code == 201, r.text
    return dict(r.json())


def assert_nothing_stored(app: FastAPI, token: str, body: dict[str, Any], before: Any) -> None:
    """A refused file is a draft with its problems; it cannot be submitted; no figure is in."""
    store = app.state.platform.store
    assert body["status"] == "draft" and body["problems"]
    r = client(app).post(f"/api/submissions/{body['id']}/submit", headers=bearer(token))
    assert r.status_code == 409 and "problem" in r.json()["detail"]
    assert store.counts() == before


# ----------------------------------------------------------------- accepted


def test_a_provinces_sdmx_export_is_accepted_and_approved_into_the_store(
        app: FastAPI, tokens: dict[str, str], guangdong: Export) -> None:
    originals, text = guangdong
    data = text.encode("utf-8")
    assert text.startswith("STRUCTURE,STRUCTURE_ID,ACTION,")
    c = client(app)
    editor, approver = bearer(tokens["gd-editor"]), bearer(tokens["gd-approver"])
    body = upload_sdmx(app, tokens["gd-editor"], data)
    assert body["problems"] == [] and body["rows"] == len(originals)
    assert body["status"] == "draft" and body["filename"] == "guangdong.sdmx.csv"
    sid = body["id"]
    # the original file is kept as uploaded, for download
    kept = c.get(f"/api/submissions/{sid}/file", headers=editor)
    assert kept.status_code == 200 and kept.content == data
    assert c.post(f"/api/submissions/{sid}/submit", headers=editor).json()["status"] == \
        "submitted"
    approved = c.post(f"/api/submissions/{sid}/approve", headers=approver,
                      json={"comment": "from the provincial platform"}).json()
    assert approved["status"] == "approved" and approved["vintage_id"] is not None
    stored = [o for o in app.state.platform.store.observations()
              if o.vintage == approved["vintage_id"]]
    assert len(stored) == len(originals)
    got = {o.key: o for o in stored}
    for o in originals:
        assert fields(got[o.key]) == fields(o), o.key
    assert {o.period.kind for o in stored} == {"year", "quarter"}
    assert {o.area for o in stored} == {"440000"}
    figures = c.get("/api/observations", params={"vintage": approved["vintage_id"]}).json()
    assert {(f["indicator"], f["area"], f["value"]) for f in figures} == {
        (o.indicator, o.area, o.value) for o in originals}


def test_sdmx_csv_1_0_is_accepted_too(app: FastAPI, guangdong: Export) -> None:
    plan = app.state.platform.plan
    _, text = guangdong
    rows = sdmx_rows(text)
    old = [{"DATAFLOW": r["STRUCTURE_ID"],
            **{k: v for k, v in r.items() if k not in ("STRUCTURE", "STRUCTURE_ID", "ACTION")}}
           for r in rows]
    checked = check_upload(sdmx_text(old), "gd.csv", plan, "440000")
    assert checked.problems == [] and len(checked.observations) == len(GUANGDONG)
    assert checked.skipped == 0


# ----------------------------------------------------------------- refused


def test_sdmx_rows_for_another_province_are_refused_with_row_and_ref_area(
        app: FastAPI, tokens: dict[str, str], guangdong: Export) -> None:
    _, text = guangdong
    rows = sdmx_rows(text)
    rows[2]["REF_AREA"] = "110000"  # file row 4 (the header is row 1)
    before = app.state.platform.store.counts()
    body = upload_sdmx(app, tokens["gd-editor"], sdmx_text(rows))
    assert [(p["row"], p["column"], p["value"]) for p in body["problems"]] == [
        (4, "REF_AREA", "110000")]
    assert "440000" in body["problems"][0]["message"]
    assert body["rows"] == len(rows)
    assert_nothing_stored(app, tokens["gd-editor"], body, before)


def test_national_rows_in_an_sdmx_export_are_refused(app: FastAPI, guangdong: Export) -> None:
    _, text = guangdong
    rows = sdmx_rows(text)
    rows[0]["REF_AREA"] = "000000"
    checked = check_upload(sdmx_text(rows), "gd.csv", app.state.platform.plan, "440000")
    assert [(p.row, p.column) for p in checked.problems] == [(2, "REF_AREA")]
    assert checked.observations == []


def test_a_foreign_dataflow_is_refused(
        app: FastAPI, tokens: dict[str, str], guangdong: Export) -> None:
    _, text = guangdong
    rows = sdmx_rows(text)
    for r in rows:
        r["STRUCTURE_ID"] = "ESTAT:NAMA_10_GDP(1.0)"
    before = app.state.platform.store.counts()
    body = upload_sdmx(app, tokens["gd-editor"], sdmx_text(rows))
    (problem,) = body["problems"]
    assert (problem["row"], problem["column"]) == (2, "STRUCTURE_ID")
    assert "ESTAT:NAMA_10_GDP(1.0)" in problem["message"]
    assert sdmx_codes.DATAFLOW in problem["message"]
    assert_nothing_stored(app, tokens["gd-editor"], body, before)


def test_a_foreign_dataflow_row_refuses_the_whole_file(app: FastAPI, guangdong: Export) -> None:
    _, text = guangdong
    rows = sdmx_rows(text)
    rows[1]["STRUCTURE_ID"] = "ESTAT:NAMA_10_GDP(1.0)"
    checked = check_upload(sdmx_text(rows), "gd.csv", app.state.platform.plan, "440000")
    assert [(p.row, p.column) for p in checked.problems] == [(3, "STRUCTURE_ID")]
    assert checked.observations == []  # all or nothing: the good rows are not taken


def test_a_delete_action_is_refused(
        app: FastAPI, tokens: dict[str, str], guangdong: Export) -> None:
    _, text = guangdong
    rows = sdmx_rows(text)
    rows[1]["ACTION"] = "D"
    before = app.state.platform.store.counts()
    body = upload_sdmx(app, tokens["gd-editor"], sdmx_text(rows))
    (problem,) = body["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (3, "ACTION", "D")
    assert "append-only" in problem["message"]
    assert_nothing_stored(app, tokens["gd-editor"], body, before)


def test_sdmx_in_a_workbook_is_refused(app: FastAPI, guangdong: Export) -> None:
    from openpyxl import Workbook

    _, text = guangdong
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "数据"
    for row in csv.reader(io.StringIO(text)):
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    checked = check_upload(out.getvalue(), "gd.xlsx", app.state.platform.plan, "440000")
    (problem,) = checked.problems
    assert (problem.sheet, problem.row) == ("数据", 1) and ".csv" in problem.message
    assert checked.observations == []


def test_the_page_shows_the_problems_of_an_sdmx_upload(
        app: FastAPI, tokens: dict[str, str], guangdong: Export) -> None:
    _, text = guangdong
    rows = sdmx_rows(text)
    rows[0]["REF_AREA"] = "110000"
    c = client(app)
    log_in(c, "gd-editor")
    page = c.get("/submissions")
    # the page names the formats it takes, with the dataflow as the exports write it
    assert "SDMX-CSV" in page.text and sdmx_codes.DATAFLOW in page.text
    r = c.post("/submissions/upload",
               data={"area": "440000", "year": "2024", "csrf_token": csrf_of(page.text)},
               files={"file": ("gd.sdmx.csv", sdmx_text(rows), "text/csv")})
    assert r.status_code == 303
    report = c.get(r.headers["location"]).text
    assert "REF_AREA" in report and "110000" in report and 'id="submit-btn"' not in report


def test_the_long_format_is_still_read_as_before(app: FastAPI) -> None:
    checked = check_upload(good_file(), "figures.csv", app.state.platform.plan, "440000")
    assert checked.problems == [] and len(checked.observations) == 2
    other = check_upload(good_file(area="110000"), "figures.csv", app.state.platform.plan,
                         "440000")
    assert {(p.row, p.column) for p in other.problems} == {(2, "area"), (3, "area")}
