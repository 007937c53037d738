"""The follow-up records in the store (migration 0004), and the import of the legacy files.

Every test that takes ``store`` or ``store_url`` runs on SQLite and, with
``MIC2025_TEST_PG_URL``, on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from mic2025.cli import main
from mic2025.errors import StoreError
from mic2025.followup import supervision as sv
from mic2025.followup import thirdparty as tp
from mic2025.followup.common import FollowupError
from mic2025.followup.legacy import import_legacy, legacy_files, legacy_hint, read_legacy
from mic2025.ingest.load import load_bundled
from mic2025.plan import load_plan
from mic2025.store import EvaluationRound, Store, open_store
from mic2025.store.db import alembic_config, begin_write
from store_fixtures import BACKENDS, fresh_url
from test_web_support import add_users, bearer, cheap_argon2, client, make_app

__all__ = ["cheap_argon2"]  # the autouse fixture, imported so that it applies here

T0 = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)
SEED = {"seed_version": "2026-11-26", "seed_sha256": "a" * 64}
TABLES = ("supervision_update", "thirdparty_round", "thirdparty_score")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url)
    try:
        yield s
    finally:
        s.close()


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
    assert store.supervision_updates("m1")[1].evidence == ("https://example.org/a",)
    # a back-dated update keeps its own time and is read in its place
    store.append_supervision_update(item="m2", status="delayed", comment="earlier", by="NDRC",
                                    at=T0, **SEED)
    assert [u.comment for u in store.supervision_updates()] == ["earlier", "first", "second"]
    assert [u.comment for u in store.supervision_updates("m2")] == ["earlier"]
    assert store.followup_counts() == {"supervision_updates": 3, "rounds": 0, "scores": 0,
                                       "legacy": 0}


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
    assert store.followup_counts() == {"supervision_updates": 0, "rounds": 0, "scores": 0,
                                       "legacy": 0}


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
    assert store.followup_counts() == {"supervision_updates": 1, "rounds": 1, "scores": 1,
                                       "legacy": 0}


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


# ---------------------------------------------------------------------------- legacy files


@pytest.fixture(scope="module")
def round_json(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real frozen round, as the files of mic2025 before 0004 held it."""
    folder = tmp_path_factory.mktemp("round")
    with open_store(f"sqlite:///{folder / 'r.sqlite'}") as s:
        plan = load_plan()
        load_bundled(s, plan)
        rnd = tp.freeze_round(s, plan, round_id="r2021", as_of=T0, created_by="CAE")
    return rnd.model_dump_json(indent=1)


def _line(record: dict[str, Any]) -> str:
    # as the old append_jsonl wrote them
    return json.dumps(record, ensure_ascii=False, default=str, sort_keys=True) + "\n"


def _update(comment: str, at: datetime, status: str = "in_progress") -> dict[str, Any]:
    return {"item": "task4_quality_brands", "status": status, "comment": comment, "by": "SAMR",
            "at": at.isoformat(), "evidence": ["https://example.org/plan"], **SEED}


def _score(evaluator: str, score: int, at: datetime, item: str = "rd_intensity"
           ) -> dict[str, Any]:
    return {"round": "r2021", "evaluator": evaluator, "item": item, "criterion": "progress",
            "score": score, "comment": "", "at": at.isoformat()}


def write_legacy(folder: Path, round_json: str) -> Path:
    """A legacy folder: one round with four scores (one superseded), three updates."""
    d = folder / "rounds" / "r2021"
    d.mkdir(parents=True)
    (d / "round.json").write_text(round_json, encoding="utf-8")
    scores = [_score("A", 4, T0), _score("B", 2, T0), _score("A", 5, T0 + timedelta(hours=1)),
              _score("B", 3, T0, item="broadband_penetration")]
    (d / "scores.jsonl").write_text("".join(_line(s) for s in scores), encoding="utf-8")
    updates = [_update("plan issued", T0), _update("half done", T0 + timedelta(days=30)),
               _update("done", T0 + timedelta(days=90), "completed")]
    (folder / sv.LOG_NAME).write_text("".join(_line(u) for u in updates) + "\n",
                                      encoding="utf-8")
    return folder


def test_legacy_files_are_imported_once_and_left_in_place(store: Store, tmp_path: Path,
                                                          round_json: str) -> None:
    folder = write_legacy(tmp_path / "legacy", round_json)
    files = legacy_files(folder)
    assert [f.name for f in files] == ["round.json", "scores.jsonl", sv.LOG_NAME]
    assert legacy_hint(store, folder) is not None
    result = import_legacy(store, folder)
    assert (result.rounds_new, result.scores_new, result.updates_new) == (1, 4, 3)
    assert legacy_hint(store, folder) is None
    assert legacy_files(folder) == files  # nothing deleted
    # what the store now says is what the files said
    rnd = tp.load_round(store, "r2021")
    assert rnd == tp.Round.model_validate_json(round_json)
    assert store.round("r2021").document == round_json  # type: ignore[union-attr]
    updates = sv.read_updates(store)
    assert [u.comment for u in updates] == ["plan issued", "half done", "done"]
    assert updates[0] == sv.Update.model_validate(_update("plan issued", T0))
    effective = {(s.evaluator, s.item): s.score for s in tp.read_scores(store, "r2021")}
    assert effective == {("A", "rd_intensity"): 5, ("B", "rd_intensity"): 2,
                         ("B", "broadband_penetration"): 3}
    assert tp.results(store, "r2021").items  # the round reads as any other
    # a second import changes nothing
    again = import_legacy(store, folder)
    assert again.unchanged
    assert (again.rounds_known, again.scores_known, again.updates_known) == (1, 4, 3)
    assert store.followup_counts() == {"supervision_updates": 3, "rounds": 1, "scores": 4,
                                       "legacy": 8}
    # records appended to the old file later are imported by the next run, the rest kept
    with (folder / sv.LOG_NAME).open("a", encoding="utf-8") as fh:
        fh.write(_line(_update("reopened", T0 + timedelta(days=120))))
    later = import_legacy(store, folder)
    assert (later.updates_new, later.updates_known) == (1, 3)


def test_identical_records_in_one_file_are_both_kept(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "legacy"
    folder.mkdir()
    twice = _line(_update("same", T0))
    (folder / sv.LOG_NAME).write_text(twice + twice, encoding="utf-8")
    assert import_legacy(store, folder).updates_new == 2
    assert import_legacy(store, folder).unchanged
    assert len(sv.read_updates(store)) == 2


@pytest.mark.parametrize(("where", "bad", "message"), [
    ("updates", "{not json", "not a JSON record"),
    ("updates", json.dumps(_update("x", T0, "finished")), "not a supervision update: status"),
    ("updates", json.dumps({**_update("x", T0), "at": "2021-03-01T08:00:00"}),
     "without a time zone"),
    ("scores", json.dumps(_score("C", 9, T0)), "outside the scale"),
    ("scores", json.dumps(_score("C", 3, T0, item="no_such_item")), "not in round"),
    ("scores", json.dumps({**_score("C", 3, T0), "round": "r1999"}), "a score of round"),
])
def test_a_bad_record_imports_nothing_and_names_file_and_line(
        store: Store, tmp_path: Path, round_json: str, where: str, bad: str,
        message: str) -> None:
    folder = write_legacy(tmp_path / "legacy", round_json)
    path = folder / sv.LOG_NAME if where == "updates" else \
        folder / "rounds" / "r2021" / "scores.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(1, bad + "\n")  # becomes line 2
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(FollowupError) as err:
        import_legacy(store, folder)
    assert f"{path}:line 2: " in str(err.value) and message in str(err.value)
    assert store.followup_counts() == {"supervision_updates": 0, "rounds": 0, "scores": 0,
                                       "legacy": 0}


def test_a_bad_round_file_is_named(tmp_path: Path, round_json: str) -> None:
    folder = write_legacy(tmp_path / "legacy", round_json)
    path = folder / "rounds" / "r2021" / "round.json"
    path.write_text(round_json.replace('"plan_version"', '"plan_versoin"'), encoding="utf-8")
    with pytest.raises(FollowupError, match=r"round\.json: not a third-party round"):
        read_legacy(folder)
    path.write_text(round_json[:200], encoding="utf-8")
    with pytest.raises(FollowupError, match=r"round\.json:line \d+: not valid JSON"):
        read_legacy(folder)
    path.unlink()
    with pytest.raises(FollowupError, match=r"round\.json is missing"):
        read_legacy(folder)


def test_a_round_already_stored_with_another_document_stops_the_import(
        store: Store, tmp_path: Path, round_json: str) -> None:
    store.add_round(a_round(round_id="r2021", document='{"id": "r2021"}'))
    folder = write_legacy(tmp_path / "legacy", round_json)
    with pytest.raises(FollowupError, match="another document; nothing was imported"):
        import_legacy(store, folder)
    assert store.followup_counts() == {"supervision_updates": 0, "rounds": 1, "scores": 0,
                                       "legacy": 0}


def test_cli_import_legacy_and_the_hint(tmp_path: Path, round_json: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIC2025_FOLLOWUP_DIR", raising=False)
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    write_legacy(tmp_path / "s.followup", round_json)  # beside the store: the default folder
    run = CliRunner()
    r = run.invoke(main, ["supervision", "status", "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert "followup import-legacy" in r.stderr and len(r.stderr.splitlines()) == 1
    assert json.loads(r.stdout)  # the note does not spoil the JSON on stdout
    r = run.invoke(main, ["followup", "import-legacy", "--db", db])
    assert r.exit_code == 0, r.output
    assert "imported 1 round(s), 4 score(s), 3 supervision update(s)" in r.output
    r = run.invoke(main, ["followup", "import-legacy", "--db", db,
                          "--folder", str(tmp_path / "s.followup")])
    assert r.exit_code == 0 and "nothing changed" in r.output
    r = run.invoke(main, ["supervision", "history", "task4_quality_brands", "--db", db])
    assert r.exit_code == 0 and r.stderr == ""
    assert [line.split()[-1] for line in r.stdout.splitlines()] == ["issued", "done", "done"]
    r = run.invoke(main, ["thirdparty", "round", "results", "r2021", "--db", db,
                          "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["round"] == "r2021"
    assert (tmp_path / "s.followup" / sv.LOG_NAME).exists()  # never deleted
    # a bad record: exit 2, file and line on stderr, nothing written
    other = tmp_path / "other"
    other.mkdir()
    (other / sv.LOG_NAME).write_text(_line(_update("ok", T0)) + "oops\n", encoding="utf-8")
    r = run.invoke(main, ["followup", "import-legacy", "--db", db, "--folder", str(other)])
    assert r.exit_code == 2 and f"{other / sv.LOG_NAME}:line 2" in r.stderr
    with open_store(db) as s:
        assert s.followup_counts()["supervision_updates"] == 3
    r = run.invoke(main, ["followup", "import-legacy", "--db", db, "--folder",
                          str(tmp_path / "missing")])
    assert r.exit_code == 2 and "no such folder" in r.stderr


def test_the_platform_warns_of_legacy_files_at_start(
        tmp_path: Path, round_json: str, caplog: pytest.LogCaptureFixture) -> None:
    folder = write_legacy(tmp_path / "legacy", round_json)
    with caplog.at_level(logging.WARNING, logger="mic2025.web"):
        app = make_app(f"sqlite:///{tmp_path / 'web.sqlite'}", followup_dir=folder)
    app.state.platform.store.close()
    assert any("followup import-legacy" in r.getMessage() for r in caplog.records)


def test_the_platform_keeps_its_records_in_the_store(store_url: str, tmp_path: Path) -> None:
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
            other.state.platform.store.close()
        assert not list((tmp_path / "fu").glob("*.jsonl"))
        assert not (tmp_path / "fu" / "rounds").exists()
    finally:
        app.state.platform.store.close()
