"""The final evaluation on the platform, beside the mid-term page; no server path on a page."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from fastapi import FastAPI

from test_web_support import app, bearer, client, log_in, tokens

__all__ = ["app", "tokens"]


@pytest.mark.slow  # four documents of about 30 pages each, PDF and Word
def test_the_final_evaluation_page_and_its_documents(app: FastAPI,
                                                     tokens: dict[str, str]) -> None:
    import docx
    from pypdf import PdfReader

    from mic2025.web.data import today

    assert today() > date(2025, 12, 31)  # the bundled plan's period is over
    c = client(app)
    analyst = bearer(tokens["analyst"])
    page = c.get("/followup/final?lang=zh", headers=analyst)
    assert page.status_code == 200, page.text
    assert "<h2>2025年目标</h2>" in page.text and "<h2>2020年目标</h2>" in page.text
    counts = re.search(r'<p class="final-counts">(.*?)</p>', page.text, re.S)
    assert counts is not None
    met = dict(re.findall(r"final_verdict-(\w+)\">[^<]+</span> (\d+)", counts.group(1)))
    assert int(met["met_early"]) + int(met["met_on_time"]) == 4
    assert "/api/final/document.docx?lang=zh" in page.text
    assert 'href="/followup/final"' in page.text  # in the navigation
    mid = c.get("/followup/midterm?year=2025&lang=en", headers=analyst)
    assert mid.status_code == 200 and "plan period is over" in mid.text
    assert 'href="/followup/final"' in mid.text
    r = c.get("/api/final/document.docx?lang=zh", headers=analyst)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    assert "《中国制造2025》终期评估报告" in text and "已实现4项" in text
    r = c.get("/api/final/document.pdf?lang=en", headers=analyst)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    pdf = re.sub(r"\s+", "", "".join(p.extract_text()
                                     for p in PdfReader(io.BytesIO(r.content)).pages))
    assert "finalevaluation" in pdf and "4met(4early,0ontime,0onalateryear'sfigure)" in pdf
    assert c.get("/api/final/document.docx").status_code in (401, 403)
    assert c.get("/api/final/document.odt", headers=analyst).status_code == 422


def test_the_owner_directory_page_shows_no_server_path(app: FastAPI,
                                                       tokens: dict[str, str]) -> None:
    fu = app.state.platform.followup
    full = str(fu.owners_path)
    assert "/" in full
    c = client(app)
    log_in(c, "admin")
    page = c.get("/admin/owners?lang=zh")
    assert page.status_code == 200
    assert full not in page.text and fu.owners_path.name in page.text
    api = c.get("/api/owners", headers=bearer(tokens["admin"])).json()
    assert api["file"] == fu.owners_path.name
