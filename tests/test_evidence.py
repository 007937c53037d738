"""The bundled national evidence: data/evidence/national.csv and its series catalogue.

Every published figure must carry its citation (the primary publication and the copy read),
unit, period, area and quote; derived values must say how they were computed; context series
must be catalogued; and a few key figures are checked against what their quotes say.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from datetime import date
from importlib import resources
from pathlib import Path

import pytest
import yaml

from mic2025 import periods, units
from mic2025.catalogue import known_series, series_catalogue
from mic2025.citation import GRADES, Citation, is_url
from mic2025.plan import Metric, load_plan

EVIDENCE = Path(str(resources.files("mic2025") / "data" / "evidence"))
CSV_PATH = EVIDENCE / "national.csv"
SERIES_PATH = EVIDENCE / "series.yaml"
REFERENCE = Path(str(resources.files("mic2025") / "reference"))

HEADER = ["indicator", "area", "year", "period", "value", "unit", "scope", "sector", "flags",
          "quote", "note", "lower", "upper", "publisher", "publication", "publication_date",
          "locator", "retrieved_from", "grade"]
FLAGS = {"derived", "estimate", "provisional", "proxy"}

#: the plan's judged metrics (indicators of the table and the projects' quantitative metrics)
PLAN_IDS = {
    "rd_intensity", "patents_per_100m_revenue", "quality_competitiveness_index",
    "value_added_rate", "labour_productivity_growth", "broadband_penetration",
    "digital_design_tools", "key_process_nc_rate", "energy_intensity_reduction",
    "co2_intensity_reduction", "water_intensity_reduction", "solid_waste_utilization",
    "innovation_centres", "smart_pilot_opex_reduction", "smart_pilot_cycle_reduction",
    "smart_pilot_defect_reduction", "green_factories", "green_parks",
    "pollutant_intensity_reduction", "core_components_self_supply", "advanced_processes_promoted",
}

#: units evidence for each plan metric may arrive in (the plan's measure or a published form)
REDUCTION_UNITS = {"decline%vs:2015", "decline%vs:2020", "decline%yoy"}
PLAN_UNITS = {
    "rd_intensity": {"%"},
    "patents_per_100m_revenue": {"count/100m_yuan"},
    "quality_competitiveness_index": {"index"},
    "value_added_rate": {"%", "pp_vs:2015"},
    "labour_productivity_growth": {"%yoy"},
    "broadband_penetration": {"%"},
    "digital_design_tools": {"%"},
    "key_process_nc_rate": {"%"},
    "energy_intensity_reduction": REDUCTION_UNITS,
    "co2_intensity_reduction": REDUCTION_UNITS,
    "water_intensity_reduction": REDUCTION_UNITS,
    "solid_waste_utilization": {"%"},
    "innovation_centres": {"count"},
    "smart_pilot_opex_reduction": {"%"},
    "smart_pilot_cycle_reduction": {"%"},
    "smart_pilot_defect_reduction": {"%"},
    "green_factories": {"count"},
    "green_parks": {"count"},
    "pollutant_intensity_reduction": REDUCTION_UNITS,
    "core_components_self_supply": {"%"},
    "advanced_processes_promoted": {"count"},
}

_FULLWIDTH = str.maketrans("０１２３４５６７８９．", "0123456789.")


def _read_rows() -> list[dict[str, str]]:
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        assert header == HEADER, f"{CSV_PATH}: header is {header}"
        rows = []
        for lineno, cells in enumerate(reader, start=2):
            assert len(cells) == len(HEADER), f"{CSV_PATH}:{lineno}: {len(cells)} cells"
            rows.append(dict(zip(HEADER, cells, strict=True)) | {"_line": str(lineno)})
    return rows


ROWS = _read_rows()


def _source_key(row: dict[str, str]) -> str:
    """The source of the row's key in the store: its publication, else the copy read."""
    return Citation(publisher=row["publisher"], publication=row["publication"],
                    retrieved_from=row["retrieved_from"]).key()


def _where(row: dict[str, str]) -> str:
    return f"national.csv:{row['_line']} ({row['indicator']} {row['year']} {row['period']})"


def _value(row: dict[str, str], col: str = "value") -> float:
    return float(row[col])


def _series() -> dict[str, Metric]:
    return {m.id: m for m in series_catalogue()}


def _find(indicator: str, year: int, period: str = "", **match: str) -> list[dict[str, str]]:
    out = [r for r in ROWS if r["indicator"] == indicator and r["year"] == str(year)
           and r["period"] == period]
    for col, want in match.items():
        out = [r for r in out if want in r[col]]
    return out


# ------------------------------------------------------------------ file format


def test_file_is_utf8_without_bom_and_has_rows() -> None:
    raw = CSV_PATH.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "national.csv must not start with a BOM"
    raw.decode("utf-8")
    assert len(ROWS) >= 152, "the 152 starting figures must all be carried"


def test_no_cell_has_stray_whitespace() -> None:
    for row in ROWS:
        for col in HEADER:
            assert row[col] == row[col].strip(), f"{_where(row)}: {col} has leading/trailing space"
            assert "\n" not in row[col], f"{_where(row)}: {col} has a line break"


def test_every_row_has_a_source_unit_quote_and_note() -> None:
    for row in ROWS:
        for col in ("indicator", "area", "year", "value", "unit", "quote", "note"):
            assert row[col], f"{_where(row)}: {col} is empty"
        assert row["publication"] or row["retrieved_from"], (
            f"{_where(row)}: names neither its publication nor the copy read")
        assert not row["retrieved_from"] or is_url(row["retrieved_from"]), (
            f"{_where(row)}: retrieved_from must be the URL of the copy read")
        assert not row["grade"] or row["grade"] in GRADES, f"{_where(row)}: grade {row['grade']}"


def test_every_row_names_its_primary_publication() -> None:
    """Issue #12: every figure names its publisher, publication and its date, and grades the
    copy it was read from."""
    missing = [f"{_where(row)}: {col}" for row in ROWS
               for col in ("publisher", "publication", "publication_date", "grade")
               if not row[col]]
    assert not missing, f"{len(missing)} citation cells empty, first: {missing[:5]}"
    assert all(row["grade"] in GRADES for row in ROWS)


def test_values_are_plain_numbers() -> None:
    for row in ROWS:
        for col in ("value", "lower", "upper"):
            text = row[col]
            if col != "value" and not text:
                continue
            plain = re.fullmatch(r"-?\d+(\.\d+)?", text)
            assert plain, f"{_where(row)}: {col} {text!r} is not a plain number"
            assert math.isfinite(float(text))


def test_units_are_canonical_codes() -> None:
    for row in ROWS:
        assert units.normalise(row["unit"]) == row["unit"], f"{_where(row)}: unit {row['unit']!r}"


def test_periods_parse_and_agree_with_the_year() -> None:
    for row in ROWS:
        year = int(row["year"])
        assert 1990 <= year <= 2026, f"{_where(row)}: year {year}"
        p = periods.parse(row["period"], year)
        assert p.year == year
        if row["period"]:
            assert p.code == row["period"], f"{_where(row)}: period not canonical ({p.code})"


def test_publication_dates_are_iso_and_not_before_the_data() -> None:
    for row in ROWS:
        if not row["publication_date"]:
            continue
        published = date.fromisoformat(row["publication_date"])
        p = periods.parse(row["period"], int(row["year"]))
        assert published >= date(p.year, 1, 1), f"{_where(row)}: published before the data year"
        if p.kind == "date":
            assert p.end <= published, f"{_where(row)}: as-of date after publication"


def test_area_codes_are_gbt2260() -> None:
    with (REFERENCE / "gbt2260_provinces.csv").open(encoding="utf-8", newline="") as fh:
        codes = {r["code"] for r in csv.DictReader(fh)}
    for row in ROWS:
        assert row["area"] in codes, f"{_where(row)}: area {row['area']!r} is not a GB/T 2260 code"


def test_sector_codes_are_gbt4754_when_given() -> None:
    with (REFERENCE / "gbt4754_2017.csv").open(encoding="utf-8", newline="") as fh:
        codes = {r["code"] for r in csv.DictReader(fh)}
    for row in ROWS:
        assert not row["sector"] or row["sector"] in codes, f"{_where(row)}: sector {row['sector']}"


def test_no_duplicate_keys() -> None:
    keys = Counter((r["indicator"], r["area"], r["sector"], r["year"], r["period"], r["scope"],
                    _source_key(r)) for r in ROWS)
    dupes = [k for k, n in keys.items() if n > 1]
    assert not dupes, f"duplicate (indicator, area, sector, period, scope, source): {dupes}"


# ------------------------------------------------------------------ flags and derivations


def test_flags_are_from_the_allowed_set() -> None:
    for row in ROWS:
        flags = [f for f in row["flags"].split(";") if f]
        assert set(flags) <= FLAGS, f"{_where(row)}: flags {flags}"
        assert len(flags) == len(set(flags)), f"{_where(row)}: repeated flag"


def test_derived_rows_say_how() -> None:
    arithmetic = re.compile(r"\d\s*[-+×*/÷−]\s*\d.*=\s*\d")
    for row in ROWS:
        if "derived" in row["flags"].split(";"):
            assert row["note"].startswith("Derived:"), f"{_where(row)}: note must start 'Derived:'"
            assert arithmetic.search(row["note"]), f"{_where(row)}: note must give the arithmetic"


def test_proxy_only_on_context_series() -> None:
    for row in ROWS:
        if "proxy" in row["flags"].split(";"):
            assert row["indicator"] not in PLAN_IDS, (
                f"{_where(row)}: a proxy must be stored under a context series, not a plan metric")


def test_ranges_and_bounds() -> None:
    for row in ROWS:
        flags = row["flags"].split(";")
        lo = _value(row, "lower") if row["lower"] else None
        hi = _value(row, "upper") if row["upper"] else None
        v = _value(row)
        if lo is not None:
            assert lo <= v, f"{_where(row)}: value below lower bound"
        if hi is not None:
            assert v <= hi, f"{_where(row)}: value above upper bound"
        if lo is not None and hi is not None:
            assert "estimate" in flags, f"{_where(row)}: a range must be flagged estimate"
            assert v == pytest.approx((lo + hi) / 2), f"{_where(row)}: value is not the midpoint"


def test_quotes_contain_the_value_unless_derived_or_a_range() -> None:
    for row in ROWS:
        flags = set(row["flags"].split(";"))
        if flags & {"derived"} or (row["lower"] and row["upper"]):
            continue
        quote = row["quote"].translate(_FULLWIDTH).replace(",", "")
        v = _value(row)
        forms = {row["value"], f"{v:g}"}
        if v >= 10000:
            forms.add(f"{v / 10000:g}万")
            forms.add(f"{v / 10000:g}萬")
        assert any(f in quote for f in forms), f"{_where(row)}: quote does not show {row['value']}"


# ------------------------------------------------------------------ indicators and the catalogue


def test_series_catalogue_validates_and_is_disjoint_from_the_plan() -> None:
    cat = series_catalogue()
    ids = [m.id for m in cat]
    assert len(ids) == len(set(ids)), "a context series id is listed twice"
    assert not set(ids) & PLAN_IDS, "a context series reuses a plan metric id"
    raw = yaml.safe_load(SERIES_PATH.read_text(encoding="utf-8"))
    for item in raw["series"]:
        judged = "targets" in item or "baseline" in item
        assert not judged, f"{item['id']}: context series carry no targets"
        assert item.get("note"), f"{item['id']}: every context series says what it is"


def test_every_indicator_is_a_plan_metric_or_catalogued() -> None:
    cat = _series()
    # the plan's own context series: the ten key sectors' indicators (a sector without any
    # published figure found keeps its indicators, named as gaps in the evidence notes)
    sectors = {m.id for m in load_plan().series}
    for row in ROWS:
        assert row["indicator"] in PLAN_IDS or row["indicator"] in {*cat, *sectors}, (
            f"{_where(row)}: {row['indicator']} is neither a plan metric, nor in series.yaml, "
            "nor one of the plan's series")
    used = {r["indicator"] for r in ROWS}
    assert set(cat) <= used, f"catalogued but unused: {sorted(set(cat) - used)}"


def test_context_rows_match_their_catalogue_entry() -> None:
    cat = {**_series(), **{m.id: m for m in load_plan().series}}
    for row in ROWS:
        m = cat.get(row["indicator"])
        if m is None:
            continue
        assert row["unit"] == m.unit or row["unit"] in m.units, f"{_where(row)}: unit {row['unit']}"
        lo, hi = m.value_range
        v = _value(row)
        assert (lo is None or v >= lo) and (hi is None or v <= hi), f"{_where(row)}: out of range"
        if m.scopes:
            assert row["scope"] in m.scopes, f"{_where(row)}: scope {row['scope']!r} not listed"


def test_plan_metric_rows_use_a_published_form_and_name_a_scope() -> None:
    for row in ROWS:
        if row["indicator"] not in PLAN_IDS:
            continue
        assert row["unit"] in PLAN_UNITS[row["indicator"]], f"{_where(row)}: unit {row['unit']}"
        assert row["scope"], f"{_where(row)}: a plan metric row must name its population"
        if row["unit"] == "%" or row["unit"].startswith("decline%"):
            assert 0 <= _value(row) <= 100, f"{_where(row)}: a rate or decline outside 0-100"


def test_rows_fit_the_bundled_plan() -> None:
    """Against plans/mic2025.yaml: every id is known and every unit is one the metric takes."""
    try:
        plan = load_plan()
    except Exception as exc:  # the plan file is maintained elsewhere
        pytest.skip(f"bundled plan not loadable: {exc}")
    known = known_series(plan)
    plan_metric_ids = {m.id for m in plan.metrics()}
    assert plan_metric_ids == PLAN_IDS, "the plan's metric ids changed: update PLAN_IDS"
    for row in ROWS:
        m = known.get(row["indicator"])
        assert m is not None, f"{_where(row)}: {row['indicator']} unknown to the plan"
        assert row["unit"] == m.unit or row["unit"] in m.units, (
            f"{_where(row)}: unit {row['unit']} is neither {m.unit} nor in {m.units}")


DROPPED_PATH = EVIDENCE / "dropped.csv"


def _dropped() -> list[dict[str, str]]:
    with DROPPED_PATH.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_every_dropped_figure_is_listed_with_its_reason() -> None:
    """Issue #12: a figure whose only copy was a spam, adult, gambling or SEO site, or whose
    quote names no publication, is dropped — and listed, never silently lost."""
    dropped = _dropped()
    assert dropped and all(d["reason"].strip() and d["old_source"] for d in dropped)
    kept = {(r["indicator"], r["year"], r["period"], _value(r)) for r in ROWS}
    for d in dropped:  # a figure still carried after its line was dropped: kept from another copy
        again = (d["indicator"], d["year"], d["period"], float(d["value"]))
        assert again not in kept or re.search(r"kept|duplicate|line \d+", d["reason"]), d


def test_all_starting_figures_are_carried_or_listed_as_dropped() -> None:
    """Spot-check that figures of the starting data set are present or in dropped.csv."""
    wanted = [
        ("mpi_usa", 2019, 168.71), ("mpi_germany", 2019, 125.65), ("mpi_japan", 2019, 117.16),
        ("mpi_china", 2019, 110.84), ("mpi_korea", 2019, 73.95), ("mpi_france", 2019, 70.07),
        ("mpi_uk", 2019, 63.03), ("mpi_china", 2022, 124.64), ("mpi_china", 2020, 116.02),
        ("quality_competitiveness_index", 2006, 79.98), ("solid_waste_utilization", 2010, 66.7),
        ("industrial_foundation_projects", 2017, 331), ("green_mfg_projects", 2017, 225),
        ("mpi_value_added_rate", 2015, 21.77), ("mpi_labour_productivity_growth", 2019, 6.81),
        ("quality_competitiveness_index", 2020, 84.78), ("green_factories", 2020, 2121),
    ]
    dropped = {(d["indicator"], d["year"], float(d["value"])) for d in _dropped()}
    moved = {"mpi_value_added_rate": "value_added_rate",
             "mpi_labour_productivity_growth": "labour_productivity_growth"}
    for indicator, year, value in wanted:
        carried = any(r["indicator"] == indicator and r["year"] == str(year)
                      and _value(r) == pytest.approx(value) for r in ROWS)
        listed = (moved.get(indicator, indicator), str(year), value) in dropped
        assert carried != listed, (indicator, year, value, carried, listed)


def test_the_cae_index_measures_are_never_under_a_plan_indicator() -> None:
    """The CAE 制造强国发展指数 team's own measures stay their own series (issue #12)."""
    for row in ROWS:
        if row["indicator"] in PLAN_IDS:
            assert "中国工程院" not in row["publisher"], _where(row)


# ------------------------------------------------------------------ key figures vs their quotes


def test_energy_thirteenth_plan_cumulative_decline_is_16() -> None:
    rows = [r for r in _find("energy_intensity_reduction", 2020) if r["unit"] == "decline%vs:2015"]
    assert len(rows) >= 2, "about 16% is reported by more than one publication"
    assert len({r["publication"] for r in rows}) == len(rows)
    for row in rows:
        assert _value(row) == 16
        assert "16%" in row["quote"]


def test_energy_published_forms_are_kept_not_converted() -> None:
    yoy = {_value(r): r["flags"] for r in _find("energy_intensity_reduction", 2021)
           if r["unit"] == "decline%yoy"}
    assert yoy == {5.6: "", 5.5: "provisional"}, "the January estimate is kept, flagged"
    (two_years,) = _find("energy_intensity_reduction", 2022)
    assert (two_years["unit"], _value(two_years)) == ("decline%vs:2020", 6.8)
    (q1,) = _find("energy_intensity_reduction", 2021, "2021-Q1")
    assert _value(q1) == 8.1


def test_water_reductions() -> None:
    (cum,) = [r for r in _find("water_intensity_reduction", 2023) if r["unit"] == "decline%vs:2020"]
    assert _value(cum) == 20.3
    mwr = ("tibet.cn", "cinic.org.cn", "hczyw.com")  # reposts of the 中国水资源公报
    yoy = {int(r["year"]): _value(r) for r in ROWS if r["indicator"] == "water_intensity_reduction"
           and r["unit"] == "decline%yoy"
           and (any(s in r["retrieved_from"] for s in mwr) or "水资源公报" in r["publication"])}
    chained = 1 - (1 - yoy[2021] / 100) * (1 - yoy[2022] / 100) * (1 - yoy[2023] / 100)
    assert chained * 100 == pytest.approx(20.3, abs=0.2), "MWR single years chain to MIIT's 20.3"


def test_water_2025_is_the_fourteenth_plan_decline_against_2020() -> None:
    # MWR's preliminary 十四五 total: against 2020, never restated against 2015 in the file
    (row,) = _find("water_intensity_reduction", 2025)
    assert (_value(row), row["unit"], row["flags"]) == (25, "decline%vs:2020", "provisional")
    assert row["publisher"] == "水利部" and row["publication_date"] == "2026-01-20"


def test_green_manufacturing_counts() -> None:
    assert {_value(r) for r in _find("green_factories", 2021)} == {2783}
    assert {_value(r) for r in _find("green_parks", 2021)} == {223}
    assert not _find("green_factories", 2020), "2121 (2020) rests only on SEO copies: dropped"
    (after_2024,) = _find("green_factories", 2024)
    (new_2025,) = _find("green_factories_new", 2025)
    (derived_2025,) = _find("green_factories", 2025, flags="derived")
    assert _value(derived_2025) == _value(after_2024) + _value(new_2025) - 132
    # the removal rule reproduces the published 2024 cumulative from 2023
    (after_2023,) = _find("green_factories", 2023)
    new_2024 = {_value(r) for r in _find("green_factories_new", 2024) if not r["flags"]}
    assert new_2024 == {1382}
    assert _value(after_2023) + 1382 - 47 == _value(after_2024)


def test_innovation_centres() -> None:
    end_2024 = _find("innovation_centres", 2024)
    assert end_2024 and {_value(r) for r in end_2024} == {33}
    assert {_value(r) for r in _find("innovation_centres", 2024, "2024-07-12")} == {30}
    (end_2020,) = [r for r in _find("innovation_centres", 2020) if not r["flags"]]
    assert (end_2020["scope"], _value(end_2020)) == ("国家级", 17) and "17家" in end_2020["quote"]


def test_digitalisation_levels() -> None:
    nc_2021 = {r["scope"]: _value(r) for r in _find("key_process_nc_rate", 2021)}
    assert nc_2021 == {"规模以上工业企业": 55.3, "全国工业企业": 51.3, "重点工业企业": 55.3,
                       "制造业重点领域企业": 55.0}
    (nc_2020,) = [r for r in _find("key_process_nc_rate", 2020) if not r["period"]]
    assert _value(nc_2020) == 52.1 and "52.1" in nc_2020["quote"]
    assert not _find("key_process_nc_rate", 2025), "end-March 2025: no dated copy, dropped"
    (light,) = _find("digital_design_tools", 2024)
    assert light["scope"] == "轻工业企业" and _value(light) == 84.9


def test_smart_manufacturing_project_averages() -> None:
    (opex,) = _find("smart_pilot_opex_reduction", 2017)
    assert (_value(opex), _value(opex, "lower")) == (20, 20) and "超过20%" in opex["quote"]
    (defects,) = _find("smart_pilot_defect_reduction", 2021)
    assert _value(defects) == 35
    assert not _find("smart_pilot_opex_reduction", 2020), "the 2020 averages rest on a spam copy"
    assert not _find("smart_pilot_cycle_reduction", 2020), "研制周期 is not 生产周期"


def test_derived_arithmetic_matches_the_quotes() -> None:
    (rd_2018,) = _find("rd_intensity", 2018)
    assert _value(rd_2018) == pytest.approx(2.27 - 0.93)
    (rd_2023,) = _find("rd_intensity", 2023)
    assert _value(rd_2023) == pytest.approx(3.10 - 1.39)
    (bb_2017,) = _find("broadband_penetration", 2017)
    assert "derived" in bb_2017["flags"] and "78.9%" in bb_2017["quote"]
    (jp_2022,) = _find("mpi_japan", 2022)
    (cn_2022,) = _find("mpi_china", 2022)
    (gap_2022,) = _find("mpi_gap_japan_china", 2022)
    assert _value(jp_2022) == pytest.approx(_value(cn_2022) + _value(gap_2022))
    # a quarter worked back from the next year's release: level and change both quoted
    (q1_2019,) = _cu(2019, "2019-Q1")
    assert "derived" in q1_2019["flags"] and q1_2019["publication_date"] == "2020-04-17"


def test_broadband_and_quality() -> None:
    assert {_value(r) for r in _find("broadband_penetration", 2020)} == {96}
    (q3,) = _find("broadband_penetration", 2018, "2018-Q3")
    assert _value(q3) == 85.4 and "85.4%" in q3["quote"]
    (qci,) = _find("quality_competitiveness_index", 2024)
    assert _value(qci) == 85.6 and qci["publisher"] == "国家市场监督管理总局"
    assert not _find("quality_competitiveness_index", 2020), "84.78 rests only on SEO mirrors"


def test_mpi_2024_range_is_kept_as_a_range() -> None:
    for country in ("mpi_china", "mpi_germany", "mpi_japan"):
        (row,) = _find(country, 2024)
        assert (_value(row, "lower"), _value(row), _value(row, "upper")) == (120, 130, 140)
        assert "estimate" in row["flags"]


# ------------------------------------------------------------------ capacity utilisation (产能过剩)


def _cu(year: int, period: str = "", sector: str = "") -> list[dict[str, str]]:
    return [r for r in _find("capacity_utilisation", year, period) if r["sector"] == sector]


def test_capacity_utilisation_spot_checks() -> None:
    (q4_2021,) = _cu(2021, "2021-Q4")
    assert _value(q4_2021) == 77.4 and q4_2021["publisher"] == "国家统计局"
    (steel_q2_2019,) = _cu(2019, "2019-Q2", "31")
    assert _value(steel_q2_2019) == 80.9 and "80.9%" in steel_q2_2019["quote"]
    (year_2024,) = _cu(2024)
    (q4_2024,) = _cu(2024, "2024-Q4")
    assert (_value(year_2024), _value(q4_2024)) == (75.0, 76.2)
    assert year_2024["scope"] == q4_2024["scope"] == "规模以上工业"
    assert not _cu(2025, "2025-Q2"), "2025-Q2 rests only on spam copies: dropped"


def test_capacity_utilisation_keeps_quarters_years_and_cumulative_spans_apart() -> None:
    cu = [r for r in ROWS if r["indicator"] == "capacity_utilisation"]
    assert {periods.parse(r["period"], int(r["year"])).kind for r in cu} == {"year", "quarter"}
    ytd = [r for r in ROWS if r["indicator"] == "capacity_utilisation_ytd"]
    assert ytd and all(periods.parse(r["period"], int(r["year"])).kind == "date" for r in ytd)
    assert all(r["period"][5:] in ("06-30", "09-30") for r in ytd)
    # the derived annual figures agree with the quarters NBS published beside them
    (y2016,) = _cu(2016)
    assert "derived" in y2016["flags"] and _value(y2016) == pytest.approx(77.0 - 3.7)
    years = {int(r["year"]) for r in cu if not r["period"] and not r["sector"]}
    assert {2016, 2017, 2019, 2020, 2021, 2022, 2023, 2024} <= years
