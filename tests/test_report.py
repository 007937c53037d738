"""The HTML report and its SVG charts, on a hand-built evaluation (SYNTHETIC data)."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
from markupsafe import escape

from mic2025 import i18n
from mic2025.citation import Citation
from mic2025.evaluate.model import Evaluation
from mic2025.report import fmt, labels
from mic2025.report.html import render_report, write_reports
from mic2025.report.series import measure_groups
from mic2025.report.svg import (
    LineChart,
    Mark,
    ProjectionMark,
    TargetMark,
    group_chart,
    metric_charts,
    nice_ticks,
    render,
    year_ticks,
)
from report_sample import EXAMPLE, HOSTILE, all_points, sample_evaluation

GOLDEN = Path(__file__).parent / "golden"
SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return sample_evaluation()


@pytest.fixture(scope="module")
def pages(evaluation: Evaluation) -> dict[str, str]:
    return {lang: render_report(evaluation, lang) for lang in ("zh", "en")}


class _Page(HTMLParser):
    """Collects what the assertions look at: tags with attributes, ids, and text by section."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.ids: set[str] = set()
        self.section_text: dict[str, list[str]] = {}
        self._sections: list[str] = []
        self._depth: list[int] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "section":
            self._sections.append(a.get("id", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._sections:
            self._sections.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for s in self._sections:
            self.section_text.setdefault(s, []).append(data)


def parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    return p


def _number_in(text: str, number: str) -> bool:
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text) is not None


# --------------------------------------------------------------------------- files


def test_write_reports_writes_one_page_per_language(evaluation: Evaluation, tmp_path: Path) -> None:
    paths = write_reports(evaluation, tmp_path / "out")
    assert [p.name for p in paths] == ["report-zh.html", "report-en.html"]
    for path, lang in zip(paths, ("zh-CN", "en"), strict=True):
        page = path.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert f'<html lang="{lang}">' in page
        assert '<meta charset="utf-8">' in page
    # pages written together link to each other
    assert 'href="report-en.html"' in paths[0].read_text(encoding="utf-8")
    assert 'href="report-zh.html"' in paths[1].read_text(encoding="utf-8")


def test_write_reports_refuses_an_unknown_language(evaluation: Evaluation,
                                                   tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fr"):
        write_reports(evaluation, tmp_path, langs=("zh", "fr"))
    assert not list(tmp_path.iterdir())


def test_an_empty_evaluation_still_makes_a_page(evaluation: Evaluation) -> None:
    empty = evaluation.model_copy(update={"results": []})
    assert "本次评估没有结果" in render_report(empty, "zh")
    assert "This evaluation has no results" in render_report(empty, "en")


def test_render_is_deterministic(evaluation: Evaluation, pages: dict[str, str]) -> None:
    again = Evaluation.model_validate_json(evaluation.model_dump_json())
    for lang in ("zh", "en"):
        assert render_report(again, lang) == pages[lang]


# --------------------------------------------------------------------------- content


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_value_and_source_appears_in_its_metric_section(
        evaluation: Evaluation, pages: dict[str, str], lang: str) -> None:
    page = parse(pages[lang])
    hrefs = {a["href"] for tag, a in page.tags if tag == "a" and "href" in a}
    points = all_points(evaluation)
    assert len(points) > 20
    for metric, p in points:
        section = "".join(page.section_text[f"m-{metric}"])
        assert _number_in(section, fmt.number(p.value)), (metric, p.year, p.value)
        if p.source.startswith("https://"):
            assert p.source in hrefs, p.source
            assert str(escape(p.source)) in pages[lang]
        else:
            assert p.source in section


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_footnote_mark_resolves_and_every_footnote_is_used(
        pages: dict[str, str], lang: str) -> None:
    page = parse(pages[lang])
    marks = {a["href"][1:] for tag, a in page.tags
             if tag == "a" and a.get("href", "").startswith("#fn-")}
    notes = {i for i in page.ids if i.startswith("fn-")}
    assert marks, "no footnote marks"
    assert marks <= page.ids
    assert marks == notes


def test_summary_table_has_one_row_per_target(evaluation: Evaluation,
                                              pages: dict[str, str]) -> None:
    table = pages["zh"].split('<table class="summary-table">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    assert body.count("<tr") == sum(len(m.targets) for m in evaluation.results)


def test_summary_latest_value_points_at_its_source_note(pages: dict[str, str]) -> None:
    # rd_intensity 2025: latest 1.51 (2023), whose source is census-5
    page = pages["en"]
    note = re.search(r'1\.51%<sup class="fn-mark"><a href="#fn-(\d+)"', page)
    assert note is not None
    footnote = page.split(f'<li id="fn-{note.group(1)}"')[1].split("</li>")[0]
    assert f"{EXAMPLE}/census-5" in footnote


def test_statuses_and_verdicts_are_labelled_not_only_coloured(pages: dict[str, str]) -> None:
    zh, en = pages["zh"], pages["en"]
    for code in labels.STATUS_CODES:
        assert f'class="chip status-{code}"' in zh
    assert re.search(r'status-achieved"><span class="glyph" aria-hidden="true">✓&nbsp;</span>'
                     r"已达标</span>", zh)
    assert re.search(r'verdict-missed"><span class="glyph" aria-hidden="true">✕&nbsp;</span>'
                     r"Missed</span>", en)


def test_labels_follow_the_language(pages: dict[str, str]) -> None:
    zh, en = pages["zh"], pages["en"]
    zh_labels = ["阅读说明", "总览", "已达标", "进展顺利", "需加快", "偏离目标", "数据不足",
                 "已实现", "未实现", "尚未到期", "无法评估", "其他公布数", "资料来源",
                 "按期推进", "进展有限", "有进展但需加快", "2020 目标 1.26", "单位：%",
                 "指数（2015年=100）", "比上年增长，%", "2025 目标 6.5左右"]
    en_labels = ["How to read this report", "Summary", "Achieved", "On track",
                 "Needs acceleration", "Off track", "Insufficient data", "Missed", "Open",
                 "Not assessable", "Other published figures", "Sources", "Limited progress",
                 "Progress made, acceleration needed", "2020 target 1.26", "Unit: %",
                 "Index (2015 = 100)", "Growth on previous year, %", "2025 target about 6.5"]
    for label in zh_labels:
        assert label in zh, label
    for label in en_labels:
        assert label in en, label
    for label in ("阅读说明", "总览", "已达标", "进展顺利", "资料来源", "其他公布数", "单位："):
        assert label not in en, label
    for label in ("How to read", "Summary", "On track", "Sources", "Unit: "):
        assert label not in zh, label


def test_unknown_category_shows_its_code(pages: dict[str, str]) -> None:
    assert "unable_to_assess_yet" in pages["zh"]
    assert "unable_to_assess_yet" in pages["en"]


def test_published_unit_is_written_out(pages: dict[str, str]) -> None:
    assert "比2015年下降15.9%" in pages["zh"]
    assert "15.9% decline on 2015" in pages["en"]


def test_synthetic_data_is_announced(pages: dict[str, str]) -> None:
    assert "虚构数据" in pages["zh"]
    assert "They are made up" in pages["en"]


# --------------------------------------------------------------------------- safety


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_untrusted_text_is_escaped(pages: dict[str, str], lang: str) -> None:
    page = pages[lang]
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()


def test_only_http_sources_become_links(evaluation: Evaluation) -> None:
    hostile = evaluation.model_copy(deep=True)
    point = hostile.results[0].targets[1].series[0]
    hostile.results[0].targets[1].series[0] = point.model_copy(
        update={"source": "javascript:alert(1)"})
    page = render_report(hostile, "en")
    assert 'href="javascript:' not in page
    assert "javascript:alert(1)" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_loads_nothing(pages: dict[str, str], lang: str) -> None:
    page = parse(pages[lang])
    for tag, attrs in page.tags:
        if tag == "a":
            continue
        for name in ("src", "href", "srcset", "data", "poster", "action", "xlink:href"):
            value = attrs.get(name, "")
            assert not re.match(r"(https?:)?//", value), (tag, name, value)
        assert tag not in ("script", "link", "img", "iframe", "object", "embed", "audio",
                           "video", "source", "base", "form")
    style = pages[lang].split("<style>")[1].split("</style>")[0]
    assert "url(" not in style
    assert "@import" not in style
    assert "@font-face" not in style


# --------------------------------------------------------------------------- charts


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, flags=re.S)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_svg_is_well_formed_and_accessible(evaluation: Evaluation, pages: dict[str, str],
                                                 lang: str) -> None:
    svgs = _svgs(pages[lang])
    assert len(svgs) == sum(len(measure_groups(m)) for m in evaluation.results)
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG_NS}svg"
        assert root.find(f"{SVG_NS}title") is not None
        assert (root.findtext(f"{SVG_NS}desc") or "").strip()
        assert "Noto Sans CJK SC" in root.get("font-family", "")
        assert int(root.get("width", "0")) > 0 and int(root.get("height", "0")) > 0


def test_chart_draws_what_the_evaluation_says(evaluation: Evaluation) -> None:
    rd = evaluation.results[0]
    [group] = measure_groups(rd)
    chart = group_chart(group, "zh", "c", "t")
    assert chart.paths == (((2015.0, 0.95), (2020.0, 1.26), (2025.0, 1.68)),)
    assert [m.y for m in chart.series] == [p.value for p in group.points]
    assert [m.hollow for m in chart.series].count(True) == 2  # derived 2018, estimate 2022
    assert [m.y for m in chart.alternatives] == [1.45, 1.40]
    assert chart.base == Mark(x=2015.0, y=0.95, tip="基期值 2015: 0.95%")
    assert [(tm.x, tm.y, tm.label) for tm in chart.targets] == [
        (2020.0, 1.26, "2020 目标 1.26"), (2025.0, 1.68, "2025 目标 1.68")]
    [projection] = chart.projections
    assert (projection.x, projection.value, projection.lower, projection.upper,
            projection.start) == (2025.0, 1.66, 1.58, 1.75, (2023.0, 1.51))


def test_growth_targets_plan_a_flat_path_over_their_periods(evaluation: Evaluation) -> None:
    [group] = measure_groups(evaluation.results[2])
    chart = group_chart(group, "en", "c", "t")
    assert chart.paths == (((2016, 7.5), (2020, 7.5)), ((2021, 6.5), (2025, 6.5)))
    assert [tm.tolerance for tm in chart.targets] == [0.5, 0.5]
    assert chart.unit_label == "Growth on previous year, %"


def test_part_year_figure_sits_inside_its_year(evaluation: Evaluation) -> None:
    [group] = measure_groups(evaluation.results[3])
    chart = group_chart(group, "en", "c", "t")
    part = [m for m in chart.series if m.hollow]
    assert len(part) == 1
    assert 2017.7 < part[0].x < 2017.8  # 2018-09-30


def _chart(**kw: object) -> LineChart:
    base: dict[str, object] = {"chart_id": "edge", "title": "edge <&>", "desc": "d",
                               "unit_label": "Unit: %", "no_data": "No observations yet",
                               "legend": {"series": "Published", "target": "Target"}}
    base.update(kw)
    return LineChart(**base)  # type: ignore[arg-type]


def _tick_values(svg: str) -> list[float]:
    root = ET.fromstring(svg)
    grid = root.find(f"{SVG_NS}g[@class='grid']")
    assert grid is not None
    labels = [t.text or "" for t in grid.findall(f"{SVG_NS}text")
              if t.get("text-anchor") == "end"]
    return [float(s.replace(",", "")) for s in labels]


@pytest.mark.parametrize("case", [
    {},  # no data at all
    {"series": (Mark(2019, 5.0),)},  # one point
    {"series": (Mark(2016, 3.0), Mark(2017, 3.0), Mark(2018, 3.0))},  # all equal
    {"series": (Mark(2016, -4.2), Mark(2017, -0.5), Mark(2018, 2.5))},  # negative values
    {"series": (Mark(2015, 100.0), Mark(2020, 84.1)), "reference_line": 100.0,
     "targets": (TargetMark(2020, 82.0, "2020 target 82"),)},  # an index
    {"series": (Mark(2019, 6.81, hollow=True),), "paths": (((2016, 7.5), (2020, 7.5)),),
     "targets": (TargetMark(2020, 7.5, "2020 target about 7.5", tolerance=0.5),)},  # growth
    {"targets": (TargetMark(2025, 1.1, "2025 target 1.1"),),
     "projections": (ProjectionMark(2025, None, 0.9, 1.2),)},  # no series, a band
    {"series": (Mark(2016, 12_000.0), Mark(2017, 56_000.0))},  # thousands
])
def test_edge_charts_render_and_cover_their_values(case: dict[str, object]) -> None:
    chart = _chart(**case)
    svg = render(chart)
    assert svg == render(chart)
    root = ET.fromstring(svg)
    assert root.findtext(f"{SVG_NS}title") == "edge <&>"
    values = [m.y for m in chart.series] + [t.y for t in chart.targets]
    if not values and not chart.projections:
        assert "No observations yet" in svg
        return
    ticks = _tick_values(svg)
    assert len(ticks) >= 2
    assert all(ticks[0] <= v <= ticks[-1] for v in values)


def test_nice_ticks() -> None:
    assert nice_ticks(0.95, 1.75) == [0.8, 1.0, 1.2, 1.4, 1.6, 1.8]
    assert nice_ticks(-4.2, 2.5) == [-6.0, -4.0, -2.0, 0.0, 2.0, 4.0]
    for lo, hi in [(0.0, 1.0), (-3.3, 7.7), (63.0, 101.0), (1e-3, 2e-3), (5.0, 5.0)]:
        ticks = nice_ticks(lo, hi)
        assert ticks[0] <= min(lo, hi) and ticks[-1] >= max(lo, hi)
        steps = {round(b - a, 12) for a, b in pairwise(ticks)}
        assert len(steps) == 1
    with pytest.raises(ValueError):
        nice_ticks(float("nan"), 1.0)


def test_year_ticks() -> None:
    assert year_ticks(2015, 2025, 14) == list(range(2015, 2026))
    assert year_ticks(2015, 2025, 6) == [2016, 2018, 2020, 2022, 2024]
    assert year_ticks(1990, 2030, 6) == [1990, 2000, 2010, 2020, 2030]


def test_golden_chart(evaluation: Evaluation) -> None:
    """The rendering of one fixed chart, byte for byte. MIC2025_UPDATE_GOLDEN=1 rewrites it."""
    svg = metric_charts(evaluation.results[0], "zh")[0]
    path = GOLDEN / "chart-rd_intensity-zh.svg"
    if os.environ.get("MIC2025_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with MIC2025_UPDATE_GOLDEN=1 to create it"
    assert svg == path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- labels


def test_label_table_is_complete_in_both_languages() -> None:
    for key in i18n.all_keys():
        zh, en = i18n.entry(key)
        assert (zh.strip() and en.strip()) or key == "sentence_sep", key
    for code in labels.STATUS_CODES:
        assert i18n.code_label("status", code, "zh") != code
        assert i18n.code_label("status", code, "en") != code
    for code in labels.VERDICT_CODES:
        assert i18n.code_label("verdict", code, "zh") != code
    categories = {
        "statcan": ["target_achieved", "on_track", "acceleration_needed", "limited_progress",
                    "deterioration", "insufficient_data"],
        "unsd2022": ["target_met", "substantial_progress", "fair_progress",
                     "limited_or_no_progress", "deterioration", "insufficient_data"],
        "unsd2023": ["target_met_or_on_track", "fair_progress_acceleration_needed",
                     "stagnation_or_regression", "insufficient_data"],
        "escap": ["maintain", "accelerate", "reverse", "insufficient_data"],
    }
    assert tuple(categories) == labels.METHOD_CODES
    for method, codes in categories.items():
        assert labels.method_categories(method) == codes
        for code in codes:
            for lang in ("zh", "en"):
                assert labels.category_label(method, code, lang) != code
                assert labels.category_description(method, code, lang)
        assert labels.method_name(method, "zh") != method
        assert labels.method_reference(method)


def test_unknown_codes_fall_back_to_the_code() -> None:
    assert labels.category_label("statcan", "brand_new", "zh") == "brand_new"
    assert labels.category_label("newmethod", "on_track", "en") == "On track"
    assert i18n.code_label("status", "mystery", "en") == "mystery"
    assert labels.method_name("newmethod", "zh") == "newmethod"


# ------------------------------------------------------------------ the engine's notes, translated


def _note_situations() -> list[tuple[str, object]]:
    """One target per note situation, judged by the engine on SYNTHETIC data."""
    from datetime import date as _date

    from mic2025 import periods
    from mic2025.evaluate.engine import evaluate_target
    from mic2025.observation import Observation
    from mic2025.plan import Metric

    text = {"zh": "目标", "en": "target"}

    def metric(mid: str, unit: str, targets: list[dict[str, object]], **kw: object) -> Metric:
        return Metric.model_validate({"id": mid, "name": {"zh": mid, "en": mid}, "unit": unit,
                                      "direction": "increase", "targets": targets, **kw})

    def o(mid: str, when: int | periods.Period, value: float, unit: str,
          **kw: object) -> Observation:
        p = periods.year(when) if isinstance(when, int) else when
        return Observation(indicator=mid, area="000000", period=p, value=value, unit=unit,
                           source="https://example.org/synthetic", flags=frozenset({"synthetic"}),
                           **kw)  # type: ignore[arg-type]

    def judge(m: Metric, year: int, data: list[Observation], on: tuple[int, int, int],
              context: dict[str, list[Observation]] | None = None) -> object:
        t = m.target(year)
        assert t is not None
        return evaluate_target(m, t, data, evaluated_on=_date(*on), plan_base_year=2015,
                               context=context)

    level = [{"year": 2020, "kind": "level", "value": 50, "text": text}]
    later = [{"year": 2025, "kind": "level", "value": 82, "text": text}]
    growth = [{"year": 2020, "kind": "average_growth", "value": 7.5, "period": [2016, 2020],
               "approx": {"tolerance": 0.5}, "text": text}]
    about = [{"year": 2020, "kind": "level", "value": 15, "text": text,
              "approx": {"tolerance": 0.1, "relative": True}}]
    nc = metric("nc", "%", level, baseline={2015: 33})
    tools = metric("tools", "%", level, baseline={2015: 40}, scopes=["A", "B"])
    bb = metric("bb", "%", later, baseline={2015: 50}, value_range=[0, 100])
    lp = metric("lp", "%yoy", growth)
    centres = metric("centres", "count", about, baseline={2015: 0})
    lone = metric("lone", "%", later)
    released = metric("released", "%", level, baseline={2015: 33}, release={
        "publisher": {"zh": "统计局", "en": "Statistics office"},
        "publication": {"zh": "公报", "en": "Communiqué"},
        "due": {"years_after": 1, "month": 9, "day": 30}})
    before_2020 = [o("released", 2018, 45, "%"), o("released", 2019, 47, "%")]
    rates = {2016: 7.0, 2017: 7.2, 2018: 7.4, 2019: 7.1, 2020: 7.3}
    relation = {"text": text, "source": text, "series": "broad"}
    low = metric("low", "%", level, bounds=[{**relation, "side": "lower"}])
    high = metric("high", "%", level, bounds=[{**relation, "side": "upper"}])
    return [
        ("on_lower_bound", judge(low, 2020, [o("low", 2019, 45, "%")], (2021, 6, 1),
                                 {"broad": [o("broad", 2020, 52, "%")]})),
        ("on_upper_bound", judge(high, 2020, [o("high", 2019, 45, "%")], (2021, 6, 1),
                                 {"broad": [o("broad", 2020, 48, "%")]})),
        ("pending_latest", judge(nc, 2020, [o("nc", 2018, 45, "%"), o("nc", 2019, 47, "%")],
                                 (2021, 6, 1))),
        ("next_year", judge(nc, 2020, [o("nc", periods.as_of(_date(2020, 9, 30)), 49, "%"),
                                       o("nc", 2021, 55.3, "%")], (2022, 6, 1))),
        ("partial_year_headline", judge(
            tools, 2020, [o("tools", periods.as_of(_date(2020, 9, 30)), 50.1, "%", scope="A"),
                          o("tools", 2020, 49.5, "%", scope="B")], (2021, 6, 1))),
        ("tolerance", judge(centres, 2020, [o("centres", 2017, 5, "count"),
                                            o("centres", 2020, 14, "count")], (2021, 6, 1))),
        ("geometric_mean", judge(lp, 2020, [o("lp", y, v, "%yoy") for y, v in rates.items()],
                                 (2021, 6, 1))),
        ("growth_years_known", judge(lp, 2020, [o("lp", y, rates[y], "%yoy")
                                                for y in (2016, 2017, 2018)], (2021, 6, 1))),
        ("clipped", judge(bb, 2025, [o("bb", y, v, "%") for y, v in
                                     zip(range(2016, 2021), (61, 72, 83, 94, 96), strict=True)],
                          (2021, 6, 1))),
        ("no_interval", judge(bb, 2025, [o("bb", 2016, 55, "%"), o("bb", 2017, 60, "%")],
                              (2018, 6, 1))),
        ("too_few_points", judge(lone, 2025, [o("lone", 2017, 60, "%")], (2018, 6, 1))),
        ("growth_too_few", judge(lp, 2020, [o("lp", 2016, 7.0, "%yoy")], (2017, 6, 1))),
        ("growth_no_interval", judge(lp, 2020, [o("lp", 2016, 7.0, "%yoy"),
                                                o("lp", 2017, 7.1, "%yoy")], (2018, 6, 1))),
        ("due", judge(released, 2020, before_2020, (2021, 6, 1))),
        ("data_gap", judge(released, 2020, before_2020, (2021, 10, 1))),
    ]


#: words of the engine's English notes that a Chinese page must not show
_ENGLISH_NOTE_WORDS = ("not yet published", "not in the store", "is due by", "judged on",
                       "tolerance of", "geometric mean growth", "the verdict needs",
                       "a trend needs", "extrapolated", "clipped to",
                       "growth figure", "point projection", "part-year", "lower bound",
                       "upper bound")


def test_engine_notes_carry_codes_and_the_zh_report_translates_every_one() -> None:
    from mic2025.evaluate.model import (
        PROJECTION_NOTE_CODES,
        VERDICT_NOTE_CODES,
        MetricResult,
        TargetResult,
        note_text,
    )

    situations = _note_situations()
    seen: set[str] = set()
    results = []
    for code, tr in situations:
        assert isinstance(tr, TargetResult)
        vcodes = [p.code for p in tr.verdict_note_parts]
        pr = tr.projection
        pcodes = [p.code for p in pr.note_parts] if pr is not None else []
        assert code in vcodes + pcodes, (code, vcodes, pcodes)
        seen |= set(vcodes) | set(pcodes)
        # the English text fields say exactly what the codes say
        assert tr.verdict_note == note_text(tr.verdict_note_parts, VERDICT_NOTE_CODES)
        if pr is not None:
            assert pr.note == note_text(pr.note_parts, PROJECTION_NOTE_CODES)
            assert fmt.projection_note(pr, "en") == pr.note
        assert fmt.verdict_note(tr, "en") == tr.verdict_note
        for lang_text in (fmt.verdict_note(tr, "zh"), fmt.projection_note(pr, "zh")):
            assert lang_text is None or not any(w in lang_text for w in _ENGLISH_NOTE_WORDS)
        results.append(MetricResult(
            metric=tr.metric, name={"zh": f"情形{code}", "en": code}, group="indicator",
            parent="g", parent_name={"zh": "组", "en": "group"}, unit=tr.measure_unit,
            direction=tr.direction, targets=[tr]))
    assert seen == set(VERDICT_NOTE_CODES) | set(PROJECTION_NOTE_CODES), "a code is untested"
    ev = sample_evaluation().model_copy(update={"results": results})
    zh = render_report(ev, "zh")
    for word in _ENGLISH_NOTE_WORDS:
        assert word not in zh, word
    assert "尚未公布，评估采用最新数值" in zh and "趋势线为外推" in zh
    en = render_report(ev, "en")
    assert "not yet published" in en and "extrapolated" in en


def test_a_note_without_codes_is_shown_as_written() -> None:
    from mic2025 import i18n as _i18n

    assert _i18n.note_text("verdict_note", [], "zh", "old text") == "old text"
    assert _i18n.note_text("verdict_note", [("unknown_code", {})], "zh", "old") == "old"
    assert _i18n.note_text("verdict_note", [("pending_latest", {})], "zh", "old") == "old"
    assert _i18n.note_text("verdict_note", [], "zh", None) is None
    args = {"target_year": 2025, "latest_period": "2024"}
    assert _i18n.note_text("verdict_note", [("pending_latest", args)], "zh", None) == \
        "2025年数值尚未公布，评估采用最新数值（2024）"


# ------------------------------------------------------- alternatives' reasons and model names


def _reason_situations() -> list[object]:
    """Targets whose alternatives cover every reason a figure is left out of the headline
    series (SYNTHETIC data), judged by the engine."""
    from datetime import date as _date

    from mic2025 import periods
    from mic2025.evaluate.engine import evaluate_target
    from mic2025.observation import Observation
    from mic2025.plan import Metric

    text = {"zh": "目标", "en": "target"}
    src2 = "https://example.org/other"

    def metric(mid: str, unit: str, target: dict[str, object], **kw: object) -> Metric:
        return Metric.model_validate({"id": mid, "name": {"zh": mid, "en": mid}, "unit": unit,
                                      "direction": "increase",
                                      "targets": [{**target, "text": text}], **kw})

    def o(mid: str, when: int | periods.Period, value: float, unit: str,
          source: str = "https://example.org/synthetic", flags: tuple[str, ...] = (),
          **kw: object) -> Observation:
        p = periods.year(when) if isinstance(when, int) else when
        return Observation(indicator=mid, area="000000", period=p, value=value, unit=unit,
                           source=source, flags=frozenset({"synthetic", *flags}),
                           **kw)  # type: ignore[arg-type]

    def upto(year: int, month: int = 9, day: int = 30) -> periods.Period:
        return periods.as_of(_date(year, month, day))

    level = {"year": 2020, "kind": "level", "value": 50}
    index = {"year": 2020, "kind": "relative_change", "value": -18, "base_year": 2015}
    growth = {"year": 2020, "kind": "average_growth", "value": 7.5, "period": [2016, 2020]}
    e = "tce/10k_yuan"
    cases = [
        (metric("lv", "%", level, baseline={2015: 40}, scopes=["A", "B"]), [
            o("lv", 2015, 41, "%", scope="A"),                               # plan_baseline
            o("lv", 2016, 42, "%", scope="A", flags=("proxy",)),             # proxy
            o("lv", 2016, 42.5, "%", scope="C"),                             # scope_not_accepted
            o("lv", 2016, 43, "%", scope="A"),
            o("lv", 2016, 43.5, "%", scope="B"),                             # other_scope
            o("lv", 2016, 44, "%"),                                          # other_scope_none
            o("lv", 2017, 44, "%", scope="A"),
            o("lv", 2017, 44.5, "%", scope="A", source=src2, flags=("derived",)),  # derived
            o("lv", upto(2017), 44.1, "%", scope="A"),                       # full_year
            o("lv", 2018, 45, "%", scope="A", vintage=2),
            o("lv", 2018, 45.2, "%", scope="A", vintage=1),                  # later_vintage
            o("lv", 2018, 45, "%", scope="A", source=src2),                  # same_figure
            o("lv", upto(2019, 6), 46, "%", scope="A"),                      # later_period
            o("lv", upto(2019), 46.5, "%", scope="A"),
            o("lv", 2020, 47, "%", scope="A"),
            o("lv", 2020, 47.5, "%", scope="A", source=src2),                # conflicting_source
            o("lv", 2021, 48, "%", scope="A",
              citation=Citation(publication_date=_date(2022, 3, 1))),
            o("lv", 2021, 48.5, "%", scope="A", source=src2,
              citation=Citation(publication_date=_date(2022, 1, 1))),        # ..._newer
            o("lv", 2019, 3, "%yoy", scope="A"),                             # change_not_level
            o("lv", 2019, 3, "count", scope="A"),                            # unit_not_convertible
        ]),
        (metric("cp", "%", {"year": 2020, "kind": "change_pp", "value": 2, "base_year": 2015}),
         [o("cp", 2018, 1.0, "pp_vs:2015"), o("cp", 2019, 45, "%")]),       # no_base_for_points
        (metric("ix", e, index), [
            o("ix", 2015, 0.9, e),                                           # base_year
            o("ix", 2016, 2.0, "pp_vs:2015"),                                # points_not_relative
            o("ix", upto(2016), 1.0, "decline%yoy"),                         # partial_year_yoy
            o("ix", 2017, 3.0, "decline%vs:2015"),
            o("ix", 2017, 0.86, e),                                          # other_route
            o("ix", 2019, 1.0, "decline%yoy"),                               # chain_missing
            o("ix", 2016, 1.0, "decline%vs:2021"),                           # refers_not_before
        ]),
        (metric("nb", e, index), [o("nb", 2017, 0.8, e)]),                   # level_needs_base
        (metric("ub", e, index, baseline={2015: 1.0}),
         [o("ub", 2017, 0.8, "count")]),                                     # unit_not_base_unit
        (metric("zb", e, index, baseline={2015: 0}), [o("zb", 2017, 0.8, e)]),  # base_level_zero
        (metric("gr", "%yoy", growth), [
            o("gr", 2016, 7, "%yoy"), o("gr", 2017, 7.2, "%yoy"), o("gr", 2018, 7.1, "%yoy"),
            o("gr", 2019, 7.3, "%yoy"),
            o("gr", 2017, 55, "%"),                                          # level_not_growth
            o("gr", 2018, 20, "decline%vs:2015"),                            # fixed_change_...
        ]),
        (metric("gl", "count", growth), [
            o("gl", 2016, 0, "count"), o("gl", 2017, 5, "count"),           # ..._not_positive
            o("gl", 2019, 6, "count"),                                       # growth_prev_missing
            o("gl", upto(2020), 7, "count"),                                 # growth_part_year
        ]),
    ]
    return [evaluate_target(m, m.targets[0], data, evaluated_on=_date(2022, 6, 1),
                            plan_base_year=2015) for m, data in cases]


#: words of the engine's English reasons and model names that a Chinese page must not show
_ENGLISH_REASON_WORDS = (
    "proxy figure", "is not one the plan accepts", "plan baseline", "the index is",
    "other scope", "superseded by", "other route", "differs from the headline",
    "derived figure", "another release", "conflicting source", "the later release",
    "no comparable value", "which is not before", "cannot be chained", "cannot become",
    "cannot be converted", "percentage points", "year-on-year change", "needs the",
    "no index can be formed", "not a yearly growth rate", "growth from", "not positive",
    "time-weighted", "linear trend", "mean growth", "residual bootstrap",
    "percentile prediction interval")


def test_reasons_and_models_carry_codes_and_the_zh_report_translates_every_one() -> None:
    from mic2025.evaluate.model import (
        ALTERNATIVE_REASON_CODES,
        PROJECTION_MODEL_CODES,
        MetricResult,
        TargetResult,
        note_text,
    )

    seen: set[str] = set()
    models: set[str] = set()
    results = []
    alternatives = []
    for tr in _reason_situations():
        assert isinstance(tr, TargetResult)
        for a in tr.alternatives:
            assert len(a.reason_parts) == 1, a
            seen.add(a.reason_parts[0].code)
            # the English text field says exactly what the code says
            assert a.reason == note_text(a.reason_parts, ALTERNATIVE_REASON_CODES)
            # ... and the English report says it too, with another route written as the report
            # writes every derivation (units in words)
            expected = a.reason
            if a.reason_parts[0].code == "other_route":
                expected = a.reason.replace(str(a.derivation), fmt.derivation(a, "en"))
                assert expected != a.reason
            assert fmt.alternative_reason(a, "en") == expected
            zh = fmt.alternative_reason(a, "zh")
            assert not any(w in zh for w in _ENGLISH_REASON_WORDS), zh
            alternatives.append(a)
        pr = tr.projection
        if pr is not None:
            models.add(pr.model_code)
            assert pr.model == PROJECTION_MODEL_CODES[pr.model_code].format(**pr.model_args)
            assert fmt.projection_model(pr, "en") == pr.model
            assert not any(w in fmt.projection_model(pr, "zh") for w in _ENGLISH_REASON_WORDS)
        results.append(MetricResult(
            metric=tr.metric, name={"zh": f"情形{tr.metric}", "en": tr.metric}, group="indicator",
            parent="g", parent_name={"zh": "组", "en": "group"}, unit=tr.measure_unit,
            direction=tr.direction, targets=[tr]))
    # "no_comparable_value" is a fallback the engine never reaches: every candidate without a
    # value says why
    assert seen == set(ALTERNATIVE_REASON_CODES) - {"no_comparable_value"}, "a code is untested"
    assert models == set(PROJECTION_MODEL_CODES)
    ev = sample_evaluation().model_copy(update={"results": results})
    zh = render_report(ev, "zh")
    for word in _ENGLISH_REASON_WORDS:
        assert word not in zh, word
    assert "替代指标数值：不进入主序列" in zh and "时间加权线性趋势" in zh
    en = render_report(ev, "en")
    for a in alternatives:
        assert str(escape(fmt.alternative_reason(a, "en"))) in en, a.reason
    assert "time-weighted linear trend" in en


def test_a_reason_or_model_without_codes_is_shown_as_written() -> None:
    from mic2025.evaluate.model import Alternative, Projection

    a = Alternative(year=2020, period="2020", value=1.0, raw_value=1.0, raw_unit="%", scope="",
                    source="x", reason="old reason")
    assert fmt.alternative_reason(a, "zh") == "old reason"
    pr = Projection(model="old model", year=2020, value=None, lower=None, upper=None,
                    level=0.9, probability=None, n_points=0)
    assert fmt.projection_model(pr, "zh") == "old model"
    args = {"n_boot": 2000, "seed": 1, "level": 0.9}
    pr = pr.model_copy(update={"model_code": "linear_trend", "model_args": args})
    assert fmt.projection_model(pr, "zh").endswith("（B=2000，随机种子1），90%百分位预测区间")
