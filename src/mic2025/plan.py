"""The plan as data: models of a plan file, and loading with errors that name file, line and field.

A plan file (YAML, ``schema_version: 1``) holds a development plan's goal areas, indicators
with their footnote definitions, baselines and targets, engineering projects with their
quantitative targets and milestones, strategic tasks, key sectors and supporting measures.
``plans/mic2025.yaml`` is the State Council's *Made in China 2025* (国发〔2015〕28号).

A regional plan says ``extends: mic2025`` (a bundled plan id, or a path relative to its own
file) and restates only what it changes; lists of objects are merged by ``id`` (targets by
``year``), mappings key by key, and everything else is replaced.

Nothing in the code knows an indicator, a target or a year: they all come from here.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import PlanError

SCHEMA_VERSION = 1
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocatedError(ValueError):
    """A model-level problem that knows which field inside the model it concerns.

    Validators that check across fields (a duplicate target year, a task naming an unknown
    project) raise this so that :func:`load_plan` can name the field path and its line
    rather than the whole model. ``problems`` holds (path relative to the model, message).
    """

    def __init__(self, problems: list[tuple[tuple[Any, ...], str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(msg for _, msg in problems))


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
        if self.kind in ("change_pp", "relative_change") and self.base_year is None:
            raise ValueError(f"a {self.kind} target needs base_year")
        if self.kind == "average_growth":
            if self.period is None:
                raise ValueError("an average_growth target needs period: [first_year, last_year]")
            first, last = self.period
            if first > last:
                raise ValueError(f"period {list(self.period)} runs backwards")
            if last != self.year:
                raise ValueError(f"period ends {last} but the target year is {self.year}")
        elif self.period is not None:
            raise ValueError(f"period is only for average_growth targets, not {self.kind}")
        if self.base_year is not None and self.base_year >= self.year:
            raise ValueError(f"base_year {self.base_year} is not before target year {self.year}")
        if self.kind == "relative_change" and self.value <= -100:
            raise ValueError(f"a relative change of {self.value}% would make the value vanish")
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
    :mod:`mic2025.units`).
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

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"id {v!r} must be lower_snake_case ascii")
        return v

    @model_validator(mode="after")
    def _targets(self) -> Metric:
        years = [t.year for t in self.targets]
        dupes: list[tuple[tuple[Any, ...], str]] = [
            (("targets", i, "year"), f"two targets for the same year in {self.id}: {sorted(years)}")
            for i, y in enumerate(years)
            if y in years[:i]
        ]
        if dupes:
            raise LocatedError(dupes)
        return self

    @property
    def sign(self) -> int:
        return 1 if self.direction == "increase" else -1

    def target(self, year: int) -> Target | None:
        return next((t for t in self.targets if t.year == year), None)


class Indicator(Metric):
    """One of the plan's main indicators (the seed's table 2020年和2025年制造业主要指标)."""

    goal_area: str
    definition: Definition


class Milestone(Model):
    """A qualitative commitment with a date, tracked by evidence rather than a number."""

    id: str
    year: int
    text: Text


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
    area: str = "000000"
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
        problems: list[tuple[tuple[Any, ...], str]] = []
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
        seen: set[str] = set()
        for loc, m in located:
            if m.id in seen:
                problems.append(((*loc, "id"), f"metric id {m.id!r} is used twice"))
            seen.add(m.id)
        for i, ind in enumerate(self.indicators):
            if ind.goal_area not in areas:
                problems.append(
                    (
                        ("indicators", i, "goal_area"),
                        f"indicator {ind.id!r} names goal area {ind.goal_area!r}, "
                        f"which is not one of {sorted(areas)}",
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
                        )
                    )
            for j, ind_id in enumerate(task.indicators):
                if ind_id not in indicators:
                    problems.append(
                        (
                            ("tasks", t, "indicators", j),
                            f"task {task.id!r} names unknown indicator {ind_id!r}",
                        )
                    )
        problems.extend(self._adjustment_problems())
        if problems:
            raise LocatedError(problems)
        return self

    def _adjustment_problems(self) -> list[tuple[tuple[Any, ...], str]]:
        """Each adjustment names a known target, and the latest one per target is its value."""
        problems: list[tuple[tuple[Any, ...], str]] = []
        metrics = {m.id: m for m in self.metrics()}
        ids: set[str] = set()
        latest: dict[tuple[str, int], tuple[int, Adjustment]] = {}
        for i, adj in enumerate(self.adjustments):
            if adj.id in ids:
                problems.append((("adjustments", i, "id"),
                                 f"adjustment id {adj.id!r} is used twice"))
            ids.add(adj.id)
            metric = metrics.get(adj.metric)
            if metric is None:
                problems.append((("adjustments", i, "metric"),
                                 f"adjustment {adj.id!r} names unknown metric {adj.metric!r}"))
            elif metric.target(adj.target_year) is None:
                problems.append((("adjustments", i, "target_year"),
                                 f"metric {adj.metric!r} has no target for {adj.target_year}"))
            else:
                latest[(adj.metric, adj.target_year)] = (i, adj)
        for (metric_id, year), (i, adj) in latest.items():
            target = metrics[metric_id].target(year)
            assert target is not None
            if abs(target.value - adj.new_value) > 1e-9 * max(1.0, abs(adj.new_value)):
                problems.append((("adjustments", i, "new_value"),
                                 f"adjustment {adj.id!r} records {adj.new_value:g} but the "
                                 f"{year} target of {metric_id!r} is {target.value:g}"))
        return problems

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
    """Load and validate a plan file; ``None`` loads the bundled *Made in China 2025*."""
    p = bundled_plan_path() if path is None else Path(path)
    data, lines = _read_yaml(p)
    data = _resolve_extends(p, data, lines, chain=[p.resolve()])
    try:
        return Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(f"{p}: the plan does not validate", _problems(p, exc, lines)) from None


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[Any, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanError(f"{path}: plan file not found") from None
    except UnicodeDecodeError as exc:
        raise PlanError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise PlanError(
            f"{path}: {where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(data, dict):
        raise PlanError(f"{path}: line 1: a plan file must be a mapping of fields")
    lines: dict[tuple[Any, ...], int] = {}
    _index_lines(node, (), lines)
    return data, lines


def _index_lines(
    node: yaml.Node | None, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]
) -> None:
    if node is None:
        return
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = (
                yaml.safe_load(yaml.serialize(key))
                if not isinstance(key, yaml.ScalarNode)
                else key.value
            )
            # integer keys (baseline years) come back as ints from the loaded data
            kk: Any = int(k) if isinstance(k, str) and k.isdigit() else k
            out[(*path, kk)] = key.start_mark.line + 1
            _index_lines(value, (*path, kk), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _index_lines(child, (*path, i), out)


def _problems(path: Path, exc: ValidationError, lines: Mapping[tuple[Any, ...], int]) -> list[str]:
    out = []
    for err in exc.errors():
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, LocatedError):
            for rel, msg in cause.problems:
                out.append(_problem(path, (*err["loc"], *rel), msg, lines))
        else:
            out.append(_problem(path, tuple(err["loc"]), err["msg"], lines))
    return out


def _problem(
    path: Path, loc: tuple[Any, ...], msg: str, lines: Mapping[tuple[Any, ...], int]
) -> str:
    line = None
    probe = loc
    while probe and line is None:
        line = lines.get(probe)
        probe = probe[:-1]
    field = ".".join(str(x) for x in loc) or "(top level)"
    where = f"line {line}" if line else "line ?"
    return f"{path}:{where}: {field}: {msg}"


def _resolve_extends(
    path: Path, data: dict[str, Any], lines: Mapping[tuple[Any, ...], int], chain: list[Path]
) -> dict[str, Any]:
    parent_ref = data.get("extends")
    if not parent_ref:
        return data
    if not isinstance(parent_ref, str):
        raise PlanError(
            f"{path}:line {lines.get(('extends',), '?')}: extends must be a plan id or a path"
        )
    candidate = path.parent / parent_ref
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        parent_path = candidate
    else:
        parent_path = bundled_plan_path(parent_ref)
    if parent_path.resolve() in chain:
        raise PlanError(
            f"{path}:line {lines.get(('extends',), '?')}: extends: "
            f"forms a cycle through {parent_path}"
        )
    parent, parent_lines = _read_yaml(parent_path)
    parent = _resolve_extends(parent_path, parent, parent_lines, [*chain, parent_path.resolve()])
    merged = merge(parent, data)
    merged["extends"] = parent_ref
    return merged


def merge(base: Any, override: Any) -> Any:
    """Merge a regional plan over its parent.

    Mappings merge key by key; lists of mappings merge by ``id`` (or by ``year`` for
    targets), appending new entries; anything else in the override replaces the base.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        out = copy.deepcopy(base)
        for k, v in override.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    if isinstance(base, list) and isinstance(override, list):
        for key in ("id", "year"):
            if all(isinstance(x, dict) and key in x for x in base + override) and base:
                out_list = [copy.deepcopy(x) for x in base]
                index = {x[key]: i for i, x in enumerate(out_list)}
                for item in override:
                    if item[key] in index:
                        i = index[item[key]]
                        out_list[i] = merge(out_list[i], item)
                    else:
                        out_list.append(copy.deepcopy(item))
                return out_list
    return copy.deepcopy(override)
