"""An index whose indicators are plan metrics, filled from the evidence store.

The definition says ``metric: <id>`` and nothing else about an indicator: its name, unit and
direction come from the plan, and :func:`mic2025.composite.evidence.indicator_table` reads
its figures from the store, choosing per area the figure the evaluation would. Run on every
store backend (SQLite always, PostgreSQL under ``scripts/with-postgres.sh``).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.composite import indices
from mic2025.composite.errors import CompositeError
from mic2025.composite.evidence import indicator_table
from mic2025.composite.framework import Framework
from mic2025.composite.pipeline import run_pipeline
from mic2025.composite.report import render_report
from mic2025.permissions import SYSTEM
from mic2025.plan import Plan, load_plan
from mic2025.services.imports import import_rows
from mic2025.store import Store, open_store
from store_fixtures import BACKENDS, StoreTemplates, fresh_url, row

AREAS = ("110000", "310000", "320000", "440000", "510000")
#: per area: R&D intensity (%), patents per 100m yuan, energy intensity decline since 2015 (%)
FIGURES = {
    "110000": (2.1, 1.9, 30.0),
    "310000": (1.8, 1.4, 25.0),
    "320000": (1.6, None, 20.0),  # no patent figure for 2024: a missing cell
    "440000": (1.9, 1.6, 15.0),
    "510000": (1.2, 0.8, 10.0),
}

METRIC_YAML = """\
name: {zh: 测试指数, en: Test index}
indicators:
  - {metric: rd_intensity, parent: innovation}
  - {metric: patents_per_100m_revenue, parent: innovation}
  - {metric: energy_intensity_reduction, parent: green}
aggregates:
  - {code: innovation, name: Innovation, parent: Index}
  - {code: green, name: Green, parent: Index}
  - {code: Index, name: Index}
pipeline:
  - {step: normalise, method: minmax, l: 0, u: 100}
  - {step: aggregate, method: amean}
"""

#: the same index restated by hand: names, units and directions written out
HAND_YAML = """\
name: {zh: 测试指数, en: Test index}
data: hand.csv
indicators:
  - {code: rd_intensity, name: R&D, parent: innovation, direction: 1, unit: "%"}
  - {code: patents_per_100m_revenue, name: Patents, parent: innovation, direction: 1}
  - {code: energy_intensity_reduction, name: Energy, parent: green, direction: -1}
aggregates:
  - {code: innovation, name: Innovation, parent: Index}
  - {code: green, name: Green, parent: Index}
  - {code: Index, name: Index}
pipeline:
  - {step: normalise, method: minmax, l: 0, u: 100}
  - {step: aggregate, method: amean}
"""


def _rows() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for area, (rd, patents, energy) in FIGURES.items():
        out.append(row(indicator="rd_intensity", area=area, year=2024, value=rd, unit="%",
                       scope="规模以上制造业", source="provincial bureau"))
        if patents is not None:
            out.append(row(indicator="patents_per_100m_revenue", area=area, year=2024,
                           value=patents, unit="count/100m_yuan", source="provincial bureau"))
        out.append(row(indicator="energy_intensity_reduction", area=area, year=2024,
                       value=energy, unit="decline%vs:2015", scope="规模以上工业",
                       source="provincial bureau"))
    # what the evaluation would not use: a scope the plan does not accept, a part-year
    # figure, another year
    out.append(row(indicator="rd_intensity", area="110000", year=2024, value=9.9, unit="%",
                   scope="高技术制造业", source="other"))
    out.append(row(indicator="patents_per_100m_revenue", area="320000", year=2024,
                   period="2024-Q2", value=0.7, unit="count/100m_yuan", source="half-year"))
    out.append(row(indicator="patents_per_100m_revenue", area="320000", year=2023,
                   value=1.5, unit="count/100m_yuan", source="provincial bureau"))
    return out


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path, plan: Plan,
              store_templates: StoreTemplates) -> Iterator[str]:
    with fresh_url(request.param, tmp_path) as url:
        store_templates.migrate_into(url)
        store = open_store(url)
        try:
            import_rows(store, SYSTEM, _rows(), plan, source_name="provinces.csv")
        finally:
            store.close()
        yield url


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_metric_indicators_take_name_unit_and_direction_from_the_plan(
        tmp_path: Path, plan: Plan) -> None:
    fw = Framework.from_yaml(_write(tmp_path, "index.yaml", METRIC_YAML), plan)
    energy = fw.element("energy_intensity_reduction")
    metric = plan.metric("energy_intensity_reduction")
    assert metric.direction == "decrease" and energy.direction == -1
    assert energy.metric == metric.id and energy.unit == metric.unit == "index"
    assert energy.labels == {"zh": metric.name.zh, "en": metric.name.en}
    assert fw.element("rd_intensity").direction == 1
    # written back, it stays a reference to the plan
    item = fw.to_yaml_dict()["indicators"][2]
    assert item["metric"] == "energy_intensity_reduction"
    assert not {"name", "unit", "direction"} & set(item)


def test_the_index_from_the_store_equals_the_index_from_the_same_table_by_hand(
        store: Store, tmp_path: Path, plan: Plan) -> None:
    fw = Framework.from_yaml(_write(tmp_path, "index.yaml", METRIC_YAML), plan)
    evidence = indicator_table(store, plan, fw, None, 2024)
    assert evidence.table.units == AREAS
    assert evidence.measures["energy_intensity_reduction"] == "index"
    # the headline figures: the accepted scope, the full year, the decline as an index
    assert evidence.table.get("110000", "rd_intensity") == 2.1
    assert evidence.table.get("110000", "energy_intensity_reduction") == pytest.approx(70.0)
    assert evidence.cells[("110000", "rd_intensity")].scope == "规模以上制造业"
    from_store = run_pipeline(evidence.framework(fw))

    lines = ["uCode,uName,rd_intensity,patents_per_100m_revenue,energy_intensity_reduction"]
    for area, (rd, patents, energy) in FIGURES.items():
        cell = "" if patents is None else str(patents)
        lines.append(f"{area},{area},{rd},{cell},{100 - energy}")
    _write(tmp_path, "hand.csv", "\n".join(lines) + "\n")
    by_hand = run_pipeline(Framework.from_yaml(_write(tmp_path, "hand.yaml", HAND_YAML)))

    for name in ("Raw", "Normalised", "Aggregated"):
        a, b = from_store.dsets[name], by_hand.dsets[name]
        assert a.units == b.units and a.columns == b.columns
        np.testing.assert_allclose(a.values, b.values, rtol=0, atol=1e-12, equal_nan=True)
    assert from_store.results().ranks.column("Index").tolist() == \
        by_hand.results().ranks.column("Index").tolist()


def test_a_decrease_metric_is_inverted_without_the_definition_saying_so(
        store: Store, tmp_path: Path, plan: Plan) -> None:
    fw = Framework.from_yaml(_write(tmp_path, "index.yaml", METRIC_YAML), plan)
    build = run_pipeline(indicator_table(store, plan, fw, None, 2024).framework(fw))
    normalised = build.dsets["Normalised"]
    # Beijing cut its energy intensity most (index 70, the lowest): the best score
    assert normalised.get("110000", "energy_intensity_reduction") == 100.0
    assert normalised.get("510000", "energy_intensity_reduction") == 0.0


def test_a_missing_figure_is_a_missing_cell_that_the_build_handles_and_names(
        store: Store, tmp_path: Path, plan: Plan) -> None:
    fw = Framework.from_yaml(_write(tmp_path, "index.yaml", METRIC_YAML), plan)
    evidence = indicator_table(store, plan, fw, None, 2024)
    assert np.isnan(evidence.table.get("320000", "patents_per_100m_revenue"))
    # the part-year figure and the figure of 2023 do not fill the cell, and the note says so
    assert evidence.missing == (
        "320000 patents_per_100m_revenue (patents_per_100m_revenue) 2024: only a part-year "
        "figure (2024-Q2)",)
    framed = evidence.framework(fw)
    assert framed.about["missing_cells"] == list(evidence.missing)
    # aggregation re-weights over the members present: Jiangsu's innovation = its R&D score
    build = run_pipeline(framed)
    agg = build.dsets["Aggregated"]
    assert agg.get("320000", "innovation") == build.dsets["Normalised"].get("320000",
                                                                          "rd_intensity")
    assert not np.isnan(build.results().scores.column("Index")).any()
    # and the report lists it, as text
    assert f"<td>{evidence.missing[0]}</td>" in render_report(build)
    # an impute step fills it, with the mean of the other provinces
    imputed = run_pipeline(framed, [{"step": "impute", "method": "mean"},
                                    *[{"step": s.step, **s.params} for s in fw.pipeline]])
    assert imputed.dsets["Imputed"].get("320000", "patents_per_100m_revenue") == \
        pytest.approx(np.mean([1.9, 1.4, 1.6, 0.8]))


def test_areas_as_of_and_observations_read_without_a_store(
        store: Store, tmp_path: Path, plan: Plan) -> None:
    fw = Framework.from_yaml(_write(tmp_path, "index.yaml", METRIC_YAML), plan)
    first = store.vintages()[-1].created_at
    import_rows(store, SYSTEM, [row(indicator="rd_intensity", area="110000", year=2024, value=2.3,
                            unit="%", scope="规模以上制造业", source="provincial bureau")],
                plan, source_name="revision.csv")
    assert indicator_table(store, plan, fw, None, 2024).table.get("110000",
                                                                  "rd_intensity") == 2.3
    before = indicator_table(store, plan, fw, ["440000", "110000"], 2024, as_of=first)
    assert before.table.units == ("440000", "110000")
    assert before.unit_names == ("Guangdong 广东省", "Beijing 北京市")
    assert before.table.get("110000", "rd_intensity") == 2.1
    listed = indicator_table(store.observations(as_of=first), plan, fw, ["440000", "110000"],
                             2024)
    np.testing.assert_array_equal(listed.table.values, before.table.values)
    with pytest.raises(CompositeError, match="no figure for 2019"):
        indicator_table(store, plan, fw, None, 2019)
    # 2023: only Jiangsu's patents; no province has the other two, which nothing can make up
    with pytest.raises(CompositeError, match=r"no area has a figure for 2023 of rd_intensity "
                       r"\(rd_intensity\), energy_intensity_reduction"):
        indicator_table(store, plan, fw, None, 2023)


def test_an_unknown_metric_is_an_error_naming_file_and_line(tmp_path: Path, plan: Plan) -> None:
    path = _write(tmp_path, "bad.yaml", METRIC_YAML.replace(
        "  - {metric: patents_per_100m_revenue, parent: innovation}",
        "  - code: patents\n    parent: innovation\n    metric: patents_per_100m_revnue"))
    with pytest.raises(CompositeError) as err:
        Framework.from_yaml(path, plan)
    text = str(err.value)
    assert f"{path}, indicators[2], line 6, field 'metric': 'patents_per_100m_revnue' is " \
        "not a metric of plan 'mic2025'; did you mean 'patents_per_100m_revenue'?" in text


def test_a_metric_indicator_restating_the_plan_is_refused(tmp_path: Path, plan: Plan) -> None:
    path = _write(tmp_path, "restated.yaml", METRIC_YAML.replace(
        "{metric: energy_intensity_reduction, parent: green}",
        "{metric: energy_intensity_reduction, parent: green, direction: 1}"))
    with pytest.raises(CompositeError, match=r"indicators\[3\], line 5, field 'direction': "
                                             "comes from plan metric"):
        Framework.from_yaml(path, plan)


def test_an_indicator_that_is_not_a_metric_cannot_come_from_the_store(
        store: Store, tmp_path: Path, plan: Plan) -> None:
    _write(tmp_path, "hand.csv", "uCode,rd_intensity,patents_per_100m_revenue,"
                                 "energy_intensity_reduction\n")
    fw = Framework.from_yaml(_write(tmp_path, "hand.yaml", HAND_YAML))
    with pytest.raises(CompositeError) as err:
        indicator_table(store, plan, fw, None, 2024)
    assert "indicator 'rd_intensity' is not a plan metric" in str(err.value.problems)


def test_the_provincial_index_is_built_from_the_plans_metrics() -> None:
    fw = indices.load("provincial_mic2025")
    assert all(fw.element(c).metric == c for c in fw.indicators)
    assert [c for c in fw.indicators if fw.element(c).direction == -1] == [
        "energy_intensity_reduction", "co2_intensity_reduction", "water_intensity_reduction"]


#: figures of the provincial index's other metrics, a little higher in each next province
OTHERS = [("value_added_rate", "%", 21.0), ("digital_design_tools", "%", 80.0),
          ("key_process_nc_rate", "%", 55.0), ("co2_intensity_reduction", "decline%vs:2015", 20.0),
          ("water_intensity_reduction", "decline%vs:2015", 25.0),
          ("solid_waste_utilization", "%", 60.0)]


def test_index_build_from_the_store(store_url: str, tmp_path: Path, plan: Plan) -> None:
    store = open_store(store_url)
    try:
        import_rows(store, SYSTEM, [row(indicator=m, area=a, year=2024, value=v + i, unit=u)
                            for m, u, v in OTHERS for i, a in enumerate(AREAS)], plan,
                    source_name="more.csv")
    finally:
        store.close()
    runner = CliRunner()
    args = ["index", "build", "provincial_mic2025", "--from-store", "--year", "2024",
            "--db", store_url, "--format", "json"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["year"] == 2024 and doc["plan"] == "mic2025"
    # the bundled national figures are in the store too, but the nation is not a unit
    assert sorted(r["uCode"] for r in doc["rows"]) == sorted(AREAS)
    assert doc["missing_cells"] == ["320000 patents_per_100m_revenue "
                                    "(patents_per_100m_revenue) 2024: only a part-year figure "
                                    "(2024-Q2)"]
    assert "note: 1 cell(s) have no figure and stay missing" in result.stderr
    assert "320000 patents_per_100m_revenue" in result.stderr
    assert sorted(r["Rank"] for r in doc["rows"]) == [1, 2, 3, 4, 5]
    by_area = {r["uCode"]: r for r in doc["rows"]}
    assert by_area["110000"]["rd_intensity"] == 100.0  # the highest R&D intensity
    assert by_area["110000"]["energy_intensity_reduction"] == 100.0  # the largest cut

    chosen = runner.invoke(main, [*args[:-2], "--areas", "510000,110000"])
    assert chosen.exit_code == 0, chosen.output
    assert sorted(line.split(",")[0] for line in chosen.stdout.splitlines()[1:]) == \
        ["110000", "510000"]

    misuse = runner.invoke(main, ["index", "build", "provincial_mic2025", "--year", "2024"])
    assert misuse.exit_code == 2 and "only with --from-store" in misuse.output
    no_year = runner.invoke(main, ["index", "build", "provincial_mic2025", "--from-store"])
    assert no_year.exit_code == 2 and "--from-store needs --year" in no_year.output
    bad = _write(tmp_path, "bad.yaml", METRIC_YAML.replace("rd_intensity", "rd_intensty"))
    unknown = runner.invoke(main, ["index", "build", str(bad), "--from-store", "--year",
                                   "2024", "--db", store_url])
    assert unknown.exit_code == 2
    assert f"{bad}, indicators[1], line 3, field 'metric': 'rd_intensty'" in unknown.stderr
    empty = runner.invoke(main, ["index", "build", "provincial_mic2025", "--from-store", "--year",
                                 "2023", "--db", store_url])
    assert empty.exit_code == 2 and "no area has a figure for 2023" in empty.stderr
