"""An official-layout document (:class:`.official.OfficialDocument`) as PDF: HTML and CSS print
layout (``templates/official.css``), rendered by WeasyPrint, which embeds subsets of the fonts
used. The page layout is described in :mod:`.official`.
"""

from __future__ import annotations

import base64
import html
from importlib import resources
from pathlib import Path

from ..i18n import Lang, t
from .official import (
    Figure,
    OfficialDocument,
    Para,
    Section,
    Table,
    font_files,
    fonts,
    heading_number,
    sources_line,
)


def _css() -> str:
    return (resources.files("mic2025") / "report" / "templates" / "official.css").read_text(
        encoding="utf-8")


def font_faces() -> str:
    """``@font-face`` rules for the installed faces (:func:`.official.font_files`): the PDF is
    set in these files whatever the machine has, and the charts' SVG text finds them too."""
    f = fonts()
    return "".join(f"@font-face{{font-family:'{f[k]}';src:url('{p.as_uri()}');}}"
                   for k, p in font_files().items())


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def to_html(doc: OfficialDocument) -> str:
    """The print layout (one HTML page with its CSS) that WeasyPrint turns into the PDF."""
    f = fonts()
    counters = {"table": 0, "figure": 0}
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{t("html_lang", doc.lang)}"><head><meta charset="utf-8">',
        f"<title>{_e(doc.title)}</title>",
        f"<style>{font_faces()}:root{{--serif:'{f['serif']}';--sans:'{f['sans']}';}}\n"
        f"{_css()}</style>",
        f'</head><body class="lang-{doc.lang}">',
        '<header class="masthead">',
        f'<p class="issuer">{_e(doc.issuer)}</p>',
        f'<p class="docno">{_e(doc.number)}</p>',
        '<hr class="redline">',
        "</header>",
        f'<h1 class="title">{_e(doc.title)}</h1>',
        f'<p class="disclaimer">{_e(doc.disclaimer)}</p>',
    ]
    parts += [_para_html(p) for p in doc.lead]
    for i, s in enumerate(doc.sections, 1):
        parts.append(_section_html(doc.lang, s, (i,), counters))
    parts += [_para_html(p) for p in doc.closing]
    parts.append(f'<p class="dateline">{_e(doc.date_line)}</p>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _para_html(p: Para) -> str:
    lead = f"<strong>{_e(p.lead)}</strong>" if p.lead else ""
    return f'<p class="{p.style}">{lead}{_e(p.text)}</p>'


def _section_html(lang: Lang, s: Section, path: tuple[int, ...], counters: dict[str, int]) -> str:
    level = len(path)
    heading = t("doc.heading", lang, number=heading_number(lang, path), title=s.title)
    out = [f'<h{level + 1} class="h{level}">{_e(heading)}</h{level + 1}>']
    sub = 0
    for b in s.blocks:
        if isinstance(b, Section):
            sub += 1
            out.append(_section_html(lang, b, (*path, sub), counters))
        elif isinstance(b, Para):
            out.append(_para_html(b))
        elif isinstance(b, Table):
            counters["table"] += 1
            out.append(_table_html(lang, b, counters["table"]))
        else:
            counters["figure"] += 1
            out.append(_figure_html(lang, b, counters["figure"]))
    return "\n".join(out)


def _table_html(lang: Lang, table: Table, n: int) -> str:
    label = t("doc.table_label", lang, n=n)
    cols = ""
    if table.widths:
        total = sum(table.widths)
        cols = "<colgroup>" + "".join(f'<col style="width:{w / total:.1%}">'
                                      for w in table.widths) + "</colgroup>"
    head = "".join(f"<th>{_e(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in table.rows)
    src = sources_line(lang, table.sources)
    note = f'<p class="tnote">{_e(table.note)}</p>' if table.note else ""
    return (f'<div class="table"><p class="caption">{_e(label + table.caption)}</p>'
            f"<table>{cols}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            f"{note}" + (f'<p class="sources">{_e(src)}</p>' if src else "") + "</div>")


def _figure_html(lang: Lang, fig: Figure, n: int) -> str:
    label = t("doc.figure_label", lang, n=n)
    data = base64.b64encode(fig.svg.encode("utf-8")).decode("ascii")
    src = sources_line(lang, fig.sources)
    return (f'<div class="figure"><img alt="{_e(fig.caption)}" '
            f'src="data:image/svg+xml;base64,{data}">'
            f'<p class="caption">{_e(label + fig.caption)}</p>'
            + (f'<p class="sources">{_e(src)}</p>' if src else "") + "</div>")


def write_pdf(doc: OfficialDocument, path: Path) -> Path:
    """Render ``doc`` to PDF with WeasyPrint (fonts embedded as subsets)."""
    from weasyprint import HTML

    path.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=to_html(doc), base_url=str(path.parent)).write_pdf(str(path))
    return path


def write_html(doc: OfficialDocument, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(doc), encoding="utf-8")
    return path

