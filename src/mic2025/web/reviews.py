"""Third-party evaluations: an evaluator's written judgement of a metric in an area."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from .. import reference
from ..plan import Plan
from ..store.db import begin_write
from ..store.platform import ReviewRow
from . import audit
from .permissions import Actor, Resource
from .submissions import Forbidden, WorkflowError

#: ratings an evaluator may give: the evaluation statuses, or none
RATINGS = ("", "achieved", "on_track", "needs_acceleration", "off_track", "insufficient_data")


def add_review(engine: Engine, plan: Plan, actor: Actor, *, metric: str, area: str | None,
               target_year: int | None, rating: str, text: str, ip: str = "") -> dict[str, Any]:
    """Record an evaluator's review of ``metric`` in ``area`` (default: the plan's area)."""
    from .permissions import allowed

    area = plan.area if area is None else area
    if not allowed(actor, "review:write", Resource("review", area=area)):
        raise Forbidden(f"{actor.username} may not write evaluations")
    try:
        m = plan.metric(metric)
    except KeyError:
        raise WorkflowError(f"no metric {metric!r} in the plan") from None
    reference.area(area)
    if target_year is not None and m.target(target_year) is None:
        raise WorkflowError(f"{metric} has no target for {target_year}")
    if rating not in RATINGS:
        raise WorkflowError(f"rating {rating!r} is not one of {', '.join(r for r in RATINGS if r)}")
    if not text.strip():
        raise WorkflowError("a review needs its text")
    stamp = datetime.now(UTC)
    values = dict(author=actor.username, metric=metric, area=area, target_year=target_year,
                  rating=rating, text=text.strip(), created_at=stamp)
    with begin_write(engine) as conn:
        rid = conn.execute(insert(ReviewRow).returning(ReviewRow.id).values(**values)).scalar_one()
        audit.record(conn, actor, "review.create", "review", str(rid), before=None,
                     after={k: v for k, v in values.items() if k != "created_at"}, ip=ip)
    return {"id": int(rid), **values}


def list_reviews(engine: Engine, *, metric: str | None = None, area: str | None = None
                 ) -> list[dict[str, Any]]:
    query = select(ReviewRow).order_by(ReviewRow.id.desc())
    if metric:
        query = query.where(ReviewRow.metric == metric)
    if area:
        query = query.where(ReviewRow.area == area)
    with engine.connect() as conn:
        return [{"id": r.id, "author": r.author, "metric": r.metric, "area": r.area,
                 "target_year": r.target_year, "rating": r.rating, "text": r.text,
                 "created_at": r.created_at} for r in conn.execute(query)]
