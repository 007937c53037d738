"""Reporting status (报送与公布情况): which target-year figures are missing, since when, and who
publishes them.

Read from an evaluation: a target whose verdict is ``not_assessable`` with ``data_gap`` set is
a **gap** (its figure was due on ``due_date`` and is not in the store); a target whose verdict
is ``pending`` is **awaiting** publication until its due date. The publisher and publication
come from the metric's ``release`` in the plan (:class:`mic2025.plan.Release`). Targets
without a declared release, and targets already judged or still open, are not listed.

``mic2025 gaps`` prints these rows and the platform's reporting-status page shows them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..evaluate.model import Evaluation
from ..plan import Plan, Text

GapStatus = Literal["gap", "awaiting"]


class ReportingRow(BaseModel):
    """One target-year figure that is missing (``gap``) or not yet due (``awaiting``)."""

    model_config = ConfigDict(extra="forbid")

    status: GapStatus
    metric: str
    name: Text
    target_year: int
    missing_years: list[int]
    due_date: date
    days_overdue: int
    publisher: Text
    publication: Text
    frequency: Literal["yearly", "irregular"]
    release_note: Text | None = None


def reporting_status(plan: Plan, ev: Evaluation) -> list[ReportingRow]:
    """The gaps first (the longest overdue first), then what awaits publication (soonest due
    first). Overdue days count to the day the evaluation looks from (its as-of day, else the
    evaluation date)."""
    today = ev.as_of.date() if ev.as_of is not None else ev.evaluated_on
    rows = []
    for mr in ev.results:
        release = plan.metric(mr.metric).release
        if release is None:
            continue
        for tr in mr.targets:
            if tr.due_date is None or not (tr.data_gap or tr.verdict == "pending"):
                continue
            gap = tr.data_gap
            rows.append(ReportingRow(
                status="gap" if gap else "awaiting", metric=mr.metric, name=mr.name,
                target_year=tr.target_year,
                missing_years=tr.missing_years if gap else [tr.target_year],
                due_date=tr.due_date, days_overdue=max(0, (today - tr.due_date).days),
                publisher=release.publisher, publication=release.publication,
                frequency=release.frequency, release_note=release.note))
    return sorted(rows, key=lambda r: (r.status != "gap", r.due_date, r.metric, r.target_year))
