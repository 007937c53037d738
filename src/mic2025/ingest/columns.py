"""The long format's columns, their Chinese and English aliases, and header checking.

A file's first row names its columns. Names are matched after folding full-width forms,
case, surrounding spaces, and spaces or hyphens inside (``Publication Date`` is
``publication_date``). A column the format does not know is refused by name rather than
ignored, so a misspelt ``valeu`` never silently drops every figure.

A figure's source is its citation (:mod:`mic2025.citation`): ``publisher``, ``publication``,
``publication_date``, ``locator``, ``retrieved_from`` and ``grade``. A file from before them
gives ``source`` and ``source_date`` (:data:`LEGACY`), still read by the legacy rule; a
header must name at least one column that says where a figure comes from
(:data:`SOURCE_COLUMNS`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..errors import Problem
from ..store import LONG_COLUMNS
from ..store.repo import LEGACY_COLUMNS

REQUIRED = ("indicator", "area", "year", "value", "unit")
OPTIONAL = tuple(c for c in LONG_COLUMNS if c not in REQUIRED)
#: the legacy columns a file may still give instead of the citation fields
LEGACY = LEGACY_COLUMNS
#: a header names at least one of these: where the figures come from
SOURCE_COLUMNS = ("publisher", "publication", "retrieved_from", "source")

#: other spellings of each column, after folding (see :func:`canonical`)
ALIASES: dict[str, tuple[str, ...]] = {
    "indicator": ("指标", "指标代码", "指标id", "indicator_id", "series", "series_id", "metric"),
    "area": ("地区", "地区代码", "区划代码", "行政区划代码", "area_code", "region"),
    "year": ("年份", "年度", "年"),
    "period": ("期间", "时期", "报告期"),
    "value": ("数值", "值", "数据"),
    "unit": ("单位", "计量单位"),
    "scope": ("口径", "统计口径", "范围"),
    "sector": ("行业", "行业代码", "industry"),
    "flags": ("标记", "标志", "flag"),
    "quote": ("原文", "引文"),
    "note": ("备注", "说明", "注", "notes"),
    "lower": ("下限",),
    "upper": ("上限",),
    "publisher": ("发布机构", "发布单位", "发布者"),
    "publication": ("出版物", "原始出处", "文献", "文件名称"),
    "publication_date": ("发布日期", "发布时间", "published", "出版日期"),
    "locator": ("位置", "出处位置", "表号"),
    "retrieved_from": ("转引自", "网址", "链接", "url"),
    "grade": ("来源等级", "转载等级", "copy_grade"),
    "source": ("来源", "数据来源", "出处"),
    "source_date": ("来源日期",),
}

#: columns a file may carry for its reader and that the import passes over: the platform's
#: template writes each indicator's name and its unit in words beside the codes
INFORMATIONAL: dict[str, tuple[str, ...]] = {
    "indicator_name": ("指标名称",),
    "unit_name": ("单位说明", "单位名称"),
}

_LOOKUP = {name: name for name in (*LONG_COLUMNS, *LEGACY, *INFORMATIONAL)} | {
    alias: name for name, aliases in (*ALIASES.items(), *INFORMATIONAL.items())
    for alias in aliases
}


def fold(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def canonical(header: object) -> str | None:
    """The long-format column a header names, or ``None`` when it names none."""
    if header is None:
        return None
    return _LOOKUP.get(fold(str(header)))


def resolve_header(
    cells: Sequence[object],
    data_columns: set[int],
    *,
    source: str,
    sheet: str | None,
) -> tuple[dict[str, int], list[Problem]]:
    """Map each long-format column to its position in a header row, with every problem.

    ``data_columns`` are the positions that hold a value in some data row: a blank header
    above data is a problem (the data would have no column), a blank header above nothing
    is a spreadsheet's empty formatting and is passed over.
    """
    problems: list[Problem] = []
    found: dict[str, int] = {}
    written: dict[str, str] = {}

    def problem(message: str, column: str | None = None, value: str | None = None) -> None:
        problems.append(Problem(source, 1, column, message, sheet=sheet, value=value))

    for i, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            if i in data_columns:
                problem(f"column {i + 1} holds values but has no header; name it or delete it")
            continue
        name = canonical(text)
        if name is None:
            problem("unknown column; the long format has "
                    f"{', '.join(LONG_COLUMNS)} (see the import format in the user guide)",
                    column=text)
        elif name in found:
            problem(f"column {written[name]!r} and column {text!r} both give {name}; keep one",
                    column=text)
        else:
            found[name] = i
            written[name] = text
    if not found and any(str(c or "").strip() for c in cells):
        # row 1 is not a header at all (a notes sheet, a title row): one problem, not one
        # "unknown column" per cell
        return {}, [Problem(source, 1, None,
                            "row 1 is not a header: none of its cells names a column of the long "
                            f"format; row 1 must name the columns, at least {', '.join(REQUIRED)}",
                            sheet=sheet)]
    missing = [c for c in REQUIRED if c not in found]
    if not any(c in found for c in SOURCE_COLUMNS):
        # where the figures come from: the primary publication and the copy read, or the
        # legacy source column
        missing.append("publication (or retrieved_from, or the legacy source)")
    if missing:
        problem(f"row 1 must be a header naming the required columns; missing "
                f"{', '.join(missing)} (required: {', '.join(REQUIRED)}, and publisher with "
                "publication or retrieved_from)")
    return found, problems


def header_complete(found: dict[str, int]) -> bool:
    """Whether a header names what every row needs (else its rows cannot be read)."""
    return all(c in found for c in REQUIRED) and any(c in found for c in SOURCE_COLUMNS)


def written_names(cells: Sequence[object], found: dict[str, int]) -> dict[str, str]:
    """Each long-format column's header as the file wrote it, for messages."""
    return {name: str(cells[i]).strip() for name, i in found.items()}
