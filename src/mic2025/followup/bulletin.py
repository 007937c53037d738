"""The periodic monitoring bulletin (监测通报): what changed since an earlier state.

For a data vintage (``as_of``) and an earlier state of the store (``since``; default: just
before the latest vintage, :func:`previous_instant`), :func:`changes` lists the observations
new or revised since then, and :func:`status_counts` counts the targets by status and verdict.
The bulletin document is written by :mod:`mic2025.report.bulletin`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..evaluate.model import Evaluation
from ..observation import Observation
from .midterm import aware

STATUSES = ("achieved", "on_track", "needs_acceleration", "off_track", "insufficient_data")


def previous_instant(store: Any, as_of: datetime | None) -> datetime | None:
    """Just before the latest vintage known at ``as_of`` (None when there is only one)."""
    vs = [v for v in store.vintages() if as_of is None or aware(v.created_at) <= as_of]
    if len(vs) < 2:
        return None
    return aware(vs[-1].created_at) - timedelta(microseconds=1)


def changes(store: Any, since: datetime | None, as_of: datetime | None
            ) -> list[tuple[str, Observation, Observation | None]]:
    """(``new`` | ``revised``, observation now, observation before) since ``since``."""
    now = store.observations(as_of=as_of)
    before = {o.key: o for o in store.observations(as_of=since)} if since else {}
    out: list[tuple[str, Observation, Observation | None]] = []
    for o in now:
        old = before.get(o.key)
        if old is None:
            out.append(("new", o, None))
        elif old.vintage != o.vintage:
            out.append(("revised", o, old))
    return out


def status_counts(ev: Evaluation) -> tuple[int, dict[str, int], dict[str, int]]:
    """(number of targets open or pending, their count by status, the decided ones' count by
    verdict)."""
    open_targets = [t for m in ev.results for t in m.targets if t.verdict in ("open", "pending")]
    decided = [t for m in ev.results for t in m.targets if t.verdict in ("achieved", "missed")]
    counts = {s: sum(1 for t in open_targets if t.assessment.status == s) for s in STATUSES}
    vcounts = {v: sum(1 for t in decided if t.verdict == v) for v in ("achieved", "missed")}
    return len(open_targets), counts, vcounts


def utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
