"""Supervision of tasks and projects (督促检查、监督考核): milestones, owners, updates, stocktakes.

The seed data (``plans/supervision_mic2025.yaml``) breaks the plan's nine strategic tasks,
five projects and supporting measures into milestones, each with a responsible body, a due
date, the metrics whose figures are its evidence, and links. Status updates are appended with
who and when to the store's ``supervision_update`` table (:mod:`mic2025.store.followup`) by
:func:`mic2025.services.followup.update_milestone`: rows are only ever appended, so the
history of every milestone is its audit trail, and the seed file's version and sha256 are
recorded with each update.

Status of a milestone: its latest update, else the seed's ``status``. A milestone tied to
metrics (their targets of the due year) or to evidence facts also has an ``evidence_status``
read from the evaluation and the facts (:mod:`mic2025.followup.evidence_status`): met, met late,
missed, pending, open or no evidence. Evidence is shown beside the reported status and never
silently replaced by it: a report that contradicts it is flagged (``disagreement``), and the
red/amber/green of an item follows the evidence when there is any. ``overdue``: due date
passed, not ``completed``, and no evidence that it was met (or is pending publication).
``at risk``: not completed and either ``delayed``, or due within ``horizon_days`` without
any reported progress, or a linked metric's target of the due year is judged ``off_track`` or
``needs_acceleration`` by the evaluation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationInfo, field_validator, model_validator

from ..evaluate.model import Evaluation
from ..facts import Fact, load_facts
from ..plan import Plan, Text
from ..store.followup import SUPERVISION_STATUSES, SupervisionUpdate
from .common import FollowupError, Model, load_yaml_model
from .evidence_status import fact_status, figure_of, rag_of, target_status

if TYPE_CHECKING:
    from ..store.repo import Store

Status = Literal["not_reported", "not_started", "in_progress", "completed", "delayed"]
STATUSES: tuple[str, ...] = SUPERVISION_STATUSES
SubjectKind = Literal["task", "project", "measure", "follow_up"]


class Body(Model):
    id: str
    name: Text


class Subject(Model):
    kind: SubjectKind
    id: str


class Link(Model):
    text: Text
    url: str | None = None


class Milestone(Model):
    id: str
    subject: Subject
    title: Text
    owner: str
    co_owners: tuple[str, ...] = ()
    due: date
    due_basis: Literal["plan", "illustrative"] = "illustrative"
    metrics: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    evidence: tuple[Link, ...] = ()
    status: Status = "not_reported"


class SupervisionFile(Model):
    schema_version: Literal[1]
    plan: str
    version: str
    illustrative: bool = True
    note: Text | None = None
    bodies: tuple[Body, ...]
    items: tuple[Milestone, ...]

    @field_validator("items")
    @classmethod
    def _subjects(cls, items: tuple[Milestone, ...], info: ValidationInfo) -> tuple[Milestone, ...]:
        plan: Plan | None = (info.context or {}).get("plan")
        ids = [m.id for m in items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"milestone ids used twice: {', '.join(dupes)}")
        if plan is None:
            return items
        known = {
            "task": {t.id for t in plan.tasks}, "project": {p.id for p in plan.projects},
            "measure": {m.id for m in plan.measures}, "follow_up": {f.id for f in plan.follow_up},
        }
        metrics = {m.id for m in plan.metrics()}
        for m in items:
            if m.subject.id not in known[m.subject.kind]:
                raise ValueError(f"milestone {m.id!r}: the plan has no {m.subject.kind} "
                                 f"{m.subject.id!r}")
            unknown = [x for x in m.metrics if x not in metrics]
            if unknown:
                raise ValueError(f"milestone {m.id!r}: unknown metric(s) {', '.join(unknown)}")
            facts = load_facts()
            missing = [x for x in m.facts if x not in facts]
            if missing:
                raise ValueError(f"milestone {m.id!r}: no evidence fact {', '.join(missing)} "
                                 f"in the bundled facts ({', '.join(sorted(facts))})")
        return items

    @model_validator(mode="after")
    def _owners(self) -> SupervisionFile:
        bodies = {b.id for b in self.bodies}
        for m in self.items:
            for o in (m.owner, *m.co_owners):
                if o not in bodies:
                    raise ValueError(f"milestone {m.id!r} names body {o!r}, which is not in "
                                     f"bodies ({', '.join(sorted(bodies))})")
        return self

    def body(self, body_id: str) -> Body:
        return next(b for b in self.bodies if b.id == body_id)

    def item(self, item_id: str) -> Milestone:
        for m in self.items:
            if m.id == item_id:
                return m
        raise FollowupError(f"no milestone {item_id!r}; see `mic2025 supervision status`"
                            ).saying("error.no_milestone", item=item_id)


#: one appended status update: the store's record (one model for store, library and API)
Update = SupervisionUpdate


@dataclass
class ItemState:
    milestone: Milestone
    status: str
    updated: Update | None
    history: list[Update]
    overdue: bool
    at_risk: bool
    risk_reasons: list[str] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    evidence_status: str = "no_evidence"
    facts: list[Fact] = field(default_factory=list)
    disagreement: bool = False
    rag: str = "grey"
    subject_name: Text | None = None


def bundled_path(plan_id: str = "mic2025") -> Path:
    return Path(str(resources.files("mic2025") / "plans" / f"supervision_{plan_id}.yaml"))


def load_supervision(path: str | Path | None = None, plan: Plan | None = None) -> SupervisionFile:
    """Read and validate a supervision file (default: the bundled one of ``plan``)."""
    p = Path(path) if path else bundled_path(plan.id if plan else "mic2025")
    return load_yaml_model(p, SupervisionFile, "supervision", context={"plan": plan})


def bundled_supervision(plan: Plan) -> SupervisionFile | None:
    """The supervision file bundled for ``plan``, or None when the plan has none (a regional
    plan, say): then nothing is judged by reports. A bundled file that does not read is an
    error, never taken for a missing one."""
    p = bundled_path(plan.id)
    return load_supervision(p, plan) if p.is_file() else None


def seed_sha256(path: Path) -> str:
    """The sha256 of the seed file, recorded with every update made against it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_updates(store: Store, item: str | None = None) -> list[Update]:
    """Every update in the store (of one milestone when ``item`` is given), oldest first."""
    return store.supervision_updates(item)


def states(seed: SupervisionFile, updates: Sequence[Update], *, on: date | None = None,
           horizon_days: int = 180, evaluation: Evaluation | None = None,
           as_of: datetime | None = None, plan: Plan | None = None,
           facts: dict[str, Fact] | None = None) -> list[ItemState]:
    """The state of every milestone on ``on`` from the updates made up to ``as_of``, with the
    evidence of its metrics (``evaluation``) and facts (default: the bundled ones)."""
    today = on or date.today()
    known_facts = load_facts() if facts is None else facts
    by_item: dict[str, list[Update]] = {}
    for u in sorted(updates, key=lambda u: u.at):
        if as_of is None or u.at <= as_of:
            by_item.setdefault(u.item, []).append(u)
    judged: dict[tuple[str, int], Any] = {}
    if evaluation is not None:
        for mr in evaluation.results:
            for tr in mr.targets:
                judged[(mr.metric, tr.target_year)] = tr
    names = _subject_names(plan)
    out = []
    for m in seed.items:
        hist = by_item.get(m.id, [])
        last = hist[-1] if hist else None
        status = last.status if last else m.status
        done = status == "completed"
        reasons = []
        figures = []
        found: list[str] = []
        for metric in m.metrics:
            hit = judged.get((metric, m.due.year))
            if hit is None:
                continue
            figures.append(figure_of(hit))
            found.append(target_status(hit))
        mine = [known_facts[f] for f in m.facts if f in known_facts]
        found += [fact_status(f, m.due.year) for f in mine]
        found += ["no_evidence" for f in m.facts if f not in known_facts]
        ev_status = _combine(found)
        settled = ev_status in ("met", "met_late", "pending")
        overdue = not done and not settled and m.due < today
        if not done and status == "delayed":
            reasons.append("delayed")
        if not done and status in ("not_reported", "not_started") and \
                today <= m.due <= today + timedelta(days=horizon_days):
            reasons.append(f"due within {horizon_days} days, no progress reported")
        for f in figures:
            if not done and not settled and f["status"] in ("off_track", "needs_acceleration") \
                    and not overdue:
                reasons.append(f"{f['metric']}: {f['status']}")
        disagreement = (status == "completed" and ev_status == "missed") or (
            status in ("delayed", "not_started") and ev_status in ("met", "met_late"))
        worst = next((f["status"] for f in figures if f["status"] == "off_track"),
                     figures[0]["status"] if figures else None)
        rag = (rag_of(ev_status, progress=worst) if ev_status != "no_evidence"
               else rag_of(status, overdue=overdue))
        out.append(ItemState(milestone=m, status=status, updated=last, history=hist,
                             overdue=overdue, at_risk=bool(reasons) and not overdue,
                             risk_reasons=reasons, figures=figures, evidence_status=ev_status,
                             facts=mine, disagreement=disagreement, rag=rag,
                             subject_name=names.get((m.subject.kind, m.subject.id))))
    return out


def _combine(found: list[str]) -> str:
    """One evidence status of several (the worst decides; all must be met to be met)."""
    if not found:
        return "no_evidence"
    for worst in ("missed", "no_evidence", "open", "pending", "met_late"):
        if worst in found:
            return worst
    return "met"


def _subject_names(plan: Plan | None) -> dict[tuple[str, str], Text]:
    if plan is None:
        return {}
    return {
        **{("task", t.id): t.name for t in plan.tasks},
        **{("project", p.id): p.name for p in plan.projects},
        **{("measure", x.id): x.name for x in plan.measures},
        **{("follow_up", x.id): x.name for x in plan.follow_up},
    }


def _latest_source(tr: Any) -> str | None:
    obs = [p for p in tr.series if p.source != "plan"]
    return obs[-1].source if obs else None


def stocktake(seed: SupervisionFile, items: Sequence[ItemState],
              owner: str | None = None) -> list[dict[str, Any]]:
    """Per responsible body: counts by status, overdue and at-risk milestones."""
    rows = []
    for b in seed.bodies:
        if owner and owner not in (b.id, b.name.zh, b.name.en):
            continue
        mine = [s for s in items if s.milestone.owner == b.id]
        if not mine:
            continue
        counts = {st: sum(1 for s in mine if s.status == st) for st in STATUSES}
        rag = {c: sum(1 for s in mine if s.rag == c) for c in ("red", "amber", "green", "grey")}
        rows.append({"owner": b.id, "name": b.name, "milestones": len(mine), **counts, **rag,
                     "evidence_met": sum(1 for s in mine
                                         if s.evidence_status in ("met", "met_late")),
                     "disagreements": [s.milestone.id for s in mine if s.disagreement],
                     "overdue": [s.milestone.id for s in mine if s.overdue],
                     "at_risk": [s.milestone.id for s in mine if s.at_risk],
                     "co_owned": sum(1 for s in items if b.id in s.milestone.co_owners)})
    if owner and not rows:
        raise FollowupError(f"--owner {owner!r}: no body with milestones of that id or name; "
                            f"one of {', '.join(b.id for b in seed.bodies)}")
    return rows


def filter_owner(seed: SupervisionFile, items: Sequence[ItemState],
                 owner: str | None) -> list[ItemState]:
    if not owner:
        return list(items)
    ids = {b.id for b in seed.bodies if owner in (b.id, b.name.zh, b.name.en)}
    if not ids:
        raise FollowupError(f"--owner {owner!r}: unknown body; one of "
                            f"{', '.join(b.id for b in seed.bodies)}")
    return [s for s in items if s.milestone.owner in ids]


def state_dict(s: ItemState, seed: SupervisionFile) -> dict[str, Any]:
    m = s.milestone
    return {
        "id": m.id, "subject": f"{m.subject.kind}:{m.subject.id}", "title": m.title.model_dump(),
        "owner": m.owner, "owner_name": seed.body(m.owner).name.model_dump(),
        "co_owners": list(m.co_owners), "due": m.due.isoformat(), "due_basis": m.due_basis,
        "subject_name": s.subject_name.model_dump() if s.subject_name else None,
        "status": s.status, "evidence_status": s.evidence_status, "rag": s.rag,
        "disagreement": s.disagreement,
        "facts": [f.model_dump(mode="json") for f in s.facts],
        "overdue": s.overdue, "at_risk": s.at_risk,
        "risk_reasons": s.risk_reasons, "figures": s.figures,
        "evidence": [e.model_dump() for e in m.evidence],
        "last_update": s.updated.model_dump(mode="json") if s.updated else None,
        "updates": len(s.history),
    }
