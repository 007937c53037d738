"""Third-party evaluations: an evaluator's written judgement of a metric in an area."""

from __future__ import annotations

from datetime import UTC, datetime

from .. import reference
from ..permissions import Actor, Resource, require
from ..plan import Plan
from ..store.audit import record
from ..store.db import StoreEngine, begin_write
from ..store.reviews import Review, insert_review, reviews
from .submissions import WorkflowError

#: ratings an evaluator may give: the evaluation statuses, or none
RATINGS = ("", "achieved", "on_track", "needs_acceleration", "off_track", "insufficient_data")


def add_review(engine: StoreEngine, plan: Plan, actor: Actor, *, metric: str,
               area: str | None, target_year: int | None, rating: str, text: str,
               ip: str = "") -> Review:
    """Record an evaluator's review of ``metric`` in ``area`` (default: the plan's area)."""
    area = plan.area if area is None else area
    require(actor, "review:write", Resource("review", area=area))
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
    with begin_write(engine) as conn:
        r = insert_review(conn, author=actor.username, metric=metric, area=area,
                          target_year=target_year, rating=rating, text=text.strip(),
                          created_at=datetime.now(UTC))
        record(conn, actor, "review.create", "review", str(r.id), before=None,
               after=r.model_dump(mode="json", exclude={"id", "created_at"}), ip=ip)
    return r


def list_reviews(engine: StoreEngine, *, metric: str | None = None, area: str | None = None
                 ) -> list[Review]:
    return reviews(engine, metric=metric, area=area)
