"""Official-layout documents (公文版式): the document model, its numbering and its fonts.

The mid-term evaluation (:mod:`.midterm`) and the bulletin (:mod:`.bulletin`) are built as an
:class:`OfficialDocument`; :mod:`.pdf` and :mod:`.docx` write it.

The layout follows GB/T 9704-2012 《党政机关公文格式》 as far as a generated report sensibly
can: A4 paper, a type area (版心) of 156 × 225 mm (top margin 37 mm, left 28 mm), the title in
2号 (22 pt) type, body text in 3号 (16 pt) with 22 lines to the page, headings numbered
一、 (一) 1. (1) in 黑体, 楷体, bold 仿宋 and 仿宋, and page numbers "— 1 —" in 4号 type, 7 mm
below the type area, on the outer side (right on odd pages, left on even pages). Tables carry a
numbered caption above and their sources (资料来源：…) below. English documents keep the same
structure with numbering 1. / 1.1 / 1.1.1 / (a).

Fonts: the standard's 仿宋, 小标宋, 黑体 and 楷体 are not free fonts; mic2025 uses Noto Serif
SC for body, title and 楷体 headings (bold) and Noto Sans SC for 黑体 headings (SIL Open Font
Licence). They come with the install, as the pinned PyPI package ``pylopdf-fonts-zh-cn``
(pyproject.toml), so a document looks the same on any machine: the PDF registers the two files
with ``@font-face`` and embeds them, the Word file names them as its East Asian fonts, and the
charts rendered for Word find them through fontconfig. ``MIC2025_FONT_DIR`` points the lookup
at another folder holding the same two files. Without them :func:`fonts` raises
:class:`FontsMissing`, naming what to install: a document is never written in empty boxes.

Each document is labelled as mic2025's own output (the document number reads
``mic2025〔2020〕评估1号``), never as an official document.

PDF: :mod:`.pdf` (WeasyPrint); Word: :mod:`.docx` (python-docx).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Literal

from ..errors import Mic2025Error
from ..i18n import Lang, t

SERIF = "Noto Serif SC"
SANS = "Noto Sans SC"
#: the pinned PyPI package that ships the two faces (pyproject.toml), its module and files
FONT_PACKAGE = "pylopdf-fonts-zh-cn==0.1.1"
FONT_MODULE = "pylopdf_fonts_zh_cn"
FONT_FILES = {"serif": "NotoSerifSC-Regular.otf", "sans": "NotoSansSC-Regular.otf"}
#: a folder holding :data:`FONT_FILES`, used instead of the package's
FONT_DIR_ENV = "MIC2025_FONT_DIR"
ZH_NUMERALS = "零一二三四五六七八九十"


# --------------------------------------------------------------------------- model


@dataclass
class Para:
    text: str
    lead: str = ""  # bold run before the text (a verdict, a label)
    style: Literal["body", "note", "quote", "ref"] = "body"


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]
    sources: list[str] = field(default_factory=list)
    note: str = ""
    widths: list[float] | None = None  # relative column widths


@dataclass
class Figure:
    svg: str
    caption: str
    sources: list[str] = field(default_factory=list)


Block = Para | Table | Figure


@dataclass
class Section:
    title: str
    blocks: list[Block | Section] = field(default_factory=list)


@dataclass
class OfficialDocument:
    lang: Lang
    title: str
    number: str
    issuer: str
    date_line: str
    lead: list[Para]
    sections: list[Section]
    disclaimer: str
    closing: list[Para] = field(default_factory=list)
    kind: str = "document"


# --------------------------------------------------------------------------- numbering


def zh_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 23 → 二十三 (up to 99)."""
    if n <= 10:
        return ZH_NUMERALS[n]
    tens, ones = divmod(n, 10)
    head = ("" if tens == 1 else ZH_NUMERALS[tens]) + "十"
    return head + (ZH_NUMERALS[ones] if ones else "")


def heading_number(lang: Lang, path: Sequence[int]) -> str:
    """The number of a heading at ``path`` (1-based indexes from the top level down)."""
    level = len(path)
    n = path[-1]
    # the numbering scheme of each language is layout (GB/T 9704), not a text of the table
    if lang == "zh":
        return {1: f"{zh_number(n)}、", 2: f"（{zh_number(n)}）", 3: f"{n}.",
                4: f"（{n}）"}.get(level, f"{n})")
    if level <= 3:
        return ".".join(str(i) for i in path) + ("." if level == 1 else "")
    return f"({chr(ord('a') + n - 1)})"


def _walk(sections: Sequence[Section], prefix: tuple[int, ...] = ()
          ) -> list[tuple[tuple[int, ...], Section]]:
    out = []
    for i, s in enumerate(sections, 1):
        out.append(((*prefix, i), s))
        out += _walk([b for b in s.blocks if isinstance(b, Section)], (*prefix, i))
    return out


def outline(doc: OfficialDocument) -> list[str]:
    """Every heading with its number, in order (tests and the CLI read this)."""
    return [t("doc.heading", doc.lang, number=heading_number(doc.lang, p), title=s.title)
            for p, s in _walk(doc.sections)]


# --------------------------------------------------------------------------- fonts


class FontsMissing(Mic2025Error):
    """The Chinese fonts the official documents are set in are not installed."""


def font_dir() -> Path | None:
    """Where the faces are looked up: ``MIC2025_FONT_DIR``, else the font package's folder
    (``None`` when the package is not installed)."""
    chosen = os.environ.get(FONT_DIR_ENV, "").strip()
    if chosen:
        return Path(chosen)
    spec = find_spec(FONT_MODULE)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def font_files() -> dict[str, Path]:
    """The ``serif`` and ``sans`` font files; :class:`FontsMissing` when either is absent."""
    folder = font_dir()
    where = f"{FONT_DIR_ENV}={folder}" if os.environ.get(FONT_DIR_ENV, "").strip() else (
        f"the package's folder {folder}" if folder else f"no module {FONT_MODULE}")
    files = {k: folder / name for k, name in FONT_FILES.items()} if folder else {}
    missing = [FONT_FILES[k] for k in FONT_FILES if k not in files or not files[k].is_file()]
    if missing:
        raise FontsMissing(
            f"the Chinese fonts of the official documents are missing ({', '.join(missing)}; "
            f"looked in {where}). Install the pinned font package: pip install "
            f"'{FONT_PACKAGE}' (`make install` does), or set {FONT_DIR_ENV} to a folder "
            f"holding {' and '.join(FONT_FILES.values())}. No document was written.").saying(
                "fonts_missing", files=", ".join(missing), package=FONT_PACKAGE)
    return files


_registered: set[Path] = set()


def register_for_charts(folder: Path) -> None:
    """Add ``folder`` to this process's fontconfig fonts, so that CairoSVG (the charts of the
    Word file) finds the faces on a machine without system Chinese fonts. Best effort: without
    libfontconfig the charts fall back to whatever cairo finds."""
    if folder in _registered:
        return
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("fontconfig") or "libfontconfig.so.1"
    try:
        lib = ctypes.CDLL(name)
        lib.FcConfigAppFontAddDir.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.FcConfigAppFontAddDir(None, str(folder).encode())
    except (OSError, AttributeError):
        return
    _registered.add(folder)


def fonts() -> dict[str, str]:
    """The faces used: ``serif`` and ``sans`` family names (:class:`FontsMissing` when their
    files are not installed)."""
    font_files()
    return {"serif": SERIF, "sans": SANS}


def sources_line(lang: Lang, sources: Sequence[str]) -> str:
    if not sources:
        return ""
    return t("doc.sources_head", lang) + t("note_sep", lang).join(sources)


class Sources:
    """Numbered sources of one table: ``[n]`` in the cells, the list under the table."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def ref(self, source: str | None) -> str:
        if not source:
            return "—"
        if source not in self.items:
            self.items.append(source)
        return f"[{self.items.index(source) + 1}]"

    def listed(self) -> list[str]:
        return [f"[{i}] {s}" for i, s in enumerate(self.items, 1)]
