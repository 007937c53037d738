"""Supervision (督促检查): the seed file, appended status updates, overdue, at risk, stocktakes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import get_args

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.followup import supervision as sv
from mic2025.followup.common import FollowupError
from mic2025.permissions import Actor, Forbidden, Grant
from mic2025.plan import load_plan
from mic2025.services.followup import update_milestone
from mic2025.store import Store, open_store
from test_web_support import cli_accounts


def who(name: str) -> Actor:
    """The installation itself, under a name (it may report on any milestone)."""
    return Actor(id=None, username=name, via="system")


def test_the_status_type_and_the_stores_check_agree() -> None:
    assert get_args(sv.Status) == sv.STATUSES


def test_the_seed_covers_every_task_project_and_measure() -> None:
    plan = load_plan()
    seed = sv.load_supervision(plan=plan)
    assert seed.illustrative and "not an official" in seed.note.en  # type: ignore[union-attr]
    subjects = {(m.subject.kind, m.subject.id) for m in seed.items}
    assert {("task", t.id) for t in plan.tasks} <= subjects
    assert {("project", p.id) for p in plan.projects} <= subjects
    assert {("measure", m.id) for m in plan.measures} <= subjects
    assert seed.body("miit").name.zh == "工业和信息化部"


def test_a_bad_seed_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "sup.yaml"
    bad.write_text(
        "schema_version: 1\nplan: mic2025\nversion: '1'\nbodies:\n"
        "  - {id: miit, name: {zh: 工业和信息化部, en: MIIT}}\nitems:\n"
        "  - id: a\n    subject: {kind: task, id: no_such_task}\n"
        "    title: {zh: 甲, en: A}\n    owner: miit\n    due: 2020-12-31\n", encoding="utf-8")
    with pytest.raises(FollowupError) as err:
        sv.load_supervision(bad, load_plan())
    assert "line 6" in str(err.value) and "no_such_task" in str(err.value)
    bad.write_text(bad.read_text(encoding="utf-8").replace("no_such_task", "key_sectors")
                   .replace("owner: miit", "owner: mars"), encoding="utf-8")
    with pytest.raises(FollowupError, match="mars"):
        sv.load_supervision(bad, load_plan())


def test_updates_are_appended_and_decide_the_status(store: Store) -> None:
    plan = load_plan()
    seed = sv.load_supervision(plan=plan)
    path = sv.bundled_path()
    t1 = datetime(2019, 6, 1, tzinfo=UTC)
    t2 = datetime(2020, 11, 1, tzinfo=UTC)
    update_milestone(store, who("MIIT office"), seed, path, "box1_innovation_centres_2020",
                     status="in_progress", comment="11 centres designated", at=t1)
    second = update_milestone(store, who("MIIT office"), seed, path,
                              "box1_innovation_centres_2020", status="completed",
                              comment="17 centres", evidence=["https://example.org/notice"],
                              at=t2)
    update_milestone(store, who("NDRC"), seed, path, "task7_structural_adjustment",
                     status="delayed", comment="capacity monitoring not yet set up", at=t1)
    ups = sv.read_updates(store)
    assert len(ups) == 3 and ups[-1] == second
    assert second.seed_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert second.evidence == ["https://example.org/notice"] and second.at == t2
    assert [u.at for u in ups] == [t1, t1, t2]  # read oldest first
    on = date(2020, 10, 1)
    states = {s.milestone.id: s for s in sv.states(seed, ups, on=on)}
    box = states["box1_innovation_centres_2020"]
    assert box.status == "completed" and len(box.history) == 2 and not box.overdue
    assert states["task7_structural_adjustment"].at_risk
    # due 2020-12-31, nothing reported, within 180 days of 2020-10-01: at risk
    assert states["task4_quality_brands"].at_risk
    later = {s.milestone.id: s for s in sv.states(seed, ups, on=date(2021, 3, 1))}
    assert later["task4_quality_brands"].overdue
    assert not later["box1_innovation_centres_2020"].overdue
    # as of a moment before the second update, the first one is in force
    then = {s.milestone.id: s for s in sv.states(seed, ups, on=on,
                                                 as_of=datetime(2020, 1, 1, tzinfo=UTC))}
    assert then["box1_innovation_centres_2020"].status == "in_progress"
    rows = {r["owner"]: r for r in sv.stocktake(seed, list(later.values()))}
    assert rows["miit"]["completed"] == 1 and "task4_quality_brands" in rows["samr"]["overdue"]
    with pytest.raises(FollowupError, match="no milestone"):
        update_milestone(store, who("y"), seed, path, "nope", status="completed", comment="x")
    ndrc = Actor(id=7, username="ndrc-editor", grants=(Grant("body_editor", body="ndrc"),))
    with pytest.raises(Forbidden, match="ndrc-editor may not milestone:update"):
        update_milestone(store, ndrc, seed, path, "task4_quality_brands", status="completed",
                         comment="x")
    with pytest.raises(FollowupError, match="no time zone"):
        update_milestone(store, who("y"), seed, path, "task4_quality_brands",
                         status="completed", comment="x", at=datetime(2020, 1, 1))
    assert len(sv.read_updates(store)) == 3  # refused updates leave nothing behind


def test_cli_supervision(tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "s.sqlite")  # as the first command leaves it
    cli_accounts(db, {"root": "admin", "samr-editor": "body_editor:samr"})
    run = CliRunner()
    r = run.invoke(main, ["--as", "samr-editor", "supervision", "update",
                          "task4_quality_brands", "--db", db, "--status", "in_progress",
                          "--comment", "quality plan issued", "--evidence",
                          "https://example.org/plan"])
    assert r.exit_code == 0, r.output
    with open_store(db) as s:
        (u,) = sv.read_updates(s)
    assert (u.item, u.status, u.by, u.evidence) == \
        ("task4_quality_brands", "in_progress", "samr-editor", ["https://example.org/plan"])
    assert not (tmp_path / "s.followup").exists()  # the records are in the store
    r = run.invoke(main, ["supervision", "status", "--db", db, "--owner", "samr",
                          "--format", "json"])
    data = json.loads(r.output)
    mine = {d["id"]: d for d in data}
    assert mine["task4_quality_brands"]["status"] == "in_progress"
    assert all(d["owner"] == "samr" for d in data)
    r = run.invoke(main, ["supervision", "overdue", "--db", db, "--on", "2021-01-15"])
    assert "逾期" in r.output and "OVERDUE" not in r.output
    r = run.invoke(main, ["supervision", "stocktake", "--db", db, "--owner", "市场监管总局"])
    assert r.exit_code == 0 and "推进中" in r.output and "in progress" not in r.output
    r = run.invoke(main, ["supervision", "history", "task4_quality_brands", "--db", db])
    assert "quality plan issued" in r.output
    r = run.invoke(main, ["supervision", "status", "--db", db, "--owner", "nobody"])
    assert r.exit_code == 2


def test_a_milestone_tied_to_a_metric_takes_its_status_from_the_evidence(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    # the evaluation marks the 2020 innovation-centre target achieved (17 centres): the
    # milestone shows met with that figure, is not overdue, and shows no internal id as title
    db = sqlite_copy(tmp_path / "e.sqlite")
    r = CliRunner().invoke(main, ["supervision", "status", "--db", db, "--on", "2026-01-15",
                                  "--format", "json"])
    assert r.exit_code == 0, r.output
    items = {d["id"]: d for d in json.loads(r.output)}
    box1 = items["box1_innovation_centres_2020"]
    assert box1["evidence_status"] == "met"
    assert box1["overdue"] is False and box1["rag"] == "green"
    (fig,) = box1["figures"]
    assert fig["verdict"] == "achieved" and fig["latest_value"] >= 15
    assert box1["subject_name"]["zh"] == "制造业创新中心(工业技术研究基地)建设工程"
    # a milestone without evidence and past its date stays overdue and red
    assert items["m_sme"]["evidence_status"] == "no_evidence"
    assert items["m_sme"]["overdue"] is True and items["m_sme"]["rag"] == "red"
    # a milestone tied to a dated fact shows the fact, with its publication
    talent = items["m_talent"]
    assert talent["evidence_status"] == "met" and talent["overdue"] is False
    assert talent["facts"][0]["publication"]["zh"].startswith("《制造业人才发展规划指南》")


def test_a_report_that_contradicts_the_evidence_is_shown_and_flagged(store: Store) -> None:
    from mic2025.evaluate.engine import evaluate
    from mic2025.ingest.load import load_bundled

    plan = load_plan()
    load_bundled(store, plan)
    ev = evaluate(plan, store.observations(area=plan.area), area=plan.area)
    seed = sv.load_supervision(plan=plan)
    update_milestone(store, who("MIIT"), seed, sv.bundled_path(), "box1_innovation_centres_2020",
                     status="delayed", comment="we think it slipped")
    (s,) = [x for x in sv.states(seed, sv.read_updates(store), on=date(2026, 1, 15),
                                 evaluation=ev) if x.milestone.id == "box1_innovation_centres_2020"]
    assert s.status == "delayed" and s.evidence_status == "met"
    assert s.disagreement and s.rag == "green"
    rows = {r["owner"]: r for r in sv.stocktake(seed, sv.states(
        seed, sv.read_updates(store), on=date(2026, 1, 15), evaluation=ev))}
    assert rows["miit"]["green"] >= 1 and rows["miit"]["disagreements"] == [
        "box1_innovation_centres_2020"]
