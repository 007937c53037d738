"""Third-party evaluation (第三方评价): Krippendorff's alpha, rubric, rounds on a frozen vintage."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.followup import thirdparty as tp
from mic2025.followup.common import FollowupError
from mic2025.followup.reliability import alpha, coincidences
from mic2025.permissions import SYSTEM, Actor
from mic2025.plan import load_plan
from mic2025.services.followup import add_score, create_round
from mic2025.services.imports import import_rows
from mic2025.store import Store, open_store
from store_fixtures import BACKENDS, StoreTemplates
from test_web_support import cli_accounts


def who(name: str) -> Actor:
    """The installation itself, under a name (it may open rounds and score them)."""
    return Actor(id=None, username=name, via="system")

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
# 12 units, values 1–5, missing data; the paper reports .743 / .815 / .849 / .797
PAPER = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


@pytest.mark.parametrize(("metric", "expected"), [
    ("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)])
def test_alpha_reproduces_the_papers_worked_example(metric: str, expected: float) -> None:
    assert alpha(PAPER, metric) == pytest.approx(expected, abs=5e-4)  # type: ignore[arg-type]


def test_alpha_coincidences_of_the_paper() -> None:
    values, o = coincidences(PAPER)
    assert values == [1, 2, 3, 4, 5]
    # by hand: o_11 = 3 (unit 1) + 2 (unit 8) + 2 (unit 11) = 7; o_12 = 1/3 (unit 6) + 1 (unit 8)
    assert o[(1.0, 1.0)] == pytest.approx(7) and o[(1.0, 2.0)] == pytest.approx(4 / 3)
    assert sum(o.values()) == pytest.approx(40)


def test_alpha_on_a_case_computed_by_hand() -> None:
    # two evaluators, three units: (1,1) (1,2) (2,2). o_11 = 2, o_12 = o_21 = 1, o_22 = 2,
    # n_1 = n_2 = 3, n = 6. Interval: α = 1 − (n − 1)·Σo·δ² / Σ n_c n_k δ² = 1 − 5·2/18 = 4/9.
    # Ordinal: δ²_12 = (n_1 + n_2 − (n_1 + n_2)/2)² = 9, α = 1 − 5·18/162 = 4/9.
    data = [[1, 1, 2], [1, 2, 2]]
    assert alpha(data, "interval") == pytest.approx(4 / 9)
    assert alpha(data, "ordinal") == pytest.approx(4 / 9)
    assert alpha(data, "nominal") == pytest.approx(4 / 9)
    # perfect agreement is 1; no variation at all, or nothing pairable, is undefined
    assert alpha([[1, 2, 3], [1, 2, 3]], "ordinal") == pytest.approx(1)
    assert alpha([[2, 2], [2, 2]], "interval") is None
    assert alpha([[1, N], [N, 2]], "interval") is None


def test_the_rubric_has_anchors_for_every_value() -> None:
    rubric, sha = tp.load_rubric()
    s = rubric.scale
    assert set(s.anchors) == set(range(s.min, s.max + 1)) and len(sha) == 64
    assert all(a.zh and a.en for a in s.anchors.values())


def test_a_rubric_missing_an_anchor_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "r.yaml"
    bad.write_text("schema_version: 1\nid: r\nversion: '1'\ntitle: {zh: 甲, en: A}\n"
                   "scale:\n  min: 1\n  max: 3\n  anchors:\n    1: {zh: 低, en: low}\n"
                   "    3: {zh: 高, en: high}\ncriteria:\n  - id: c\n    name: {zh: 甲, en: A}\n"
                   "    applies_to: [task]\n", encoding="utf-8")
    with pytest.raises(FollowupError, match=r"line 5: scale: .*missing \[2\]"):
        tp.load_rubric(bad)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path,
          store_templates: StoreTemplates) -> Iterator[Store]:
    """A store holding the bundled evidence (a copy of the session's template)."""
    with store_templates.copy(request.param, tmp_path) as url:
        s = open_store(url)
        try:
            yield s
        finally:
            s.close()


def test_a_round_is_frozen_scored_and_reproducible(store: Store) -> None:
    plan = load_plan()
    frozen = datetime.now(UTC)
    rnd = create_round(store, plan, who("CAE"), "r2021", as_of=frozen)
    assert rnd.as_of == frozen and rnd.plan_version == plan.version
    assert {i.kind for i in rnd.items} == {"indicator", "task"}
    with pytest.raises(FollowupError, match="already exists"):
        create_round(store, plan, who("x"), "r2021", as_of=frozen)
    scores = {"A": [5, 4, 3, 2], "B": [5, 4, 3, 3], "C": [1, 4, 3, 2]}
    items = ["rd_intensity", "broadband_penetration", "key_process_nc_rate",
             "energy_intensity_reduction"]
    for ev, vals in scores.items():
        for item, v in zip(items, vals, strict=True):
            add_score(store, who(ev), "r2021", item=item, criterion="progress", score=v)
    # a later score supersedes an earlier one of the same evaluator, item and criterion
    add_score(store, who("B"), "r2021", item="energy_intensity_reduction",
              criterion="progress", score=2, comment="on reflection")
    res = tp.results(store, "r2021", threshold=2)
    progress = next(c for c in res.criteria if c.criterion == "progress")
    expected = alpha([[5, 4, 3, 2], [5, 4, 3, 2], [1, 4, 3, 2]], "ordinal")
    assert progress.alpha_ordinal == pytest.approx(expected)
    assert progress.units == 4 and progress.evaluators == ["A", "B", "C"]
    flagged = [i.item for i in res.items if i.disagreement]
    assert flagged == ["rd_intensity"]  # spread 5 − 1 = 4 > 2
    rd = next(i for i in res.items if i.item == "rd_intensity" and i.criterion == "progress")
    assert rd.system_status == "achieved"
    with pytest.raises(FollowupError, match="outside the scale"):
        add_score(store, who("A"), "r2021", item="rd_intensity", criterion="progress", score=9)
    with pytest.raises(FollowupError, match="does not apply"):
        add_score(store, who("A"), "r2021", item="rd_intensity", criterion="implementation",
                  score=3)
    # new evidence after the freeze does not change the round: it re-runs to the same result
    assert tp.check_reproducible(store, "r2021", plan) == []
    import_rows(store, SYSTEM, [{"indicator": "rd_intensity", "area": "000000", "year": 2025,
                         "value": 2.5, "unit": "%", "scope": "规模以上制造业",
                         "flags": "synthetic", "source": "synthetic test data"}],
                plan, source_name="later.csv")
    assert tp.check_reproducible(store, "r2021", plan) == []
    assert tp.load_round(store, "r2021").evaluation == rnd.evaluation


def test_cli_round(tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "c.sqlite")  # as the first command leaves it
    cli_accounts(db, {"root": "admin", "A": "evaluator", "B": "evaluator", "C": "evaluator"})
    run = CliRunner()
    r = run.invoke(main, ["--as", "root", "thirdparty", "round", "create", "r1", "--db", db,
                          "--as-of", "2030-01-01", "--title", "first round"])
    assert r.exit_code == 0, r.output
    for ev, v in (("A", 4), ("B", 4), ("C", 1)):
        r = run.invoke(main, ["--as", ev, "thirdparty", "round", "score", "r1", "--db", db,
                              "--item", "innovation_capability", "--criterion",
                              "implementation", "--score", str(v), "--comment", "x"])
        assert r.exit_code == 0, r.output
    r = run.invoke(main, ["thirdparty", "round", "results", "r1", "--db", db, "--check",
                          "--format", "json", "--threshold", "2"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["reproducible"] is True and data["disagreements"] == 1
    r = run.invoke(main, ["thirdparty", "round", "results", "missing", "--db", db])
    assert r.exit_code == 2 and "no round" in r.output
