"""Where enterprise returns come from: a Parquet file, a table name, a DuckDB relation or a
pyarrow table.

:func:`source_sql` turns any of them into a ``FROM`` item of the given connection, so the
validator and the engine read every source the same way. A relation belongs to the
connection that made it: pass that connection, or none and it is read through Arrow.
"""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path
from typing import TypeAlias

import duckdb
import pyarrow as pa

Source: TypeAlias = str | Path | duckdb.DuckDBPyRelation | pa.Table

ROW_COLUMN = "__row"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_parquet(source: Source) -> bool:
    return isinstance(source, Path) or (isinstance(source, str) and (
        source.endswith(".parquet") or "/" in source or "*" in source))


def source_sql(con: duckdb.DuckDBPyConnection, source: Source, *, row_numbers: bool = False
               ) -> str:
    """A ``FROM`` item for ``source``; with ``row_numbers``, a 1-based ``__row`` column.

    Rows of a Parquet file are numbered in file order (``file_row_number``); rows of a
    relation or table in scan order, which DuckDB keeps as insertion order.
    """
    if is_parquet(source):
        path = _literal(str(source))
        if row_numbers:
            return (f"(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS {ROW_COLUMN} "
                    f"FROM read_parquet({path}, file_row_number = true))")
        return f"read_parquet({path})"
    if isinstance(source, pa.Table):
        name = f"__mic2025_src_{uuid.uuid4().hex[:12]}"
        con.register(name, source)
        table = f'"{name}"'
    elif isinstance(source, duckdb.DuckDBPyRelation):
        name = f"__mic2025_src_{uuid.uuid4().hex[:12]}"
        source.create_view(name, replace=True)  # lands on the relation's own connection
        table = f'"{name}"'
    else:
        table = '"' + str(source).replace('"', '""') + '"'
    if row_numbers:
        return f"(SELECT *, ROW_NUMBER() OVER () AS {ROW_COLUMN} FROM {table})"
    return table


_database: tuple[int, duckdb.DuckDBPyConnection] | None = None
_lock = threading.Lock()


def _shared_database() -> duckdb.DuckDBPyConnection:
    """mic2025's own in-memory DuckDB database, made once per process.

    A new database per call (``duckdb.connect()``) costs its start-up — catalogue, buffer
    manager, worker threads — on every estimate: tens of milliseconds, a sixth of the
    national job. Callers get a cursor of this one instead (:func:`own_connection`). A child
    process after ``fork`` makes its own (a database does not survive a fork).
    """
    global _database
    with _lock:
        if _database is None or _database[0] != os.getpid():
            _database = (os.getpid(), duckdb.connect())
        return _database[1]


def own_connection(con: duckdb.DuckDBPyConnection | None, source: Source
                   ) -> tuple[duckdb.DuckDBPyConnection, Source]:
    """The connection to use, and the source as seen from it.

    Without ``con``: a new connection (a cursor) to mic2025's own in-memory database, with
    the progress bar off. A cursor is a connection of its own — the views, Arrow tables and
    temporary tables registered on it are its alone and go with it — and is safe to use in
    its thread. A relation from elsewhere is brought over as an Arrow table.
    """
    if con is not None:
        return con, source
    con = _shared_database().cursor()
    con.sql("SET enable_progress_bar = false")
    if isinstance(source, duckdb.DuckDBPyRelation):
        return con, source.to_arrow_table()
    return con, source


def file_stamp(source: object) -> tuple[str, int, int] | None:
    """(resolved path, size, modification time in ns) of a local file, else None: the key
    of anything remembered about a file's metadata (a rewritten file gets a new stamp)."""
    if not isinstance(source, str | Path):
        return None
    try:
        stat = os.stat(source)
    except OSError:
        return None
    return (str(Path(source).resolve()), stat.st_size, stat.st_mtime_ns)


_COLUMNS: dict[tuple[str, tuple[str, int, int]], dict[str, str]] = {}
_COLUMNS_LOCK = threading.Lock()


def columns_of(con: duckdb.DuckDBPyConnection, from_sql: str, source: object = None
               ) -> dict[str, str]:
    """Column names and DuckDB types of a ``FROM`` item. With ``source`` a local file, they
    are read once per version of the file (the DESCRIBE binds the Parquet footer: a few ms
    of every estimate)."""
    stamp = file_stamp(source)
    if stamp is not None:
        with _COLUMNS_LOCK:
            known = _COLUMNS.get((from_sql, stamp))
        if known is not None:
            return dict(known)
    rows = con.sql(f"DESCRIBE SELECT * FROM {from_sql}").fetchall()
    columns = {str(r[0]): str(r[1]) for r in rows}
    if stamp is not None:
        with _COLUMNS_LOCK:
            if len(_COLUMNS) >= 64:  # a handful of files per process; never grows unbounded
                _COLUMNS.clear()
            _COLUMNS[(from_sql, stamp)] = dict(columns)
    return columns
