"""The platform's upload within the import limits: capped reports, paged problems, bombs.

Every test drives the real app on SQLite and PostgreSQL (``app`` and ``tokens`` from
``test_web_support``), with the hostile files of ``hostile_files``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

import hostile_files as hostile
from mic2025.services import submissions
from test_web_support import app, bearer, client, log_in, tokens, upload

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here

BAD_ROWS = 3000
#: every bad row breaks the indicator, area, year, unit and source rules
FOUND = 5 * BAD_ROWS


def bad_upload(app: FastAPI, tokens: dict[str, str]) -> dict[str, Any]:
    r = upload(client(app), tokens["gd-editor"], data=hostile.bad_rows_csv(BAD_ROWS))
    assert r.status_code == 201, r.text
    return dict(r.json())


def stored(app: FastAPI, sid: int) -> tuple[int, list[dict[str, Any]]]:
    with app.state.platform.engine.connect() as conn:
        count, report = conn.execute(text("SELECT problems, report FROM submission WHERE id = :i"),
                                     {"i": sid}).one()
    return count, json.loads(report)


def test_a_report_of_thousands_of_problems_is_stored_capped_and_counted(
        app: FastAPI, tokens: dict[str, str]) -> None:
    body = bad_upload(app, tokens)
    assert body["problem_count"] == FOUND and body["problems_listed"] == 1000
    assert len(body["problems"]) == submissions.PROBLEM_PAGE == 100
    assert (body["problems_offset"], body["problems_limit"]) == (0, 100)
    count, report = stored(app, body["id"])
    assert count == FOUND and len(report) == submissions.UPLOAD_LIMITS.max_problems == 1000
    assert [p["row"] for p in report[:6]] == [2, 2, 2, 2, 2, 3]
    c = client(app)
    refused = c.post(f"/api/submissions/{body['id']}/submit", headers=bearer(tokens["gd-editor"]))
    assert refused.status_code == 409 and "15,000 problem(s)" in refused.json()["detail"]


def test_the_list_counts_problems_and_the_detail_pages_them(
        app: FastAPI, tokens: dict[str, str]) -> None:
    sid = bad_upload(app, tokens)["id"]
    c = client(app)
    approver = bearer(tokens["gd-approver"])
    listed = c.get("/api/submissions", headers=approver)
    assert listed.status_code == 200
    (entry,) = listed.json()
    assert "problems" not in entry and entry["problem_count"] == FOUND
    assert len(listed.content) < 2000
    page = c.get(f"/api/submissions/{sid}", headers=approver,
                 params={"offset": 900, "limit": 200}).json()
    assert (page["problems_offset"], page["problems_limit"]) == (900, 200)
    assert len(page["problems"]) == 100 and page["problems_listed"] == 1000
    whole = stored(app, sid)[1]
    assert page["problems"] == whole[900:]
    past = c.get(f"/api/submissions/{sid}", headers=approver, params={"offset": 1000}).json()
    assert past["problems"] == [] and past["problem_count"] == FOUND
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}):
        assert c.get(f"/api/submissions/{sid}", headers=approver, params=bad).status_code == 422


def test_the_submission_page_shows_one_page_of_problems_and_the_count_not_listed(
        app: FastAPI, tokens: dict[str, str]) -> None:
    sid = bad_upload(app, tokens)["id"]
    c = client(app)
    assert log_in(c, "gd-approver").status_code == 303
    first = c.get(f"/submissions/{sid}", params={"lang": "en"})
    assert first.status_code == 200
    html = first.text
    assert "15,000 problem(s)" in html
    assert "… and 14,000 more problems not listed" in html
    assert _problem_rows(html) == 100
    assert "Problems 1–100 of the 1,000 listed" in html
    assert f'href="/submissions/{sid}?page=2"' in html and 'rel="prev"' not in html
    last = c.get(f"/submissions/{sid}", params={"page": 10, "lang": "en"}).text
    assert _problem_rows(last) == 100 and "Problems 901–1000 of the 1,000 listed" in last
    assert 'rel="next"' not in last and f'href="/submissions/{sid}?page=9"' in last
    beyond = c.get(f"/submissions/{sid}", params={"page": 99, "lang": "en"}).text
    assert "Problems 901–1000" in beyond
    assert len(html) < 200_000
    rows = c.get("/submissions", params={"lang": "en"}).text
    assert '<span class="bad">15,000</span>' in rows


def _problem_rows(html: str) -> int:
    table = re.search(r'<table class="problems">.*?</table>', html, re.S)
    assert table is not None
    return table.group().count("<tr>") - 1  # the header row


def test_an_upload_with_more_rows_than_the_platform_reads_is_one_problem(
        app: FastAPI, tokens: dict[str, str]) -> None:
    rows = submissions.UPLOAD_LIMITS.max_rows + 1
    body = upload(client(app), tokens["gd-editor"], data=hostile.bad_rows_csv(rows)).json()
    assert body["problem_count"] == 1
    (problem,) = body["problems"]
    assert "more than 50,000 data rows" in problem["message"]


def test_a_shared_strings_bomb_upload_is_refused_unread(
        app: FastAPI, tokens: dict[str, str]) -> None:
    bomb = hostile.workbook(100 * 1024 * 1024)  # 100 MiB of XML in well under 5 MB
    assert len(bomb) < submissions.MAX_UPLOAD_BYTES
    r = upload(client(app), tokens["gd-editor"], data=bomb, name="figures.xlsx")
    assert r.status_code == 201, r.text
    (problem,) = r.json()["problems"]
    assert "xl/sharedStrings.xml" in problem["message"] and "unpack" in problem["message"]


def test_an_upload_whose_first_line_is_over_128_kib_is_a_problem_not_an_error(
        app: FastAPI, tokens: dict[str, str]) -> None:
    r = upload(client(app), tokens["gd-editor"], data=hostile.long_first_line_csv(200))
    assert r.status_code == 201, r.text
    (problem,) = r.json()["problems"]
    assert "131,072 characters" in problem["message"]
