"""Entering figures in the browser's form and as JSON rows, on SQLite and PostgreSQL.

The form of a province and year lists the plan's indicators by name, units in words, with
the store's figures of the year before and of the base year beside each cell; it saves a
draft (the province's open submission), shows each problem at its cell in the reader's
language, resumes the draft, and submits through the workflow. The form, the Excel
template and the API's JSON rows give the same figures for the same rows.
"""

from __future__ import annotations

import io
import json
import re
from html import unescape
from typing import Any

from fastapi import FastAPI

import test_web_support
from mic2025.services.imports import import_rows
from mic2025.services.submissions import check_upload
from test_web_support import SYSTEM, bearer, client, csrf_of, log_in, upload

# the platform fixtures, one app per backend (SQLite and PostgreSQL)
app = test_web_support.app
tokens = test_web_support.tokens

AREA = "440000"
YEAR = 2024
SOURCE = {"publisher": "广东省统计局", "publication": "广东统计年鉴2025"}


def _store_figures(app: FastAPI) -> None:
    """Guangdong's figures of the year before and of the base year, in the store."""
    p = app.state.platform
    rows = [{"indicator": "rd_intensity", "area": AREA, "year": y, "value": v, "unit": "%",
             **SOURCE} for y, v in ((2023, 2.54), (p.plan.base_year, 1.76))]
    import_rows(p.store, SYSTEM, rows, p.plan, source_name="gd-history")


def _editor(app: FastAPI) -> Any:
    c = client(app)
    assert log_in(c, "gd-editor").status_code == 303
    return c


def _form_page(c: Any, **params: Any) -> Any:
    return c.get("/submissions/entry", params={"area": AREA, "year": YEAR, **params})


def _post(c: Any, fields: dict[str, str], action: str = "save") -> Any:
    token = csrf_of(_form_page(c).text)
    return c.post("/submissions/entry", data={"csrf_token": token, "area": AREA,
                                              "year": str(YEAR), "action": action, **fields})


def _cell_errors(html: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}"[^>]*>(.*?)</tr>', html, re.S)
    assert row, f"no row {row_id}"
    return [unescape(m) for m in re.findall(r'class="cell-error[^"]*"[^>]*>([^<]*)<', row.group(1))]


def test_the_form_lists_the_plans_indicators_by_name_with_stored_figures(
        app: FastAPI, tokens: dict[str, str]) -> None:
    _store_figures(app)
    c = _editor(app)
    r = _form_page(c)
    assert r.status_code == 200
    html = r.text
    for ind in app.state.platform.plan.indicators:
        assert ind.name.zh in html and f'name="{ind.id}.{YEAR}.value"' in html
    row = re.search(r'<tr id="row-rd_intensity-2024"[^>]*>(.*?)</tr>', html, re.S)
    assert row is not None
    assert re.search(r'class="num last-year">2\.54', row.group(1))
    assert re.search(r'class="num base-year">1\.76', row.group(1))
    # the base year is stored for rd_intensity, so only the others ask for it
    assert 'name="rd_intensity.2015.value"' not in html
    assert 'name="broadband_penetration.2015.value"' in html
    assert "比2015年变化百分点" in html  # a unit in words, never pp_vs:2015 alone
    en = _form_page(c, lang="en").text
    assert "Penetration of digital R&amp;D and design tools" in en
    # another province's form is not the Guangdong editor's, and the national total has none
    assert _form_page(c, area="110000").status_code == 403
    assert c.get("/submissions/entry", params={"area": "999999", "year": YEAR}
                 ).status_code == 404
    # the submissions page links to it
    assert f"/submissions/entry?area={AREA}" in c.get("/submissions").text


def test_a_draft_is_saved_shown_at_the_cell_in_the_readers_language_and_resumed(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = _editor(app)
    fields = {"digital_design_tools.2024.value": "120", "digital_design_tools.2024.unit": "%",
              "digital_design_tools.2024.publisher": SOURCE["publisher"],
              "digital_design_tools.2024.publication": SOURCE["publication"],
              "rd_intensity.2024.value": "2.6",
              "rd_intensity.2024.publication": SOURCE["publication"],
              "broadband_penetration.2015.value": "abc",
              "broadband_penetration.2015.publication": SOURCE["publication"]}
    saved = _post(c, fields)
    assert saved.status_code == 303 and "saved=" in saved.headers["location"]
    html = _form_page(c).text
    assert _cell_errors(html, "row-digital_design_tools-2024") == [
        "数字化研发设计工具普及率：120% 超出可能范围（0–100）"]
    (not_a_number,) = _cell_errors(html, "row-broadband_penetration-2015")
    assert not_a_number.startswith("宽带普及率：不是数字")
    assert _cell_errors(html, "row-rd_intensity-2024") == []
    assert 'name="digital_design_tools.2024.value" value="120"' in html  # resumed
    assert 'name="rd_intensity.2024.value" value="2.6"' in html
    en = _form_page(c, lang="en").text
    assert _cell_errors(en, "row-digital_design_tools-2024") == [
        "Penetration of digital R&D and design tools: 120% is outside the possible range "
        "(0–100)"]
    assert "digital_design_tools is" not in en and "impossible for" not in en
    # submitting a draft with problems keeps it a draft
    held = _post(c, fields, action="submit")
    assert held.status_code == 303 and "/submissions/entry" in held.headers["location"]
    listed = c.get("/api/submissions", params={"year": YEAR}).json()
    assert [(s["status"], s["problem_count"]) for s in listed] == [("draft", 2)]
    # fixed, it is the same submission, and it goes through the workflow
    fields["digital_design_tools.2024.value"] = "88"
    fields["broadband_penetration.2015.value"] = "36.5"
    done = _post(c, fields, action="submit")
    assert done.status_code == 303
    sid = listed[0]["id"]
    assert done.headers["location"] == f"/submissions/{sid}"
    s = c.get(f"/api/submissions/{sid}").json()
    assert s["status"] == "submitted" and s["rows"] == 3 and s["problem_count"] == 0
    locked = _form_page(c).text
    assert 'id="entry-locked"' in locked and 'id="entry-save"' not in locked


def _observations(app: FastAPI, c: Any, token: str, sid: int, name: str) -> list[Any]:
    data = c.get(f"/api/submissions/{sid}/file", headers=bearer(token)).content
    checked = check_upload(data, name, app.state.platform.plan, AREA)
    assert checked.problem_count == 0
    return sorted(checked.observations, key=lambda o: o.key)


def test_the_form_the_template_and_json_rows_give_the_same_submission(
        app: FastAPI, tokens: dict[str, str]) -> None:
    from openpyxl import load_workbook

    token = tokens["gd-editor"]
    c = client(app)
    filled = {("rd_intensity", YEAR): "2.61", ("broadband_penetration", 2015): "36.5",
              ("digital_design_tools", YEAR): "71.2"}
    template = c.get(f"/api/templates/{AREA}/{YEAR}", headers=bearer(token))
    wb = load_workbook(io.BytesIO(template.content))
    ws = wb["数据"]
    header = [cell.value for cell in ws[1]]
    col = {h: header.index(h) + 1 for h in ("指标", "年份", "数值", "发布机构", "出版物")}
    for r in range(2, ws.max_row + 1):
        key = (ws.cell(r, col["指标"]).value, ws.cell(r, col["年份"]).value)
        if key in filled:
            ws.cell(r, col["数值"], filled[key])
            ws.cell(r, col["发布机构"], SOURCE["publisher"])
            ws.cell(r, col["出版物"], SOURCE["publication"])
    out = io.BytesIO()
    wb.save(out)
    by_template = upload(c, token, data=out.getvalue(), name="gd.xlsx").json()
    assert by_template["problems"] == [] and by_template["rows"] == 3
    from_template = _observations(app, c, token, by_template["id"], "gd.xlsx")

    web = _editor(app)
    fields = {}
    for (ind, y), value in filled.items():
        fields |= {f"{ind}.{y}.value": value, f"{ind}.{y}.publisher": SOURCE["publisher"],
                   f"{ind}.{y}.publication": SOURCE["publication"]}
    assert _post(web, fields).status_code == 303
    listed = web.get("/api/submissions", params={"year": YEAR}).json()
    assert len(listed) == 1  # the form reused the open draft the template made
    from_form = _observations(app, c, token, listed[0]["id"], "entry.csv")

    units = {m.id: m.unit for m in app.state.platform.plan.indicators}
    rows = [{"indicator": ind, "area": AREA, "year": y, "value": float(v), "unit": units[ind],
             **SOURCE} for (ind, y), v in filled.items()]
    by_json = c.post("/api/submissions/rows", headers=bearer(token),
                     json={"area": AREA, "year": YEAR, "rows": rows})
    assert by_json.status_code == 201, by_json.text
    assert by_json.json()["id"] == listed[0]["id"] and by_json.json()["problems"] == []
    from_json = _observations(app, c, token, by_json.json()["id"], "rows.csv")
    assert from_form == from_template == from_json
    assert len(from_form) == 3


def test_json_rows_are_checked_as_an_upload_and_refused_whole(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    token = bearer(tokens["gd-editor"])

    def post(body: Any, **kw: Any) -> Any:
        return c.post("/api/submissions/rows", headers=token, json=body, **kw)

    row = {"indicator": "rd_intensity", "area": AREA, "year": YEAR, "value": 2.5, "unit": "%",
           **SOURCE}
    bad = post({"area": AREA, "year": YEAR, "rows": [
        row, {**row, "indicator": "digital_design_tools", "value": 120},
        {**row, "indicator": "broadband_penetration", "area": "110000", "value": 90}]})
    assert bad.status_code == 422
    body = bad.json()
    assert body["problem_count"] == 2
    found = {(p["row"], p["column"]): p for p in body["problems"]}
    assert found[(2, "value")]["messages"]["zh"] == \
        "数字化研发设计工具普及率：120% 超出可能范围（0–100）"
    assert "北京市" in found[(3, "area")]["messages"]["zh"]
    assert c.get("/api/submissions", headers=token).json() == []  # nothing kept
    # wrong types, unknown columns, no rows, a bad year: refused before any check
    assert post({"area": AREA, "year": YEAR, "rows": [{**row, "value": {"x": 1}}]}
                ).status_code == 422
    assert post({"area": AREA, "year": YEAR, "rows": [{**row, "valeu": 1}]}).status_code == 422
    assert post({"area": AREA, "year": YEAR, "rows": []}).status_code == 422
    assert post({"area": AREA, "year": "soon", "rows": [row]}).status_code == 422
    assert post({"area": AREA, "year": YEAR, "rows": [row] * 10_001}).status_code in (413, 422)
    # another province's submission is not the Guangdong editor's to send
    assert post({"area": "110000", "year": YEAR, "rows": [{**row, "area": "110000"}]}
                ).status_code == 403
    assert c.post("/api/submissions/rows", json={"area": AREA, "year": YEAR, "rows": [row]}
                  ).status_code in (401, 403)
    # a body past the platform's limit is refused before it is read
    huge = json.dumps({"area": AREA, "year": YEAR,
                       "rows": [{**row, "note": "x" * 1000}] * 7000})
    assert c.post("/api/submissions/rows", headers={**token,
                                                    "Content-Type": "application/json"},
                  content=huge).status_code == 413
    good = post({"area": AREA, "year": YEAR, "rows": [row]})
    assert good.status_code == 201 and good.json()["rows"] == 1
    assert good.json()["status"] == "draft" and good.json()["problem_count"] == 0


def test_a_gb18030_upload_is_read_with_a_note_in_the_readers_language(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    text = ("指标,地区,年份,数值,单位,发布机构,出版物\n"
            f"rd_intensity,{AREA},{YEAR},2.5,%,广东省统计局,广东统计年鉴2025\n")
    r = upload(c, tokens["gd-editor"], data=text.encode("gb18030"), name="gd.csv")
    assert r.status_code == 201
    body = r.json()
    assert body["problems"] == [] and body["rows"] == 1
    (note,) = body["notes"]
    assert "GB18030" in note["messages"]["zh"] and "GB18030" in note["message"]
    data = c.get(f"/api/submissions/{body['id']}/file",
                 headers=bearer(tokens["gd-editor"])).content
    (o,) = check_upload(data, "gd.csv", app.state.platform.plan, AREA).observations
    assert o.citation.publisher == "广东省统计局"
    web = _editor(app)
    page = web.get(f"/submissions/{body['id']}").text
    assert "已按 GB18030 读取" in page


def test_upload_problems_name_indicators_in_the_readers_language(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    text = ("indicator,area,year,value,unit,publication\n"
            f"digital_design_tools,{AREA},{YEAR},120,%,年鉴\n")
    sid = upload(c, tokens["gd-editor"], data=text.encode(), name="gd.csv").json()["id"]
    web = _editor(app)
    zh = unescape(web.get(f"/submissions/{sid}").text)
    assert "数字化研发设计工具普及率：120% 超出可能范围（0–100）" in zh
    en = unescape(web.get(f"/submissions/{sid}?lang=en").text)
    assert "Penetration of digital R&D and design tools: 120% is outside" in en
    assert "impossible for digital_design_tools" not in zh + en
