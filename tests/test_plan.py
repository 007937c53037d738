"""The bundled plan file against the seed text, and the example regional plan.

The indicator table and the project targets are read out of the seed itself (../shared/seed
from the repository root) and compared number by number with ``plans/mic2025.yaml``. A hand
transcription of the same table and targets keeps the comparison running where the seed is
not available, and is itself checked against the seed when it is.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from mic2025 import formula, units
from mic2025.plan import Plan, Target, load_plan

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_bc1c02089bd71471.txt"
EXAMPLE = Path(str(resources.files("mic2025") / "plans" / "examples" / "guangdong_example.yaml"))

INDICATOR_IDS = [
    "rd_intensity",
    "patents_per_100m_revenue",
    "quality_competitiveness_index",
    "value_added_rate",
    "labour_productivity_growth",
    "broadband_penetration",
    "digital_design_tools",
    "key_process_nc_rate",
    "energy_intensity_reduction",
    "co2_intensity_reduction",
    "water_intensity_reduction",
    "solid_waste_utilization",
]

FIVE_YEAR_PLANS = {"十三五": (2016, 2020), "十四五": (2021, 2025)}


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_plan()


@pytest.fixture(scope="module")
def seed_text() -> str:
    if not SEED.is_file():
        pytest.skip(f"seed text not found at {SEED}; the hand transcription tests still run")
    return SEED.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- structure


def test_bundled_plan_validates_with_the_expected_shape(plan: Plan) -> None:
    assert plan.schema_version == 1
    assert plan.id == "mic2025"
    assert plan.area == "000000"
    assert plan.base_year == 2015
    assert plan.target_years == (2020, 2025)
    assert plan.document is not None
    assert plan.document.number == "国发〔2015〕28号"
    assert plan.document.issued.isoformat() == "2015-05-08"
    assert [i.id for i in plan.indicators] == INDICATOR_IDS
    assert [g.id for g in plan.goal_areas] == ["innovation", "quality", "digitalisation", "green"]
    assert [g.name.zh for g in plan.goal_areas] == ["创新能力", "质量效益", "两化融合", "绿色发展"]
    assert [p.box for p in plan.projects] == [1, 2, 3, 4, 5]
    assert [t.number for t in plan.tasks] == list(range(1, 10))
    assert [s.number for s in plan.sectors] == list(range(1, 11))
    assert len(plan.measures) == 8


def test_project_and_metric_ids(plan: Plan) -> None:
    assert [p.id for p in plan.projects] == [
        "innovation_centres_project",
        "smart_manufacturing_project",
        "industrial_foundation_project",
        "green_manufacturing_project",
        "high_end_equipment_project",
    ]
    metrics = {p.id: [m.id for m in p.metrics] for p in plan.projects}
    assert metrics == {
        "innovation_centres_project": ["innovation_centres"],
        "smart_manufacturing_project": [
            "smart_pilot_opex_reduction",
            "smart_pilot_cycle_reduction",
            "smart_pilot_defect_reduction",
        ],
        "industrial_foundation_project": [
            "core_components_self_supply",
            "advanced_processes_promoted",
        ],
        "green_manufacturing_project": [
            "green_factories",
            "green_parks",
            "pollutant_intensity_reduction",
        ],
        "high_end_equipment_project": [],
    }


def test_tasks_name_the_boxes_that_belong_to_them(plan: Plan) -> None:
    by_number = {t.number: t for t in plan.tasks}
    assert by_number[1].projects == ("innovation_centres_project",)
    assert by_number[2].projects == ("smart_manufacturing_project",)
    assert by_number[3].projects == ("industrial_foundation_project",)
    assert by_number[5].projects == ("green_manufacturing_project",)
    assert by_number[6].projects == ("high_end_equipment_project",)
    for n in (4, 7, 8, 9):
        assert by_number[n].projects == ()
    assert set(by_number[1].indicators) == {"rd_intensity", "patents_per_100m_revenue"}
    # every indicator is moved by at least one task
    moved = {i for t in plan.tasks for i in t.indicators}
    assert moved == set(INDICATOR_IDS)


def test_ids_are_unique_where_they_are_looked_up(plan: Plan) -> None:
    def unique(ids: list[str]) -> bool:
        return len(ids) == len(set(ids))

    assert unique([t.id for t in plan.tasks])
    assert unique([s.id for s in plan.sectors])
    assert unique([m.id for m in plan.measures])
    assert unique([f.id for f in plan.follow_up])
    assert unique([m.id for p in plan.projects for m in p.milestones])
    for task in plan.tasks:
        assert task.items, task.id
        assert unique([i.id for i in task.items]), task.id
    for sector in plan.sectors:
        assert sector.fields, sector.id
        assert unique([f.id for f in sector.fields]), sector.id


def test_key_sector_sub_fields(plan: Plan) -> None:
    fields = {s.number: [f.name.zh for f in s.fields] for s in plan.sectors}
    assert fields[1] == ["集成电路及专用装备", "信息通信设备", "操作系统及工业软件"]
    assert fields[2] == ["高档数控机床", "机器人"]
    assert fields[3] == ["航空装备", "航天装备"]


def test_sector_industries_are_gbt4754_divisions(plan: Plan) -> None:
    ref = resources.files("mic2025") / "reference" / "gbt4754_2017.csv"
    with ref.open(encoding="utf-8") as fh:
        divisions = {row["code"] for row in csv.DictReader(fh) if row["level"] == "division"}
    for sector in plan.sectors:
        assert sector.industries, sector.id
        unknown = set(sector.industries) - divisions
        assert not unknown, f"{sector.id}: {sorted(unknown)} are not GB/T 4754-2017 divisions"
    by_number = {s.number: s for s in plan.sectors}
    assert "39" in by_number[1].industries
    assert "37" in by_number[3].industries
    assert "36" in by_number[6].industries
    assert "27" in by_number[10].industries


def test_follow_up_machinery_of_section_4_8(plan: Plan) -> None:
    names = [f.name.zh for f in plan.follow_up]
    wanted = ["督促检查", "第三方评价", "统计监测", "绩效评估", "动态调整", "监督考核", "中期评估"]
    assert [w for w in wanted if w not in names] == []


# --------------------------------------------------------------------------- metric sanity


def test_units_are_known_codes(plan: Plan) -> None:
    for m in plan.metrics():
        assert units.normalise(m.unit) == m.unit, m.id
        for alt in m.units:
            assert units.normalise(alt) == alt, (m.id, alt)


def test_reduction_indicators_are_an_intensity_index_on_2015(plan: Plan) -> None:
    for mid in ("energy_intensity_reduction", "co2_intensity_reduction",
                "water_intensity_reduction"):
        m = plan.metric(mid)
        assert (m.unit, m.direction, dict(m.baseline)) == ("index", "decrease", {2015: 100})
        assert m.note is not None and "index base" in m.note.en
        for alt in ("decline%vs:2015", "decline%yoy", "decline%vs:2020", "%vs:2015", "%yoy"):
            assert alt in m.units, (mid, alt)
        change = units.change("decline%vs:2015")
        assert change is not None and change.base_year == 2015 and change.sign == -1


def test_baselines_and_level_targets_lie_in_value_range(plan: Plan) -> None:
    for m in plan.metrics():
        lo, hi = m.value_range
        values = list(m.baseline.values()) + [t.value for t in m.targets if t.kind == "level"]
        for v in values:
            assert lo is None or v >= lo, (m.id, v)
            assert hi is None or v <= hi, (m.id, v)


def test_target_years_cover_every_target(plan: Plan) -> None:
    for m in plan.metrics():
        for t in m.targets:
            assert t.year in plan.target_years, (m.id, t.year)
            if t.base_year is not None:
                assert t.base_year == plan.base_year, (m.id, t.year)


def test_definitions_follow_the_footnotes(plan: Plan) -> None:
    defs = {i.id: i.definition for i in plan.indicators}
    assert {k: d.footnote for k, d in defs.items() if d.footnote} == {
        "patents_per_100m_revenue": 1,
        "quality_competitiveness_index": 2,
        "broadband_penetration": 3,
        "digital_design_tools": 4,
        "key_process_nc_rate": 5,
    }
    # footnote 5: an average of enterprise rates, not a ratio of sums
    assert defs["key_process_nc_rate"].kind == "mean_of_rates"
    assert defs["key_process_nc_rate"].formula == "mean(key_processes_nc / key_processes) * 100"
    assert defs["digital_design_tools"].kind == "share_of_units"
    assert defs["digital_design_tools"].formula == (
        "count_if(digital_design_tools > 0) / count() * 100")
    for kid in ("digital_design_tools", "key_process_nc_rate"):
        sample = defs[kid].sample
        assert sample is not None and sample.zh == "3万家样本企业"
    assert defs["rd_intensity"].formula == "sum(rd_expenditure) / sum(revenue) * 100"
    assert defs["patents_per_100m_revenue"].formula == (
        "sum(valid_invention_patents) / sum(revenue) * 1e8")
    assert defs["solid_waste_utilization"].formula == (
        "sum(solid_waste_utilised) / sum(solid_waste_generated) * 100")
    assert defs["energy_intensity_reduction"].formula == "sum(energy_tce) / sum(value_added)"
    assert defs["quality_competitiveness_index"].kind == "composite_index"
    assert defs["labour_productivity_growth"].kind == "growth_rate"
    for mid in ("energy_intensity_reduction", "co2_intensity_reduction",
                "water_intensity_reduction"):
        assert defs[mid].kind == "intensity_change"


def test_every_formula_parses(plan: Plan) -> None:
    with_formula = [m for m in plan.metrics() if m.definition and m.definition.formula]
    assert len(with_formula) >= 9
    for m in with_formula:
        assert m.definition is not None and m.definition.formula is not None
        assert formula.fields_of(formula.parse(m.definition.formula)), m.id


def test_scopes_rank_the_published_labels(plan: Plan) -> None:
    assert plan.metric("rd_intensity").scopes == ("规模以上制造业", "制造业")
    expected = ("规模以上工业企业", "全国工业企业", "重点工业企业", "制造业重点领域企业",
                "重点行业骨干企业", "工业企业", "两化融合评估企业", "企业")
    assert plan.metric("key_process_nc_rate").scopes == expected
    assert plan.metric("digital_design_tools").scopes == expected


def test_about_targets_state_their_tolerance(plan: Plan) -> None:
    lp = plan.metric("labour_productivity_growth")
    for t in lp.targets:
        assert t.approx is not None and t.approx.note is not None
        assert (t.approx.tolerance, t.approx.relative) == (0.5, False)
        assert t.approx.width(t.value) == 0.5
    ic = plan.metric("innovation_centres")
    for t in ic.targets:
        assert t.approx is not None and t.approx.note is not None
        assert (t.approx.tolerance, t.approx.relative) == (0.1, True)
    t2025 = ic.target(2025)
    assert t2025 is not None and t2025.approx is not None
    assert t2025.approx.width(t2025.value) == pytest.approx(4)
    # nothing else in the plan is "about"
    others = [m.id for m in plan.metrics() if m.id not in ("labour_productivity_growth",
              "innovation_centres") and any(t.approx for t in m.targets)]
    assert others == []


# --------------------------------------------------------------------------- the seed's table


@dataclass(frozen=True)
class Row:
    """One row of the seed's table: category, name as printed, footnote, unit, four cells."""

    category: str
    name: str
    footnote: int | None
    unit: str | None
    cells: tuple[str, str, str, str]  # 2013, 2015, 2020, 2025


# The table "2020年和2025年制造业主要指标", transcribed by hand from the seed.
HAND_TABLE = [
    Row("创新能力", "规模以上制造业研发经费内部支出占主营业务收入比重", None, "%",
        ("0.88", "0.95", "1.26", "1.68")),
    Row("创新能力", "规模以上制造业每亿元主营业务收入有效发明专利数", 1, "件",
        ("0.36", "0.44", "0.70", "1.10")),
    Row("质量效益", "制造业质量竞争力指数", 2, None, ("83.1", "83.5", "84.5", "85.5")),
    Row("质量效益", "制造业增加值率提高", None, None,
        ("-", "-", "比2015年提高2个百分点", "比2015年提高4个百分点")),
    Row("质量效益", "制造业全员劳动生产率增速", None, "%",
        ("-", "-", "7.5左右(“十三五”期间年均增速)", "6.5左右(“十四五”期间年均增速)")),
    Row("两化融合", "宽带普及率", 3, "%", ("37", "50", "70", "82")),
    Row("两化融合", "数字化研发设计工具普及率", 4, "%", ("52", "58", "72", "84")),
    Row("两化融合", "关键工序数控化率", 5, "%", ("27", "33", "50", "64")),
    Row("绿色发展", "规模以上单位工业增加值能耗下降幅度", None, None,
        ("-", "-", "比2015年下降18%", "比2015年下降34%")),
    Row("绿色发展", "单位工业增加值二氧化碳排放量下降幅度", None, None,
        ("-", "-", "比2015年下降22%", "比2015年下降40%")),
    Row("绿色发展", "单位工业增加值用水量下降幅度", None, None,
        ("-", "-", "比2015年下降23%", "比2015年下降41%")),
    Row("绿色发展", "工业固体废物综合利用率", None, "%", ("62", "65", "73", "79")),
]

_VALUE = re.compile(r"^(-|\d+(\.\d+)?(左右.*)?|比\d{4}年.*)$")
_NAME = re.compile(r"^(?P<name>.+?)(?P<fn>\d)?(?:[(（](?P<unit>[^)）]+)[)）])?$")


def parse_table(text: str) -> list[Row]:
    """Read the indicator table out of the seed text."""
    lines = text.splitlines()
    title = "2020年和2025年制造业主要指标"
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    # the header ends with the column heading of the last target year
    header_end = next(i for i in range(start, len(lines)) if lines[i].strip() == "2025年")
    rows: list[tuple[str, str, list[str]]] = []
    category = ""
    for raw in lines[header_end + 1:]:
        line = raw.strip()
        if not line:
            continue
        if re.match(r"^\d \S", line):  # the footnotes follow the table
            break
        tokens = line.split()
        if _VALUE.match(tokens[0]):
            rows[-1][2].extend(tokens)
        elif len(tokens) == 1 and not re.search(r"[\d(（]", line):
            category = line
        else:
            rows.append((category, tokens[0], tokens[1:]))
    out = []
    for cat, label, cells in rows:
        m = _NAME.match(label)
        assert m, label
        assert len(cells) == 4, (label, cells)
        out.append(Row(cat, m["name"], int(m["fn"]) if m["fn"] else None, m["unit"],
                       (cells[0], cells[1], cells[2], cells[3])))
    return out


@dataclass(frozen=True)
class Expected:
    kind: str
    value: float
    base_year: int | None = None
    period: tuple[int, int] | None = None
    approx: bool = False


def expected_target(cell: str) -> Expected:
    """What a target cell of the table says, in the plan's terms."""
    if m := re.fullmatch(r"比(\d{4})年提高(\d+(?:\.\d+)?)个百分点", cell):
        return Expected("change_pp", float(m[2]), base_year=int(m[1]))
    if m := re.fullmatch(r"比(\d{4})年下降(\d+(?:\.\d+)?)%", cell):
        return Expected("relative_change", -float(m[2]), base_year=int(m[1]))
    if m := re.fullmatch(r"(\d+(?:\.\d+)?)左右\(“(十[三四]五)”期间年均增速\)", cell):
        return Expected("average_growth", float(m[1]), period=FIVE_YEAR_PLANS[m[2]], approx=True)
    if re.fullmatch(r"\d+(?:\.\d+)?", cell):
        return Expected("level", float(cell))
    raise AssertionError(f"cannot read target cell {cell!r}")


def _as_expected(t: Target) -> Expected:
    return Expected(t.kind, t.value, t.base_year, t.period, t.approx is not None)


def check_table(plan: Plan, table: list[Row]) -> None:
    assert len(table) == 12
    assert [r.name for r in table] == [i.name.zh for i in plan.indicators]
    areas = {g.id: g.name.zh for g in plan.goal_areas}
    for row, ind in zip(table, plan.indicators, strict=True):
        where = f"{ind.id} ({row.name})"
        assert areas[ind.goal_area] == row.category, where
        assert ind.definition.footnote == row.footnote, where
        if row.unit == "%":
            assert ind.unit.startswith("%"), where
        elif row.unit == "件":
            assert ind.unit.startswith("count"), where
        # baselines: the table's 2013 and 2015 columns
        expected_baseline: dict[int, float] = {}
        for year, cell in zip((2013, 2015), row.cells[:2], strict=True):
            if cell != "-":
                expected_baseline[year] = float(cell)
        if ind.unit == "index" and row.cells[1] == "-":
            # the index base of a measured intensity, not a figure of the table
            expected_baseline[plan.base_year] = 100.0
        assert dict(ind.baseline) == expected_baseline, where
        # targets: the 2020 and 2025 columns
        assert sorted(t.year for t in ind.targets) == [2020, 2025], where
        for year, cell in zip((2020, 2025), row.cells[2:], strict=True):
            target = ind.target(year)
            assert target is not None, where
            assert _as_expected(target) == expected_target(cell), (where, year)
            assert target.text.zh == cell, (where, year)
        reduction = ind.unit == "index" and row.name.endswith("下降幅度")
        assert ind.direction == ("decrease" if reduction else "increase"), where


def test_plan_matches_the_seed_table(plan: Plan, seed_text: str) -> None:
    check_table(plan, parse_table(seed_text))


def test_plan_matches_the_hand_transcribed_table(plan: Plan) -> None:
    check_table(plan, HAND_TABLE)


def test_hand_transcription_is_the_seed_table(seed_text: str) -> None:
    assert parse_table(seed_text) == HAND_TABLE


def test_the_table_check_catches_a_wrong_number(plan: Plan) -> None:
    wrong = list(HAND_TABLE)
    wrong[7] = Row("两化融合", "关键工序数控化率", 5, "%", ("27", "33", "50", "65"))
    with pytest.raises(AssertionError):
        check_table(plan, wrong)


# --------------------------------------------------------------------------- the seed's boxes

# (metric id, year) -> what the boxes 专栏1–5 say, transcribed by hand.
HAND_PROJECT_TARGETS: dict[tuple[str, int], Expected] = {
    ("innovation_centres", 2020): Expected("level", 15, approx=True),
    ("innovation_centres", 2025): Expected("level", 40, approx=True),
    ("smart_pilot_opex_reduction", 2020): Expected("level", 30),
    ("smart_pilot_cycle_reduction", 2020): Expected("level", 30),
    ("smart_pilot_defect_reduction", 2020): Expected("level", 30),
    ("smart_pilot_opex_reduction", 2025): Expected("level", 50),
    ("smart_pilot_cycle_reduction", 2025): Expected("level", 50),
    ("smart_pilot_defect_reduction", 2025): Expected("level", 50),
    ("core_components_self_supply", 2020): Expected("level", 40),
    ("core_components_self_supply", 2025): Expected("level", 70),
    ("advanced_processes_promoted", 2025): Expected("level", 80),
    ("green_factories", 2020): Expected("level", 1000),
    ("green_parks", 2020): Expected("level", 100),
    ("pollutant_intensity_reduction", 2020): Expected("relative_change", -20, base_year=2015),
}

_CN_NUMBER = {"千": 1000.0, "百": 100.0}


def box_text(text: str, box: int) -> str:
    """The body of 专栏<box>: its paragraphs up to the first blank line after them."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"专栏{box}"))
    body: list[str] = []
    for line in lines[start + 1:]:
        if line.strip():
            body.append(line.strip())
        elif body:
            break
    return "".join(body)


def parse_project_targets(text: str, base_year: int) -> dict[tuple[str, int], Expected]:
    out: dict[tuple[str, int], Expected] = {}
    b1 = box_text(text, 1)
    for m in re.finditer(r"到(\d{4})年[,，]?(?:重点)?形成(\d+)家左右制造业创新中心", b1):
        out[("innovation_centres", int(m[1]))] = Expected("level", float(m[2]), approx=True)
    b2 = box_text(text, 2)
    for m in re.finditer(r"到(\d{4})年[^。]*?试点示范项目运营成本降低(\d+)%[,，]"
                         r"产品生产周期缩短(\d+)%[,，]不良品率降低(\d+)%", b2):
        year = int(m[1])
        out[("smart_pilot_opex_reduction", year)] = Expected("level", float(m[2]))
        out[("smart_pilot_cycle_reduction", year)] = Expected("level", float(m[3]))
        out[("smart_pilot_defect_reduction", year)] = Expected("level", float(m[4]))
    b3 = box_text(text, 3)
    for m in re.finditer(r"到(\d{4})年[,，](\d+)%的核心基础零部件、关键基础材料实现自主保障", b3):
        out[("core_components_self_supply", int(m[1]))] = Expected("level", float(m[2]))
    for m in re.finditer(r"到(\d{4})年[^。]*?(\d+)种标志性先进工艺得到推广应用", b3):
        out[("advanced_processes_promoted", int(m[1]))] = Expected("level", float(m[2]))
    b4 = box_text(text, 4)
    for m in re.finditer(r"到(\d{4})年[,，]建成(千|百|\d+)家绿色示范工厂"
                         r"和(千|百|\d+)家绿色示范园区", b4):
        year = int(m[1])
        out[("green_factories", year)] = Expected("level", _CN_NUMBER.get(m[2]) or float(m[2]))
        out[("green_parks", year)] = Expected("level", _CN_NUMBER.get(m[3]) or float(m[3]))
    for m in re.finditer(r"到(\d{4})年[^。]*?主要污染物排放强度下降(\d+)%", b4):
        # the box states no base year: the plan reads it against its own base year
        out[("pollutant_intensity_reduction", int(m[1]))] = Expected(
            "relative_change", -float(m[2]), base_year=base_year)
    return out


def check_project_targets(plan: Plan, expected: dict[tuple[str, int], Expected]) -> None:
    actual = {(m.id, t.year): _as_expected(t) for p in plan.projects for m in p.metrics
              for t in m.targets}
    assert actual == expected


def test_project_targets_match_the_seed_boxes(plan: Plan, seed_text: str) -> None:
    check_project_targets(plan, parse_project_targets(seed_text, plan.base_year))


def test_project_targets_match_the_hand_transcription(plan: Plan) -> None:
    check_project_targets(plan, HAND_PROJECT_TARGETS)


def test_hand_project_targets_are_the_seed_boxes(seed_text: str) -> None:
    assert parse_project_targets(seed_text, 2015) == HAND_PROJECT_TARGETS


def test_smart_pilot_metrics_are_reductions_achieved(plan: Plan) -> None:
    for mid in ("smart_pilot_opex_reduction", "smart_pilot_cycle_reduction",
                "smart_pilot_defect_reduction"):
        m = plan.metric(mid)
        assert (m.unit, m.direction) == ("%", "increase")
        assert m.definition is not None and m.definition.kind == "reported_average"


def test_chinese_wording_is_the_seeds_own(plan: Plan, seed_text: str) -> None:
    """Names, milestones and target wordings in Chinese are quoted from the seed."""
    quoted: list[str] = [p.name.zh for p in plan.projects]
    quoted += [t.name.zh for t in plan.tasks]
    quoted += [i.name.zh for t in plan.tasks for i in t.items]
    quoted += [s.name.zh for s in plan.sectors]
    quoted += [f.name.zh for s in plan.sectors for f in s.fields]
    quoted += [m.name.zh for m in plan.measures]
    quoted += [f.name.zh for f in plan.follow_up]
    quoted += [m.text.zh for p in plan.projects for m in p.milestones]
    quoted += [t.text.zh for p in plan.projects for m in p.metrics for t in m.targets]
    quoted += [i.definition.text.zh for i in plan.indicators if i.definition.footnote]
    missing = [q for q in quoted if q not in seed_text]
    assert missing == []


def test_milestones_are_dated_in_target_years(plan: Plan) -> None:
    years = {m.id: m.year for p in plan.projects for m in p.milestones}
    assert set(years.values()) <= set(plan.target_years)
    assert years["smart_key_fields_fully_smart"] == 2025
    assert years["green_system_established"] == 2025
    assert years["equipment_own_development"] == 2020
    assert years["foundation_technology_services"] == 2025


# --------------------------------------------------------------------------- the example


def test_example_regional_plan_extends_the_national_plan(plan: Plan) -> None:
    ex = load_plan(EXAMPLE)
    assert (ex.id, ex.area, ex.example, ex.extends) == ("guangdong_example", "440000", True,
                                                         "mic2025")
    assert "示例" in ex.title.zh and "EXAMPLE" in ex.title.en
    assert ex.document is None  # not the State Council's document, and no real one of its own
    assert [i.id for i in ex.indicators] == INDICATOR_IDS
    assert ex.projects == plan.projects
    assert ex.tasks == plan.tasks
    assert ex.sectors == plan.sectors


def test_example_overrides_only_the_targets_it_restates(plan: Plan) -> None:
    ex = load_plan(EXAMPLE)
    changed = {("rd_intensity", 2020), ("rd_intensity", 2025), ("key_process_nc_rate", 2025)}
    for national, regional in zip(plan.indicators, ex.indicators, strict=True):
        assert regional.baseline == national.baseline
        for year in plan.target_years:
            n, r = national.target(year), regional.target(year)
            assert n is not None and r is not None
            assert r.kind == n.kind and r.base_year == n.base_year, (national.id, year)
            if (national.id, year) in changed:
                assert r.value != n.value, (national.id, year)
                assert "示例" in r.text.zh and "illustrative" in r.text.en
            else:
                assert r == n, (national.id, year)
        if not any(i == national.id for i, _ in changed):
            assert regional == national
    rd = ex.metric("rd_intensity")
    assert [t.value for t in rd.targets] == [1.5, 2.0]
