"""The follow-up writes: a supervision milestone's status update, and the third-party
evaluation's records — a round, a score in a round, and a written review of a metric (in a
round or outside any: since migration 0007 the platform's reviews are records of the one
third-party evaluation system).

Each checks :func:`~mic2025.permissions.require` — ``milestone:update`` within the
milestone's responsible body, ``round:create`` (opening and closing a round), ``score:write``
(scores and reviews) — and
writes the record with its audit entry in one writer transaction. Who reports, creates,
scores or reviews is the actor: an account of the platform, or the account a command acts
as (``mic2025 --as USER``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from .. import reference
from ..errors import StoreError
from ..evaluate.methods import DEFAULT_METHOD
from ..followup import supervision as sv
from ..followup import thirdparty as tp
from ..followup.common import FollowupError
from ..permissions import Actor, Resource, require
from ..plan import Plan
from ..store.audit import record
from ..store.db import begin_write
from ..store.followup import EvaluationRound, RoundClosedError, Score, SupervisionUpdate
from ..store.repo import Store
from ..store.reviews import Review, insert_review, reviews
from .submissions import WorkflowError


def update_milestone(store: Store, actor: Actor, seed: sv.SupervisionFile, seed_path: Path,
                     item: str, *, status: str, comment: str, evidence: Sequence[str] = (),
                     at: datetime | None = None, ip: str = "") -> SupervisionUpdate:
    """Append a status update of milestone ``item``, reported by ``actor``; audited.

    ``at`` (aware) is when the update was made; default: the moment it is written.
    """
    milestone = seed.item(item)
    require(actor, "milestone:update", Resource("milestone", body=milestone.owner))
    if status not in sv.STATUSES:
        raise FollowupError(f"status {status!r} is not one of {', '.join(sv.STATUSES)}"
                            ).saying("error.milestone_status", status=status,
                                     statuses=", ".join(sv.STATUSES))
    sha = sv.seed_sha256(seed_path)
    try:
        with begin_write(store.engine) as conn:
            history = store.supervision_updates(item)
            before = history[-1].status if history else milestone.status
            upd = store.append_supervision_update(
                item=item, status=status, comment=comment, by=actor.username,
                evidence=list(evidence), seed_version=seed.version, seed_sha256=sha, at=at,
                connection=conn)
            record(conn, actor, "milestone.update", "milestone", item,
                   before={"status": before}, after=upd.model_dump(mode="json"),
                   comment=comment, ip=ip)
    except StoreError as exc:
        raise FollowupError(str(exc)).saying("error.store_refused") from None
    return upd


def create_round(store: Store, plan: Plan, actor: Actor, round_id: str, *, as_of: datetime,
                 title: str = "", rubric_path: str | Path | None = None,
                 method: str = DEFAULT_METHOD, ip: str = "") -> tp.Round:
    """Freeze a round on the data vintage at ``as_of`` and store it, created by ``actor``."""
    require(actor, "round:create", Resource("round"))
    # evaluated before the writer lock is taken: other writers need not wait for it
    rnd = tp.freeze_round(store, plan, round_id=round_id, as_of=as_of,
                          created_by=actor.username, title=title, rubric_path=rubric_path,
                          method=method)
    try:
        with begin_write(store.engine) as conn:
            store.add_round(tp.stored_round(rnd), connection=conn)
            record(conn, actor, "round.create", "round", round_id, before=None,
                   after={"id": rnd.id, "as_of": rnd.as_of.isoformat(),
                          "plan_version": rnd.plan_version}, ip=ip)
    except StoreError as exc:
        if store.round(round_id) is not None:  # another request stored it meanwhile
            raise FollowupError(str(exc)).saying("error.round_exists", round=round_id) from None
        raise FollowupError(str(exc)).saying("error.store_refused") from None
    return rnd


def add_score(store: Store, actor: Actor, round_id: str, *, item: str, criterion: str,
              score: int, comment: str = "", at: datetime | None = None,
              ip: str = "") -> Score:
    """Append ``actor``'s score of ``item`` on ``criterion`` in a round (a later score of the
    same evaluator, item and criterion supersedes it when results are read); audited."""
    require(actor, "score:write", Resource("round"))
    rnd = tp.load_round(store, round_id)
    tp.check_score(rnd, evaluator=actor.username, item=item, criterion=criterion, score=score)
    try:
        with begin_write(store.engine) as conn:
            s = store.append_score(round=round_id, evaluator=actor.username, item=item,
                                   criterion=criterion, score=score, comment=comment, at=at,
                                   connection=conn)
            record(conn, actor, "score.create", "round", round_id, before=None,
                   after=s.model_dump(mode="json"), comment=comment, ip=ip)
    except RoundClosedError as exc:
        raise tp.RoundClosed(str(exc), round_id=exc.round_id, closed_at=exc.closed_at,
                             closed_by=exc.closed_by).saying(
            "error.round_closed_score", round=exc.round_id, by=exc.closed_by,
            at=_when(exc.closed_at)) from None
    except StoreError as exc:
        raise FollowupError(str(exc)).saying("error.store_refused") from None
    return s


def close_round(store: Store, actor: Actor, round_id: str, *, comment: str = "",
                ip: str = "") -> EvaluationRound:
    """Close a round, by ``actor`` (``round:create``, as opening it): it then takes no score,
    its scores and frozen document stay as they are; audited."""
    require(actor, "round:create", Resource("round"))
    try:
        with begin_write(store.engine) as conn:
            rec = store.close_round(round_id, by=actor.username, comment=comment,
                                    connection=conn)
            record(conn, actor, "round.close", "round", round_id, before={"closed": False},
                   after={"closed": True, "closed_at": rec.closed_at.isoformat()
                          if rec.closed_at else None}, comment=comment, ip=ip)
    except StoreError as exc:
        # said by what the store holds: no such round, or closed before (by whom, when)
        known = store.round(round_id)
        if known is None:
            raise FollowupError(str(exc)).saying("error.no_round", round=round_id) from None
        if known.closed_at is not None:
            raise FollowupError(str(exc)).saying(
                "error.round_already_closed", round=round_id, by=known.closed_by,
                at=_when(known.closed_at)) from None
        raise FollowupError(str(exc)).saying("error.store_refused") from None
    return rec


def _when(at: datetime | None) -> str:
    """An instant as an error shows it: UTC, to the minute (the same in both languages)."""
    return "" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


#: ratings a review may give: the evaluation statuses, or none
RATINGS = ("", "achieved", "on_track", "needs_acceleration", "off_track", "insufficient_data")


def add_review(store: Store, plan: Plan, actor: Actor, *, metric: str, area: str | None,
               target_year: int | None, rating: str, text: str, round: str | None = None,
               ip: str = "") -> Review:
    """Record ``actor``'s written review of ``metric`` in ``area`` (default: the plan's area),
    in evaluation round ``round`` or outside any (``score:write``, as a score); audited."""
    area = plan.area if area is None else area
    require(actor, "score:write", Resource("review", area=area))
    try:
        m = plan.metric(metric)
    except KeyError:
        raise WorkflowError(f"no metric {metric!r} in the plan").saying(
            "error.unknown_metric", metric=metric) from None
    reference.area(area)
    if target_year is not None and m.target(target_year) is None:
        raise WorkflowError(f"{metric} has no target for {target_year}").saying(
            "error.no_target", indicator=m.name, year=target_year)
    if rating not in RATINGS:
        raise WorkflowError(f"rating {rating!r} is not one of "
                            f"{', '.join(r for r in RATINGS if r)}").saying(
            "error.rating", rating=rating, ratings=", ".join(r for r in RATINGS if r))
    if not text.strip():
        raise WorkflowError("a review needs its text").saying("error.review_text")
    if round is not None:
        tp.load_round(store, round)  # refuses an unknown round, naming the known ones
    with begin_write(store.engine) as conn:
        r = insert_review(conn, round=round, author=actor.username, metric=metric, area=area,
                          target_year=target_year, rating=rating, text=text.strip(),
                          created_at=datetime.now(UTC))
        record(conn, actor, "review.create", "review", str(r.id), before=None,
               after=r.model_dump(mode="json", exclude={"id", "created_at", "round"}
                                  if round is None else {"id", "created_at"}), ip=ip)
    return r


def list_reviews(store: Store, *, metric: str | None = None, area: str | None = None,
                 round: str | None = None) -> list[Review]:
    """Reviews, newest first (filtered in the store)."""
    return reviews(store.engine, metric=metric, area=area, round=round)
