"""The follow-up records in the store (migration 0004), written on the platform.

Every test that takes ``store`` or ``store_url`` runs on SQLite and, with
``MIC2025_TEST_PG_URL``, on PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from mic2025.errors import StoreError
from mic2025.followup import thirdparty as tp
from mic2025.store import EvaluationRound, Store, open_store
from mic2025.store.db import alembic_config, begin_write
from store_fixtures import StoreTemplates
from test_web_support import add_users, bearer, client, make_app

T0 = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
SEED = {"seed_version": "2026-11-26", "seed_sha256": "a" * 64}
TABLES = ("supervision_update", "thirdparty_round", "thirdparty_score")


def a_round(round_id: str = "r1", document: str = '{"id": "r1"}') -> EvaluationRound:
    return EvaluationRound(id=round_id, title="first", created_at=T0, created_by="CAE",
                           as_of=T0 - timedelta(days=1), plan="mic2025", plan_version="1",
                           method="statcan", rubric_sha256="b" * 64, document=document)


# ---------------------------------------------------------------------------- the store


def test_updates_are_appended_and_read_in_time_order(store: Store) -> None:
    first = store.append_supervision_update(item="m1", status="in_progress", comment="first",
                                            by="MIIT", **SEED)
    second = store.append_supervision_update(item="m1", status="completed", comment="second",
                                             by="MIIT", evidence=["https://example.org/a"],
                                             **SEED)
    assert first.id is not None and second.id is not None and first.id < second.id
    assert first.at is not None and second.at is not None and first.at <= second.at
    assert second.at.tzinfo is UTC and second.recorded_at == second.at
    assert [u.comment for u in store.supervision_updates()] == ["first", "second"]
    assert store.supervision_updates("m1")[1].evidence == ["https://example.org/a"]
    # a back-dated update keeps its own time and is read in its place
    store.append_supervision_update(item="m2", status="delayed", comment="earlier", by="NDRC",
                                    at=T0, **SEED)
    assert [u.comment for u in store.supervision_updates()] == ["earlier", "first", "second"]
    assert [u.comment for u in store.supervision_updates("m2")] == ["earlier"]
    assert store.followup_counts() == {"supervision_updates": 3, "rounds": 0, "scores": 0}


def test_concurrent_appends_are_all_kept_in_order(store_url: str) -> None:
    errors: list[BaseException] = []

    def write(who: str) -> None:
        try:
            with open_store(store_url) as s:
                for n in range(8):
                    s.append_supervision_update(item="m1", status="in_progress",
                                                comment=f"{who}-{n}", by=who, **SEED)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in ("A", "B", "C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with open_store(store_url) as s:
        updates = s.supervision_updates()
    assert len(updates) == 24 and len({u.id for u in updates}) == 24
    for who in "ABC":  # each writer's updates in the order it made them
        assert [u.comment for u in updates if u.by == who] == [f"{who}-{n}" for n in range(8)]
    stamps = [u.at for u in updates]
    assert stamps == sorted(stamps)


def test_a_round_is_kept_once_and_scores_reference_it(store: Store) -> None:
    stored = store.add_round(a_round())
    assert stored == a_round() and stored.recorded_at is not None
    assert store.round("r1") == a_round() and store.round("r2") is None
    assert store.round_ids() == ["r1"]
    with pytest.raises(StoreError, match="already exists"):
        store.add_round(a_round(document='{"id": "r1", "other": true}'))
    assert store.round("r1").document == '{"id": "r1"}'  # type: ignore[union-attr]
    with pytest.raises(StoreError, match="no round 'r2'"):
        store.append_score(round="r2", evaluator="A", item="rd_intensity",
                           criterion="progress", score=3)
    store.append_score(round="r1", evaluator="A", item="rd_intensity", criterion="progress",
                       score=3, comment="first")
    store.append_score(round="r1", evaluator="A", item="rd_intensity", criterion="progress",
                       score=4, comment="on reflection")
    # a score made earlier (by its time) than one already stored is superseded by it
    store.append_score(round="r1", evaluator="A", item="rd_intensity", criterion="progress",
                       score=1, comment="back-dated", at=T0)
    assert [s.comment for s in store.scores("r1")] == ["back-dated", "first", "on reflection"]
    (effective,) = tp.read_scores(store, "r1")
    assert (effective.score, effective.comment) == (4, "on reflection")
    assert store.followup_counts()["scores"] == 3


def test_the_store_refuses_what_either_backend_would(store: Store) -> None:
    with pytest.raises(StoreError, match="status 'finished'"):
        store.append_supervision_update(item="m1", status="finished", comment="", by="A",
                                        **SEED)
    with pytest.raises(StoreError, match="at most 100"):
        store.append_supervision_update(item="m" * 101, status="completed", comment="",
                                        by="A", **SEED)
    with pytest.raises(StoreError, match="no time zone"):
        store.append_supervision_update(item="m1", status="completed", comment="", by="A",
                                        at=datetime(2021, 1, 1), **SEED)
    with pytest.raises(StoreError, match="by is empty"):
        store.append_supervision_update(item="m1", status="completed", comment="", by=" ",
                                        **SEED)
    with pytest.raises(StoreError, match="round id"):
        store.add_round(a_round(round_id="no/slashes"))
    assert store.followup_counts() == {"supervision_updates": 0, "rounds": 0, "scores": 0}


def test_the_database_itself_keeps_the_records_append_only(store: Store) -> None:
    store.add_round(a_round())
    store.append_score(round="r1", evaluator="A", item="i", criterion="c", score=3)
    store.append_supervision_update(item="m1", status="completed", comment="", by="A", **SEED)
    for table in TABLES:
        for sql in (f"UPDATE {table} SET legacy_digest = NULL", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
                conn.execute(text(sql))
    with pytest.raises(DBAPIError), store.engine.begin() as conn:  # the status check
        conn.execute(text(
            "INSERT INTO supervision_update (item, status, comment, reported_by, at, evidence,"
            " seed_version, seed_sha256, recorded_at) VALUES ('m1', 'finished', '', 'A', "
            ":at, '[]', '1', :sha, :at)"), {"at": T0, "sha": "a" * 64})
    with pytest.raises(DBAPIError), store.engine.begin() as conn:  # a score needs its round
        conn.execute(text(
            "INSERT INTO thirdparty_score (round_id, evaluator, item, criterion, score, "
            "comment, at, recorded_at) VALUES ('r9', 'A', 'i', 'c', 3, '', :at, :at)"),
            {"at": T0})
    assert store.followup_counts() == {"supervision_updates": 1, "rounds": 1, "scores": 1}


def test_raised_warnings_are_a_record_newest_first_and_append_only(store: Store) -> None:
    warning = {"key": "k", "rule": "province_divergence", "message": {"zh": "广东偏低",
                                                                      "en": "Guangdong low"}}
    assert store.raised() == []
    with pytest.raises(StoreError, match="needs its vintages and a warning"):
        store.append_raised(vintages=[3], warnings=[])
    store.append_raised(vintages=[4, 3], warnings=[warning])
    later = store.append_raised(vintages=[7], warnings=[warning, {**warning, "key": "j"}])
    got = store.raised()
    assert [r.vintages for r in got] == [(7,), (3, 4)] and got[0] == later
    assert got[1].warnings == (warning,) and got[1].at <= got[0].at
    assert [r.vintages for r in store.raised(1)] == [(7,)]
    for sql in ("UPDATE raised_warning SET warnings = '[]'", "DELETE FROM raised_warning"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(text(sql))
    assert len(store.raised(10)) == 2


def test_migration_0004_goes_down_and_up_again(store_url: str) -> None:
    with open_store(store_url) as s:
        s.append_supervision_update(item="m1", status="completed", comment="", by="A", **SEED)
        cfg = alembic_config()
        with begin_write(s.engine) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        with s.engine.connect() as conn:
            assert not set(TABLES) & set(inspect(conn).get_table_names())
    with open_store(store_url) as s:  # opening migrates to the head again
        assert s.followup_counts()["supervision_updates"] == 0
        s.append_supervision_update(item="m1", status="completed", comment="", by="A", **SEED)
        with pytest.raises(DBAPIError, match="append-only"), s.engine.begin() as conn:
            conn.execute(text("DELETE FROM supervision_update"))


# ---------------------------------------------------------------------------- the platform


def test_the_platform_keeps_its_records_in_the_store(
        store_url: str, tmp_path: Path, store_templates: StoreTemplates) -> None:
    store_templates.migrate_into(store_url, evidence=True)  # as a first start leaves it
    app = make_app(store_url, followup_dir=tmp_path / "fu")
    try:
        tokens = add_users(app)
        fu = app.state.platform.followup
        item = next(m.id for m in fu.seed.items if m.owner == "miit")
        c = client(app)
        for status in ("in_progress", "completed"):
            r = c.post(f"/api/supervision/{item}/updates", headers=bearer(tokens["admin"]),
                       json={"status": status, "comment": status})
            assert r.status_code == 201, r.text
        assert c.post("/api/thirdparty/rounds", headers=bearer(tokens["admin"]),
                      json={"id": "r2024", "as_of": "2024-12-31"}).status_code == 201
        r = c.post("/api/thirdparty/rounds/r2024/scores", headers=bearer(tokens["evaluator"]),
                   json={"item": "rd_intensity", "criterion": "progress", "score": 4})
        assert r.status_code == 201, r.text
        # what another worker (another app on the same database) sees
        other = make_app(store_url, followup_dir=tmp_path / "fu2")
        try:
            history = client(other).get(f"/api/supervision/{item}/history",
                                        headers=bearer(tokens["analyst"])).json()
            assert [u["status"] for u in history] == ["in_progress", "completed"]
            assert [r.id for r in other.state.platform.followup.rounds()] == ["r2024"]
            assert other.state.platform.store.followup_counts()["scores"] == 1
        finally:
            other.state.platform.close()
        assert not list((tmp_path / "fu").glob("*.jsonl"))
        assert not (tmp_path / "fu" / "rounds").exists()
    finally:
        app.state.platform.close()


def test_migration_0007_carries_the_platforms_reviews_into_the_thirdparty_records(
        store_url: str) -> None:
    from mic2025.store.reviews import reviews

    cfg = alembic_config()
    columns = "author, metric, area, target_year, rating, text, created_at"
    old = [("evaluator-a", "rd_intensity", "440000", 2025, "on_track", "steady", T0),
           ("evaluator-b", "broadband_penetration", "000000", None, "", "no figures yet",
            T0 + timedelta(hours=1))]
    with open_store(store_url) as s:
        with begin_write(s.engine) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        with s.engine.begin() as conn:
            for row in old:  # naive UTC, as the column type keeps them on SQLite
                conn.execute(text(f"INSERT INTO evaluation_review ({columns}) VALUES "
                                  "(:a, :m, :ar, :y, :r, :t, :at)"),
                             dict(zip(("a", "m", "ar", "y", "r", "t", "at"), row, strict=True)))
    with open_store(store_url) as s:  # opening migrates to the head: 0007 carries them over
        with s.engine.connect() as conn:
            assert "evaluation_review" not in inspect(conn).get_table_names()
        carried = sorted(reviews(s.engine), key=lambda r: r.id)
        assert [(r.author, r.metric, r.area, r.target_year, r.rating, r.text, r.created_at,
                 r.round) for r in carried] == [(*row, None) for row in old]
        assert [r.id for r in carried] == [1, 2]
        with pytest.raises(DBAPIError, match="append-only"), s.engine.begin() as conn:
            conn.execute(text("DELETE FROM thirdparty_review"))
        # the next review takes the next id, on PostgreSQL too (its sequence was moved on)
        from mic2025.store.reviews import insert_review

        with begin_write(s.engine) as conn:
            new = insert_review(conn, round=None, author="c", metric="rd_intensity",
                                area="000000", target_year=None, rating="", text="third",
                                created_at=T0)
        assert new.id == 3
        with begin_write(s.engine) as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
        with s.engine.connect() as conn:
            back = conn.execute(text(f"SELECT {columns} FROM evaluation_review ORDER BY id")).all()
        assert [tuple(r)[:6] for r in back] == [row[:6] for row in old] + \
            [("c", "rd_intensity", "000000", None, "", "third")]
