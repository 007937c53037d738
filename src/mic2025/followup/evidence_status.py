"""The status a commitment or a milestone takes from evidence — the evaluation's verdict on a
metric's target, or a dated public fact — and its red/amber/green: one set of rules shared by
the coverage list (:mod:`.coverage`) and supervision (:mod:`.supervision`).

Statuses: ``met`` (``met_late`` when only a later year's figure or a later fact shows it),
``missed``, ``pending`` (the figure is not due yet), ``open`` (the target year is ahead and
there are figures), ``in_place`` (a standing mechanism with its founding fact) and
``no_evidence``.
"""

from __future__ import annotations

from typing import Any, Literal

from ..evaluate.model import TargetResult
from ..facts import Fact

#: statuses that come from evidence, in the order the pages list them
EVIDENCE_STATUSES = ("met", "met_late", "missed", "pending", "open", "in_place", "no_evidence")
RAG = Literal["green", "amber", "red", "grey"]


def target_status(tr: TargetResult) -> str:
    """A metric target's evidence status from the evaluation's verdict."""
    if tr.verdict == "achieved":
        late = tr.verdict_year is not None and tr.verdict_year > tr.target_year
        return "met_late" if late else "met"
    if tr.verdict == "missed":
        return "missed"
    if tr.verdict == "pending":
        return "pending"
    if tr.verdict == "open":
        return "no_evidence" if tr.assessment.latest_year is None else "open"
    return "no_evidence"


def fact_status(fact: Fact | None, due: int | None) -> str:
    if fact is None:
        return "no_evidence"
    if due is None:
        return "in_place"
    return "met" if fact.date.year <= due else "met_late"


def figure_of(tr: TargetResult) -> dict[str, Any]:
    """What a page shows of the figure a status rests on."""
    obs = [p for p in tr.series if p.source != "plan"]
    a = tr.assessment
    return {"metric": tr.metric, "target_year": tr.target_year, "verdict": tr.verdict,
            "status": a.status, "latest_year": a.latest_year, "latest_value": a.latest_value,
            "target": tr.target_value, "source": obs[-1].source if obs else None}


def rag_of(status: str, *, overdue: bool = False, progress: str | None = None) -> str:
    """Red, amber or green for an evidence or reported status (grey: not scored / unknown)."""
    if status in ("met", "in_place", "completed"):
        return "green"
    if status == "open":
        return {"off_track": "red", "needs_acceleration": "amber"}.get(progress or "", "green")
    if status in ("missed", "delayed") or overdue:
        return "red"
    if status in ("met_late", "pending", "in_progress", "not_started"):
        return "amber"
    return "grey"
