"""The periodic monitoring bulletin (监测通报): a short official-layout document.

For a monitoring period (a year) and a data vintage (``as_of``, default now), compared with an
earlier state of the store (``since``; default: just before the latest vintage):

一、 status counts — the assessment of every target not yet decided, and the verdicts of those
    decided;
二、 what changed — observations new or revised since the earlier state;
三、 new warnings — warnings raised now that were not raised at the earlier state;
四、 the period's figures — every plan metric's figure for the period, with its source.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..followup import warn
from ..followup.bulletin import STATUSES, changes, previous_instant, status_counts
from ..followup.midterm import Inputs
from ..observation import Observation
from ..plan import Plan
from . import fmt, i18n
from .i18n import Lang
from .midterm import DISCLAIMER_EN, DISCLAIMER_ZH, L, _notes_section
from .official import OfficialDocument, Para, Section, Sources, Table


def build_bulletin(inp: Inputs, store: Any, *, period: int, lang: Lang, seq: int = 1,
                   since: datetime | None = None, issued: date | None = None,
                   max_rows: int = 40) -> OfficialDocument:
    plan: Plan = inp.plan
    ev = inp.evaluation
    as_of = inp.as_of
    earlier = since or previous_instant(store, as_of)
    n_open, counts, vcounts = status_counts(ev)
    rows = [[i18n.code_label("status", s, lang), str(counts[s])] for s in STATUSES]
    overview = Section(L(lang, "监测总体情况", "Overall status"), [
        Para(L(lang, f"未到期或待数据的{n_open}项目标中，"
                     f"已达标{counts['achieved']}项，进展顺利{counts['on_track']}项，"
                     f"需加快{counts['needs_acceleration']}项，偏离目标{counts['off_track']}项，"
                     f"数据不足{counts['insufficient_data']}项；已到期的目标中已实现"
                     f"{vcounts['achieved']}项，未实现{vcounts['missed']}项。",
               f"Of the {n_open} targets still open or pending data: "
               f"{counts['achieved']} achieved, {counts['on_track']} on track, "
               f"{counts['needs_acceleration']} need acceleration, {counts['off_track']} off "
               f"track, {counts['insufficient_data']} with insufficient data. Of the targets "
               f"whose year is over: {vcounts['achieved']} achieved, {vcounts['missed']} "
               "missed.")),
        Table(L(lang, "未到期目标进展状态", "Status of open targets"),
              [L(lang, "进展状态", "Status"), L(lang, "目标数", "Targets")], rows,
              sources=[L(lang, f"mic2025评估（{i18n.method_name(ev.method, lang)}）",
                         f"mic2025 evaluation ({i18n.method_name(ev.method, lang)})")],
              widths=[3, 1]),
    ])

    from ..catalogue import known_series

    names = {m.id: m.name for m in (*plan.metrics(), *known_series(plan).values())}
    ch = changes(store, earlier, as_of)
    src = Sources()
    by_series: dict[str, list[tuple[str, Observation, Observation | None]]] = {}
    for c in ch:
        by_series.setdefault(c[1].indicator, []).append(c)
    crow = []
    for series_id, cs in sorted(by_series.items(), key=lambda kv: -len(kv[1]))[:max_rows]:
        name = names.get(series_id)
        last = max(cs, key=lambda c: c[1].period.end)[1]
        crow.append([name.get(lang) if name else series_id,
                     str(sum(1 for c in cs if c[0] == "new")),
                     str(sum(1 for c in cs if c[0] == "revised")),
                     last.period.code, _value(last.value, last.unit, lang),
                     src.ref(last.source)])
    since_text = fmt.moment(earlier, lang) if earlier else L(lang, "建库", "the store's start")
    n_new = sum(1 for c in ch if c[0] == "new")
    n_rev = len(ch) - n_new
    change_blocks: list[Any] = [Para(L(
        lang, f"自{since_text}以来，证据库新增数据{n_new}条、修订{n_rev}条，"
              f"涉及{len(by_series)}个序列。",
        f"Since {since_text}: {n_new} new and {n_rev} revised figures in {len(by_series)} "
        "series."))]
    if crow:
        note = "" if len(by_series) <= max_rows else L(
            lang, f"仅列前{max_rows}个序列，完整清单见 mic2025 data export。",
            f"First {max_rows} series shown; `mic2025 data export` lists every figure.")
        change_blocks.append(Table(
            L(lang, "数据更新情况（按序列）", "New and revised figures by series"),
            [L(lang, "序列", "Series"), L(lang, "新增", "New"), L(lang, "修订", "Revised"),
             L(lang, "最新期间", "Latest period"), L(lang, "最新数值", "Latest value"),
             L(lang, "来源", "Source")], crow, sources=src.listed(), note=note,
            widths=[3.6, 0.8, 0.8, 1.3, 1.4, 0.8]))
    changed = Section(L(lang, "数据更新情况", "What changed"), change_blocks)

    before_w = warn.evaluate_rules(plan, store, as_of=earlier) if earlier else []
    fresh = warn.new_warnings(before_w, inp.warnings)
    k = 0 if lang == "zh" else 1
    wblocks: list[Any] = [Para(L(lang,
                                 f"现有预警{len(inp.warnings)}条，其中本期新增{len(fresh)}条。",
                                 f"{len(inp.warnings)} warning(s) in force, {len(fresh)} new "
                                 "this period."))]
    if fresh:
        wblocks.append(Table(L(lang, "新增预警", "New warnings"),
                             [L(lang, "预警内容", "Warning"), L(lang, "责任单位", "Owner"),
                              L(lang, "级别", "Severity")],
                             [[w.message.get(lang), w.owner.get(lang),
                               warn.SEVERITY_LABELS[w.severity][k]] for w in fresh],
                             sources=[L(lang, "plans/warnings.yaml 预警规则",
                                        "the rules of plans/warnings.yaml")], widths=[5, 2.4, 1]))
    warnings = Section(L(lang, "新增预警", "New warnings"), wblocks)

    psrc = Sources()
    prow = []
    for m in ev.results:
        t = m.targets[-1]
        pts = [p for p in t.series if p.year == period and p.source != "plan"]
        if pts:
            p = pts[-1]
            prow.append([m.name.get(lang), p.period, _value(p.raw_value, p.raw_unit, lang),
                         psrc.ref(p.source)])
    figures = Section(L(lang, f"{period}年数据一览", f"Figures for {period}"), [
        Table(L(lang, f"已公布的{period}年数据", f"Published figures for {period}"),
              [L(lang, "指标", "Metric"), L(lang, "期间", "Period"), L(lang, "数值", "Value"),
               L(lang, "来源", "Source")], prow, sources=psrc.listed(), widths=[4, 1.2, 2, 0.8])
        if prow else Para(L(lang, f"尚无{period}年数据。", f"No figures for {period} yet.")),
    ])
    notes = _notes_section(inp, lang)
    day = issued or ev.evaluated_on
    return OfficialDocument(
        lang=lang,
        title=L(lang, f"《{plan.title.zh}》实施情况监测通报（{period}年）",
                f"{plan.title.en}: monitoring bulletin, {period}"),
        number=f"mic2025〔{period}〕{L(lang, '通报', 'Bulletin No. ')}{seq}{L(lang, '号', '')}",
        issuer=L(lang, "mic2025 监测评估", "mic2025 monitoring and evaluation"),
        date_line=L(lang, f"mic2025　{fmt.day(day, lang)}", f"mic2025, {fmt.day(day, lang)}"),
        lead=[Para(L(lang, f"现将截至{fmt.moment(as_of, lang)}的《{plan.title.zh}》"
                           "主要指标和重点工程目标监测情况通报如下。",
                     f"This bulletin reports the monitoring of {plan.title.en}'s indicators "
                     f"and project targets on the data as of {fmt.moment(as_of, lang)}."))],
        sections=[overview, changed, warnings, figures, notes],
        disclaimer=L(lang, DISCLAIMER_ZH, DISCLAIMER_EN),
        kind="bulletin",
    )


def _value(v: float, unit: str, lang: Lang) -> str:
    """A figure with its unit when the reports know how to write the unit, else the number."""
    known = unit in ("%", "%yoy", "pp", "index", "count", "") or \
        i18n.code_label("unit", unit, lang) != unit or unit.startswith(("pp_vs", "%vs", "decline"))
    return fmt.value(v, unit, lang) if known else f"{fmt.number(v)} {unit}"


