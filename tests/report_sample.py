"""A hand-built :class:`Evaluation` for the report tests. SYNTHETIC: every figure is made up.

The metric names follow the plan so the pages read naturally, but the values, sources and
judgements are invented to cover the cases the report must draw: a level target achieved,
an index target missed, a growth target with insufficient data, projection bands, other
published figures, a part-year figure, a metric with no data at all, and hostile text.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from mic2025.evaluate.model import (
    Alternative,
    Assessment,
    Evaluation,
    MetricResult,
    Projection,
    SeriesPoint,
    TargetResult,
)
from mic2025.plan import Text

HOSTILE = "<script>alert(1)</script>"
EXAMPLE = "https://example.org/synthetic"


def point(year: int, value: float, source: str, **kw: Any) -> SeriesPoint:
    kw.setdefault("flags", ["synthetic"])
    return SeriesPoint(year=year, period=kw.pop("period", str(year)), value=value,
                       raw_value=kw.pop("raw_value", value), raw_unit=kw.pop("raw_unit", "%"),
                       scope=kw.pop("scope", "规模以上制造业"), source=source, **kw)


def alternative(year: int, value: float, source: str, reason: str, **kw: Any) -> Alternative:
    kw.setdefault("flags", ["synthetic"])
    return Alternative(year=year, period=str(year), value=value, raw_value=value,
                       raw_unit=kw.pop("raw_unit", "%"), scope=kw.pop("scope", "规模以上工业"),
                       source=source, reason=reason, **kw)


def _rd_intensity() -> MetricResult:
    src = f"{EXAMPLE}/rd-intensity?table=1&year=all"
    series = [
        point(2015, 0.95, src, source_date=date(2016, 11, 10)),
        point(2016, 1.01, src, source_date=date(2017, 10, 9)),
        point(2017, 1.08, src, source_date=date(2018, 10, 9)),
        point(2018, 1.16, f"{EXAMPLE}/census-4", flags=["synthetic", "derived"],
              derivation="高技术制造业 2.27 减去 1.11 个百分点之差 " + HOSTILE),
        point(2019, 1.22, src, source_date=date(2020, 8, 27), lower=1.19, upper=1.25),
        point(2020, 1.31, src, source_date=date(2021, 9, 22), vintage=2),
        point(2021, 1.38, src, source_date=date(2022, 8, 31)),
        point(2022, 1.44, f"{EXAMPLE}/flash-estimate", flags=["synthetic", "estimate"]),
        point(2023, 1.51, f"{EXAMPLE}/census-5", source_date=date(2024, 12, 26)),
    ]
    alternatives = [
        alternative(2019, 1.45, f"{EXAMPLE}/cae-mpi-2020",
                    "口径不同：中国工程院制造强国指数的“研发投入强度”，非统计局口径"),
        alternative(2022, 1.40, "《中国科技统计年鉴2023》表 1-4（合成示例）",
                    "规模以上工业（含采矿业和公用事业），不是制造业 " + HOSTILE),
    ]
    base = {"base_year": 2015, "base_value": 0.95}
    return MetricResult(
        metric="rd_intensity",
        name=Text(zh="规模以上制造业研发经费内部支出占主营业务收入比重",
                  en="R&D expenditure of manufacturers above designated size, % of revenue"),
        group="indicator", parent="innovation",
        parent_name=Text(zh="创新能力", en="Innovation capability"),
        unit="%", direction="increase",
        targets=[
            TargetResult(
                metric="rd_intensity", target_year=2020, kind="level",
                target_text=Text(zh="2020年达到1.26%", en="1.26% by 2020"),
                target_value=1.26, measure="level", measure_unit="%", direction="increase",
                verdict="achieved", verdict_year=2020, verdict_value=1.31,
                assessment=Assessment(
                    method="statcan", category="target_achieved", status="achieved",
                    progress=1.0, latest_year=2020, latest_value=1.31, target_year=2020,
                    target_value=1.26, reference="Statistics Canada (synthetic reference)", **base),
                series=series[:6], alternatives=alternatives[:1]),
            TargetResult(
                metric="rd_intensity", target_year=2025, kind="level",
                target_text=Text(zh="2025年达到1.68%", en="1.68% by 2025"),
                target_value=1.68, measure="level", measure_unit="%", direction="increase",
                verdict="open",
                assessment=Assessment(
                    method="statcan", category="on_track", status="on_track", ratio=1.02,
                    progress=0.767, observed_pace=0.0595, required_pace=0.0582, pace_kind="cagr",
                    latest_year=2023, latest_value=1.51, target_year=2025, target_value=1.68,
                    score=2.62, **base),
                projection=Projection(model="log-linear trend, 2015–2023", year=2025, value=1.66,
                                      lower=1.58, upper=1.75, level=0.9, probability=0.41,
                                      n_points=9),
                series=series, alternatives=alternatives),
        ],
    )


def _energy_index() -> MetricResult:
    src = f"{EXAMPLE}/energy-communique"
    values = [(2015, 100.0), (2016, 95.0), (2017, 91.2), (2018, 88.3), (2019, 86.0),
              (2020, 84.1), (2021, 82.5), (2022, 81.6), (2023, 80.9)]
    series = [point(y, v, f"{src}/{y}", raw_value=round(100 - v, 1), raw_unit="decline%vs:2015",
                    scope="规模以上工业", source_date=date(y + 1, 2, 28))
              for y, v in values]
    base = {"base_year": 2015, "base_value": 100.0}
    return MetricResult(
        metric="energy_intensity",
        name=Text(zh="规模以上单位工业增加值能耗下降幅度",
                  en="Energy use per unit of industrial value added (above designated size)"),
        group="indicator", parent="green",
        parent_name=Text(zh="绿色发展", en="Green development"),
        unit="tce/10k_yuan", direction="decrease",
        targets=[
            TargetResult(
                metric="energy_intensity", target_year=2020, kind="relative_change",
                target_text=Text(zh="比2015年下降18%", en="18% lower than in 2015"),
                target_value=82.0, measure="index", measure_unit="index", direction="decrease",
                verdict="missed", verdict_year=2020, verdict_value=84.1,
                verdict_note="2020年指数为84.1，高于目标82.0 " + HOSTILE,
                assessment=Assessment(
                    method="statcan", category="limited_progress", status="off_track",
                    ratio=0.81, progress=0.883, latest_year=2020, latest_value=84.1,
                    target_year=2020, target_value=82.0, **base),
                series=series[:6]),
            TargetResult(
                metric="energy_intensity", target_year=2025, kind="relative_change",
                target_text=Text(zh="比2015年下降34%", en="34% lower than in 2015"),
                target_value=66.0, measure="index", measure_unit="index", direction="decrease",
                verdict="open",
                assessment=Assessment(
                    method="statcan", category="limited_progress", status="off_track",
                    ratio=0.58, progress=0.562, observed_pace=-0.0262, required_pace=-0.0407,
                    pace_kind="cagr", latest_year=2023, latest_value=80.9, target_year=2025,
                    target_value=66.0, notes=["按2015年不变价计算（合成示例）"], **base),
                projection=Projection(model="log-linear trend, 2015–2023", year=2025, value=77.6,
                                      lower=75.2, upper=80.1, level=0.9, probability=0.01,
                                      n_points=9),
                series=series),
        ],
    )


def _labour_productivity() -> MetricResult:
    series = [point(2019, 6.81, f"{EXAMPLE}/cae-mpi-2020#labour", raw_unit="%yoy",
                    scope="制造业（国际比较口径）", flags=["synthetic", "proxy"])]
    alternatives = [alternative(2019, -1.2, f"{EXAMPLE}/regional-bulletin", raw_unit="%yoy",
                                reason="某省数据，不是全国口径", scope="某省制造业")]

    def target(year: int, value: float, first: int) -> TargetResult:
        return TargetResult(
            metric="labour_productivity_growth", target_year=year, kind="average_growth",
            target_text=Text(zh=f"“十{'三' if year == 2020 else '四'}五”期间年均增速{value}%左右",
                             en=f"about {value}% a year on average over {first}–{year}"),
            target_value=value, tolerance=0.5, measure="growth", measure_unit="%yoy",
            direction="increase", verdict="not_assessable" if year == 2020 else "open",
            verdict_note="只有一个年份的数据" if year == 2020 else None,
            assessment=Assessment(method="statcan", category="insufficient_data",
                                  status="insufficient_data", target_year=year,
                                  target_value=value, base_year=first - 1,
                                  latest_year=2019 if year == 2020 else None,
                                  latest_value=6.81 if year == 2020 else None),
            series=series if year == 2020 else [], alternatives=alternatives)

    return MetricResult(
        metric="labour_productivity_growth",
        name=Text(zh="制造业全员劳动生产率增速", en="Growth of manufacturing labour productivity"),
        group="indicator", parent="quality",
        parent_name=Text(zh="质量效益", en="Quality and efficiency"),
        unit="%yoy", direction="increase",
        targets=[target(2020, 7.5, 2016), target(2025, 6.5, 2021)],
    )


def _innovation_centres() -> MetricResult:
    src = f"{EXAMPLE}/miit-centres"
    series = [
        point(2016, 1, src, raw_unit="count", scope="国家制造业创新中心"),
        point(2017, 5, src, raw_unit="count", scope="国家制造业创新中心"),
        point(2018, 9, src, raw_unit="count", scope="国家制造业创新中心", period="2018-09-30"),
        point(2019, 13, src, raw_unit="count", scope="国家制造业创新中心"),
        point(2020, 16, src, raw_unit="count", scope="国家制造业创新中心"),
        point(2021, 21, src, raw_unit="count", scope="国家制造业创新中心"),
        point(2023, 26, src, raw_unit="count", scope="国家制造业创新中心"),
    ]
    return MetricResult(
        metric="innovation_centres",
        name=Text(zh="制造业创新中心数量", en="Manufacturing innovation centres"),
        group="project", parent="innovation_centres_project",
        parent_name=Text(zh="制造业创新中心（工业技术研究基地）建设工程",
                         en="Manufacturing innovation centre project"),
        unit="count", direction="increase",
        targets=[
            TargetResult(
                metric="innovation_centres", target_year=2020, kind="level",
                target_text=Text(zh="到2020年，重点形成15家左右制造业创新中心",
                                 en="about 15 manufacturing innovation centres by 2020"),
                target_value=15, tolerance=1, measure="level", measure_unit="count",
                direction="increase", verdict="achieved", verdict_year=2020, verdict_value=16,
                assessment=Assessment(method="statcan", category="target_achieved",
                                      status="achieved", progress=1.0, target_year=2020,
                                      target_value=15, base_year=2016, base_value=1,
                                      latest_year=2020, latest_value=16),
                series=series[:5]),
            TargetResult(
                metric="innovation_centres", target_year=2025, kind="level",
                target_text=Text(zh="力争到2025年形成40家左右制造业创新中心",
                                 en="about 40 manufacturing innovation centres by 2025"),
                target_value=40, tolerance=2, measure="level", measure_unit="count",
                direction="increase", verdict="open",
                assessment=Assessment(method="statcan", category="acceleration_needed",
                                      status="needs_acceleration", ratio=0.74, progress=0.641,
                                      observed_pace=3.57, required_pace=4.33,
                                      pace_kind="linear", target_year=2025, target_value=40,
                                      base_year=2016, base_value=1, latest_year=2023,
                                      latest_value=26),
                projection=Projection(model="linear trend, 2016–2023", year=2025, value=33.1,
                                      lower=29.4, upper=36.8, level=0.9, probability=0.02,
                                      n_points=7),
                series=series),
        ],
    )


def _patents() -> MetricResult:
    """A metric nobody has published a figure for; its category code is one no table knows."""
    def target(year: int, value: float) -> TargetResult:
        return TargetResult(
            metric="patents_per_revenue", target_year=year, kind="level",
            target_text=Text(zh=f"{year}年达到{value}件", en=f"{value} by {year}"),
            target_value=value, measure="level", measure_unit="count", direction="increase",
            verdict="not_assessable",
            assessment=Assessment(method="statcan", category="unable_to_assess_yet",
                                  status="insufficient_data", target_year=year,
                                  target_value=value, base_year=2015, base_value=0.44))

    return MetricResult(
        metric="patents_per_revenue",
        name=Text(zh="规模以上制造业每亿元主营业务收入有效发明专利数",
                  en="Valid invention patents per 100m yuan of revenue"),
        group="indicator", parent="innovation",
        parent_name=Text(zh="创新能力", en="Innovation capability"),
        unit="count", direction="increase",
        targets=[target(2020, 0.70), target(2025, 1.10)],
    )


def sample_evaluation() -> Evaluation:
    return Evaluation(
        plan="mic2025",
        plan_version="synthetic-test",
        plan_title=Text(zh="《中国制造2025》", en="Made in China 2025"),
        area="000000",
        area_name=Text(zh="全国", en="China (national)"),
        method="statcan",
        evaluated_on=date(2025, 6, 30),
        as_of=datetime(2025, 6, 30, 8, 0, tzinfo=UTC),
        generated_at=datetime(2025, 6, 30, 8, 5, tzinfo=UTC),
        software="mic2025 0.1.0 (test)",
        results=[_rd_intensity(), _energy_index(), _labour_productivity(),
                 _innovation_centres(), _patents()],
    )


def all_points(evaluation: Evaluation) -> list[tuple[str, SeriesPoint]]:
    """Every series point and alternative of the evaluation, with its metric id."""
    return [(m.metric, p) for m in evaluation.results for tr in m.targets
            for p in (*tr.series, *tr.alternatives)]
