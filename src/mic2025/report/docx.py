"""An official-layout document (:class:`.official.OfficialDocument`) as a Word file.

python-docx, with the East Asian font set on every style and run (``w:eastAsia``, the
template's theme fonts removed); tables with fixed column widths (``w:tblGrid``), a repeated
grey header row and rows kept whole; captions kept with their table or chart; charts as PNG
when CairoSVG is installed (it renders the same SVG offline), else left out with a note. The
layout is the PDF's (:mod:`.official`, :mod:`.pdf`); checked as page images through LibreOffice
(``libreoffice --headless --convert-to pdf``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..i18n import t
from .official import (
    OfficialDocument,
    Para,
    Section,
    Table,
    font_dir,
    fonts,
    heading_number,
    register_for_charts,
    sources_line,
)


def svg_to_png(svg: str, width_px: int = 1400) -> bytes | None:
    """The chart as PNG through CairoSVG, or ``None`` when CairoSVG is not installed."""
    try:
        import cairosvg
    except ImportError:  # optional: without it the Word document has tables only
        return None
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=width_px)
    return bytes(png) if png is not None else None


def write_docx(doc: OfficialDocument, path: Path) -> Path:
    """Render ``doc`` to a Word file in the same layout (python-docx)."""
    from docx import Document
    from docx.enum.section import WD_SECTION_START
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt, RGBColor

    f = fonts()
    folder = font_dir()
    if folder is not None:
        register_for_charts(folder)
    d = Document()
    sec = d.sections[0]
    sec.start_type = WD_SECTION_START.NEW_PAGE
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.top_margin, sec.bottom_margin = Mm(37), Mm(35)
    sec.left_margin, sec.right_margin = Mm(28), Mm(26)
    # the number's line sits about 7 mm below the type area, as in the PDF
    sec.footer_distance = Mm(20)
    _style_fonts(d, f)
    _page_numbers(d, sec, f)

    def para(text: str, *, size: float = 16, bold: bool = False, align: Any = None,
             font: str | None = None, indent: bool = True, lead: str = "",
             color: Any = None, style: str | None = None, line: float | None = None,
             keep_next: bool = False) -> Any:
        p = d.add_paragraph(style=style)
        pf = p.paragraph_format
        pf.line_spacing = Pt(line if line is not None else
                             max(28.95, size * 1.45) if size >= 14 else size * 1.45)
        pf.space_before = Pt(0)
        pf.space_after = Pt(0)
        pf.first_line_indent = Pt(size * 2) if indent else Pt(0)
        if align is not None:
            p.alignment = align
        elif doc.lang == "zh" and size >= 14:  # layout, not text
            p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY  # body text is justified (as in the PDF)
        if keep_next:
            pf.keep_with_next = True
        if lead:
            _run(p, lead, size=size, bold=True, font=font or f["serif"])
        _run(p, text, size=size, bold=bold, font=font or f["serif"], color=color)
        return p

    issuer_size = 26 if doc.lang == "zh" else 20  # layout: the English issuer line is longer
    p = para(doc.issuer, size=issuer_size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER,
             indent=False, color=RGBColor(0xC0, 0x00, 0x00), line=issuer_size * 1.3)
    p.paragraph_format.space_after = Mm(8)
    para(doc.number, size=16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    para("", size=8, indent=False)
    _red_rule(d.paragraphs[-1])
    p = para(doc.title, size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
             style="Title")
    p.paragraph_format.space_before = Mm(10 - 3)  # the rule paragraph gives about 3 mm
    p.paragraph_format.space_after = Mm(2)
    _no_autospace(p)  # no extra space between CJK and Latin: the title keeps to one line
    p = para(doc.disclaimer, size=10.5, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
             color=RGBColor(0x44, 0x44, 0x44), line=10.5 * 1.5)
    p.paragraph_format.space_after = Mm(8)
    for p in doc.lead:
        para(p.text, lead=p.lead, size=16 if p.style == "body" else 12)
    counters = {"table": 0, "figure": 0}

    def section(s: Section, path: tuple[int, ...]) -> None:
        level = len(path)
        font = f["sans"] if level == 1 else f["serif"]
        h = d.add_heading(level=min(level, 4))
        h.paragraph_format.first_line_indent = Pt(32)
        h.paragraph_format.line_spacing = Pt(28.95)
        h.paragraph_format.space_before = Pt(0)
        h.paragraph_format.space_after = Pt(0)
        _run(h, t("doc.heading", doc.lang, number=heading_number(doc.lang, path), title=s.title),
             size=16,
             bold=level in (2, 3), font=font, color=RGBColor(0, 0, 0))
        sub = 0
        for b in s.blocks:
            if isinstance(b, Section):
                sub += 1
                section(b, (*path, sub))
            elif isinstance(b, Para):
                para(b.text, lead=b.lead, size={"body": 16, "ref": 10.5}.get(b.style, 12),
                     indent=b.style != "ref")
            elif isinstance(b, Table):
                counters["table"] += 1
                label = t("doc.table_label", doc.lang, n=counters["table"])
                para(label + b.caption, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
                     indent=False, font=f["sans"], keep_next=True)
                table = d.add_table(rows=1, cols=len(b.header))
                table.style = "Table Grid"
                table.alignment = WD_TABLE_ALIGNMENT.CENTER
                for cell, text in zip(table.rows[0].cells, b.header, strict=True):
                    _cell(cell, text, f["sans"], header=True)
                for row in b.rows:
                    cells = table.add_row().cells
                    for cell, text in zip(cells, row, strict=True):
                        _cell(cell, text, f["serif"])
                _table_layout(table, b.widths or [1.0] * len(b.header))
                if b.note:
                    para(b.note, size=9, indent=False)
                src = sources_line(doc.lang, b.sources)
                if src:
                    para(src, size=9, indent=False)
            else:
                counters["figure"] += 1
                png = svg_to_png(b.svg)
                label = t("doc.figure_label", doc.lang, n=counters["figure"])
                src = sources_line(doc.lang, b.sources)
                if png is not None:
                    d.add_picture(io.BytesIO(png), width=Mm(150))
                    pic = d.paragraphs[-1]
                    pic.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    pic.paragraph_format.first_line_indent = Pt(0)
                    pic.paragraph_format.space_before = Mm(3)
                    pic.paragraph_format.keep_with_next = True  # the chart stays with its caption
                else:
                    para(t("doc.chart_omitted", doc.lang), size=10.5, keep_next=True)
                para(label + b.caption, size=12, align=WD_ALIGN_PARAGRAPH.CENTER,
                     indent=False, font=f["sans"], keep_next=bool(src))
                if src:
                    para(src, size=9, indent=False)

    for i, s in enumerate(doc.sections, 1):
        section(s, (i,))
    for p in doc.closing:
        para(p.text, lead=p.lead, size=16 if p.style == "body" else 12)
    p = para(doc.date_line, size=16, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    p.paragraph_format.space_before = Mm(10)
    p.paragraph_format.right_indent = Pt(16 * 4)
    d.core_properties.title = doc.title
    d.core_properties.subject = doc.number
    d.core_properties.author = "mic2025"
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


def _run(p: Any, text: str, *, size: float, bold: bool = False, font: str,
         color: Any = None) -> Any:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    r = p.add_run(text)
    r.font.size = Pt(size)
    r.font.bold = bold
    r.font.name = font
    rpr = r._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if color is not None:
        r.font.color.rgb = color
    return r


def _cell(cell: Any, text: str, font: str, header: bool = False) -> None:
    """One table cell in 10.5 pt; header cells centred on grey, like ``th`` in the PDF."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    p = cell.paragraphs[0]
    pf = p.paragraph_format
    pf.space_before = pf.space_after = Pt(0)
    pf.first_line_indent = Pt(0)
    pf.line_spacing = Pt(10.5 * 1.45)
    if header:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        shd = OxmlElement("w:shd")
        shd.set(qn("w:val"), "clear")
        shd.set(qn("w:color"), "auto")
        shd.set(qn("w:fill"), "F2F2F2")
        cell._tc.get_or_add_tcPr().append(shd)
    _run(p, text, size=10.5, font=font)


def _table_layout(t: Any, widths: Sequence[float], total_mm: float = 156) -> None:
    """Full type-area width, fixed column widths, black 0.6 pt grid, header row repeated on
    each page and rows kept whole (``table-layout: fixed``, ``thead``, ``break-inside``).

    Word and LibreOffice size columns from ``w:tblGrid``; widths on the cells alone are not
    enough, so the grid, the table width and every cell get them.
    """
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    t.autofit = False
    tbl = t._tbl
    tblpr = tbl.tblPr
    total = sum(widths)
    cols = [Mm(total_mm * w / total) for w in widths]
    tblw = tblpr.find(qn("w:tblW"))
    if tblw is None:
        tblw = OxmlElement("w:tblW")
        tblpr.append(tblw)
    tblw.set(qn("w:type"), "dxa")
    tblw.set(qn("w:w"), str(sum(c.twips for c in cols)))
    layout = tblpr.find(qn("w:tblLayout"))
    if layout is None:
        layout = OxmlElement("w:tblLayout")
        tblpr.append(layout)
    layout.set(qn("w:type"), "fixed")
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{edge}")
        b.set(qn("w:val"), "single")
        b.set(qn("w:sz"), "5")  # eighths of a point: 0.6 pt
        b.set(qn("w:space"), "0")
        b.set(qn("w:color"), "000000")
        borders.append(b)
    old = tblpr.find(qn("w:tblBorders"))
    if old is not None:
        tblpr.remove(old)
    tblpr.append(borders)
    margins = OxmlElement("w:tblCellMar")  # padding 1 mm × 1.2 mm, as th/td in the PDF
    for edge, mm in (("top", 1.0), ("left", 1.2), ("bottom", 1.0), ("right", 1.2)):
        m = OxmlElement(f"w:{edge}")
        m.set(qn("w:w"), str(Mm(mm).twips))
        m.set(qn("w:type"), "dxa")
        margins.append(m)
    tblpr.append(margins)
    _sort_children(tblpr, _TBLPR_ORDER)
    for gc, w in zip(tbl.tblGrid.findall(qn("w:gridCol")), cols, strict=True):
        gc.set(qn("w:w"), str(w.twips))
    for i, row in enumerate(t.rows):
        trpr = row._tr.get_or_add_trPr()
        trpr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            trpr.append(OxmlElement("w:tblHeader"))
        for cell, w in zip(row.cells, cols, strict=True):
            cell.width = w


_TBLPR_ORDER = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize",
                "tblStyleColBandSize", "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders",
                "shd", "tblLayout", "tblCellMar", "tblLook")


def _sort_children(el: Any, order: Sequence[str]) -> None:
    """Put ``el``'s children in schema order (Word rejects properties out of order)."""
    from docx.oxml.ns import qn

    rank = {qn(f"w:{n}"): i for i, n in enumerate(order)}
    kids = sorted(el, key=lambda k: rank.get(k.tag, len(rank)))
    for k in kids:
        el.remove(k)
        el.append(k)


def _no_autospace(p: Any) -> None:
    """Turn off Word's automatic space between CJK and Latin letters or digits."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    for tag in ("w:autoSpaceDE", "w:autoSpaceDN"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "0")
        ppr.append(el)
    _sort_children(ppr, _PPR_ORDER)


_PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl",
              "numPr", "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens",
              "kinsoku", "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE",
              "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid", "spacing", "ind",
              "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
              "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
              "sectPr", "pPrChange")


def _style_fonts(d: Any, f: dict[str, str]) -> None:
    """Fonts, colour and language on the styles used. The template's styles name theme fonts
    (``w:asciiTheme``, ``w:eastAsiaTheme``), which Word prefers to explicit names: they are
    removed so that ``w:ascii``/``w:eastAsia`` take effect. The Title style loses its blue
    rule, letter spacing and space after."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    theme_attrs = [qn(f"w:{a}") for a in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme",
                                           "cstheme")]
    defaults = d.styles.element.find(qn("w:docDefaults"))
    targets = [d.styles[n].element.get_or_add_rPr() for n in
               ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4")]
    if defaults is not None:
        targets += list(defaults.iter(qn("w:rPr")))
    for rpr in targets:
        for rfonts in rpr.findall(qn("w:rFonts")):
            for a in theme_attrs:
                rfonts.attrib.pop(a, None)
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4"):
        st = d.styles[name]
        face = f["sans"] if name in ("Heading 1",) else f["serif"]
        st.font.name = face
        st.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), face)
        st.font.color.rgb = RGBColor(0, 0, 0)
        if name == "Normal":
            st.font.size = Pt(16)
            lang_el = OxmlElement("w:lang")
            lang_el.set(qn("w:val"), "en-GB")  # Latin runs: zh-CN here would split "2025"
            lang_el.set(qn("w:eastAsia"), "zh-CN")
            st.element.get_or_add_rPr().append(lang_el)
    title = d.styles["Title"].element
    ppr = title.get_or_add_pPr()
    for tag in ("w:pBdr", "w:contextualSpacing"):
        for el in ppr.findall(qn(tag)):
            ppr.remove(el)
    rpr = title.get_or_add_rPr()
    for tag in ("w:spacing", "w:kern"):
        for el in rpr.findall(qn(tag)):
            rpr.remove(el)
    d.styles["Title"].font.size = Pt(22)
    d.styles["Title"].font.bold = True


def _page_numbers(d: Any, sec: Any, f: dict[str, str] | None = None) -> None:
    """Footer "— PAGE —" in 14 pt (4号): outer side (right on odd pages, left on even pages),
    7 mm in from the edge of the type area as in the PDF."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm

    face = (f or fonts())["serif"]
    d.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((sec.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                          (sec.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        p = footer.paragraphs[0]
        p.alignment = align
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            p.paragraph_format.right_indent = Mm(7)
        else:
            p.paragraph_format.left_indent = Mm(7)
        _run(p, "— ", size=14, font=face)
        fld = OxmlElement("w:fldSimple")
        fld.set(qn("w:instr"), "PAGE")
        r = _run(p, "1", size=14, font=face)._r
        fld.append(r)  # moves the run into the field
        p._p.append(fld)
        _run(p, " —", size=14, font=face)


def _red_rule(p: Any) -> None:
    """The red separator line under the document number (版头分隔线)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), "12")
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "C00000")
    bdr.append(bottom)
    ppr.append(bdr)
    _sort_children(ppr, _PPR_ORDER)  # w:pBdr goes before w:spacing and w:ind
