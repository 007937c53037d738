"""The audit log: every write, who made it, when, and the resource before and after.

:func:`record` is called inside the writer transaction of the change it describes, so a
change and its audit entry commit together or not at all. The table refuses UPDATE and
DELETE at the database level (migration 0002); this module only ever inserts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from ..store.platform import AuditRow
from ..tabular import csv_text
from .permissions import Actor

#: the columns of the CSV export, in order
EXPORT_COLUMNS = ("id", "at", "actor", "via", "action", "resource", "resource_id", "before",
                  "after", "comment", "ip")


def _json(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def record(conn: Connection, actor: Actor, action: str, resource: str, resource_id: str, *,
           before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
           comment: str = "", ip: str = "") -> None:
    """Append one entry, in the caller's transaction."""
    conn.execute(insert(AuditRow).values(
        at=datetime.now(UTC), actor=actor.username[:64], actor_id=actor.id,
        via=actor.via[:16], action=action, resource=resource, resource_id=str(resource_id)[:64],
        before=_json(before), after=_json(after), comment=comment, ip=ip[:64],
    ))


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    via: str
    action: str
    resource: str
    resource_id: str
    before: str | None
    after: str | None
    comment: str
    ip: str

    def row(self) -> list[str]:
        return [str(self.id), self.at.isoformat(), self.actor, self.via, self.action,
                self.resource, self.resource_id, self.before or "", self.after or "",
                self.comment, self.ip]


def entries(engine: Engine, *, actor: str | None = None, action: str | None = None,
            resource: str | None = None, since: date | None = None, limit: int | None = 200,
            before_id: int | None = None) -> list[Entry]:
    """Entries, newest first, filtered; ``before_id`` pages back from an entry."""
    query = select(AuditRow).order_by(AuditRow.id.desc())
    if actor:
        query = query.where(AuditRow.actor == actor)
    if action:
        query = query.where(AuditRow.action == action)
    if resource:
        query = query.where(AuditRow.resource == resource)
    if since is not None:
        query = query.where(AuditRow.at >= datetime(since.year, since.month, since.day,
                                                    tzinfo=UTC))
    if before_id is not None:
        query = query.where(AuditRow.id < before_id)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as conn:
        return [Entry(r.id, r.at, r.actor, r.via, r.action, r.resource, r.resource_id,
                      r.before, r.after, r.comment, r.ip) for r in conn.execute(query)]


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(AuditRow)) or 0


def to_csv(rows: list[Entry]) -> str:
    # audit cells hold user input: the shared writer shows it in a spreadsheet, never runs it
    return csv_text(EXPORT_COLUMNS, [e.row() for e in rows])
