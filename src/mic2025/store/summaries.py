"""Small aggregate reads of the evidence the platform asks on every request: the latest
vintage, when each indicator's newest figure arrived, and which indicators and units are
stored. One indexed query each."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from datetime import UTC, date, datetime
from typing import NamedTuple

from sqlalchemy import Engine, func, select
from sqlalchemy.pool import PoolProxiedConnection

from .db import busy_seconds
from .models import ObservationRow, VintageRow
from .platform import DeadlineRow, SubmissionRow


def latest_vintage(engine: Engine, as_of: datetime | None = None) -> int:
    """The id of the latest vintage (the latest written by ``as_of``), 0 for none."""
    query = select(func.max(VintageRow.id))
    if as_of is not None:
        query = query.where(VintageRow.created_at <= as_of)
    with engine.connect() as conn:
        return conn.scalar(query) or 0


def arrivals(engine: Engine, area: str) -> dict[str, datetime]:
    """For each indicator, when its newest figure of ``area`` arrived (a withdrawal by a new
    bundled release is no figure arriving)."""
    query = (select(ObservationRow.indicator, func.max(VintageRow.created_at))
             .join(VintageRow, VintageRow.id == ObservationRow.vintage_id)
             .where(ObservationRow.area == area, ObservationRow.withdrawn.is_(False))
             .group_by(ObservationRow.indicator))
    with engine.connect() as conn:
        return {ind: _aware(at) for ind, at in conn.execute(query) if at is not None}


def stored_indicators(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(ObservationRow.indicator).distinct()))


def area_vintages(engine: Engine) -> dict[str, int]:
    """For each area, the latest vintage that wrote a row of it (a figure, a revision or a
    withdrawal: rows are only ever added, so an area's figures are as they were until this
    changes)."""
    query = select(ObservationRow.area, func.max(ObservationRow.vintage_id)).group_by(
        ObservationRow.area)
    with engine.connect() as conn:
        return {area: vintage for area, vintage in conn.execute(query)}


def stored_units(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(u for (u,) in conn.execute(select(ObservationRow.unit).distinct()))


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


class VintageLine(NamedTuple):
    """A vintage as the leader's page lists it: when, what, and how many rows it brought."""

    id: int
    created_at: datetime
    kind: str
    source_name: str
    rows_new: int
    rows_revised: int


def recent_vintages(engine: Engine, n: int = 2) -> list[VintageLine]:
    """The ``n`` latest vintages, newest first."""
    query = (select(VintageRow.id, VintageRow.created_at, VintageRow.kind,
                    VintageRow.source_name, VintageRow.rows_new, VintageRow.rows_revised)
             .order_by(VintageRow.id.desc()).limit(n))
    with engine.connect() as conn:
        return [VintageLine(r.id, _aware(r.created_at), r.kind, r.source_name, r.rows_new,
                            r.rows_revised) for r in conn.execute(query)]


def figures_by_area_year(engine: Engine) -> dict[str, dict[int, int]]:
    """Per area and year, how many indicators the store holds a figure of (one query)."""
    query = (select(ObservationRow.area, ObservationRow.year,
                    func.count(ObservationRow.indicator.distinct()))
             .group_by(ObservationRow.area, ObservationRow.year))
    out: dict[str, dict[int, int]] = {}
    with engine.connect() as conn:
        for area, year, n in conn.execute(query):
            out.setdefault(area, {})[int(year)] = int(n)
    return out


def upcoming_deadlines(engine: Engine, today: date, n: int = 5) -> list[tuple[int, str, date]]:
    """The next ``n`` reporting deadlines due on or after ``today``: (year, area, due), the
    area blank for a deadline of every province."""
    query = (select(DeadlineRow.year, DeadlineRow.area, DeadlineRow.due)
             .where(DeadlineRow.due >= today).order_by(DeadlineRow.due, DeadlineRow.area)
             .limit(n))
    with engine.connect() as conn:
        return [(int(r.year), r.area, r.due) for r in conn.execute(query)]


def submission_states(engine: Engine, year: int) -> dict[str, str]:
    """Each area's latest provincial submission state for ``year`` (one query; a submit or a
    return writes no vintage, so callers must not cache this per vintage)."""
    query = (select(SubmissionRow.area, SubmissionRow.status)
             .where(SubmissionRow.year == year, SubmissionRow.kind == "province")
             .order_by(SubmissionRow.id.desc()))
    out: dict[str, str] = {}
    with engine.connect() as conn:
        for area, status in conn.execute(query):
            out.setdefault(area, status)
    return out


def year_deadlines(engine: Engine, year: int) -> dict[str, date]:
    """The year's deadlines by area (``""``: every province)."""
    with engine.connect() as conn:
        return {r.area: r.due for r in conn.execute(
            select(DeadlineRow.area, DeadlineRow.due).where(DeadlineRow.year == year))}


class VintageWatch:
    """The latest vintage id, read on every request as cheaply as the store allows.

    On a SQLite file a connection of its own asks ``PRAGMA data_version``, which changes
    exactly when another connection (of this process or any other) has committed to the
    file since the last time it was asked; only then is ``max(id)`` read again. Any commit
    (a session, an audit entry) makes it look again, never a stale id. On PostgreSQL the
    indexed ``max(id)`` query is asked every time, on a connection of its own in autocommit
    (no pool checkout, no ping, no transaction); a connection that fails is let go and the
    query asked through the pool, and the next request opens a new one. SQLite in memory
    asks through the pool.

    Reads are shared: a caller that finds a read in flight waits for the next one and takes
    its answer along with every other caller waiting meanwhile, so a crowd of requests
    costs two reads at a time, not one each in a queue (on one connection, each queued read
    also waited for the interpreter between its round trip and letting the next one go).
    The read in flight is never the answer of a caller that came after it started: that
    read may have begun before a vintage the caller already knows of was committed.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        # the shared reads: how many have started and finished, and the last one's answer
        self._turn = threading.Condition(threading.Lock())
        self._started = self._finished = 0
        self._answer = 0
        #: how many callers are waiting for a read to start or finish (tests read it)
        self.waiting = 0
        self._seen: tuple[int, int] | None = None  # (data_version, latest vintage)
        self._conn: sqlite3.Connection | None = None
        self._pg: PoolProxiedConnection | None = None  # PostgreSQL: see :meth:`latest`
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:" \
                and not database.startswith("file:"):
            conn = sqlite3.connect(database, check_same_thread=False, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {round(busy_seconds() * 1000)}")
            self._conn = conn

    def latest(self) -> int:
        """The latest vintage id, from a read that started after this call did."""
        with self._turn:
            wanted = self._started + 1  # the next read to start; the one in flight is older
            while self._finished < wanted:
                if self._started == self._finished:  # none in flight (or it failed): lead
                    self._started += 1
                    break
                self.waiting += 1
                try:
                    self._turn.wait()
                finally:
                    self.waiting -= 1
            else:
                return self._answer
        done = False
        try:
            answer = self._read()
            done = True
        finally:
            with self._turn:
                if done:
                    self._finished, self._answer = self._started, answer
                else:  # the waiting callers start a read of their own
                    self._started = self._finished
                self._turn.notify_all()
        return answer

    def _read(self) -> int:
        if self._conn is None:
            if self.engine.dialect.name == "postgresql":
                return self._latest_postgres()
            return latest_vintage(self.engine)
        with self._lock:
            version = self._conn.execute("PRAGMA data_version").fetchone()[0]
            if self._seen is not None and self._seen[0] == version:
                return self._seen[1]
            # read after the version: a commit in between is seen by the next request
            row = self._conn.execute(
                f"SELECT max(id) FROM {VintageRow.__tablename__}").fetchone()
            self._seen = (version, row[0] or 0)
            return self._seen[1]

    def _latest_postgres(self) -> int:
        with self._lock:
            try:
                if self._pg is None:
                    raw = self.engine.raw_connection()
                    raw.driver_connection.autocommit = True  # type: ignore[union-attr]
                    self._pg = raw
                cursor = self._pg.cursor()
                try:
                    cursor.execute(f"SELECT max(id) FROM {VintageRow.__tablename__}")
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                return int(row[0] or 0) if row else 0
            except Exception:  # a dropped connection: let it go, ask through the pool
                self._drop_postgres()
        return latest_vintage(self.engine)

    def _drop_postgres(self) -> None:
        if self._pg is not None:
            with contextlib.suppress(Exception):
                self._pg.invalidate()
            self._pg = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._drop_postgres()
