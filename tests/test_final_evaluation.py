"""The final evaluation (终期评估): verdicts past the plan period, Word and PDF read back."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.followup.adjust import propose
from mic2025.followup.common import FollowupError
from mic2025.followup.final import MET, FinalEvaluation, build, expected_date
from mic2025.followup.midterm import Inputs, gather, verdict_counts
from mic2025.plan import load_plan
from mic2025.report import fmt
from mic2025.report.final import expected_cell, verdict_line
from mic2025.report.official import Sources
from mic2025.store import open_store

ON = date(2026, 12, 6)
MET_2025 = {"rd_intensity", "quality_competitiveness_index", "broadband_penetration",
            "water_intensity_reduction"}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory,
           sqlite_copy: Callable[..., str]) -> Iterator[Inputs]:
    # a store holding the bundled evidence, as the first command leaves it
    store = open_store(sqlite_copy(tmp_path_factory.mktemp("final") / "store.sqlite"))
    plan = load_plan()
    yield gather(plan, store, evaluated_on=ON)
    store.close()


@pytest.fixture(scope="module")
def final(inputs: Inputs) -> FinalEvaluation:
    return build(inputs)


def test_the_2025_targets_met_on_the_latest_figures_count_as_met(inputs: Inputs,
                                                                 final: FinalEvaluation) -> None:
    # the engine has one 2025 figure, MWR's preliminary water total (2026-01-20): achieved;
    # the other 2025 targets still wait for theirs
    assert verdict_counts(inputs.evaluation, 2025)["achieved"] == 1
    met = {f.metric.metric for f in final.of_year(2025) if f.verdict in MET}
    assert met == MET_2025
    counts = final.counts(2025)
    assert counts["met_early"] == 4 and counts["met_on_time"] == counts["met_later"] == 0
    assert sum(counts.values()) == len(final.of_year(2025))
    by = {f.metric.metric: f for f in final.of_year(2025)}
    rd = by["rd_intensity"]  # NBS census: 1.71 in 2023 first met 1.68, the newest figure
    assert rd.verdict == "met_early" and rd.first_met == 2023
    assert rd.point is not None and (rd.point.year, rd.point.value) == (2023, 1.71)
    water = by["water_intensity_reduction"]  # first met on the chained 2021 figure
    assert water.first_met == 2021 and water.point is not None
    assert (water.point.year, water.point.value) == (2025, 45.0)
    # the NC rate's newest dated figure (62.9, 2023) is short of 64: its 2025 figure was due
    # by 31 May 2026 and is not in the store
    nc = by["key_process_nc_rate"]
    assert nc.verdict == "not_assessable" and nc.point is not None and nc.point.value == 62.9
    # a growth target is never met early; the trend of energy intensity falls short
    # the 2025 communiqué (due 28 February 2026) is not in the bundle: a data gap, not "awaiting"
    energy = by["energy_intensity_reduction"]
    assert energy.verdict == "not_assessable" and energy.target.data_gap
    assert energy.target.due_date == date(2026, 2, 28)
    assert by["co2_intensity_reduction"].verdict == "not_assessable"
    # the 2020 history: an engine verdict stands, a pending one met on earlier figures is met
    h = {f.metric.metric: f for f in final.of_year(2020)}
    assert h["energy_intensity_reduction"].verdict == "missed"
    assert h["quality_competitiveness_index"].verdict == "not_assessable"  # 2020 dropped
    assert h["rd_intensity"].verdict == "met_early" and h["rd_intensity"].first_met == 2018
    assert h["innovation_centres"].verdict == "met_on_time"  # 17 centres at end-2020
    # judged by the engine on a 2021 figure only: never "on time"
    green = h["green_factories"]
    assert green.verdict == "met_later" and green.first_met == 2021


def test_the_expected_date_comes_from_the_engine_or_shows_a_dash(
        final: FinalEvaluation) -> None:
    awaiting = next(f for f in final.of_year(2025) if f.verdict == "awaiting")
    assert expected_date(awaiting.target) == awaiting.target.due_date == awaiting.expected
    d = awaiting.expected
    assert d is not None  # every metric with targets declares its release, so its due date
    assert expected_cell(awaiting, "zh") == f"{d.year}年{d.month}月{d.day}日"
    assert expected_cell(replace(awaiting, expected=None), "zh") == "—"


def test_the_final_evaluation_waits_for_the_end_of_the_plan_period(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    store = open_store(sqlite_copy(tmp_path / "s.sqlite"))  # the bundled evidence in it
    plan = load_plan()
    inp = gather(plan, store, evaluated_on=date(2025, 6, 30))
    store.close()
    with pytest.raises(FollowupError, match="mic2025 midterm --year 2025"):
        build(inp)


def test_adjustment_proposes_nothing_for_a_year_that_is_over(inputs: Inputs) -> None:
    ps = propose(inputs.plan, [], year=2025, evaluation=inputs.evaluation)
    assert ps.proposals and all(p.action == "none" for p in ps.proposals)
    assert {p.evidence for p in ps.proposals} <= {"decided", "insufficient"}


def _docx_text(path: Path) -> tuple[list[str], str, list[list[list[str]]]]:
    from docx import Document

    d = Document(str(path))
    heads = [p.text for p in d.paragraphs if p.style is not None
             and p.style.name.startswith("Heading")]
    text = "\n".join(p.text for p in d.paragraphs)
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in d.tables]
    return heads, text, tables


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(str(path)).pages))


@pytest.mark.slow  # four documents of about 30 pages each, PDF and Word
def test_cli_final_writes_word_and_pdf_in_both_languages(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    out = tmp_path / "final"
    r = CliRunner().invoke(main, ["final", "--db", db, "--out", str(out), "--on", ON.isoformat(),
                                  "--lang", "both", "--charts", "2"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == ["final-en.docx", "final-en.pdf",
                                                     "final-zh.docx", "final-zh.pdf"]
    heads, text, tables = _docx_text(out / "final-zh.docx")
    assert heads[:2] == ["一、总体情况", "二、2025年目标完成情况"]
    assert "三、2020年目标完成情况（历史）" in heads
    assert "四、主要指标2015—2025年走势" in heads and "五、证据无法判断的目标" in heads
    assert "《中国制造2025》2025年共有18项量化目标：已实现4项" \
           "（其中提前实现4项、按期实现0项、目标年后数据显示达到0项）" in text
    summary = tables[0]
    assert summary[0][2:] == ["提前实现", "按期实现", "目标年后数据显示达到", "未实现",
                              "待数据公布", "无法评估"]
    assert summary[-1][:5] == ["合计", "18", "4", "0", "0"]
    assert "规模以上制造业研发经费内部支出占主营业务收入比重：目标1.68%；最新数据为1.71%（2023）" \
           "，2023年首次达到" in text
    assert "结论：提前实现" in text and "结论：目标年后数据显示达到" in text
    # the whole path: one table per indicator with every year 2015–2025
    paths = [t for t in tables if t[0][0] == "年份"]
    assert len(paths) == 12 and paths[0][0][1:] == [str(y) for y in range(2015, 2026)]
    assert paths[0][2][6] == "1.26" and paths[0][2][11] == "1.68"  # the targets' row
    # not assessable, named
    gaps = next(t for t in tables if t[0][-1] == "原因")
    assert any("单位工业增加值二氧化碳排放量下降幅度" in row[1] for row in gaps[1:])
    assert "北京时间" in text and "UTC" not in text
    zh = _pdf_text(out / "final-zh.pdf")
    assert "《中国制造2025》终期评估报告" in zh and "mic2025〔2026〕终评1号" in zh
    assert "已实现4项（其中提前实现4项、按期实现0项" in zh and "结论：提前实现" in zh
    assert "北京时间" in zh and "UTC" not in zh
    en = _pdf_text(out / "final-en.pdf")
    assert "4met(4early,0ontime,0onalateryear'sfigure)" in en and "Verdict:Metearly" in en
    _, en_text, _ = _docx_text(out / "final-en.docx")
    assert "Beijing time" in en_text and "UTC" not in en_text
    for body in (text, en_text, zh, en):  # no file path of the machine in any document
        assert not re.search(r"/(tmp|work|home|usr|root)/|site-packages|\.sqlite", body)


def test_midterm_and_adjust_past_the_plan_period_point_to_the_final_evaluation(
        tmp_path: Path, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "cli.sqlite")
    out = tmp_path / "docs"
    r = CliRunner().invoke(main, ["midterm", "--db", db, "--year", "2025", "--out", str(out),
                                  "--on", ON.isoformat()])
    assert r.exit_code == 2 and "plan period is over" in r.output
    assert "mic2025 final" in r.output and not out.exists()
    r = CliRunner().invoke(main, ["midterm", "--db", db, "--year", "2026", "--out", str(out),
                                  "--on", ON.isoformat()])
    assert r.exit_code == 2 and "mic2025 final" in r.output
    r = CliRunner().invoke(main, ["adjust", "propose", "--db", db, "--on", ON.isoformat()])
    assert r.exit_code == 2 and "plan period is over" in r.output and "mic2025 final" in r.output
    r = CliRunner().invoke(main, ["adjust", "propose", "--db", db, "--on", "2025-06-30",
                                  "--format", "json"])
    assert r.exit_code == 0, r.output
    assert any(p["action"] == "raise" for p in json.loads(r.output)["proposals"])


def test_cut_off_times_are_written_in_beijing_time() -> None:
    from datetime import UTC, datetime

    from mic2025.report import fmt

    end_of_2024_utc = datetime(2024, 12, 31, 16, 0, tzinfo=UTC)
    assert fmt.moment(end_of_2024_utc, "zh") == "2025年1月1日 00:00（北京时间）"
    assert fmt.moment(end_of_2024_utc, "en") == "1 January 2025 00:00 Beijing time"


def test_an_unjudged_target_says_where_its_trend_heads_beside_its_verdict(
        final: FinalEvaluation) -> None:
    """Design tools 2025 (latest 80.1% in 2023, no 2025 figure): not assessable, and the
    verdict line adds the engine's projection for 2025, marked as no verdict; a target met
    has no such addition."""
    by = {f.metric.metric: f for f in final.of_year(2025)}
    tools = by["digital_design_tools"]
    pr = tools.target.projection
    assert tools.verdict == "not_assessable" and pr is not None and pr.year == 2025
    assert pr.value is not None and pr.lower is not None and pr.upper is not None
    zh = verdict_line(tools, "zh", Sources()).text
    en = verdict_line(tools, "en", Sources()).text
    assert zh.index("结论：无法评估") < zh.index("按趋势外推（仅供参考，不作结论）")
    assert f"2025年预计为{fmt.computed(pr.value)}" in zh
    assert f"{fmt.computed(pr.lower)}—{fmt.computed(pr.upper)}" in zh
    assert f"达到目标的概率{fmt.probability(pr.probability)}" in zh
    assert "not a verdict: the trend projects" in en and fmt.computed(pr.value) in en
    for met in (f for f in final.of_year(2025) if f.verdict in MET):
        assert "趋势外推" not in verdict_line(met, "zh", Sources()).text


def test_a_probability_is_never_printed_as_a_certainty() -> None:
    assert [fmt.probability(p) for p in (None, float("nan"), 0.0, 0.004, 0.006, 0.3,
                                         0.994, 0.996, 1.0)] == \
        ["—", "—", "<1%", "<1%", "1%", "30%", "99%", ">99%", ">99%"]
