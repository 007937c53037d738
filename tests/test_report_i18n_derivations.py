"""Derivations, the plan as a source and units in the reports' languages.

The engine says how each figure was computed as a code with arguments
(``SeriesPoint.derivation_part``, :data:`mic2025.evaluate.model.DERIVATION_CODES`) beside its
English ``derivation`` text; the reports write it in the page's language. The situations below
are SYNTHETIC; the last tests read the report of the bundled published figures.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mic2025 import i18n, periods
from mic2025.cli import main
from mic2025.evaluate.measures import PLAN_SOURCE, comparable_series
from mic2025.evaluate.model import (
    DERIVATION_CODES,
    DERIVATION_SHORT_CODES,
    Derivation,
    Evaluation,
    SeriesPoint,
    derivation_text,
)
from mic2025.observation import Observation
from mic2025.plan import Metric, load_plan
from mic2025.report import fmt

TEXT = {"zh": "目标", "en": "target"}
SOURCE = "国家统计局（合成示例）"
DOCUMENT = "国发〔2015〕28号（合成示例）"

#: a Latin word: what the Chinese rendering of a derivation must not contain
WORD = re.compile(r"[A-Za-z]{4,}")


def metric(target: dict[str, Any], **kw: Any) -> Metric:
    data: dict[str, Any] = {"id": "m", "name": {"zh": "指标", "en": "metric"}, "unit": "%",
                            "direction": "increase", "targets": [{**target, "text": TEXT}]}
    data.update(kw)
    return Metric.model_validate(data)


def obs(year: int, value: float, unit: str, source: str = SOURCE) -> Observation:
    return Observation(indicator="m", area="000000", period=periods.year(year), value=value,
                       unit=unit, source=source, flags=frozenset({"synthetic"}))


INDEX = {"year": 2020, "kind": "relative_change", "value": -18, "base_year": 2015}
PP = {"year": 2020, "kind": "change_pp", "value": 2, "base_year": 2015}
LEVEL = {"year": 2020, "kind": "level", "value": 50}
GROWTH = {"year": 2020, "kind": "average_growth", "value": 7.5, "period": [2016, 2020]}


def _situations() -> list[tuple[Metric, list[Observation], str | None]]:
    """(metric, observations, plan document): together they yield every derivation code."""
    e = "tce/10k_yuan"
    return [
        # plan_baseline, unit_conversion
        (metric(LEVEL, unit="100m_yuan", baseline={2015: 40}),
         [obs(2018, 450_000, "10k_yuan")], DOCUMENT),
        # plan_baseline_undocumented
        (metric(LEVEL, baseline={2015: 40}), [obs(2018, 45, "%")], None),
        # level_plus_points (on the observed base)
        (metric(PP), [obs(2015, 21.77, "%"), obs(2019, -1.5, "pp_vs:2015")], DOCUMENT),
        # points_base
        (metric(PP), [obs(2018, 1.0, "pp_vs:2015")], DOCUMENT),
        # index_base, index_direct, index_chained (on a direct and on a chained figure)
        (metric(INDEX, unit=e, direction="decrease"),
         [obs(2020, 16, "decline%vs:2015"), obs(2021, 5.6, "decline%yoy"),
          obs(2022, 6.8, "decline%yoy")], DOCUMENT),
        # index_levels, the base from the plan; index_chained on a level route
        (metric(INDEX, unit=e, direction="decrease", baseline={2015: 0.8}),
         [obs(2018, 0.7, e), obs(2019, 2.0, "decline%yoy")], DOCUMENT),
        # index_levels, the base observed
        (metric(INDEX, unit=e, direction="decrease"), [obs(2015, 0.8, e), obs(2018, 0.7, e)],
         DOCUMENT),
        # growth_levels
        (metric(GROWTH, unit="yuan"), [obs(2015, 100.0, "yuan"), obs(2016, 107.0, "yuan")],
         DOCUMENT),
    ]


def _points() -> list[SeriesPoint]:
    out: list[SeriesPoint] = []
    for m, data, document in _situations():
        s = comparable_series(m, m.targets[0], data, plan_base_year=2015, plan_document=document)
        out.extend([*s.points, *s.alternatives])
    return out


def _codes(d: Derivation | None) -> set[str]:
    return set() if d is None else {d.code} | _codes(d.of)


# --------------------------------------------------------------------------- the codes


def test_every_derivation_code_has_a_chinese_and_an_english_template() -> None:
    full, short = i18n.derivation_codes()
    assert full == set(DERIVATION_CODES) and short == set(DERIVATION_SHORT_CODES)
    assert set(DERIVATION_CODES) == set(DERIVATION_SHORT_CODES)
    for lang in i18n.LANGS:
        templates, shorts = i18n.derivation_templates(lang)
        for code in DERIVATION_CODES:
            assert templates[code].strip() and shorts[code].strip(), (lang, code)
            assert i18n.entry(f"derivation.{code}")[0 if lang == "zh" else 1] == templates[code]
            assert i18n.entry(f"derivation_short.{code}")[0 if lang == "zh" else 1] == \
                shorts[code]
    zh, zh_short = i18n.derivation_templates("zh")
    for code in DERIVATION_CODES:
        # no English words in the Chinese templates: only formulas and argument names
        for template in (zh[code], zh_short[code]):
            assert not WORD.findall(re.sub(r"\{[^}]*\}", "", template)), (code, template)


def test_the_engine_emits_every_code_and_its_text_says_what_the_code_says() -> None:
    seen: set[str] = set()
    for p in _points():
        if p.derivation_part is None:
            assert p.derivation is None
            continue
        seen |= _codes(p.derivation_part)
        # the English text field is the code's template filled with its arguments
        assert p.derivation == derivation_text(p.derivation_part)
        zh = fmt.derivation(p, "zh")
        en = fmt.derivation(p, "en")
        assert zh and en and zh != en
        assert not WORD.findall(zh), zh
        for text in (zh, en):
            assert not re.search(r"decline%|%vs:|pp_vs|%yoy|10k_yuan|100m_yuan|\[", text), text
    assert seen == set(DERIVATION_CODES), sorted(set(DERIVATION_CODES) - seen)


def test_derivations_in_each_language() -> None:
    points = _points()

    def find(code: str, year: int, **args: object) -> SeriesPoint:
        return next(p for p in points if p.derivation_part is not None
                    and p.derivation_part.code == code and p.year == year
                    and all(p.derivation_part.args.get(k) == v for k, v in args.items()))

    direct = find("index_direct", 2020)
    assert direct.derivation == "100 × (1 − 16%) [decline%vs:2015]"
    assert fmt.derivation(direct, "zh") == "100 × (1 − 16%)（公布值：比2015年下降16%）"
    assert fmt.derivation(direct, "en") == "100 × (1 − 16%) (published: 16% decline on 2015)"

    # a chain nests the derivation it builds on, and both languages name it
    chained = find("index_chained", 2022)
    assert chained.derivation_part is not None and chained.derivation_part.of is not None
    assert chained.derivation_part.of.code == "index_chained"
    assert chained.derivation_part.of.of is not None
    assert chained.derivation_part.of.of.code == "index_direct"
    assert chained.derivation == "index 2021 (79.296, decline%yoy) × (1 − 6.8%) [decline%yoy]"
    assert fmt.derivation(chained, "zh") == (
        "2021年指数（79.296，据比上年下降5.6%连乘推算）× (1 − 6.8%)（公布值：比上年下降6.8%）")
    assert fmt.derivation(chained, "en") == (
        "index 2021 (79.296, chained from 5.6% decline on previous year) × (1 − 6.8%) "
        "(published: 6.8% decline on previous year)")
    first = find("index_chained", 2021)
    assert fmt.derivation(first, "zh").startswith("2020年指数（84.0，据比2015年下降16%推算）")
    on_base = find("index_chained", 2019)  # on the level route
    assert fmt.derivation(on_base, "zh").startswith("2018年指数（87.5，据水平值推算）")
    assert fmt.derivation(on_base, "en").startswith("index 2018 (87.5, from levels)")

    base = find("index_base", 2015)
    assert (fmt.derivation(base, "zh"), fmt.derivation(base, "en")) == \
        ("基期2015年 = 100", "base year 2015 = 100")

    levels = find("index_levels", 2018, where=PLAN_SOURCE)
    assert levels.derivation == \
        "100 × 0.7 / 0.8 [levels in tce/10k_yuan; 2015 from plan]"
    assert fmt.derivation(levels, "zh") == \
        f"100 × 0.7 / 0.8（水平值，单位：吨标准煤／万元；2015年数值来自规划（{DOCUMENT}））"
    assert fmt.derivation(levels, "en") == \
        f"100 × 0.7 / 0.8 (levels, unit: tce per 10k yuan; 2015 from the plan ({DOCUMENT}))"
    observed = find("index_levels", 2018, where=SOURCE)
    assert fmt.derivation(observed, "zh").endswith(f"2015年数值来自{SOURCE}）")

    conversion = find("unit_conversion", 2018)
    assert conversion.derivation == "450000.0 10k_yuan → 45.0 100m_yuan"
    assert fmt.derivation(conversion, "zh") == "450000.0万元 → 45.0亿元"
    assert fmt.derivation(conversion, "en") == "450000.0 10k yuan → 45.0 100m yuan"

    points_ = find("level_plus_points", 2019)
    assert points_.derivation == "level 2015 (21.77) − 1.5 pp [pp_vs:2015]"
    assert fmt.derivation(points_, "zh") == \
        "2015年水平值（21.77）− 1.5个百分点（公布值：比2015年变化-1.5个百分点）"

    growth = find("growth_levels", 2016)
    assert fmt.derivation(growth, "zh") == "100 × (107.0 / 100.0 − 1)（2015年和2016年水平值）"
    assert fmt.derivation(growth, "en") == "100 × (107.0 / 100.0 − 1) (levels 2015 and 2016)"

    assert fmt.derivation(find("points_base", 2015), "zh") == "基期2015年：按定义变化为0"


def test_the_plan_as_a_source_names_its_document() -> None:
    points = _points()
    plan = [p for p in points if p.source == PLAN_SOURCE and p.derivation_part is not None
            and p.derivation_part.code == "plan_baseline"]
    assert plan
    for p in plan:
        assert fmt.source(p, "zh") == f"规划（{DOCUMENT}）"
        assert fmt.source(p, "en") == f"the plan ({DOCUMENT})"
        assert fmt.derivation(p, "zh") == f"规划所列数值（{DOCUMENT}）"
        assert p.derivation == f"baseline stated in the plan ({DOCUMENT})"
    # the base of an index is the plan's too
    base = next(p for p in points if p.derivation_part is not None
                and p.derivation_part.code == "index_base")
    assert base.source == PLAN_SOURCE and fmt.source(base, "zh") == f"规划（{DOCUMENT}）"
    # without a document number, the plan in words
    bare = next(p for p in points if p.derivation_part is not None
                and p.derivation_part.code == "plan_baseline_undocumented")
    assert (fmt.source(bare, "zh"), fmt.source(bare, "en")) == ("规划", "the plan")
    assert bare.derivation == "baseline stated in the plan"
    # any other source stays as recorded
    other = next(p for p in points if p.source == SOURCE)
    assert fmt.source(other, "zh") == fmt.source(other, "en") == SOURCE


def test_a_derivation_without_a_code_is_shown_as_written() -> None:
    p = SeriesPoint(year=2018, period="2018", value=1.0, raw_value=1.0, raw_unit="%", scope="",
                    source="x", derivation="older text")
    assert fmt.derivation(p, "zh") == fmt.derivation(p, "en") == "older text"
    unknown = p.model_copy(update={"derivation_part": Derivation(code="no_such_code")})
    assert fmt.derivation(unknown, "zh") == "older text"
    missing_arg = p.model_copy(update={"derivation_part": Derivation(code="index_base")})
    assert fmt.derivation(missing_arg, "zh") == "older text"
    assert fmt.derivation(p.model_copy(update={"derivation": None}), "zh") == ""
    # results written before the codes still load
    data = json.loads(p.model_dump_json())
    del data["derivation_part"]
    assert SeriesPoint.model_validate(data).derivation_part is None


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(("unit", "zh", "en"), [
    ("count/100m_yuan", "件／亿元", "per 100m yuan"),
    ("tce/10k_yuan", "吨标准煤／万元", "tce per 10k yuan"),
    ("kg/10k_yuan", "kg／万元", "kg per 10k yuan"),
    ("count/yuan", "个／元", "per yuan"),
    ("decline%vs:2015", "比2015年下降%", "% decline on 2015"),
    ("%vs:2020", "比2020年变化%", "% change on 2020"),
    ("pp_vs:2015", "比2015年变化百分点", "pp change on 2015"),
    ("decline%yoy", "比上年下降%", "% decline on previous year"),
    ("opaque_code", "opaque_code", "opaque_code"),
])
def test_units_in_words(unit: str, zh: str, en: str) -> None:
    assert fmt.unit_label(unit, "zh") == zh
    assert fmt.unit_label(unit, "en") == en


def test_values_in_a_rate_unit() -> None:
    assert fmt.value(0.44, "count/100m_yuan", "zh") == "0.44件／亿元"
    assert fmt.value(0.44, "count/100m_yuan", "en") == "0.44 per 100m yuan"


# --------------------------------------------------------------------------- the bundled report


def _lines(page: str) -> list[str]:
    """The page's text as a reader sees it: no script, style or chart; tags and entities gone."""
    text = re.sub(r"<(script|style|svg)\b.*?</\1>", "", page, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def _readers_text(lines: list[str]) -> list[str]:
    """The lines without URLs and without quoted original text (原文：“…”), which stay as
    published."""
    out = []
    for line in lines:
        if line.startswith(("原文：", "quote: ")):
            continue
        out.append(re.sub(r"https?://\S+?(?=[）)；，\s]|$)", "", line))
    return out


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory,
            sqlite_copy: Callable[..., str]) -> tuple[Evaluation, dict[str, str]]:
    """The evaluation and both reports of the bundled figures, as `mic2025 run` writes them."""
    tmp = tmp_path_factory.mktemp("bundled")
    db = sqlite_copy(tmp / "store.sqlite")  # as the first command leaves it
    runner = CliRunner()
    r = runner.invoke(main, ["run", "--db", db, "--out", str(tmp / "rep")],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["evaluate", "--db", db, "--format", "json"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.output
    evaluation = Evaluation.model_validate_json(r.output)
    pages = {lang: Path(tmp / "rep" / f"report-{lang}.html").read_text(encoding="utf-8")
             for lang in ("zh", "en")}
    return evaluation, pages


#: the engine's English that the Chinese report used to show
_ENGLISH_DERIVATION = ("base year", "baseline stated", "stated in the plan", "no change by",
                       "index 20", "levels in", "levels ", "decline%", "%vs:", "%yoy", "pp_vs",
                       "count/100m_yuan", "10k_yuan", "100m_yuan", "other route",
                       "progress_methods.md")


def test_the_chinese_report_has_no_english_derivations_units_or_plan(
        bundled: tuple[Evaluation, dict[str, str]]) -> None:
    _, pages = bundled
    lines = _readers_text(_lines(pages["zh"]))
    for line in lines:
        assert line != PLAN_SOURCE, "the plan as a bare code"
        for phrase in _ENGLISH_DERIVATION:
            assert phrase not in line, (phrase, line)
        # square brackets only round note numbers ([3]), no longer round unit codes
        assert not re.search(r"\[(?!\d+\])", line), line
        if line.startswith("推算方法："):
            assert not WORD.findall(line), line
    document = load_plan().document
    assert document is not None
    assert f"规划（{document.number}）" in lines
    assert f"推算方法：规划所列数值（{document.number}）" in lines
    assert "计量单位：件／亿元" in " ".join(lines)
    assert any("（依据进展评估方法说明第9节规则4）" in line for line in lines)


def test_the_chinese_report_writes_the_energy_intensity_index_in_chinese(
        bundled: tuple[Evaluation, dict[str, str]]) -> None:
    evaluation, pages = bundled
    energy = next(m for m in evaluation.results if m.unit == "index" and m.direction == "decrease"
                  and "能耗" in m.name.zh)
    point = next(p for p in energy.targets[0].series if p.year == 2020)
    assert point.derivation is not None and point.derivation.startswith("100 × (1 − ")
    assert point.derivation_part is not None and point.derivation_part.code == "index_direct"
    change = point.derivation_part.args["change"]
    zh = f"100 × (1 − {change:g}%)（公布值：比2015年下降{change:g}%）"
    assert fmt.derivation(point, "zh") == zh
    lines = _lines(pages["zh"])
    assert f"推算方法：{zh}" in lines
    en = f"100 × (1 − {change:g}%) (published: {change:g}% decline on 2015)"
    assert f"derivation: {en}" in _lines(pages["en"])
    # every chained point of the report names what it builds on in Chinese
    chained = [p for m in evaluation.results for t in m.targets for p in t.series
               if p.derivation_part is not None and p.derivation_part.code == "index_chained"]
    assert chained
    for p in chained:
        assert f"推算方法：{fmt.derivation(p, 'zh')}" in lines
        assert re.match(r"\d{4}年指数（[\d.]+，(基期|据.+推算)）× \(1 [−+] [\d.]+%\)（公布值：比",
                        fmt.derivation(p, "zh")), fmt.derivation(p, "zh")


def test_the_english_report_still_reads(bundled: tuple[Evaluation, dict[str, str]]) -> None:
    evaluation, pages = bundled
    lines = _readers_text(_lines(pages["en"]))
    text = "\n".join(lines)
    document = load_plan().document
    assert document is not None
    assert f"the plan ({document.number})" in lines
    assert f"derivation: baseline stated in the plan ({document.number})" in lines
    assert "derivation: base year 2015 = 100" in lines
    assert "Unit: per 100m yuan" in text and "0.44 per 100m yuan" in text
    assert "(progress-method notes §9 rule 4)" in text
    for phrase in ("count/100m_yuan", "decline%", "%vs:", "progress_methods.md"):
        assert phrase not in text, phrase
    assert PLAN_SOURCE not in lines
    # every derivation of the evaluation is in the page as the report writes it
    for m in evaluation.results:
        for t in m.targets:
            for p in t.series:
                if p.derivation_part is not None:
                    assert f"derivation: {fmt.derivation(p, 'en')}" in lines, p.derivation

