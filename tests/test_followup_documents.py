"""Mid-term evaluation and monitoring bulletin as official-layout Word and PDF documents."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.followup.midterm import Inputs, gather
from mic2025.plan import load_plan
from mic2025.report.docx import write_docx
from mic2025.report.midterm import build_midterm
from mic2025.report.official import (
    OfficialDocument,
    Para,
    Section,
    Table,
    fonts,
    heading_number,
    outline,
    zh_number,
)
from mic2025.report.pdf import write_pdf
from mic2025.store import open_store

HEADINGS_ZH = ["一、总体情况", "二、2020年目标完成情况", "（一）主要指标", "（二）重点工程量化目标",
               "（三）逐项评估结论", "三、2025年目标展望", "四、目标调整建议", "五、预警情况",
               "六、任务和工程督促检查情况", "七、说明"]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory,
           sqlite_copy: Callable[..., str]) -> Iterator[Inputs]:
    # a store holding the bundled evidence, as the first command leaves it
    store = open_store(sqlite_copy(tmp_path_factory.mktemp("doc") / "store.sqlite"))
    plan = load_plan()
    yield gather(plan, store, evaluated_on=date(2026, 11, 26))
    store.close()


def test_numbering_follows_the_official_sequence() -> None:
    assert [zh_number(n) for n in (1, 7, 10, 11, 20, 23)] == ["一", "七", "十", "十一", "二十",
                                                             "二十三"]
    assert [heading_number("zh", p) for p in ((2,), (2, 3), (2, 3, 1), (2, 3, 1, 4))] == \
        ["二、", "（三）", "1.", "（4）"]
    assert [heading_number("en", p) for p in ((2,), (2, 3), (2, 3, 1), (2, 3, 1, 4))] == \
        ["2.", "2.3", "2.3.1", "(d)"]


def test_the_midterm_has_the_same_structure_in_both_languages(inputs: Inputs) -> None:
    zh = build_midterm(inputs, year=2020, lang="zh")
    en = build_midterm(inputs, year=2020, lang="en")
    assert zh.number == "mic2025〔2020〕评估1号" and "not a government document" in en.disclaimer
    assert zh.title == "《中国制造2025》2020年目标中期评估报告"
    heads = outline(zh)
    assert all(h in heads for h in HEADINGS_ZH)
    assert len(outline(en)) == len(heads)
    assert [re.sub(r"\D", "", h.split()[0]) for h in outline(en)][:3] == ["1", "2", "21"]


def _verdict_lines(doc: OfficialDocument) -> list[str]:
    sec = doc.sections[1].blocks[2]
    paras = [b for b in sec.blocks if isinstance(b, Para) and b.lead]  # type: ignore[union-attr]
    return [f"{b.lead}{b.text}" for b in paras]


def test_every_2020_target_has_a_verdict_line_with_figure_and_source(inputs: Inputs) -> None:
    doc = build_midterm(inputs, year=2020, lang="zh")
    lines = _verdict_lines(doc)
    n2020 = sum(1 for m in inputs.plan.metrics() if m.target(2020))
    assert len(lines) == n2020
    broadband = next(x for x in lines if x.startswith("宽带普及率"))
    assert "2020年实际96%" in broadband and "资料来源" in broadband
    assert broadband.endswith("结论：已实现。")
    quality = next(x for x in lines if x.startswith("制造业质量竞争力指数"))
    assert quality.endswith("无可用数据。结论：无法评估。")  # 84.78 rests only on SEO mirrors
    assert any(x.endswith("结论：未实现。") for x in lines)
    # every 2020 figure was due by the end of 2022: none is still "pending" today
    assert not any("结论：待数据公布" in x for x in lines)
    assert any("结论：无法评估" in x for x in lines)
    tables = [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]
    assert tables and all(t.sources for t in tables)


def test_docx_reads_back_headings_tables_and_fonts(inputs: Inputs, tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm

    doc = build_midterm(inputs, year=2020, lang="zh")
    path = write_docx(doc, tmp_path / "m.docx")
    d = Document(str(path))
    heads = [p.text for p in d.paragraphs if p.style is not None
             and p.style.name.startswith("Heading")]
    assert heads == outline(doc)
    assert len(d.tables) >= 6
    assert [c.text for c in d.tables[1].rows[0].cells][:3] == ["序号", "指标", "2020年目标"]
    text = "\n".join(p.text for p in d.paragraphs)
    assert "mic2025〔2020〕评估1号" in text and "资料来源：" in text
    assert "宽带普及率：目标70%；2020年实际96%" in text
    normal = d.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia"))
    assert normal == fonts()["serif"]
    sec = d.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    assert abs(sec.top_margin - Mm(37)) < Mm(0.1) and abs(sec.left_margin - Mm(28)) < Mm(0.1)
    assert "PAGE" in sec.footer._element.xml
    assert len(d.inline_shapes) >= 1  # charts as PNG (CairoSVG)


# WeasyPrint sets a document of eight pages and more and pypdf reads it back: about five
# seconds; `make test` runs it, the quick subset keeps the PDF of tests/test_official_fonts.py
@pytest.mark.slow
def test_pdf_embeds_the_cjk_font_and_carries_the_verdicts(inputs: Inputs, tmp_path: Path) -> None:
    from pypdf import PdfReader

    doc = build_midterm(inputs, year=2020, lang="zh", max_charts=2)
    path = write_pdf(doc, tmp_path / "m.pdf")
    reader = PdfReader(str(path))
    assert len(reader.pages) >= 8
    embedded = set()
    for page in reader.pages:
        fonts_ = page["/Resources"].get("/Font", {})
        for f in fonts_.values():
            f = f.get_object()
            for desc in f.get("/DescendantFonts", []):
                fd = desc.get_object()["/FontDescriptor"].get_object()
                if any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.add(str(f["/BaseFont"]))
    assert any("Noto-Serif-SC" in name for name in embedded), embedded
    text = "".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", "", text)
    assert "二、2020年目标完成情况" in flat
    assert "宽带普及率：目标70%；2020年实际96%" in flat
    assert "结论：已实现" in flat and "结论：未实现" in flat
    assert "mic2025〔2020〕评估1号" in flat
    assert "—2—" in flat  # page numbers
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                             check=True).stdout
        assert re.search(r"Noto-Serif-SC\s.*yes\s+yes", out)


def test_cli_midterm_and_bulletin(tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "cli.sqlite")
    out = tmp_path / "docs"
    r = CliRunner().invoke(main, ["midterm", "--db", db, "--year", "2020", "--out", str(out),
                                  "--lang", "en", "--doc-format", "docx", "--number", "3",
                                  "--charts", "1", "--method", "statcan", "--on",
                                  "2026-11-26"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    from docx import Document

    d = Document(str(out / "midterm-2020-en.docx"))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "mic2025〔2020〕Evaluation No. 3" in text and "Verdict: Achieved" in text
    r = CliRunner().invoke(main, ["bulletin", "--db", db, "--period", "2024", "--out", str(out),
                                  "--lang", "zh", "--doc-format", "docx", "--since",
                                  "2020-01-01"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    b = Document(str(out / "bulletin-2024-zh.docx"))
    heads = [p.text for p in b.paragraphs if p.style is not None
             and p.style.name.startswith("Heading")]
    assert heads[:4] == ["一、监测总体情况", "二、数据更新情况", "三、新增预警",
                         "四、2024年数据一览"]
    assert "mic2025〔2024〕通报1号" in "\n".join(p.text for p in b.paragraphs)
    r = CliRunner().invoke(main, ["midterm", "--db", db, "--year", "2019", "--out", str(out)])
    assert r.exit_code == 2 and "no target for 2019" in r.output


def test_docx_layout_reads_back_like_the_pdf(inputs: Inputs, tmp_path: Path) -> None:
    """What the Word files showed when rendered as pages: the properties behind each fix."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = build_midterm(inputs, year=2020, lang="zh", max_charts=2)
    d = Document(str(write_docx(doc, tmp_path / "m.docx")))
    # Title style: no blue rule, no letter spacing; styles name fonts, not theme fonts
    title = d.styles["Title"].element
    assert title.pPr.find(qn("w:pBdr")) is None and title.rPr.find(qn("w:spacing")) is None
    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        rfonts = d.styles[name].element.rPr.rFonts
        assert rfonts.get(qn("w:eastAsiaTheme")) is None and rfonts.get(qn("w:eastAsia"))
    assert d.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == fonts()["sans"]
    lang = d.styles["Normal"].element.rPr.find(qn("w:lang"))
    assert lang.get(qn("w:eastAsia")) == "zh-CN" and lang.get(qn("w:val")) == "en-GB"
    # tables: fixed layout over the type area, grid widths in proportion, header repeated
    t = d.tables[1]
    spec = next(b for s in doc.sections for sub in s.blocks if isinstance(sub, Section)
                for b in sub.blocks if isinstance(b, Table))
    assert spec.widths and [c.text for c in t.rows[0].cells] == spec.header
    grid = [int(g.get(qn("w:w"))) for g in t._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(grid) - Mm(156).twips) <= len(grid)
    assert [round(g / sum(grid), 2) for g in grid] == \
        [round(w / sum(spec.widths), 2) for w in spec.widths]
    assert t._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    assert t._tbl.tblPr.find(qn("w:tblBorders")) is not None
    assert t.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(r._tr.trPr.find(qn("w:cantSplit")) is not None for r in t.rows)
    shd = t.rows[0].cells[0]._tc.tcPr.find(qn("w:shd"))
    assert shd is not None and shd.get(qn("w:fill")) == "F2F2F2"
    for table in d.tables:  # tables without widths get equal columns, not autofit
        assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    # captions stay with their table or chart; the chart stays with its caption
    paras = d.paragraphs
    captions = [p for p in paras if p.text.startswith(("表", "图")) and "　" in p.text[:4]]
    assert captions and all(p.paragraph_format.keep_with_next for p in captions)
    pics = [p for p in paras if p._p.xpath(".//pic:pic")]
    assert pics and all(p.paragraph_format.keep_with_next for p in pics)
    # sources under tables in 9 pt, as in the PDF
    src = next(p for p in paras if p.text.startswith("资料来源："))
    assert src.runs[-1].font.size == Pt(9)
    # the red rule: w:pBdr in schema order (before w:spacing), so Word opens the file
    rule = next(p for p in paras if p._p.pPr is not None
                and p._p.pPr.find(qn("w:pBdr")) is not None)
    tags = [c.tag for c in rule._p.pPr]
    assert tags.index(qn("w:pBdr")) < tags.index(qn("w:spacing"))
    # page numbers in 14 pt serif, 7 mm in from the type area, both footers
    sec = d.sections[0]
    for footer in (sec.footer, sec.even_page_footer):
        p = footer.paragraphs[0]
        assert "PAGE" in p._p.xml
        sizes = {r.rPr.sz_val for r in p._p.iter(qn("w:r"))}
        assert sizes == {Pt(14)}
    assert abs(sec.footer.paragraphs[0].paragraph_format.right_indent - Mm(7)) < Mm(0.1)
    assert abs(sec.even_page_footer.paragraphs[0].paragraph_format.left_indent - Mm(7)) \
        < Mm(0.1)
    # zh body text justified, like the PDF
    body = next(p for p in paras if p.text.startswith("根据国发"))
    assert body.alignment is not None and body.alignment.name == "JUSTIFY"
