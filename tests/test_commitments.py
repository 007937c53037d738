"""The plan's checkable commitments: every one of the seed's in the plan file, validated, and
extensible by a regional plan; the bundled evidence facts they are judged from."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from mic2025.errors import PlanError
from mic2025.facts import load_facts, unknown_facts
from mic2025.plan import load_plan

OWNERS = Path(__file__).parent.parent / "src/mic2025/plans/owners_mic2025.yaml"
DROPPED = Path(__file__).parent.parent / "src/mic2025/data/evidence/dropped.csv"
#: why a copy site was rejected when the figures were re-sourced (dropped.csv's reasons); a
#: site dropped only for an unattributed quote or a duplicate stays usable
_FARM = re.compile(r"spam|SEO|mirror|farm|adult|gambling|garbled|pinyin|inject|stuffing", re.I)


def _regional(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "region.yaml"
    path.write_text("schema_version: 1\nid: region\nversion: '1'\nextends: mic2025\n"
                    "title: {zh: 地区, en: Region}\narea: '440000'\n" + body, encoding="utf-8")
    return path


def test_the_seed_commitments_are_all_in_the_plan() -> None:
    plan = load_plan()
    items = {c.id: c for c in plan.all_commitments()}
    kinds = [c.kind for c in items.values()]
    # the 24 targets of the indicator table and the 14 numeric project targets
    assert kinds.count("numeric_target") == 38
    assert items["innovation_centres_2020"].judged_by == "metric:innovation_centres"
    assert items["innovation_centres_2025"].due == 2025
    assert items["key_fields_roadmap"].judged_by == "evidence:key_fields_roadmap_2015"
    assert {c.sector for c in items.values() if c.sector} == {s.id for s in plan.sectors}
    steps = [c for c in items.values() if c.subject == "strategy"]
    assert steps and all(c.kind == "context_goal" and c.judged_by == "none" for c in steps)
    assert "mpi_china" in items["step_one_2025"].context
    measures = {c.subject for c in items.values() if c.subject.startswith("measure:")}
    assert measures == {f"measure:{m.id}" for m in plan.measures}


def test_every_owner_is_a_body_of_the_owner_directory_and_every_fact_exists() -> None:
    plan = load_plan()
    bodies = {o["id"] for o in yaml.safe_load(OWNERS.read_text(encoding="utf-8"))["owners"]}
    owners = {c.owner for c in plan.all_commitments() if c.owner}
    assert owners and owners <= bodies
    assert unknown_facts(plan, load_facts()) == []


def test_every_fact_names_its_publication_and_the_copy_read() -> None:
    for fact in load_facts().values():
        assert fact.publisher.zh and fact.publication.zh and fact.quote
        assert fact.retrieved_from.startswith("http")
        assert fact.publication_date >= fact.date


def _farm_hosts() -> set[str]:
    with DROPPED.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {urlsplit(r["old_source"]).hostname or "" for r in rows if _FARM.search(r["reason"])}


def test_no_fact_rests_on_a_copy_site_the_figures_dropped_as_spam_or_mirror() -> None:
    """Issue #12 rejected SEO mirrors, content farms and adult or gambling sites for the
    figures; a fact may not rest on one of them either (the first smart-manufacturing fact
    did: handmsg.com)."""
    farms = _farm_hosts()
    assert "www.handmsg.com" in farms and "news.china.com" not in farms
    on_farms = {f.id: f.retrieved_from for f in load_facts().values()
                if urlsplit(f.retrieved_from).hostname in farms}
    assert on_farms == {}


@pytest.mark.parametrize(("entry", "message"), [
    ("  - id: x\n    subject: task:innovation_capability\n    text: {zh: 甲, en: a}\n"
     "    judged_by: metric:rd_intensity\n    due: 2030\n",
     "has no target for 2030"),
    ("  - id: x\n    subject: task:nope\n    text: {zh: 甲, en: a}\n",
     "unknown subject 'task:nope'"),
    ("  - id: x\n    subject: strategy\n    kind: context_goal\n    text: {zh: 甲, en: a}\n"
     "    judged_by: supervision\n", "a context goal is never scored"),
    ("  - id: x\n    subject: strategy\n    text: {zh: 甲, en: a}\n    judged_by: maybe\n",
     "judged_by 'maybe' must be"),
    ("  - id: rd_intensity_2020\n    subject: strategy\n    text: {zh: 甲, en: a}\n",
     "commitment id 'rd_intensity_2020' is used twice"),
])
def test_a_bad_commitment_is_named_with_its_line(tmp_path: Path, entry: str,
                                                  message: str) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(_regional(tmp_path, "commitments:\n" + entry))
    text = str(err.value) + " ".join(getattr(err.value, "problems", []) or [])
    assert message in text
    assert "region.yaml:line " in text


def test_a_regional_plan_adds_and_removes_commitments(tmp_path: Path) -> None:
    plan = load_plan(_regional(tmp_path, (
        "commitments:\n"
        "  - id: national_industrial_design_award\n    remove: true\n"
        "  - id: provincial_design_award\n    subject: task:innovation_capability\n"
        "    text: {zh: 设立省工业设计奖, en: A provincial design award}\n    due: 2018\n")))
    ids = {c.id for c in plan.all_commitments()}
    assert "national_industrial_design_award" not in ids
    assert "provincial_design_award" in ids
    assert "key_fields_roadmap" in ids
