"""The HTML report: one self-contained page per language from an :class:`Evaluation`.

The page loads nothing: its CSS is inline, its charts are inline SVG (:mod:`.svg`), it has no
script, and the only URLs in it are links to the sources of the figures. Every figure carries a
numbered note with its source; the notes are listed at the end of each metric's section and are
numbered through the whole page, so the summary table can point at them too.

Everything from the evaluation is text to the template, which escapes it: source quotes, notes
and scopes come from outside and may hold markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..evaluate.model import (
    Assessment,
    Evaluation,
    MetricResult,
    Projection,
    SeriesPoint,
    TargetResult,
)
from ..i18n import LANGS, Lang, code_label, pick, t
from . import fmt, labels
from .series import MeasureGroup, base_point, latest_point, measure_groups, point_key
from .svg import chart_title, group_chart, render

STATUS_GLYPH = {"achieved": "✓", "on_track": "●", "needs_acceleration": "▲", "off_track": "✕",
                "insufficient_data": "?"}
VERDICT_GLYPH = {"achieved": "✓", "missed": "✕", "pending": "…", "open": "○",
                 "not_assessable": "?"}
_URL = re.compile(r"https?://[^\s<>\"'）)，。；;]+", re.IGNORECASE)


# --------------------------------------------------------------------------- view model


@dataclass(frozen=True)
class Chip:
    kind: str  # "status" or "verdict"
    code: str
    label: str
    glyph: str

    @property
    def css(self) -> str:
        return f"{self.kind}-{re.sub(r'[^a-z_]', '', self.code)}"


@dataclass(frozen=True)
class Cell:
    """A figure as shown in a table, with the number of its source note."""

    text: str
    note: int | None = None
    when: str = ""


@dataclass(frozen=True)
class Footnote:
    number: int
    figure: str
    source: str
    href: str | None  # the copy read, printed after the publication as "转引自 / retrieved from"
    details: tuple[tuple[str, str], ...]
    quote: str
    copy_label: str = ""
    copy_grade: str = ""


@dataclass(frozen=True)
class SummaryRow:
    anchor: str
    parent: str
    metric: str
    first: bool
    span: int
    target_year: int
    target_text: str
    base: Cell
    latest: Cell
    target: str
    progress: str
    category: str
    status: Chip
    verdict: Chip
    projection: str


@dataclass(frozen=True)
class TargetDetail:
    year: int
    text: str
    status: Chip
    verdict: Chip
    rows: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class DataRow:
    period: str
    value: Cell
    published_as: str
    scope: str
    flags: str
    reason: str = ""


@dataclass(frozen=True)
class ChartBlock:
    svg: Markup
    caption: str
    rows: tuple[DataRow, ...]
    alternatives: tuple[DataRow, ...]


@dataclass(frozen=True)
class MetricSection:
    anchor: str
    name: str
    parent: str
    group: str
    unit: str
    direction: str
    targets: tuple[TargetDetail, ...]
    charts: tuple[ChartBlock, ...]
    footnotes: tuple[Footnote, ...]


@dataclass
class _Notes:
    """Numbers the source notes through the page: one per distinct figure of a metric."""

    numbers: dict[tuple[str, str], int] = field(default_factory=dict)

    def number(self, metric: str, point: SeriesPoint) -> tuple[int, bool]:
        key = (metric, point_key(point))
        if key in self.numbers:
            return self.numbers[key], False
        self.numbers[key] = len(self.numbers) + 1
        return self.numbers[key], True

    def find(self, metric: str, point: SeriesPoint | None) -> int | None:
        return None if point is None else self.numbers.get((metric, point_key(point)))


# --------------------------------------------------------------------------- building


def _status(code: str, lang: Lang) -> Chip:
    return Chip("status", code, code_label("status", code, lang), STATUS_GLYPH.get(code, "?"))


def _verdict(tr: TargetResult | str, lang: Lang) -> Chip:
    """A verdict's chip: of a target (saying the bound it rests on), or of a bare code."""
    if isinstance(tr, str):
        return Chip("verdict", tr, code_label("verdict", tr, lang), VERDICT_GLYPH.get(tr, "?"))
    return Chip("verdict", tr.verdict, fmt.verdict_label(tr, lang),
                VERDICT_GLYPH.get(tr.verdict, "?"))


def _bracket(text: str, lang: Lang) -> str:
    return t("bracket", lang, text=text)


def _paren(text: str, lang: Lang) -> str:
    """A bracketed aside after a word: full-width in Chinese, after a space in English."""
    return t("paren", lang, text=text)


def _sep(lang: Lang) -> str:
    return t("note_sep", lang)


def _link_text(text: str) -> Markup:
    """Text with its http(s) URLs made into links; everything else escaped."""
    out = Markup("")
    last = 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,")
        out += escape(text[last:m.start()])
        out += Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url)
        last = m.start() + len(url)
    return out + escape(text[last:])


def _href(source: str) -> str | None:
    """The source as a link target, only for plain http(s) URLs (never javascript: and kin)."""
    s = source.strip()
    return s if re.fullmatch(r"https?://\S+", s, flags=re.IGNORECASE) else None


def _target_text(tr: TargetResult, unit: str, lang: Lang) -> str:
    value = fmt.value(tr.target_value, unit, lang)
    if tr.tolerance <= 0:
        return value
    return t("about_value", lang, value=value, tol=fmt.number(tr.tolerance))


def _projection_text(pr: Projection | None, lang: Lang) -> str:
    if pr is None or pr.value is None:
        return fmt.DASH
    parts = []
    if pr.lower is not None and pr.upper is not None:
        parts.append(t("interval_range", lang, level=fmt.level_percent(pr.level),
                       lower=fmt.computed(pr.lower), upper=fmt.computed(pr.upper)))
    if pr.probability is not None:
        parts.append(f"{t('probability_short', lang)} {fmt.probability(pr.probability)}")
    text = fmt.computed(pr.value)
    return text + (_paren(_sep(lang).join(parts), lang) if parts else "")


def _pace(value: float | None, kind: str | None, unit: str, lang: Lang) -> str:
    if value is None:
        return fmt.DASH
    if kind in ("cagr", "mean_growth"):  # the engine gives both in percent a year
        text = f"{fmt.computed(value)}%"
    else:
        text = fmt.with_unit(fmt.computed(value), unit, lang)
    label = code_label("pace", kind, lang) if kind else ""
    return f"{text}{t('per_year', lang)}" + (_paren(label, lang) if label else "")


def _figure(p: SeriesPoint, unit: str, lang: Lang) -> str:
    return f"{fmt.period_label(p.year, p.period)}{t('colon', lang)}{fmt.value(p.value, unit, lang)}"


def _published_as(p: SeriesPoint, unit: str, lang: Lang) -> str:
    if p.raw_unit == unit and p.raw_value == p.value:
        return ""
    return fmt.value(p.raw_value, p.raw_unit, lang)


def _footnote(number: int, p: SeriesPoint, unit: str, lang: Lang, reason: str = "") -> Footnote:
    details: list[tuple[str, str]] = []
    if p.scope:
        details.append((t("scope", lang), p.scope))
    flags = fmt.point_flags(p.flags, p.year, p.period)
    if flags:
        details.append((t("flags", lang), fmt.flag_list(flags, lang)))
    published = _published_as(p, unit, lang)
    if published:
        details.append((t("published_as", lang), published))
    if p.lower is not None and p.upper is not None:
        details.append((t("range", lang), f"{fmt.number(p.lower)}–{fmt.number(p.upper)}"))
    how = fmt.derivation(p, lang)
    if how:
        details.append((t("derivation", lang), how))
    if p.vintage is not None:
        details.append((t("note_vintage", lang), str(p.vintage)))
    if reason:
        details.append((t("reason", lang), reason))
    # ``quote`` is what the source says in its own words; the store keeps it with each
    # observation, and it is shown here once the evaluation's points carry it.
    quote = p.quote or ""
    cited = fmt.cited(p, lang)
    if cited is None:
        return Footnote(number=number, figure=_figure(p, unit, lang), source=fmt.source(p, lang),
                        href=None, details=tuple(details), quote=str(quote))
    # the publication first; the copy read after it, smaller (report.html.j2)
    return Footnote(number=number, figure=_figure(p, unit, lang), source=cited.primary,
                    href=_href(cited.copy_url), details=tuple(details), quote=str(quote),
                    copy_label=cited.copy_label, copy_grade=cited.copy_grade)


def _measure(tr: TargetResult, lang: Lang) -> str:
    """What the target compares on; a level says its unit, an index and a growth rate say theirs."""
    label = code_label("measure", tr.measure, lang)
    if tr.measure != "level":
        return label
    return label + _paren(fmt.unit_label(tr.measure_unit, lang), lang)


def _target_detail(tr: TargetResult, lang: Lang) -> TargetDetail:
    a: Assessment = tr.assessment
    unit = tr.measure_unit
    rows: list[tuple[str, str]] = [
        (t("target_kind", lang), code_label("kind", tr.kind, lang)),
        (t("measure", lang), _measure(tr, lang)),
        (t("col_target", lang), _target_text(tr, unit, lang)),
    ]
    if a.base_year is not None and a.base_value is not None:
        rows.append((t("col_base", lang),
                     fmt.value(a.base_value, unit, lang) + _paren(str(a.base_year), lang)))
    if a.latest_year is not None:
        rows.append((t("col_latest", lang),
                     fmt.value(a.latest_value, unit, lang) + _paren(str(a.latest_year), lang)))
    rows.append((t("col_category", lang), labels.category_label(a.method, a.category, lang)))
    if a.progress is not None:
        rows.append((t("col_progress", lang), fmt.share(a.progress)))
    if a.ratio is not None:
        rows.append((t("method_ratio", lang), fmt.computed(a.ratio)))
    if a.score is not None:
        rows.append((t("method_score", lang), fmt.computed(a.score)))
    if a.observed_pace is not None or a.required_pace is not None:
        rows.append((t("observed_pace", lang), _pace(a.observed_pace, a.pace_kind, unit, lang)))
        rows.append((t("required_pace", lang), _pace(a.required_pace, a.pace_kind, unit, lang)))
    if tr.verdict_year is not None:
        rows.append((t("verdict_basis", lang),
                     fmt.value(tr.verdict_value, unit, lang) + _paren(str(tr.verdict_year), lang)))
    pr = tr.projection
    if pr is not None:
        rows.append((t("projection", lang),
                     f"{pr.year}{t('colon', lang)}{_projection_text(pr, lang)}"))
        rows.append((t("projection_model", lang),
                     f"{fmt.projection_model(pr, lang)}{_sep(lang)}"
                     f"{t('projection_points', lang)}{t('colon', lang)}{pr.n_points}"))
    notes = [code_label("note", n, lang) for n in a.notes]
    verdict_note = fmt.verdict_note(tr, lang)
    if verdict_note:
        notes.insert(0, verdict_note)
    projection_note = fmt.projection_note(pr, lang)
    if projection_note:
        notes.append(projection_note)
    return TargetDetail(year=tr.target_year, text=tr.target_text.get(lang),
                        status=_status(a.status, lang), verdict=_verdict(tr, lang),
                        rows=tuple(rows), notes=tuple(notes))


def _noted_row(metric: str, p: SeriesPoint, unit: str, reason: str, notes: _Notes,
               footnotes: list[Footnote], lang: Lang) -> DataRow:
    """A figure's table row; its source note is added to ``footnotes`` the first time."""
    n, new = notes.number(metric, p)
    if new:
        footnotes.append(_footnote(n, p, unit, lang, reason))
    return DataRow(period=fmt.period_label(p.year, p.period),
                   value=Cell(fmt.value(p.value, unit, lang), n),
                   published_as=_published_as(p, unit, lang), scope=p.scope,
                   flags=fmt.flag_list(fmt.point_flags(p.flags, p.year, p.period), lang),
                   reason=reason)


def _chart_block(metric: MetricResult, group: MeasureGroup, index: int, several: bool,
                 notes: _Notes, footnotes: list[Footnote], lang: Lang) -> ChartBlock:
    unit = group.unit
    rows = [_noted_row(metric.metric, p, unit, "", notes, footnotes, lang)
            for p in group.points]
    alternatives = [_noted_row(metric.metric, a, unit, fmt.alternative_reason(a, lang), notes,
                               footnotes, lang)
                    for a in group.alternatives]
    title = chart_title(metric, group, lang, several)
    chart = group_chart(group, lang, f"chart-{metric.metric}-{index}", title)
    return ChartBlock(svg=Markup(render(chart)), caption=title, rows=tuple(rows),
                      alternatives=tuple(alternatives))


def _section(metric: MetricResult, notes: _Notes, lang: Lang) -> MetricSection:
    groups = measure_groups(metric)
    footnotes: list[Footnote] = []
    charts = tuple(_chart_block(metric, g, i, len(groups) > 1, notes, footnotes, lang)
                   for i, g in enumerate(groups))
    targets = tuple(_target_detail(tr, lang)
                    for tr in sorted(metric.targets, key=lambda x: x.target_year))
    return MetricSection(
        anchor=f"m-{metric.metric}", name=metric.name.get(lang),
        parent=metric.parent_name.get(lang), group=code_label("group", metric.group, lang),
        unit=fmt.unit_label(metric.unit, lang),
        direction=code_label("direction", metric.direction, lang),
        targets=targets, charts=charts, footnotes=tuple(footnotes))


def _summary_rows(metric: MetricResult, notes: _Notes, lang: Lang) -> list[SummaryRow]:
    rows = []
    targets = sorted(metric.targets, key=lambda x: x.target_year)
    for i, tr in enumerate(targets):
        a = tr.assessment
        unit = tr.measure_unit
        base = Cell(fmt.DASH)
        if a.base_year is not None and a.base_value is not None:
            base = Cell(fmt.value(a.base_value, unit, lang),
                        notes.find(metric.metric, base_point(tr)), _bracket(str(a.base_year), lang))
        latest = Cell(fmt.DASH)
        point = latest_point(tr)
        if a.latest_year is not None or point is not None:
            value = a.latest_value
            if value is None and point is not None:
                value = point.value
            when = fmt.period_label(point.year, point.period) if point else str(a.latest_year)
            latest = Cell(fmt.value(value, unit, lang), notes.find(metric.metric, point),
                          _bracket(when, lang))
        rows.append(SummaryRow(
            anchor=f"m-{metric.metric}", parent=metric.parent_name.get(lang),
            metric=metric.name.get(lang), first=i == 0, span=len(targets),
            target_year=tr.target_year, target_text=tr.target_text.get(lang),
            base=base, latest=latest, target=_target_text(tr, unit, lang),
            progress=fmt.share(a.progress),
            category=labels.category_label(a.method, a.category, lang),
            status=_status(a.status, lang), verdict=_verdict(tr, lang),
            projection=_projection_text(tr.projection, lang)))
    return rows


def verdict_counts(evaluation: Evaluation) -> list[tuple[str, int]]:
    """How many targets have each verdict, in the order of the verdict codes (none left out,
    so that a reader sees a zero)."""
    found: list[str] = [tr.verdict for m in evaluation.results for tr in m.targets]
    return [(code, found.count(code)) for code in labels.VERDICT_CODES]


def _context(evaluation: Evaluation, lang: Lang, alternates: Sequence[str]) -> dict[str, Any]:
    notes = _Notes()
    sections = [_section(m, notes, lang) for m in evaluation.results]
    summary = [row for m in evaluation.results for row in _summary_rows(m, notes, lang)]
    assessments = [tr.assessment for m in evaluation.results for tr in m.targets]
    reference = next((a.reference for a in assessments if a.reference), "") \
        or labels.method_reference(evaluation.method)
    methods = sorted({a.method for a in assessments} | {evaluation.method})
    categories = [
        (method, labels.method_name(method, lang),
         [(labels.category_label(method, c, lang), labels.category_description(method, c, lang))
          for c in labels.method_categories(method)])
        for method in methods
    ]
    flagged = {f for m in evaluation.results for tr in m.targets
               for p in (*tr.series, *tr.alternatives) for f in p.flags}
    has_growth = any(tr.measure == "growth" for m in evaluation.results for tr in m.targets)
    return {
        "lang": lang,
        "t": lambda key: t(key, lang),
        "plan_title": evaluation.plan_title.get(lang),
        "area_name": evaluation.area_name.get(lang),
        "area": evaluation.area,
        "plan": evaluation.plan,
        "plan_version": evaluation.plan_version,
        "evaluated_on": fmt.day(evaluation.evaluated_on, lang),
        "as_of": fmt.moment(evaluation.as_of, lang),
        "generated_at": fmt.moment(evaluation.generated_at, lang),
        "software": evaluation.software,
        "method_name": labels.method_name(evaluation.method, lang),
        "method_code": evaluation.method,
        "reference": _link_text(reference),
        "synthetic": "synthetic" in flagged,
        "growth_note": has_growth,
        "statuses": [(_status(c, lang), t(f"status_desc.{c}", lang)) for c in labels.STATUS_CODES],
        "verdicts": [(_verdict(c, lang), t(f"verdict_desc.{c}", lang))
                     for c in labels.VERDICT_CODES],
        "verdict_counts": [(_verdict(c, lang), n) for c, n in verdict_counts(evaluation)],
        "categories": categories,
        "summary": summary,
        "sections": sections,
        "alternates": [(other, f"report-{other}.html", t("lang_name", other))
                       for other in LANGS if other != lang and other in alternates],
    }


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mic2025.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _check_lang(lang: str) -> Lang:
    if lang not in LANGS:
        raise ValueError(f"no report language {lang!r}; choose one of {', '.join(LANGS)}")
    return pick(lang) or "zh"


def _render(evaluation: Evaluation, lang: str, alternates: Sequence[str]) -> str:
    code = _check_lang(lang)
    template = _environment().get_template("report.html.j2")
    return template.render(**_context(evaluation, code, alternates))


def render_report(evaluation: Evaluation, lang: Lang) -> str:
    """The report as one self-contained HTML page in ``lang`` (``"zh"`` or ``"en"``)."""
    return _render(evaluation, lang, ())


def write_reports(evaluation: Evaluation, out_dir: Path,
                  langs: Sequence[str] = ("zh", "en")) -> list[Path]:
    """Write ``report-<lang>.html`` for each language into ``out_dir``; return the paths.

    Each page links to the others written with it.
    """
    codes = [_check_lang(lang) for lang in langs]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for code in codes:
        path = out_dir / f"report-{code}.html"
        path.write_bytes(_render(evaluation, code, codes).encode("utf-8"))
        paths.append(path)
    return paths
