"""Issue #12: every writer cites a figure's publication first and the copy read only after it.

One test per writer family — the HTML report, the platform's indicator page (both store
backends), the mid-term Word document read back with python-docx — each proving that the
publication is named before the URL of the copy, which comes as "转引自 / retrieved from".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi import FastAPI

from mic2025 import periods
from mic2025.citation import Citation
from mic2025.followup.midterm import gather
from mic2025.observation import Observation
from mic2025.plan import load_plan
from mic2025.report.docx import write_docx
from mic2025.report.html import render_report
from mic2025.report.midterm import build_midterm
from mic2025.store import Store, open_store
from report_sample import sample_evaluation
from test_web_support import app, client  # noqa: F401

URL = "https://www.stats.gov.cn/sj/tjgb/rdpcgb/qgkjjftrtjgb/202109/t20210922_1822388.html"
NBS = Citation(publisher="国家统计局", publication="《2020年全国科技经费投入统计公报》",
               publication_date=date(2021, 9, 22), locator="表2", retrieved_from=URL,
               grade="official")
PRIMARY = "国家统计局《2020年全国科技经费投入统计公报》(2021-09-22) 表2"


def _cited_figure(year: int) -> Observation:
    return Observation(indicator="rd_intensity", area="000000", period=periods.year(year),
                       value=1.41, unit="%", scope="规模以上制造业", citation=NBS,
                       quote="规模以上工业企业研究与试验发展经费投入强度为1.41%")


def _store_with_the_figure(store: Store, year: int) -> None:
    store.import_observations([_cited_figure(year)], source_name="cited.csv", sha256=None)


def _publication_before_copy(text: str, copy_word: str) -> None:
    first = text.index(PRIMARY)
    assert text.index(copy_word, first) < text.index(URL, first), text[first:first + 400]


def test_the_html_report_cites_the_publication_then_the_copy_in_small() -> None:
    evaluation = sample_evaluation()
    target = evaluation.results[0].targets[0]
    target.series[0] = target.series[0].model_copy(update={"citation": NBS})
    for lang, word in (("zh", "转引自"), ("en", "retrieved from")):
        page = render_report(evaluation, lang)
        _publication_before_copy(page, word)
        # the copy comes after the publication, in a smaller line of its own
        assert re.search(rf'<small class="copy">{word} <a href="{re.escape(URL)}"', page)


def test_the_platforms_indicator_page_cites_the_publication_first(
        app: FastAPI) -> None:  # noqa: F811
    _store_with_the_figure(app.state.platform.store, 2021)
    c = client(app)
    for lang, word in (("zh", "转引自"), ("en", "retrieved from")):
        page = c.get("/indicators/rd_intensity", params={"lang": lang}).text
        _publication_before_copy(page, word)
        assert f'<span class="publication">{PRIMARY}</span>' in page


def test_the_midterm_word_document_cites_the_publication_first(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    from docx import Document

    store = open_store(sqlite_copy(tmp_path / "store.sqlite"))  # the bundled evidence in it
    try:
        plan = load_plan()
        _store_with_the_figure(store, 2020)
        inputs = gather(plan, store, evaluated_on=date(2026, 11, 26))
    finally:
        store.close()
    for lang, word in (("zh", "转引自"), ("en", "retrieved from")):
        path = write_docx(build_midterm(inputs, year=2020, lang=lang), tmp_path / f"{lang}.docx")
        d = Document(str(path))
        text = "\n".join([p.text for p in d.paragraphs] + [
            cell.text for table in d.tables for row in table.rows for cell in row.cells])
        _publication_before_copy(text, word)
