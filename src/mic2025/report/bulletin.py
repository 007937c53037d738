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

from ..citation import cite
from ..followup import warn
from ..followup.bulletin import STATUSES, changes, previous_instant, status_counts
from ..followup.midterm import Inputs
from ..i18n import Lang, code_label, t
from ..observation import Observation
from ..plan import Plan
from . import fmt, labels
from .midterm import notes_section
from .official import OfficialDocument, Para, Section, Sources, Table


def build_bulletin(inp: Inputs, store: Any, *, period: int, lang: Lang, seq: int = 1,
                   since: datetime | None = None, issued: date | None = None,
                   max_rows: int = 40) -> OfficialDocument:
    plan: Plan = inp.plan
    ev = inp.evaluation
    as_of = inp.as_of
    earlier = since or previous_instant(store, as_of)
    n_open, counts, vcounts = status_counts(ev)
    rows = [[code_label("status", s, lang), str(counts[s])] for s in STATUSES]
    overview = Section(t("doc.bulletin_overview", lang), [
        Para(t("doc.bulletin_counts", lang, n=n_open, met=vcounts["achieved"],
               missed=vcounts["missed"], **counts)),
        Table(t("doc.open_status_caption", lang),
              [t("doc.col.status", lang), t("doc.col.targets", lang)], rows,
              sources=[t("doc.bulletin_eval_source", lang,
                         method=labels.method_name(ev.method, lang))],
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
                     src.ref(cite(last.citation, lang).text)])
    since_text = fmt.moment(earlier, lang) if earlier else t("doc.store_start", lang)
    n_new = sum(1 for c in ch if c[0] == "new")
    change_blocks: list[Any] = [Para(t("doc.changes_text", lang, since=since_text, new=n_new,
                                       revised=len(ch) - n_new, series=len(by_series)))]
    if crow:
        note = "" if len(by_series) <= max_rows else t("doc.changes_truncated", lang, n=max_rows)
        change_blocks.append(Table(
            t("doc.changes_caption", lang),
            [t("doc.col.series", lang), t("doc.col.new", lang), t("doc.col.revised", lang),
             t("doc.col.last_period", lang), t("doc.col.last_value", lang),
             t("doc.col.source", lang)], crow, sources=src.listed(), note=note,
            widths=[3.6, 0.8, 0.8, 1.3, 1.4, 0.8]))
    changed = Section(t("doc.changes", lang), change_blocks)

    before_w = warn.evaluate_rules(plan, store, as_of=earlier) if earlier else []
    fresh = warn.new_warnings(before_w, inp.warnings)
    wblocks: list[Any] = [Para(t("doc.warnings_in_force", lang, n=len(inp.warnings),
                                 new=len(fresh)))]
    if fresh:
        wblocks.append(Table(t("doc.new_warnings", lang),
                             [t("doc.col.warning", lang), t("doc.col.owner", lang),
                              t("severity", lang)],
                             [[w.message.get(lang), w.owner.get(lang),
                               code_label("severity", w.severity, lang)] for w in fresh],
                             sources=[t("doc.rules_source", lang)], widths=[5, 2.4, 1]))
    warnings = Section(t("doc.new_warnings", lang), wblocks)

    psrc = Sources()
    prow = []
    for m in ev.results:
        target = m.targets[-1]
        pts = [p for p in target.series if p.year == period and p.source != "plan"]
        if pts:
            p = pts[-1]
            prow.append([m.name.get(lang), p.period, _value(p.raw_value, p.raw_unit, lang),
                         psrc.ref(fmt.source(p, lang))])
    figures = Section(t("doc.figures", lang, period=period), [
        Table(t("doc.figures_caption", lang, period=period),
              [t("col_metric", lang), t("col_period", lang), t("col_value", lang),
               t("doc.col.source", lang)], prow, sources=psrc.listed(), widths=[4, 1.2, 2, 0.8])
        if prow else Para(t("doc.figures_none", lang, period=period)),
    ])
    notes = notes_section(inp, lang)
    day = issued or ev.evaluated_on
    return OfficialDocument(
        lang=lang,
        title=t("doc.bulletin_title", lang, title=plan.title.get(lang), period=period),
        number=t("doc.bulletin_number", lang, period=period, seq=seq),
        issuer=t("doc.issuer", lang),
        date_line=t("doc.date_line", lang, day=fmt.day(day, lang)),
        lead=[Para(t("doc.bulletin_lead", lang, as_of=fmt.moment(as_of, lang),
                     title=plan.title.get(lang)))],
        sections=[overview, changed, warnings, figures, notes],
        disclaimer=t("doc.disclaimer", lang),
        kind="bulletin",
    )


def _value(v: float, unit: str, lang: Lang) -> str:
    """A figure with its unit when the reports know how to write the unit, else the number."""
    known = unit in ("%", "%yoy", "pp", "index", "count", "") or \
        code_label("unit", unit, lang) != unit or unit.startswith(("pp_vs", "%vs", "decline"))
    return fmt.value(v, unit, lang) if known else f"{fmt.number(v)} {unit}"
