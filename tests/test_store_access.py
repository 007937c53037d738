"""Readers never take the write lock and never migrate; the audit log is a verified hash chain.

Every test runs on SQLite and (with MIC2025_TEST_PG_URL) PostgreSQL. A writer's lock is held
by another connection for the whole of a check; the waits are cut short (SQLite's busy
timeout through MIC2025_BUSY_SECONDS, PostgreSQL's lock_timeout through PGOPTIONS), so a
command that wrongly waits for the lock fails at once instead of hanging.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner, Result
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from mic2025.cli import main
from mic2025.permissions import Actor
from mic2025.store import audit, open_store
from mic2025.store.db import alembic_config, begin_write, make_engine
from store_fixtures import BACKENDS, StoreTemplates, fresh_url
from test_web_support import app, tokens  # noqa: F401

#: the waits of a command that (wrongly) waits for the write lock: one second, not thirty
SHORT_WAITS = {"MIC2025_BUSY_SECONDS": "1", "PGOPTIONS": "-c lock_timeout=1000"}


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_url(request.param, tmp_path) as u:
        yield u


def run(*args: str) -> Result:
    return CliRunner(env=SHORT_WAITS).invoke(main, list(args))


@pytest.fixture
def locked(url: str, store_templates: StoreTemplates) -> Iterator[str]:
    """The store (created, bundled evidence loaded), its write lock held by a writer."""
    # on SQLite a copy of the store a first command leaves (PostgreSQL: the reader below
    # creates it): how it was made is not what the test is about
    store_templates.migrate_into(url, evidence=True)
    first = run("data", "vintages", "--db", url)
    assert first.exit_code == 0, first.output
    holding, release = threading.Event(), threading.Event()
    engine = make_engine(url)

    def writer() -> None:
        with begin_write(engine):
            holding.set()
            release.wait(60)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(30)
    try:
        yield url
    finally:
        release.set()
        thread.join()
        engine.dispose()


def test_reading_commands_do_not_wait_for_a_writer(locked: str, tmp_path: Path) -> None:
    # the lock really is held: a writer gives up after the short wait
    blocked = run("store", "upgrade", "--db", locked)
    assert blocked.exit_code == 2, blocked.output
    for args in (["data", "vintages"], ["data", "export"], ["evaluate", "--format", "json"],
                 ["report", "--out", str(tmp_path / "report")], ["audit", "verify"],
                 ["users", "list"], ["store", "status"], ["warnings", "--format", "json"]):
        result = run(*args, "--db", locked)
        assert result.exit_code == 0, (args, result.output)


def _downgrade(url: str, revision: str) -> None:
    with open_store(url) as s:
        cfg = alembic_config()
        with begin_write(s.engine) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)


def _revision(url: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SELECT version_num FROM alembic_version")).scalar())
    finally:
        engine.dispose()


def test_a_reader_refuses_an_older_store_and_names_the_upgrade(url: str) -> None:
    assert run("evaluate", "--db", url, "--format", "json").exit_code == 0
    _downgrade(url, "0004")
    for args in (["data", "vintages"], ["evaluate"], ["audit", "verify"]):
        refused = run(*args, "--db", url)
        assert refused.exit_code == 2, refused.output
        assert "0004" in refused.output and "mic2025 store upgrade" in refused.output
    assert _revision(url) == "0004"  # the readers changed nothing
    status = run("store", "status", "--db", url)
    assert status.exit_code == 1 and "mic2025 store upgrade" in status.output
    upgraded = run("store", "upgrade", "--db", url)
    assert upgraded.exit_code == 0 and "from 0004" in upgraded.output
    assert run("data", "vintages", "--db", url).exit_code == 0
    assert run("store", "status", "--db", url).exit_code == 0
    assert "already up to date" in run("store", "upgrade", "--db", url).output


def test_a_bad_busy_timeout_is_named(tmp_path: Path) -> None:
    result = CliRunner(env={"MIC2025_BUSY_SECONDS": "soon"}).invoke(
        main, ["data", "vintages", "--db", f"sqlite:///{tmp_path / 's.sqlite'}"])
    assert result.exit_code == 2 and "MIC2025_BUSY_SECONDS='soon'" in result.output


# --------------------------------------------------------------------------- the audit chain


def url_of(application: FastAPI) -> str:
    return application.state.platform.engine.url.render_as_string(hide_password=False)


def _forge(application: FastAPI, at: datetime, entry_hash: str) -> None:
    with application.state.platform.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO audit_log (at, actor, actor_id, via, action, resource, resource_id, "
            "before, after, comment, ip, entry_hash) VALUES (:at, 'mallory', NULL, 'cli', "
            "'user.create', 'user', 'mallory', NULL, NULL, '', '', :h)"),
            {"at": at if conn.dialect.name == "postgresql"
             else at.strftime("%Y-%m-%d %H:%M:%S.%f"), "h": entry_hash})


def _forge_chained(application: FastAPI, at: datetime) -> None:
    """:func:`_forge` an entry stamped ``at`` whose hash chains it to the latest entry, as
    mic2025 would compute it (the chain has no key)."""
    engine = application.state.platform.engine
    last = audit.entries(engine, limit=1)[0]
    fields = {"at": at, "actor": "mallory", "actor_id": None, "via": "cli",
              "action": "user.create", "resource": "user", "resource_id": "mallory",
              "before": None, "after": None, "comment": "", "ip": ""}
    with engine.connect() as conn:
        last_hash = conn.execute(text("SELECT entry_hash FROM audit_log WHERE id = :i"),
                                 {"i": last.id}).scalar()
    _forge(application, at, audit.link(str(last_hash), fields))


def _drop_trigger(application: FastAPI, name: str) -> None:
    with application.state.platform.engine.begin() as conn:
        conn.execute(text(f"DROP TRIGGER {name}" + (" ON audit_log" if conn.dialect.name ==
                                                      "postgresql" else "")))


def test_the_platform_writes_an_intact_chain(app: FastAPI,  # noqa: F811
                                             tokens: dict[str, str]) -> None:  # noqa: F811
    result = run("audit", "verify", "--db", url_of(app))
    assert result.exit_code == 0, result.output
    assert f"{audit.count(app.state.platform.engine)} entries" in result.output


def test_entries_chain_whatever_they_hold_and_when_this_clock_is_behind(
        app: FastAPI, tokens: dict[str, str]) -> None:  # noqa: F811
    """Each backend's way of appending (on PostgreSQL the server reads the latest entry and
    writes the hash in one statement) gives the chain :func:`audit.verify` recomputes: for
    text that JSON escapes, and for an entry written while the latest one is stamped later
    than this host's clock (it takes that time, never an earlier one)."""
    engine = app.state.platform.engine
    tricky = 'a "quoted" \\ back-slashed\nline, 中文 and ☃'
    with begin_write(engine) as conn:
        audit.record(conn, Actor(id=7, username="编辑 ed", via="web"), "user.create", "user",
                     "u1", before={"名": tricky}, after=None, comment=tricky, ip="::1")
    assert audit.verify(engine).intact
    ahead = datetime.now(UTC).replace(microsecond=123456) + timedelta(days=2)
    _forge_chained(app, ahead)  # by another host whose clock is two days ahead
    with begin_write(engine) as conn:
        audit.record(conn, Actor(id=7, username="ed", via="web"), "user.create", "user", "u3",
                     before=None, after={"x": 1}, comment=tricky)
    newest = audit.entries(engine, limit=1)[0]
    assert newest.resource_id == "u3" and newest.at == ahead
    found = audit.verify(engine)
    assert found.intact, found.problem
    assert found.entries == audit.count(engine)


def test_a_back_dated_insert_is_refused_by_the_database(app: FastAPI,  # noqa: F811
                                                        tokens: dict[str, str]  # noqa: F811
                                                        ) -> None:
    before = audit.count(app.state.platform.engine)
    with pytest.raises(DBAPIError, match="time order"):
        _forge(app, datetime(2001, 1, 1, tzinfo=UTC), "0" * 64)
    assert audit.count(app.state.platform.engine) == before


def test_verify_names_a_back_dated_entry_written_around_the_triggers(
        app: FastAPI, tokens: dict[str, str]) -> None:  # noqa: F811
    engine = app.state.platform.engine
    _drop_trigger(app, "audit_log_in_order")
    # even with a hash computed as mic2025 would (there is no key), the date gives it away
    last = audit.entries(engine, limit=1)[0]
    _forge_chained(app, datetime(2001, 1, 1, tzinfo=UTC))
    result = run("audit", "verify", "--db", url_of(app))
    assert result.exit_code == 2
    assert f"entry {last.id + 1}" in result.output and "back-dated" in result.output


def test_verify_names_the_first_changed_entry(app: FastAPI,  # noqa: F811
                                             tokens: dict[str, str]) -> None:  # noqa: F811
    engine = app.state.platform.engine
    first, second = sorted(e.id for e in audit.entries(engine))[:2]
    postgres = engine.dialect.name == "postgresql"
    _drop_trigger(app, "audit_log_no_change" if postgres else "audit_log_no_update")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET comment = 'nothing to see' WHERE id = :i"),
                     {"i": second})
    result = run("audit", "verify", "--db", url_of(app))
    assert result.exit_code == 2
    assert f"BROKEN at entry {second}" in result.output and "changed" in result.output
    assert first < second


def test_the_migration_chains_the_entries_already_in_the_log(url: str) -> None:
    _downgrade(url, "0005")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for i, at in enumerate((datetime(2024, 3, 1, 9, 0, 0, 1, tzinfo=UTC),
                                    datetime(2024, 3, 1, 9, 0, 0, 500000, tzinfo=UTC))):
                conn.execute(text(
                    "INSERT INTO audit_log (at, actor, actor_id, via, action, resource, "
                    "resource_id, before, after, comment, ip) VALUES (:at, :actor, :aid, "
                    "'session', 'user.create', 'user', 'x', NULL, '{\"a\": 1}', "
                    "'é \"quoted\"', '')"),
                    {"at": at if conn.dialect.name == "postgresql"
                     else at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                     "actor": f"admin{i}", "aid": i or None})
    finally:
        engine.dispose()
    assert run("store", "upgrade", "--db", url).exit_code == 0
    with open_store(url) as s:
        result = audit.verify(s.engine)
        assert result.intact and result.entries == 2
        with begin_write(s.engine) as conn:  # and mic2025 goes on chaining from them
            audit.record(conn, Actor(id=None, username="cli", via="cli"), "user.create",
                         "user", "y", before=None, after=None)
        assert audit.verify(s.engine).entries == 3 and audit.verify(s.engine).intact
