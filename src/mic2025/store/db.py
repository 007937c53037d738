"""Opening the evidence store: where it lives, engine settings, and migration to the latest schema.

The store is SQLite by default (a file in the user's data folder, no server needed) and
PostgreSQL for the multi-user platform (``postgresql+psycopg://user@host/db``). Both run the
same models and the same Alembic migrations, which ship inside the package and run on
:func:`open_store`: a user never runs ``alembic`` by hand.

Writers are serialised: an import takes the database's write lock when its transaction
starts (``BEGIN IMMEDIATE`` on SQLite, a transaction-scoped advisory lock on PostgreSQL),
so two imports at once cannot both read "the latest row" and both write a revision of it,
and vintage ids increase in the order vintages were committed.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from ..errors import StoreError

if TYPE_CHECKING:
    from .repo import Store

#: environment variable naming the store's SQLAlchemy URL
ENV_URL = "MIC2025_DB"

#: execution option that makes a transaction a writer (see the module docstring)
WRITE = "mic2025_write"

# An arbitrary constant: the key of the PostgreSQL advisory lock all mic2025 writers share.
_PG_LOCK_KEY = 2025_0528_0001

# how long a writer waits for another to finish before giving up
_BUSY_SECONDS = 30

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


def safe_url(url: str) -> str:
    """``url`` with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unreadable URL>"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the store's connection settings.

    SQLite: foreign keys on (off by default in SQLite), WAL so readers never block the
    writer, a 30 s busy timeout so a second writer waits instead of failing, and
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
        kwargs.update(pool_pre_ping=True)
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot open {safe_url(url)}: {exc}") from None
    if backend == "sqlite":
        _configure_sqlite(engine, wal=not memory)
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {_BUSY_SECONDS * 1000}")
        if wal:
            _enable_wal(cursor)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with "database
        # is locked" if another writer committed in between; IMMEDIATE takes the write
        # lock up front, waiting up to busy_timeout for it.
        writer = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _enable_wal(cursor: Any) -> None:
    """Switch the database file to WAL (a lasting property of the file, set once).

    Switching needs the file to itself, and SQLite answers "database is locked" at once —
    without waiting out the busy timeout — while another connection of a first-time
    opener is mid-transaction; so wait and retry, for as long as the busy timeout. Where
    the file system cannot do WAL, SQLite keeps its rollback journal and says so; the store
    still works then, only readers wait for the writer.
    """
    deadline = time.monotonic() + _BUSY_SECONDS
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.02)


def take_write_lock(conn: Connection) -> None:
    """Serialise writers on PostgreSQL (SQLite's lock was taken by ``BEGIN IMMEDIATE``)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


@contextmanager
def begin_write(engine: Engine) -> Iterator[Connection]:
    """A connection in a writer transaction: committed on success, rolled back on error."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            take_write_lock(conn)
            yield conn


def alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the store's schema to the latest revision, in one locked transaction.

    Two processes opening a fresh store at once do not race: the second waits for the
    first's lock and then finds the schema already at head.
    """
    cfg = alembic_config()
    try:
        with begin_write(engine) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except CommandError as exc:
        raise StoreError(
            f"cannot migrate the store at {safe_url(str(engine.url))}: {exc}. A store written "
            "by a newer mic2025 cannot be opened by an older one."
        ) from None
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open the store at {safe_url(str(engine.url))}: {exc.__class__.__name__}: "
            f"{getattr(exc, 'orig', exc)}"
        ) from None


def open_store(url: str | None = None) -> Store:
    """Open (creating and migrating to the latest schema if needed) the store at ``url``.

    ``None`` means :func:`default_url`. Raises :class:`~mic2025.errors.StoreError` when the
    database cannot be reached or its schema is newer than this mic2025.
    """
    from .repo import Store

    engine = make_engine(url or default_url())
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
