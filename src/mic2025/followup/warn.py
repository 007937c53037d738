"""Early warning (预警): rules as data, evaluated over the store, with their owners.

Rules live in a YAML file (the bundled one is ``plans/warnings.yaml``), validated with pydantic;
a mistake is reported with the file, line and field. Five kinds:

``behind_pace``
    a metric's headline figure is behind its planned path (straight line, or a constant
    rate, from the base to the target, :mod:`mic2025.evaluate.trajectory`) in each of the last
    ``periods`` observed years; for an average-growth target, a yearly growth below the
    target rate. Only targets whose outcome is not final (verdict open or pending) are read.
``low_probability``
    the engine's projection gives a target whose outcome is not final (verdict open or
    pending, or a data gap) a probability of being met (``Projection.probability``) below
    ``threshold`` (default 0.3). :func:`early_warnings` runs these rules alone on an
    evaluation, for the overview.
``province_divergence``
    a province's latest value (``measure: level``) or latest growth on the year before
    (``measure: growth``) lies away from the others: its z-score among the provinces beyond
    ``z_threshold``, or its gap to the national figure beyond ``gap_threshold`` (in the unit,
    or percentage points of growth). ``lagging_only`` keeps only the side that is worse for
    the metric's direction.
``below_threshold``
    a context series by sector (capacity utilisation by GB/T 4754 industry, the seed's
    overcapacity monitoring) whose latest value is below ``threshold``.
``falling``
    a series (quality-inspection pass rate) that fell against the previous figure in each of
    the last ``periods`` comparisons, by more than ``min_drop`` in total.

Every warning carries the rule's owner (the body that must act) and a ``key`` that stays the
same while the condition lasts, so that "new since the last import" is a set difference.

:func:`evaluate_rules` runs the rules over the store; :func:`after_import` is the hook the
importer calls after a successful import (prints the new warnings, sends them by e-mail when
``MIC2025_SMTP_URL`` is set); :func:`notify` sends through any SMTP server.

Each warning is e-mailed to its owner only. The owner directory (:class:`OwnerDirectory`,
bundled as ``plans/owners_mic2025.yaml`` with placeholder addresses, replaced by the file
that ``MIC2025_OWNERS_FILE`` names) maps owner ids to names and addresses;
:meth:`OwnerDirectory.route` finds the owners of a warning from the owner named by its rule.
"""

from __future__ import annotations

import math
import os
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..evaluate.engine import evaluate
from ..evaluate.methods import DEFAULT_METHOD
from ..evaluate.model import Evaluation, TargetResult
from ..evaluate.trajectory import Shape, trajectory_value
from ..i18n import DEFAULT, pick, t
from ..observation import Observation
from ..plan import Plan, Text
from ..reference import NATIONAL
from . import mail
from .common import FollowupError, Model, load_yaml_model
from .mail import ENV_SMTP

ENV_OWNERS = "MIC2025_OWNERS_FILE"
Severity = Literal["notice", "warning", "serious"]


class _Rule(Model):
    id: str
    name: Text
    owner: Text
    severity: Severity = "warning"
    enabled: bool = True
    note: Text | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not v.replace("_", "").isalnum() or not v[:1].isalpha():
            raise ValueError(f"rule id {v!r} must be letters, digits and _")
        return v


class BehindPace(_Rule):
    kind: Literal["behind_pace"]
    periods: int = Field(default=2, ge=1)
    metrics: tuple[str, ...] = ()
    shape: Shape = "linear"
    owners: dict[str, Text] = Field(default_factory=dict)


class LowProbability(_Rule):
    kind: Literal["low_probability"]
    threshold: float = Field(default=0.3, gt=0, lt=1)
    #: below this probability the warning is ``serious`` whatever ``severity`` says
    serious_below: float | None = Field(default=None, gt=0, lt=1)
    metrics: tuple[str, ...] = ()
    owners: dict[str, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _serious_line(self) -> LowProbability:
        if self.serious_below is not None and self.serious_below >= self.threshold:
            raise ValueError(f"serious_below ({self.serious_below:g}) must be below "
                             f"threshold ({self.threshold:g})")
        return self


class ProvinceDivergence(_Rule):
    kind: Literal["province_divergence"]
    metrics: tuple[str, ...] = Field(min_length=1)
    measure: Literal["level", "growth"] = "level"
    z_threshold: float | None = Field(default=2.0, gt=0)
    gap_threshold: float | None = Field(default=None, gt=0)
    lagging_only: bool = True
    min_provinces: int = Field(default=5, ge=3)


class BelowThreshold(_Rule):
    kind: Literal["below_threshold"]
    series: str
    threshold: float
    #: below this value the warning is ``serious`` whatever ``severity`` says
    serious_below: float | None = None
    sectors: tuple[str, ...] = ()
    include_total: bool = True

    @model_validator(mode="after")
    def _serious_line(self) -> BelowThreshold:
        if self.serious_below is not None and self.serious_below >= self.threshold:
            raise ValueError(f"serious_below ({self.serious_below:g}) must be below "
                             f"threshold ({self.threshold:g})")
        return self


class Falling(_Rule):
    kind: Literal["falling"]
    series: str
    periods: int = Field(default=1, ge=1)
    min_drop: float = Field(default=0.0, ge=0)
    area: str | None = None


Rule = Annotated[BehindPace | LowProbability | ProvinceDivergence | BelowThreshold | Falling,
                 Field(discriminator="kind")]


class RuleSet(Model):
    schema_version: Literal[1]
    rules: tuple[Rule, ...]

    @field_validator("rules")
    @classmethod
    def _unique(cls, v: tuple[Any, ...]) -> tuple[Any, ...]:
        ids = [r.id for r in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"rule ids used twice: {', '.join(dupes)}")
        return v


class EarlyWarning(BaseModel):
    """One warning: which rule, about what, where, when, the figures, and who must act."""

    model_config = ConfigDict(extra="forbid")

    key: str
    rule: str
    kind: str
    severity: Severity
    subject: str
    subject_name: Text
    area: str
    sector: str = ""
    period: str
    owner: Text
    message: Text
    figures: dict[str, float | str | None] = {}
    synthetic: bool = False


# --------------------------------------------------------------------------- owner directory

_ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _addresses(v: tuple[str, ...]) -> tuple[str, ...]:
    bad = [a for a in v if not _ADDRESS.match(a)]
    if bad:
        raise ValueError(f"not an e-mail address: {', '.join(map(repr, bad))}")
    return v


class Owner(Model):
    """A body that must act on warnings: its names, and where its warnings are sent."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    name: Text
    aliases: tuple[str, ...] = ()
    area: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    to: tuple[str, ...] = Field(min_length=1)
    cc: tuple[str, ...] = ()

    _to = field_validator("to", "cc")(_addresses)

    def names(self) -> set[str]:
        return {self.name.zh, self.name.en, *self.aliases}


class OwnerDirectory(Model):
    """Owner id → display names and addresses (``plans/owners_mic2025.yaml``).

    A warning's owners are found from the owner text its rule names (:meth:`route`): the
    entries whose name or alias equals that text, or one of its parts between ``、``
    (``工业和信息化部、国家发展改革委`` is two owners); for a warning about a province, also the
    entry of that ``area``; a warning that no entry claims goes to ``fallback``.
    """

    schema_version: Literal[1]
    placeholder: bool = False
    note: Text | None = None
    fallback: str | None = None
    copy_to: tuple[str, ...] = Field(default=(), alias="copy")
    owners: tuple[Owner, ...] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    _copy = field_validator("copy_to")(_addresses)

    @field_validator("owners")
    @classmethod
    def _unique(cls, v: tuple[Owner, ...]) -> tuple[Owner, ...]:
        ids = [o.id for o in v]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"owner ids used twice: {', '.join(dupes)}")
        seen: dict[str, str] = {}
        for o in v:
            for n in o.names():
                if seen.setdefault(n, o.id) != o.id:
                    raise ValueError(f"the name {n!r} belongs to both {seen[n]} and {o.id}")
        areas = [o.area for o in v if o.area]
        twice = sorted({a for a in areas if areas.count(a) > 1})
        if twice:
            raise ValueError(f"areas given to two owners: {', '.join(twice)}")
        return v

    def model_post_init(self, context: Any) -> None:
        if self.fallback is not None and self.fallback not in {o.id for o in self.owners}:
            raise FollowupError(f"owner directory: fallback {self.fallback!r} is not an owner")

    def owner(self, owner_id: str) -> Owner:
        for o in self.owners:
            if o.id == owner_id:
                return o
        raise FollowupError(f"no owner {owner_id!r} in the owner directory")

    def _by_name(self) -> dict[str, Owner]:
        return {n: o for o in self.owners for n in o.names()}

    def claims(self, w: EarlyWarning) -> list[Owner]:
        """The entries that claim ``w`` (without the fallback), in directory order."""
        names = self._by_name()
        found: list[Owner] = []
        for text in (w.owner.zh, w.owner.en):
            if text.strip() in names:
                found.append(names[text.strip()])
        if not found:
            for part in re.split(r"[、，,；;]", w.owner.zh):
                if part.strip() in names:
                    found.append(names[part.strip()])
        if w.area and w.area != NATIONAL:
            found += [o for o in self.owners if o.area == w.area]
        order = {o.id: i for i, o in enumerate(self.owners)}
        return sorted({o.id: o for o in found}.values(), key=lambda o: order[o.id])

    def route(self, warnings: Iterable[EarlyWarning]) -> list[tuple[Owner, list[EarlyWarning]]]:
        """Each owner with the warnings it receives (a warning may go to several owners)."""
        out: dict[str, list[EarlyWarning]] = {}
        for w in warnings:
            owners = self.claims(w)
            if not owners and self.fallback:
                owners = [self.owner(self.fallback)]
            for o in owners:
                out.setdefault(o.id, []).append(w)
        return [(o, out[o.id]) for o in self.owners if o.id in out]

    def unclaimed(self, rules: RuleSet) -> list[str]:
        """Rule owners (and per-metric owners) that no entry claims: each a readable line."""
        names = self._by_name()
        texts: list[Text] = []
        for r in rules.rules:
            if r.kind == "province_divergence":
                continue  # goes to the province's entry
            texts.append(r.owner)
            texts += list(getattr(r, "owners", {}).values())
        out = []
        for text in texts:
            parts = [text.zh, text.en, *re.split(r"[、，,；;]", text.zh)]
            if not any(p.strip() in names for p in parts):
                out.append(f"no owner entry for {text.zh} / {text.en}")
        return sorted(set(out))


def bundled_owners_path(plan_id: str = "mic2025") -> Path:
    return Path(str(resources.files("mic2025") / "plans" / f"owners_{plan_id}.yaml"))


def owners_path(path: str | Path | None = None, plan_id: str = "mic2025") -> Path:
    """Which owner directory is read: ``path``, ``$MIC2025_OWNERS_FILE``, or the bundled one."""
    chosen = path or os.environ.get(ENV_OWNERS, "").strip()
    if chosen:
        return Path(chosen)
    own = bundled_owners_path(plan_id)
    return own if own.is_file() else bundled_owners_path()  # a plan without its own file


def load_owners(path: str | Path | None = None, plan_id: str = "mic2025") -> OwnerDirectory:
    """The owner directory: ``path``, else ``$MIC2025_OWNERS_FILE``, else the bundled file."""
    return load_yaml_model(owners_path(path, plan_id), OwnerDirectory, "owner directory")


def bundled_rules_path() -> Path:
    return Path(str(resources.files("mic2025") / "plans" / "warnings.yaml"))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and validate a rule file (default: the bundled ``plans/warnings.yaml``)."""
    return load_yaml_model(Path(path) if path else bundled_rules_path(), RuleSet, "warning rules")


def check_rules(rules: RuleSet, plan: Plan) -> list[str]:
    """Names a rule uses that the plan does not know (each a readable problem)."""
    from ..catalogue import known_series

    known = set(known_series(plan)) | {m.id for m in plan.metrics()}
    out = []
    for r in rules.rules:
        names = list(getattr(r, "metrics", ())) + ([r.series] if hasattr(r, "series") else [])
        out += [f"rule {r.id!r} reads {n!r}, which neither the plan nor the series catalogue "
                "defines: it raises nothing until such figures are imported"
                for n in names if n not in known]
    return out


# --------------------------------------------------------------------------- evaluation


def evaluate_rules(plan: Plan, store: Any, rules: RuleSet | None = None, *,
                   as_of: datetime | None = None, method: str = DEFAULT_METHOD,
                   evaluation: Evaluation | None = None,
                   observations: Sequence[Observation] | None = None) -> list[EarlyWarning]:
    """Every warning the rules raise on what the store knew at ``as_of`` (default: now)."""
    rs = rules or load_rules()
    obs = list(observations) if observations is not None else store.observations(as_of=as_of)
    out: list[EarlyWarning] = []
    ev = None
    for rule in rs.rules:
        if not rule.enabled:
            continue
        if isinstance(rule, BehindPace | LowProbability):
            if ev is None:
                ev = evaluation or evaluate(plan, obs, area=plan.area, method=method,
                                            as_of=as_of)
            out += (behind_pace(rule, plan, ev) if isinstance(rule, BehindPace)
                    else low_probability(rule, ev))
        elif isinstance(rule, ProvinceDivergence):
            out += province_divergence(rule, plan, obs)
        elif isinstance(rule, BelowThreshold):
            out += below_threshold(rule, plan, obs)
        else:
            out += falling(rule, plan, obs)
    return out


def touched_rules(rules: RuleSet, plan: Plan, written: Iterable[tuple[str, str]]
                  ) -> tuple[RuleSet, frozenset[str], bool]:
    """What a vintage that wrote rows of ``written`` ((indicator, area) pairs) can change: the
    enabled rules whose inputs it wrote, the indicators whose observations those rules read,
    and whether they read the evaluation of the plan's own area.

    Each kind reads a part of the store only: ``behind_pace`` and ``low_probability`` the
    evaluation of the plan's area (that area's figures alone), ``province_divergence`` its
    metrics in every area, ``below_threshold`` its series in the plan's area, ``falling`` its
    series in its area. A rule none of whose inputs the vintage wrote gives the same warnings
    just before it and after it, so it cannot raise a new one.
    """
    pairs = set(written)
    indicators = {indicator for indicator, _ in pairs}
    areas = {area for _, area in pairs}
    kept: list[Rule] = []
    reads: set[str] = set()
    evaluation = False
    for rule in rules.rules:
        if not rule.enabled:
            continue
        if isinstance(rule, BehindPace | LowProbability):
            if plan.area in areas:
                kept.append(rule)
                evaluation = True
        elif isinstance(rule, ProvinceDivergence):
            if indicators & set(rule.metrics):
                kept.append(rule)
                reads |= set(rule.metrics)
        elif isinstance(rule, BelowThreshold):
            if (rule.series, plan.area) in pairs:
                kept.append(rule)
                reads.add(rule.series)
        elif (rule.series, rule.area or plan.area) in pairs:  # falling
            kept.append(rule)
            reads.add(rule.series)
    return rules.model_copy(update={"rules": tuple(kept)}), frozenset(reads), evaluation


def behind_pace(rule: BehindPace, plan: Plan, ev: Evaluation) -> list[EarlyWarning]:
    out = []
    for mr in ev.results:
        if rule.metrics and mr.metric not in rule.metrics:
            continue
        for tr in mr.targets:
            if tr.verdict not in ("open", "pending"):
                continue
            behind = _behind_years(tr, rule.shape)
            if len(behind) < rule.periods or not all(b for _, b, _, _ in behind[-rule.periods:]):
                continue
            last_year, _, value, planned = behind[-1]
            owner = rule.owners.get(mr.metric, rule.owner)
            n = rule.periods
            what_zh = "年增速" if tr.measure == "growth" else "数值"
            out.append(EarlyWarning(
                key=f"{rule.id}|{mr.metric}|{tr.target_year}|{ev.area}", rule=rule.id,
                kind=rule.kind, severity=rule.severity, subject=mr.metric, subject_name=mr.name,
                area=ev.area, period=str(last_year), owner=owner,
                message=Text(
                    zh=f"{mr.name.zh}：连续{n}期落后于{tr.target_year}年目标所需进度"
                       f"（{last_year}年{what_zh}{value:.4g}，规划路径{planned:.4g}）。",
                    en=f"{mr.name.en}: behind the pace the {tr.target_year} target needs in "
                       f"{n} consecutive period(s) ({last_year}: {value:.4g}, planned path "
                       f"{planned:.4g})."),
                figures={"value": value, "planned": planned, "target": tr.target_value,
                         "target_year": str(tr.target_year)},
                synthetic=any("synthetic" in p.flags for p in tr.series)))
    return out


def low_probability(rule: LowProbability, ev: Evaluation) -> list[EarlyWarning]:
    """A warning for each target not yet decided whose probability of being met is below the
    rule's threshold."""
    out = []
    for mr in ev.results:
        if rule.metrics and mr.metric not in rule.metrics:
            continue
        for tr in mr.targets:
            pr = tr.projection
            # a data gap is not an outcome either: the figure may still arrive
            undecided = tr.verdict in ("open", "pending") or tr.data_gap
            if not undecided or pr is None or pr.probability is None:
                continue
            if pr.probability >= rule.threshold:
                continue
            p, limit = pr.probability, rule.threshold
            out.append(EarlyWarning(
                key=f"{rule.id}|{mr.metric}|{tr.target_year}|{ev.area}", rule=rule.id,
                kind=rule.kind, severity=graded(rule.severity, p, rule.serious_below),
                subject=mr.metric, subject_name=mr.name, area=ev.area,
                period=str(tr.target_year),
                owner=rule.owners.get(mr.metric, rule.owner),
                message=Text(
                    zh=f"{mr.name.zh}：按当前趋势，实现{tr.target_year}年目标的概率为{p:.0%}，"
                       f"低于预警线{limit:.0%}。",
                    en=f"{mr.name.en}: on the current trend the {tr.target_year} target is met "
                       f"with probability {p:.0%}, below the warning line of {limit:.0%}."),
                figures={"probability": p, "threshold": limit, "projected": pr.value,
                         "target": tr.target_value, "target_year": str(tr.target_year)},
                synthetic=any("synthetic" in s.flags for s in tr.series)))
    return out


#: the levels from the least to the most urgent (what the pages sort and colour by)
SEVERITIES: tuple[Severity, ...] = ("notice", "warning", "serious")


def graded(severity: Severity, value: float, serious_below: float | None) -> Severity:
    """The rule's ``severity``, raised to ``serious`` when ``value`` is under the rule's
    ``serious_below`` line."""
    if serious_below is not None and value < serious_below:
        return "serious"
    return severity


def by_urgency(warnings: Iterable[EarlyWarning]) -> list[EarlyWarning]:
    """The most urgent first (serious, warning, notice); within a level, as evaluated."""
    return sorted(warnings, key=lambda w: -SEVERITIES.index(w.severity))


def early_warnings(plan: Plan, ev: Evaluation,
                   rules: RuleSet | None = None) -> list[EarlyWarning]:
    """The warnings of the ``low_probability`` rules (default: the bundled rule file) on
    ``ev``: what the overview shows beside the status table."""
    rs = rules or load_rules()
    return [w for r in rs.rules if isinstance(r, LowProbability) and r.enabled
            for w in low_probability(r, ev)]


def _behind_years(tr: TargetResult, shape: Shape) -> list[tuple[int, bool, float, float]]:
    """(year, behind?, value, planned value) for each observed headline year up to the target."""
    sign = 1 if tr.direction == "increase" else -1
    a = tr.assessment
    rows = []
    for p in tr.series:
        if p.source == "plan" or p.year > tr.target_year:
            continue
        if tr.measure == "growth":
            planned = tr.target_value
        else:
            if a.base_year is None or a.base_value is None or p.year <= a.base_year:
                continue
            try:
                planned = trajectory_value(p.year, (a.base_year, a.base_value),
                                           [(tr.target_year, tr.target_value)], shape)
            except ValueError:
                continue
        rows.append((p.year, sign * (p.value - planned) < -tr.tolerance, p.value, planned))
    return rows


def _is_province(code: str) -> bool:
    return len(code) == 6 and code.endswith("0000") and code != NATIONAL


def _latest_by_area(obs: Iterable[Observation], metric: str, measure: str,
                    sector: str = "") -> dict[str, tuple[int, float, bool]]:
    """Per area: (year, level or growth on the year before, synthetic?) of the latest year."""
    by: dict[str, dict[int, Observation]] = {}
    for o in obs:
        if o.indicator == metric and o.sector == sector and o.period.is_annual:
            by.setdefault(o.area, {})[o.year] = o
    out = {}
    for area, years in by.items():
        last = max(years)
        if measure == "level":
            o = years[last]
            out[area] = (last, o.value, "synthetic" in o.flags)
        elif last - 1 in years and years[last - 1].value != 0:
            prev, cur = years[last - 1], years[last]
            growth = (cur.value / prev.value - 1) * 100
            out[area] = (last, growth, "synthetic" in cur.flags or "synthetic" in prev.flags)
    return out


def province_divergence(rule: ProvinceDivergence, plan: Plan,
                        obs: Sequence[Observation]) -> list[EarlyWarning]:
    from ..reference import area as area_ref

    out = []
    for metric_id in rule.metrics:
        metric = plan.metric(metric_id) if _knows(plan, metric_id) else None
        name = metric.name if metric else Text(zh=metric_id, en=metric_id)
        sign = -1 if metric is not None and metric.direction == "decrease" else 1
        latest = _latest_by_area(obs, metric_id, rule.measure)
        if not latest:
            continue
        year = max(y for y, _, _ in latest.values())
        prov = {a: (v, syn) for a, (y, v, syn) in latest.items() if _is_province(a) and y == year}
        if len(prov) < rule.min_provinces:
            continue
        values = [v for v, _ in prov.values()]
        mean = statistics.fmean(values)
        sd = statistics.stdev(values)
        national = latest.get(plan.area)
        nat = national[1] if national and national[0] == year else None
        for code, (v, syn) in sorted(prov.items()):
            z = (v - mean) / sd if sd > 0 else 0.0
            gap = v - nat if nat is not None else None
            hit_z = rule.z_threshold is not None and abs(z) >= rule.z_threshold and \
                (not rule.lagging_only or sign * z < 0)
            hit_gap = rule.gap_threshold is not None and gap is not None and \
                abs(gap) >= rule.gap_threshold and (not rule.lagging_only or sign * gap < 0)
            if not (hit_z or hit_gap):
                continue
            try:
                a = area_ref(code)
                an = Text(zh=a.name_zh, en=a.name_en)
            except Exception:  # an unknown code still warns, under its code
                an = Text(zh=code, en=code)
            what = Text(zh="增速" if rule.measure == "growth" else "数值",
                        en="growth" if rule.measure == "growth" else "value")
            gap_zh = "" if gap is None else f"，与全国差距{gap:+.3g}"
            gap_en = "" if gap is None else f", gap to national {gap:+.3g}"
            out.append(EarlyWarning(
                key=f"{rule.id}|{metric_id}|{code}", rule=rule.id, kind=rule.kind,
                severity=rule.severity, subject=metric_id, subject_name=name, area=code,
                period=str(year), owner=Text(zh=f"{an.zh}人民政府（{rule.owner.zh}）",
                                             en=f"{an.en} government ({rule.owner.en})"),
                message=Text(
                    zh=f"{an.zh}{name.zh}{year}年{what.zh}{v:.4g}，偏离全国趋势"
                       f"（z={z:+.2f}{gap_zh}）。",
                    en=f"{an.en}: {name.en} {what.en} {v:.4g} in {year} diverges from the "
                       f"national trend (z={z:+.2f}{gap_en})."),
                figures={"value": v, "z": z, "gap": gap, "mean": mean, "national": nat},
                synthetic=syn))
    return out


def below_threshold(rule: BelowThreshold, plan: Plan,
                    obs: Sequence[Observation]) -> list[EarlyWarning]:
    from ..reference import industry

    latest: dict[tuple[str, str], Observation] = {}
    for o in obs:
        if o.indicator != rule.series or o.area != plan.area:
            continue
        if o.sector == "" and not rule.include_total:
            continue
        if rule.sectors and o.sector and o.sector not in rule.sectors:
            continue
        k = (o.area, o.sector)
        # the latest period; on a tie (a year and its Q4 both end 31 December) the shorter
        # period is the more recent reading, so a quarter wins over the full-year figure
        if k not in latest or _recency(o) > _recency(latest[k]):
            latest[k] = o
    out = []
    for (area, sector), o in sorted(latest.items()):
        if o.value >= rule.threshold:
            continue
        sname = _sector_name(industry, sector)
        out.append(EarlyWarning(
            key=f"{rule.id}|{rule.series}|{area}|{sector}", rule=rule.id, kind=rule.kind,
            severity=graded(rule.severity, o.value, rule.serious_below),
            subject=rule.series, subject_name=rule.name, area=area,
            sector=sector, period=o.period.code, owner=rule.owner,
            message=Text(zh=f"{sname.zh}{o.period.code}为{o.value:.4g}，低于预警线{rule.threshold:g}。",
                         en=f"{sname.en}: {o.value:.4g} in {o.period.code}, below the warning "
                            f"line {rule.threshold:g}."),
            figures={"value": o.value, "threshold": rule.threshold, "source": o.source},
            synthetic="synthetic" in o.flags))
    return out


def _recency(o: Observation) -> tuple[Any, bool]:
    return (o.period.end, not o.period.is_annual)


def _sector_name(industry: Callable[[str], Any], code: str) -> Text:
    if not code:
        return Text(zh="全部行业", en="All industries")
    try:
        i = industry(code)
        return Text(zh=f"{i.name_zh}（{code}）", en=f"{i.name_en} ({code})")
    except Exception:  # a code outside the bundled GB/T 4754 list is shown as itself
        return Text(zh=code, en=code)


def falling(rule: Falling, plan: Plan, obs: Sequence[Observation]) -> list[EarlyWarning]:
    area = rule.area or plan.area
    by_period: dict[str, Observation] = {}
    for o in obs:
        if o.indicator == rule.series and o.area == area and o.sector == "":
            prev = by_period.get(o.period.code)
            newer = (o.source_date or o.period.end) >= (prev.source_date or prev.period.end) \
                if prev is not None else True
            if newer:
                by_period[o.period.code] = o
    series = sorted(by_period.values(), key=lambda o: o.period.end)
    if len(series) < rule.periods + 1:
        return []
    tail = series[-(rule.periods + 1):]
    drops = [b.value < a.value for a, b in pairwise(tail)]
    total = tail[0].value - tail[-1].value
    if not all(drops) or total <= rule.min_drop:
        return []
    last = tail[-1]
    name = plan.metric(rule.series).name if _knows(plan, rule.series) else rule.name
    return [EarlyWarning(
        key=f"{rule.id}|{rule.series}|{area}", rule=rule.id, kind=rule.kind,
        severity=rule.severity, subject=rule.series, subject_name=name, area=area,
        period=last.period.code, owner=rule.owner,
        message=Text(zh=f"{name.zh}连续{rule.periods}期下降，{last.period.code}为{last.value:.4g}"
                        f"（累计下降{total:.3g}）。",
                     en=f"{name.en} fell {rule.periods} time(s) in a row: {last.value:.4g} in "
                        f"{last.period.code} (down {total:.3g} in all)."),
        figures={"value": last.value, "previous": tail[-2].value, "drop": total,
                 "source": last.source},
        synthetic=any("synthetic" in o.flags for o in tail))]


def _knows(plan: Plan, metric_id: str) -> bool:
    try:
        plan.metric(metric_id)
        return True
    except KeyError:
        return False


def new_warnings(before: Iterable[EarlyWarning],
                 after: Iterable[EarlyWarning]) -> list[EarlyWarning]:
    """Warnings of ``after`` whose condition was not already raised in ``before``."""
    known = {w.key for w in before}
    return [w for w in after if w.key not in known]


# --------------------------------------------------------------------------- notification


def notify(warnings: Sequence[EarlyWarning], url: str | None = None, *,
           owners: OwnerDirectory | None = None, lang: str = "zh",
           timeout: float = 10.0) -> int:
    """E-mail each warning to its owners through the SMTP server of ``url``.

    ``url`` (default ``$MIC2025_SMTP_URL``) is
    ``smtp://[user:password@]host[:port]?from=ADDR[&cc=ADDR,…]`` (``smtps://`` for TLS,
    ``?starttls=1`` to upgrade). ``owners`` (default :func:`load_owners`) routes the
    warnings: one message per owner, to that owner's addresses, with only its warnings;
    the directory's ``copy`` list, the owner's ``cc`` and the URL's ``cc=`` (and ``to=``,
    read as ``cc=`` since owners are routed) get a copy. Returns the number of messages
    sent; 0 (and nothing sent) when there is nothing to send or no URL.
    """
    if not warnings:
        return 0
    to = mail.server(url)
    if to is None:
        return 0
    directory = owners if owners is not None else load_owners()
    language = pick(lang) or DEFAULT
    messages = []
    for owner, ws in directory.route(warnings):
        cc = list(dict.fromkeys([*owner.cc, *directory.copy_to, *to.copy]))
        cc = [a for a in cc if a not in owner.to]
        msg = EmailMessage()
        msg["From"] = to.sender
        msg["To"] = ", ".join(owner.to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        name = owner.name.get(lang)
        msg["Subject"] = t("email.subject", language, name=name, n=len(ws))
        msg.set_content(format_warnings(ws, lang))
        messages.append((msg, [*owner.to, *cc]))
    mail.send(to, messages, timeout=timeout, what="warnings")
    return len(messages)


def format_warnings(warnings: Sequence[EarlyWarning], lang: str = "zh") -> str:
    """Plain text, grouped by owner (for e-mail and the terminal)."""
    by_owner: dict[str, list[EarlyWarning]] = {}
    for w in warnings:
        by_owner.setdefault(w.owner.get(lang), []).append(w)
    lines = []
    for owner, ws in sorted(by_owner.items()):
        lines.append(t("email.owner", pick(lang) or DEFAULT, owner=owner))
        for w in ws:
            tag = " [SYNTHETIC]" if w.synthetic else ""
            lines.append(f"  - [{w.severity}] {w.message.get(lang)}{tag}")
    return "\n".join(lines) + "\n"


class LatestRows(NamedTuple):
    """The latest observations of some indicators when ``vintage`` was the latest vintage."""

    vintage: int
    observations: tuple[Observation, ...]


#: what :func:`after_import` remembers between imports (its ``memo``): warnings, by the
#: rules run, the indicators read, the vintage and the day of the data they were run on; and
#: the latest observations the rules read, by their indicators (:class:`LatestRows`)
WarningsMemo = dict[tuple[object, ...], "list[EarlyWarning] | LatestRows"]


def after_import(store: Any, plan: Plan, result: Any, echo: Callable[[str], Any] = print,
                 rules_path: str | Path | None = None,
                 warnings_at: Callable[[datetime | None], list[EarlyWarning]] | None = None,
                 owners: OwnerDirectory | None = None, *, rules: RuleSet | None = None,
                 evaluation_at: Callable[[datetime | None], Evaluation] | None = None,
                 memo: WarningsMemo | None = None,
                 vintage_at: Callable[[datetime | None], int] | None = None,
                 ) -> list[EarlyWarning]:
    """The import hook: warnings raised by this import, printed and (if configured) e-mailed.

    Compares the rules' result on the store just before the import's vintage with the result
    now. Never fails the import (already committed): a problem is printed as a note.

    When the result says what the import wrote (``ImportResult.written``), only the rules it
    can have changed are run (:func:`touched_rules`), on the observations of their indicators
    alone, and the plan's area is evaluated only for a rule that reads it
    (``evaluation_at(as_of)``, ``None``: now, gives the caller's cached evaluation; default
    :func:`evaluate`): the same new warnings as running every rule on every observation.
    Otherwise every rule runs, ``warnings_at(as_of)`` replacing :func:`evaluate_rules` with
    the caller's own, cached, evaluation of the rules (the web platform's). ``rules`` are the
    rules (default: read from ``rules_path``, else the bundled file). ``owners`` is the owner
    directory the e-mails are routed by (default: :func:`load_owners`).

    With ``memo`` and ``vintage_at(as_of)`` (the latest vintage at ``as_of``, now when
    ``None``), the touched rules' warnings of "now" are remembered by vintage and day, and
    one import's "after" serves as the next one's "before" when no vintage came between and
    the same rules run (an approval platform's imports follow one another, and each read
    every touched indicator's figures twice).
    """
    if getattr(result, "unchanged", True) or getattr(result, "created_at", None) is None:
        return []
    try:
        created = result.created_at
        created = created if created.tzinfo else created.replace(tzinfo=UTC)
        written = getattr(result, "written", None)
        if written:
            warnings_at = _touched_warnings(store, plan, rules or load_rules(rules_path),
                                            written, evaluation_at, memo, vintage_at)
        elif warnings_at is None:
            rules = rules or load_rules(rules_path)

            def warnings_at(as_of: datetime | None) -> list[EarlyWarning]:
                return evaluate_rules(plan, store, rules, as_of=as_of)

        before = warnings_at(created - timedelta(microseconds=1))
        after = warnings_at(None)
        fresh = new_warnings(before, after)
        for w in fresh:
            echo(f"new warning [{w.severity}] {w.message.zh} — {w.owner.zh}")
        if fresh and os.environ.get(ENV_SMTP):
            try:
                directory = owners if owners is not None else load_owners(plan_id=plan.id)
                n = notify(fresh, owners=directory)
                echo(f"warnings e-mailed: {n} message(s), one per owner")
            except FollowupError as exc:  # the warnings stand; only the e-mail failed
                echo(f"note: {exc}")
        return fresh
    except Exception as exc:  # the import has committed; a warning problem must not undo it
        echo(f"note: early-warning rules not evaluated: {exc}")
        return []


def _touched_warnings(store: Any, plan: Plan, rules: RuleSet, written: Iterable[tuple[str, str]],
                      evaluation_at: Callable[[datetime | None], Evaluation] | None,
                      memo: WarningsMemo | None = None,
                      vintage_at: Callable[[datetime | None], int] | None = None,
                      ) -> Callable[[datetime | None], list[EarlyWarning]]:
    """``warnings_at(as_of)`` of the rules a vintage writing ``written`` can change
    (remembered in ``memo``, see :func:`after_import`)."""
    subset, indicators, needs_evaluation = touched_rules(rules, plan, written)
    rule_key = (tuple(r.model_dump_json() for r in subset.rules), tuple(sorted(indicators)),
                needs_evaluation)

    def warnings_at(as_of: datetime | None) -> list[EarlyWarning]:
        if not subset.rules:
            return []
        if memo is None or vintage_at is None:
            return computed(as_of)
        # an earlier import's "after" (now) may be this one's "before" (as_of): only "now"
        # is remembered, only a "before" looks it up
        vintage = vintage_at(as_of)
        key = (*rule_key, vintage, (as_of or datetime.now(UTC)).astimezone(UTC).date())
        if as_of is not None:
            found = memo.get(key)
            return list(found) if isinstance(found, list) else computed(as_of)
        got = computed(None)
        if vintage_at(None) == vintage:  # no vintage committed while it was read
            if len(memo) >= 8:
                memo.pop(next(iter(memo)))
            memo[key] = list(got)
        return got

    def computed(as_of: datetime | None) -> list[EarlyWarning]:
        ev = None
        if needs_evaluation:
            ev = evaluation_at(as_of) if evaluation_at is not None else evaluate(
                plan, store.observations(area=plan.area, as_of=as_of), area=plan.area,
                as_of=as_of)
        observations = latest_rows(as_of) if indicators else []
        return evaluate_rules(plan, store, subset, as_of=as_of, evaluation=ev,
                              observations=observations)

    def latest_rows(as_of: datetime | None) -> list[Observation]:
        """The rules' observations; now, those remembered at an earlier vintage with what
        the vintages since changed put in their place (:meth:`Store.changes`)."""
        if as_of is not None or memo is None or vintage_at is None:
            return store.observations(indicators=indicators, as_of=as_of)
        key = ("latest rows", tuple(sorted(indicators)))
        kept, now = memo.get(key), vintage_at(None)
        if isinstance(kept, LatestRows) and kept.vintage <= now:
            rows = {o.key: o for o in kept.observations}
            for o in store.changes(kept.vintage, now, indicators=indicators):
                if o.withdrawn:
                    rows.pop(o.key, None)
                else:
                    rows[o.key] = o
            found = sorted(rows.values(), key=_stored_order)  # the view at ``now`` exactly
        else:
            found = store.observations(indicators=indicators)
            if vintage_at(None) != now:  # a vintage committed while they were read
                return found
        memo.pop(key, None)  # last in, so the last to make room for others
        memo[key] = LatestRows(now, tuple(found))
        return found

    return warnings_at


def _stored_order(o: Observation) -> tuple[str, str, str, Any, str, str, str]:
    """The order :meth:`mic2025.store.Store.observations` gives."""
    return (o.indicator, o.area, o.sector, o.period.end, o.period.code, o.scope, o.source)


def is_finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)
