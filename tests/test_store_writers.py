"""Writers of one process queue for their turn before they take a connection of the pool,
and give up, naming the setting, after the busy timeout. Synchronised by events and by the
writer's own lock, never by timings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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


class _Turn:
    """The writers' lock of an engine, counting who has asked for it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.asked = threading.Semaphore(0)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        self.asked.release()
        return self.lock.acquire(blocking, timeout)

    def release(self) -> None:
        self.lock.release()


def test_a_writer_waiting_its_turn_holds_no_connection(engine: db.StoreEngine) -> None:
    turn = db._WRITERS[engine] = _Turn()  # type: ignore[assignment]
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
    # both have asked for their turn: the second waits for it, before taking a connection
    assert turn.asked.acquire(timeout=60) and turn.asked.acquire(timeout=60)
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
    holding, done = threading.Event(), threading.Event()

    def hold() -> None:
        with begin_write(engine):
            holding.set()
            done.wait(60)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(60)
        with pytest.raises(StoreError, match=db.ENV_BUSY), begin_write(engine):
            pass
    finally:
        done.set()
        t.join(60)
    with begin_write(engine) as conn:  # the turn is free again
        conn.execute(text("INSERT INTO written VALUES (3)"))
