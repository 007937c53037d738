"""Regional plans: dropping inherited entries with ``remove: true``, and errors of a merged plan
reported at the file and line each value was written in."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from mic2025.errors import PlanError
from mic2025.plan import load_plan, merge

EXAMPLES = Path(str(resources.files("mic2025") / "plans" / "examples"))

NATIONAL = """\
schema_version: 1
id: nat
version: "1"
title: {zh: 国家规划, en: National plan}
base_year: 2015
target_years: [2020, 2025]
goal_areas:
  - id: growth
    name: {zh: 增长, en: Growth}
  - id: green
    name: {zh: 绿色, en: Green}
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
  - id: energy
    goal_area: green
    name: {zh: 能耗, en: Energy}
    unit: index
    direction: decrease
    baseline: {2015: 100}
    targets:
      - year: 2020
        kind: relative_change
        base_year: 2015
        value: -18
        text: {zh: "下降18%", en: "-18% on 2015"}
    definition:
      kind: intensity_change
      text: {zh: 能耗强度, en: Energy intensity}
projects:
  - id: build
    box: 1
    name: {zh: 建设工程, en: Building project}
    metrics:
      - id: buildings
        name: {zh: 建筑, en: Buildings}
        unit: count
        direction: increase
        targets:
          - year: 2020
            kind: level
            value: 10
            text: {zh: "10", en: "10"}
      - id: bridges
        name: {zh: 桥梁, en: Bridges}
        unit: count
        direction: increase
tasks:
  - id: grow
    number: 1
    name: {zh: 促进增长, en: Grow}
    projects: [build]
    indicators: [output]
  - id: save
    number: 2
    name: {zh: 节能, en: Save energy}
    indicators: [energy]
sectors:
  - id: chips
    number: 1
    name: {zh: 芯片, en: Chips}
  - id: ships
    number: 2
    name: {zh: 船舶, en: Ships}
adjustments:
  - id: adj1
    metric: output
    target_year: 2025
    old_value: 2.5
    new_value: 3.0
    reason: mid-term review
    decided_by: office
    decided_on: 2021-03-01
"""

HEAD = "schema_version: 1\nextends: national.yaml\nid: region\narea: \"440000\"\n"


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based number of the line holding the ``nth`` occurrence of ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} occurs {len(hits)} times"
    return hits[nth - 1]


def write(tmp_path: Path, text: str, name: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def region(tmp_path: Path, body: str, national: str = NATIONAL) -> Path:
    write(tmp_path, national, "national.yaml")
    return write(tmp_path, HEAD + body, "region.yaml")


def refuse(path: Path) -> list[str]:
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert str(path) in str(info.value)
    return info.value.problems


def one(problems: list[str], prefix: str, *words: str) -> str:
    """The single problem that starts with ``prefix``, holding every one of ``words``."""
    hits = [p for p in problems if p.startswith(prefix)]
    assert len(hits) == 1, f"no single problem starts with {prefix!r}: {problems}"
    for w in words:
        assert w in hits[0], (w, hits[0])
    return hits[0]


def test_the_national_test_plan_loads(tmp_path: Path) -> None:
    plan = load_plan(write(tmp_path, NATIONAL, "national.yaml"))
    assert [i.id for i in plan.indicators] == ["output", "energy"]


# --------------------------------------------------------------------------- removal


def test_removing_an_indicator_and_restating_what_named_it(tmp_path: Path) -> None:
    nat = load_plan(write(tmp_path, NATIONAL, "national.yaml"))
    plan = load_plan(region(tmp_path, (
        "indicators:\n  - id: energy\n    remove: true\n"
        "tasks:\n  - id: save\n    indicators: []\n")))
    assert [i.id for i in plan.indicators] == ["output"]
    assert plan.indicators[0] == nat.indicators[0]
    assert plan.tasks[1].indicators == ()
    assert (plan.projects, plan.sectors, plan.goal_areas) == (
        nat.projects, nat.sectors, nat.goal_areas)


def test_removing_one_target_year(tmp_path: Path) -> None:
    plan = load_plan(region(tmp_path, (
        "indicators:\n  - id: output\n    targets:\n      - year: 2020\n        remove: true\n")))
    output = plan.metric("output")
    assert [t.year for t in output.targets] == [2025]
    assert output.target(2020) is None
    assert plan.metric("energy").target(2020) is not None


def test_removing_a_project_metric_a_sector_and_a_goal_area(tmp_path: Path) -> None:
    plan = load_plan(region(tmp_path, (
        "projects:\n  - id: build\n    metrics:\n      - id: bridges\n        remove: true\n"
        "sectors:\n  - {id: chips, remove: true}\n"
        "goal_areas:\n  - id: green\n    remove: true\n"
        "indicators:\n  - id: energy\n    goal_area: growth\n")))
    assert [m.id for m in plan.projects[0].metrics] == ["buildings"]
    assert [s.id for s in plan.sectors] == ["ships"]
    assert [g.id for g in plan.goal_areas] == ["growth"]
    assert plan.metric("energy").goal_area == "growth"  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        plan.metric("bridges")


def test_removing_and_changing_entries_of_the_same_list(tmp_path: Path) -> None:
    plan = load_plan(region(tmp_path, (
        "indicators:\n  - id: output\n    targets:\n      - year: 2025\n"
        "        text: {zh: 三, en: three}\n"
        "      - year: 2020\n        remove: true\n"
        "tasks:\n  - id: save\n    remove: true\n")))
    assert [(t.year, t.value, t.text.en) for t in plan.metric("output").targets] == [
        (2025, 3.0, "three")]
    assert [t.id for t in plan.tasks] == ["grow"]


def test_merge_function_applies_removals() -> None:
    base = {"a": [{"id": "x", "v": 1}, {"id": "y", "v": 2}], "t": [{"year": 2020}, {"year": 2025}]}
    out = merge(base, {"a": [{"id": "x", "remove": True}], "t": [{"year": 2025, "remove": True}]})
    assert out == {"a": [{"id": "y", "v": 2}], "t": [{"year": 2020}]}
    assert base["a"][0] == {"id": "x", "v": 1}  # the base is left alone
    with pytest.raises(PlanError, match="cannot remove"):
        merge(base, {"a": [{"id": "z", "remove": True}]})


# --------------------------------------------------------------------------- refused removals


def test_removing_an_unknown_id_names_the_child_line(tmp_path: Path) -> None:
    body = "indicators:\n  - id: outptu\n    remove: true\n"
    path = region(tmp_path, body)
    problems = refuse(path)
    text = HEAD + body
    one(problems, f"{path}:line {line_of(text, '- id: outptu')}: indicators.0.id: ",
        "cannot remove indicator 'outptu'", str(tmp_path / "national.yaml"),
        "it has: output, energy")
    assert len(problems) == 1


def test_removing_an_unknown_target_year(tmp_path: Path) -> None:
    body = "indicators:\n  - id: energy\n    targets:\n      - year: 2025\n        remove: true\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, '- year: 2025')}: "
                      "indicators.0.targets.0.year: ",
        "cannot remove target 2025", "indicator 'energy'", "it has: 2020")


def test_remove_with_other_fields_is_refused(tmp_path: Path) -> None:
    body = ("indicators:\n  - id: energy\n    unit: index\n    remove: true\n"
            "    note: {zh: 删, en: gone}\n")
    path = region(tmp_path, body)
    problems = refuse(path)
    one(problems, f"{path}:line {line_of(HEAD + body, 'remove: true')}: indicators.0.remove: ",
        "takes no other fields", "unit, note")
    assert len(problems) == 1  # nothing was removed, so nothing dangles


@pytest.mark.parametrize("flag", ["false", "'true'", "1", "null", "drop"])
def test_remove_must_be_true(tmp_path: Path, flag: str) -> None:
    body = f"indicators:\n  - id: energy\n    remove: {flag}\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'remove:')}: indicators.0.remove: ",
        "write `remove: true`")


def test_remove_without_an_id(tmp_path: Path) -> None:
    body = "indicators:\n  - remove: true\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'remove: true')}: indicators.0",
        "by its id")


def test_remove_in_a_plan_that_extends_nothing(tmp_path: Path) -> None:
    text = NATIONAL.replace("sectors:\n", "sectors:\n  - id: cars\n    remove: true\n")
    path = write(tmp_path, text, "alone.yaml")
    one(refuse(path), f"{path}:line {line_of(text, 'remove: true')}: sectors.0.remove: ",
        "extends no other plan")


def test_remove_inside_an_entry_new_in_this_plan(tmp_path: Path) -> None:
    body = ("sectors:\n  - id: cars\n    number: 3\n    name: {zh: 汽车, en: Cars}\n"
            "    fields:\n      - id: engines\n        remove: true\n")
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'remove: true')}: "
                      "sectors.0.fields.0.remove: ", "'cars' is new in this plan")


def test_remove_of_a_field_the_parent_does_not_have(tmp_path: Path) -> None:
    body = "series:\n  - id: capacity\n    remove: true\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'remove: true')}: series.0.remove: ",
        "has no series")


def test_remove_in_a_list_of_plain_ids(tmp_path: Path) -> None:
    body = "tasks:\n  - id: save\n    indicators:\n      - id: energy\n        remove: true\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'remove: true')}: "
                      "tasks.0.indicators.0.remove: ", "restate it in full")


def test_removed_and_restated_in_the_same_list(tmp_path: Path) -> None:
    body = ("sectors:\n  - id: chips\n    remove: true\n"
            "  - id: chips\n    name: {zh: 集成电路, en: ICs}\n")
    path = region(tmp_path, body)
    text = HEAD + body
    one(refuse(path), f"{path}:line {line_of(text, '- id: chips', 2)}: sectors.1.id: ",
        f"removed at line {line_of(text, '- id: chips')}")


def test_removing_the_same_entry_twice(tmp_path: Path) -> None:
    body = "sectors:\n  - {id: ships, remove: true}\n  - {id: ships, remove: true}\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'ships', 2)}: sectors.1.id: ",
        "sector 'ships' is removed at line")


# --------------------------------------------------------------------------- dangling references


def test_a_dangling_reference_names_the_removal_and_the_reference(tmp_path: Path) -> None:
    body = "indicators:\n  - id: energy\n    remove: true\n"
    path = region(tmp_path, body)
    problems = refuse(path)
    national = tmp_path / "national.yaml"
    ref_line = line_of(NATIONAL, "indicators: [energy]")
    one(problems, f"{path}:line {line_of(HEAD + body, '- id: energy')}: indicators.0: ",
        "removing indicator 'energy' leaves a dangling reference",
        f"{national}:line {ref_line}: tasks.1.indicators.0: ",
        "task 'save' names unknown indicator 'energy'")
    assert len(problems) == 1


def test_every_dangling_reference_of_a_removed_project_is_named(tmp_path: Path) -> None:
    national = NATIONAL.replace("    metric: output\n    target_year: 2025\n",
                                "    metric: buildings\n    target_year: 2020\n").replace(
        "    old_value: 2.5\n    new_value: 3.0\n", "    old_value: 8\n    new_value: 10\n")
    body = "projects:\n  - id: build\n    remove: true\n"
    path = region(tmp_path, body, national)
    problems = refuse(path)
    nat = tmp_path / "national.yaml"
    at = f"{path}:line {line_of(HEAD + body, '- id: build')}: projects.0: "
    one(problems, at + "removing project 'build' leaves",
        f"{nat}:line {line_of(national, 'projects: [build]')}: tasks.0.projects.0",
        "names unknown project 'build'")
    one(problems, at + "removing project 'build' (and with it metric 'buildings' of project "
        "'build') leaves", f"{nat}:line {line_of(national, 'metric: buildings')}: "
        "adjustments.0.metric", "names unknown metric 'buildings'")
    assert len(problems) == 2


def test_removing_a_target_an_adjustment_names(tmp_path: Path) -> None:
    body = "indicators:\n  - id: output\n    targets:\n      - year: 2025\n        remove: true\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, '- year: 2025')}: "
                      "indicators.0.targets.0: ",
        "removing target 2025 of indicator 'output' leaves a dangling reference",
        f"{tmp_path / 'national.yaml'}:line {line_of(NATIONAL, 'target_year: 2025')}",
        "adjustments.0.target_year")


def test_removing_a_goal_area_an_indicator_names(tmp_path: Path) -> None:
    body = "goal_areas:\n  - id: green\n    remove: true\n"
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, '- id: green')}: goal_areas.0: ",
        "removing goal area 'green'", f"{line_of(NATIONAL, 'goal_area: green')}: "
        "indicators.1.goal_area", "names goal area 'green'")


def test_a_reference_restated_in_the_same_file_as_the_removal(tmp_path: Path) -> None:
    body = ("indicators:\n  - id: energy\n    remove: true\n"
            "tasks:\n  - id: save\n    indicators: [energy]\n")
    path = region(tmp_path, body)
    text = HEAD + body
    one(refuse(path), f"{path}:line {line_of(text, 'indicators: [energy]')}: "
                      "tasks.0.indicators.0: ",
        "names unknown indicator 'energy'", f"{path}:line {line_of(text, '- id: energy')} "
        "removes indicator 'energy'")


# --------------------------------------------------------------------------- three levels


MIDDLE = ("schema_version: 1\nextends: national.yaml\nid: middle\n"
          "indicators:\n  - id: energy\n    remove: true\n"
          "tasks:\n  - id: save\n    indicators: []\n")


def three_levels(tmp_path: Path, leaf_body: str) -> Path:
    write(tmp_path, NATIONAL, "national.yaml")
    write(tmp_path, MIDDLE, "middle.yaml")
    return write(tmp_path, "schema_version: 1\nextends: middle.yaml\nid: leaf\n" + leaf_body,
                 "leaf.yaml")


def test_a_removal_in_the_middle_level_is_inherited(tmp_path: Path) -> None:
    plan = load_plan(three_levels(tmp_path, (
        "indicators:\n  - id: output\n    targets:\n      - year: 2020\n        value: 2.5\n")))
    assert [i.id for i in plan.indicators] == ["output"]
    assert plan.metric("output").target(2020).value == 2.5  # type: ignore[union-attr]
    assert plan.extends == "middle.yaml"


def test_the_leaf_may_remove_what_the_middle_kept(tmp_path: Path) -> None:
    plan = load_plan(three_levels(tmp_path, "sectors:\n  - {id: ships, remove: true}\n"))
    assert [s.id for s in plan.sectors] == ["chips"]
    assert [i.id for i in plan.indicators] == ["output"]


def test_removing_again_what_the_middle_removed(tmp_path: Path) -> None:
    path = three_levels(tmp_path, "indicators:\n  - id: energy\n    remove: true\n")
    one(refuse(path), f"{path}:line 5: indicators.0.id: ",
        "cannot remove indicator 'energy'",
        f"{tmp_path / 'middle.yaml'}:line {line_of(MIDDLE, '- id: energy')} removes it")


def test_a_leaf_naming_what_the_middle_removed(tmp_path: Path) -> None:
    body = "tasks:\n  - id: grow\n    indicators: [output, energy]\n"
    path = three_levels(tmp_path, body)
    one(refuse(path), f"{path}:line 6: tasks.0.indicators.1: ",
        "names unknown indicator 'energy'",
        f"{tmp_path / 'middle.yaml'}:line {line_of(MIDDLE, '- id: energy')} removes "
        "indicator 'energy'")


def test_the_leaf_may_add_back_in_full_what_the_middle_removed(tmp_path: Path) -> None:
    energy = NATIONAL[NATIONAL.index("  - id: energy\n"):NATIONAL.index("projects:\n")]
    plan = load_plan(three_levels(tmp_path, "indicators:\n" + energy))
    nat = load_plan(tmp_path / "national.yaml")
    assert plan.indicators == nat.indicators


def test_a_broken_removal_in_the_middle_level_is_reported_at_the_middle(tmp_path: Path) -> None:
    write(tmp_path, NATIONAL, "national.yaml")
    middle = "schema_version: 1\nextends: national.yaml\nid: middle\nsectors:\n  - id: planes\n" \
             "    remove: true\n"
    write(tmp_path, middle, "middle.yaml")
    leaf = write(tmp_path, "schema_version: 1\nextends: middle.yaml\nid: leaf\n", "leaf.yaml")
    one(refuse(leaf), f"{tmp_path / 'middle.yaml'}:line 5: sectors.0.id: ",
        "cannot remove sector 'planes'")


# --------------------------------------------------------------------------- where errors point


def test_an_error_in_an_inherited_field_names_the_parent(tmp_path: Path) -> None:
    national = NATIONAL.replace("        value: 10\n", "        value: ten\n")
    path = region(tmp_path, "sectors:\n  - id: ships\n    name: {zh: 海工, en: Offshore}\n",
                  national)
    problems = refuse(path)
    nat = tmp_path / "national.yaml"
    one(problems, f"{nat}:line {line_of(national, 'value: ten')}: "
                  "projects.0.metrics.0.targets.0.value: ", "number")
    assert not any(p.startswith(str(path)) for p in problems)


def test_an_error_in_an_overridden_field_names_the_child(tmp_path: Path) -> None:
    body = "indicators:\n  - id: energy\n    targets:\n      - year: 2020\n        value: less\n"
    path = region(tmp_path, body)
    problems = refuse(path)
    one(problems, f"{path}:line {line_of(HEAD + body, 'value: less')}: "
                  "indicators.0.targets.0.value: ", "number")
    assert len(problems) == 1


def test_an_inherited_error_after_a_removal_uses_the_parents_own_path(tmp_path: Path) -> None:
    # removing `output` moves `energy` to position 0 of the merged plan; the error still
    # names national.yaml's own field path, indicators.1, at its own line
    national = NATIONAL.replace("    direction: decrease\n", "    direction: down\n")
    body = ("indicators:\n  - id: output\n    remove: true\n"
            "tasks:\n  - id: grow\n    indicators: []\n"
            "adjustments:\n  - id: adj1\n    remove: true\n")
    path = region(tmp_path, body, national)
    problems = refuse(path)
    one(problems, f"{tmp_path / 'national.yaml'}:line {line_of(national, 'direction: down')}: "
                  "indicators.1.direction: ", "'increase' or 'decrease'")
    assert len(problems) == 1


def test_an_error_in_an_entry_the_child_adds_uses_the_childs_path(tmp_path: Path) -> None:
    body = ("goal_areas:\n  - id: growth\n    name: {zh: 增长, en: Growth}\n"
            "  - id: open\n    name: {zh: 开放}\n")
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'name: {zh: 开放}')}: "
                      "goal_areas.1.name.en: ", "Field required")


def test_a_combination_error_names_the_child_and_the_parent(tmp_path: Path) -> None:
    # the child makes an inherited level target a change against a base year it never states
    body = "indicators:\n  - id: output\n    targets:\n      - year: 2020\n" \
           "        kind: change_pp\n"
    path = region(tmp_path, body)
    nat = tmp_path / "national.yaml"
    one(refuse(path), f"{path}:line {line_of(HEAD + body, '- year: 2020')}: "
                      "indicators.0.targets.0: ", "a change_pp target needs base_year",
        f"see also {nat}:line {line_of(NATIONAL, '- year: 2020')}: indicators.0.targets.0")


def test_a_child_target_that_disagrees_with_a_parent_adjustment(tmp_path: Path) -> None:
    body = "indicators:\n  - id: output\n    targets:\n      - year: 2025\n        value: 3.5\n"
    path = region(tmp_path, body)
    nat = tmp_path / "national.yaml"
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'value: 3.5')}: "
                      "indicators.0.targets.0.value: ",
        "adjustment 'adj1' records 3 but the 2025 target of 'output' is 3.5",
        f"see also {nat}:line {line_of(NATIONAL, 'new_value: 3.0')}: adjustments.0.new_value")


def test_a_child_adjustment_that_disagrees_with_a_parent_target(tmp_path: Path) -> None:
    body = ("adjustments:\n  - id: adj2\n    metric: energy\n    target_year: 2020\n"
            "    old_value: -18\n    new_value: -20\n    reason: r\n    decided_by: d\n"
            "    decided_on: 2022-01-01\n")
    path = region(tmp_path, body)
    nat = tmp_path / "national.yaml"
    one(refuse(path), f"{path}:line {line_of(HEAD + body, 'new_value: -20')}: "
                      "adjustments.0.new_value: ", "records -20",
        f"see also {nat}:line {line_of(NATIONAL, 'value: -18')}: indicators.1.targets.0.value")


def test_a_child_metric_id_clashing_with_an_inherited_one(tmp_path: Path) -> None:
    body = ("series:\n  - id: output\n    name: {zh: 产出, en: Output}\n    unit: \"%\"\n"
            "    direction: increase\n")
    path = region(tmp_path, body)
    one(refuse(path), f"{path}:line {line_of(HEAD + body, '- id: output')}: series.0.id: ",
        "metric id 'output' is used twice",
        f"{tmp_path / 'national.yaml'}:line {line_of(NATIONAL, '- id: output')}: indicators.0.id")


def test_merge_and_validation_problems_are_reported_together(tmp_path: Path) -> None:
    body = ("sectors:\n  - id: planes\n    remove: true\n"
            "indicators:\n  - id: energy\n    direction: sideways\n")
    path = region(tmp_path, body)
    fields = {p.split(": ")[1] for p in refuse(path)}
    assert fields == {"sectors.0.id", "indicators.0.direction"}


def test_an_unknown_parent_names_the_extends_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema_version: 1\nid: r\nextends: nowhere\n", "r.yaml")
    with pytest.raises(PlanError, match=rf"{path}:line 3: extends: 'nowhere' is neither"):
        load_plan(path)


# --------------------------------------------------------------------------- the bundled example


def test_the_city_example_removes_three_entries_of_the_guangdong_example() -> None:
    city = load_plan(EXAMPLES / "city_removal_example.yaml")
    gd = load_plan(EXAMPLES / "guangdong_example.yaml")
    assert city.example and city.extends == "guangdong_example.yaml"
    assert [i.id for i in gd.indicators if i.id not in {i.id for i in city.indicators}] == [
        "water_intensity_reduction"]
    assert [t.year for t in city.metric("labour_productivity_growth").targets] == [2020]
    assert city.metric("labour_productivity_growth").target(2020) == gd.metric(
        "labour_productivity_growth").target(2020)
    green = next(p for p in city.projects if p.id == "green_manufacturing_project")
    assert [m.id for m in green.metrics] == ["green_factories", "pollutant_intensity_reduction"]
    # everything else is the province's, which keeps its own overrides of the national plan
    assert city.metric("rd_intensity") == gd.metric("rd_intensity")
    assert city.sectors == gd.sectors
    assert [t for t in city.tasks if t.id != "green_manufacturing"] == [
        t for t in gd.tasks if t.id != "green_manufacturing"]
