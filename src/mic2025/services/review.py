"""What a reviewer reads on a submission's page: its figures against what is known, and its trace.

Every figure of the file is shown with the stored value of the same key before this
submission (the previous vintage) and the stored figure of the year before (same indicator,
area, sector, scope and period kind), the change against each, its own flags and the review's
checks (new key, revised value, large change against the previous year), its citation and
the notes written on it (comments and the reasons it was returned). The trace is the
submission's audit entries, oldest first.

Reading only: the notes are written by :mod:`mic2025.services.submissions` (with the step
they belong to, in its transaction). Every function checks ``submission:read`` first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..observation import Observation
from ..permissions import Actor
from ..plan import Plan
from ..store import submissions as rows
from ..store.audit import AuditEntry
from ..store.db import StoreEngine as Engine
from ..store.repo import Store
from ..store.submissions import Note
from . import submissions

#: figures on one page of a submission's review
FIGURE_PAGE = 200
#: a change against the previous year larger than this share is flagged for the reviewer
LARGE_CHANGE = 0.3


@dataclass(frozen=True)
class Figure:
    """One figure of a submission, as the reviewer sees it."""

    key: str
    observation: Observation
    #: the stored figure of the same key before this submission (None: a new key)
    previous: Observation | None
    #: the stored figure of the year before (same indicator, area, sector, scope)
    previous_year: Observation | None
    #: the review's checks: ``new``, ``revised``, ``large_change``
    checks: tuple[str, ...]
    notes: tuple[Note, ...]

    @property
    def change(self) -> float | None:
        return _delta(self.observation, self.previous)

    @property
    def change_year(self) -> float | None:
        return _delta(self.observation, self.previous_year)

    @property
    def change_year_share(self) -> float | None:
        """The change against the previous year as a share of that year's value."""
        d = self.change_year
        if d is None or self.previous_year is None or self.previous_year.value == 0:
            return None
        return d / abs(self.previous_year.value)


@dataclass(frozen=True)
class Review:
    submission: submissions.Submission
    #: the figures of this page, in the file's order
    figures: list[Figure]
    #: every figure of the file
    total: int
    offset: int
    #: notes on figures the file no longer holds (written before a fixed file was uploaded)
    stray_notes: list[Note]


def _delta(o: Observation, other: Observation | None) -> float | None:
    if other is None or other.unit != o.unit:
        return None  # a change across units would mislead; the values are still shown
    return o.value - other.value


def _year_before(code: str) -> str:
    return f"{int(code[:4]) - 1:04d}{code[4:]}"


def review(engine: Engine, store: Store, plan: Plan, actor: Actor, submission_id: int, *,
           offset: int = 0, limit: int = FIGURE_PAGE) -> Review:
    """The figures of one page of a submission, each against what the store knew before."""
    s = submissions.get(engine, actor, submission_id)
    content = rows.content(engine, s.id)
    found = submissions.check_upload(content, s.filename, plan, s.area).observations
    notes = rows.notes(engine, s.id)
    by_key: dict[str, list[Note]] = defaultdict(list)
    for n in notes:
        by_key[n.row_key].append(n)
    keys = {submissions.note_key(o) for o in found}
    stray = [n for n in notes if n.row_key not in keys]
    shown = found[offset:offset + limit]
    stored = _stored(store, shown)
    figures = []
    for o in shown:
        previous = _previous(store, o, stored, s.vintage_id)
        before_year = _previous_year(o, stored)
        key = submissions.note_key(o)
        figures.append(Figure(key, o, previous, before_year,
                              _checks(o, previous, before_year), tuple(by_key.get(key, ()))))
    return Review(s, figures, len(found), offset, stray)


def _stored(store: Store, shown: list[Observation]
            ) -> dict[tuple[str, str, str, str, str], list[Observation]]:
    """The store's latest figures of the page's indicators and areas, by key without source."""
    out: dict[tuple[str, str, str, str, str], list[Observation]] = defaultdict(list)
    for area in sorted({o.area for o in shown}):
        indicators = {o.indicator for o in shown if o.area == area}
        for o in store.observations(indicators=indicators, area=area):
            out[(o.indicator, o.area, o.sector, o.period.code, o.scope)].append(o)
    return out


def _previous(store: Store, o: Observation,
              stored: dict[tuple[str, str, str, str, str], list[Observation]],
              vintage: int | None) -> Observation | None:
    same = [x for x in stored.get((o.indicator, o.area, o.sector, o.period.code, o.scope), [])
            if x.key == o.key]
    latest = same[0] if same else None
    if latest is None or vintage is None or (latest.vintage or 0) < vintage:
        return latest
    # this submission's own vintage holds the key: what was stored before it
    earlier = [x for x in store.history(o.key) if (x.vintage or 0) < vintage]
    return earlier[-1] if earlier else None


def _previous_year(o: Observation,
                   stored: dict[tuple[str, str, str, str, str], list[Observation]]
                   ) -> Observation | None:
    candidates = stored.get((o.indicator, o.area, o.sector, _year_before(o.period.code),
                             o.scope), [])
    same_source = [x for x in candidates if x.source == o.source]
    found = same_source or candidates
    return found[0] if found else None


def _checks(o: Observation, previous: Observation | None,
            before_year: Observation | None) -> tuple[str, ...]:
    out = []
    if previous is None:
        out.append("new")
    elif not o.same_content(previous):
        out.append("revised")
    d = _delta(o, before_year)
    if (d is not None and before_year is not None and before_year.value != 0
            and abs(d) / abs(before_year.value) > LARGE_CHANGE):
        out.append("large_change")
    return tuple(out)


def history(engine: Engine, actor: Actor, submission_id: int) -> list[AuditEntry]:
    """The submission's trace: its audit entries, oldest first (``submission:read``)."""
    submissions.get(engine, actor, submission_id)
    return rows.history(engine, submission_id)
