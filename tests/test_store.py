"""The evidence store, on SQLite and (with MIC2025_TEST_PG_URL) on PostgreSQL.

Every test that takes ``store`` or ``store_url`` runs once per backend, so "SQLite and
PostgreSQL agree" is checked, not hoped for.
"""

from __future__ import annotations

import math
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from mic2025 import periods
from mic2025.citation import Citation
from mic2025.errors import StoreError
from mic2025.observation import Observation
from mic2025.store import (
    LONG_COLUMNS,
    VINTAGE_COLUMNS,
    Store,
    as_of_instant,
    default_url,
    end_of_day,
    open_store,
)
from mic2025.store.db import alembic_config

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def obs(value: float = 2.4, **kw: object) -> Observation:
    fields: dict[str, object] = {
        "indicator": "rd_intensity", "area": "000000", "period": periods.year(2020),
        "value": value, "unit": "%", "source": "NBS",
    }
    fields.update(kw)
    return Observation(**fields)  # type: ignore[arg-type]


def content(o: Observation) -> tuple[object, ...]:
    return (o.key, o.value, o.unit, o.flags, o.note, o.quote, o.citation, o.lower, o.upper,
            o.period)


def test_round_trip_keeps_every_field(store: Store) -> None:
    full = obs(
        2.41, period=periods.quarter(2021, 3), sector="36", scope="规模以上工业企业",
        source="国家统计局《统计公报》",
        citation=Citation(publisher="国家统计局", publication="《统计公报》",
                          publication_date=date(2022, 2, 28), locator="表2",
                          retrieved_from="https://www.stats.gov.cn/x.html", grade="official"),
        flags=frozenset({"provisional", "estimate"}), note="=1+1 stays text",
        quote="研究与试验发展经费支出与国内生产总值之比为2.41%", lower=2.3, upper=2.5,
    )
    plain = obs(1.0 / 3.0, area="440000")
    result = store.import_observations([full, plain], source_name="a.csv", sha256=None, now=T0)
    assert (result.rows_new, result.rows_revised, result.rows_unchanged) == (2, 0, 0)
    got = store.observations()
    assert sorted(map(content, got)) == sorted(map(content, [full, plain]))
    for o in got:
        assert o.vintage == result.vintage
        assert o.vintage_at == T0 and o.vintage_at.tzinfo is not None
    assert next(o for o in got if o.area == "440000").value == 1.0 / 3.0  # exact double


def test_revision_is_a_new_vintage_and_as_of_sees_the_old_value(store: Store) -> None:
    first = store.import_observations([obs(2.4)], source_name="v1.csv", sha256=None, now=T0)
    second = store.import_observations([obs(2.41)], source_name="v2.csv", sha256=None, now=T1)
    assert second.vintage is not None and first.vintage is not None
    assert second.vintage > first.vintage
    assert (second.rows_new, second.rows_revised) == (0, 1)
    assert [o.value for o in store.observations()] == [2.41]
    assert [o.value for o in store.observations(as_of=T1 - timedelta(seconds=1))] == [2.4]
    assert [o.value for o in store.observations(as_of=T1)] == [2.41]  # "at or before"
    assert store.observations(as_of=T0 - timedelta(microseconds=1)) == []
    assert [o.value for o in store.history(obs().key)] == [2.4, 2.41]
    assert store.counts() == {"vintages": 2, "observations": 2}


def test_as_of_a_date_means_the_end_of_that_utc_day(store: Store) -> None:
    late = datetime(2024, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC)
    store.import_observations([obs(1.0)], source_name="a", sha256=None, now=late)
    store.import_observations([obs(2.0)], source_name="b", sha256=None,
                              now=late + timedelta(microseconds=1))
    assert [o.value for o in store.observations(as_of=date(2024, 3, 1))] == [1.0]
    assert [o.value for o in store.observations(as_of=date(2024, 3, 2))] == [2.0]
    assert end_of_day(date(2024, 3, 1)) == late
    assert as_of_instant("2024-03-01") == late
    beijing = timezone(timedelta(hours=8))
    assert as_of_instant("2024-03-02T07:59:59.999999+08:00") == late.astimezone(beijing)
    with pytest.raises(StoreError, match="time zone"):
        as_of_instant("2024-03-01T12:00:00")
    with pytest.raises(StoreError, match="neither a date"):
        as_of_instant("yesterday")


def test_same_file_twice_changes_nothing(store: Store) -> None:
    sha = "a" * 64
    first = store.import_observations([obs()], source_name="f.csv", sha256=sha, now=T0)
    before = store.counts()
    again = store.import_observations([obs(9.9)], source_name="f.csv", sha256=sha, now=T1)
    assert again.already_imported and again.unchanged and again.vintage == first.vintage
    assert store.counts() == before
    found = store.vintage_of_file(sha)
    assert found is not None and found.id == first.vintage
    assert store.vintage_of_file("b" * 64) is None
    assert [o.value for o in store.observations()] == [2.4]


def test_same_content_under_another_name_changes_nothing(store: Store) -> None:
    store.import_observations([obs()], source_name="f.csv", sha256="a" * 64, now=T0)
    before = store.counts()
    again = store.import_observations([obs()], source_name="copy.csv", sha256="b" * 64, now=T1)
    assert again.unchanged and not again.already_imported and again.vintage is None
    assert (again.rows_total, again.rows_unchanged) == (1, 1)
    assert store.counts() == before
    assert len(store.vintages()) == 1


def test_mixed_batch_stores_only_new_and_revised_rows(store: Store) -> None:
    store.import_observations([obs(1.0, area="110000"), obs(2.0, area="120000")],
                              source_name="a", sha256=None, now=T0)
    result = store.import_observations(
        [obs(1.0, area="110000"), obs(2.5, area="120000"), obs(3.0, area="130000")],
        source_name="b", sha256=None, now=T1,
    )
    assert (result.rows_total, result.rows_new, result.rows_revised, result.rows_unchanged) == \
        (3, 1, 1, 1)
    assert store.counts() == {"vintages": 2, "observations": 4}
    v = store.vintages()[-1]
    assert (v.rows_total, v.rows_new, v.rows_revised, v.rows_unchanged) == (3, 1, 1, 1)
    by_area = {o.area: o for o in store.observations()}
    assert by_area["110000"].vintage == store.vintages()[0].id  # unchanged row keeps its vintage
    assert by_area["120000"].value == 2.5


def test_a_change_of_flags_or_note_alone_is_a_revision(store: Store) -> None:
    store.import_observations([obs()], source_name="a", sha256=None, now=T0)
    result = store.import_observations([obs(flags=frozenset({"provisional"}))],
                                       source_name="b", sha256=None, now=T1)
    assert result.rows_revised == 1


def test_two_sources_for_one_period_are_both_kept(store: Store) -> None:
    store.import_observations([obs(2.4, source="NBS"), obs(2.5, source="MIIT")],
                              source_name="a", sha256=None, now=T0)
    assert sorted(o.value for o in store.observations()) == [2.4, 2.5]


def test_duplicate_keys_in_one_batch_are_refused_and_nothing_is_written(store: Store) -> None:
    with pytest.raises(StoreError, match="share the key"):
        store.import_observations([obs(1.0), obs(2.0)], source_name="a", sha256=None)
    assert store.counts() == {"vintages": 0, "observations": 0}


@pytest.mark.parametrize("field,bad", [("value", math.nan), ("value", math.inf),
                                       ("lower", -math.inf)])
def test_non_finite_numbers_are_refused(store: Store, field: str, bad: float) -> None:
    with pytest.raises(StoreError, match="finite"):
        store.import_observations([obs(**{field: bad})], source_name="a", sha256=None)
    assert store.counts()["observations"] == 0


def test_text_longer_than_a_key_column_is_refused_on_every_backend(store: Store) -> None:
    with pytest.raises(StoreError, match="at most 500"):
        store.import_observations([obs(source="来" * 501)], source_name="a", sha256=None)


def test_vintage_stamps_never_go_backwards(store: Store) -> None:
    store.import_observations([obs(1.0)], source_name="a", sha256=None, now=T1)
    with pytest.raises(StoreError, match="earlier than the latest vintage"):
        store.import_observations([obs(2.0)], source_name="b", sha256=None, now=T0)
    with pytest.raises(StoreError, match="time zone"):
        store.import_observations([obs(2.0)], source_name="b", sha256=None,
                                  now=datetime(2030, 1, 1))
    with pytest.raises(StoreError, match="kind"):
        store.import_observations([obs(2.0)], source_name="b", sha256=None, kind="guess")
    with pytest.raises(StoreError, match="sha256"):
        store.import_observations([obs(2.0)], source_name="b", sha256="not-a-hash")
    assert store.counts()["vintages"] == 1


def test_a_clock_behind_the_latest_vintage_stamps_its_time(store: Store) -> None:
    """Without ``now``, a vintage is stamped with this machine's clock, or with the latest
    vintage's time where that clock is behind it (another machine wrote that one): never
    earlier, and still in the order the vintages arrive."""
    ahead = datetime.now(UTC) + timedelta(days=3)
    first = store.import_observations([obs(1.0)], source_name="a", sha256=None, now=ahead)
    second = store.import_observations([obs(2.0)], source_name="b", sha256=None)
    assert second.created_at == first.created_at == ahead
    assert second.vintage > first.vintage
    assert [v.created_at for v in store.vintages()] == [ahead, ahead]
    later = store.import_observations([obs(3.0)], source_name="c", sha256=None,
                                      now=ahead + timedelta(seconds=1))
    assert later.created_at == ahead + timedelta(seconds=1)


def test_filters_pick_indicators_area_and_sector(store: Store) -> None:
    store.import_observations(
        [obs(1.0), obs(2.0, area="440000"), obs(3.0, sector="36"),
         obs(4.0, indicator="patents", unit="count")],
        source_name="a", sha256=None, now=T0,
    )
    assert {o.value for o in store.observations(indicators=["patents"])} == {4.0}
    assert {o.value for o in store.observations(indicators="patents")} == {4.0}
    assert {o.value for o in store.observations(area="440000")} == {2.0}
    assert {o.value for o in store.observations(sector="36")} == {3.0}
    assert store.observations(indicators=[]) == []


def test_export_rows_are_the_long_format_plus_vintage(store: Store) -> None:
    store.import_observations([obs(flags=frozenset({"proxy", "estimate"}),
                                   citation=Citation(publication_date=date(2021, 1, 2)))],
                              source_name="a", sha256=None, now=T0)
    (exported,) = store.export_rows()
    assert tuple(exported) == (*LONG_COLUMNS, *VINTAGE_COLUMNS)
    assert "source" not in exported  # the key's source is the citation's, worked out again
    # source "NBS" by the legacy rule: a name, not a URL, so the publication
    assert (exported["publication"], exported["retrieved_from"], exported["grade"]) == \
        ("NBS", "", "")
    assert exported["publication_date"] == date(2021, 1, 2)
    assert exported["flags"] == "estimate;proxy"
    assert exported["period"] == "2020" and exported["year"] == 2020
    assert exported["vintage_at"] == T0
    assert store.export_rows(as_of=T0 - timedelta(days=1)) == []


def test_migration_0008_gives_stored_rows_their_citation_by_the_legacy_rule(
        store_url: str) -> None:
    from alembic import command

    from mic2025.store.db import begin_write

    cfg = alembic_config()
    with open_store(store_url) as s:
        with begin_write(s.engine) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0007")
        with s.engine.begin() as conn:
            conn.execute(text("INSERT INTO vintage (created_at, kind, source_name, rows_total, "
                              "rows_new, rows_revised, rows_unchanged, note, actor) VALUES "
                              "(:t, 'import', 'old.csv', 2, 2, 0, 0, '', '')"), {"t": T0})
            for period, source in (("2020", "HTTPS://www.stats.gov.cn/a.html"),
                                   ("2021", "广东省统计局")):
                conn.execute(text(
                    "INSERT INTO observation (indicator, area, sector, period, period_kind, "
                    "year, period_end, scope, value, unit, source, source_date, flags, note, "
                    "quote, vintage_id) VALUES ('rd_intensity', '000000', '', :p, 'year', :y, "
                    ":end, '', 2.4, '%', :s, :d, '', '', '', 1)"),
                    {"p": period, "y": int(period), "end": date(int(period), 12, 31),
                     "s": source, "d": date(int(period) + 1, 2, 28)})
    with open_store(store_url) as s:  # opening migrates to the head: 0008 fills the citation
        got = {o.period.code: o for o in s.observations()}
        assert got["2020"].source == "HTTPS://www.stats.gov.cn/a.html"
        assert got["2020"].citation == Citation(retrieved_from="HTTPS://www.stats.gov.cn/a.html",
                                                publication_date=date(2021, 2, 28))
        assert got["2021"].citation == Citation(publication="广东省统计局",
                                                publication_date=date(2022, 2, 28))
        # the same figure imported again under the new fields is no revision
        again = s.import_observations([replace(got["2021"], vintage=None, vintage_at=None)],
                                      source_name="again.csv", sha256=None, now=T1)
        assert again.unchanged
        with pytest.raises(Exception, match="append-only"), s.engine.begin() as conn:
            conn.execute(text("UPDATE observation SET publisher = 'x'"))


def test_vintages_record_who_what_and_when(store: Store) -> None:
    store.import_observations([obs()], source_name="bundle.csv", sha256="c" * 64,
                              kind="bundled", actor="ops", note="first load", now=T0)
    (v,) = store.vintages()
    assert (v.kind, v.source_name, v.sha256, v.actor, v.note, v.created_at) == \
        ("bundled", "bundle.csv", "c" * 64, "ops", "first load", T0)


def test_reopening_keeps_rows_and_the_schema_at_head(store_url: str) -> None:
    with open_store(store_url) as s:
        s.import_observations([obs()], source_name="a", sha256=None, now=T0)
    with open_store(store_url) as s:
        assert s.counts() == {"vintages": 1, "observations": 1}
        with s.engine.connect() as conn:
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_a_store_from_a_newer_mic2025_is_refused(store_url: str) -> None:
    with open_store(store_url) as s, s.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer mic2025"):
        open_store(store_url)


def test_rows_are_append_only_at_the_database_level(store: Store) -> None:
    # a revision never touches the earlier row: its id, value and vintage stay as written
    store.import_observations([obs(1.0)], source_name="a", sha256=None, now=T0)
    (old,) = store.history(obs().key)
    store.import_observations([obs(2.0)], source_name="b", sha256=None, now=T1)
    assert store.history(obs().key)[0] == old


@pytest.mark.parametrize("statement", [
    "UPDATE observation SET value = 99", "DELETE FROM observation",
    "UPDATE vintage SET created_at = created_at", "DELETE FROM vintage",
    "TRUNCATE observation", "TRUNCATE vintage CASCADE",
])
def test_evidence_tables_refuse_changes_from_any_client(store: Store, statement: str) -> None:
    from sqlalchemy.exc import DBAPIError

    if statement.startswith("TRUNCATE") and store.engine.dialect.name == "sqlite":
        statement = "DELETE FROM observation"  # SQLite has no TRUNCATE; DELETE is its form
    store.import_observations([obs(1.0)], source_name="a", sha256=None, now=T0)
    before = (store.counts(), store.vintages(), store.history(obs().key))
    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text(statement))
    assert (store.counts(), store.vintages(), store.history(obs().key)) == before


def test_concurrent_writers_are_serialised(store_url: str) -> None:
    errors: list[BaseException] = []

    def write(area: str) -> None:
        try:
            with open_store(store_url) as s:
                for year in range(2000, 2010):
                    s.import_observations([obs(1.0, area=area, period=periods.year(year))],
                                          source_name=f"{area}-{year}", sha256=None)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(a,)) for a in ("110000", "120000", "130000")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(store_url) as s:
        assert s.counts() == {"vintages": 30, "observations": 30}
        stamps = [v.created_at for v in s.vintages()]
        assert stamps == sorted(stamps)


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'x.sqlite'}") as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_default_url_reads_the_environment_then_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIC2025_DB", "sqlite:///elsewhere.sqlite")
    assert default_url() == "sqlite:///elsewhere.sqlite"
    monkeypatch.delenv("MIC2025_DB")
    monkeypatch.setattr("platformdirs.user_data_dir", lambda app: str(tmp_path / "data" / app))
    assert default_url() == f"sqlite:///{tmp_path / 'data' / 'mic2025' / 'mic2025.sqlite'}"
    assert (tmp_path / "data" / "mic2025").is_dir()


def test_unsupported_or_unreachable_stores_raise_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported store"):
        open_store("mysql://u:secret@host/db")
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("no url at all")
    with pytest.raises(StoreError) as info:
        open_store("postgresql+psycopg://u:secret@127.0.0.1:1/db")
    assert "secret" not in str(info.value)


def test_the_models_and_the_migrations_describe_the_same_schema(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mic2025.store.models import Base

    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_opening_a_store_at_head_runs_no_upgrade_and_an_older_one_is_upgraded(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from alembic import command

    from mic2025.store import db

    url = f"sqlite:///{tmp_path / 'head.sqlite'}"
    open_store(url).close()  # created: migrated from nothing
    real_upgrade = command.upgrade
    ran: list[str] = []

    def counted(cfg: object, revision: str) -> None:
        ran.append(revision)
        real_upgrade(cfg, revision)  # type: ignore[arg-type]

    monkeypatch.setattr(db.command, "upgrade", counted)
    with open_store(url) as again:  # at head: only its revision is asked
        assert again.observations() == []
    assert ran == []
    older = f"sqlite:///{tmp_path / 'older.sqlite'}"  # a store left at the previous revision
    engine = db.make_engine(older)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        real_upgrade(cfg, "0011")
    engine.dispose()
    with open_store(older) as s, s.engine.connect() as conn:  # upgraded on open
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == \
            db.head_revision()
    assert ran == ["head"]


#: a test of PostgreSQL's own behaviour: the ``store`` fixture on that backend alone
ON_POSTGRES = pytest.mark.parametrize(
    "store_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@ON_POSTGRES
def test_postgres_reads_hold_no_transaction_and_writes_do(store: Store) -> None:
    """On PostgreSQL a read is its statements alone (no BEGIN, no ROLLBACK: two round trips
    that READ COMMITTED gives nothing for); a writer's statements are one transaction."""
    from mic2025.store.db import begin_write

    with store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        assert conn.connection.driver_connection.info.transaction_status.name == "IDLE"
    with pytest.raises(RuntimeError), begin_write(store.engine) as conn:
        conn.execute(text("CREATE TEMPORARY TABLE t9 (x integer)"))
        assert conn.connection.driver_connection.info.transaction_status.name == "INTRANS"
        raise RuntimeError("undo")
    with store.engine.connect() as conn:  # rolled back: the table was never made
        assert conn.scalar(text("SELECT to_regclass('pg_temp.t9')")) is None


@ON_POSTGRES
def test_a_postgres_connection_idle_for_a_while_is_pinged_and_replaced_when_dead(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pooled connection is pinged before use only after it has been idle (a ping at every
    checkout was a round trip before every statement group); one the server has closed
    meanwhile is replaced, and the caller never sees it."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.pool import NullPool

    from mic2025.store import db


    def kill_pooled() -> int:
        """End, from another connection, the server process of the pool's one connection."""
        with store.engine.connect() as conn:
            pid = int(conn.scalar(text("SELECT pg_backend_pid()")))
        admin = create_engine(store.engine.url, isolation_level="AUTOCOMMIT",
                              poolclass=NullPool)
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        admin.dispose()
        return pid

    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    dead = kill_pooled()
    with store.engine.connect() as conn:
        assert int(conn.scalar(text("SELECT pg_backend_pid()"))) != dead
    assert store.counts()["vintages"] == 0
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 3600.0)  # without the ping, the dead one fails
    kill_pooled()
    with pytest.raises(OperationalError), store.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
