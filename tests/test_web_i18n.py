"""The platform's Chinese pages carry no English sentences: every text goes through the one
table, every note of the evaluation is translated (the mid-term page showed the engine's English
verdict notes), and the English pages still read in English. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from english_runs import english_runs, page_lines
from test_web_support import app, client, log_in, tokens

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here

PAGES = ("/", "/provinces", "/indicators/rd_intensity", "/submissions", "/followup/warnings",
         "/followup/supervision", "/followup/thirdparty", "/followup/midterm",
         "/followup/midterm?year=2025", "/account", "/reporting")


@pytest.mark.parametrize("path", PAGES)
def test_a_chinese_page_has_no_english_left(app: FastAPI, tokens: dict[str, str],
                                            path: str) -> None:
    c = client(app)
    log_in(c, "admin")
    r = c.get(path + ("&" if "?" in path else "?") + "lang=zh")
    assert r.status_code == 200, r.text
    lines = page_lines(r.text)
    assert lines
    # the language switch names the other language; token names are the user's own words
    assert english_runs(lines, quoted=("English", "tests")) == []


def test_the_midterm_page_translates_the_verdict_notes(app: FastAPI,
                                                       tokens: dict[str, str]) -> None:
    c = client(app)
    log_in(c, "admin")
    zh = page_lines(c.get("/followup/midterm?year=2020&lang=zh").text)
    en = page_lines(c.get("/followup/midterm?year=2020&lang=en").text)
    # every 2020 figure is past its due date: a missing one is a data gap, noted in both
    assert any("数据库中没有该数值" in line for line in zh)
    assert any("is not in the store" in line for line in en)
    assert english_runs(en)  # the measure sees English where there is some
