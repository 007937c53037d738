"""Opening the evidence store: where it lives, engine settings, and migration to the latest schema.

The store is SQLite by default (a file in the user's data folder, no server needed) and
PostgreSQL for the multi-user platform (``postgresql+psycopg://user@host/db``). Both run the
same models and the same Alembic migrations, which ship inside the package: a user never
runs ``alembic`` by hand.

Writers and readers open the store differently. ``open_store(url)`` (a writer: ``mic2025
import``, ``run``, ``serve``, ``mic2025 store upgrade``) brings the schema to the latest
revision, in a locked transaction. ``open_store(url, migrate=False)`` (every command that
only reads) compares the schema's revision with this mic2025's without writing and without
the write lock, so a reader never waits for an import: a store behind this mic2025 is
refused with a message naming ``mic2025 store upgrade``, one ahead of it as written by a
newer mic2025. A database with no tables at all — a store that does not exist yet — is
created by a reader too, so a first ``mic2025 evaluate`` on a fresh machine works.

Writers are serialised: an import takes the database's write lock when its transaction
starts (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL),
so two imports at once cannot both read "the latest row" and both write a revision of it,
and vintage ids increase in the order vintages were committed. Within one process the
writers first queue for their turn (:class:`WriterTurns`, first come, first served) before
taking a connection: a writer waiting holds no connection of the pool (readers would
otherwise wait for one behind it), and the next writer starts as soon as one commits, where
SQLite's busy handler would poll for the database lock in sleeps of up to 100 ms; on a
SQLite file the processes' writers then queue on a lock file beside it
(``<database>-writers.lock``), for the same reason between processes.

On PostgreSQL every statement is a round trip, and a writer's wait for each is paid by every
writer queued behind it: reads run in autocommit (no ``BEGIN``/``ROLLBACK`` around them), a
pooled connection is pinged only after it has been idle, and a writer's ``BEGIN`` and lock
are one message (:func:`begin_write`).
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from ..errors import StoreError

try:  # the SQLite writers' turn between processes (POSIX); elsewhere SQLite's lock alone
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system
    fcntl = None  # type: ignore[assignment]

#: a connection in a writer transaction (:func:`begin_write`) and an engine, under the names
#: the layers above the store use for them: they never import SQLAlchemy themselves
Writer = Connection
StoreEngine = Engine

#: environment variable naming the store's SQLAlchemy URL
ENV_URL = "MIC2025_DB"
#: environment variable: how many seconds a SQLite writer waits for another (default 30)
ENV_BUSY = "MIC2025_BUSY_SECONDS"
#: the command that brings an older store to this mic2025's schema
UPGRADE_COMMAND = "mic2025 store upgrade"

#: execution option that makes a transaction a writer (see the module docstring)
WRITE = "mic2025_write"

# An arbitrary constant: the key of the PostgreSQL advisory lock all mic2025 writers share.
_PG_LOCK_KEY = 2025_0528_0001

# how long a writer waits for another to finish before giving up, unless $MIC2025_BUSY_SECONDS
_BUSY_SECONDS = 30.0

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url() -> str:
    """The store URL: ``$MIC2025_DB`` if set, else a SQLite file in the user's data folder.

    The folder (``platformdirs.user_data_dir('mic2025')``) is created when missing, so a
    fresh machine needs no setup.
    """
    env = os.environ.get(ENV_URL, "").strip()
    if env:
        return env
    folder = Path(platformdirs.user_data_dir("mic2025"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'mic2025.sqlite'}"


def busy_seconds() -> float:
    """How long a SQLite writer waits for the write lock: ``$MIC2025_BUSY_SECONDS`` or 30."""
    text = os.environ.get(ENV_BUSY, "").strip()
    if not text:
        return _BUSY_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise StoreError(f"{ENV_BUSY}={text!r}: give the seconds a writer waits for the write "
                         "lock, a positive number such as 30")
    return seconds


def safe_url(url: str) -> str:
    """``url`` with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store at ``url``; ``None`` for any other store or in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and \
            parsed.database != ":memory:":
        return Path(parsed.database)
    return None


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the store's connection settings.

    SQLite: foreign keys on (off by default in SQLite), WAL so readers never block the
    writer, a 30 s busy timeout (:func:`busy_seconds`) so a second writer waits instead of
    failing, and
    transactions begun by SQLAlchemy rather than by the sqlite3 module, whose legacy mode
    would commit DDL on its own and start reads outside any transaction.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL: {url!r} ({exc})") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported store {safe_url(url)}: use sqlite:///path/to/file.sqlite or "
            "postgresql+psycopg://user@host/dbname"
        )
    kwargs: dict[str, Any] = {}
    memory = backend == "sqlite" and parsed.database in (None, "", ":memory:")
    if memory:
        # one shared connection, or every checkout would see a different empty database
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif backend == "sqlite":
        assert parsed.database is not None
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    else:
        # reads are single statements at READ COMMITTED, where a transaction adds nothing
        # but two round trips (BEGIN, ROLLBACK); a writer asks for its transaction
        kwargs.update(isolation_level="AUTOCOMMIT")
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot open {safe_url(url)}: {exc}") from None
    if backend == "sqlite":
        _configure_sqlite(engine, wal=not memory, busy=busy_seconds())
    else:
        _ping_when_idle(engine)
    return engine


#: a pooled PostgreSQL connection idle for longer than this is pinged before it is handed out
PING_AFTER_IDLE = 5.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection before use only when it has been idle for more
    than :data:`PING_AFTER_IDLE` seconds; a dead one is replaced (the pool tries again).

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: a round trip before every read
    and every write, the write's inside the writers' turn. A connection used moments ago
    is alive unless the server went away in between, which the first statement then says;
    one left in the pool a while (the server restarted overnight) is the case worth a ping.
    """
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi: Any, record: Any) -> None:
        record.info["mic2025_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("mic2025_idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi)
        except Exception:  # any failure of the ping means "not usable"
            alive = False
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")


def _configure_sqlite(engine: Engine, *, wal: bool, busy: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {round(busy * 1000)}")
        if wal:
            _enable_wal(cursor, busy)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with "database
        # is locked" if another writer committed in between; IMMEDIATE takes the write
        # lock up front, waiting up to busy_timeout for it.
        writer = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _enable_wal(cursor: Any, busy: float) -> None:
    """Switch the database file to WAL (a lasting property of the file, set once).

    Switching needs the file to itself, and SQLite answers "database is locked" at once —
    without waiting out the busy timeout — while another connection of a first-time
    opener is mid-transaction; so wait and retry, for as long as the busy timeout. Where
    the file system cannot do WAL, SQLite keeps its rollback journal and says so; the store
    still works then, only readers wait for the writer.
    """
    deadline = time.monotonic() + busy
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)


#: execution option of a connection whose transaction holds the writers' lock
_LOCKED = "mic2025_write_locked"


def take_write_lock(conn: Connection) -> None:
    """Serialise writers on PostgreSQL (SQLite's lock was taken by ``BEGIN IMMEDIATE``).

    A writer transaction of :func:`begin_write` takes it as it begins and is marked as
    holding it (on its connection object, which lives as long as the transaction): asking
    again there costs no round trip."""
    if conn.dialect.name != "postgresql" or conn.get_execution_options().get(_LOCKED):
        return
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


#: a writer's transaction on PostgreSQL and the writers' lock, in one round trip
_PG_BEGIN_LOCKED = ("BEGIN ISOLATION LEVEL READ COMMITTED; "
                    f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")


def _begin_locked(conn: Connection) -> None:
    """Open the writer's transaction and take the writers' lock.

    SQLite: ``BEGIN IMMEDIATE`` (the ``begin`` event) took both. PostgreSQL: the engine's
    connections are in autocommit (:func:`make_engine`), so the driver sends no ``BEGIN`` of
    its own; the transaction is begun here, in the same message as the lock (the simple query
    protocol runs both: one round trip where the driver's ``BEGIN`` and the lock were two).
    The driver commits or rolls back whatever transaction the server has open, autocommit or
    not, so SQLAlchemy's commit and rollback end it as usual.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_BEGIN_LOCKED)


class WriterTurns:
    """The turns of one process's writers of an engine: first come, first served.

    A writer that asks while another holds the turn queues behind those already waiting, and
    the turn is handed to the longest waiting one when it is released; a plain lock's
    waiters race for it instead, so under a steady queue some writers lose several rounds
    in a row (that was the tail of the approvals' latency under sustained load). A writer
    that gives up waiting leaves the queue.

    A thread asking again while it holds the turn is refused at once: its second write would
    open a second connection and wait forever for the database lock its own first write
    holds (PostgreSQL's advisory lock, or the writers' ``flock`` of a SQLite file), so a
    write inside a write is a bug to be told about, not a turn to be given.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: int | None = None
        self._queue: deque[tuple[int, threading.Event]] = deque()

    @property
    def waiting(self) -> int:
        """How many writers are waiting for their turn."""
        with self._mutex:
            return len(self._queue)

    def acquire(self, timeout: float) -> bool:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                raise RuntimeError(
                    "a write inside a write: this thread already holds the store's writer "
                    "turn, and a second writer transaction would wait forever for the lock "
                    "its first one holds; do the inner work on the outer write's connection")
            if self._owner is None and not self._queue:
                self._owner = me
                return True
            entry = (me, threading.Event())
            self._queue.append(entry)
        if entry[1].wait(timeout):
            return True  # whoever released made this thread the owner
        with self._mutex:
            if entry[1].is_set():  # handed over between the timeout and now
                return True
            self._queue.remove(entry)
            return False

    def release(self) -> None:
        with self._mutex:
            if self._owner != threading.get_ident():
                raise RuntimeError("a writer's turn released by a thread not holding it")
            if self._queue:
                self._owner, turn = self._queue.popleft()
                turn.set()
            else:
                self._owner = None


_WRITERS: weakref.WeakKeyDictionary[Engine, WriterTurns] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def writer_turns(engine: Engine) -> WriterTurns:
    """The queue of this process's writers of ``engine`` (made at its first writer)."""
    with _WRITERS_LOCK:
        turns = _WRITERS.get(engine)
        if turns is None:
            turns = _WRITERS[engine] = WriterTurns()
        return turns


def _sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for PostgreSQL and in-memory databases)."""
    if engine.dialect.name != "sqlite":
        return None
    name = engine.url.database or ""
    if not name or name == ":memory:" or name.startswith("file:") \
            or "mode=memory" in str(engine.url.query):
        return None
    return Path(name)


def _between_processes(database: Path, timeout: float) -> int | None:
    """Wait for the writers' turn among the processes writing ``database`` (a SQLite file):
    an exclusive ``flock`` on ``<database>-writers.lock``. Returns the descriptor holding it
    (closing it gives the turn up), or None where there is no such lock (not a POSIX
    system, or a folder this process cannot create the file in: SQLite's lock alone then).

    SQLite's own lock is no queue: a process waiting for it sleeps in its busy handler (up
    to 100 ms at a time) while the process holding it starts its next write at once, so with
    several workers one kept the turn round after round and the other's writers waited
    several rounds. A process waiting for the ``flock`` is woken as soon as it is free. The
    wait is bounded like SQLite's (:func:`busy_seconds`): it is made in a thread of its own,
    which gives the lock back at once if it arrives after the writer has given up.
    """
    if fcntl is None:
        return None
    try:
        fd = os.open(f"{database}-writers.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    except BaseException:
        os.close(fd)
        raise
    mutex = threading.Lock()
    got = threading.Event()
    given_up = False

    def wait() -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        finally:
            with mutex:
                if given_up:
                    os.close(fd)
                else:
                    got.set()

    threading.Thread(target=wait, name="mic2025-writer-turn", daemon=True).start()
    if got.wait(timeout):
        return fd
    with mutex:
        if got.is_set():
            return fd
        given_up = True
    raise StoreError(f"the store is busy: another process's write did not finish within "
                     f"{timeout:g} s ({ENV_BUSY}); try again")


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """A connection in a writer transaction: committed on success, rolled back on error.

    Waits its turn among this process's writers (:class:`WriterTurns`, first come, first
    served), then, on a SQLite file, among the processes writing it
    (:func:`_between_processes`), each for as long as a SQLite writer waits for the database
    lock (:func:`busy_seconds`); then takes the database's own lock."""
    lock = writer_turns(engine)
    if not lock.acquire(timeout=busy_seconds()):
        raise StoreError(f"the store is busy: another write of this process did not finish "
                         f"within {busy_seconds():g} s ({ENV_BUSY}); try again")
    try:
        database = _sqlite_file(engine)
        held = None if database is None else _between_processes(database, busy_seconds())
        try:
            with engine.connect() as conn:
                conn.execution_options(**{WRITE: True})
                with conn.begin():
                    _begin_locked(conn)
                    conn.execution_options(**{_LOCKED: True})
                    yield conn
        finally:
            if held is not None:
                os.close(held)
    finally:
        lock.release()


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


@cache
def head_revision() -> str:
    """The latest schema revision of the migrations shipped with this mic2025 (read once a
    process: they do not change while it runs)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def migrate(engine: Engine) -> None:
    """Bring the store's schema to the latest revision, in one locked transaction.

    Two processes opening a fresh store at once do not race: the second waits for the
    first's lock and then finds the schema already at head. A store already at head (every
    open but the first) is only asked its revision, under the same lock: Alembic's upgrade
    machinery, about a tenth of a second, runs only when there is something to upgrade.
    """
    cfg = alembic_config()
    try:
        with begin_write(engine) as conn:
            if MigrationContext.configure(conn).get_current_revision() == head_revision():
                return
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except CommandError as exc:
        raise StoreError(
            f"cannot migrate the store at {safe_url(str(engine.url))}: {exc}. A store written "
            "by a newer mic2025 cannot be opened by an older one."
        ) from None
    except SQLAlchemyError as exc:
        raise _unreadable(engine, exc) from None



def schema_revisions(engine: Engine) -> tuple[str | None, str, bool]:
    """The store's schema revision, this mic2025's latest, and whether the database is empty.

    Only reads: no lock is taken and nothing is written.
    """
    head = head_revision()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
            empty = not inspect(conn).get_table_names()
    except SQLAlchemyError as exc:
        raise _unreadable(engine, exc) from None
    return current, head, empty


def check_schema(engine: Engine) -> None:
    """Refuse a store whose schema is not this mic2025's, without writing to it.

    An empty database (a store not created yet) is created — migrated from nothing — as
    there is nothing in it that a writer could be changing.
    """
    current, head, empty = schema_revisions(engine)
    if current == head:
        return
    where = safe_url(str(engine.url))
    if current is None:
        if empty:
            migrate(engine)
            return
        raise StoreError(f"{where} holds tables but no mic2025 schema revision: it is not a "
                         "mic2025 store")
    known = {s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current not in known:
        raise StoreError(f"the store at {where} has schema revision {current}, unknown to this "
                         f"mic2025 (latest {head}). A store written by a newer mic2025 cannot "
                         "be opened by an older one.")
    raise StoreError(f"the store at {where} has schema revision {current}; this mic2025 needs "
                     f"{head}. Upgrade it once with `{UPGRADE_COMMAND} --db URL` (the commands "
                     "that write, such as `mic2025 import` and `mic2025 run`, upgrade it too); "
                     "commands that only read never change the schema.")


def _unreadable(engine: Engine, exc: SQLAlchemyError) -> StoreError:
    return StoreError(f"cannot open the store at {safe_url(str(engine.url))}: "
                      f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}")
