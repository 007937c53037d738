"""The result of an evaluation, as typed models; their JSON Schema is the documented output.

``mic2025 evaluate --format json`` prints an :class:`Evaluation`; ``mic2025 assess --format
json`` prints an :class:`Assessment` with its :class:`Projection`. ``mic2025 schema NAME``
prints the JSON Schema of either. Field names are stable; new fields may be added.

Vocabulary
----------
measure
    what the comparison is made on: ``level`` (the value in the metric's unit),
    ``index`` (base year = 100; used for "比2015年下降18%" targets) or ``growth``
    (year-on-year growth in percent; used for average-annual-growth targets).
status
    a method-independent roll-up of a method's category, for colours and counts:
    ``achieved``, ``on_track``, ``needs_acceleration``, ``off_track``, ``insufficient_data``.
verdict
    the final outcome of a target whose year has passed: ``achieved`` or ``missed`` when the
    figure for the target year is known; ``pending`` while it is not yet due (the metric's
    declared release); ``open`` when the target year has not yet come; ``not_assessable``
    without data, or after the due date without the figure (a data gap:
    ``TargetResult.data_gap``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..citation import Citation
from ..plan import Text

Measure = Literal["level", "index", "growth"]
Status = Literal["achieved", "on_track", "needs_acceleration", "off_track", "insufficient_data"]
Verdict = Literal["achieved", "missed", "pending", "open", "not_assessable"]
PaceKind = Literal["cagr", "linear", "mean_growth"]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


NoteArg = str | int | float

#: the structured verdict notes (``TargetResult.verdict_note_parts``): code -> English template.
#: A template is ``str.format``-ed with the part's ``args``; the reports hold the Chinese and
#: English templates under ``verdict_note.<code>`` in :mod:`mic2025.i18n`.
VERDICT_NOTE_CODES: dict[str, str] = {
    "tolerance": "met within the 'about' tolerance of ±{tolerance:g}",
    "partial_year_headline": (
        "the headline figure for {target_year} is part-year ({period}); judged on the full-year "
        "figure {value:g} (scope {scope}, {source})"),
    "next_year": (
        "no full-year figure for {target_year}: judged on the {next_year} figure ({period}, "
        "{value:g}) (progress-method notes §9 rule 4)"),
    "pending_latest": (
        "the figure for {target_year} is not yet published; the assessment uses the latest "
        "figure ({latest_period})"),
    "geometric_mean": "geometric mean growth {first}–{last}: {mean:.2f}% a year",
    "growth_years_known": "{known} of {years} years of {first}–{last} known; the verdict needs "
                          "them all",
    "due": "the figure for {target_year} is due by {due_date}",
    "data_gap": ("not assessable — the figure for {target_year}, due by {due_date}, is not in the "
                 "store"),
    "on_lower_bound": (
        "decided on a lower bound: {series} {year} = {value:g}, which bounds this metric from "
        "below"),
    "on_upper_bound": (
        "decided on an upper bound: {series} {year} = {value:g}, which bounds this metric from "
        "above"),
}

#: the structured projection notes (``Projection.note_parts``): code -> English template; the
#: reports hold both languages under ``projection_note.<code>``.
PROJECTION_NOTE_CODES: dict[str, str] = {
    "too_few_points": "{n} point(s): a trend needs at least {min_points}",
    "no_interval": (
        "only {n} points: the line is extrapolated, but an interval and a probability need at "
        "least {min_points}"),
    "clipped": "the trend leads to {raw:.4g}, outside the metric's range; clipped to {value:.4g}",
    "growth_too_few": "{n} growth figure(s): a projection needs at least {min_points}",
    "growth_no_interval": (
        "only {n} growth figures: a point projection only; an interval and a probability need "
        "at least {min_points}"),
}


#: why a figure is an :class:`Alternative` and not in the headline series
#: (``Alternative.reason_parts``): code -> English template; the reports hold both languages
#: under ``alternative_reason.<code>``. The headline selection is described in
#: :mod:`mic2025.evaluate.measures`.
ALTERNATIVE_REASON_CODES: dict[str, str] = {
    # ranked out by the headline selection
    "proxy": "proxy figure: never used in the headline series",
    "scope_not_accepted": (
        "scope {scope} is not one the plan accepts for this metric ({accepted})"),
    "plan_baseline": (
        "plan baseline: an observation of the preferred scope is shown; the plan's figure stays "
        "the base of the comparison"),
    "base_year": "base year: the index is {value} by definition",
    "other_scope": "other scope: {scope}",
    "other_scope_none": "other scope: (none)",
    "full_year": "superseded by full-year figure",
    "later_period": "superseded by a later period ({period})",
    "other_route": "other route ({derivation}); differs from the headline by {diff:+.4g}",
    "derived": "derived figure; a published figure exists",
    "later_vintage": "superseded by a later vintage",
    "same_figure": "same figure from another release ({source})",
    "conflicting_source": "conflicting source: {value} against {headline} from {source}",
    "conflicting_source_newer": (
        "conflicting source: {value} against {headline} from {source} (the later release is "
        "used)"),
    # no comparable value could be made
    "no_comparable_value": "no comparable value",
    "refers_not_before": "refers to {needs}, which is not before {year}",
    "chain_missing": "cannot be chained: needs the value for {needs}, which is not available",
    "change_not_level": "a change figure ({unit}) cannot become a level without a base",
    "unit_not_convertible": "unit {unit} cannot be converted to {to}",
    "no_base_for_points": (
        "no base level for {base_year}: a figure in {unit} cannot become a change in points "
        "against {base_year}"),
    "points_not_relative": (
        "a change in percentage points ({unit}) cannot express a relative change"),
    "partial_year_yoy": (
        "a year-on-year change for part of a year ({period}) cannot be chained onto the annual "
        "index"),
    "level_needs_base": "a level ({unit}) needs the {base_year} level to become an index; none "
                        "is known",
    "unit_not_base_unit": "unit {unit} cannot be converted to the base level's unit {to}",
    "base_level_zero": "the {base_year} level is 0: no index can be formed",
    "level_not_growth": (
        "a level in {unit} is not a yearly growth rate (a growth rate is recorded in %yoy)"),
    "fixed_change_not_growth": "a change against a fixed year ({unit}) is not a yearly growth "
                               "rate",
    "growth_prev_missing": (
        "growth from levels needs the {prev_year} level, which is not available"),
    "growth_part_year": "growth from a part-year level is not comparable with a yearly rate",
    "growth_prev_not_positive": "the {prev_year} level is not positive: no growth rate",
}

_BOOTSTRAP = ("; residual bootstrap B={n_boot}, seed {seed}, {level:.0%} percentile prediction "
              "interval")

#: the projection models (``Projection.model_code`` with ``model_args``): code -> English
#: template, whose text is ``Projection.model``; the reports hold both languages under
#: ``projection_model.<code>``. See :mod:`mic2025.evaluate.projection`.
PROJECTION_MODEL_CODES: dict[str, str] = {
    "linear_trend": (
        "time-weighted linear trend (WLS, weights 1 + (year − first)/(last − first))"
        + _BOOTSTRAP),
    "mean_growth": (
        "time-weighted mean growth for the period's missing years (weights "
        "1 + (year − first)/(last − first)), geometric mean over the period" + _BOOTSTRAP),
}

class NotePart(Out):
    """One part of a note as a machine code and its arguments, so a report can translate it.

    ``code`` is a key of :data:`VERDICT_NOTE_CODES` (on a target's verdict), of
    :data:`PROJECTION_NOTE_CODES` (on a projection), of :data:`ALTERNATIVE_REASON_CODES`
    (on an alternative) or, as a :class:`Derivation`, of :data:`DERIVATION_CODES` (on a series
    point); ``args`` fill the code's template.
    """

    code: str
    args: dict[str, NoteArg] = {}


def note_text(parts: Sequence[NotePart], templates: dict[str, str]) -> str | None:
    """The English text of ``parts`` (joined with "; "), as the engine writes it into the
    ``verdict_note`` / ``note`` text fields; ``None`` for no parts."""
    return "; ".join(templates[p.code].format(**p.args) for p in parts) or None


#: how a figure of a comparable series was computed (``SeriesPoint.derivation_part``): code ->
#: English template, whose text is ``SeriesPoint.derivation``. A chained figure (an index from
#: the previous year's index) nests the derivation of the figure it builds on in ``of``; the
#: template names that figure by its short form (:data:`DERIVATION_SHORT_CODES`) as ``{of}``.
#: Units in the arguments are unit codes (:mod:`mic2025.units`); ``document`` is the plan's
#: document number; the reports hold both languages under ``derivation.<code>``. See
#: :mod:`mic2025.evaluate.measures`.
DERIVATION_CODES: dict[str, str] = {
    "plan_baseline": "baseline stated in the plan ({document})",
    "plan_baseline_undocumented": "baseline stated in the plan",
    "unit_conversion": "{value} {unit} → {converted} {to}",
    "level_plus_points": "level {year} ({level}) {op} {change:g} pp [{unit}]",
    "points_base": "base year {base_year}: no change by definition",
    "index_base": "base year {base_year} = 100",
    "index_direct": "100 × (1 {op} {change:g}%) [{unit}]",
    "index_levels": "100 × {level} / {base_level} [levels in {level_unit}; {base_year} from "
                    "{where}]",
    "index_chained": "index {year} ({index}, {of}) × (1 {op} {change:g}%) [{unit}]",
    "growth_levels": "100 × ({current} / {previous} − 1) [levels {previous_year} and {year}]",
}

#: the short form of each derivation, as a chained derivation names the figure it builds on:
#: code -> English template; the reports hold both languages under ``derivation_short.<code>``.
DERIVATION_SHORT_CODES: dict[str, str] = {
    "plan_baseline": "plan baseline",
    "plan_baseline_undocumented": "plan baseline",
    "unit_conversion": "{unit}",
    "level_plus_points": "{unit}",
    "points_base": "base year",
    "index_base": "base year",
    "index_direct": "{unit}",
    "index_levels": "levels in {level_unit}",
    "index_chained": "{unit}",
    "growth_levels": "levels {previous_year} and {year}",
}


class Derivation(NotePart):
    """How a figure was computed: a code of :data:`DERIVATION_CODES` and its ``args``.

    ``of`` is the derivation of the figure this one is chained on (the previous year's index
    for an index chained on a one-year change), so a chain is there in full.
    """

    of: Derivation | None = None


def derivation_text(d: Derivation, templates: Mapping[str, str] = DERIVATION_CODES,
                    short: Mapping[str, str] = DERIVATION_SHORT_CODES,
                    args: Callable[[Derivation], Mapping[str, object]] | None = None) -> str:
    """The text of ``d``: its template filled with its arguments, ``{of}`` with the short form
    of the figure it builds on (empty without one).

    By default the engine's English (``SeriesPoint.derivation``); the reports pass their
    templates and ``args``, which gives the arguments as they are to be written (units in
    words). Raises ``KeyError`` for a code the templates do not hold.
    """
    values = dict(args(d) if args is not None else d.args)
    values["of"] = derivation_text(d.of, short, short, args) if d.of is not None else ""
    return templates[d.code].format(**values)


class SeriesPoint(Out):
    """One observation as used in a comparison, traced back to what was published.

    ``derivation`` is English text, kept for compatibility; ``derivation_part`` says the same
    as a code with arguments (:data:`DERIVATION_CODES`), which the reports translate (``None``
    for a figure used as published, and in results written before the codes).
    """

    year: int
    period: str
    value: float
    raw_value: float
    raw_unit: str
    scope: str
    source: str
    source_date: date | None = None
    #: the figure's publication and the copy read (None in results written before it)
    citation: Citation | None = None
    flags: list[str] = []
    vintage: int | None = None
    derivation: str | None = None
    derivation_part: Derivation | None = None
    lower: float | None = None
    upper: float | None = None
    quote: str | None = None
    note: str | None = None



class Alternative(SeriesPoint):
    """A figure for the same metric and year left out of the headline series, and why.

    ``comparable`` is False when the figure could not be put in the comparable measure (a
    change unit for a level target, a missing chaining link): ``value`` is then the figure
    as published (= ``raw_value``) and must not be drawn on the measure's axis.

    ``reason`` is English text, kept for compatibility; ``reason_parts`` says the same as
    codes with arguments (:data:`ALTERNATIVE_REASON_CODES`), which the reports translate.
    """

    reason: str
    reason_parts: list[NotePart] = []
    comparable: bool = True


class Projection(Out):
    """Where the series is heading at the target year, with an interval and a probability.

    ``model`` names the model and its settings, in English; ``model_code`` and ``model_args``
    say the same as a code of :data:`PROJECTION_MODEL_CODES` and its template's arguments
    (empty in results written before the codes), which the reports translate.
    ``probability`` is the estimated probability that the value at ``year`` meets the target
    (within its tolerance), or ``None`` when the data cannot support an estimate (``note``
    says why).

    ``note`` is English text, kept for compatibility; ``note_parts`` says the same as codes
    with arguments (:data:`PROJECTION_NOTE_CODES`), which the reports translate.
    """

    model: str
    model_code: str = ""
    model_args: dict[str, NoteArg] = {}
    year: int
    value: float | None
    lower: float | None
    upper: float | None
    level: float
    probability: float | None
    n_points: int
    note: str | None = None
    note_parts: list[NotePart] = []


class Assessment(Out):
    """A published progress method's judgement of one target.

    ``ratio`` is the method's own figure (statcan / unsd2022: the growth ratio;
    unsd2023: the expected-progress ratio; escap: the anticipated gap G). ``progress`` is
    the linear share of the way from base to target covered. ``projected`` is the value the
    method expects at the target year at the observed pace.

    Paces are in percent a year for ``pace_kind`` ``cagr`` and ``mean_growth`` and in the
    measure's unit a year for ``linear``. ``score`` is the method's own scale: statcan −5…5
    (Open SDG score curve), unsd2023 3/2/1, escap the Current Status Index (−1…1), unsd2022
    none. ``notes`` are machine codes, listed in :data:`mic2025.evaluate.methods.NOTE_CODES`.
    """

    method: str
    category: str
    status: Status
    ratio: float | None = None
    progress: float | None = None
    observed_pace: float | None = None
    required_pace: float | None = None
    pace_kind: PaceKind | None = None
    projected: float | None = None
    score: float | None = None
    base_year: int | None = None
    base_value: float | None = None
    latest_year: int | None = None
    latest_value: float | None = None
    target_year: int
    target_value: float
    notes: list[str] = []
    reference: str = ""


class SegmentLink(Out):
    """A declared chain link crossed: figures before ``year`` were multiplied by ``factor``."""

    year: int
    factor: float


class BreakMark(Out):
    """A declared series break as results carry it, for charts and notes: from ``year`` on the
    figures are on another basis (``kind`` definition, coverage or method)."""

    year: int
    kind: str
    text: Text
    source: Text


class ComparableSegment(Out):
    """Which part of a series with declared breaks the pace, progress, projection and verdict
    read (see :mod:`mic2025.evaluate.breaks`).

    ``basis_from`` is the break that opens the target year's basis (``None``: the target year
    is before every break); ``read_from`` the first year read, earlier than ``basis_from`` when
    declared ``links`` carry older figures across (``None``: from the start); ``read_until`` the
    next break, whose figures are on another basis and not read (``None``: no later break).
    ``excluded_years`` lists the headline years left out; ``breaks`` every declared break.
    """

    basis_from: int | None = None
    read_from: int | None = None
    read_until: int | None = None
    links: list[SegmentLink] = []
    excluded_years: list[int] = []
    breaks: list[BreakMark] = []


class BoundUsed(Out):
    """The broader-scope figure a verdict rests on, and the plan's declared relation.

    ``side`` ``lower``: the metric is at least ``value``; ``upper``: at most. ``text`` and
    ``relation_source`` are the plan's statement of the relation and its source; ``source``
    is where the figure itself comes from.
    """

    series: str
    side: Literal["lower", "upper"]
    year: int
    period: str
    value: float
    unit: str
    source: str
    text: Text
    relation_source: Text


class TargetResult(Out):
    """Everything known about one target of one metric in one area.

    ``verdict_note`` is English text, kept for compatibility; ``verdict_note_parts`` says the
    same as codes with arguments (:data:`VERDICT_NOTE_CODES`), which the reports translate.

    ``due_date`` is when the figure for the target year is due (the metric's declared
    release; ``None`` without one). ``data_gap`` is true when the verdict is
    ``not_assessable`` because that date has passed without the figure reaching the store;
    ``missing_years`` then lists the years missing (the target year, or the years of an
    average-growth period without a full-year figure).
    ``segment`` says which part of the series was read when the metric declares breaks
    (``None`` when it declares none); ``bound`` is set when the verdict rests on a bound.
    """

    metric: str
    target_year: int
    kind: str
    target_text: Text
    target_value: float
    tolerance: float = 0.0
    measure: Measure
    measure_unit: str
    direction: Literal["increase", "decrease"]
    verdict: Verdict
    verdict_year: int | None = None
    verdict_value: float | None = None
    verdict_note: str | None = None
    verdict_note_parts: list[NotePart] = []
    assessment: Assessment
    projection: Projection | None = None
    series: list[SeriesPoint] = []
    alternatives: list[Alternative] = []
    due_date: date | None = None
    data_gap: bool = False
    missing_years: list[int] = []
    segment: ComparableSegment | None = None
    bound: BoundUsed | None = None


class MetricResult(Out):
    metric: str
    name: Text
    group: Literal["indicator", "project"]
    parent: str
    parent_name: Text
    unit: str
    direction: Literal["increase", "decrease"]
    targets: list[TargetResult]


class Evaluation(Out):
    """One evaluation run: a plan, an area, a method, a date and what the store knew then."""

    plan: str
    plan_version: str
    plan_title: Text
    area: str
    area_name: Text
    method: str
    evaluated_on: date
    as_of: datetime | None
    generated_at: datetime
    software: str
    results: list[MetricResult]


class AssessOutput(Assessment):
    """What ``mic2025 assess --format json`` prints: the assessment and its projection."""

    projection: Projection | None = None
