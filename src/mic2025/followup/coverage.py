"""Coverage: every checkable commitment of the plan, how it is judged and where it stands.

A commitment (:meth:`mic2025.plan.Plan.all_commitments`) is judged from

* ``metric:<id>`` — the evaluation's verdict on that metric's target of the due year:
  achieved → ``met`` (``met_late`` when only a later year's figure reaches it), missed →
  ``missed``, pending (the figure is not due yet) → ``pending``, a target year still ahead
  with figures → ``open``, no figure → ``no_evidence``;
* ``evidence:<fact id>`` — a dated public fact (:mod:`mic2025.facts`): done by the end of the
  due year → ``met``, later → ``met_late``, a standing mechanism without a due year →
  ``in_place``; a fact the bundle does not hold → ``no_evidence``;
* ``supervision`` — the latest status update of the supervision items of the same subject
  (``completed``, ``in_progress``…); ``not_reported`` when nobody has reported;
* ``none`` — a context goal (``context``, never scored) or a commitment nobody can check.

``judged_from`` says what decided the status: ``evidence`` (a figure or a fact),
``supervision`` (an update) or ``none``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Literal

from ..evaluate.model import Evaluation, TargetResult
from ..facts import Fact
from ..observation import Observation
from ..plan import CommitmentView, Plan
from .evidence_status import fact_status, figure_of, rag_of, target_status

if TYPE_CHECKING:
    from .supervision import ItemState

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
JudgedFrom = Literal["evidence", "supervision", "none"]


@dataclass
class Judged:
    """One commitment with its status, what decided it and what it rests on."""

    commitment: CommitmentView
    status: str
    judged_from: JudgedFrom
    rag: str
    figure: dict[str, Any] | None = None
    fact: Fact | None = None
    reported: str | None = None
    supervision_items: list[str] = field(default_factory=list)
    #: a context goal's series (its ``context``), each with its first and latest figure:
    #: the trajectory shown beside the aim, never scored
    trajectory: list[dict[str, Any]] = field(default_factory=list)


def _targets(evaluation: Evaluation | None) -> dict[tuple[str, int], TargetResult]:
    if evaluation is None:
        return {}
    return {(mr.metric, tr.target_year): tr for mr in evaluation.results for tr in mr.targets}


def judge(plan: Plan, evaluation: Evaluation | None, facts: dict[str, Fact],
          supervision: Sequence[ItemState] = (), *, on: date | None = None,
          observations: Sequence[Observation] = ()) -> list[Judged]:
    """Every commitment of ``plan`` judged on ``on`` (default today); ``observations`` (the
    plan area's figures) give each context goal the trajectory of its context series."""
    today = on or date.today()
    targets = _targets(evaluation)
    by_subject: dict[str, list[ItemState]] = {}
    for s in supervision:
        by_subject.setdefault(f"{s.milestone.subject.kind}:{s.milestone.subject.id}",
                              []).append(s)
    out = []
    for c in plan.all_commitments():
        kind, _, ref = c.judged_by.partition(":")
        overdue = c.due is not None and date(c.due, 12, 31) < today
        if c.kind == "context_goal":
            out.append(Judged(c, "context", "none", "grey",
                              trajectory=trajectory(plan, c.context, observations)))
        elif kind == "metric":
            tr = targets.get((ref, c.due or 0))
            st = target_status(tr) if tr is not None else "no_evidence"
            out.append(Judged(c, st, "none" if st == "no_evidence" else "evidence",
                              rag_of(st, overdue=overdue and st == "no_evidence",
                                     progress=tr.assessment.status if tr else None),
                              figure=figure_of(tr) if tr is not None else None))
        elif kind == "evidence":
            fact = facts.get(ref)
            st = fact_status(fact, c.due)
            out.append(Judged(c, st, "none" if fact is None else "evidence",
                              rag_of(st, overdue=overdue and fact is None), fact=fact))
        elif kind == "supervision":
            mine = by_subject.get(c.subject, [])
            same = [s for s in mine if c.due is not None and s.milestone.due.year == c.due]
            picked = (same or mine)[:1]
            reported = picked[0].status if picked else "not_reported"
            out.append(Judged(c, reported,
                              "supervision" if reported != "not_reported" else "none",
                              rag_of(reported, overdue=bool(picked) and picked[0].overdue),
                              reported=reported,
                              supervision_items=[s.milestone.id for s in picked]))
        else:
            out.append(Judged(c, "no_evidence", "none", rag_of("no_evidence", overdue=overdue)))
    return out


def trajectory(plan: Plan, series: Sequence[str],
               observations: Sequence[Observation]) -> list[dict[str, Any]]:
    """Each series with its name, unit, first and latest full-year (or year-end) figure and
    how many years are published — what a context goal shows, never a verdict. A series with
    no figure is listed with ``years`` 0: a gap, named."""
    from ..catalogue import known_series

    known = known_series(plan)
    out = []
    for sid in series:
        m = known.get(sid)
        by_year: dict[int, float] = {}
        for o in sorted((o for o in observations if o.indicator == sid),
                        key=lambda o: (o.period.end, o.known_at or o.vintage_at or _EPOCH)):
            by_year[o.period.end.year] = o.value  # the latest figure of each year
        years = sorted(by_year)
        out.append({
            "series": sid, "name": m.name.model_dump() if m else {"zh": sid, "en": sid},
            "unit": m.unit if m else None, "years": len(years),
            "first": [years[0], by_year[years[0]]] if years else None,
            "latest": [years[-1], by_year[years[-1]]] if years else None,
        })
    return out


def totals(rows: Sequence[Judged]) -> dict[str, Any]:
    """Counts for the summary: the checkable commitments (context goals excluded), how many
    are judged at all, from evidence, from supervision, and how many have no evidence."""
    checkable = [r for r in rows if r.commitment.kind != "context_goal"]
    n = len(checkable)
    evidence = sum(1 for r in checkable if r.judged_from == "evidence")
    supervised = sum(1 for r in checkable if r.judged_from == "supervision")
    return {
        "commitments": len(rows), "checkable": n, "context_goals": len(rows) - n,
        "judged": evidence + supervised, "with_evidence": evidence,
        "from_supervision": supervised, "without": n - evidence - supervised,
        "share_with_evidence": round(evidence / n, 3) if n else 0.0,
        "by_kind": dict(Counter(r.commitment.kind for r in rows)),
        "by_status": dict(Counter(r.status for r in rows)),
    }


def record(r: Judged) -> dict[str, Any]:
    """One commitment as the JSON of ``mic2025 coverage --format json``."""
    c = r.commitment
    return {
        "id": c.id, "kind": c.kind, "sector": c.sector, "judged_from": r.judged_from,
        "status": r.status, "rag": r.rag, "judged_by": c.judged_by, "due": c.due,
        "text": c.text.model_dump(), "note": c.note.model_dump() if c.note else None,
        "subject": c.subject,
        "subject_name": c.subject_name.model_dump(), "owner": c.owner,
        "owner_basis": c.owner_basis, "figure": r.figure,
        "fact": r.fact.model_dump(mode="json") if r.fact else None,
        "supervision_items": r.supervision_items, "context": list(c.context),
        "trajectory": r.trajectory,
        "scored": c.kind != "context_goal",
    }
