"""Third-party evaluation (第三方评价): rounds frozen on a data vintage, a rubric, evaluators.

A **round** is created on a data vintage: its ``as_of`` instant is recorded, the plan is
evaluated on what the store knew then, and that evaluation (the system's own assessment of
each indicator) is frozen into the round with the rubric and its sha256. Evaluators then score
**items** — the plan's indicators and strategic tasks — on each applicable criterion of the
rubric (``plans/rubric_mic2025.yaml``: criteria, a scale with anchors in Chinese and English).
Scores are appended to the store with who and when; a later score (by time) of the same
evaluator, item and criterion supersedes the earlier one (both stay in the store).

**Results** per criterion: Krippendorff's alpha, ordinal and interval (:mod:`.reliability`),
over units = items and coders = evaluators; per item the scores, their mean and spread; items
whose spread (max − min) exceeds the threshold are flagged as disagreements; for indicators,
the system's own status from the frozen evaluation is shown beside the evaluators' mean.

**Reproducibility**: :func:`check_reproducible` re-evaluates the plan on the store as of the
round's instant and compares with the frozen evaluation (everything but ``generated_at``).

Storage: the store's tables ``thirdparty_round`` (the frozen round as JSON, with its sha256
and the rubric's) and ``thirdparty_score`` (:mod:`mic2025.store.followup`), written by
:mod:`mic2025.services.followup` (permission check and audit entry); this module freezes
rounds, checks scores and computes results, and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import StoreError
from ..evaluate.engine import evaluate
from ..evaluate.methods import DEFAULT_METHOD
from ..evaluate.model import Evaluation
from ..plan import Plan, Text
from ..store.followup import EvaluationRound, Score
from . import reliability
from .common import FollowupError, Model, load_yaml_model, now_utc

if TYPE_CHECKING:
    from ..store.repo import Store

__all__ = ["Score"]  # the store's record of a score, one model for store, library and API

ItemKind = Literal["indicator", "task"]
_ROUND_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class RoundClosed(FollowupError):
    """A score for a closed round: the platform names who closed it and when, in its
    language, from these attributes."""

    def __init__(self, message: str, *, round_id: str, closed_at: datetime,
                 closed_by: str) -> None:
        super().__init__(message)
        self.round_id = round_id
        self.closed_at = closed_at
        self.closed_by = closed_by


class Scale(Model):
    min: int
    max: int
    level: Literal["ordinal", "interval"] = "ordinal"
    anchors: dict[int, Text]

    @model_validator(mode="after")
    def _anchors(self) -> Scale:
        if self.min >= self.max:
            raise ValueError(f"scale min {self.min} is not below max {self.max}")
        missing = [v for v in range(self.min, self.max + 1) if v not in self.anchors]
        extra = [v for v in self.anchors if not self.min <= v <= self.max]
        if missing or extra:
            raise ValueError(f"anchors must cover {self.min}..{self.max} exactly "
                             f"(missing {missing}, outside {extra})")
        return self


class Criterion(Model):
    id: str
    name: Text
    applies_to: tuple[ItemKind, ...] = Field(min_length=1)
    guidance: Text | None = None


class Rubric(Model):
    schema_version: Literal[1]
    id: str
    version: str
    title: Text
    scale: Scale
    criteria: tuple[Criterion, ...] = Field(min_length=1)

    @field_validator("criteria")
    @classmethod
    def _unique(cls, v: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        ids = [c.id for c in v]
        if len(ids) != len(set(ids)):
            raise ValueError(f"criterion ids used twice: {ids}")
        return v

    def criterion(self, cid: str) -> Criterion:
        for c in self.criteria:
            if c.id == cid:
                return c
        raise FollowupError(f"criterion {cid!r} is not in the rubric "
                            f"({', '.join(c.id for c in self.criteria)})").saying(
            "error.criterion", criterion=cid)


class RoundItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: ItemKind
    name: Text


class Round(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    created_at: datetime
    created_by: str
    as_of: datetime
    plan: str
    plan_version: str
    method: str
    rubric: Rubric
    rubric_sha256: str
    items: list[RoundItem]
    evaluation: Evaluation


def bundled_rubric_path(plan_id: str = "mic2025") -> Path:
    return Path(str(resources.files("mic2025") / "plans" / f"rubric_{plan_id}.yaml"))


def load_rubric(path: str | Path | None = None) -> tuple[Rubric, str]:
    p = Path(path) if path else bundled_rubric_path()
    rubric = load_yaml_model(p, Rubric, "rubric")
    return rubric, hashlib.sha256(p.read_bytes()).hexdigest()


def freeze_round(store: Store, plan: Plan, *, round_id: str, as_of: datetime,
                 created_by: str, title: str = "", rubric_path: str | Path | None = None,
                 method: str = DEFAULT_METHOD) -> Round:
    """A new round: the plan evaluated on what ``store`` knew at ``as_of``; nothing written."""
    if not _ROUND_ID.match(round_id):
        raise FollowupError(f"round id {round_id!r}: letters, digits, '.', '_' and '-' only"
                            ).saying("error.round_id", round=round_id)
    if as_of.tzinfo is None:
        raise FollowupError("a round's as-of instant needs a time zone").saying("error.round_tz")
    if not created_by.strip():
        raise FollowupError("a round needs --by (who creates it)").saying("error.round_by")
    if store.round(round_id) is not None:
        raise FollowupError(f"round {round_id!r} already exists; rounds are never overwritten"
                            ).saying("error.round_exists", round=round_id)
    rubric, sha = load_rubric(rubric_path)
    ev = _evaluate(plan, store, as_of, method)
    items = [RoundItem(id=i.id, kind="indicator", name=i.name) for i in plan.indicators]
    items += [RoundItem(id=t.id, kind="task", name=t.name) for t in plan.tasks]
    return Round(id=round_id, title=title or round_id, created_at=now_utc(),
                 created_by=created_by, as_of=as_of, plan=plan.id, plan_version=plan.version,
                 method=method, rubric=rubric, rubric_sha256=sha, items=items, evaluation=ev)


def stored_round(rnd: Round) -> EvaluationRound:
    """The store's record of a frozen round (its JSON is the record's document)."""
    return EvaluationRound(id=rnd.id, title=rnd.title, created_at=rnd.created_at,
                           created_by=rnd.created_by, as_of=rnd.as_of, plan=rnd.plan,
                           plan_version=rnd.plan_version, method=rnd.method,
                           rubric_sha256=rnd.rubric_sha256,
                           document=rnd.model_dump_json(indent=1))


def _evaluate(plan: Plan, store: Any, as_of: datetime, method: str) -> Evaluation:
    obs = store.observations(area=plan.area, as_of=as_of)
    # evaluated as on the as-of date, so that re-running later gives the same verdicts
    return evaluate(plan, obs, area=plan.area, method=method, evaluated_on=as_of.date(),
                    as_of=as_of)


def load_round(store: Store, round_id: str) -> Round:
    """The frozen round of this id (its stored document's sha256 is checked)."""
    try:
        rec = store.round(round_id)
    except StoreError as exc:
        raise FollowupError(str(exc)).saying("error.store_refused") from None
    if rec is None:
        known = store.round_ids()
        raise FollowupError(f"no round {round_id!r} in the store; known: "
                            f"{', '.join(known) or 'none'}").saying("error.no_round",
                                                                    round=round_id)
    return Round.model_validate_json(rec.document)


def list_rounds(store: Store) -> list[str]:
    """The ids of every round, sorted."""
    return store.round_ids()


def round_records(store: Store) -> list[EvaluationRound]:
    """Every stored round (its header and frozen document), by id."""
    found = [store.round(r) for r in store.round_ids()]
    return [r for r in found if r is not None]


def check_score(rnd: Round, *, evaluator: str, item: str, criterion: str, score: int) -> None:
    """Refuse a score the round cannot take: unknown item or criterion, or off the scale."""
    if not evaluator.strip():
        raise FollowupError("a score needs its evaluator").saying("error.score_evaluator")
    it = next((i for i in rnd.items if i.id == item), None)
    if it is None:
        raise FollowupError(f"item {item!r} is not in round {rnd.id!r}; items are the "
                            "plan's indicator and task ids").saying(
            "error.score_item", item=item, round=rnd.id)
    crit = rnd.rubric.criterion(criterion)
    if it.kind not in crit.applies_to:
        raise FollowupError(f"criterion {criterion!r} does not apply to a {it.kind}").saying(
            "error.criterion_kind", criterion=criterion)
    s = rnd.rubric.scale
    if not s.min <= score <= s.max:
        raise FollowupError(f"score {score} is outside the scale {s.min}..{s.max}").saying(
            "error.score_scale", score=score, min=s.min, max=s.max)


def read_scores(store: Store, round_id: str) -> list[Score]:
    """Every score in effect: the latest (by time) per evaluator, item and criterion."""
    latest: dict[tuple[str, str, str], Score] = {}
    for s in store.scores(round_id):
        latest[(s.evaluator, s.item, s.criterion)] = s
    return list(latest.values())


class ItemResult(BaseModel):
    item: str
    kind: ItemKind
    name: Text
    criterion: str
    scores: dict[str, int]
    mean: float | None
    spread: int | None
    disagreement: bool
    system_status: str | None = None


class CriterionResult(BaseModel):
    criterion: str
    name: Text
    evaluators: list[str]
    units: int
    alpha_ordinal: float | None
    alpha_interval: float | None


class Results(BaseModel):
    round: str
    as_of: datetime
    plan: str
    plan_version: str
    rubric: str
    rubric_sha256: str
    threshold: int
    criteria: list[CriterionResult]
    items: list[ItemResult]
    disagreements: int


def results(store: Store, round_id: str, *, threshold: int = 2) -> Results:
    """Agreement per criterion and per item; disagreements where the spread > ``threshold``."""
    rnd = load_round(store, round_id)
    scores = read_scores(store, round_id)
    status = {mr.metric: mr.targets[-1].assessment.status for mr in rnd.evaluation.results
              if mr.targets}
    crits = []
    items = []
    for c in rnd.rubric.criteria:
        mine = [s for s in scores if s.criterion == c.id]
        evaluators = sorted({s.evaluator for s in mine})
        units = [i for i in rnd.items if i.kind in c.applies_to]
        table = {(s.evaluator, s.item): s.score for s in mine}
        data: list[list[float | None]] = [
            [float(table[(e, u.id)]) if (e, u.id) in table else None for u in units]
            for e in evaluators]
        crits.append(CriterionResult(
            criterion=c.id, name=c.name, evaluators=evaluators,
            units=sum(1 for j in range(len(units))
                      if sum(1 for row in data if row[j] is not None) >= 2),
            alpha_ordinal=reliability.alpha(data, "ordinal"),
            alpha_interval=reliability.alpha(data, "interval")))
        for u in units:
            got = {e: table[(e, u.id)] for e in evaluators if (e, u.id) in table}
            vals = list(got.values())
            spread = max(vals) - min(vals) if vals else None
            items.append(ItemResult(
                item=u.id, kind=u.kind, name=u.name, criterion=c.id, scores=got,
                mean=statistics.fmean(vals) if vals else None, spread=spread,
                disagreement=spread is not None and spread > threshold,
                system_status=status.get(u.id)))
    return Results(round=rnd.id, as_of=rnd.as_of, plan=rnd.plan, plan_version=rnd.plan_version,
                   rubric=f"{rnd.rubric.id} {rnd.rubric.version}",
                   rubric_sha256=rnd.rubric_sha256, threshold=threshold, criteria=crits,
                   items=items, disagreements=sum(1 for i in items if i.disagreement))


def check_reproducible(store: Store, round_id: str, plan: Plan) -> list[str]:
    """Differences between the frozen evaluation and a re-run on the same vintage (``[]``)."""
    rnd = load_round(store, round_id)
    if plan.version != rnd.plan_version:
        return [f"plan version {plan.version} is not the round's {rnd.plan_version}"]
    again = _evaluate(plan, store, rnd.as_of, rnd.method)
    a = _comparable(rnd.evaluation)
    b = _comparable(again)
    if a == b:
        return []
    diffs = []
    for ra, rb in zip(a["results"], b["results"], strict=False):
        if ra != rb:
            diffs.append(f"{ra['metric']}: differs from the frozen evaluation")
    return diffs or ["the evaluation header differs"]


def _comparable(ev: Evaluation) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ev.model_dump_json(exclude={"generated_at", "software"}))
    return data
