"""The official documents carry their own Chinese fonts, and their charts show target labels."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from mic2025 import i18n
from mic2025.cli import main
from mic2025.report.official import (
    FONT_DIR_ENV,
    FONT_FILES,
    FontsMissing,
    OfficialDocument,
    Para,
    Section,
    font_files,
)
from test_web_support import app, bearer, client, tokens

__all__ = ["app", "tokens"]

SRC = Path(__file__).resolve().parents[1] / "src"

#: a fontconfig configuration that knows no font at all: a machine without system fonts
NO_SYSTEM_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><cachedir>{cache}</cachedir></fontconfig>
"""


def test_the_fonts_come_with_the_install() -> None:
    files = font_files()
    assert {p.name for p in files.values()} == set(FONT_FILES.values())
    assert all(p.stat().st_size > 1_000_000 for p in files.values())


def test_missing_fonts_fail_the_command_and_write_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_copy: Callable[..., str]) -> None:
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    monkeypatch.setenv(FONT_DIR_ENV, str(empty))
    with pytest.raises(FontsMissing, match=r"pylopdf-fonts-zh-cn==0\.1\.1"):
        font_files()
    out = tmp_path / "docs"
    db = sqlite_copy(tmp_path / "s.sqlite")  # as the first command leaves it
    r = CliRunner().invoke(main, ["midterm", "--db", db,
                                  "--year", "2020", "--out", str(out), "--lang", "zh",
                                  "--doc-format", "pdf", "--on", "2026-11-26"])
    assert r.exit_code == 2, r.output
    assert "pylopdf-fonts-zh-cn" in r.output and str(empty) in r.output
    assert "No document was written" in r.output
    assert not out.exists() or not any(out.iterdir())


def test_the_pdf_is_set_in_the_packaged_fonts_on_a_machine_without_system_fonts(
        tmp_path: Path) -> None:
    """A subprocess whose fontconfig knows no font: the PDF still embeds Noto Serif SC and
    Noto Sans SC (from the package), and nothing else."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_SYSTEM_FONTS.format(cache=tmp_path / "fc-cache"), encoding="utf-8")
    pdf = tmp_path / "doc.pdf"
    script = textwrap.dedent(f"""
        from pathlib import Path
        from mic2025.report.official import OfficialDocument, Para, Section
        from mic2025.report.pdf import write_pdf
        doc = OfficialDocument(lang="zh", title="字体检查", number="mic2025〔2026〕评估1号",
                               issuer="mic2025 监测评估", date_line="2026年12月6日",
                               lead=[Para("正文使用宋体替代字体。")],
                               sections=[Section("总体情况", [Para("目标已提前实现。")])],
                               disclaimer="不是政府公文。")
        write_pdf(doc, Path({str(pdf)!r}))
    """)
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": str(SRC)}
    env.pop(FONT_DIR_ENV, None)
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                       timeout=300, check=False)
    assert r.returncode == 0, r.stderr
    from pypdf import PdfReader

    reader = PdfReader(str(pdf))
    embedded = set()
    for page in reader.pages:
        for f in page["/Resources"].get("/Font", {}).values():
            f = f.get_object()
            for desc in f.get("/DescendantFonts", []):
                fd = desc.get_object()["/FontDescriptor"].get_object()
                if any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.add(re.sub(r"^/?[A-Z]{6}\+", "", str(f["/BaseFont"])))
    assert embedded == {"Noto-Serif-SC", "Noto-Sans-SC"}, embedded
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in reader.pages))
    assert "目标已提前实现" in text


def test_the_word_file_names_the_packaged_east_asian_fonts(tmp_path: Path) -> None:
    from docx import Document
    from docx.oxml.ns import qn

    from mic2025.report.docx import write_docx

    doc = OfficialDocument(lang="zh", title="字体", number="1", issuer="mic2025",
                           date_line="2026", lead=[], disclaimer="",
                           sections=[Section("总体情况", [Para("正文")])])
    d = Document(str(write_docx(doc, tmp_path / "d.docx")))
    assert d.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "Noto Serif SC"
    assert d.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "Noto Sans SC"


def _label_pixels(svg: str) -> list[int]:
    """For each target label of ``svg``: how many pixels of the target colour its box holds
    when CairoSVG draws the chart (a label hidden under a white stroke holds none)."""
    import cairosvg
    from PIL import Image

    from mic2025.report.svg import TARGET, text_width

    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=1.0)
    assert png is not None
    img = Image.open(io.BytesIO(png)).convert("RGB")
    colour = tuple(int(TARGET[i:i + 2], 16) for i in (1, 3, 5))
    counts = []
    for m in re.finditer(r'<text x="([\d.]+)" y="([\d.]+)" text-anchor="(\w+)" '
                         rf'fill="{TARGET}" font-weight="bold"[^>]*>([^<]+)</text>', svg):
        x, y, anchor, label = float(m[1]), float(m[2]), m[3], m[4]
        w = text_width(label)
        left = x if anchor == "start" else x - w
        n = 0
        for px in range(int(left), int(left + w)):
            for py in range(int(y - 10), int(y + 2)):
                rgb = img.getpixel((px, py))
                if sum(abs(a - b) for a, b in zip(rgb, colour, strict=True)) < 90:  # type: ignore[arg-type]
                    n += 1
        counts.append(n)
    return counts


def test_target_labels_are_visible_when_the_chart_is_rendered() -> None:
    from mic2025.report.svg import metric_charts
    from report_sample import sample_evaluation

    svg = metric_charts(sample_evaluation().results[0], "zh")[0]
    counts = _label_pixels(svg)
    assert len(counts) == 2, svg
    assert all(n > 20 for n in counts), counts


def test_a_platform_without_the_fonts_says_so_instead_of_failing(
        app: FastAPI, tokens: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-fonts"
    empty.mkdir()
    monkeypatch.setenv(FONT_DIR_ENV, str(empty))
    c = client(app)
    analyst = bearer(tokens["analyst"])
    r = c.get("/api/final/document.pdf?lang=en", headers=analyst)
    assert r.status_code == 503, r.text  # the installation's fault, said; was a bare 500
    assert "pylopdf-fonts-zh-cn" in r.json()["detail"]
    with pytest.raises(FontsMissing) as exc:
        font_files()
    said = i18n.t(exc.value.key, "zh", **exc.value.params)  # what a page shows
    assert "中文字体" in said and "pylopdf-fonts-zh-cn" in said
