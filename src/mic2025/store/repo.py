"""The evidence store's interface: import a batch of observations, read what was known when.

Rows are append-only. An import writes one *vintage* and, under it, only the observations
that are new or differ from the latest stored row with the same key; a re-import of the
same file (same sha256) or of the same content under another name writes nothing at all.
So the number of vintages counts the batches that actually changed the store, and every
earlier state can be rebuilt.

"As of" semantics
-----------------
``observations(as_of=t)`` returns, for each key, the latest row whose vintage was created
at or before ``t``. A ``date`` (the CLI's ``--as-of 2024-06-30``) means what the store knew
at the end of that day in UTC: every vintage created up to and including 2024-06-30
23:59:59.999999 UTC (:func:`end_of_day`).

A figure of the *bundled* evidence is known from its publication date rather than from the
moment the bundle was loaded: loading mic2025 in 2026 does not make the 2020 figures unknown in
2021. Such a row counts from the start (UTC) of its publication day; a bundled row without one,
and every row of another kind, from its vintage. :data:`publication_column` names the column read
and :func:`_known_by` is the one condition that says what was known; each observation read
carries the instant in ``Observation.known_at``.

Withdrawals
-----------
A bundled release is the whole of the evidence mic2025 ships: a new one (imported with
``supersede=True``, as :func:`mic2025.ingest.load_bundled` does) *withdraws* every key whose
latest row came from a bundled vintage and which the new release no longer carries — a figure
dropped, or one re-keyed because its citation now names its publication. A withdrawal is one
more row of the key under the new vintage, a copy of the figure with ``withdrawn`` set; the
latest view leaves out a key whose latest row is a withdrawal, so nothing is updated or
deleted. A withdrawal counts as known from its vintage (never from the publication date it
repeats): an as-of view from before the new release still shows the figure. A figure
imported, approved or estimated is never withdrawn, nor a key whose latest row is one.

"Latest" is the highest row id. Writers are serialised (see :mod:`mic2025.store.db`) and a
vintage is never stamped earlier than the one before it, so id order is time order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    case,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    tuple_,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..citation import FIELDS as CITATION_FIELDS
from ..citation import Citation, Grade
from ..errors import StoreError
from ..observation import Observation
from ..periods import Period, PeriodKind
from .db import begin_write, check_schema, default_url, make_engine
from .db import migrate as migrate_schema
from .followup import FollowupRecords
from .models import LIMITS, VINTAGE_KINDS, Base, ObservationRow, UTCDateTime, VintageRow

Key = tuple[str, str, str, str, str, str]

#: the long format's columns, in the order files and exports write them
LONG_COLUMNS = (
    "indicator", "area", "year", "period", "value", "unit", "scope", "sector", "flags",
    "quote", "note", "lower", "upper", *CITATION_FIELDS,
)
#: the columns of files from before the citation fields, still read (the legacy rule of
#: :meth:`mic2025.citation.Citation.from_source`), never written
LEGACY_COLUMNS = ("source", "source_date")
#: what :meth:`Store.export_rows` adds to each row
VINTAGE_COLUMNS = ("vintage", "vintage_at")
#: the columns of every observation export, CSV and Excel, command line and platform
EXPORT_COLUMNS = (*LONG_COLUMNS, *VINTAGE_COLUMNS)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_OBSERVATION_TABLE = Base.metadata.tables["observation"]


@dataclass(frozen=True)
class Vintage:
    """One batch that changed the store."""

    id: int
    created_at: datetime
    kind: str
    source_name: str
    sha256: str | None
    rows_total: int
    rows_new: int
    rows_revised: int
    rows_unchanged: int
    note: str
    actor: str
    #: keys an earlier bundled release carried and this one withdrew (see the module docstring)
    rows_withdrawn: int = 0


@dataclass(frozen=True)
class ImportResult:
    """What an import did.

    ``vintage`` is the vintage written, or, when ``already_imported``, the earlier vintage
    that brought the very same file; it is ``None`` when nothing was written because every
    row was already known.
    """

    source_name: str
    sha256: str | None
    kind: str
    rows_total: int
    rows_new: int
    rows_revised: int
    rows_unchanged: int
    vintage: int | None = None
    created_at: datetime | None = None
    already_imported: bool = False
    #: keys an earlier bundled release carried and this one withdrew (``supersede=True``)
    rows_withdrawn: int = 0
    #: the (indicator, area) pairs of the rows this import wrote (figures, revisions and
    #: withdrawals); empty when it wrote none
    written: frozenset[tuple[str, str]] = frozenset()

    @property
    def unchanged(self) -> bool:
        """True when the import wrote nothing."""
        return self.rows_new + self.rows_revised + self.rows_withdrawn == 0

    def summary(self) -> str:
        """One line for a person: what was stored, or why nothing was."""
        if self.already_imported:
            return (f"{self.source_name}: already imported as vintage {self.vintage}; "
                    "nothing changed")
        counts = (f"{self.rows_total} rows: {self.rows_new} new, {self.rows_revised} revised, "
                  f"{self.rows_unchanged} unchanged")
        if self.rows_withdrawn:
            counts += (f"; {self.rows_withdrawn} withdrawn: earlier bundled figures this "
                       "release no longer carries")
        if self.unchanged:
            return (f"{self.source_name}: every row is already in the store ({counts}); "
                    "nothing changed")
        return f"{self.source_name}: stored as vintage {self.vintage} ({counts})"


#: the column that dates a figure's publication, read for the as-of view of bundled figures
publication_column = ObservationRow.publication_date


def _published_on(row: ObservationRow) -> date | None:
    value = getattr(row, publication_column.key)
    return value if isinstance(value, date) else None


def _known_by(as_of: datetime) -> ColumnElement[bool]:
    """The rows known at ``as_of``: a bundled figure from its publication day, any other row
    (a bundled one without a date, a withdrawal) from its vintage's creation."""
    dated = and_(VintageRow.kind == "bundled", publication_column.is_not(None),
                 ObservationRow.withdrawn.is_(False))
    return or_(and_(dated, publication_column <= as_of.astimezone(UTC).date()),
               and_(not_(dated), VintageRow.created_at <= as_of))


def _known_at(row: ObservationRow, kind: str) -> datetime | None:
    """The instant ``row`` counts as known from, when that is not its vintage's creation."""
    published = _published_on(row)
    if kind != "bundled" or published is None or row.withdrawn:
        return None
    return datetime.combine(published, time.min, tzinfo=UTC)


def end_of_day(day: date) -> datetime:
    """The last instant of ``day`` in UTC: the moment ``--as-of DAY`` looks from."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def as_of_instant(value: date | datetime | str) -> datetime:
    """Read an ``--as-of`` argument: a date (end of that UTC day) or an aware timestamp.

    A timestamp without a time zone is refused rather than guessed.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            raise StoreError(
                f"as-of {text!r} is neither a date (2024-06-30) nor a timestamp with a time "
                "zone (2024-06-30T12:00:00+08:00)"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise StoreError(f"as-of {value.isoformat()} has no time zone; "
                             "add one (e.g. +08:00 or Z)")
        return value.astimezone(UTC)
    return end_of_day(value)


class Store(FollowupRecords):
    """The system of record for evidence. Create with :func:`mic2025.store.open_store`.

    Besides observations and vintages it keeps the follow-up records (supervision updates,
    third-party rounds and scores): see :class:`mic2025.store.followup.FollowupRecords`.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @property
    def url(self) -> str:
        """The store's URL with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def import_observations(
        self,
        obs: Sequence[Observation],
        *,
        source_name: str,
        sha256: str | None,
        kind: str = "import",
        actor: str = "",
        note: str = "",
        now: datetime | None = None,
        connection: Connection | None = None,
        supersede: bool = False,
    ) -> ImportResult:
        """Store a batch of observations as one vintage, in one transaction.

        Nothing is written when ``sha256`` is that of an earlier vintage, or when every
        observation says the same as the latest stored row with its key. Otherwise one
        vintage is written with the new and revised rows; unchanged rows are counted, not
        stored again.

        ``now`` stamps the vintage (default: the current time); it must be time-zone aware
        and not earlier than the latest vintage, which keeps "latest id" and "latest in
        time" the same thing. Raises :class:`StoreError` for two observations with the same
        key, a non-finite number, or text longer than a key column holds.

        ``connection``, when given, is a writer transaction the caller opened with
        :func:`mic2025.store.db.begin_write`: the vintage joins it and commits or rolls back
        with the caller's own rows (an approval and its audit entry, say).

        ``supersede`` (kind ``bundled`` only) says the batch is a whole bundled release: every
        key whose latest row came from a bundled vintage and that the batch does not carry is
        withdrawn in the same vintage (``rows_withdrawn``; see the module docstring).
        """
        if kind not in VINTAGE_KINDS:
            raise StoreError(f"vintage kind {kind!r} is not one of {', '.join(VINTAGE_KINDS)}")
        if supersede and kind != "bundled":
            raise StoreError(f"only a bundled release supersedes earlier figures; this import "
                             f"is of kind {kind!r}")
        if sha256 is not None and not _SHA256.match(sha256):
            raise StoreError(f"sha256 {sha256!r} is not 64 lower-case hex digits")
        if now is not None and now.tzinfo is None:
            raise StoreError(f"now={now.isoformat()} has no time zone; the store keeps UTC")
        _check_batch(obs)
        try:
            if connection is not None:
                with Session(bind=connection) as session:
                    return self._import(session, obs, source_name=source_name, sha256=sha256,
                                        kind=kind, actor=actor, note=note, now=now,
                                        supersede=supersede)
            with begin_write(self.engine) as conn, Session(bind=conn) as session:
                return self._import(session, obs, source_name=source_name, sha256=sha256,
                                    kind=kind, actor=actor, note=note, now=now,
                                    supersede=supersede)
        except SQLAlchemyError as exc:
            raise StoreError(f"{source_name}: the store refused the import, nothing was written: "
                             f"{getattr(exc, 'orig', exc)}") from None

    def _import(self, session: Session, obs: Sequence[Observation], *, source_name: str,
                sha256: str | None, kind: str, actor: str, note: str,
                now: datetime | None, supersede: bool) -> ImportResult:
        total = len(obs)
        if sha256 is not None:
            earlier = session.scalars(select(VintageRow).where(VintageRow.sha256 == sha256)).first()
            if earlier is not None:
                return ImportResult(source_name, sha256, kind, total, 0, 0, total,
                                    vintage=earlier.id, created_at=earlier.created_at,
                                    already_imported=True)
        latest = self._latest_for(session, obs)
        new: list[Observation] = []
        revised: list[Observation] = []
        for o in obs:
            known = latest.get(o.key)
            if known is None:
                new.append(o)
            elif not known.same_content(o):
                revised.append(o)
        unchanged = total - len(new) - len(revised)
        withdrawn = self._bundled_missing(session, {o.key for o in obs}) if supersede else []
        if not new and not revised and not withdrawn:
            return ImportResult(source_name, sha256, kind, total, 0, 0, unchanged)

        if now is None:  # now, or the latest vintage's time if this clock is behind it
            last = select(func.max(VintageRow.created_at)).scalar_subquery()
            clock = literal(datetime.now(UTC), UTCDateTime())
            stamped: Any = case((last > clock, last), else_=clock)
        else:
            stamped = literal(self._stamp(session, now), UTCDateTime())
        vintage = session.connection().execute(insert(VintageRow).values(
            created_at=stamped, kind=kind, source_name=source_name, sha256=sha256,
            rows_total=total, rows_new=len(new), rows_revised=len(revised),
            rows_unchanged=unchanged, rows_withdrawn=len(withdrawn), note=note, actor=actor,
        ).returning(VintageRow.id, VintageRow.created_at)).one()
        stamp = vintage.created_at
        rows = [_row_values(o, vintage.id) for o in (*new, *revised)]
        rows += [_row_values(o, vintage.id, withdrawn=True) for o in withdrawn]
        # Core executemany: every dict has the same keys, so one batched INSERT (the ORM's
        # bulk path would split the batch wherever a different column is None)
        session.connection().execute(insert(_OBSERVATION_TABLE), rows)
        session.flush()
        return ImportResult(source_name, sha256, kind, total, len(new), len(revised), unchanged,
                            vintage=vintage.id, created_at=stamp, rows_withdrawn=len(withdrawn),
                            written=frozenset((o.indicator, o.area)
                                              for o in (*new, *revised, *withdrawn)))

    def _stamp(self, session: Session, now: datetime) -> datetime:
        """``now``, refused when earlier than the latest vintage."""
        last = session.scalar(select(func.max(VintageRow.created_at)))
        stamp = now.astimezone(UTC)
        if last is not None and stamp < last:
            raise StoreError(
                f"now={stamp.isoformat()} is earlier than the latest vintage "
                f"({last.isoformat()}); vintages are stamped in the order they arrive"
            )
        return stamp

    def _latest_for(self, session: Session, obs: Sequence[Observation]) -> dict[Key, Observation]:
        """The latest stored row of every key in ``obs`` (looked up by indicator and area)."""
        wanted = {o.key for o in obs}
        pairs = sorted({(o.indicator, o.area) for o in obs})
        out: dict[Key, Observation] = {}
        # chunks keep the number of bound parameters well under every driver's limit
        for start in range(0, len(pairs), 400):
            chunk = pairs[start:start + 400]
            query = _latest_query(None, where=[
                tuple_(ObservationRow.indicator, ObservationRow.area).in_(chunk)
            ])
            for row in session.execute(query):
                o = _observation(row)
                if o.key in wanted:
                    out[o.key] = o
        return out

    def _bundled_missing(self, session: Session, carried: set[Key]) -> list[Observation]:
        """The latest figures that came from a bundled vintage and whose key is not in
        ``carried``: what a new bundled release withdraws. Keys whose latest row is a user's,
        an approval's or an estimate's are not among them, however they began."""
        query = _latest_query(None, where=[]).where(VintageRow.kind == "bundled")
        found = (_observation(row) for row in session.execute(query))
        return [o for o in found if o.key not in carried]

    # ------------------------------------------------------------------ reading

    def observations(
        self,
        *,
        indicators: str | Iterable[str] | None = None,
        area: str | None = None,
        sector: str | None = None,
        as_of: date | datetime | None = None,
    ) -> list[Observation]:
        """For each key, the latest row known at ``as_of`` (now when ``None``).

        Each observation carries its ``vintage`` id and ``vintage_at``, and ``known_at`` when
        it counts as known from its publication date (a bundled figure). Ordered by
        indicator, area, sector, period end, scope and source.
        """
        where: list[ColumnElement[bool]] = []
        if indicators is not None:
            ids = [indicators] if isinstance(indicators, str) else sorted(set(indicators))
            if not ids:
                return []
            where.append(ObservationRow.indicator.in_(ids))
        if area is not None:
            where.append(ObservationRow.area == area)
        if sector is not None:
            where.append(ObservationRow.sector == sector)
        instant = None if as_of is None else as_of_instant(as_of)
        query = _latest_query(instant, where=where).order_by(
            ObservationRow.indicator, ObservationRow.area, ObservationRow.sector,
            ObservationRow.period_end, ObservationRow.period, ObservationRow.scope,
            ObservationRow.source,
        )
        with self._read() as session:
            return [_observation(row) for row in session.execute(query)]

    def changes(self, after: int, until: int, *,
                indicators: Iterable[str]) -> list[Observation]:
        """What the vintages after ``after`` up to ``until`` changed in :meth:`observations`
        of ``indicators``: the latest row they wrote of each key, a withdrawal included
        (``Observation.withdrawn``: the key leaves the latest view).

        Writers are serialised and vintage ids given in commit order, so the latest view at
        vintage ``until`` is the one at ``after`` with these rows put in place of their keys'
        (a caller keeping a view up to date reads only what changed).
        """
        ids = sorted(set(indicators))
        if not ids or until <= after:
            return []
        where = [ObservationRow.indicator.in_(ids), ObservationRow.vintage_id > after,
                 ObservationRow.vintage_id <= until]
        newest = (select(func.max(ObservationRow.id).label("id")).where(*where)
                  .group_by(ObservationRow.indicator, ObservationRow.area, ObservationRow.sector,
                            ObservationRow.period, ObservationRow.scope, ObservationRow.source)
                  ).subquery()
        query = (select(*_ROW_COLUMNS).join(newest, newest.c.id == ObservationRow.id)
                 .join(VintageRow, VintageRow.id == ObservationRow.vintage_id))
        with self._read() as session:
            return [_observation(row) for row in session.execute(query)]

    def history(self, key: Key) -> list[Observation]:
        """Every stored row of one key (``Observation.key``), oldest first, withdrawals
        (``Observation.withdrawn``) included."""
        indicator, area, sector, period, scope, source = key
        query = (
            select(*_ROW_COLUMNS)
            .join(VintageRow, VintageRow.id == ObservationRow.vintage_id)
            .where(
                ObservationRow.indicator == indicator, ObservationRow.area == area,
                ObservationRow.sector == sector, ObservationRow.period == period,
                ObservationRow.scope == scope, ObservationRow.source == source,
            )
            .order_by(ObservationRow.id)
        )
        with self._read() as session:
            return [_observation(row) for row in session.execute(query)]

    def vintages(self) -> list[Vintage]:
        """Every vintage, oldest first."""
        with self._read() as session:
            query = select(VintageRow).order_by(VintageRow.id)
            return [_vintage(v) for v in session.scalars(query)]

    def vintage_of_file(self, sha256: str) -> Vintage | None:
        """The vintage that brought the file with this sha256, if one did."""
        with self._read() as session:
            row = session.scalars(select(VintageRow).where(VintageRow.sha256 == sha256)).first()
            return None if row is None else _vintage(row)

    def counts(self) -> dict[str, int]:
        """How many vintages and observation rows the store holds (all vintages)."""
        with self._read() as session:
            return {
                "vintages": session.scalar(select(func.count()).select_from(VintageRow)) or 0,
                "observations": session.scalar(select(func.count()).select_from(ObservationRow))
                or 0,
            }

    def export_rows(self, as_of: date | datetime | None = None) -> list[dict[str, Any]]:
        """The latest rows at ``as_of`` in the import long format, plus ``vintage`` columns.

        One row per figure as :func:`export_row` gives it. Feeding these rows back to
        :func:`mic2025.ingest.parse_rows` reproduces the same observations.
        """
        return [export_row(o) for o in self.observations(as_of=as_of)]

    def _read(self) -> Session:
        return Session(self.engine)


# ---------------------------------------------------------------------- helpers


def export_row(o: Observation) -> dict[str, Any]:
    """One figure as a row of the exports (:data:`EXPORT_COLUMNS`, in that order).

    The one definition behind ``mic2025 data export`` and the platform's CSV and Excel
    downloads. Values keep their Python types (``year`` int, ``value`` float,
    ``publication_date`` a date or None, ``vintage_at`` an aware datetime); ``period`` is the
    period's code (``2020``, ``2020-Q3``, ``2020-07``), also for a year; ``flags`` is
    ``;``-joined; ``grade`` is empty when not known. The key's ``source`` is not written:
    it is the citation's key, worked out again on import. Text is as stored: a writer of a
    spreadsheet defuses it (:mod:`mic2025.tabular`).
    """
    c = o.citation
    return {
        "indicator": o.indicator, "area": o.area, "year": o.year,
        "period": o.period.code, "value": o.value, "unit": o.unit, "scope": o.scope,
        "sector": o.sector, "flags": ";".join(sorted(o.flags)),
        "quote": o.quote, "note": o.note, "lower": o.lower, "upper": o.upper,
        "publisher": c.publisher, "publication": c.publication,
        "publication_date": c.publication_date, "locator": c.locator,
        "retrieved_from": c.retrieved_from, "grade": c.grade or "",
        "vintage": o.vintage, "vintage_at": o.vintage_at,
    }



def _latest_query(as_of: datetime | None, *, where: Sequence[ColumnElement[bool]]
                  ) -> Select[Any]:
    """Rows that are the latest of their key among the rows known at ``as_of``, leaving out a
    key whose latest row is a withdrawal."""
    newest = (
        select(func.max(ObservationRow.id).label("id"))
        .join(VintageRow, VintageRow.id == ObservationRow.vintage_id)
        .where(*where)
        .group_by(
            ObservationRow.indicator, ObservationRow.area, ObservationRow.sector,
            ObservationRow.period, ObservationRow.scope, ObservationRow.source,
        )
    )
    if as_of is not None:
        newest = newest.where(_known_by(as_of))
    latest = newest.subquery()
    return (
        select(*_ROW_COLUMNS)
        .join(latest, latest.c.id == ObservationRow.id)
        .join(VintageRow, VintageRow.id == ObservationRow.vintage_id)
        .where(ObservationRow.withdrawn.is_(False))
    )


def _check_batch(obs: Sequence[Observation]) -> None:
    seen: dict[Key, int] = {}
    for i, o in enumerate(obs):
        if o.key in seen:
            raise StoreError(f"observations {seen[o.key]} and {i} of the batch share the key "
                             f"{o.key}; one batch holds one figure per key")
        seen[o.key] = i
        for name in ("value", "lower", "upper"):
            number = getattr(o, name)
            if number is not None and not math.isfinite(number):
                raise StoreError(f"observation {i} ({o.key}): {name} {number!r} is not a "
                                 "finite number")
        for name, limit in LIMITS.items():
            text = o.period.code if name == "period" else getattr(o, name)
            if len(text) > limit:
                raise StoreError(f"observation {i} ({o.key}): {name} is {len(text)} characters "
                                 f"long; the store keeps at most {limit}")
            if not text and name not in ("sector", "scope"):
                raise StoreError(f"observation {i} ({o.key}): {name} is empty")


def _row_values(o: Observation, vintage_id: int, *, withdrawn: bool = False) -> dict[str, Any]:
    return {
        "indicator": o.indicator, "area": o.area, "sector": o.sector,
        "period": o.period.code, "period_kind": o.period.kind, "year": o.period.year,
        "period_end": o.period.end, "scope": o.scope, "value": float(o.value),
        "unit": o.unit, "source": o.source, **o.citation.model_dump(),
        "flags": ";".join(sorted(o.flags)), "note": o.note, "quote": o.quote,
        "lower": None if o.lower is None else float(o.lower),
        "upper": None if o.upper is None else float(o.upper),
        "vintage_id": vintage_id, "withdrawn": withdrawn,
    }


#: what :func:`_observation` reads: an observation's columns (plain rows, not ORM objects,
#: which cost about twice as much to build) and its vintage's creation and kind
_ROW_COLUMNS = (*ObservationRow.__table__.columns,
                VintageRow.created_at.label("vintage_created_at"),
                VintageRow.kind.label("vintage_kind"))


def _observation(row: Any) -> Observation:
    """An observation of a row of :data:`_ROW_COLUMNS`."""
    vintage_at, kind = row.vintage_created_at, row.vintage_kind
    return Observation(
        indicator=row.indicator,
        area=row.area,
        period=Period(row.period_end, cast(PeriodKind, row.period_kind), row.year, row.period),
        value=row.value,
        unit=row.unit,
        source=row.source,
        sector=row.sector,
        scope=row.scope,
        citation=Citation.model_construct(
            publisher=row.publisher, publication=row.publication,
            publication_date=row.publication_date, locator=row.locator,
            retrieved_from=row.retrieved_from, grade=cast("Grade | None", row.grade)),
        flags=frozenset(f for f in row.flags.split(";") if f),
        note=row.note,
        quote=row.quote,
        lower=row.lower,
        upper=row.upper,
        vintage=row.vintage_id,
        vintage_at=vintage_at,
        known_at=_known_at(row, kind),
        withdrawn=row.withdrawn,
    )


def _vintage(v: VintageRow) -> Vintage:
    return Vintage(v.id, v.created_at, v.kind, v.source_name, v.sha256, v.rows_total, v.rows_new,
                   v.rows_revised, v.rows_unchanged, v.note, v.actor, v.rows_withdrawn)


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """Open the store at ``url`` (``None``: :func:`default_url`).

    ``migrate=True`` (writers) creates the store and brings its schema to the latest
    revision, under the write lock. ``migrate=False`` (readers) only checks the revision
    (:func:`check_schema`): no write lock, no write — except creating a store that does not
    exist yet. Raises :class:`~mic2025.errors.StoreError` when the database cannot be
    reached, or (readers) its schema is not this mic2025's, or its schema is newer.
    """
    engine = make_engine(url or default_url())
    try:
        if migrate:
            migrate_schema(engine)
        else:
            check_schema(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
