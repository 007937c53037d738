"""The follow-up records: supervision status updates, third-party rounds and their scores.

They are not observations, but they are records of the same system: kept in the store's
database (migration 0004) so that every web worker on every host sees the same records, a
record and its audit entry commit together, and a backup of the database holds them.

``supervision_update``
    one row per status update of a supervision milestone (``mic2025 supervision update``,
    the platform's form and API): item, status, commentary, who and when, evidence, and the
    version and sha256 of the seed file it was reported against.
``thirdparty_round``
    one row per evaluation round, keyed by the round's id. ``document`` is the frozen round
    (the JSON of :class:`mic2025.followup.thirdparty.Round`: rubric, items, the system's own
    evaluation); ``document_sha256`` is its digest, checked on every read, and
    ``rubric_sha256`` the digest of the rubric file the round was made with.
``thirdparty_score``
    one row per score given in a round (it references the round). A later score of the same
    evaluator, item and criterion supersedes an earlier one when the scores are read; both
    rows stay.
``thirdparty_round_close``
    one row per closed round (migration 0012): who closed it, when, and why. The round's own
    row is never updated, so its close is a record of its own; a closed round takes no score.
``raised_warning``
    one row per evaluation of the early-warning rules after approvals that raised a warning
    (migration 0013): when, the approved vintages, the warnings raised. Kept in the store so
    that every worker's warnings page lists them, whichever process ran the approval.

All five are append-only: nothing here updates or deletes a row, and migration 0004 installs
triggers that refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), as for the audit log.
Records are read in time order (``at``, then id). Writes take the store's writer lock
(:func:`mic2025.store.db.begin_write`); a write may instead join a writer transaction the
caller holds (``connection=``), so the platform's audit entry commits with its record.

The column ``legacy_digest`` is left empty: it marked rows imported from the record files of
an unreleased development version, an import that no longer exists.

:class:`SupervisionUpdate` and :class:`Score` are the one model of their record: the store
returns them, :mod:`mic2025.followup` computes with them and the API answers with them. Only
:mod:`mic2025.services` writes them (with the permission check and the audit entry).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field
from sqlalchemy import (
    CheckConstraint,
    Connection,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..errors import StoreError
from .db import begin_write
from .models import Base, UTCDateTime

#: the states a supervision milestone may be reported in (``followup.supervision.STATUSES``)
SUPERVISION_STATUSES = ("not_reported", "not_started", "in_progress", "completed", "delayed")

#: longest text each bounded column holds (checked here, so SQLite refuses what PostgreSQL
#: would: VARCHAR(n) is enforced by PostgreSQL only)
FOLLOWUP_LIMITS = {
    "item": 100,
    "by": 200,
    "seed_version": 100,
    "round": 64,
    "created_by": 200,
    "plan": 100,
    "plan_version": 100,
    "method": 32,
    "evaluator": 200,
    "criterion": 100,
}

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ROUND_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class SupervisionUpdateRow(Base):
    __tablename__ = "supervision_update"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(SUPERVISION_STATUSES)}", name="status"),
        Index("ix_supervision_update_item_at", "item", "at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["item"]), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False)
    #: who reported the update (``Update.by``; ``by`` is an SQL keyword)
    reported_by: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["by"]), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: a JSON list of links or document references
    evidence: Mapped[str] = mapped_column(Text, nullable=False)
    seed_version: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["seed_version"]),
                                              nullable=False)
    seed_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    #: when the row was written (``at`` is when the update was made: they differ on import)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    legacy_digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)


class RoundRow(Base):
    __tablename__ = "thirdparty_round"

    #: the round's id (``r2021``): letters, digits, ``.``, ``_`` and ``-``
    id: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["round"]), primary_key=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_by: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["created_by"]),
                                            nullable=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    plan: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["plan"]), nullable=False)
    plan_version: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["plan_version"]),
                                              nullable=False)
    method: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["method"]), nullable=False)
    rubric_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    #: the frozen round, as JSON
    document: Mapped[str] = mapped_column(Text, nullable=False)
    document_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    legacy_digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)


class RoundCloseRow(Base):
    __tablename__ = "thirdparty_round_close"

    round_id: Mapped[str] = mapped_column(ForeignKey("thirdparty_round.id"), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    closed_by: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["created_by"]),
                                           nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False)


class RaisedRow(Base):
    """Early warnings raised by approvals (migration 0013): one row per evaluation of the rules
    after one or more approved vintages that raised at least one warning."""

    __tablename__ = "raised_warning"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: the vintages whose approval was evaluated, a JSON list of ids
    vintages: Mapped[str] = mapped_column(Text, nullable=False)
    #: the warnings raised, a JSON list (each as ``mic2025.followup.warn.EarlyWarning``)
    warnings: Mapped[str] = mapped_column(Text, nullable=False)


class Raised(BaseModel):
    """One :class:`RaisedRow` as read: when, after which vintages, and the warnings (as the
    JSON objects they were stored as; :mod:`mic2025.followup.warn` reads them)."""

    model_config = ConfigDict(frozen=True)

    id: int
    at: datetime
    vintages: tuple[int, ...]
    warnings: tuple[dict[str, Any], ...]


class RoundClosedError(StoreError):
    """A score for a round that has been closed (refused inside the writer lock, so that a
    close committed a moment earlier cannot be slipped past)."""

    def __init__(self, round_id: str, closed_at: datetime, closed_by: str) -> None:
        super().__init__(f"round {round_id!r} was closed by {closed_by} at "
                         f"{closed_at.isoformat(timespec='seconds')}; it takes no more scores")
        self.round_id = round_id
        self.closed_at = closed_at
        self.closed_by = closed_by


class ScoreRow(Base):
    __tablename__ = "thirdparty_score"
    __table_args__ = (
        Index("ix_thirdparty_score_round_id_at", "round_id", "at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[str] = mapped_column(ForeignKey("thirdparty_round.id"), nullable=False)
    evaluator: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["evaluator"]), nullable=False)
    item: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["item"]), nullable=False)
    criterion: Mapped[str] = mapped_column(String(FOLLOWUP_LIMITS["criterion"]), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    legacy_digest: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)


# ---------------------------------------------------------------------------- records


class SupervisionUpdate(BaseModel):
    """One status update of a supervision milestone (``by`` is the column ``reported_by``).

    ``id`` and ``recorded_at`` (when the row was written) are the store's own and are left
    out of the record's JSON, of its equality and of its audit entry.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str
    status: str
    comment: str
    by: str
    at: datetime
    evidence: list[str] = []
    seed_version: str
    seed_sha256: str
    id: int | None = Field(None, exclude=True)
    recorded_at: datetime | None = Field(None, exclude=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SupervisionUpdate):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash(self.model_dump_json())


class EvaluationRound(BaseModel):
    """One frozen third-party round as stored: its header, and ``document``, the frozen round
    itself as JSON (:class:`mic2025.followup.thirdparty.Round`: rubric, items, evaluation).

    The one model of a round: the store returns it and the API lists it. Its JSON leaves the
    document out and counts its ``items`` instead; ``recorded_at`` (when the row was written)
    is the store's own and is left out of the equality, as for :class:`SupervisionUpdate`.
    ``closed_at``, ``closed_by`` and ``close_comment`` come from the round's close record
    (``None`` while the round is open); the frozen document never changes.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    created_at: datetime
    created_by: str
    as_of: datetime
    plan: str
    plan_version: str
    method: str
    rubric_sha256: str
    document: str = Field(exclude=True, repr=False)
    recorded_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    close_comment: str | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def items(self) -> int:
        """How many items (indicators and tasks) the round scores."""
        items = json.loads(self.document).get("items", [])
        return len(items) if isinstance(items, list) else 0

    @property
    def document_sha256(self) -> str:
        return hashlib.sha256(self.document.encode("utf-8")).hexdigest()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvaluationRound):
            return NotImplemented
        return (self.model_dump(exclude={"recorded_at"}), self.document) == (
            other.model_dump(exclude={"recorded_at"}), other.document)

    def __hash__(self) -> int:
        return hash((self.id, self.document_sha256))


class Score(BaseModel):
    """One score of one evaluator for one item on one criterion of a round (``id`` and
    ``recorded_at`` as for :class:`SupervisionUpdate`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    round: str
    evaluator: str
    item: str
    criterion: str
    score: int
    comment: str = ""
    at: datetime
    id: int | None = Field(None, exclude=True)
    recorded_at: datetime | None = Field(None, exclude=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    def __hash__(self) -> int:
        return hash(self.model_dump_json())


# ---------------------------------------------------------------------------- the store side


class FollowupRecords:
    """The follow-up records' part of :class:`mic2025.store.Store` (a mixin)."""

    engine: Engine

    # ------------------------------------------------------------------ writing

    def append_supervision_update(
        self, *, item: str, status: str, comment: str, by: str, seed_version: str,
        seed_sha256: str, evidence: Sequence[str] = (), at: datetime | None = None,
        connection: Connection | None = None,
    ) -> SupervisionUpdate:
        """Append one status update; returns it as stored.

        ``at`` (aware) is when the update was made; default: the moment of writing, taken
        after the writer lock (from the database's clock on PostgreSQL, so that updates
        written from several hosts are stamped in the order they were stored).
        """
        values: dict[str, Any] = dict(item=item, status=status, comment=comment, by=by, at=at,
                                      evidence=list(evidence), seed_version=seed_version,
                                      seed_sha256=seed_sha256)
        check_update(**values)
        with self._writer(connection, f"update of {item!r}") as conn:
            return self._read_update(conn, _insert_update(conn, **values))

    def add_round(self, rnd: EvaluationRound, *, connection: Connection | None = None
                  ) -> EvaluationRound:
        """Store a new round; a round id already in the store is refused (never replaced)."""
        check_round(rnd)
        with self._writer(connection, f"round {rnd.id!r}") as conn:
            if conn.execute(select(RoundRow.id).where(RoundRow.id == rnd.id)).first():
                raise StoreError(f"round {rnd.id!r} already exists in the store; rounds are "
                                 "never overwritten")
            _insert_round(conn, rnd)
            stored = self._round(conn, rnd.id)
            assert stored is not None
            return stored

    def close_round(self, round_id: str, *, by: str, comment: str = "",
                    connection: Connection | None = None) -> EvaluationRound:
        """Close a stored round (it then takes no score); a round closes once."""
        what = f"close of round {round_id!r}"
        _nonempty(what, closed_by=by)
        _limit(what, "created_by", by)
        with self._writer(connection, what) as conn:
            if not conn.execute(select(RoundRow.id).where(RoundRow.id == round_id)).first():
                raise StoreError(f"no round {round_id!r} in the store")
            done = conn.execute(select(RoundCloseRow)
                                .where(RoundCloseRow.round_id == round_id)).first()
            if done is not None:
                raise StoreError(f"round {round_id!r} was already closed by {done.closed_by} "
                                 f"at {done.closed_at.isoformat(timespec='seconds')}")
            conn.execute(insert(RoundCloseRow).values(
                round_id=round_id, closed_at=_now(conn), closed_by=by, comment=comment))
            stored = self._round(conn, round_id)
            assert stored is not None
            return stored

    def append_score(
        self, *, round: str, evaluator: str, item: str, criterion: str, score: int,
        comment: str = "", at: datetime | None = None, connection: Connection | None = None,
    ) -> Score:
        """Append one score of a stored round; returns it as stored (``at`` as above)."""
        values: dict[str, Any] = dict(round=round, evaluator=evaluator, item=item,
                                      criterion=criterion, score=score, comment=comment, at=at)
        check_score(**values)
        with self._writer(connection, f"score in round {round!r}") as conn:
            if not conn.execute(select(RoundRow.id).where(RoundRow.id == round)).first():
                raise StoreError(f"no round {round!r} in the store")
            done = conn.execute(select(RoundCloseRow)
                                .where(RoundCloseRow.round_id == round)).first()
            if done is not None:
                raise RoundClosedError(round, done.closed_at, done.closed_by)
            return self._read_score(conn, _insert_score(conn, **values))

    def append_raised(self, *, vintages: Sequence[int], warnings: Sequence[dict[str, Any]]
                      ) -> Raised:
        """Record warnings raised by the approval of ``vintages`` (at least one warning)."""
        if not warnings or not vintages:
            raise StoreError("a record of raised warnings needs its vintages and a warning")
        with self._writer(None, "record of raised warnings") as conn:
            row_id = conn.execute(insert(RaisedRow).values(
                at=_now(conn), vintages=json.dumps(sorted(vintages)),
                warnings=json.dumps(list(warnings), ensure_ascii=False),
            ).returning(RaisedRow.id)).scalar_one()
            return _raised(conn.execute(select(RaisedRow).where(RaisedRow.id == row_id)).one())

    # ------------------------------------------------------------------ reading

    def raised(self, limit: int = 5) -> list[Raised]:
        """The latest ``limit`` records of raised warnings, newest first."""
        query = select(RaisedRow).order_by(RaisedRow.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_raised(r) for r in conn.execute(query)]

    def supervision_updates(self, item: str | None = None) -> list[SupervisionUpdate]:
        """Every status update (of one milestone when ``item`` is given), oldest first."""
        query = select(SupervisionUpdateRow).order_by(SupervisionUpdateRow.at,
                                                      SupervisionUpdateRow.id)
        if item is not None:
            query = query.where(SupervisionUpdateRow.item == item)
        with self.engine.connect() as conn:
            return [_update(r) for r in conn.execute(query)]

    def round(self, round_id: str) -> EvaluationRound | None:
        """The stored round of this id, or ``None``; its document's sha256 is checked."""
        with self.engine.connect() as conn:
            return self._round(conn, round_id)

    def round_ids(self) -> list[str]:
        """The ids of every stored round, sorted."""
        with self.engine.connect() as conn:
            return list(conn.scalars(select(RoundRow.id).order_by(RoundRow.id)))

    def scores(self, round_id: str) -> list[Score]:
        """Every score given in a round, superseded ones too, oldest first."""
        query = (select(ScoreRow).where(ScoreRow.round_id == round_id)
                 .order_by(ScoreRow.at, ScoreRow.id))
        with self.engine.connect() as conn:
            return [_score(r) for r in conn.execute(query)]

    def followup_counts(self) -> dict[str, int]:
        """Rows per follow-up table."""
        out: dict[str, int] = {}
        with self.engine.connect() as conn:
            for name, table in (("supervision_updates", SupervisionUpdateRow),
                                ("rounds", RoundRow), ("scores", ScoreRow)):
                out[name] = conn.scalar(select(func.count()).select_from(table)) or 0
        return out

    # ------------------------------------------------------------------ helpers

    @contextmanager
    def _writer(self, connection: Connection | None, what: str) -> Iterator[Connection]:
        try:
            if connection is not None:
                yield connection
                return
            with begin_write(self.engine) as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"{what}: the store refused the write, nothing was written: "
                             f"{getattr(exc, 'orig', exc)}") from None

    def _read_update(self, conn: Connection, row_id: int) -> SupervisionUpdate:
        row = conn.execute(select(SupervisionUpdateRow)
                           .where(SupervisionUpdateRow.id == row_id)).one()
        return _update(row)

    def _read_score(self, conn: Connection, row_id: int) -> Score:
        return _score(conn.execute(select(ScoreRow).where(ScoreRow.id == row_id)).one())

    def _round(self, conn: Connection, round_id: str) -> EvaluationRound | None:
        row = conn.execute(select(RoundRow).where(RoundRow.id == round_id)).first()
        if row is None:
            return None
        close = conn.execute(select(RoundCloseRow)
                             .where(RoundCloseRow.round_id == round_id)).first()
        rnd = EvaluationRound(
            id=row.id, title=row.title, created_at=row.created_at, created_by=row.created_by,
            as_of=row.as_of, plan=row.plan, plan_version=row.plan_version, method=row.method,
            rubric_sha256=row.rubric_sha256, document=row.document,
            recorded_at=row.recorded_at,
            closed_at=close.closed_at if close else None,
            closed_by=close.closed_by if close else None,
            close_comment=close.comment if close else None)
        if rnd.document_sha256 != row.document_sha256:
            raise StoreError(f"round {round_id!r}: the stored document does not match its "
                             f"sha256 ({row.document_sha256}); it has been altered")
        return rnd


# ---------------------------------------------------------------------------- rows


def _now(conn: Connection) -> datetime:
    """The moment of writing: the database's clock on PostgreSQL, this machine's on SQLite."""
    if conn.dialect.name == "postgresql":
        value = conn.scalar(select(func.clock_timestamp()))
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    return datetime.now(UTC)


def _insert_update(conn: Connection, *, item: str, status: str, comment: str, by: str,
                   at: datetime | None, evidence: list[str], seed_version: str,
                   seed_sha256: str) -> int:
    now = _now(conn)
    result = conn.execute(insert(SupervisionUpdateRow).values(
        item=item, status=status, comment=comment, reported_by=by, at=at or now,
        evidence=json.dumps(evidence, ensure_ascii=False), seed_version=seed_version,
        seed_sha256=seed_sha256, recorded_at=now,
    ).returning(SupervisionUpdateRow.id))
    return int(result.scalar_one())


def _insert_round(conn: Connection, r: EvaluationRound) -> None:
    conn.execute(insert(RoundRow).values(
        id=r.id, title=r.title, created_at=r.created_at, created_by=r.created_by,
        as_of=r.as_of, plan=r.plan, plan_version=r.plan_version, method=r.method,
        rubric_sha256=r.rubric_sha256, document=r.document, document_sha256=r.document_sha256,
        recorded_at=_now(conn),
    ))


def _insert_score(conn: Connection, *, round: str, evaluator: str, item: str, criterion: str,
                  score: int, comment: str, at: datetime | None) -> int:
    now = _now(conn)
    result = conn.execute(insert(ScoreRow).values(
        round_id=round, evaluator=evaluator, item=item, criterion=criterion, score=score,
        comment=comment, at=at or now, recorded_at=now,
    ).returning(ScoreRow.id))
    return int(result.scalar_one())


def _update(row: Any) -> SupervisionUpdate:
    return SupervisionUpdate(
        item=row.item, status=row.status, comment=row.comment, by=row.reported_by, at=row.at,
        evidence=list(json.loads(row.evidence)), seed_version=row.seed_version,
        seed_sha256=row.seed_sha256, id=row.id, recorded_at=row.recorded_at)


def _raised(row: Any) -> Raised:
    return Raised(id=row.id, at=row.at, vintages=tuple(json.loads(row.vintages)),
                  warnings=tuple(json.loads(row.warnings)))


def _score(row: Any) -> Score:
    return Score(
        round=row.round_id, evaluator=row.evaluator, item=row.item, criterion=row.criterion,
        score=row.score, comment=row.comment, at=row.at, id=row.id, recorded_at=row.recorded_at)


# ---------------------------------------------------------------------------- checks


def _limit(what: str, name: str, value: str) -> None:
    limit = FOLLOWUP_LIMITS[name]
    if len(value) > limit:
        raise StoreError(f"{what}: {name} is {len(value)} characters long; the store keeps at "
                         f"most {limit}")


def _nonempty(what: str, **values: str) -> None:
    for name, value in values.items():
        if not value.strip():
            raise StoreError(f"{what}: {name} is empty")


def _aware(what: str, **values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and value.tzinfo is None:
            raise StoreError(f"{what}: {name}={value.isoformat()} has no time zone")


def _sha(what: str, **values: str) -> None:
    for name, value in values.items():
        if not _SHA256.match(value):
            raise StoreError(f"{what}: {name} {value!r} is not 64 lower-case hex digits")


def check_update(*, item: str, status: str, by: str, at: datetime | None, seed_version: str,
                 seed_sha256: str, **_: Any) -> None:
    what = f"update of {item!r}"
    if status not in SUPERVISION_STATUSES:
        raise StoreError(f"{what}: status {status!r} is not one of "
                         f"{', '.join(SUPERVISION_STATUSES)}")
    _nonempty(what, item=item, by=by)
    for name, value in (("item", item), ("by", by), ("seed_version", seed_version)):
        _limit(what, name, value)
    _aware(what, at=at)
    _sha(what, seed_sha256=seed_sha256)


def check_round(r: EvaluationRound) -> None:
    what = f"round {r.id!r}"
    if not _ROUND_ID.match(r.id):
        raise StoreError(f"{what}: a round id is 1–64 letters, digits, '.', '_' and '-'")
    _nonempty(what, created_by=r.created_by, plan=r.plan, document=r.document)
    for name in ("created_by", "plan", "plan_version", "method"):
        _limit(what, name, getattr(r, name))
    _aware(what, created_at=r.created_at, as_of=r.as_of)
    _sha(what, rubric_sha256=r.rubric_sha256)


def check_score(*, round: str, evaluator: str, item: str, criterion: str, score: int,
                at: datetime | None, **_: Any) -> None:
    what = f"score in round {round!r}"
    _nonempty(what, evaluator=evaluator, item=item, criterion=criterion)
    for name, value in (("evaluator", evaluator), ("item", item), ("criterion", criterion),
                        ("round", round)):
        _limit(what, name, value)
    if isinstance(score, bool) or not isinstance(score, int) or not -(2**31) <= score < 2**31:
        raise StoreError(f"{what}: score {score!r} is not an integer the store can keep")
    _aware(what, at=at)
