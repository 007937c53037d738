"""Writers of one process queue for their turn before they take a connection of the pool,
and give up, naming the setting, after the busy timeout. Synchronised by events and by the
writer's own lock, never by timings."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from mic2025.errors import StoreError
from mic2025.store import db
from mic2025.store.db import begin_write, make_engine
from store_fixtures import BACKENDS, fresh_url


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[db.StoreEngine]:
    with fresh_url(request.param, tmp_path) as url:
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE written (n INTEGER)"))
        try:
            yield engine
        finally:
            engine.dispose()


def _until_waiting(turns: db.WriterTurns, n: int) -> None:
    """Return once ``n`` writers wait for their turn (a condition polled, not a timing)."""
    for _ in range(60_000):
        if turns.waiting == n:
            return
        time.sleep(0.001)
    raise AssertionError(f"{turns.waiting} writer(s) waiting, never {n}")


@contextmanager
def _a_writer_holding_the_turn(engine: db.StoreEngine) -> Iterator[None]:
    """A writer (in a thread of its own) holding the turn until the block ends."""
    holding, go = threading.Event(), threading.Event()

    def hold() -> None:
        with begin_write(engine):
            holding.set()
            go.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(60)
        yield
    finally:
        go.set()
        holder.join(60)


def test_a_writer_waiting_its_turn_holds_no_connection(engine: db.StoreEngine) -> None:
    turns = db.writer_turns(engine)
    first_in, first_may_go = threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with begin_write(engine) as conn:
            conn.execute(text("INSERT INTO written VALUES (1)"))
            first_in.set()
            first_may_go.wait(60)
            order.append("first")

    def second() -> None:
        with begin_write(engine) as conn:
            conn.execute(text("INSERT INTO written VALUES (2)"))
            order.append("second")

    a = threading.Thread(target=first)
    a.start()
    assert first_in.wait(60)
    b = threading.Thread(target=second)
    b.start()
    # the second waits for its turn, before taking a connection
    _until_waiting(turns, 1)
    assert b.is_alive()
    assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # the first's only
    with engine.connect() as reader:  # and a reader gets one at once
        assert reader.execute(text("SELECT count(*) FROM written")).scalar() == 0
    first_may_go.set()
    a.join(60)
    b.join(60)
    assert order == ["first", "second"]
    with engine.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM written")).scalar() == 2


def test_a_writer_that_waits_past_the_busy_timeout_is_refused_naming_it(
        engine: db.StoreEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(db.ENV_BUSY, "0.05")
    with _a_writer_holding_the_turn(engine), \
            pytest.raises(StoreError, match=db.ENV_BUSY), begin_write(engine):
        pass
    with begin_write(engine) as conn:  # the turn is free again
        conn.execute(text("INSERT INTO written VALUES (3)"))


def test_writers_get_their_turn_in_the_order_they_asked(engine: db.StoreEngine) -> None:
    """First come, first served: five writers queued one after another behind a holder
    write in that order (a plain lock lets them race, and some lose round after round)."""
    turns = db.writer_turns(engine)
    order: list[int] = []

    def write(n: int) -> None:
        with begin_write(engine) as conn:
            conn.execute(text("INSERT INTO written VALUES (:n)"), {"n": n})
            order.append(n)

    writers = []
    with _a_writer_holding_the_turn(engine):
        for n in range(1, 6):
            t = threading.Thread(target=write, args=(n,))
            t.start()
            writers.append(t)
            _until_waiting(turns, n)  # n-th in the queue before the next one asks
    for t in writers:
        t.join(60)
    assert order == [1, 2, 3, 4, 5]
    assert turns.waiting == 0
    with engine.connect() as reader:
        assert sorted(r[0] for r in reader.execute(text("SELECT n FROM written"))) \
            == [1, 2, 3, 4, 5]


def test_a_writer_that_gives_up_leaves_the_queue(engine: db.StoreEngine,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A refused writer is no longer queued: the turn goes to the one behind it."""
    turns = db.writer_turns(engine)
    got: list[bool] = []

    def after() -> None:
        with begin_write(engine) as conn:
            conn.execute(text("INSERT INTO written VALUES (9)"))
            got.append(True)

    later = threading.Thread(target=after)
    with _a_writer_holding_the_turn(engine):
        monkeypatch.setenv(db.ENV_BUSY, "0.05")
        with pytest.raises(StoreError, match=db.ENV_BUSY), begin_write(engine):
            pass
        assert turns.waiting == 0
        monkeypatch.setenv(db.ENV_BUSY, "60")
        later.start()
        _until_waiting(turns, 1)
    later.join(60)
    assert got == [True] and turns.waiting == 0


def test_a_write_inside_a_write_is_refused_at_once(engine: db.StoreEngine) -> None:
    """Nested, the inner write would wait for the lock the outer one holds (PostgreSQL's
    advisory lock, the SQLite file's writers' lock) until the busy timeout or for ever; it is
    refused before it takes a connection, and the outer write goes on and commits."""
    with begin_write(engine) as conn:
        conn.execute(text("INSERT INTO written VALUES (1)"))
        with pytest.raises(RuntimeError, match="a write inside a write"), begin_write(engine):
            pass  # pragma: no cover - never entered
        conn.execute(text("INSERT INTO written VALUES (2)"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM written ORDER BY n")).scalars().all() == [1, 2]
    with begin_write(engine) as conn:  # the turn was given back whole
        conn.execute(text("INSERT INTO written VALUES (3)"))


def test_only_the_holder_releases_a_turn() -> None:
    turns = db.WriterTurns()
    assert turns.acquire(timeout=1)
    other: list[bool] = []
    t = threading.Thread(target=lambda: other.append(turns.acquire(timeout=0.01)))
    t.start()
    t.join(60)
    assert other == [False] and turns.waiting == 0
    errors: list[str] = []

    def release_elsewhere() -> None:
        try:
            turns.release()
        except RuntimeError as exc:
            errors.append(str(exc))

    t2 = threading.Thread(target=release_elsewhere)
    t2.start()
    t2.join(60)
    assert errors and "not holding" in errors[0]
    turns.release()
    t3 = threading.Thread(target=lambda: other.append(turns.acquire(timeout=1)))
    t3.start()
    t3.join(60)
    assert other == [False, True]


fcntl = pytest.importorskip("fcntl")


def _waiters_on(path: Path) -> int:
    """Blocked ``flock`` requests on ``path`` (Linux's /proc/locks marks them with ``->``)."""
    inode = os.stat(path).st_ino
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if "->" in line and "FLOCK" in line and line.split()[-3].endswith(f":{inode}"))


def _held_by_another_process(tmp_path: Path) -> tuple[db.StoreEngine, Path, int]:
    """A SQLite store and its writers' lock file, held as another process holds it (an open
    file description of its own)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'two.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE written (n INTEGER)"))
    lock_file = tmp_path / "two.sqlite-writers.lock"
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return engine, lock_file, fd


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_a_sqlite_writer_waits_for_another_process_and_goes_as_soon_as_it_is_done(
        tmp_path: Path) -> None:
    """Between processes the writer waits in the kernel's queue for the lock file (woken when
    it is free), not in SQLite's busy handler (which polls in sleeps of up to 100 ms)."""
    engine, lock_file, fd = _held_by_another_process(tmp_path)
    done: list[int] = []

    def write() -> None:
        with begin_write(engine) as conn:
            conn.execute(text("INSERT INTO written VALUES (1)"))
        done.append(1)

    t = threading.Thread(target=write)
    t.start()
    try:
        for _ in range(60_000):  # a condition polled, not a timing
            if _waiters_on(lock_file) == 1:
                break
            time.sleep(0.001)
        assert _waiters_on(lock_file) == 1 and not done
    finally:
        os.close(fd)  # the other process's write is over
    t.join(60)
    assert done == [1]
    with engine.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM written")).scalar() == 1
    engine.dispose()


def test_a_sqlite_writer_that_waits_past_the_busy_timeout_for_another_process_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, _lock_file, fd = _held_by_another_process(tmp_path)
    monkeypatch.setenv(db.ENV_BUSY, "0.05")
    try:
        with pytest.raises(StoreError, match=f"another process.*{db.ENV_BUSY}"), \
                begin_write(engine):
            pass
    finally:
        os.close(fd)
    monkeypatch.setenv(db.ENV_BUSY, "60")
    # the writer that gave up does not keep the lock when it arrives late
    with begin_write(engine) as conn:
        conn.execute(text("INSERT INTO written VALUES (2)"))
    with engine.connect() as reader:
        assert reader.execute(text("SELECT count(*) FROM written")).scalar() == 1
    engine.dispose()
