"""The final evaluation (终期评估) as an official-layout document, Word and PDF.

:func:`build_final` writes, from what :func:`mic2025.followup.final.build` judged:

一、 overall picture — counts by final verdict for the plan's last target year, the rule, and
    the earlier years' counts as history;
二、 the last target year's targets — indicators and projects (figure judged on, first year
    met, verdict, expected publication date, source), then one verdict line per target;
三、 each earlier target year (history), in the same table;
四、 the whole path of each main indicator from the plan's base year to the last target year —
    table and chart (with the target labels);
五、 what the evidence cannot judge — every target not assessable, named, with why;
六、 notes — data vintage, method, plan version, typesetting.

The files are written by :func:`mic2025.report.midterm.write_documents`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from ..followup.final import (
    FINAL_VERDICTS,
    MET,
    FinalEvaluation,
    FinalTarget,
    path_point,
)
from ..i18n import Lang, code_label, t
from . import fmt
from .midterm import notes_section, target_text, value_text
from .official import Figure, OfficialDocument, Para, Section, Sources, Table, sources_line


def verdict_label(f: FinalTarget, lang: Lang) -> str:
    return code_label("final_verdict", f.verdict, lang)


def expected_cell(f: FinalTarget, lang: Lang) -> str:
    """The expected publication date of the target year's figure, or a dash where the engine
    gives none (or the figure is out)."""
    return fmt.day(f.expected, lang) if f.expected else fmt.DASH


def judged_value(f: FinalTarget) -> tuple[float | None, int | None]:
    """The value and year a verdict rests on: the engine's for a verdict it gave, else the
    figure the final rule judged on."""
    tr = f.target
    if tr.verdict in ("achieved", "missed") and tr.verdict_value is not None:
        return tr.verdict_value, tr.verdict_year
    if f.point is not None:
        return f.point.value, f.point.year
    return None, None


def _figure_cell(f: FinalTarget, lang: Lang) -> str:
    v, year = judged_value(f)
    if v is None:
        return fmt.DASH
    text = t("doc.value_year", lang, value=value_text(v, f.target, lang), year=year)
    if f.point is not None and "partial_year" in f.point.flags and \
            f.target.verdict not in ("achieved", "missed"):
        text += t("doc.fact_part_year", lang)
    return text


# --------------------------------------------------------------------------- sections


def _counts_row(label: str, counts: dict[str, int]) -> list[str]:
    return [label, str(sum(counts.values())), *(str(counts[v]) for v in FINAL_VERDICTS)]


def _overview(fe: FinalEvaluation, lang: Lang) -> Section:
    year = fe.last_year
    plan = fe.inputs.plan
    rows = [_counts_row(t(f"doc.group.{g}", lang), fe.counts(year, g))
            for g in ("indicator", "project")]
    total = fe.counts(year)
    rows.append(_counts_row(t("doc.total", lang), total))
    header = [t("doc.col.group", lang), t("doc.col.targets", lang),
              *(code_label("final_verdict", v, lang) for v in FINAL_VERDICTS)]
    met = sum(total[v] for v in MET)
    blocks: list[Any] = [
        Para(t("doc.final_overview_text", lang, title=plan.title.get(lang), year=year,
               n=sum(total.values()), met=met, **total)),
        Table(t("doc.final_summary", lang, year=year), header, rows,
              sources=[t("doc.evaluation_source", lang,
                         as_of=fmt.moment(fe.inputs.evaluation.as_of, lang))],
              widths=_SUMMARY_WIDTHS[lang]),
    ]
    for earlier in fe.years[:-1]:
        c = fe.counts(earlier)
        blocks.append(Para(t("doc.final_history_text", lang, year=earlier,
                             met=sum(c[v] for v in MET), **c)))
    blocks.append(Para(t("doc.final_rule", lang), style="note"))
    return Section(t("doc.overview", lang), blocks)


#: relative column widths: the English verdict labels and headers need wider columns
_YEAR_WIDTHS: dict[Lang, list[float]] = {"zh": [0.5, 3.0, 1.6, 1.9, 1.0, 1.1, 1.4, 0.8],
                                         "en": [0.65, 2.2, 1.4, 1.6, 0.8, 1.65, 1.35, 1.0]}
_SUMMARY_WIDTHS: dict[Lang, list[float]] = {"zh": [2.0, 1, 1.1, 1.1, 1.5, 1, 1.3, 1.2],
                                            "en": [1.7, 0.9, 1.0, 1.0, 1.3, 0.9, 1.45, 1.4]}


def year_table(items: Sequence[FinalTarget], year: int, lang: Lang, caption: str) -> Table:
    src = Sources()
    rows = []
    for i, f in enumerate(items, 1):
        rows.append([str(i), f.metric.name.get(lang), target_text(f.target, lang),
                     _figure_cell(f, lang), str(f.first_met) if f.first_met else fmt.DASH,
                     verdict_label(f, lang), expected_cell(f, lang),
                     src.ref(f.point.source if f.point else None)])
    header = [t("doc.col.no", lang), t("col_metric", lang),
              t("doc.col.year_target", lang, year=year), t("doc.col.figure", lang),
              t("doc.col.first_met", lang), t("col_verdict", lang), t("doc.col.expected", lang),
              t("doc.col.source", lang)]
    return Table(caption, header, rows, sources=src.listed(), widths=_YEAR_WIDTHS[lang])


def verdict_line(f: FinalTarget, lang: Lang, sources: Sources) -> Para:
    """``name：目标…；2024年为1.82，2023年首次达到（资料来源[n]）。结论：提前实现。``"""
    tr = f.target
    refs = sources.ref(f.point.source) if f.point else ""
    if tr.verdict in ("achieved", "missed") and tr.verdict_value is not None:
        fact = t("doc.fact_actual", lang, year=tr.verdict_year,
                 value=value_text(tr.verdict_value, tr, lang))
    elif f.point is not None:
        fact = t("doc.fact_latest", lang, period=f.point.period,
                 value=value_text(f.point.value, tr, lang))
        if "partial_year" in f.point.flags:
            fact += t("doc.fact_part_year", lang)
    else:
        fact = t("doc.fact_none", lang)
    if f.verdict in MET and f.first_met is not None and f.first_met < tr.target_year:
        fact += t("doc.fact_first_met", lang, year=f.first_met)
    if f.verdict in ("awaiting", *MET) and tr.verdict not in ("achieved", "missed"):
        fact += (t("doc.fact_expected", lang, year=tr.target_year, day=fmt.day(f.expected, lang))
                 if f.expected else t("doc.fact_expected_unknown", lang, year=tr.target_year))
    text = t("doc.verdict_line", lang, target=target_text(tr, lang), fact=fact,
             source=t("doc.fact_source", lang, refs=refs) if refs and refs != "—" else "",
             verdict=verdict_label(f, lang), note=trend_note(f, lang))
    return Para(text, lead=f"{f.metric.name.get(lang)}{t('colon', lang)}")


def trend_note(f: FinalTarget, lang: Lang) -> str:
    """Where the engine's projection puts a target still without its year's figure (awaiting
    it, or not assessable): said beside the verdict, never instead of it — the reader of a
    final evaluation asks where an unjudged target is heading."""
    pr = f.target.projection
    if (f.verdict not in ("awaiting", "not_assessable") or pr is None
            or pr.year != f.target.target_year or pr.value is None or pr.probability is None
            or pr.lower is None or pr.upper is None):
        return ""
    return t("doc.final_trend", lang, year=pr.year, value=fmt.computed(pr.value),
             level=fmt.level_percent(pr.level), lower=fmt.computed(pr.lower),
             upper=fmt.computed(pr.upper), probability=fmt.probability(pr.probability))


def _year_section(fe: FinalEvaluation, year: int, lang: Lang) -> Section:
    ind = fe.of_year(year, "indicator")
    proj = fe.of_year(year, "project")
    refs = Sources()
    lines: list[Any] = [verdict_line(f, lang, refs) for f in (*ind, *proj)]
    if refs.items:
        lines.append(Para(sources_line(lang, refs.listed()), style="ref"))
    title = "doc.final_year" if year == fe.last_year else "doc.final_history"
    return Section(t(title, lang, year=year), [
        Section(t("doc.group.indicator", lang),
                [year_table(ind, year, lang, t("doc.indicators_caption", lang, year=year))]),
        Section(t("doc.project_targets", lang),
                [year_table(proj, year, lang, t("doc.projects_caption", lang, year=year))]),
        Section(t("doc.final_lines", lang), lines),
    ])


def _path_section(fe: FinalEvaluation, lang: Lang, max_charts: int) -> Section:
    from .svg import metric_charts

    years = list(range(fe.first_year, fe.last_year + 1))
    subs: list[Any] = []
    charts = 0
    for m in fe.inputs.evaluation.results:
        if m.group != "indicator" or not m.targets:
            continue
        tr = m.targets[-1]
        src = Sources()
        values, refs = [], []
        for y in years:
            p = path_point(tr, y)
            if p is None:
                values.append(fmt.DASH)
                refs.append("")
                continue
            values.append(fmt.number(p.value) + ("*" if "partial_year" in p.flags else ""))
            refs.append(src.ref(p.source) if p.source != "plan" else
                        t("doc.plan_baseline_short", lang))
        goals = {x.target_year: fmt.number(x.target_value) for x in m.targets}
        rows = [[t("doc.col.value", lang), *values],
                [t("doc.col.target_row", lang), *(goals.get(y, "") for y in years)],
                [t("doc.col.source", lang), *refs]]
        unit = fmt.unit_label(tr.measure_unit, lang) + (t("doc.base_100", lang)
                                                       if tr.measure == "index" else "")
        blocks: list[Any] = [Table(
            t("doc.path_caption", lang, name=m.name.get(lang), unit=unit),
            [t("doc.col.year", lang), *(str(y) for y in years)], rows,
            sources=src.listed(), note=t("doc.path_note", lang),
            widths=[1.6, *([1.0] * len(years))])]
        if charts < max_charts:
            svgs = metric_charts(m, lang)
            if svgs:
                charts += 1
                blocks.append(Figure(svgs[0], m.name.get(lang), sources=[]))
        subs.append(Section(m.name.get(lang), blocks))
    return Section(t("doc.final_paths", lang, first=fe.first_year, last=fe.last_year), subs)


def _unjudged_section(fe: FinalEvaluation, lang: Lang) -> Section:
    gaps = [f for f in fe.targets if f.verdict == "not_assessable"]
    if not gaps:
        return Section(t("doc.final_unjudged", lang), [Para(t("doc.final_unjudged_none", lang))])
    rows = []
    for i, f in enumerate(gaps, 1):
        why = (t("doc.unjudged_reason_latest", lang, period=f.point.period) if f.point
               else t("doc.unjudged_reason_none", lang))
        note = fmt.verdict_note(f.target, lang)
        rows.append([str(i), f.metric.name.get(lang), str(f.year), target_text(f.target, lang),
                     why + (f"{t('note_sep', lang)}{note}" if note else "")])
    header = [t("doc.col.no", lang), t("col_metric", lang), t("doc.col.year", lang),
              t("doc.col.target_row", lang), t("doc.col.why", lang)]
    return Section(t("doc.final_unjudged", lang), [
        Para(t("doc.final_unjudged_text", lang, n=len(gaps))),
        Table(t("doc.final_unjudged", lang), header, rows, widths=[0.5, 3.2, 0.8, 1.8, 3.2]),
    ])


# --------------------------------------------------------------------------- the document


def build_final(fe: FinalEvaluation, *, lang: Lang, seq: int = 1, max_charts: int = 12,
                issued: date | None = None) -> OfficialDocument:
    inp = fe.inputs
    plan = inp.plan
    ev = inp.evaluation
    doc_no = plan.document.number if plan.document else plan.id
    years = t("list_sep", lang).join(str(y) for y in fe.years)
    lead = Para(t("doc.final_lead", lang, doc_no=doc_no, title=plan.title.get(lang),
                  as_of=fmt.moment(ev.as_of, lang), last=fe.last_year, years=years,
                  first=fe.first_year))
    sections = [
        _overview(fe, lang),
        *(_year_section(fe, y, lang) for y in reversed(fe.years)),
        _path_section(fe, lang, max_charts),
        _unjudged_section(fe, lang),
        notes_section(inp, lang),
    ]
    return OfficialDocument(
        lang=lang,
        title=t("doc.final_title", lang, title=plan.title.get(lang)),
        number=t("doc.final_number", lang, year=(issued or ev.evaluated_on).year, seq=seq),
        issuer=t("doc.issuer", lang),
        date_line=t("doc.date_line", lang, day=fmt.day(issued or ev.evaluated_on, lang)),
        lead=[lead], sections=sections,
        disclaimer=t("doc.disclaimer", lang),
        kind="final",
    )


__all__ = ["build_final", "expected_cell", "verdict_line", "year_table"]
