"""A broken plan file is refused with a message naming the file, the line and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mic2025.errors import PlanError
from mic2025.plan import load_plan

MINIMAL = """\
schema_version: 1
id: mini
version: "1"
title: {zh: 小规划, en: Mini plan}
base_year: 2015
target_years: [2020, 2025]
goal_areas:
  - id: growth
    name: {zh: 增长, en: Growth}
indicators:
  - id: output
    goal_area: growth
    name: {zh: 产出, en: Output}
    unit: "%"
    direction: increase
    baseline: {2015: 1.0}
    targets:
      - year: 2020
        kind: level
        value: 2.0
        text: {zh: "2", en: "2% by 2020"}
      - year: 2025
        kind: level
        value: 3.0
        text: {zh: "3", en: "3% by 2025"}
    definition:
      kind: ratio_of_sums
      text: {zh: 产出之比, en: A ratio of outputs}
projects:
  - id: build
    box: 1
    name: {zh: 建设工程, en: Building project}
tasks:
  - id: grow
    number: 1
    name: {zh: 促进增长, en: Grow}
    projects: [build]
    indicators: [output]
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the line holding the ``nth`` occurrence of ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} occurs {len(hits)} times"
    return hits[nth - 1]


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refuse(path: Path) -> PlanError:
    with pytest.raises(PlanError) as info:
        load_plan(path)
    return info.value


def test_the_minimal_plan_loads(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, MINIMAL))
    assert [i.id for i in plan.indicators] == ["output"]


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = MINIMAL.replace("id: mini\n", "id: mini: twice\n")
    err = refuse(write(tmp_path, text))
    message = str(err)
    assert str(tmp_path / "plan.yaml") in message
    assert f"line {line_of(text, 'id: mini: twice')}, column" in message
    assert "not valid YAML" in message


def _replace(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, count)

    return edit


# name, edit of MINIMAL, field path, (needle, nth) locating the line, words of the message
CASES = [
    ("wrong type in a nested field",
     _replace("        value: 2.0\n", "        value: lots\n"),
     "indicators.0.targets.0.value", ("value: lots", 1), "number"),
    ("unknown field",
     _replace("    direction: increase\n", "    direction: increase\n    colour: red\n"),
     "indicators.0.colour", ("colour: red", 1), "Extra inputs are not permitted"),
    ("duplicate target year",
     _replace("      - year: 2025\n", "      - year: 2020\n"),
     "indicators.0.targets.1.year", ("- year: 2020", 2), "two targets for the same year"),
    ("average_growth without period",
     _replace("        kind: level\n", "        kind: average_growth\n"),
     "indicators.0.targets.0", ("- year: 2020", 1), "needs period"),
    ("task naming an unknown project",
     _replace("    projects: [build]\n", "    projects: [build, demolish]\n"),
     "tasks.0.projects.1", ("projects: [build, demolish]", 1), "unknown project 'demolish'"),
    ("task naming an unknown indicator",
     _replace("    indicators: [output]\n", "    indicators: [input]\n"),
     "tasks.0.indicators.0", ("indicators: [input]", 1), "unknown indicator 'input'"),
    ("indicator naming an unknown goal area",
     _replace("    goal_area: growth\n", "    goal_area: decline\n"),
     "indicators.0.goal_area", ("goal_area: decline", 1), "goal area 'decline'"),
]


@pytest.mark.parametrize(("edit", "field", "where", "words"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validation_error_names_file_line_and_field(
        tmp_path: Path, edit: Callable[[str], str], field: str, where: tuple[str, int],
        words: str) -> None:
    text = edit(MINIMAL)
    path = write(tmp_path, text)
    err = refuse(path)
    line = line_of(text, *where)
    prefix = f"{path}:line {line}: {field}: "
    matching = [p for p in err.problems if p.startswith(prefix)]
    assert matching, f"no problem starts with {prefix!r}: {err.problems}"
    assert any(words in p for p in matching), matching
    assert prefix in str(err)


def test_every_problem_of_a_file_is_reported(tmp_path: Path) -> None:
    text = MINIMAL.replace("        value: 2.0\n", "        value: lots\n").replace(
        "    direction: increase\n", "    direction: sideways\n")
    err = refuse(write(tmp_path, text))
    fields = {p.split(": ")[1] for p in err.problems}
    assert {"indicators.0.targets.0.value", "indicators.0.direction"} <= fields


def test_extends_cycle_names_file_line_and_field(tmp_path: Path) -> None:
    a = "schema_version: 1\nextends: b.yaml\nid: a\n"
    b = "schema_version: 1\nid: b\nextends: a.yaml\n"
    write(tmp_path, a, "a.yaml")
    write(tmp_path, b, "b.yaml")
    err = refuse(tmp_path / "a.yaml")
    # the cycle closes in b.yaml, whose `extends` points back at a.yaml
    assert f"{tmp_path / 'b.yaml'}:line {line_of(b, 'extends:')}: extends: " in str(err)
    assert "cycle" in str(err)


def test_a_plan_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    text = "schema_version: 1\nid: selfish\nextends: self.yaml\n"
    path = write(tmp_path, text, "self.yaml")
    err = refuse(path)
    assert f"{path}:line 3: extends: " in str(err)


def test_an_override_error_names_the_regional_file(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "national.yaml")
    regional = ("schema_version: 1\nextends: national.yaml\nid: region\narea: \"440000\"\n"
                "indicators:\n  - id: output\n    targets:\n      - year: 2020\n"
                "        value: plenty\n")
    path = write(tmp_path, regional, "region.yaml")
    err = refuse(path)
    prefix = f"{path}:line {line_of(regional, 'value: plenty')}: indicators.0.targets.0.value: "
    assert any(p.startswith(prefix) for p in err.problems), err.problems
