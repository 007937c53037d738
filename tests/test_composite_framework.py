"""The index framework: COINr tables, YAML, validation messages, and the pipeline spec."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import yaml

from mic2025.composite import CompositeError, Framework, run_pipeline
from mic2025.errors import Mic2025Error

META_HEADER = ["Level", "iCode", "iName", "Direction", "Weight", "Unit", "Target",
               "Denominator", "Parent", "Type"]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def small_meta() -> list[list[object]]:
    return [
        [1, "A", "Ind A", 1, 1, "", "", "Pop", "P1", "Indicator"],
        [1, "B", "Ind B", -1, 2, "", 5, "", "P1", "Indicator"],
        [1, "C", "Ind C", 1, 1, "", "", "", "P2", "Indicator"],
        [2, "P1", "Pillar 1", 1, 1, "", "", "", "Top", "Aggregate"],
        [2, "P2", "Pillar 2", 1, 1, "", "", "", "Top", "Aggregate"],
        [3, "Top", "Index", 1, 1, "", "", "", "", "Aggregate"],
        ["", "Region", "Region", "", "", "", "", "", "", "Group"],
        ["", "Pop", "Population", "", "", "", "", "", "", "Denominator"],
    ]


def small_data() -> tuple[list[str], list[list[object]]]:
    header = ["uCode", "uName", "Region", "Pop", "A", "B", "C"]
    rows: list[list[object]] = [
        ["U1", "Unit one", "N", 10, 1.0, 4.0, 7.0],
        ["U2", "Unit two", "N", 20, 2.0, "", 8.0],
        ["U3", "Unit three", "S", 30, 3.0, 6.0, 9.0],
        ["U4", "Unit four", "S", 40, 5.0, 2.0, 1.0],
    ]
    return header, rows


def build(tmp_path: Path, meta=None, data=None) -> Framework:  # type: ignore[no-untyped-def]
    header, rows = small_data() if data is None else data
    idata = write_csv(tmp_path / "iData.csv", header, rows)
    imeta = write_csv(tmp_path / "iMeta.csv", META_HEADER, small_meta() if meta is None else meta)
    return Framework.from_coinr(idata, imeta)


def test_small_framework_is_read(tmp_path: Path) -> None:
    fw = build(tmp_path)
    assert fw.indicators == ("A", "B", "C")
    assert fw.aggregates == ("P1", "P2", "Top")
    assert fw.n_levels == 3
    assert fw.children("P1") == ("A", "B")
    assert fw.descendants("Top") == ("A", "B", "C")
    assert fw.element("B").direction == -1 and fw.element("B").target == 5.0
    assert fw.element("A").denominator == "Pop"
    assert fw.groups["Region"] == ("N", "N", "S", "S")
    assert np.isnan(fw.data.get("U2", "B"))
    assert fw.unit_name("U3") == "Unit three"


def test_error_is_a_mic2025_error(tmp_path: Path) -> None:
    meta = small_meta()
    meta[0][8] = "Nowhere"
    with pytest.raises(Mic2025Error):
        build(tmp_path, meta=meta)


def test_unknown_parent_is_named(tmp_path: Path) -> None:
    meta = small_meta()
    meta[0][8] = "Nowhere"
    with pytest.raises(CompositeError) as exc:
        build(tmp_path, meta=meta)
    assert "iMeta.csv, row 2, column 'Parent': 'A' has unknown parent 'Nowhere'" in str(exc.value)


def test_cycle_is_reported(tmp_path: Path) -> None:
    meta = small_meta()
    meta[5][8] = "P1"  # Top -> P1 -> Top
    with pytest.raises(CompositeError) as exc:
        build(tmp_path, meta=meta)
    text = str(exc.value)
    assert "iMeta.csv, row " in text and "column 'Parent'" in text
    assert any(f"cycle in the tree: {c}" in text for c in ("P1 -> Top -> P1", "Top -> P1 -> Top"))


def test_indicator_without_data_column_is_named(tmp_path: Path) -> None:
    header, rows = small_data()
    header = header[:-1]
    rows = [r[:-1] for r in rows]
    with pytest.raises(CompositeError) as exc:
        build(tmp_path, data=(header, rows))
    assert "indicator 'C' has no data column" in str(exc.value)
    assert "iData.csv" in str(exc.value)


def test_non_numeric_value_names_file_row_and_column(tmp_path: Path) -> None:
    header, rows = small_data()
    rows[2][5] = "n/a?"
    with pytest.raises(CompositeError) as exc:
        build(tmp_path, data=(header, rows))
    message = str(exc.value)
    assert "iData.csv, row 4, column 'B'" in message
    assert "'n/a?'" in message


def test_bad_direction_type_and_duplicates_are_all_reported(tmp_path: Path) -> None:
    meta = small_meta()
    meta[0][3] = 2
    meta[2][9] = "Thing"
    meta.append([1, "A", "dup", 1, 1, "", "", "", "P1", "Indicator"])
    with pytest.raises(CompositeError) as exc:
        build(tmp_path, meta=meta)
    assert len(exc.value.problems) >= 3
    text = str(exc.value)
    assert "row 2, column 'Direction'" in text
    assert "row 4, column 'Type'" in text
    assert "duplicate 'A'" in text


def test_level_mismatch_and_undeclared_column(tmp_path: Path) -> None:
    meta = small_meta()
    meta[5][0] = 4
    header, rows = small_data()
    header.append("Extra")
    for r in rows:
        r.append(1)
    with pytest.raises(CompositeError) as exc:
        build(tmp_path, meta=meta, data=(header, rows))
    assert "expected level 3" in str(exc.value)
    assert "column 'Extra': column is not declared" in str(exc.value)


def test_duplicate_unit_code(tmp_path: Path) -> None:
    header, rows = small_data()
    rows[1][0] = "U1"
    with pytest.raises(CompositeError, match=r"row 3, column 'uCode': duplicate 'U1'"):
        build(tmp_path, data=(header, rows))


YAML_DOC = """
name: Small index
groups: [Region]
denominators:
  - {code: Pop, name: Population}
units:
  - {code: U1, groups: {Region: N}, denominators: {Pop: 10}, values: {A: 1, B: 4, C: 7}}
  - {code: U2, groups: {Region: N}, denominators: {Pop: 20}, values: {A: 2, C: 8}}
  - {code: U3, groups: {Region: S}, denominators: {Pop: 30}, values: {A: 3, B: 6, C: 9}}
  - {code: U4, groups: {Region: S}, denominators: {Pop: 40}, values: {A: 5, B: 2, C: 1}}
indicators:
  - {code: A, parent: P1, denominator: Pop}
  - {code: B, parent: P1, direction: -1, weight: 2, target: 5}
  - {code: C, parent: P2}
aggregates:
  - {code: P1, parent: Top}
  - {code: P2, parent: Top}
  - {code: Top, name: Index}
pipeline:
  - {step: denominate}
  - {step: impute, method: group_mean, group: Region}
  - {step: normalise, method: minmax, l: 0, u: 100}
  - {step: aggregate, method: amean}
"""


def test_yaml_and_coinr_forms_give_the_same_index(tmp_path: Path) -> None:
    path = tmp_path / "index.yaml"
    path.write_text(YAML_DOC, encoding="utf-8")
    from_yaml = Framework.from_yaml(path)
    assert from_yaml.n_levels == 3
    assert [s.step for s in from_yaml.pipeline] == ["denominate", "impute", "normalise",
                                                    "aggregate"]
    from_csv = build(tmp_path).with_pipeline(from_yaml.pipeline)
    a = run_pipeline(from_yaml).results()
    b = run_pipeline(from_csv).results()
    np.testing.assert_array_equal(a.scores.values, b.scores.values)
    assert a.ordered()[0][0] == b.ordered()[0][0]


def test_yaml_round_trip(tmp_path: Path) -> None:
    fw = build(tmp_path).with_pipeline([{"step": "normalise", "method": "zscore"},
                                        {"step": "aggregate", "method": "amean"}])
    path = tmp_path / "out.yaml"
    path.write_text(yaml.safe_dump(fw.to_yaml_dict()), encoding="utf-8")
    again = Framework.from_yaml(path)
    assert again.elements == fw.elements
    np.testing.assert_array_equal(again.data.values, fw.data.values)
    assert again.pipeline == fw.pipeline
    assert again.groups == fw.groups


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d["indicators"][0].update(parent="Nope"),
         "indicators[1], field 'parent': 'A' has unknown parent 'Nope'"),
        (lambda d: d["aggregates"][2].update(parent="P1"), "cycle in the tree"),
        (lambda d: d["indicators"][1].update(direction=0), "indicators[2], field 'direction'"),
        (lambda d: d["pipeline"].append({"step": "bake"}), "pipeline step 5: unknown step"),
        (lambda d: d["pipeline"][1].update(metod="mean"), "unknown parameter 'metod'"),
        (lambda d: d["units"][0]["values"].update(A="x"), "units[1], values.A"),
        (lambda d: d["indicators"][2].update(colour="red"), "unknown field 'colour'"),
        (lambda d: d.update(data="file.csv"), "exactly one of 'data'"),
    ],
)
def test_yaml_validation_messages(tmp_path: Path, edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    doc = yaml.safe_load(YAML_DOC)
    edit(doc)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(CompositeError) as exc:
        Framework.from_yaml(path)
    assert expected in str(exc.value)
    assert "bad.yaml" in str(exc.value)


def test_yaml_data_file_is_relative_to_the_yaml(tmp_path: Path) -> None:
    header, rows = small_data()
    write_csv(tmp_path / "units.csv", header, rows)
    doc = yaml.safe_load(YAML_DOC)
    del doc["units"]
    doc["data"] = "units.csv"
    path = tmp_path / "with_file.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    fw = Framework.from_yaml(path)
    assert fw.units == ("U1", "U2", "U3", "U4")
    assert fw.unit_name("U1") == "Unit one"
