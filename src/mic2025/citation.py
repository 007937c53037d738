"""Where a figure was published, and the one way every writer cites it.

A figure names its *primary publication* — the body that first published it (``publisher``,
国家统计局), the document (``publication``, 《2020年全国科技经费投入统计公报》), its release
date (``publication_date``) and the place in it (``locator``, 表2) — and, apart from that,
the *copy* actually read (``retrieved_from``, a URL) with the copy's ``grade``
(:data:`GRADES`). Reports, pages and official documents cite the publication first and the
copy only after it, as "转引自 / retrieved from" (:func:`cite`).

Files from before these fields had one ``source`` column (a URL or a name) and a
``source_date``; :meth:`Citation.from_source` is the legacy rule that maps them: a http(s)
URL is the copy read, anything else names the publication. The store keeps, as the
``source`` of an observation's key, :meth:`Citation.key` — the publication when one is
named, else the copy — so a legacy row keeps its key under the new fields.

This module sits just above :mod:`mic2025.i18n` and below :mod:`mic2025.observation`, so
the store, the evaluation, the reports and the platform share it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .i18n import Lang, code_label, t

Grade = Literal["official", "official_media", "industry_body", "other_copy"]
#: the grade of the copy read: the publisher's own site (gov.cn, stats.gov.cn …), official
#: media (Xinhua, People's Daily, CCTV, SCIO …), an industry body's own site, any other repost
GRADES: tuple[Grade, ...] = ("official", "official_media", "industry_body", "other_copy")
#: the citation fields, in the order of the long format's columns
FIELDS = ("publisher", "publication", "publication_date", "locator", "retrieved_from", "grade")

_URL = re.compile(r"https?://\S+", re.IGNORECASE)


def is_url(text: str) -> bool:
    """Whether ``text`` is a plain http(s) URL (the only links a writer ever makes)."""
    return _URL.fullmatch(text.strip()) is not None


class Citation(BaseModel):
    """The primary publication of a figure and the copy of it that was read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    publisher: str = ""
    publication: str = ""
    publication_date: date | None = None
    locator: str = ""
    retrieved_from: str = ""
    grade: Grade | None = None

    @classmethod
    def from_source(cls, source: str, source_date: date | None = None) -> Citation:
        """The legacy rule: a ``source`` URL is the copy read, other text names the
        publication; ``source_date`` is the publication's date."""
        text = source.strip()
        if is_url(text):
            return cls(retrieved_from=text, publication_date=source_date)
        return cls(publication=text, publication_date=source_date)

    @property
    def names_publication(self) -> bool:
        return bool(self.publisher or self.publication)

    @property
    def empty(self) -> bool:
        return not (self.names_publication or self.retrieved_from)

    def key(self) -> str:
        """The ``source`` of the observation's key: the publication (with its publisher)
        when one is named, else the copy read."""
        if self.names_publication:
            return " ".join(p for p in (self.publisher, self.publication) if p)
        return self.retrieved_from


@dataclass(frozen=True)
class Cited:
    """A citation as a writer prints it: the publication first, then the copy.

    ``primary`` names the publication (or says it is not named); ``copy_url`` is the copy
    read (an http(s) URL, the only thing a writer links) and ``copy_label`` what precedes
    it ("转引自", "retrieved from"), with the copy's grade in ``copy_grade``. :attr:`text` is
    the whole as one line, for tables and documents without links.
    """

    primary: str
    copy_label: str = ""
    copy_url: str = ""
    copy_grade: str = ""

    @property
    def copy(self) -> str:
        """"转引自 URL（其他转载）", or "" without a copy."""
        if not self.copy_url:
            return ""
        grade = f" ({self.copy_grade})" if self.copy_grade else ""
        return f"{self.copy_label} {self.copy_url}{grade}"

    @property
    def text(self) -> str:
        copy = self.copy
        return f"{self.primary}; {copy}" if copy else self.primary


def cite(c: Citation, lang: Lang) -> Cited:
    """The one formatting of a citation, for every writer (HTML report, platform pages,
    official documents, bulletin): ``国家统计局《2020年全国科技经费投入统计公报》(2021-09-22)
    表2``, then the copy as "转引自 / retrieved from URL".

    Publisher and publication are Chinese official names and are written as published in
    either language; only the words around them are translated. A publication that already
    carries its date (a press conference "…发布会(2021-03-01)") does not get it twice.
    """
    primary = ""
    if c.names_publication:
        joiner = "" if not c.publisher or c.publication.startswith("《") else " "
        primary = f"{c.publisher}{joiner}{c.publication}"
        if c.publication_date is not None and c.publication_date.isoformat() not in primary:
            primary += f"({c.publication_date.isoformat()})"
        if c.locator:
            primary += f" {c.locator}"
    else:
        primary = t("cite.unnamed", lang)
        if c.publication_date is not None:
            primary += f" ({c.publication_date.isoformat()})"
    copy_url = c.retrieved_from.strip()
    if copy_url and not is_url(copy_url):
        # never a link to what is not a web address; shown as text after the publication
        primary += f"; {copy_url}"
        copy_url = ""
    return Cited(
        primary=primary,
        copy_label=t("cite.retrieved_from", lang) if copy_url else "",
        copy_url=copy_url,
        copy_grade=code_label("grade", c.grade, lang) if copy_url and c.grade else "",
    )
