"""An observation: one published (or estimated) figure with everything needed to trust it.

Every number carries its unit, its period, its area, its citation (the primary
publication and the copy read, :class:`~mic2025.citation.Citation`) and its vintage (the
batch it arrived in). A revision is a new vintage of the same key; the old one stays.

The key of a series point is ``(indicator, area, sector, period, scope, source)``: two
sources may publish different figures for the same period and scope, and both are kept.
``source`` is the citation's :meth:`~mic2025.citation.Citation.key` (the publication when
one is named, else the copy read): give either and the other is filled in, by the legacy
rule (:meth:`~mic2025.citation.Citation.from_source`) when only ``source`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from .citation import Citation
from .periods import Period

#: flags an observation may carry
FLAGS = frozenset({"derived", "estimate", "provisional", "synthetic", "proxy"})


@dataclass(frozen=True)
class Observation:
    indicator: str
    area: str
    period: Period
    value: float
    unit: str
    source: str = ""
    sector: str = ""
    scope: str = ""
    citation: Citation = field(default_factory=Citation)
    flags: frozenset[str] = field(default_factory=frozenset)
    note: str = ""
    quote: str = ""
    lower: float | None = None
    upper: float | None = None
    vintage: int | None = None
    vintage_at: datetime | None = None
    #: when the figure counts as known for an as-of view: the store sets its publication date
    #: for a bundled figure; ``None`` means from ``vintage_at``
    known_at: datetime | None = None
    #: set by :meth:`mic2025.store.Store.history` on the row that withdrew the figure (a new
    #: bundled release no longer carrying it); the latest view never holds such a row
    withdrawn: bool = False

    def __post_init__(self) -> None:
        if self.citation.empty and self.source:
            # the legacy rule names the publication or the copy; a date given is kept
            legacy = Citation.from_source(self.source)
            named = {"publication": legacy.publication, "retrieved_from": legacy.retrieved_from}
            object.__setattr__(self, "citation", self.citation.model_copy(update=named))
        elif not self.source:
            object.__setattr__(self, "source", self.citation.key())

    @property
    def source_date(self) -> date | None:
        """The publication's date (the long format's ``source_date`` before the citation
        fields)."""
        return self.citation.publication_date

    @property
    def key(self) -> tuple[str, str, str, str, str, str]:
        return (self.indicator, self.area, self.sector, self.period.code, self.scope, self.source)

    @property
    def year(self) -> int:
        return self.period.year

    def same_content(self, other: Observation) -> bool:
        """True when ``other`` says the same thing (a re-import, not a revision)."""
        return (
            self.value == other.value
            and self.unit == other.unit
            and self.flags == other.flags
            and self.note == other.note
            and self.quote == other.quote
            and self.citation == other.citation
            and self.lower == other.lower
            and self.upper == other.upper
        )
