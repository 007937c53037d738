"""The plan as data: models of a plan file, and loading with errors that name file, line and field.

A plan file (YAML, ``schema_version: 1``) holds a development plan's goal areas, indicators
with their footnote definitions, baselines and targets, engineering projects with their
quantitative targets and milestones, strategic tasks, key sectors and supporting measures.
``plans/mic2025.yaml`` is the State Council's *Made in China 2025* (国发〔2015〕28号).

A regional plan says ``extends: mic2025`` (a bundled plan id, or a path relative to its own
file) and restates only what it changes; lists of objects are merged by ``id`` (targets by
``year``), mappings key by key, and everything else is replaced. An entry that gives only its
``id`` (a target only its ``year``) and ``remove: true`` drops the inherited entry. Every value
of the merged plan keeps the file and line it came from, so that a problem is reported where
the value was written.

Nothing in the code knows an indicator, a target or a year: they all come from here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import yamldoc
from .errors import PlanError
from .reference import NATIONAL

SCHEMA_VERSION = 1
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Hint:
    """What a located problem depends on besides its own field, for naming where it comes from.

    ``involves`` lists other field paths (relative to the same model) whose values make the
    problem: in a merged plan they may come from another file than the field itself, and the
    report names both. ``refers`` says what an unknown reference names — ``("indicator", id)``,
    ``("metric", id)``, ``("project", id)``, ``("goal_area", id)`` or ``("target", metric id,
    year)`` — so that a reference left dangling by ``remove: true`` names the removal.
    """

    involves: tuple[tuple[Any, ...], ...] = ()
    refers: tuple[Any, ...] | None = None


class LocatedError(ValueError):
    """A model-level problem that knows which field inside the model it concerns.

    Validators that check across fields (a duplicate target year, a task naming an unknown
    project) raise this so that :func:`load_plan` can name the field path and its line
    rather than the whole model. ``problems`` holds (path relative to the model, message,
    :class:`Hint`); a (path, message) pair is taken with an empty hint.
    """

    def __init__(
        self,
        problems: Sequence[tuple[tuple[Any, ...], str] | tuple[tuple[Any, ...], str, Hint]],
    ) -> None:
        self.problems: list[tuple[tuple[Any, ...], str, Hint]] = []
        for path, msg, *hint in problems:
            self.problems.append((path, msg, hint[0] if hint else Hint()))
        super().__init__("; ".join(msg for _, msg, _ in self.problems))


class Text(Model):
    """A text in Chinese and English. Chinese is the authoritative wording."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Approx(Model):
    """A target stated as "about" (左右): the seed gives no width, so the plan file states one.

    ``tolerance`` is in the target's own unit (``relative: false``) or a fraction of the
    target value (``relative: true``). A value within the tolerance counts as meeting the
    target.
    """

    tolerance: float = Field(ge=0)
    relative: bool = False
    note: Text | None = None

    def width(self, target_value: float) -> float:
        return abs(target_value) * self.tolerance if self.relative else self.tolerance


TargetKind = Literal["level", "change_pp", "relative_change", "average_growth"]


class Target(Model):
    """One quantitative target of an indicator or a project metric.

    Kinds (the seed's table uses all four):

    * ``level`` — reach ``value`` (in the metric's unit) by ``year``;
    * ``change_pp`` — move by ``value`` percentage points against ``base_year``
      (增加值率 "比2015年提高2个百分点" is ``value: 2``);
    * ``relative_change`` — change by ``value`` percent against ``base_year``, cumulatively
      ("比2015年下降18%" is ``value: -18``);
    * ``average_growth`` — grow ``value`` percent a year on average over ``period``
      (劳动生产率 "十三五期间年均增速7.5%左右" is ``value: 7.5, period: [2016, 2020]``).

    ``approx`` marks "about" (左右) with its stated tolerance.
    """

    year: int = Field(ge=1949, le=2100)
    kind: TargetKind
    value: float
    base_year: int | None = None
    period: tuple[int, int] | None = None
    approx: Approx | None = None
    text: Text

    @model_validator(mode="after")
    def _kind_fields(self) -> Target:
        def refuse(msg: str, *fields: str) -> LocatedError:
            return LocatedError([((), msg, Hint(involves=tuple((f,) for f in fields)))])

        if self.kind in ("change_pp", "relative_change") and self.base_year is None:
            raise refuse(f"a {self.kind} target needs base_year", "kind")
        if self.kind == "average_growth":
            if self.period is None:
                raise refuse("an average_growth target needs period: [first_year, last_year]",
                             "kind")
            first, last = self.period
            if first > last:
                raise refuse(f"period {list(self.period)} runs backwards", "period")
            if last != self.year:
                raise refuse(f"period ends {last} but the target year is {self.year}",
                             "period", "year")
        elif self.period is not None:
            raise refuse(f"period is only for average_growth targets, not {self.kind}",
                         "period", "kind")
        if self.base_year is not None and self.base_year >= self.year:
            raise refuse(f"base_year {self.base_year} is not before target year {self.year}",
                         "base_year", "year")
        if self.kind == "relative_change" and self.value <= -100:
            raise refuse(f"a relative change of {self.value}% would make the value vanish",
                         "value", "kind")
        return self


DefinitionKind = Literal[
    "ratio_of_sums",  # Σ numerator / Σ denominator over the population
    "mean_of_rates",  # average of unit-level rates (关键工序数控化率)
    "share_of_units",  # units with a property / all units (数字化研发设计工具普及率)
    "composite_index",  # a published composite (质量竞争力指数)
    "growth_rate",  # a year-on-year growth rate of a level (劳动生产率增速)
    "intensity_change",  # change of a ratio against a base year (能耗、水耗、CO2 强度)
    "count",  # a count of things (创新中心、绿色工厂)
    "reported_average",  # an average reported for a cohort (试点示范项目运营成本降低)
]


class Definition(Model):
    """How a metric is defined: the seed's footnote, its population and its parts."""

    kind: DefinitionKind
    text: Text
    population: Text | None = None
    numerator: Text | None = None
    denominator: Text | None = None
    footnote: int | None = None
    sample: Text | None = None
    formula: str | None = None
    #: item non-response in ``formula`` (see mic2025.microdata.items): complete cases
    #: (a unit missing any of the formula's fields is left out of all of it) or available
    #: cases (each aggregate skips its own missing values)
    missing: Literal["complete_cases", "available_cases"] = "complete_cases"


class Due(Model):
    """When a year's figure is due: ``years_after`` the year, on ``month``/``day``.

    ``{years_after: 1, month: 9, day: 30}`` is "30 September of the following year". The day
    must exist in every year (28 February, never 29), so that a due date is defined for any
    reference year.
    """

    years_after: int = Field(ge=0, le=10)
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)

    @model_validator(mode="after")
    def _real_day(self) -> Due:
        try:
            date(2001, self.month, self.day)  # 2001: not a leap year
        except ValueError:
            raise LocatedError([(("day",), f"month {self.month} has no day {self.day} in "
                                           "every year (write 28 for the end of February)")]
                               ) from None
        return self

    def date_for(self, year: int) -> date:
        """The due date of the figure for ``year``."""
        return date(year + self.years_after, self.month, self.day)


class Release(Model):
    """Who publishes a metric's yearly figure, in which publication, and when it is due.

    The evaluation reads it to tell "pending" (the figure for a target year is not due yet)
    from a data gap (it is due and not in the store). ``frequency: irregular`` marks a
    metric with no regular release; ``due`` is then the plan's own reasonable expectation,
    and ``note`` must say how it was chosen.
    """

    publisher: Text
    publication: Text
    frequency: Literal["yearly", "irregular"] = "yearly"
    due: Due
    note: Text | None = None

    @model_validator(mode="after")
    def _irregular_note(self) -> Release:
        if self.frequency == "irregular" and self.note is None:
            raise LocatedError([(("note",), "an irregular release needs a note saying why its "
                                            "due date is what it is",
                                 Hint(involves=(("frequency",),)))])
        return self

    def due_date(self, year: int) -> date:
        return self.due.date_for(year)
BreakKind = Literal["definition", "coverage", "method"]


class BreakLink(Model):
    """A declared chain link across a series break: values before the break, multiplied by
    ``factor``, are on the basis the series has from the break on (an overlap year published on
    both bases gives it). Only a declared link lets pace, progress and projections read across
    a break."""

    factor: float = Field(gt=0)


class SeriesBreak(Model):
    """A break in a metric's series: from ``year`` on, figures are not comparable with earlier
    ones (``definition``: what is counted changed, e.g. 主营业务收入 → 营业收入; ``coverage``:
    the population or survey frame changed; ``method``: the way it is computed changed).

    Pace, progress and projections read only the figures on the same side of the latest break
    as the target year, unless ``link`` says how to carry earlier figures across (see
    :mod:`mic2025.evaluate.breaks`); charts mark the break with ``text``.
    """

    year: int = Field(ge=1949, le=2100)
    kind: BreakKind
    text: Text
    source: Text
    link: BreakLink | None = None


class Bound(Model):
    """A broader-scope context series that bounds the metric from one ``side``, with the source
    of that relation: e.g. R&D intensity of all industry above designated size is a lower bound
    of manufacturing's, because manufacturing's ratio is higher than mining's and utilities'.

    A bound decides a verdict only when the headline series cannot and the bound settles it
    (a lower bound already meeting an increase target: achieved), and the verdict says it rests
    on a bound (see :mod:`mic2025.evaluate.breaks`).
    """

    series: str
    side: Literal["lower", "upper"]
    text: Text
    source: Text


class Metric(Model):
    """Anything with a unit, a direction, a baseline and targets: an indicator or a project metric.

    ``baseline`` holds the values the plan itself states (year → value). ``scopes`` lists
    the scope labels of evidence accepted for the headline series, in order of preference:
    when several are published for the same period the first listed wins; a figure of a scope
    not listed (a sub-population, another category) is kept and shown as an alternative but
    never judged. An empty list accepts every scope.
    ``value_range`` bounds
    what a value can be in the canonical ``unit`` (a rate is 0–100); imports reject values
    outside it. ``units`` lists other units its evidence may arrive in (see
    :mod:`mic2025.units`). ``release`` says who publishes the yearly figure and when it is due
    (:class:`Release`); a regional plan restates it to override the parent's.
    """

    id: str
    name: Text
    unit: str
    direction: Literal["increase", "decrease"]
    baseline: dict[int, float] = Field(default_factory=dict)
    targets: tuple[Target, ...] = ()
    scopes: tuple[str, ...] = ()
    value_range: tuple[float | None, float | None] = (None, None)
    units: tuple[str, ...] = ()
    definition: Definition | None = None
    note: Text | None = None
    release: Release | None = None
    breaks: tuple[SeriesBreak, ...] = ()
    bounds: tuple[Bound, ...] = ()

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be lower_snake_case ascii")
        return v

    def due_date(self, year: int) -> date | None:
        """When the figure for ``year`` is due (``None``: the plan declares no release)."""
        return None if self.release is None else self.release.due_date(year)

    @model_validator(mode="after")
    def _targets(self) -> Metric:
        years = [t.year for t in self.targets]
        dupes: list[tuple[tuple[Any, ...], str, Hint]] = [
            (("targets", i, "year"), f"two targets for the same year in {self.id}: {sorted(years)}",
             Hint(involves=(("targets", years.index(y), "year"),)))
            for i, y in enumerate(years)
            if y in years[:i]
        ]
        dupes.extend(self._break_problems())
        if dupes:
            raise LocatedError(dupes)
        return self

    def _break_problems(self) -> list[tuple[tuple[Any, ...], str, Hint]]:
        out: list[tuple[tuple[Any, ...], str, Hint]] = []
        years = [b.year for b in self.breaks]
        for i, y in enumerate(years):
            if y in years[:i]:
                out.append((("breaks", i, "year"), f"two breaks in the same year in {self.id}",
                            Hint(involves=(("breaks", years.index(y), "year"),))))
        # a link rescales values; a target stated against a base or as a growth rate would
        # need its own restatement, so links are for level targets only
        other = [t for t in self.targets if t.kind != "level"]
        for i, b in enumerate(self.breaks):
            if b.link is not None and other:
                out.append((("breaks", i, "link"),
                            f"a chain link rescales levels, but {self.id} has a {other[0].kind} "
                            f"target ({other[0].year}): declare the break without a link",
                            Hint()))
        sides = [(b.series, b.side) for b in self.bounds]
        for i, key in enumerate(sides):
            if key in sides[:i]:
                out.append((("bounds", i, "series"),
                            f"{key[0]!r} is declared twice as a {key[1]} bound of {self.id}",
                            Hint()))
            if key[0] == self.id:
                out.append((("bounds", i, "series"), f"{self.id} cannot bound itself", Hint()))
        return out

    @property
    def sign(self) -> int:
        return 1 if self.direction == "increase" else -1

    def target(self, year: int) -> Target | None:
        return next((t for t in self.targets if t.year == year), None)


class Indicator(Metric):
    """One of the plan's main indicators (the seed's table 2020年和2025年制造业主要指标)."""

    goal_area: str
    definition: Definition


CommitmentKind = Literal["numeric_target", "dated_deliverable", "standing_mechanism",
                         "context_goal"]
SubjectKind = Literal["task", "project", "sector", "measure", "follow_up", "strategy"]
_JUDGED_BY = re.compile(r"^(metric:[a-z][a-z0-9_]*|evidence:[a-z][a-z0-9_]*|supervision|none)$")


class _Checkable(Model):
    """What every checkable commitment says besides its text: how it is judged and by whom.

    ``judged_by`` is ``metric:<id>`` (a metric's target of the due year, judged by the
    evaluation), ``evidence:<fact id>`` (a dated public fact in the bundled evidence facts,
    :mod:`mic2025.facts`), ``supervision`` (status updates only) or ``none``. ``owner`` is a
    body id of the owner directory (``plans/owners_<plan>.yaml``); ``owner_basis`` says whether
    the seed itself or a public implementation document names it. ``context`` lists context
    series (the bundled catalogue) shown beside a context goal; they are never scored.
    """

    kind: CommitmentKind = "dated_deliverable"
    owner: str | None = None
    owner_basis: Literal["seed", "document"] | None = None
    sector: str | None = None
    judged_by: str = "none"
    context: tuple[str, ...] = ()
    note: Text | None = None

    @model_validator(mode="after")
    def _judged(self) -> _Checkable:
        problems: list[tuple[tuple[Any, ...], str]] = []
        if not _JUDGED_BY.match(self.judged_by):
            problems.append((("judged_by",), f"judged_by {self.judged_by!r} must be "
                             "metric:<id>, evidence:<fact id>, supervision or none"))
        if self.kind == "context_goal" and self.judged_by != "none":
            problems.append((("judged_by",), "a context goal is never scored: judged_by must be "
                             f"none, not {self.judged_by!r}"))
        if (self.owner is None) != (self.owner_basis is None):
            problems.append((("owner_basis",), "owner and owner_basis go together: name the "
                             "body and whether the seed or a public document names it"))
        if problems:
            raise LocatedError(problems)
        return self


class Milestone(_Checkable):
    """A project's dated commitment (专栏1–5), judged from evidence where the plan says how."""

    id: str
    year: int
    text: Text


class Commitment(_Checkable):
    """A checkable commitment of the seed that is not a metric's target: a task's dated
    deliverable, a standing mechanism of the supporting measures, a key sector's aim, a step
    of the three-step strategy (a context goal, never scored). ``subject`` names what it
    belongs to (``task:<id>``, ``sector:<id>``, ``measure:<id>``, ``follow_up:<id>``,
    ``project:<id>`` or ``strategy``); ``due`` is the year the seed gives, if any."""

    id: str
    subject: str
    text: Text
    due: int | None = Field(default=None, ge=2015, le=2100)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be lower_snake_case ascii")
        return v


@dataclass(frozen=True)
class CommitmentView:
    """One checkable commitment of a plan in one shape, whatever part of the plan holds it:
    a metric's target (kind ``numeric_target``), a project milestone or a ``commitments``
    entry (see :meth:`Plan.all_commitments`)."""

    id: str
    kind: str
    text: Text
    due: int | None
    subject: str
    subject_name: Text
    judged_by: str
    sector: str | None = None
    owner: str | None = None
    owner_basis: str | None = None
    context: tuple[str, ...] = ()
    note: Text | None = None


class Project(Model):
    """An engineering project (专栏): its quantitative metrics and qualitative milestones."""

    id: str
    box: int
    name: Text
    summary: Text | None = None
    metrics: tuple[Metric, ...] = ()
    milestones: tuple[Milestone, ...] = ()


class Item(Model):
    """A trackable item: a strategic task's line of action, a supporting measure."""

    id: str
    name: Text
    text: Text | None = None


class Task(Model):
    """One of the strategic tasks (战略任务和重点)."""

    id: str
    number: int
    name: Text
    items: tuple[Item, ...] = ()
    projects: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()


class Sector(Model):
    """A key sector (重点领域) and its sub-fields."""

    id: str
    number: int
    name: Text
    fields: tuple[Item, ...] = ()
    industries: tuple[str, ...] = ()


class GoalArea(Model):
    id: str
    name: Text


class Document(Model):
    number: str
    title: Text
    issuer: Text
    issued: date
    published: date | None = None
    source: str | None = None


class Adjustment(Model):
    """A decided change of one target (动态调整), recorded in the plan version that makes it.

    A plan that adjusts targets ``extends`` the plan it changes, restates the changed targets
    and lists one adjustment per changed target. Values are in the target's own terms (the
    ``value`` field of the target). ``evidence`` holds what the decision rested on (method,
    data as-of, projection, probability); see :mod:`mic2025.followup.adjust`.
    """

    id: str
    metric: str
    target_year: int
    old_value: float
    new_value: float
    reason: str
    decided_by: str
    decided_on: date
    evidence: dict[str, str | float | int | bool | None] = Field(default_factory=dict)


class Plan(Model):
    """A whole plan. ``area`` is the GB/T 2260 code it applies to (000000 = national).

    ``series`` are context series tracked beside the targets (proxies, sub-populations,
    published composite indices): evidence may be stored for them, but they are not judged.
    """

    schema_version: int
    id: str
    version: str
    title: Text
    area: str = NATIONAL
    extends: str | None = None
    example: bool = False
    document: Document | None = None
    base_year: int
    target_years: tuple[int, ...]
    goal_areas: tuple[GoalArea, ...]
    indicators: tuple[Indicator, ...]
    projects: tuple[Project, ...] = ()
    tasks: tuple[Task, ...] = ()
    sectors: tuple[Sector, ...] = ()
    measures: tuple[Item, ...] = ()
    series: tuple[Metric, ...] = ()
    follow_up: tuple[Item, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    note: Text | None = None

    @field_validator("schema_version")
    @classmethod
    def _schema(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {v} is not supported; this mic2025 reads {SCHEMA_VERSION}"
            )
        return v

    @model_validator(mode="after")
    def _cross_refs(self) -> Plan:
        problems: list[tuple[tuple[Any, ...], str, Hint]] = []
        areas = {g.id for g in self.goal_areas}
        located: list[tuple[tuple[Any, ...], Metric]] = [
            *((("indicators", i), m) for i, m in enumerate(self.indicators)),
            *(
                (("projects", p, "metrics", j), m)
                for p, proj in enumerate(self.projects)
                for j, m in enumerate(proj.metrics)
            ),
            *((("series", i), m) for i, m in enumerate(self.series)),
        ]
        seen: dict[str, tuple[Any, ...]] = {}
        for loc, m in located:
            if m.id in seen:
                problems.append(((*loc, "id"), f"metric id {m.id!r} is used twice",
                                 Hint(involves=((*seen[m.id], "id"),))))
            seen.setdefault(m.id, loc)
        for i, ind in enumerate(self.indicators):
            if ind.goal_area not in areas:
                problems.append(
                    (
                        ("indicators", i, "goal_area"),
                        f"indicator {ind.id!r} names goal area {ind.goal_area!r}, "
                        f"which is not one of {sorted(areas)}",
                        Hint(refers=("goal_area", ind.goal_area)),
                    )
                )
        projects = {p.id for p in self.projects}
        indicators = {i.id for i in self.indicators}
        for t, task in enumerate(self.tasks):
            for j, p in enumerate(task.projects):
                if p not in projects:
                    problems.append(
                        (
                            ("tasks", t, "projects", j),
                            f"task {task.id!r} names unknown project {p!r}",
                            Hint(refers=("project", p)),
                        )
                    )
            for j, ind_id in enumerate(task.indicators):
                if ind_id not in indicators:
                    problems.append(
                        (
                            ("tasks", t, "indicators", j),
                            f"task {task.id!r} names unknown indicator {ind_id!r}",
                            Hint(refers=("indicator", ind_id)),
                        )
                    )
        problems.extend(self._adjustment_problems())
        problems.extend(self._bound_problems(located))
        problems.extend(self._commitment_problems())
        if problems:
            raise LocatedError(problems)
        return self

    def _bound_problems(self, located: list[tuple[tuple[Any, ...], Metric]]
                        ) -> list[tuple[tuple[Any, ...], str, Hint]]:
        """A bound names a context series, never a judged metric: a bound is a broader scope,
        not another target. (Whether the series exists — the plan's ``series`` or the bundled
        catalogue — is checked above the plan: :func:`mic2025.catalogue.unknown_bounds`.)"""
        judged = {m.id for _, m in located}
        problems: list[tuple[tuple[Any, ...], str, Hint]] = []
        for loc, m in located:
            for i, b in enumerate(m.bounds):
                if b.series in judged:
                    problems.append(((*loc, "bounds", i, "series"),
                                     f"bound of {m.id!r} names {b.series!r}, a judged metric; "
                                     "a bound is a context series (the plan's series or the "
                                     "bundled catalogue)", Hint()))
        return problems

    def _adjustment_problems(self) -> list[tuple[tuple[Any, ...], str, Hint]]:
        """Each adjustment names a known target, and the latest one per target is its value."""
        problems: list[tuple[tuple[Any, ...], str, Hint]] = []
        metrics = {m.id: m for m in self.metrics()}
        where = {
            **{m.id: ("indicators", i) for i, m in enumerate(self.indicators)},
            **{m.id: ("projects", p, "metrics", j)
               for p, proj in enumerate(self.projects) for j, m in enumerate(proj.metrics)},
        }
        ids: set[str] = set()
        latest: dict[tuple[str, int], tuple[int, Adjustment]] = {}
        for i, adj in enumerate(self.adjustments):
            if adj.id in ids:
                problems.append((("adjustments", i, "id"),
                                 f"adjustment id {adj.id!r} is used twice", Hint()))
            ids.add(adj.id)
            metric = metrics.get(adj.metric)
            if metric is None:
                problems.append((("adjustments", i, "metric"),
                                 f"adjustment {adj.id!r} names unknown metric {adj.metric!r}",
                                 Hint(refers=("metric", adj.metric))))
            elif metric.target(adj.target_year) is None:
                problems.append((("adjustments", i, "target_year"),
                                 f"metric {adj.metric!r} has no target for {adj.target_year}",
                                 Hint(refers=("target", adj.metric, adj.target_year))))
            else:
                latest[(adj.metric, adj.target_year)] = (i, adj)
        for (metric_id, year), (i, adj) in latest.items():
            target = metrics[metric_id].target(year)
            assert target is not None
            if abs(target.value - adj.new_value) > 1e-9 * max(1.0, abs(adj.new_value)):
                t = metrics[metric_id].targets.index(target)
                problems.append((("adjustments", i, "new_value"),
                                 f"adjustment {adj.id!r} records {adj.new_value:g} but the "
                                 f"{year} target of {metric_id!r} is {target.value:g}",
                                 Hint(involves=((*where[metric_id], "targets", t, "value"),))))
        return problems

    def _subjects(self) -> dict[str, Text]:
        names: dict[str, Text] = {"strategy": Text(zh="“三步走”战略目标",
                                                   en="The three-step strategy")}
        for kind, entries in (("task", self.tasks), ("project", self.projects),
                              ("sector", self.sectors), ("measure", self.measures),
                              ("follow_up", self.follow_up)):
            for e in entries:
                names[f"{kind}:{e.id}"] = e.name
        return names

    def _commitment_problems(self) -> list[tuple[tuple[Any, ...], str, Hint]]:
        """A commitment names a known subject, sector and metric target, and its id is unique
        among all commitments (targets' derived ids included)."""
        problems: list[tuple[tuple[Any, ...], str, Hint]] = []
        subjects = self._subjects()
        sectors = {s.id for s in self.sectors}
        metrics = {m.id: m for m in self.metrics()}
        seen = {f"{m.id}_{t.year}" for m in self.metrics() for t in m.targets}
        checked: list[tuple[tuple[Any, ...], str, _Checkable, int | None]] = [
            *((("projects", p, "milestones", j), ms.id, ms, ms.year)
              for p, proj in enumerate(self.projects) for j, ms in enumerate(proj.milestones)),
            *((("commitments", i), c.id, c, c.due) for i, c in enumerate(self.commitments)),
        ]
        for loc, cid, c, due in checked:
            if cid in seen:
                problems.append(((*loc, "id"), f"commitment id {cid!r} is used twice (a "
                                 "metric's target is the commitment <metric>_<year>)", Hint()))
            seen.add(cid)
            if isinstance(c, Commitment) and c.subject not in subjects:
                problems.append(((*loc, "subject"), f"commitment {cid!r} names unknown subject "
                                 f"{c.subject!r} (task:<id>, project:<id>, sector:<id>, "
                                 "measure:<id>, follow_up:<id> or strategy)", Hint()))
            if c.sector is not None and c.sector not in sectors:
                problems.append(((*loc, "sector"), f"commitment {cid!r} names unknown sector "
                                 f"{c.sector!r}", Hint()))
            if c.judged_by.startswith("metric:"):
                mid = c.judged_by.split(":", 1)[1]
                metric = metrics.get(mid)
                if metric is None:
                    problems.append(((*loc, "judged_by"), f"commitment {cid!r} is judged by "
                                     f"unknown metric {mid!r}", Hint(refers=("metric", mid))))
                elif due is None or metric.target(due) is None:
                    problems.append(((*loc, "judged_by"), f"commitment {cid!r} is judged by "
                                     f"metric {mid!r}, which has no target for {due}",
                                     Hint(refers=("target", mid, due))))
        return problems

    def all_commitments(self) -> list[CommitmentView]:
        """Every checkable commitment of the plan: each metric's targets (indicators, then
        projects), each project's milestones, then the ``commitments`` list."""
        out: list[CommitmentView] = []
        subjects = self._subjects()
        for m in self.indicators:
            for t in m.targets:
                out.append(CommitmentView(
                    f"{m.id}_{t.year}", "numeric_target", Text(zh=f"{m.name.zh}:{t.text.zh}",
                                                               en=f"{m.name.en}: {t.text.en}"),
                    t.year, "indicators", Text(zh="2020年和2025年制造业主要指标",
                                               en="Main manufacturing indicators for 2020 "
                                                  "and 2025"),
                    f"metric:{m.id}"))
        for p in self.projects:
            for pm in p.metrics:
                for t in pm.targets:
                    out.append(CommitmentView(
                        f"{pm.id}_{t.year}", "numeric_target", t.text, t.year,
                        f"project:{p.id}", p.name, f"metric:{pm.id}"))
            for ms in p.milestones:
                out.append(CommitmentView(ms.id, ms.kind, ms.text, ms.year, f"project:{p.id}",
                                          p.name, ms.judged_by, ms.sector, ms.owner,
                                          ms.owner_basis, ms.context, ms.note))
        for c in self.commitments:
            out.append(CommitmentView(c.id, c.kind, c.text, c.due, c.subject,
                                      subjects.get(c.subject, Text(zh=c.subject, en=c.subject)),
                                      c.judged_by, c.sector, c.owner, c.owner_basis, c.context,
                                      c.note))
        return out

    def metrics(self) -> Iterator[Metric]:
        """Every metric with targets: the indicators first, then each project's metrics."""
        yield from self.indicators
        for p in self.projects:
            yield from p.metrics

    def metric(self, metric_id: str) -> Metric:
        """A metric or context series by id."""
        for m in (*self.metrics(), *self.series):
            if m.id == metric_id:
                return m
        raise KeyError(metric_id)

    def project_of(self, metric_id: str) -> Project | None:
        for p in self.projects:
            if any(m.id == metric_id for m in p.metrics):
                return p
        return None


# --------------------------------------------------------------------------- loading


def bundled_plan_path(plan_id: str = "mic2025") -> Path:
    """Path of a plan shipped with the package (``plans/<id>.yaml``)."""
    root = resources.files("mic2025") / "plans"
    path = Path(str(root / f"{plan_id}.yaml"))
    if not path.exists():
        raise PlanError(f"no bundled plan {plan_id!r} (looked for {path})")
    return path


def load_plan(path: str | Path | None = None) -> Plan:
    """Load and validate a plan file; ``None`` loads the bundled *Made in China 2025*.

    A plan that ``extends`` another is merged over it first (see :func:`merge`). Every problem
    names the file and line its value comes from — the parent's for an inherited value, the
    child's for one it restates — and a problem that arises from the combination names the
    most derived file's line and the other file's too.
    """
    p = bundled_plan_path() if path is None else Path(path)
    resolved = _resolve(p, [p.resolve()])
    problems = list(resolved.problems)
    plan: Plan | None = None
    try:
        plan = Plan.model_validate(resolved.data)
    except ValidationError as exc:
        problems += _problems(exc, resolved)
    if problems or plan is None:
        raise PlanError(f"{p}: the plan does not validate", problems)
    return plan


# ------------------------------------------------------------------ where each value comes from


class Origin(NamedTuple):
    """Where a value of a (merged) plan was written: the file, its line, its field path there."""

    file: Path
    line: int
    path: tuple[Any, ...]


class _Src:
    """The origins of one node of the plan data (most derived file first) and of its children.

    A scalar has the origin of the file whose value won; a mapping or list that two files both
    state has both origins; a merge key (an ``id``, a target ``year``) keeps the parent's
    origin first, since the child only restates it to say which entry it changes.

    The children of a node read from a file are worked out when first asked for: a plan that
    validates (the usual case, on every command) only asks for those a merge or a problem
    needs, instead of walking its thousands of nodes.
    """

    __slots__ = ("_kids", "_later", "origins")

    def __init__(self, origins: tuple[Origin, ...] = (), kids: dict[Any, _Src] | None = None,
                 *, later: Callable[[], dict[Any, _Src]] | None = None) -> None:
        self.origins = origins
        self._kids = kids if kids is not None or later is not None else {}
        self._later = later

    @property
    def kids(self) -> dict[Any, _Src]:
        if self._kids is None:
            assert self._later is not None
            self._kids, self._later = self._later(), None
        return self._kids

    def kid(self, key: Any) -> _Src:
        return self.kids.get(key, _NOWHERE)


_NOWHERE = _Src()


@dataclass(frozen=True)
class _Removal:
    """An inherited entry dropped by ``remove: true``.

    ``scope`` names it by ids rather than list positions (``("indicators", "rd_intensity")``,
    ``("indicators", "rd_intensity", "targets", 2025)``); ``via`` is the removed entry that
    took this one with it (a project removes its metrics).
    """

    scope: tuple[Any, ...]
    origin: Origin
    what: str
    via: str | None = None


@dataclass
class _Resolved:
    data: dict[str, Any]
    src: _Src
    chain: list[Path]  # the file first, then its parent, its parent's parent...
    removals: list[_Removal] = dc_field(default_factory=list)
    problems: list[str] = dc_field(default_factory=list)


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in path) or "(top level)"


def _read_yaml(path: Path) -> tuple[dict[str, Any], _Src]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}: plan file not found") from None
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        node, data = yamldoc.parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise PlanError(
            f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(data, dict) or node is None:
        raise PlanError(f"{path}: line 1: a plan file must be a mapping of fields")
    return data, _src_of(node, path, ())


def _src_of(node: yaml.Node, file: Path, path: tuple[Any, ...]) -> _Src:
    """Origins of a composed YAML node: a mapping entry is at its key's line."""
    return _Src((Origin(file, node.start_mark.line + 1, path),),
                later=lambda: _kids_of(node, file, path))


def _kids_of(node: yaml.Node, file: Path, path: tuple[Any, ...]) -> dict[Any, _Src]:
    kids: dict[Any, _Src] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = (
                yaml.safe_load(yaml.serialize(key))
                if not isinstance(key, yaml.ScalarNode)
                else key.value
            )
            # integer keys (baseline years) come back as ints from the loaded data
            kk: Any = int(k) if isinstance(k, str) and k.isdigit() else k
            kids[kk] = _entry_src(key, value, file, (*path, kk))
    elif isinstance(node, yaml.SequenceNode):
        kids = {i: _src_of(child, file, (*path, i)) for i, child in enumerate(node.value)}
    return kids


def _entry_src(key: yaml.Node, value: yaml.Node, file: Path, path: tuple[Any, ...]) -> _Src:
    """A mapping entry: at its key's line, with its value's children."""
    return _Src((Origin(file, key.start_mark.line + 1, path),),
                later=lambda: _kids_of(value, file, path))


# --------------------------------------------------------------------------- reporting


def _problems(exc: ValidationError, resolved: _Resolved) -> list[str]:
    out = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, LocatedError):
            for rel, msg, hint in cause.problems:
                rebased = Hint(tuple((*loc, *p) for p in hint.involves), hint.refers)
                out.append(_report((*loc, *rel), msg, rebased, resolved))
        else:
            out.append(_report(loc, err["msg"], Hint(), resolved))
    return out


def _find(src: _Src, loc: tuple[Any, ...]) -> list[tuple[Origin, tuple[Any, ...]]]:
    """Origins of the deepest node of ``loc`` that exists, each with the rest of ``loc``."""
    node, depth = src, 0
    while depth < len(loc):
        nxt = node.kids.get(loc[depth])
        if nxt is None or not nxt.origins:
            break
        node, depth = nxt, depth + 1
    return [(o, loc[depth:]) for o in node.origins]


def _report(loc: tuple[Any, ...], msg: str, hint: Hint, resolved: _Resolved) -> str:
    """``<file>:line N: field: message`` at the file the problem comes from.

    The candidates are the field itself and what the hint says the problem involves (other
    fields, the removal that left a reference dangling). The most derived file among them
    is named first — at the field's own line there if the field is written in that file —
    and the other files follow as "see also".
    """
    rank = {f: i for i, f in enumerate(resolved.chain)}
    own = _find(resolved.src, loc)
    cands = own[:1] + [o for p in hint.involves for o in _find(resolved.src, p)[:1]]
    removal = _removal_of(hint.refers, resolved.removals) if hint.refers else None
    if removal is not None:
        cands.append((removal.origin, ()))
    if not cands:
        return f"{resolved.chain[0]}:line ?: {_dotted(loc)}: {msg}"
    top = min(rank.get(o.file, len(rank)) for o, _ in cands)
    primary = next(
        (c for c in own if rank.get(c[0].file, len(rank)) == top),
        next(c for c in cands if rank.get(c[0].file, len(rank)) == top),
    )
    mentioned = {primary[0].file}
    if removal is not None:
        removed = f"{removal.via} (and with it {removal.what})" if removal.via else removal.what
        if primary[0] == removal.origin and own:
            ref = own[0]
            msg = (f"removing {removed} leaves a dangling reference at {ref[0].file}:line "
                   f"{ref[0].line}: {_dotted(ref[0].path + ref[1])}: {msg}")
            mentioned.add(ref[0].file)
        else:
            msg += (f"; {removal.origin.file}:line {removal.origin.line} removes {removed}")
            mentioned.add(removal.origin.file)
    also = []
    for o, rest in sorted(own + cands, key=lambda c: rank.get(c[0].file, len(rank))):
        if o.file not in mentioned:
            mentioned.add(o.file)
            also.append(f"{o.file}:line {o.line}: {_dotted(o.path + rest)}")
    (o, rest) = primary
    text = f"{o.file}:line {o.line}: {_dotted(o.path + rest)}: {msg}"
    return text + (f" (see also {'; '.join(also)})" if also else "")


def _removal_of(refers: tuple[Any, ...], removals: list[_Removal]) -> _Removal | None:
    """The latest removal of what an unknown reference names, if it was removed."""

    def is_metric(scope: tuple[Any, ...], metric_id: Any) -> bool:
        return scope in (("indicators", metric_id), ("series", metric_id)) or (
            len(scope) == 4 and scope[0] == "projects" and scope[2:] == ("metrics", metric_id)
        )

    kind, *args = refers
    tops = {"indicator": "indicators", "project": "projects", "goal_area": "goal_areas"}
    for r in reversed(removals):
        if kind in tops and r.scope == (tops[kind], args[0]):
            return r
        if kind == "metric" and is_metric(r.scope, args[0]):
            return r
        if (kind == "target" and r.scope[-2:] == ("targets", args[1])
                and is_metric(r.scope[:-2], args[0])):
            return r
    return None


# --------------------------------------------------------------------------- extends


def _resolve(path: Path, chain: list[Path]) -> _Resolved:
    """Read a plan file and, if it ``extends`` another, merge it over its resolved parent."""
    data, src = _read_yaml(path)
    parent_ref = data.get("extends")
    if not parent_ref:
        ctx = _Merge(child=path, parent=None)
        data, src = _no_removals(data, src, (), ctx, "this plan extends no other plan")
        return _Resolved(data, src, [path], problems=ctx.problems)
    where = src.kid("extends").origins
    line = where[0].line if where else "?"
    if not isinstance(parent_ref, str):
        raise PlanError(f"{path}:line {line}: extends must be a plan id or a path")
    candidate = path.parent / parent_ref
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        parent_path = candidate
    else:
        try:
            parent_path = bundled_plan_path(parent_ref)
        except PlanError:
            raise PlanError(
                f"{path}:line {line}: extends: {parent_ref!r} is neither a file next to this "
                f"plan ({candidate} does not exist) nor a bundled plan id"
            ) from None
    if parent_path.resolve() in chain:
        raise PlanError(f"{path}:line {line}: extends: forms a cycle through {parent_path}")
    parent = _resolve(parent_path, [*chain, parent_path.resolve()])
    ctx = _Merge(child=path, parent=parent_path, removals=list(parent.removals),
                 problems=list(parent.problems))
    merged, msrc = _merge(parent.data, parent.src, data, src, (), (), ctx)
    merged["extends"] = parent_ref
    return _Resolved(merged, msrc, [path, *parent.chain], ctx.removals, ctx.problems)


def merge(base: Any, override: Any) -> Any:
    """Merge a regional plan over its parent.

    Mappings merge key by key; lists of mappings merge by ``id`` (or by ``year`` for
    targets), appending new entries; an entry that says only its ``id`` (or ``year``) and
    ``remove: true`` drops the inherited entry; anything else in the override replaces the
    base. Raises :class:`PlanError` when a removal does not name an inherited entry.
    """
    ctx = _Merge(child=Path("<override>"), parent=Path("<base>"))
    out, _ = _merge(base, _NOWHERE, override, _NOWHERE, (), (), ctx)
    if ctx.problems:
        raise PlanError("the override does not merge over its base", ctx.problems)
    return out


_KINDS = {
    "indicators": "indicator", "targets": "target", "projects": "project",
    "metrics": "metric", "milestones": "milestone", "tasks": "task", "items": "item",
    "sectors": "sector", "fields": "field", "goal_areas": "goal area", "measures": "measure",
    "series": "series", "follow_up": "follow-up item", "adjustments": "adjustment",
    "breaks": "series break", "commitments": "commitment",
}


def _kind(scope: tuple[Any, ...]) -> str:
    return _KINDS.get(scope[-1], "entry") if scope and isinstance(scope[-1], str) else "entry"


def _owner(scope: tuple[Any, ...]) -> str:
    """``indicator 'x'`` for the scope of a list inside an entry, ``''`` at the top level."""
    if len(scope) >= 3 and isinstance(scope[-3], str):
        return f"{_kind(scope[:-2])} {scope[-2]!r}"
    return ""


def _what(scope: tuple[Any, ...]) -> str:
    """``target 2025 of indicator 'x'`` for the scope of an entry."""
    owner = _owner(scope[:-1])
    return f"{_kind(scope[:-1])} {scope[-1]!r}" + (f" of {owner}" if owner else "")


@dataclass
class _Merge:
    """What one merge of a file over its parent collects: removals and problems."""

    child: Path
    parent: Path | None
    removals: list[_Removal] = dc_field(default_factory=list)
    problems: list[str] = dc_field(default_factory=list)

    def problem(self, src: _Src, path: tuple[Any, ...], msg: str) -> None:
        line = src.origins[0].line if src.origins else "?"
        self.problems.append(f"{self.child}:line {line}: {_dotted(path)}: {msg}")


def _hashable(v: Any) -> bool:
    return isinstance(v, str | int | float | bool)


def _all_have(items: list[Any], key: str) -> bool:
    return all(isinstance(x, dict) and _hashable(x.get(key)) for x in items)


def _keyed_by(items: list[Any]) -> str | None:
    """``id`` or ``year`` if every item is a mapping holding it (a list merged by key)."""
    return next((k for k in ("id", "year") if items and _all_have(items, k)), None)


def _merge(
    base: Any, bsrc: _Src, over: Any, osrc: _Src,
    scope: tuple[Any, ...], opath: tuple[Any, ...], ctx: _Merge,
) -> tuple[Any, _Src]:
    """Merge ``over`` (at ``opath`` of the child file) over ``base``, with their origins.

    ``scope`` names the place by ids rather than list positions, for recording removals.
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = {k: copy.deepcopy(v) for k, v in base.items()}
        kids = {k: bsrc.kid(k) for k in base}
        for k, v in over.items():
            if k in base:
                out[k], kids[k] = _merge(base[k], bsrc.kid(k), v, osrc.kid(k),
                                         (*scope, k), (*opath, k), ctx)
            else:
                out[k], kids[k] = _no_removals(v, osrc.kid(k), (*opath, k), ctx,
                                               f"{ctx.parent} has no {_dotted((*opath, k))}")
        return out, _Src(osrc.origins + bsrc.origins, kids)
    if isinstance(base, list) and isinstance(over, list):
        removes = any(isinstance(x, dict) and "remove" in x for x in over)
        keys = [k for k in ("id", "year") if base and _all_have(base, k)]
        key = next((k for k in keys if _all_have(over, k)), keys[0] if keys and removes else None)
        if key:
            return _merge_list(base, bsrc, over, osrc, key, scope, opath, ctx)
        if removes:
            return _no_removals(over, osrc, opath, ctx,
                                f"{_dotted(opath)} of {ctx.parent} is not a list of entries "
                                "with an id (or a year): restate it in full without the entry")
    return _no_removals(over, osrc, opath, ctx, f"{ctx.parent} has no list at {_dotted(opath)}")


def _merge_list(
    base: list[Any], bsrc: _Src, over: list[Any], osrc: _Src, key: str,
    scope: tuple[Any, ...], opath: tuple[Any, ...], ctx: _Merge,
) -> tuple[list[Any], _Src]:
    out: list[tuple[Any, _Src] | None] = [(copy.deepcopy(x), bsrc.kid(i))
                                          for i, x in enumerate(base)]
    index: dict[Any, int] = {x[key]: i for i, x in enumerate(base)}
    removed: dict[Any, Origin] = {}
    kind = _kind(scope)
    for j, item in enumerate(over):
        isrc, ipath = osrc.kid(j), (*opath, j)
        if not (isinstance(item, dict) and _hashable(item.get(key))):
            ctx.problem(isrc, ipath, f"each entry of {_dotted(opath)} names the inherited "
                                     f"{kind} it changes or removes by its {key}")
            continue
        kv = item[key]
        if kv in removed:
            ctx.problem(isrc.kid(key), (*ipath, key),
                        f"{kind} {kv!r} is removed at line {removed[kv].line} and listed again "
                        "here: keep one of the two")
            continue
        if "remove" in item:
            _remove(item, isrc, ipath, key, kv, scope, index, out, len(base), removed, ctx)
            continue
        i = index.get(kv)
        entry = out[i] if i is not None else None
        if i is not None and entry is not None:
            merged, msrc = _merge(entry[0], entry[1], item, isrc, (*scope, kv), ipath, ctx)
            msrc.kids[key] = _Src(entry[1].kid(key).origins + isrc.kid(key).origins,
                                  isrc.kid(key).kids)
            out[i] = (merged, msrc)
        else:
            index[kv] = len(out)
            out.append(_no_removals(item, isrc, ipath, ctx,
                                    f"{kind} {kv!r} is new in this plan, so nothing in it is "
                                    "inherited"))
    kept = [e for e in out if e is not None]
    return ([e[0] for e in kept],
            _Src(osrc.origins + bsrc.origins, {i: e[1] for i, e in enumerate(kept)}))


def _remove(
    item: dict[str, Any], isrc: _Src, ipath: tuple[Any, ...], key: str, kv: Any,
    scope: tuple[Any, ...], index: dict[Any, int], out: list[tuple[Any, _Src] | None],
    inherited: int, removed: dict[Any, Origin], ctx: _Merge,
) -> None:
    """Drop the inherited entry ``kv`` for ``- <key>: <kv>`` + ``remove: true``."""
    kind = _kind(scope)
    flag, others = item["remove"], [str(k) for k in item if k not in (key, "remove")]
    if flag is not True:
        ctx.problem(isrc.kid("remove"), (*ipath, "remove"),
                    f"remove: {flag!r}: write `remove: true` to drop the inherited {kind} "
                    f"{kv!r}, or leave remove out to change it")
        return
    if others:
        ctx.problem(isrc.kid("remove"), (*ipath, "remove"),
                    f"remove: true drops the inherited {kind} {kv!r} and takes no other "
                    f"fields, but this entry also sets {', '.join(others)}: drop them, or "
                    "drop remove to change the entry instead")
        return
    i = index.get(kv)
    entry = out[i] if i is not None else None
    if i is not None and i >= inherited:
        ctx.problem(isrc.kid(key), (*ipath, key),
                    f"cannot remove {kind} {kv!r}: it is not inherited but added above in "
                    "this list: leave it out instead")
        return
    if i is None or entry is None:
        owner = _owner(scope)
        msg = (f"cannot remove {kind} {kv!r}: {owner + ' in ' if owner else ''}{ctx.parent} "
               f"has no {kind} with {key} {kv!r}")
        earlier = [r for r in ctx.removals if r.scope == (*scope, kv)]
        if earlier:
            msg += f" ({earlier[-1].origin.file}:line {earlier[-1].origin.line} removes it)"
        else:
            have = [str(k) for k, n in index.items() if out[n] is not None]
            msg += f" (it has: {', '.join(have[:20])}{', ...' if len(have) > 20 else ''})"
        ctx.problem(isrc.kid(key), (*ipath, key), msg)
        return
    origin = isrc.origins[0] if isrc.origins else Origin(ctx.child, 0, ipath)
    what = _what((*scope, kv))
    ctx.removals.append(_Removal((*scope, kv), origin, what))
    nested = _entries(entry[0], (*scope, kv))
    ctx.removals.extend(_Removal(sub, origin, _what(sub), what) for sub in nested)
    out[i] = None
    removed[kv] = origin


def _entries(data: Any, scope: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """The scope of every keyed entry nested in ``data`` (a project's metrics, their targets)."""
    if not isinstance(data, dict):
        return
    for k, v in data.items():
        key = _keyed_by(v) if isinstance(v, list) else None
        if key:
            for x in v:
                sub = (*scope, k, x[key])
                yield sub
                yield from _entries(x, sub)


def _removes(value: Any) -> bool:
    """Whether an entry of ``value`` (at any depth) says ``remove``."""
    if isinstance(value, dict):
        return any(_removes(v) for v in value.values())
    if isinstance(value, list):
        return any((isinstance(x, dict) and "remove" in x) or _removes(x) for x in value)
    return False


def _no_removals(
    value: Any, src: _Src, path: tuple[Any, ...], ctx: _Merge, why: str
) -> tuple[Any, _Src]:
    """Refuse every ``remove`` in ``value``, which inherits nothing, saying ``why``.

    Returns a copy of ``value`` without the refused entries (and their origins), so that the
    problem is reported once rather than again as an unknown field; ``value`` itself when it
    has none (the usual case: the plan was just read, nobody else holds it).
    """
    if not path and not _removes(value):
        return value, src
    if isinstance(value, dict):
        pairs = {k: _no_removals(v, src.kid(k), (*path, k), ctx, why) for k, v in value.items()}
        return ({k: v for k, (v, _) in pairs.items()},
                _Src(src.origins, {k: s for k, (_, s) in pairs.items()}))
    if isinstance(value, list):
        items: list[tuple[Any, _Src]] = []
        for j, item in enumerate(value):
            if isinstance(item, dict) and "remove" in item:
                where = src.kid(j).kid("remove")
                if not (_hashable(item.get("id")) or _hashable(item.get("year"))):
                    ctx.problem(where, (*path, j, "remove"),
                                "remove: true needs the id (for a target, the year) of the "
                                "inherited entry it drops")
                else:
                    ctx.problem(where, (*path, j, "remove"),
                                f"remove: true drops an inherited entry, but {why}")
            else:
                items.append(_no_removals(item, src.kid(j), (*path, j), ctx, why))
        return [v for v, _ in items], _Src(src.origins, {i: s for i, (_, s) in enumerate(items)})
    return copy.deepcopy(value), src
