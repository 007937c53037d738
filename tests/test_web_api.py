"""The web platform's API and workflow against the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mic2025.services import accounts
from mic2025.web import assets
from mic2025.web.app import create_app
from test_web_support import (
    PASSWORD,
    SYSTEM,
    app,
    bad_file,
    bearer,
    client,
    csrf_of,
    good_file,
    log_in,
    tokens,
    upload,
)

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here




def audit_rows(app: FastAPI, action: str | None = None) -> list[Any]:
    with app.state.platform.engine.connect() as conn:
        query = "SELECT actor, action, resource_id, before, after, comment FROM audit_log"
        rows = conn.execute(text(query + (" WHERE action = :a" if action else "")
                                 + " ORDER BY id"), {"a": action}).all()
    return list(rows)


# ---------------------------------------------------------------------------- reading


def test_public_reads_plan_indicators_observations_and_evaluations(app: FastAPI) -> None:
    c = client(app)
    indicators = c.get("/api/indicators").json()
    assert indicators[0]["id"] == "rd_intensity"
    assert any(i["group"] == "project" for i in indicators)
    assert c.get("/api/indicators/rd_intensity").json()["unit"] == "%"
    assert c.get("/api/indicators/nope").status_code == 404
    obs = c.get("/api/observations", params={"indicator": "rd_intensity"}).json()
    assert obs and {o["indicator"] for o in obs} == {"rd_intensity"}
    assert all(o["vintage"] == 1 for o in obs)
    ev = c.get("/api/evaluations", params={"area": "000000"}).json()
    assert ev["plan"] == "mic2025" and ev["results"][0]["metric"] == "rd_intensity"
    assert c.get("/api/evaluations", params={"method": "nope"}).status_code == 422
    assert c.get("/api/evaluations", params={"area": "999999"}).status_code == 422
    spec = c.get("/openapi.json").json()
    assert "/api/observations" in spec["paths"] and "/api/submissions" in spec["paths"]


def test_observation_filters_and_as_of(app: FastAPI) -> None:
    c = client(app)
    rows = c.get("/api/observations", params={"indicator": "rd_intensity", "year": 2021}).json()
    assert [r["year"] for r in rows] == [2021, 2021]  # NBS's 1.46 and MIIT's 1.54 both kept
    assert c.get("/api/observations", params={"as_of": "2000-01-01"}).json() == []
    assert c.get("/api/observations", params={"as_of": "2024-06-30T12:00:00"}).status_code == 422
    assert c.get("/api/observations", params={"vintage": 99}).json() == []


def test_csv_and_excel_downloads_carry_the_same_rows(app: FastAPI) -> None:
    from openpyxl import load_workbook

    c = client(app)
    params = {"indicator": "rd_intensity"}
    as_json = c.get("/api/observations", params=params).json()
    as_csv = c.get("/api/observations", params={**params, "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.strip().splitlines()
    assert lines[0].startswith("indicator,area,year,period,value,unit")
    assert len(lines) == len(as_json) + 1
    xlsx = c.get("/api/observations", params={**params, "format": "xlsx"})
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None
    values = [row[4] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert values == [o["value"] for o in as_json]


def test_sdmx_csv_reads_back_in_sdmx1(app: FastAPI) -> None:
    import sdmx
    from sdmx.model import common, v30

    from mic2025.web import exports
    from mic2025.web.sdmx import unit_code

    c = client(app)
    response = c.get("/api/export/sdmx-csv", params={"indicator": "rd_intensity"})
    assert response.status_code == 200
    assert "version=2.0.0" in response.headers["content-type"]
    dsd = v30.DataStructureDefinition(id="MIC2025_OBS", version="1.0",
                                      maintainer=common.Agency(id="MIC2025"))
    for d in exports.SDMX_DIMENSIONS:
        dsd.dimensions.getdefault(d)
    dsd.measures.getdefault("OBS_VALUE")
    for a in exports.SDMX_ATTRIBUTES:
        dsd.attributes.getdefault(a)
    message = sdmx.read_sdmx(io.BytesIO(response.content), format="csv", structure=dsd)
    (dataset,) = message.data

    def attribute(o: Any, ident: str) -> str:
        return str(o.attached_attribute[ident].value)

    got = sorted((o.dimension["TIME_PERIOD"].value, o.dimension["SOURCE"].value, float(o.value),
                  attribute(o, "UNIT_MEASURE"), attribute(o, "PUBLICATION_DATE"),
                  attribute(o, "QUOTE"), attribute(o, "COMMENT_OBS"),
                  attribute(o, "LOWER_BOUND"), attribute(o, "UPPER_BOUND"))
                 for o in dataset.obs)
    expected = sorted((str(o["year"]), o["source"], o["value"], unit_code(o["unit"]),
                       o["citation"]["publication_date"] or "", o["quote"], o["note"],
                       "" if o["lower"] is None else repr(o["lower"]),
                       "" if o["upper"] is None else repr(o["upper"])) for o in
                      c.get("/api/observations", params={"indicator": "rd_intensity"}).json())
    assert got == expected and len(got) >= 5
    assert all(row[5] for row in got)  # every figure of rd_intensity has its quote


def test_the_sdmx_structure_parses_and_codes_every_exported_value(app: FastAPI) -> None:
    import csv as csv_module

    import sdmx

    from mic2025.catalogue import known_series

    c = client(app)
    r = c.get("/api/sdmx/structure")
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/vnd.sdmx.structure+xml")
    msg = sdmx.read_sdmx(io.BytesIO(r.content))
    dsd = msg.structure["MIC2025_OBS"]
    assert msg.dataflow["MIC2025_OBS"].structure is dsd or \
        msg.dataflow["MIC2025_OBS"].structure.id == "MIC2025_OBS"
    assert [d.id for d in dsd.dimensions] == ["INDICATOR", "REF_AREA", "SECTOR", "SCOPE",
                                               "SOURCE", "TIME_PERIOD"]
    assert [a.id for a in dsd.attributes] == ["UNIT_MEASURE", "OBS_STATUS", "VINTAGE",
                                               "QUOTE", "COMMENT_OBS", "LOWER_BOUND",
                                               "UPPER_BOUND", "PUBLISHER", "PUBLICATION",
                                               "PUBLICATION_DATE", "LOCATOR", "RETRIEVED_FROM",
                                               "GRADE"]
    assert [m.id for m in dsd.measures] == ["OBS_VALUE"]
    # the uncoded attributes: their text type, and their concept's names in both languages
    text_types = {"VINTAGE": "integer", "PUBLICATION_DATE": "gregorianDay", "QUOTE": "string",
                  "COMMENT_OBS": "string", "LOWER_BOUND": "double", "UPPER_BOUND": "double",
                  "PUBLISHER": "string", "PUBLICATION": "string", "LOCATOR": "string",
                  "RETRIEVED_FROM": "string"}
    concepts = msg.concept_scheme["CS_MIC2025"]
    for ident, text_type in text_types.items():
        a = dsd.attributes.get(ident)
        assert a.local_representation.enumerated is None
        (facet,) = a.local_representation.non_enumerated
        assert facet.value_type.name == text_type, ident
        names = concepts[ident].name.localizations
        assert names["zh"] and names["en"] and names["zh"] != names["en"], ident
    plan = app.state.platform.plan
    indicators = msg.codelist["CL_INDICATOR"]
    # generated from the plan and the catalogue: every metric, with both names
    assert {code.id for code in indicators} == set(known_series(plan))
    rd = indicators["rd_intensity"].name.localizations
    assert rd["zh"] == plan.metric("rd_intensity").name.zh and rd["en"]
    assert "440000" in msg.codelist["CL_AREA"] and "36" in msg.codelist["CL_SECTOR"]
    # every coded value of the whole SDMX-CSV export is in its codelist
    export = c.get("/api/export/sdmx-csv")
    rows = list(csv_module.DictReader(io.StringIO(export.text)))
    assert len(rows) > 100
    coded = {"INDICATOR": "CL_INDICATOR", "REF_AREA": "CL_AREA", "SECTOR": "CL_SECTOR",
             "UNIT_MEASURE": "CL_UNIT"}
    for column, cl_id in coded.items():
        codes = {code.id for code in msg.codelist[cl_id]}
        missing = {row[column] for row in rows} - codes
        assert not missing, f"{column} values not in {cl_id}: {sorted(missing)}"
    grades = [code.id for code in msg.codelist["CL_GRADE"]]
    assert grades == ["official", "official_media", "industry_body", "other_copy"]
    flags = {code.id for code in msg.codelist["CL_OBS_STATUS"]}
    used = {f for row in rows for f in row["OBS_STATUS"].split(";") if f}
    assert used and used <= flags
    # and every uncoded one is of its text type: an integer, an ISO 8601 day, a double
    # (empty when the figure has none); each is used by some figure
    readers = {"VINTAGE": int, "PUBLICATION_DATE": date.fromisoformat, "LOWER_BOUND": float,
               "UPPER_BOUND": float}
    for column, read in readers.items():
        values = [row[column] for row in rows if row[column]]
        assert values, column
        for v in values:
            read(v)
    assert all(len(row["PUBLICATION_DATE"]) == 10 for row in rows if row["PUBLICATION_DATE"])
    assert any(row["QUOTE"] for row in rows) and any(row["COMMENT_OBS"] for row in rows)
    assert "/api/sdmx/structure" in c.get("/openapi.json").json()["paths"]


# ---------------------------------------------------------------------------- workflow


def test_upload_with_errors_reports_every_problem_and_cannot_be_submitted(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    r = upload(c, tokens["gd-editor"], data=bad_file())
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "draft"
    where = {(p["row"], p["column"]) for p in body["problems"]}
    # row 3 has no source: it names neither its publication nor the copy read
    assert (2, "value") in where and (3, "publication") in where
    refused = c.post(f"/api/submissions/{body['id']}/submit", headers=bearer(tokens["gd-editor"]))
    assert refused.status_code == 409
    assert "problem" in refused.json()["detail"]


def test_figures_for_another_province_are_refused_in_the_file(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    body = upload(c, tokens["gd-editor"], data=good_file(area="110000")).json()
    assert body["problems"] and all(p["column"] == "area" for p in body["problems"])
    assert all(p["value"] == "110000" for p in body["problems"])


def test_submit_approve_turns_figures_into_a_vintage_and_locks(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    editor, approver = bearer(tokens["gd-editor"]), bearer(tokens["gd-approver"])
    sid = upload(c, tokens["gd-editor"]).json()["id"]
    assert c.post(f"/api/submissions/{sid}/submit", headers=editor).json()["status"] == \
        "submitted"
    assert upload(c, tokens["gd-editor"]).status_code == 409  # awaiting approval: frozen
    approved = c.post(f"/api/submissions/{sid}/approve", headers=approver,
                      json={"comment": "checked"}).json()
    assert approved["status"] == "approved" and approved["vintage_id"] is not None
    figures = c.get("/api/observations",
                    params={"vintage": approved["vintage_id"]}).json()
    assert {(f["indicator"], f["area"], f["value"]) for f in figures} == {
        ("rd_intensity", "440000", 2.1), ("broadband_penetration", "440000", 88.5)}
    # locked: a second approval, a return or a submit are all refused
    for step, body in (("approve", {}), ("return", {"comment": "x"}), ("submit", None)):
        assert c.post(f"/api/submissions/{sid}/{step}", headers=approver,
                      json=body).status_code in (403, 409)
    # the province page and the evaluation now see the figure
    ev = c.get("/api/evaluations", params={"area": "440000"}).json()
    rd = next(m for m in ev["results"] if m["metric"] == "rd_intensity")
    assert any(p["value"] == 2.1 for t in rd["targets"] for p in t["series"])
    (entry,) = audit_rows(app, "submission.approve")
    assert entry.actor == "gd-approver" and entry.comment == "checked"
    assert '"status": "submitted"' in entry.before and '"status": "approved"' in entry.after


def test_return_needs_a_comment_and_reopens_the_submission(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    editor, approver = bearer(tokens["gd-editor"]), bearer(tokens["gd-approver"])
    sid = upload(c, tokens["gd-editor"]).json()["id"]
    c.post(f"/api/submissions/{sid}/submit", headers=editor)
    assert c.post(f"/api/submissions/{sid}/return", headers=approver,
                  json={"comment": " "}).status_code == 409
    back = c.post(f"/api/submissions/{sid}/return", headers=approver,
                  json={"comment": "2024 R&D looks low"}).json()
    assert back["status"] == "returned" and back["comment"] == "2024 R&D looks low"
    again = upload(c, tokens["gd-editor"], data=good_file(value=2.3)).json()
    assert again["id"] == sid and again["status"] == "draft"


def test_bulk_approval_reports_each_outcome(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    editor, bj = bearer(tokens["gd-editor"]), bearer(tokens["bj-editor"])
    ok_ids = []
    for year in (2022, 2023):
        sid = upload(c, tokens["gd-editor"], year=year).json()["id"]
        c.post(f"/api/submissions/{sid}/submit", headers=editor)
        ok_ids.append(sid)
    other = upload(c, tokens["bj-editor"], area="110000").json()["id"]
    c.post(f"/api/submissions/{other}/submit", headers=bj)
    out = c.post("/api/submissions/bulk-approve", headers=bearer(tokens["gd-approver"]),
                 json={"ids": [*ok_ids, other]}).json()
    assert [(o["id"], o["ok"]) for o in out] == [(ok_ids[0], True), (ok_ids[1], True),
                                                 (other, False)]
    assert c.get(f"/api/submissions/{other}", headers=bearer(tokens["admin"])).json()[
        "status"] == "submitted"


def test_board_flags_late_provinces(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    admin = bearer(tokens["admin"])
    assert c.post("/api/deadlines", headers=admin,
                  json={"year": 2024, "due": "2025-03-31"}).status_code == 204
    sid = upload(c, tokens["gd-editor"]).json()["id"]
    c.post(f"/api/submissions/{sid}/submit", headers=bearer(tokens["gd-editor"]))
    board = {line["area"]: line for line in
             c.get("/api/board", params={"year": 2024}, headers=admin).json()}
    assert len(board) == 31
    assert board["110000"]["late"] is True and board["110000"]["status"] == "missing"
    assert board["440000"]["status"] == "submitted"
    own = c.get("/api/board", params={"year": 2024}, headers=bearer(tokens["gd-editor"])).json()
    assert [line["area"] for line in own] == ["440000"]


def test_template_has_codes_and_validation_and_round_trips(
        app: FastAPI, tokens: dict[str, str]) -> None:
    from openpyxl import load_workbook

    c = client(app)
    plan = app.state.platform.plan
    r = c.get("/api/templates/440000/2024", headers=bearer(tokens["gd-editor"]))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb["数据"]
    header = [cell.value for cell in ws[1]]
    assert header[:5] == ["指标", "指标名称", "地区", "年份", "数值"]
    col = {h: header.index(h) + 1 for h in header}
    rows = [{h: ws.cell(row=i, column=col[h]).value for h in header}
            for i in range(2, ws.max_row + 1)]
    # each indicator for the year, then for the base year, named and with its unit in words
    assert [(r["指标"], r["年份"]) for r in rows] == \
        [(i.id, 2024) for i in plan.indicators] + [(i.id, plan.base_year) for i in plan.indicators]
    assert rows[0]["指标名称"] == plan.indicators[0].name.zh
    units = {r["指标"]: (r["单位"], r["单位说明"]) for r in rows}
    assert units["rd_intensity"] == ("%", "%")
    assert units["patents_per_100m_revenue"] == ("count/100m_yuan", "件／亿元")
    assert {r["地区"] for r in rows} == {"440000"}
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "whole", "decimal"} <= kinds
    # a filled example, labelled, in a sheet of its own that the upload never reads
    example = wb["示例 example"]
    assert "示例" in example["A1"].value
    assert example.cell(row=3, column=col["数值"]).value is not None
    # another province's template is not the Guangdong editor's to take
    assert c.get("/api/templates/110000/2024",
                 headers=bearer(tokens["gd-editor"])).status_code == 403
    # fill two values and upload: the unfilled rows are "not reported", not errors
    ws.cell(row=2, column=col["数值"], value=2.2)
    ws.cell(row=2, column=col["发布机构"], value="广东省统计局")
    ws.cell(row=2 + len(plan.indicators), column=col["数值"], value=1.76)
    ws.cell(row=2 + len(plan.indicators), column=col["出版物"], value="广东统计年鉴2016")
    out = io.BytesIO()
    wb.save(out)
    body = upload(c, tokens["gd-editor"], data=out.getvalue(), name="gd.xlsx").json()
    assert body["problems"] == [] and body["rows"] == 2


def test_reviews_only_by_evaluators_and_audited(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    review = {"metric": "rd_intensity", "area": "000000", "target_year": 2025,
              "rating": "on_track", "text": "独立评估：进展符合预期。"}
    assert c.post("/api/reviews", headers=bearer(tokens["analyst"]),
                  json=review).status_code == 403
    made = c.post("/api/reviews", headers=bearer(tokens["evaluator"]), json=review)
    assert made.status_code == 201 and made.json()["author"] == "evaluator"
    listed = c.get("/api/reviews", headers=bearer(tokens["analyst"])).json()
    assert [r["text"] for r in listed] == [review["text"]]
    assert audit_rows(app, "review.create")[0].actor == "evaluator"


def test_the_submission_list_filters_in_sql_and_never_reads_the_files(
        app: FastAPI, tokens: dict[str, str]) -> None:
    from sqlalchemy import event

    c = client(app)
    for year in (2023, 2024):
        assert upload(c, tokens["gd-editor"], year=year).status_code == 201
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement.lower())

    engine = app.state.platform.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        listed = c.get("/api/submissions", params={"year": 2024},
                       headers=bearer(tokens["gd-approver"]))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert listed.status_code == 200 and [s["year"] for s in listed.json()] == [2024]
    assert "problems" not in listed.json()[0]  # counted, not listed
    reads = [q for q in statements if "from submission" in q]
    assert reads and all("submission.content" not in q and "submission.report" not in q
                         and "submission.year =" in q for q in reads)


def test_a_review_is_a_record_of_the_thirdparty_evaluation(app: FastAPI,
                                                          tokens: dict[str, str]) -> None:
    """One system: a review may belong to an evaluation round, is written by whoever may
    score (evaluators), and is read by whoever reads the third-party results."""
    c = client(app)
    assert c.post("/api/thirdparty/rounds", headers=bearer(tokens["admin"]),
                  json={"id": "r2024", "as_of": "2024-12-31"}).status_code == 201
    review = {"metric": "rd_intensity", "area": "000000", "rating": "off_track",
              "text": "behind the 2025 path", "round": "r2024"}
    made = c.post("/api/reviews", headers=bearer(tokens["evaluator"]), json=review)
    assert made.status_code == 201, made.text
    assert made.json()["round"] == "r2024"
    unknown = c.post("/api/reviews", headers=bearer(tokens["evaluator"]),
                     json={**review, "round": "r1999"})
    assert unknown.status_code == 422 and "r1999" in unknown.text
    outside = c.post("/api/reviews", headers=bearer(tokens["evaluator"]),
                     json={**review, "round": None, "text": "outside any round"})
    assert outside.status_code == 201 and outside.json()["round"] is None
    in_round = c.get("/api/reviews", params={"round": "r2024"},
                     headers=bearer(tokens["miit-editor"]))  # a follow-up reader
    assert in_round.status_code == 200
    assert [r["text"] for r in in_round.json()] == ["behind the 2025 path"]
    assert c.get("/api/reviews", headers=bearer(tokens["firm"])).status_code == 403
    (entry,) = [e for e in audit_rows(app, "review.create") if '"r2024"' in (e.after or "")]
    assert entry.actor == "evaluator"


# ---------------------------------------------------------------------------- security


def test_csrf_token_is_required_on_every_form(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    assert log_in(c, "gd-editor").status_code == 303
    page = c.get("/submissions")
    token = csrf_of(page.text)
    files = {"file": ("f.csv", good_file(), "text/csv")}
    form = {"area": "440000", "year": "2024"}
    assert c.post("/submissions/upload", data=form, files=files).status_code == 403
    assert c.post("/submissions/upload", data={**form, "csrf_token": "0" * 64},
                  files=files).status_code == 403
    assert audit_rows(app, "submission.upload") == []
    ok = c.post("/submissions/upload", data={**form, "csrf_token": token}, files=files)
    assert ok.status_code == 303 and ok.headers["location"].startswith("/submissions/")
    assert len(audit_rows(app, "submission.upload")) == 1
    # a token from another browser (another CSRF cookie) is worthless here
    other = client(app)
    other_token = csrf_of(other.get("/login").text)
    assert c.post("/logout", data={"csrf_token": other_token}).status_code == 403


def test_other_province_is_forbidden_through_the_pages_too(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    log_in(c, "gd-editor")
    token = csrf_of(c.get("/submissions").text)
    r = c.post("/submissions/upload", data={"area": "110000", "year": "2024",
                                            "csrf_token": token},
               files={"file": ("f.csv", good_file("110000"), "text/csv")})
    assert r.status_code == 403
    bj = upload(client(app), tokens["bj-editor"], area="110000").json()["id"]
    assert c.get(f"/submissions/{bj}").status_code == 403
    assert c.get(f"/api/submissions/{bj}").status_code == 403


def test_session_cookie_flags_and_logout(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app, https=True)
    r = log_in(c, "analyst")
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("m25_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    assert "analyst" in c.get("/").text
    c.post("/logout", data={"csrf_token": csrf_of(c.get("/").text)})
    assert c.get("/submissions").status_code == 303  # back to the log-in page


def test_login_is_throttled_after_repeated_failures(app: FastAPI, tokens: dict[str, str]
                                                    ) -> None:
    c = client(app)
    for _ in range(5):
        assert log_in(c, "admin", "wrong password").status_code == 401
    refused = log_in(c, "admin", PASSWORD)
    assert refused.status_code == 429 and "m25_session" not in refused.headers.get(
        "set-cookie", "")
    assert log_in(c, "analyst").status_code == 303  # other users are not locked out


def test_tokens_bad_revoked_or_of_disabled_users_are_refused(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    assert c.get("/api/submissions", headers=bearer("m25_nope")).status_code == 401
    assert c.get("/api/submissions", headers={"Authorization": "Basic x"}).status_code == 401
    assert c.get("/api/submissions", headers=bearer(tokens["analyst"])).status_code == 200
    assert c.post("/api/users/analyst/disable",
                  headers=bearer(tokens["admin"])).status_code == 204
    assert c.get("/api/submissions", headers=bearer(tokens["analyst"])).status_code == 401
    assert audit_rows(app, "user.disable")[0].after == '{"disabled": true, "tokens_revoked": 1}'


def test_audit_log_is_append_only_in_the_database(app: FastAPI, tokens: dict[str, str]
                                                  ) -> None:
    from sqlalchemy.exc import DBAPIError

    engine = app.state.platform.engine
    assert audit_rows(app)
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert {r.actor for r in audit_rows(app)} == {"test-setup"}


def test_admin_browses_and_exports_the_audit_log(app: FastAPI, tokens: dict[str, str]
                                                 ) -> None:
    c = client(app)
    upload(c, tokens["gd-editor"])
    assert c.get("/api/audit", headers=bearer(tokens["analyst"])).status_code == 403
    rows = c.get("/api/audit", headers=bearer(tokens["admin"]),
                 params={"action": "submission.upload"}).json()
    assert [r["actor"] for r in rows] == ["gd-editor"]
    exported = c.get("/api/audit", headers=bearer(tokens["admin"]),
                     params={"format": "csv"}).text.splitlines()
    assert exported[0].startswith("id,at,actor,via,action")
    assert len(exported) == len(audit_rows(app)) + 1
    log_in(c, "admin")
    page = c.get("/admin/audit", params={"who": "gd-editor"})
    assert page.status_code == 200 and "submission.upload" in page.text


def test_language_switch_is_remembered(app: FastAPI) -> None:
    c = client(app)
    assert "全国总览" in c.get("/").text
    english = c.get("/", params={"lang": "en"})
    assert "National overview" in english.text and '<html lang="en">' in english.text
    assert "National overview" in c.get("/indicators/rd_intensity").text
    assert "全国总览" in c.get("/", params={"lang": "zh"}).text


def test_pages_render_and_escape(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    for path in ("/", "/indicators/rd_intensity", "/indicators/green_factories",
                 "/provinces", "/provinces/440000", "/login"):
        r = c.get(path)
        assert r.status_code == 200, path
        assert "script-src 'self'" in r.headers["content-security-policy"]
    assert c.get("/indicators/nope").status_code == 404
    evil = "<script>alert(1)</script>"
    c.post("/api/reviews", headers=bearer(tokens["evaluator"]),
           json={"metric": "rd_intensity", "text": evil})
    log_in(c, "analyst")
    page = c.get("/indicators/rd_intensity").text
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_indicator_page_names_the_plan_as_a_source_in_words(app: FastAPI) -> None:
    c = client(app)
    zh = c.get("/indicators/rd_intensity", params={"lang": "zh"}).text
    assert '<td class="source">规划（国发〔2015〕28号）' in zh
    assert '<td class="source">plan' not in zh
    en = c.get("/indicators/rd_intensity", params={"lang": "en"}).text
    assert '<td class="source">the plan (国发〔2015〕28号)' in en


def test_users_can_be_added_by_admins_only(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    new = {"username": "sc-editor", "password": "long enough", "roles": ["prov_editor:510000"]}
    assert c.post("/api/users", headers=bearer(tokens["analyst"]), json=new).status_code == 403
    assert c.post("/api/users", headers=bearer(tokens["admin"]), json=new).status_code == 201
    bad = {**new, "username": "x", "roles": ["prov_editor:999999"]}
    assert c.post("/api/users", headers=bearer(tokens["admin"]), json=bad).status_code == 400
    names = [u["username"] for u in c.get("/api/users", headers=bearer(tokens["admin"])).json()]
    assert "sc-editor" in names
    assert "password" not in str(audit_rows(app, "user.create"))


def test_missing_assets_name_the_script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "VENDOR", tmp_path / "empty")
    with pytest.raises(assets.AssetsMissing, match=r"scripts/fetch-web-assets\.sh"):
        create_app(f"sqlite:///{tmp_path / 'x.sqlite'}", secret="s")


def test_demo_accounts_are_seeded_and_labelled(tmp_path: Path,
                                               sqlite_copy: Callable[..., str]) -> None:
    # the store as a platform's first start leaves it, but for the demo accounts
    app = create_app(sqlite_copy(tmp_path / "demo.sqlite"), demo=True, secret="s")
    try:
        c = client(app)
        assert "演示模式" in c.get("/").text
        assert log_in(c, "demo-gd-approver", "demo-gd-approver-pass").status_code == 303
        token = accounts.create_token(app.state.platform.engine, SYSTEM, "demo-admin", "t")
        users = c.get("/api/users", headers=bearer(token))
        assert {u["username"] for u in users.json() if u["demo"]} >= {
            "demo-admin", "demo-analyst", "demo-gd-editor", "demo-gd-approver",
            "demo-enterprise", "demo-evaluator"}
    finally:
        app.state.platform.close()

