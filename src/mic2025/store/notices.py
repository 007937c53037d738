"""Notices: each account's inbox (migration 0011).

A notice is written in the same transaction as the step it reports: :func:`from_audit` is
called by :func:`mic2025.store.audit.record` for every audit entry, and turns the entries of
a submission's steps into notices for the people concerned — whatever code path took the step
(page, API, command, a later approval level), since every step is audited. Reminders of
deadlines are written by :func:`mic2025.services.notices.remind`.

Who is told:

* returned, approved, unlocked: whoever uploaded and whoever submitted it;
* approved by the province under two levels (the submission is then ``endorsed``): its
  editors are told it is endorsed and awaits national acceptance (``endorsed``), and the
  national approvers (``national_approver``) that it awaits them (``to_accept``);
* accepted at the national level: its editors and the province's approver who endorsed it;
* submitted: the province's approvers (``prov_approver`` of its area);
* never the person who took the step.

A notice keeps its ``kind`` and ``params`` rather than words, so it is shown in the reader's
language (``notice.<kind>`` in :mod:`mic2025.i18n.reading`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .platform import AuditRow, NoticeRow, RoleGrantRow, SubmissionRow, UserRow

#: audit actions on a submission that tell someone, and the notice's kind
STEP_KINDS = {
    "submission.return": "returned",
    "submission.approve": "approved",
    "submission.accept": "accepted",
    "submission.unlock": "unlocked",
    "submission.submit": "submitted",
}
#: notices for the national level: e-mailed to the owner directory's national entry (or its
#: fallback), not to the province's
NATIONAL_KINDS = ("to_accept",)
#: the notices an inbox page lists
INBOX_LIMIT = 200


@dataclass(frozen=True)
class Notice:
    id: int
    kind: str
    params: dict[str, Any]
    link: str
    created_at: datetime
    read: bool


def insert_notice(conn: Connection, *, username: str, kind: str, key: str,
                  params: dict[str, Any], link: str = "", at: datetime | None = None) -> bool:
    """Store a notice unless ``username`` already has one under ``key``; True when stored.

    One statement (``INSERT … ON CONFLICT DO NOTHING`` on the unique username and key):
    notices are written inside the workflow's writer transactions."""
    values = dict(username=username[:64], kind=kind, key=key[:200],
                  params=json.dumps(params, ensure_ascii=False, default=str), link=link,
                  created_at=at or datetime.now(UTC))
    dialect = conn.dialect.name
    if dialect in _UPSERT:
        # a row comes back only when one was inserted (rowcount is not to be trusted here:
        # psycopg's went 1 for a skipped row through SQLAlchemy)
        done = conn.execute(_UPSERT[dialect](NoticeRow).values(**values)
                            .on_conflict_do_nothing(index_elements=["username", "key"])
                            .returning(NoticeRow.id))
        return done.first() is not None
    known = conn.scalar(select(NoticeRow.id).where(NoticeRow.username == values["username"],
                                                   NoticeRow.key == values["key"]))
    if known is not None:
        return False
    conn.execute(insert(NoticeRow).values(**values))
    return True


#: the dialects' ``INSERT … ON CONFLICT``
_UPSERT: dict[str, Any] = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def from_audit(conn: Connection, *, actor: str, action: str, resource: str, resource_id: str,
               comment: str, at: datetime, submission: Any = None) -> int:
    """The notices an audit entry gives rise to, written in its transaction; how many.

    ``submission``: the submission after the step (its ``id``, ``area``, ``year``,
    ``status``, ``created_by`` and ``submitted_by``), read from the store when not given."""
    kind = STEP_KINDS.get(action)
    if kind is None or resource != "submission":
        return 0
    sub = submission if submission is not None and str(submission.id) == resource_id else \
        conn.execute(select(SubmissionRow.id, SubmissionRow.area, SubmissionRow.year,
                            SubmissionRow.status, SubmissionRow.created_by,
                            SubmissionRow.submitted_by)
                     .where(SubmissionRow.id == int(resource_id))).first()
    if sub is None:
        return 0
    editors_of = [sub.created_by, sub.submitted_by]
    told: dict[str, list[str]] = {}
    if kind == "submitted":
        told[kind] = approvers(conn, sub.area)
    elif kind == "approved" and sub.status == "endorsed":  # the first of two levels
        told["endorsed"] = editors_of
        told["to_accept"] = national_approvers(conn)
    elif kind == "accepted":
        told[kind] = [*editors_of, *_endorsers(conn, sub.id)]
    else:
        told[kind] = editors_of
    params = {"id": sub.id, "area": sub.area, "year": sub.year, "actor": actor,
              "comment": comment}
    key = f"{action}|{sub.id}|{at.isoformat()}"
    written = 0
    for what, recipients in told.items():
        for name in dict.fromkeys(r for r in recipients if r and r != actor):
            written += insert_notice(conn, username=name, kind=what, key=key, params=params,
                                     link=f"/submissions/{sub.id}", at=at)
    return written


def _endorsers(conn: Connection, submission_id: int) -> list[str]:
    """Who approved the submission for its province: the actors of its approval entries (the
    row's ``decided_by`` is the national approver's by the time it is accepted)."""
    return list(conn.scalars(
        select(AuditRow.actor).where(AuditRow.action == "submission.approve",
                                     AuditRow.resource == "submission",
                                     AuditRow.resource_id == str(submission_id))
        .order_by(AuditRow.id.desc()).limit(1)))


def national_approvers(conn: Connection) -> list[str]:
    """The enabled accounts that accept submissions at the national level."""
    return list(conn.scalars(
        select(UserRow.username).join(RoleGrantRow, RoleGrantRow.user_id == UserRow.id)
        .where(RoleGrantRow.role == "national_approver", UserRow.disabled.is_(False))
        .order_by(UserRow.username)))


def approvers(conn: Connection, area: str) -> list[str]:
    """The enabled accounts that approve ``area``'s submissions."""
    return list(conn.scalars(
        select(UserRow.username).join(RoleGrantRow, RoleGrantRow.user_id == UserRow.id)
        .where(RoleGrantRow.role == "prov_approver", RoleGrantRow.area == area,
               UserRow.disabled.is_(False)).order_by(UserRow.username)))


def editors(conn: Connection, area: str) -> list[str]:
    """The enabled accounts that upload and submit ``area``'s figures."""
    return list(conn.scalars(
        select(UserRow.username).join(RoleGrantRow, RoleGrantRow.user_id == UserRow.id)
        .where(RoleGrantRow.role == "prov_editor", RoleGrantRow.area == area,
               UserRow.disabled.is_(False)).order_by(UserRow.username)))


def _notice(row: Any) -> Notice:
    return Notice(row.id, row.kind, json.loads(row.params), row.link, row.created_at,
                  row.read_at is not None)


def inbox(engine: Engine, username: str, limit: int = INBOX_LIMIT) -> list[Notice]:
    """``username``'s notices, newest first."""
    query = (select(*NoticeRow.__table__.columns).where(NoticeRow.username == username)
             .order_by(NoticeRow.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [_notice(r) for r in conn.execute(query)]


def unread(engine: Engine, username: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count(NoticeRow.id)).where(
            NoticeRow.username == username, NoticeRow.read_at.is_(None))) or 0)


def mark_read(conn: Connection, username: str, at: datetime) -> int:
    """Mark every unread notice of ``username`` read; how many."""
    done = conn.execute(update(NoticeRow).where(NoticeRow.username == username,
                                                NoticeRow.read_at.is_(None))
                        .values(read_at=at))
    return int(done.rowcount or 0)


def not_emailed(engine: Engine, limit: int = 500) -> list[tuple[str, Notice]]:
    """Notices not yet e-mailed, oldest first, with their recipient."""
    query = (select(*NoticeRow.__table__.columns).where(NoticeRow.emailed_at.is_(None))
             .order_by(NoticeRow.id).limit(limit))
    with engine.connect() as conn:
        return [(r.username, _notice(r)) for r in conn.execute(query)]


def claim_email(conn: Connection, notice_id: int, at: datetime) -> bool:
    """Mark one notice e-mailed unless another process did first: True when this one may
    send it (so two servers never send the same notice twice)."""
    done = conn.execute(update(NoticeRow).where(NoticeRow.id == notice_id,
                                                NoticeRow.emailed_at.is_(None))
                        .values(emailed_at=at))
    return bool(done.rowcount)
