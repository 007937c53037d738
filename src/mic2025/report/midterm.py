"""The mid-term evaluation (中期评估) as an official-layout document, Word and PDF.

:func:`build_midterm` writes, from what :func:`mic2025.followup.midterm.gather` collected for a
chosen year (the headline: each target of that year achieved, missed, pending or not
assessable, with figures and sources) and a data vintage (``as_of``):

一、 overall picture — counts of the year's verdicts;
二、 the year's targets one by one (tables, then one verdict line per target with its figure
    and source);
三、 the outlook for the plan's last target year — assessment, projection, probability, charts;
四、 adjustment proposals (:mod:`mic2025.followup.adjust`);
五、 warnings (:mod:`mic2025.followup.warn`);
六、 supervision of tasks and projects (:mod:`mic2025.followup.supervision`);
七、 notes — data vintage, method, plan version, typesetting.

:func:`write_documents` writes ``.docx`` and ``.pdf`` (and the print HTML) into a folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from ..evaluate.model import MetricResult, TargetResult
from ..followup import adjust, supervision
from ..followup.midterm import (
    VERDICTS,
    Inputs,
    aware,
    latest_point,
    metric_targets,
    verdict_counts,
    verdict_point,
)
from ..i18n import Lang, code_label, t
from ..plan import Plan
from . import fmt, labels
from .official import Figure, OfficialDocument, Para, Section, Sources, Table, fonts, sources_line


def value_text(v: float | None, tr: TargetResult, lang: Lang) -> str:
    if v is None:
        return fmt.DASH
    unit = tr.measure_unit
    known = unit in ("%", "%yoy", "pp", "index", "count", "") or \
        code_label("unit", unit, lang) != unit or unit.startswith(("pp_vs", "%vs", "decline"))
    text = fmt.value(v, unit, lang) if known else fmt.number(v)
    if tr.measure == "index":
        text += t("doc.base_100", lang)
    return text


def target_text(tr: TargetResult, lang: Lang) -> str:
    text = tr.target_text.get(lang)
    stripped = text.replace(".", "").replace("-", "").strip()
    return value_text(tr.target_value, tr, lang) if stripped.isdigit() else text


def _value_year(value: str, year: object, lang: Lang) -> str:
    return t("doc.value_year", lang, value=value, year=year)


# --------------------------------------------------------------------------- sections


def _overview(inp: Inputs, year: int, lang: Lang) -> Section:
    rows = []
    totals = dict.fromkeys(VERDICTS, 0)
    for group in ("indicator", "project"):
        counts = verdict_counts(inp.evaluation, year, group)
        for v in VERDICTS:
            totals[v] += counts[v]
        rows.append([t(f"doc.group.{group}", lang), str(sum(counts.values())),
                     *(str(counts[v]) for v in VERDICTS[:4])])
    n = sum(totals.values())
    rows.append([t("doc.total", lang), str(n), *(str(totals[v]) for v in VERDICTS[:4])])
    header = [t("doc.col.group", lang), t("doc.col.targets", lang),
              *(code_label("verdict", v, lang) for v in VERDICTS[:4])]
    text = t("doc.overview_text", lang, title=inp.plan.title.get(lang), year=year, n=n,
             **{v: totals[v] for v in VERDICTS[:4]})
    src = [t("doc.evaluation_source", lang, as_of=fmt.moment(inp.evaluation.as_of, lang))]
    return Section(t("doc.overview", lang), [
        Para(text),
        Table(t("doc.verdict_summary", lang, year=year), header, rows, sources=src,
              widths=[2.2, 1, 1, 1, 1.3, 1.3]),
    ])


#: relative column widths of the year tables: the English labels need a wider verdict column
_YEAR_WIDTHS: dict[Lang, list[float]] = {"zh": [0.6, 3.6, 1.8, 2, 1.2, 0.9],
                                         "en": [0.6, 3.0, 1.8, 1.9, 1.9, 1.1]}


def _year_table(pairs: Sequence[tuple[MetricResult, TargetResult]], year: int, lang: Lang,
                caption: str) -> Table:
    src = Sources()
    rows = []
    for i, (m, tr) in enumerate(pairs, 1):
        pts = verdict_point(tr)
        if tr.verdict in ("achieved", "missed") and tr.verdict_value is not None:
            actual = _value_year(value_text(tr.verdict_value, tr, lang), tr.verdict_year, lang)
            refs = "".join(dict.fromkeys(src.ref(fmt.source(p, lang)) for p in pts)) or "—"
        else:
            lp = latest_point(tr)
            actual = t("doc.latest_value", lang, value=value_text(lp.value, tr, lang),
                       period=lp.period) if lp else fmt.DASH
            refs = src.ref(fmt.source(lp, lang)) if lp else "—"
        rows.append([str(i), m.name.get(lang), target_text(tr, lang), actual,
                     fmt.verdict_label(tr, lang), refs])
    header = [t("doc.col.no", lang), t("col_metric", lang),
              t("doc.col.year_target", lang, year=year), t("doc.col.actual", lang),
              t("col_verdict", lang), t("doc.col.source", lang)]
    return Table(caption, header, rows, sources=src.listed(), widths=_YEAR_WIDTHS[lang])


def verdict_line(m: MetricResult, tr: TargetResult, lang: Lang, sources: Sources) -> Para:
    """``name：目标…；实际…（资料来源[n]）。结论：已实现。`` — one line per target of the year."""
    pts = verdict_point(tr)
    srcs = "".join(dict.fromkeys(sources.ref(fmt.source(p, lang)) for p in pts)) if pts else ""
    if tr.verdict in ("achieved", "missed") and tr.verdict_value is not None:
        fact = t("doc.fact_actual", lang, year=tr.verdict_year,
                 value=value_text(tr.verdict_value, tr, lang))
    elif tr.verdict == "pending":
        lp = latest_point(tr)
        fact = t("doc.fact_pending", lang, year=tr.target_year)
        if lp:
            fact += t("doc.fact_pending_latest", lang, period=lp.period,
                      value=value_text(lp.value, tr, lang))
            srcs = sources.ref(fmt.source(lp, lang))
    else:
        fact = t("doc.fact_none", lang)
    # a result written before notes had codes says it in its English text only
    by_tolerance = any(p.code == "tolerance" for p in tr.verdict_note_parts) or (
        not tr.verdict_note_parts and "tolerance" in (tr.verdict_note or ""))
    note = t("doc.by_tolerance", lang) if by_tolerance and tr.verdict in ("achieved", "missed") \
        else ""
    text = t("doc.verdict_line", lang, target=target_text(tr, lang), fact=fact,
             source=t("doc.fact_source", lang, refs=srcs) if srcs else "",
             verdict=fmt.verdict_label(tr, lang), note=note)
    return Para(text, lead=f"{m.name.get(lang)}{t('colon', lang)}")


def _year_section(inp: Inputs, year: int, lang: Lang) -> Section:
    ind = metric_targets(inp.evaluation, year, "indicator")
    proj = metric_targets(inp.evaluation, year, "project")
    refs = Sources()
    verdicts: list[Any] = [verdict_line(m, tr, lang, refs) for m, tr in (*ind, *proj)]
    if refs.items:
        verdicts.append(Para(sources_line(lang, refs.listed()), style="ref"))
    lines = Section(t("doc.verdict_lines", lang), verdicts)
    return Section(t("doc.year_targets", lang, year=year), [
        Section(t("doc.group.indicator", lang),
                [_year_table(ind, year, lang, t("doc.indicators_caption", lang, year=year))]),
        Section(t("doc.project_targets", lang),
                [_year_table(proj, year, lang, t("doc.projects_caption", lang, year=year))]),
        lines,
    ])


def _outlook(inp: Inputs, year: int, lang: Lang, max_charts: int) -> Section:
    from .svg import metric_charts

    src = Sources()
    rows = []
    pairs = metric_targets(inp.evaluation, year)
    for m, tr in pairs:
        a = tr.assessment
        pr = tr.projection
        lp = latest_point(tr)
        proj = fmt.DASH
        if pr and pr.value is not None:
            proj = fmt.computed(pr.value)
            if pr.lower is not None and pr.upper is not None:
                proj += f" [{fmt.computed(pr.lower)}, {fmt.computed(pr.upper)}]"
        latest = (_value_year(value_text(lp.value, tr, lang), lp.period, lang)
                  + src.ref(fmt.source(lp, lang))) if lp else fmt.DASH
        rows.append([m.name.get(lang), target_text(tr, lang), latest,
                     code_label("status", a.status, lang), proj,
                     fmt.probability(pr.probability if pr else None)])
    header = [t("col_metric", lang), t("doc.col.year_target", lang, year=year),
              t("doc.col.latest_period", lang), t("doc.col.status", lang),
              t("doc.col.projection", lang), t("doc.col.probability", lang)]
    ev = inp.evaluation
    blocks: list[Any] = [
        Para(t("doc.outlook_method", lang, method=labels.method_name(ev.method, lang),
               reference=labels.method_reference(ev.method))),
        Table(t("doc.outlook_caption", lang, year=year), header, rows, sources=src.listed(),
              widths=[3.4, 1.6, 2.2, 1.2, 2.2, 1]),
    ]
    charts: list[Any] = []
    for m, tr in pairs:
        if len(charts) >= max_charts:
            break
        if tr.projection is None or tr.projection.probability is None:
            continue
        svgs = metric_charts(next(r for r in ev.results if r.metric == m.metric), lang)
        if svgs:
            srcs = list(dict.fromkeys(fmt.source(p, lang) for p in tr.series
                                      if p.source != "plan"))
            charts.append(Figure(svgs[0], m.name.get(lang), sources=srcs[:6]))
    sub = [Section(t("doc.assessment_projection", lang), blocks)]
    if charts:
        sub.append(Section(t("doc.trends", lang), charts))
    return Section(t("doc.outlook", lang, year=year), list(sub))


def plan_value_text(kind: str, v: float | None, lang: Lang, base_year: int | None = None) -> str:
    """A target value in the plan's own terms: 比2015年下降18% / −18% on 2015, 年均7.5%…"""
    if v is None:
        return fmt.DASH
    n = fmt.number(abs(v) if kind in ("relative_change", "change_pp") else v)
    args = {"n": n, "v": fmt.number(v), "base": base_year or 2015}
    if kind == "relative_change":
        return t("doc.plan.relative_down" if v < 0 else "doc.plan.relative_up", lang, **args)
    if kind == "change_pp":
        return t("doc.plan.pp_up" if v >= 0 else "doc.plan.pp_down", lang, **args)
    if kind == "average_growth":
        return t("doc.plan.growth", lang, **args)
    return n


def _fmt_pace(p: adjust.Proposal, lang: Lang) -> str:
    if p.evidence == "achieved_early":
        return fmt.DASH
    if p.measure == "growth" and p.required_growth is not None:
        return t("doc.pace.growth", lang, v=fmt.computed(p.required_growth))
    if p.required_change is not None:
        return t("doc.pace.change", lang, v=fmt.computed(p.required_change))
    return fmt.DASH


def _target_base(plan: Plan, metric_id: str, year: int) -> int | None:
    target = plan.metric(metric_id).target(year)
    return target.base_year if target else None


def _proposals_section(inp: Inputs, lang: Lang) -> Section:
    ps = inp.proposals
    rows = []
    for p in ps.proposals:
        if p.evidence == "decided":
            continue
        base_year = _target_base(inp.plan, p.metric, p.target_year)
        proposed = plan_value_text(p.kind, p.proposed_plan_value, lang, base_year)
        rows.append([p.name.get(lang), plan_value_text(p.kind, p.plan_value, lang, base_year),
                     code_label("evidence", p.evidence, lang),
                     fmt.probability(p.probability), code_label("action", p.action, lang), proposed,
                     fmt.probability(p.proposed_probability), _fmt_pace(p, lang)])
    header = [t("col_metric", lang), t("doc.col.current_target", lang),
              t("doc.col.evidence", lang), t("doc.col.p_current", lang),
              t("doc.col.proposal", lang), t("doc.col.proposed", lang),
              t("doc.col.p_proposed", lang), t("doc.col.pace", lang)]
    s = ps.settings
    method = t("doc.proposals_method", lang, raise_min=s.raise_min,
               raise_probability=s.raise_probability, reach_min=s.reach_min,
               attainable_probability=s.attainable_probability)
    return Section(t("doc.proposals", lang), [
        Para(method),
        Para(ps.assumptions.get(lang), style="note"),
        Table(t("doc.proposals_caption", lang, year=ps.target_year), header, rows,
              sources=[t("doc.proposals_source", lang)],
              widths=[3, 1.1, 1.3, 1, 1.6, 1.1, 1.1, 1.6]),
    ])


def _warnings_section(inp: Inputs, lang: Lang) -> Section:
    ws = inp.warnings
    if not ws:
        return Section(t("doc.warnings", lang), [Para(t("doc.warnings_none", lang))])
    rows = [[w.message.get(lang), w.period, w.owner.get(lang),
             code_label("severity", w.severity, lang)
             + (t("doc.synthetic", lang) if w.synthetic else "")] for w in ws]
    header = [t("doc.col.warning", lang), t("col_period", lang), t("doc.col.owner", lang),
              t("severity", lang)]
    return Section(t("doc.warnings", lang), [
        Para(t("doc.warnings_count", lang, n=len(ws))),
        Table(t("doc.warnings_list", lang), header, rows,
              sources=[t("doc.warnings_source", lang)], widths=[5, 1, 2.4, 1.2]),
    ])


def _supervision_section(inp: Inputs, lang: Lang) -> Section:
    if inp.seed is None:
        return Section(t("doc.supervision", lang), [Para(t("doc.supervision_none", lang))])
    seed = inp.seed
    stock = supervision.stocktake(seed, inp.states)

    def status(code: str) -> str:
        return code_label("milestone_status", code, lang)

    rows = [[r["name"].get(lang), str(r["milestones"]), str(r["completed"]),
             str(r["in_progress"]), str(r["not_reported"] + r["not_started"]),
             str(r["delayed"]), str(len(r["overdue"])), str(len(r["at_risk"]))] for r in stock]
    header = [t("doc.col.owner", lang), t("doc.col.milestones", lang), status("completed"),
              status("in_progress"), t("doc.col.not_started", lang), status("delayed"),
              t("doc.col.overdue", lang), t("doc.col.at_risk", lang)]
    src = [t("doc.supervision_source", lang)]

    def listing(items: list[supervision.ItemState], caption: str) -> Table:
        r = []
        for s in items:
            figs = t("note_sep", lang).join(
                f"{inp.plan.metric(f['metric']).name.get(lang)} "
                + _value_year(fmt.number(f["latest_value"]), f["latest_year"], lang)
                for f in s.figures if f["latest_value"] is not None)
            r.append([s.milestone.title.get(lang), seed.body(s.milestone.owner).name.get(lang),
                      fmt.day(s.milestone.due, lang), status(s.status), figs or fmt.DASH])
        return Table(caption, [t("doc.col.milestone", lang), t("doc.col.lead", lang),
                               t("doc.col.due", lang), t("col_status", lang),
                               t("doc.col.figures", lang)], r, sources=src,
                     widths=[3.6, 1.6, 1.6, 1, 2.4])

    overdue = [s for s in inp.states if s.overdue]
    risky = [s for s in inp.states if s.at_risk]
    blocks: list[Any] = [
        Para(seed.note.get(lang) if seed.note else "", style="note"),
        Section(t("doc.progress_by_owner", lang),
                [Table(t("doc.milestones_by_owner", lang), header, rows,
                       sources=src, widths=[2.6, 0.9, 0.9, 0.9, 1.4, 0.8, 0.8, 0.8])]),
        Section(t("doc.overdue", lang),
                [listing(overdue, t("doc.overdue_caption", lang))] if overdue
                else [Para(t("doc.overdue_none", lang))]),
        Section(t("doc.at_risk", lang),
                [listing(risky, t("doc.at_risk_caption", lang))] if risky
                else [Para(t("doc.at_risk_none", lang))]),
    ]
    return Section(t("doc.supervision", lang), blocks)


def typesetting_note(lang: Lang) -> str:
    """Which faces stand in for the standard's (:func:`.official.fonts`)."""
    f = fonts()
    return t("doc.typesetting", lang, serif=f["serif"], sans=f["sans"])


def notes_section(inp: Inputs, lang: Lang) -> Section:
    ev = inp.evaluation
    last = inp.vintages[-1] if inp.vintages else None
    vint = t("doc.vintage", lang, id=last.id, at=fmt.moment(aware(last.created_at), lang),
             n=len(inp.vintages)) if last else t("doc.vintage_none", lang)
    return Section(t("doc.notes", lang), [
        Para(vint),
        Para(t("doc.as_of_line", lang, as_of=fmt.moment(ev.as_of, lang),
               on=fmt.day(ev.evaluated_on, lang))),
        Para(t("doc.plan_line", lang, plan=ev.plan, version=ev.plan_version,
               software=ev.software)),
        Para(t("doc.method_line", lang, method=labels.method_name(ev.method, lang),
               reference=labels.method_reference(ev.method)), style="ref"),
        Para(typesetting_note(lang), style="note"),
    ])


# --------------------------------------------------------------------------- the document


def build_midterm(inp: Inputs, *, year: int, lang: Lang, seq: int = 1,
                  max_charts: int = 6, issued: date | None = None) -> OfficialDocument:
    plan = inp.plan
    ev = inp.evaluation
    later = inp.proposals.target_year
    day = issued or ev.evaluated_on
    doc_no = plan.document.number if plan.document else plan.id
    lead = Para(t("doc.midterm_lead", lang, doc_no=doc_no, title=plan.title.get(lang),
                  as_of=fmt.moment(ev.as_of, lang), year=year, later=later))
    sections = [
        _overview(inp, year, lang),
        _year_section(inp, year, lang),
        _outlook(inp, later, lang, max_charts),
        _proposals_section(inp, lang),
        _warnings_section(inp, lang),
        _supervision_section(inp, lang),
        notes_section(inp, lang),
    ]
    return OfficialDocument(
        lang=lang,
        title=t("doc.midterm_title", lang, title=plan.title.get(lang), year=year),
        number=t("doc.midterm_number", lang, year=year, seq=seq),
        issuer=t("doc.issuer", lang),
        date_line=t("doc.date_line", lang, day=fmt.day(day, lang)),
        lead=[lead], sections=sections,
        disclaimer=t("doc.disclaimer", lang),
        kind="midterm",
    )


def write_documents(doc: OfficialDocument, out_dir: Path, stem: str,
                    formats: Sequence[str] = ("docx", "pdf")) -> list[Path]:
    """``doc`` in each of ``formats`` (docx, pdf, html) as ``out_dir/stem-<lang>.<format>``."""
    from .docx import write_docx
    from .pdf import write_html, write_pdf

    out: list[Path] = []
    for f in formats:
        path = out_dir / f"{stem}-{doc.lang}.{f}"
        if f == "docx":
            out.append(write_docx(doc, path))
        elif f == "pdf":
            out.append(write_pdf(doc, path))
        elif f == "html":
            out.append(write_html(doc, path))
    return out


__all__ = ["build_midterm", "verdict_line", "write_documents"]
