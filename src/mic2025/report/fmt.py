"""Numbers, units, dates and periods as the reports write them.

Plain digits in both languages; a thousands separator from 10 000 up; no more decimals than a
figure needs (a published 1.26 stays 1.26, a computed 1.263817 becomes 1.26).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from .. import periods, units
from ..citation import Citation, Cited, cite
from ..evaluate.measures import PLAN_SOURCE
from ..evaluate.model import Derivation, NoteArg, derivation_text
from ..i18n import Lang, code_label, derivation_templates, note_text, t
from . import labels

if TYPE_CHECKING:
    from ..evaluate.model import Alternative, Projection, SeriesPoint, TargetResult
    from ..evaluate.provinces import LeftOut

_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")

#: flags that make a point "not a plain published annual figure": drawn hollow
HOLLOW_FLAGS = frozenset(
    {"derived", "estimate", "provisional", "proxy", "partial_year", "partial-year"}
)

DASH = "—"


def number(value: float | None, decimals: int = 4) -> str:
    """``value`` with at most ``decimals`` decimals, trailing zeros dropped."""
    if value is None or not math.isfinite(value):
        return DASH
    text = f"{value:,.{decimals}f}" if abs(value) >= 10_000 else f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def computed(value: float | None) -> str:
    """A computed figure (a projection, a pace): two decimals, fewer when they are zeros."""
    if value is None:
        return DASH
    return number(value, 2 if abs(value) < 1000 else 0)


def _change(text: str, change: units.Change, lang: Lang) -> str:
    """A number in a change unit, in words: 比2015年下降15.9% / 15.9% decline on 2015."""
    return t(f"unit_words.{units.change_kind(change)}", lang, text=text,
             against=units.change_against(change, lang))


def with_unit(text: str, unit: str, lang: Lang) -> str:
    """Attach a unit to a formatted number the way each language writes it."""
    if text == DASH:
        return text
    change = units.change(unit) if unit != "%yoy" else None
    if change is not None:
        return _change(text, change, lang)
    if unit in ("%", "%yoy"):
        return f"{text}%"
    if unit in ("index", "count", ""):
        return text
    label = unit_label(unit, lang)
    # a code the table cannot write in words stays apart from the number
    if label == unit:
        return f"{text} {label}"
    return t("unit_words.with", lang, text=text, label=label)


def value(v: float | None, unit: str, lang: Lang) -> str:
    return with_unit(number(v), unit, lang)


def share(fraction: float | None) -> str:
    """A fraction (0.42) as a percentage (42%)."""
    if fraction is None or not math.isfinite(fraction):
        return DASH
    return f"{number(fraction * 100, 0)}%"


def probability(p: float | None) -> str:
    """A probability in whole percent; ">99%" and "<1%" at the ends: a projection's
    probability is the share of a finite number of draws, never a certainty."""
    if p is None or not math.isfinite(p):
        return DASH
    if p >= 0.995:
        return ">99%"
    if p <= 0.005:
        return "<1%"
    return f"{number(p * 100, 0)}%"


def level_percent(level: float) -> str:
    """A confidence level given as 0.9 or as 90."""
    return f"{number(level * 100 if level <= 1 else level, 1)}%"


#: a unit code in words (:func:`mic2025.units.words`): the report's and the platform's name
unit_label = units.words


def plan_source(document: object, lang: Lang) -> str:
    """The plan as the source of a figure: 规划（国发〔2015〕28号）/ the plan (…), or without a
    document number when there is none."""
    if document:
        return t("source.plan", lang, document=document)
    return t("source.plan_undocumented", lang)


def _document(d: Derivation | None) -> object:
    """The plan's document number recorded in a derivation (or one it builds on), if any."""
    while d is not None:
        if d.args.get("document"):
            return d.args["document"]
        d = d.of
    return None


def citation(p: SeriesPoint) -> Citation:
    """A figure's citation; a result written before it carried one gets it from its source
    by the legacy rule."""
    return p.citation or Citation.from_source(p.source, p.source_date)


def cited(p: SeriesPoint, lang: Lang) -> Cited | None:
    """A figure's citation as every writer prints it (:func:`mic2025.citation.cite`); ``None``
    for a figure the plan states."""
    return None if p.source == PLAN_SOURCE else cite(citation(p), lang)


def source(p: SeriesPoint, lang: Lang) -> str:
    """Where a figure comes from, as one line: the publication first, then "转引自 / retrieved
    from" the copy read; the plan in words."""
    c = cited(p, lang)
    if c is not None:
        return c.text
    return plan_source(_document(p.derivation_part), lang)


def _figure_text(v: NoteArg) -> str:
    return v if isinstance(v, str) else number(float(v))


def _derivation_args(d: Derivation, lang: Lang) -> Mapping[str, object]:
    """A derivation's arguments as the report's templates write them (see ``_DERIVATIONS`` in
    :mod:`mic2025.i18n`)."""
    args: dict[str, object] = dict(d.args)
    if "value" in d.args and "unit" in d.args:
        args["published"] = with_unit(_figure_text(d.args["value"]), str(d.args["unit"]), lang)
    if "converted" in d.args and "to" in d.args:
        args["result"] = with_unit(_figure_text(d.args["converted"]), str(d.args["to"]), lang)
    for key in ("unit", "to", "level_unit"):
        if key in d.args:
            args[key] = unit_label(str(d.args[key]), lang)
    if d.args.get("where") == PLAN_SOURCE:
        args["where"] = plan_source(d.args.get("document"), lang)
    return args


def derivation(p: SeriesPoint, lang: Lang) -> str:
    """How a figure was computed, in ``lang``; its English ``derivation`` when it has no code
    (a result written before the codes) or a code this report does not know; ``""`` for a
    figure used as published."""
    d = p.derivation_part
    if d is None:
        return p.derivation or ""
    full, short = derivation_templates(lang)
    try:
        return derivation_text(d, full, short, lambda x: _derivation_args(x, lang))
    except (KeyError, IndexError, ValueError):
        return p.derivation or ""


def day(d: date | None, lang: Lang) -> str:
    if d is None:
        return DASH
    # a date's format per language is formatting, not a text of the table
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {_MONTHS_EN[d.month - 1]} {d.year}"


#: Beijing time (Asia/Shanghai): UTC+8 all year, no daylight saving since 1991
BEIJING = timezone(timedelta(hours=8), "CST")


def moment(dt: datetime | None, lang: Lang) -> str:
    """An instant as its readers keep time: in Beijing time, labelled so (北京时间)."""
    if dt is None:
        return t("as_of_unknown", lang)
    if dt.utcoffset() is None:
        return f"{day(dt.date(), lang)} {dt:%H:%M}"
    local = dt.astimezone(BEIJING)
    return t("beijing_time", lang, day=day(local.date(), lang), time=f"{local:%H:%M}")


def period_position(year: int, period: str) -> float:
    """Where a period sits on a year axis: a year's figure at the year, a part at its share.

    ``2017`` and ``2017-12-31`` sit at 2017; ``2017-Q3`` (ending 30 September) at about
    2016.75, so that a sub-annual figure is not drawn as the whole year's.
    """
    try:
        p = periods.parse(period, year)
    except ValueError:
        return float(year)
    end = p.end
    year_end = date(end.year, 12, 31)
    days = (year_end - date(end.year - 1, 12, 31)).days
    return end.year - (year_end - end).days / days


def is_part_year(year: int, period: str) -> bool:
    """A figure whose period ends before the end of its year."""
    return period_position(year, period) < year


def point_flags(flags: list[str], year: int, period: str) -> list[str]:
    """The point's flags, with ``partial_year`` added when its period says so."""
    out = list(flags)
    if is_part_year(year, period) and not {"partial_year", "partial-year"} & set(out):
        out.append("partial_year")
    return out


def is_hollow(flags: list[str], year: int, period: str) -> bool:
    return any(f in HOLLOW_FLAGS for f in point_flags(flags, year, period))


def flag_list(flags: list[str], lang: Lang) -> str:
    return t("list_sep", lang).join(code_label("flag", f, lang) for f in flags)


def period_label(year: int, period: str) -> str:
    """The period as written, or just the year when the period is the year."""
    return str(year) if period in ("", str(year)) else period


def alternative_reason(a: Alternative, lang: Lang) -> str:
    """Why a figure is not in the headline series, in ``lang`` (its English ``reason`` when it
    has no codes).

    A route's derivation (``other_route``) is the alternative's own, written as
    :func:`derivation` writes it; the plan as a source is written in words; in Chinese, unit
    codes are written in words.
    """
    parts = []
    for part in a.reason_parts:
        args: dict[str, object] = dict(part.args)
        if "derivation" in args and a.derivation_part is not None:
            args["derivation"] = derivation(a, lang)
        if args.get("source") == PLAN_SOURCE:
            args["source"] = plan_source(None, lang)
        # the English templates are the engine's, which name units by code; Chinese in words
        if lang == "zh":
            for key in ("unit", "to"):
                if key in args:
                    args[key] = unit_label(str(args[key]), lang)
        parts.append((part.code, args))
    return note_text("alternative_reason", parts, lang, a.reason) or ""


def projection_model(pr: Projection, lang: Lang) -> str:
    """A projection's model and settings in ``lang`` (its English ``model`` without a code)."""
    if not pr.model_code:
        return pr.model
    return note_text("projection_model", [(pr.model_code, pr.model_args)], lang,
                     pr.model) or pr.model


def left_out_reason(lo: LeftOut, lang: Lang) -> str:
    """Why a provincial figure is kept off a map or ranking, in ``lang``."""
    args: dict[str, object] = dict(lo.reason.args)
    if lang == "zh":
        for key in ("unit", "to"):
            if key in args:
                args[key] = unit_label(str(args[key]), lang)
    return note_text("alternative_reason", [(lo.reason.code, args)], lang,
                     lo.reason_text) or lo.reason_text


def bound_label(tr: TargetResult, lang: Lang) -> str | None:
    """What a verdict that rests on a bound adds to its label (依据下限), else ``None``."""
    if tr.bound is None:
        return None
    return t(f"verdict_bound.{tr.bound.side}", lang)


def verdict_label(tr: TargetResult, lang: Lang) -> str:
    """The verdict as every page and document shows it: its label, and the bound it rests on
    ("已实现（依据下限）", "Achieved (on a lower bound)")."""
    label = code_label("verdict", tr.verdict, lang)
    extra = bound_label(tr, lang)
    return label if extra is None else label + t("paren", lang, text=extra)


def verdict_note(tr: TargetResult, lang: Lang) -> str | None:
    """The target's verdict note in ``lang`` (its English text when it has no codes)."""
    return note_text("verdict_note", [(p.code, p.args) for p in tr.verdict_note_parts],
                     lang, tr.verdict_note)


def projection_note(pr: Projection | None, lang: Lang) -> str | None:
    """The projection's note in ``lang`` (its English text when it has no codes)."""
    if pr is None:
        return None
    return note_text("projection_note", [(p.code, p.args) for p in pr.note_parts], lang,
                     pr.note)


def method_name(method: str, lang: Lang) -> str:
    """A progress method's name as the pages show it (the registry's, :mod:`.labels`)."""
    return labels.method_name(method, lang)
