"""The follow-up writes: a supervision milestone's status update, a third-party evaluation
round, and a score in a round.

Each checks :func:`~mic2025.permissions.require` — ``milestone:update`` within the
milestone's responsible body, ``round:create``, ``score:write`` — and writes the record with
its audit entry in one writer transaction. Who reports, creates or scores is the actor: an
account of the platform, or the account a command acts as (``mic2025 --as USER``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ..errors import StoreError
from ..evaluate.methods import DEFAULT_METHOD
from ..followup import supervision as sv
from ..followup import thirdparty as tp
from ..followup.common import FollowupError
from ..permissions import Actor, Resource, require
from ..plan import Plan
from ..store.audit import record
from ..store.db import begin_write
from ..store.followup import Score, SupervisionUpdate
from ..store.repo import Store


def update_milestone(store: Store, actor: Actor, seed: sv.SupervisionFile, seed_path: Path,
                     item: str, *, status: str, comment: str, evidence: Sequence[str] = (),
                     at: datetime | None = None, ip: str = "") -> SupervisionUpdate:
    """Append a status update of milestone ``item``, reported by ``actor``; audited.

    ``at`` (aware) is when the update was made; default: the moment it is written.
    """
    milestone = seed.item(item)
    require(actor, "milestone:update", Resource("milestone", body=milestone.owner))
    if status not in sv.STATUSES:
        raise FollowupError(f"status {status!r} is not one of {', '.join(sv.STATUSES)}")
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
        raise FollowupError(str(exc)) from None
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
        raise FollowupError(str(exc)) from None
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
    except StoreError as exc:
        raise FollowupError(str(exc)) from None
    return s
