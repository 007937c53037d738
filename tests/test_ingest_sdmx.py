"""Importing SDMX-CSV of the MIC2025 dataflow: round trips of the platform's export, and
hostile files refused with every problem's row and column and nothing stored."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from mic2025 import periods, sdmx_codes, units
from mic2025.catalogue import known_series
from mic2025.citation import Citation
from mic2025.cli import main
from mic2025.errors import ImportRejected, Problem
from mic2025.ingest import check_file, load_bundled
from mic2025.ingest import sdmx as reader
from mic2025.ingest.clean import Refused
from mic2025.ingest.limits import Limits
from mic2025.ingest.validate import metric_units
from mic2025.observation import Observation
from mic2025.permissions import SYSTEM
from mic2025.plan import Plan, load_plan
from mic2025.services.imports import import_file
from mic2025.store import Store, open_store
from mic2025.tabular import restore
from mic2025.web import exports
from store_fixtures import small_plan

PLAN = load_plan()
SMALL = small_plan()

#: what the round trip compares: every field of an observation (the SDMX-CSV export writes
#: them all; only the vintage is the exporting store's own)
EXPORTED = ("indicator", "area", "period", "value", "unit", "scope", "sector", "flags", "source",
            "citation", "quote", "note", "lower", "upper")

HEADER_2 = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "INDICATOR", "REF_AREA", "SECTOR", "SCOPE",
            "SOURCE", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS", "VINTAGE"]
HEADER_1 = ["DATAFLOW", *HEADER_2[3:]]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory,
            sqlite_copy: Callable[..., str]) -> tuple[list[Observation], str]:
    """The bundled evidence as a store holds it, and the platform's SDMX-CSV export of it."""
    with open_store(sqlite_copy(tmp_path_factory.mktemp("bundled") / "source.sqlite")) as source:
        observations = source.observations()
    return observations, exports.to_sdmx_csv(observations)


def sdmx_row(**cells: object) -> dict[str, object]:
    """One SDMX-CSV 2.0 row of the MIC2025 dataflow (keyword arguments override cells)."""
    base: dict[str, object] = {
        "STRUCTURE": "dataflow", "STRUCTURE_ID": sdmx_codes.DATAFLOW, "ACTION": "I",
        "INDICATOR": "rd_intensity", "REF_AREA": "000000", "SECTOR": "_T", "SCOPE": "_Z",
        "SOURCE": "NBS", "TIME_PERIOD": "2020", "OBS_VALUE": "2.4", "UNIT_MEASURE": "PCT",
        "OBS_STATUS": "", "VINTAGE": "1",
    }
    base.update(cells)
    base["DATAFLOW"] = base["STRUCTURE_ID"]
    return base


def write(path: Path, rows: Sequence[dict[str, object]], *, header: Sequence[str] = HEADER_2,
          delimiter: str = ",", newline: str = "\n", bom: bool = False) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    ids = [h.split("[")[0] for h in header]  # STRUCTURE[;] and OBS_STATUS[] hold the same cells
    for r in rows:
        writer.writerow(["" if r.get(i) is None else r.get(i) for i in ids])
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + out.getvalue().encode("utf-8"))
    return path


def refused(store: Store, path: Path, plan: Plan = SMALL) -> list[Problem]:
    """The problems of an import that must be refused, after checking nothing was stored."""
    with pytest.raises(ImportRejected) as info:
        import_file(store, SYSTEM, path, plan)
    assert store.counts() == {"vintages": 0, "observations": 0}
    assert store.vintages() == []
    return info.value.problems


def where(problems: Sequence[Problem]) -> set[tuple[int | None, str | None]]:
    return {(p.row, p.column) for p in problems}


def fields(o: Observation, names: Sequence[str]) -> tuple[object, ...]:
    return tuple(getattr(o, n) for n in names)


# ----------------------------------------------------------------- round trips


def test_the_platform_export_of_the_bundled_evidence_comes_back_equal(
        store: Store, tmp_path: Path, bundled: tuple[list[Observation], str]) -> None:
    observations, text = bundled
    path = tmp_path / "mic2025.sdmx.csv"
    path.write_text(text, encoding="utf-8")
    result = import_file(store, SYSTEM, path, PLAN)
    assert (result.rows_total, result.rows_new) == (len(observations), len(observations))
    got = {o.key: o for o in store.observations()}
    assert len(got) == len(observations) > 300
    for o in observations:
        assert fields(got[o.key], EXPORTED) == fields(o, EXPORTED), o.key
    # every kind of unit and period the bundle holds came back exactly
    assert {o.unit for o in got.values()} == {o.unit for o in observations}
    assert {"decline%vs:2015", "m3/10k_yuan", "%yoy", "count"} <= {o.unit for o in got.values()}
    assert {o.period.kind for o in got.values()} == {"year", "quarter", "month", "date"}
    # the same figures again under another name and with other vintage numbers: nothing new
    rows = list(csv.reader(io.StringIO(text)))
    vintage = rows[0].index("VINTAGE")
    assert {r[vintage] for r in rows[1:]} == {"1"}
    for r in rows[1:]:
        r[vintage] = "7"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    again = tmp_path / "again.sdmx.csv"
    again.write_text(out.getvalue(), encoding="utf-8")
    before = (store.counts(), store.vintages())
    result = import_file(store, SYSTEM, again, PLAN)
    assert result.unchanged and not result.already_imported
    assert result.rows_unchanged == len(observations)
    assert (store.counts(), store.vintages()) == before


def test_the_export_carries_source_date_quote_and_interval(
        tmp_path: Path, bundled: tuple[list[Observation], str]) -> None:
    observations, text = bundled
    # the bundle has all five, so the comparison below is not of empty fields only
    assert all(any(getattr(o, f) not in (None, "") for o in observations)
               for f in ("source_date", "quote", "note", "lower", "upper"))
    # and text the CSV writer must quote
    assert any('"' in o.quote for o in observations)
    assert any("," in o.quote for o in observations)
    path = tmp_path / "mic2025.sdmx.csv"
    path.write_text(text, encoding="utf-8")
    got = {o.key: o for o in check_file(path, PLAN)}
    assert [fields(got[o.key], EXPORTED) for o in observations] == \
        [fields(o, EXPORTED) for o in observations]
    header, *rows = csv.reader(io.StringIO(text))
    assert header[-10:] == ["QUOTE", "COMMENT_OBS", "LOWER_BOUND", "UPPER_BOUND", "PUBLISHER",
                            "PUBLICATION", "PUBLICATION_DATE", "LOCATOR", "RETRIEVED_FROM",
                            "GRADE"]
    for o, row in zip(observations, rows, strict=True):
        cells = dict(zip(header, row, strict=True))
        # absent is an empty cell; a date is ISO 8601; a bound reads back the same float
        assert cells["PUBLICATION_DATE"] == (o.source_date.isoformat() if o.source_date else "")
        assert cells["RETRIEVED_FROM"] == o.citation.retrieved_from
        # text as stored, but for the apostrophe of text starting with one (mic2025.tabular)
        assert (restore(cells["QUOTE"]), restore(cells["COMMENT_OBS"])) == (o.quote, o.note)
        for column, bound in (("LOWER_BOUND", o.lower), ("UPPER_BOUND", o.upper)):
            assert (float(cells[column]) if cells[column] else None) == bound


def test_an_export_imported_into_the_store_it_came_from_changes_nothing(
        store: Store, tmp_path: Path) -> None:
    load_bundled(store, PLAN)
    # a revision, so the current view is not simply the first vintage
    first = next(o for o in store.observations() if o.quote and o.source_date
                 and 1 < o.value < 50)
    revised = tmp_path / "revision.sdmx.csv"
    revised.write_text(exports.to_sdmx_csv([replace(first, value=first.value + 0.5, lower=None,
                                                    upper=None, note="revised")]),
                       encoding="utf-8")
    assert import_file(store, SYSTEM, revised, PLAN).rows_revised == 1
    current = store.observations()
    path = tmp_path / "own.sdmx.csv"
    path.write_text(exports.to_sdmx_csv(current), encoding="utf-8")
    before = (store.counts(), store.vintages(), current)
    result = import_file(store, SYSTEM, path, PLAN)
    assert result.unchanged and not result.already_imported and result.vintage is None
    assert (result.rows_total, result.rows_unchanged, result.rows_revised) == \
        (len(current), len(current), 0)
    assert (store.counts(), store.vintages(), store.observations()) == before


def test_text_and_numbers_come_back_exactly(tmp_path: Path) -> None:
    """What the bundle lacks: line breaks, formula-like text, doubles with 17 digits."""
    third = 1 / 3
    o = Observation(
        indicator="rd_intensity", area="000000", period=periods.parse("2020", None),
        value=third, unit="%", source='NBS, "公报"\n2021', flags=frozenset({"estimate", "proxy"}),
        citation=Citation(publication_date=date(2021, 2, 28), locator="=表2", grade="other_copy"),
        quote='=HYPERLINK("http://x"), 1/3',
        note="line one\r\nline two; -5 \u2014 @note", lower=0.1 + 0.2, upper=third + 1e-15)
    path = tmp_path / "exact.sdmx.csv"
    path.write_text(exports.to_sdmx_csv([o]), encoding="utf-8")
    (back,) = check_file(path, SMALL)
    assert fields(back, EXPORTED) == fields(o, EXPORTED)
    assert back.lower == 0.1 + 0.2 != 0.3 and back.upper != back.value  # not rounded


def test_the_http_export_of_a_platform_imports_into_another_store(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    from test_web_support import client, make_app

    app = make_app(sqlite_copy(tmp_path / "province.sqlite"))  # as the platform leaves it
    try:
        response = client(app).get("/api/export/sdmx-csv", params={"area": "000000"})
        assert response.status_code == 200
        exported = app.state.platform.store.observations(area="000000")
    finally:
        app.state.platform.close()
    path = tmp_path / "province.sdmx.csv"
    path.write_bytes(response.content)
    with open_store(sqlite_copy(tmp_path / "national.sqlite", evidence=False)) as national:
        import_file(national, SYSTEM, path, PLAN)
        got = {o.key: fields(o, EXPORTED) for o in national.observations()}
    assert got == {o.key: fields(o, EXPORTED) for o in exported}
    # a national store that already holds the province's figures (the bundled evidence,
    # loaded by its own vintage): nothing is revised, no vintage is written
    with open_store(sqlite_copy(tmp_path / "holding.sqlite")) as holding:
        before = (holding.counts(), holding.vintages(), holding.observations())
        result = import_file(holding, SYSTEM, path, PLAN)
        assert result.unchanged and not result.already_imported
        assert (result.rows_unchanged, result.rows_revised) == (len(exported), 0)
        assert (holding.counts(), holding.vintages(), holding.observations()) == before


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_sdmx_csv_written_by_another_sdmx_tool_imports(
        version: str, tmp_path: Path, bundled: tuple[list[Observation], str]) -> None:
    """sdmx1 reads the platform's export and writes it again as SDMX-CSV 1.0 or 2.0."""
    sdmx = pytest.importorskip("sdmx")
    pd = pytest.importorskip("pandas")
    from sdmx.format.csv import v1, v2
    from sdmx.model import common, v30

    observations, text = bundled
    agency = common.Agency(id=sdmx_codes.AGENCY)
    dsd = v30.DataStructureDefinition(id=sdmx_codes.DSD_ID, version=sdmx_codes.VERSION,
                                      maintainer=agency)
    for d in exports.SDMX_DIMENSIONS:
        dsd.dimensions.getdefault(d)
    dsd.measures.getdefault("OBS_VALUE")
    for a in exports.SDMX_ATTRIBUTES:
        dsd.attributes.getdefault(a)
    message = sdmx.read_sdmx(io.BytesIO(text.encode()), format="csv", structure=dsd)
    (dataset,) = message.data
    dataset.described_by = v30.Dataflow(id=sdmx_codes.DATAFLOW_ID, version=sdmx_codes.VERSION,
                                        maintainer=agency, structure=dsd)
    options = v1.FormatOptions() if version == "1.0" else v2.FormatOptions()
    frame = sdmx.to_csv(dataset, rtype=pd.DataFrame, format_options=options, attributes="o")
    path = tmp_path / f"sdmx1-{version}.csv"
    frame.to_csv(path, index=False)
    assert path.read_text(encoding="utf-8").startswith(
        "DATAFLOW," if version == "1.0" else "STRUCTURE,STRUCTURE_ID,ACTION,")
    got = {o.key: fields(o, EXPORTED) for o in check_file(path, PLAN)}
    assert got == {o.key: fields(o, EXPORTED) for o in observations}


def test_the_reader_knows_every_column_the_export_writes() -> None:
    assert exports.DATAFLOW == sdmx_codes.DATAFLOW
    assert set(reader.MAPPING) == set(reader.COMPONENTS)
    # the one column the reader knows beyond the export: what exports before the citation wrote
    assert (*exports.SDMX_COLUMNS, "SOURCE_DATE") == \
        ("STRUCTURE", "STRUCTURE_ID", "ACTION", *reader.COMPONENTS)


def test_every_unit_of_the_plan_decodes_from_its_code_to_itself() -> None:
    codes = reader.unit_codes(PLAN)
    seen = 0
    for metric in known_series(PLAN).values():
        for unit in metric_units(metric):
            assert reader.unit_from_code(sdmx_codes.unit_code(unit), codes, metric) == unit
            seen += 1
    assert seen > 20
    # fixed units and change units against any base year need no plan to name them
    for unit in ("%", "pp", "index", "count", "yuan", "10k_yuan", "100m_yuan", "%yoy",
                 "decline%yoy", "%vs:2010", "decline%vs:2021", "pp_vs:2015"):
        assert reader.unit_from_code(sdmx_codes.unit_code(unit), codes, None) == unit
        assert units.normalise(unit) == unit


def test_a_unit_code_of_two_units_is_read_only_when_the_metric_tells_them_apart() -> None:
    plan = Plan.model_validate({**SMALL.model_dump(mode="json"), "indicators": [
        *SMALL.model_dump(mode="json")["indicators"],
        {**SMALL.model_dump(mode="json")["indicators"][1], "id": "water", "unit": "m3/10k_yuan"},
        {**SMALL.model_dump(mode="json")["indicators"][1], "id": "water_b",
         "unit": "m3_per_10k_yuan"},
    ]})
    codes = reader.unit_codes(plan)
    assert codes["M3_PER_10K_YUAN"] == {"m3/10k_yuan", "m3_per_10k_yuan"}
    assert reader.unit_from_code("M3_PER_10K_YUAN", codes, plan.metric("water")) == "m3/10k_yuan"
    assert reader.unit_from_code("M3_PER_10K_YUAN", codes, plan.metric("water_b")) == \
        "m3_per_10k_yuan"
    both = reader.unit_from_code("M3_PER_10K_YUAN", codes, None)
    assert isinstance(both, Refused) and "will not guess" in both.reason


# ----------------------------------------------------------------- accepted variants


def test_header_variants_of_sdmx_csv_2_are_read(store: Store, tmp_path: Path) -> None:
    # STRUCTURE[|] declares the multi-value separator; columns in another order; no ACTION
    # column (every row is information); a datastructure row; semicolons between fields
    header = ["STRUCTURE[|]", "STRUCTURE_ID", "TIME_PERIOD", "OBS_VALUE", "INDICATOR", "SOURCE",
              "REF_AREA", "SCOPE", "SECTOR", "UNIT_MEASURE", "OBS_STATUS[]"]
    rows = [
        sdmx_row(STRUCTURE="dataflow", OBS_STATUS="estimate|provisional"),
        sdmx_row(STRUCTURE="datastructure", TIME_PERIOD="2021-Q3"),
        sdmx_row(INDICATOR="patents", UNIT_MEASURE="COUNT", OBS_VALUE="1234", SCOPE="规模以上",
                 TIME_PERIOD="2020-M07"),
        sdmx_row(INDICATOR="revenue", UNIT_MEASURE="10K_YUAN", OBS_VALUE="32000", SECTOR="36",
                 TIME_PERIOD="2020-A1"),
        sdmx_row(INDICATOR="energy_drop", UNIT_MEASURE="DECLINE_PCT_YOY", OBS_VALUE="5.4",
                 TIME_PERIOD="2020-09-30"),
    ]
    path = write(tmp_path / "variants.csv", rows, header=header, delimiter=";")
    assert import_file(store, SYSTEM, path, SMALL).rows_new == 5
    got = {(o.indicator, o.period.code): o for o in store.observations()}
    assert got["rd_intensity", "2020"].flags == {"estimate", "provisional"}
    assert got["rd_intensity", "2021-Q3"].unit == "%"
    patents = got["patents", "2020-07"]
    assert (patents.value, patents.unit, patents.scope, patents.sector) == \
        (1234.0, "count", "规模以上", "")
    assert (got["revenue", "2020"].unit, got["revenue", "2020"].sector) == ("10k_yuan", "36")
    drop = got["energy_drop", "2020-09-30"]
    assert (drop.unit, drop.period.kind) == ("decline%yoy", "date")


def test_actions_i_and_a_are_imported(store: Store, tmp_path: Path) -> None:
    rows = [sdmx_row(ACTION="I"), sdmx_row(ACTION="A", TIME_PERIOD="2021")]
    assert import_file(store, SYSTEM, write(tmp_path / "ia.csv", rows), SMALL).rows_new == 2


def test_a_bom_and_crlf_line_ends_are_read(store: Store, tmp_path: Path) -> None:
    rows = [sdmx_row(), sdmx_row(TIME_PERIOD="2021", SOURCE="line one\r\nline two")]
    path = write(tmp_path / "excel.csv", rows, header=HEADER_1, newline="\r\n", bom=True)
    assert path.read_bytes().startswith(codecs.BOM_UTF8 + b"DATAFLOW,")
    assert import_file(store, SYSTEM, path, SMALL).rows_new == 2
    assert {o.source for o in store.observations()} == {"NBS", "line one\r\nline two"}


def test_the_optional_attributes_are_read_by_the_long_formats_rules(
        store: Store, tmp_path: Path) -> None:
    header = [*HEADER_2, "SOURCE_DATE", "QUOTE", "COMMENT_OBS", "LOWER_BOUND", "UPPER_BOUND"]
    rows = [
        sdmx_row(SOURCE_DATE="2021-02-28", QUOTE='研发经费投入强度为2.40%, "比上年提高"',
                 COMMENT_OBS="two\nlines", LOWER_BOUND="2.3", UPPER_BOUND="2.5"),
        # SDMX writes a missing number NaN; an empty cell is no attribute
        sdmx_row(TIME_PERIOD="2021", LOWER_BOUND="NaN", UPPER_BOUND="", SOURCE_DATE=""),
    ]
    assert import_file(store, SYSTEM, write(tmp_path / "attributes.csv", rows, header=header),
                       SMALL).rows_new == 2
    got = {o.period.code: o for o in store.observations()}
    assert fields(got["2020"], ("source_date", "quote", "note", "lower", "upper")) == (
        date(2021, 2, 28), '研发经费投入强度为2.40%, "比上年提高"', "two\nlines", 2.3, 2.5)
    assert fields(got["2021"], ("source_date", "quote", "note", "lower", "upper")) == (
        None, "", "", None, None)


def test_bad_optional_attributes_are_refused_in_their_sdmx_column(
        store: Store, tmp_path: Path) -> None:
    header = [*HEADER_2, "SOURCE_DATE", "QUOTE", "COMMENT_OBS", "LOWER_BOUND", "UPPER_BOUND"]
    rows = [sdmx_row(SOURCE_DATE="2021-02-30"), sdmx_row(TIME_PERIOD="2021", LOWER_BOUND="2.5"),
            sdmx_row(TIME_PERIOD="2022", UPPER_BOUND="约2.5"),
            sdmx_row(TIME_PERIOD="2023", COMMENT_OBS="bell\x07")]
    problems = refused(store, write(tmp_path / "attributes.csv", rows, header=header))
    assert where(problems) == {(2, "SOURCE_DATE"), (3, "LOWER_BOUND"), (4, "UPPER_BOUND"),
                               (5, "COMMENT_OBS")}
    assert "above the value" in next(p for p in problems if p.row == 3).message


# ----------------------------------------------------------------- refused files


def test_a_foreign_dataflow_is_refused_naming_it_and_the_one_supported(
        store: Store, tmp_path: Path) -> None:
    header = ["STRUCTURE", "STRUCTURE_ID", "ACTION", "FREQ", "CURRENCY", "TIME_PERIOD",
              "OBS_VALUE"]
    rows = [{"STRUCTURE": "dataflow", "STRUCTURE_ID": "ECB:EXR(1.0)", "ACTION": "I",
             "FREQ": "D", "CURRENCY": "USD", "TIME_PERIOD": f"2020-01-0{d}", "OBS_VALUE": "1.1"}
            for d in range(2, 6)]
    (problem,) = refused(store, write(tmp_path / "exr.csv", rows, header=header))
    assert (problem.row, problem.column, problem.value) == (2, "STRUCTURE_ID", "ECB:EXR(1.0)")
    assert "ECB:EXR(1.0)" in problem.message and sdmx_codes.DATAFLOW in problem.message
    assert "rows 2–5 (4 rows)" in problem.message


def test_foreign_rows_refuse_the_whole_file_in_sdmx_csv_1(store: Store, tmp_path: Path) -> None:
    rows = [sdmx_row(), sdmx_row(STRUCTURE_ID="MIC2025:MIC2025_OBS(2.0)", TIME_PERIOD="2021"),
            sdmx_row(STRUCTURE_ID="ESTAT:NA_MAIN(1.6.0)", TIME_PERIOD="2022")]
    problems = refused(store, write(tmp_path / "mixed.csv", rows, header=HEADER_1))
    assert where(problems) == {(3, "DATAFLOW"), (4, "DATAFLOW")}
    assert {p.value for p in problems} == {"MIC2025:MIC2025_OBS(2.0)", "ESTAT:NA_MAIN(1.6.0)"}


def test_an_unknown_unit_code_is_refused(store: Store, tmp_path: Path) -> None:
    rows = [sdmx_row(), sdmx_row(TIME_PERIOD="2021", UNIT_MEASURE="PC"),
            sdmx_row(TIME_PERIOD="2022", UNIT_MEASURE="%")]
    problems = refused(store, write(tmp_path / "unit.csv", rows))
    assert where(problems) == {(3, "UNIT_MEASURE"), (4, "UNIT_MEASURE")}
    by_row = {p.row: p for p in problems}
    assert by_row[3].value == "PC" and "PCT (%)" in by_row[3].message
    assert "% is written PCT" in by_row[4].message


def test_a_unit_code_that_does_not_fit_the_indicator_is_refused(store: Store,
                                                                tmp_path: Path) -> None:
    (problem,) = refused(store, write(tmp_path / "fit.csv", [sdmx_row(UNIT_MEASURE="COUNT")]))
    assert (problem.row, problem.column) == (2, "UNIT_MEASURE")
    assert "does not fit rd_intensity" in problem.message


@pytest.mark.parametrize("action", ["D", "R", "M", "X", ""])
def test_actions_other_than_i_and_a_are_refused_row_by_row(
        action: str, store: Store, tmp_path: Path) -> None:
    # a delete may leave dimensions empty (a wildcard): only its action is reported
    rows = [sdmx_row(), sdmx_row(ACTION=action, TIME_PERIOD="", OBS_VALUE="-")]
    (problem,) = refused(store, write(tmp_path / "action.csv", rows))
    assert (problem.row, problem.column) == (3, "ACTION")
    if action == "D":
        assert "append-only" in problem.message
    if action in ("R", "M"):
        assert "revision" in problem.message


def test_a_missing_required_column_is_refused(store: Store, tmp_path: Path) -> None:
    header = [h for h in HEADER_2 if h not in ("OBS_VALUE", "SECTOR")]
    problems = refused(store, write(tmp_path / "missing.csv", [sdmx_row()], header=header))
    assert where(problems) == {(1, "OBS_VALUE"), (1, "SECTOR")}
    assert all(p.message.startswith("missing column") for p in problems)


def test_a_non_numeric_or_missing_obs_value_is_refused(store: Store, tmp_path: Path) -> None:
    rows = [sdmx_row(OBS_VALUE="abc"), sdmx_row(OBS_VALUE="NaN", TIME_PERIOD="2021"),
            sdmx_row(OBS_VALUE="", TIME_PERIOD="2022"), sdmx_row(TIME_PERIOD="2023")]
    problems = refused(store, write(tmp_path / "value.csv", rows))
    assert where(problems) == {(2, "OBS_VALUE"), (3, "OBS_VALUE"), (4, "OBS_VALUE")}
    assert next(p for p in problems if p.row == 2).value == "abc"


def test_a_bom_and_crlf_file_reports_rows_as_a_spreadsheet_shows_them(
        store: Store, tmp_path: Path) -> None:
    rows = [sdmx_row(SOURCE="two\r\nlines"), sdmx_row(TIME_PERIOD="2021", OBS_VALUE="1,5"),
            sdmx_row(TIME_PERIOD="2022", REF_AREA="999999")]
    path = write(tmp_path / "crlf.csv", rows, newline="\r\n", bom=True)
    problems = refused(store, path)
    assert where(problems) == {(3, "OBS_VALUE"), (4, "REF_AREA")}
    assert "decimal comma" in next(p for p in problems if p.row == 3).message


def test_header_problems_name_their_column(store: Store, tmp_path: Path) -> None:
    header = [*HEADER_2, "UPDATED", "SERIES_KEY", "DATAFLOW"]
    rows = [sdmx_row(UPDATED="2025-01-01", SERIES_KEY="x", DATAFLOW="y")]
    problems = refused(store, write(tmp_path / "custom.csv", rows, header=header))
    assert where(problems) == {(1, "UPDATED"), (1, "SERIES_KEY"), (1, "DATAFLOW")}
    assert "SDMX-CSV 1.0" in next(p for p in problems if p.column == "DATAFLOW").message
    labelled = [f"{h}: name" if h == "INDICATOR" else h for h in HEADER_2]
    problems = refused(store, write(tmp_path / "labels.csv", [sdmx_row()], header=labelled))
    assert (1, "INDICATOR: name") in where(problems)
    assert "labels=id" in next(p for p in problems if p.column == "INDICATOR: name").message
    problems = refused(store, write(tmp_path / "twice.csv", [sdmx_row()],
                                    header=[*HEADER_2, "OBS_VALUE"]))
    assert where(problems) == {(1, "OBS_VALUE")}


def test_cells_with_no_mic2025_meaning_are_refused(store: Store, tmp_path: Path) -> None:
    rows = [
        sdmx_row(TIME_PERIOD="2020-S1"),
        sdmx_row(TIME_PERIOD="2021", SECTOR=""),
        sdmx_row(TIME_PERIOD="2022", SCOPE=""),
        sdmx_row(TIME_PERIOD="2023", VINTAGE="v3"),
        sdmx_row(TIME_PERIOD="2024", OBS_STATUS="E"),
        sdmx_row(TIME_PERIOD="2025", STRUCTURE="dataprovision"),
        sdmx_row(TIME_PERIOD="2026", STRUCTURE="flow"),
        sdmx_row(TIME_PERIOD="2027", STRUCTURE_ID=""),
        sdmx_row(TIME_PERIOD="2028-13"),
        sdmx_row(TIME_PERIOD="2029", UNIT_MEASURE=""),
    ]
    problems = refused(store, write(tmp_path / "cells.csv", rows))
    assert where(problems) == {(2, "TIME_PERIOD"), (3, "SECTOR"), (4, "SCOPE"), (5, "VINTAGE"),
                               (6, "OBS_STATUS"), (7, "STRUCTURE_ID"), (8, "STRUCTURE"),
                               (9, "STRUCTURE_ID"), (10, "TIME_PERIOD"), (11, "UNIT_MEASURE")}
    assert "PCT for %" in next(p for p in problems if p.row == 11).message
    assert "data provision agreement" in next(p for p in problems if p.row == 7).message


def test_duplicate_figures_and_long_rows_are_refused(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", [sdmx_row(), sdmx_row(OBS_VALUE="2.5")])
    problems = refused(store, path)
    assert where(problems) == {(2, None), (3, None)}
    assert all("duplicate key" in p.message for p in problems)
    path.write_text(path.read_text(encoding="utf-8").replace(",1\n", ",1,extra\n", 1),
                    encoding="utf-8")
    problems = refused(store, path)
    assert (2, None) in where(problems) and "header names 13 columns" in problems[0].message


def test_sdmx_csv_saved_as_a_workbook_is_refused(store: Store, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "data"
    ws.append(HEADER_2)
    ws.append([sdmx_row()[h] for h in HEADER_2])
    path = tmp_path / "sdmx.xlsx"
    wb.save(path)
    (problem,) = refused(store, path)
    assert (problem.sheet, problem.row, problem.column) == ("data", 1, "STRUCTURE")
    assert ".csv" in problem.message


def test_the_cli_exits_3_and_writes_the_problems_with_sdmx_columns(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    path = write(tmp_path / "bad.csv", [sdmx_row(ACTION="D"), sdmx_row(
        TIME_PERIOD="2021", UNIT_MEASURE="PC")])
    db = sqlite_copy(tmp_path / "cli.sqlite")  # as the first command leaves it
    problems_file = tmp_path / "problems.csv"
    r = CliRunner().invoke(main, ["import", str(path), "--db", db, "--problems",
                                  str(problems_file)])
    assert r.exit_code == 3, r.output
    listed = list(csv.DictReader(problems_file.open(encoding="utf-8")))
    assert {(p["row"], p["column"]) for p in listed} == {("2", "ACTION"), ("3", "UNIT_MEASURE")}
    with open_store(db) as s:
        assert not any(v.kind == "import" for v in s.vintages())


# ----------------------------------------------------------------- limits


def test_the_import_limits_apply_to_sdmx_csv(tmp_path: Path) -> None:
    rows = [sdmx_row(ACTION="D", SOURCE=f"S{i}") for i in range(50)]
    path = write(tmp_path / "deletes.csv", rows)
    with pytest.raises(ImportRejected) as info:
        check_file(path, SMALL, limits=Limits(max_problems=10))
    assert (len(info.value.problems), info.value.total) == (10, 50)
    assert [p.row for p in info.value.problems] == list(range(2, 12))
    with pytest.raises(ImportRejected) as info:
        check_file(path, SMALL, limits=Limits(max_rows=20))
    (problem,) = info.value.problems
    assert problem.row == 22 and "more than 20 data rows" in problem.message
    wide = write(tmp_path / "wide.csv", [sdmx_row()], header=[*HEADER_2, *("X",) * 30])
    with pytest.raises(ImportRejected) as info:
        check_file(wide, SMALL, limits=Limits(max_columns=40))
    (problem,) = info.value.problems
    assert problem.row == 1 and "at most 40 columns" in problem.message
    with pytest.raises(ImportRejected) as info:
        check_file(wide, SMALL, limits=Limits(max_problems=10))
    assert (len(info.value.problems), info.value.total) == (10, 30)  # one per unknown column
