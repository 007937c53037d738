"""The audit log: every write, who made it, when, and the resource before and after.

:func:`record` is called (by :mod:`mic2025.services` only) inside the writer transaction of
the change it describes, so a change and its audit entry commit together or not at all. The
table refuses UPDATE and DELETE at the database level (migration 0002); this module only
ever inserts.

The log is a hash chain (migration 0006): each entry stores ``entry_hash``, the sha256 of
the previous entry's hash (:data:`GENESIS` for the first) followed by :func:`canonical` of
its own fields. :func:`record` computes it under the writers' lock, so entries chain in the
order they commit; :func:`verify` recomputes the chain and names the first entry where it
breaks — an entry changed, removed or inserted by a client other than mic2025, or stamped
earlier than the entry before it. A trigger also refuses, at the database, an INSERT stamped
earlier than the latest entry. The chain has no secret key: it shows tampering by anyone who
cannot rewrite every later entry too, not by someone who can recompute the whole log.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, Integer, bindparam, func, insert, select, text

from ..permissions import Actor
from . import notices
from .db import take_write_lock
from .models import UTCDateTime
from .platform import AuditRow

#: the columns of an entry, in order (the CSV export's columns)
EXPORT_COLUMNS = ("id", "at", "actor", "via", "action", "resource", "resource_id", "before",
                  "after", "comment", "ip")
#: the fields an entry's hash covers, in this order (everything but its id and its hash)
CHAINED = ("at", "actor", "actor_id", "via", "action", "resource", "resource_id", "before",
           "after", "comment", "ip")
#: the "previous hash" of the first entry
GENESIS = "0" * 64


def _json(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def canonical(fields: Mapping[str, Any]) -> str:
    """An entry's fields as one text: a compact JSON array in :data:`CHAINED` order, the time
    in UTC with microseconds (as both engines keep it)."""
    at = fields["at"]
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    values = [at.isoformat(timespec="microseconds"), *(fields[f] for f in CHAINED[1:])]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def link(previous: str, fields: Mapping[str, Any]) -> str:
    """The hash of an entry whose predecessor's hash is ``previous``."""
    return hashlib.sha256((previous + canonical(fields)).encode("utf-8")).hexdigest()


def record(conn: Connection, actor: Actor, action: str, resource: str, resource_id: str, *,
           before: Mapping[str, Any] | None, after: Mapping[str, Any] | None,
           comment: str = "", ip: str = "", subject: Any = None) -> None:
    """Append one entry, in the caller's (writer) transaction, chained to the latest one.

    ``subject``: the submission as it is after the step, when the caller has it (its
    notices are then written without reading it again)."""
    take_write_lock(conn)  # already held in a writer transaction; the chain needs it
    values: dict[str, Any] = {
        "at": datetime.now(UTC), "actor": actor.username[:64], "actor_id": actor.id,
        "via": actor.via[:16], "action": action, "resource": resource,
        "resource_id": str(resource_id)[:64], "before": _json(before), "after": _json(after),
        "comment": comment, "ip": ip[:64],
    }
    if conn.dialect.name == "postgresql":
        at = _append_on_server(conn, values)
    else:
        last = conn.execute(select(AuditRow.at, AuditRow.entry_hash)
                            .order_by(AuditRow.id.desc()).limit(1)).first()
        if last is not None and values["at"] < last.at:
            values["at"] = last.at  # this host's clock is behind the one that wrote the latest
        values["entry_hash"] = link(GENESIS if last is None else last.entry_hash, values)
        conn.execute(insert(AuditRow).values(**values))
        at = values["at"]
    # the step's notices (an inbox per account) commit with the step and its entry
    notices.from_audit(conn, actor=values["actor"], action=action, resource=resource,
                       resource_id=values["resource_id"], comment=comment, at=at,
                       submission=subject)


#: :func:`record` on PostgreSQL: the latest entry read and the new one chained to it and
#: written in one statement (one round trip, where a read then a write were two inside the
#: writers' turn). The time is this host's, or the latest entry's where this clock is behind
#: it; the hash is :func:`link`'s: sha256 of the previous hash followed by :func:`canonical`,
#: whose first element (the time, in UTC with microseconds) the server writes and the rest
#: of which (``rest``: the canonical array without its first element and its ``[``) comes
#: from here. :func:`verify` recomputes it in Python, so the two cannot drift unnoticed.
_APPEND_ON_SERVER = text("""
INSERT INTO audit_log (at, actor, actor_id, via, action, resource, resource_id, before, after,
                       comment, ip, entry_hash)
SELECT s.at, :actor, :actor_id, :via, :action, :resource, :resource_id, :before, :after,
       :comment, :ip,
       encode(sha256(convert_to(
           s.prev || '["' || to_char(s.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
           || '+00:00",' || :rest, 'UTF8')), 'hex')
FROM (SELECT GREATEST(:at, h.at) AS at, COALESCE(h.entry_hash, :genesis) AS prev
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT a.at, a.entry_hash FROM audit_log AS a
                         ORDER BY a.id DESC LIMIT 1) AS h ON true) AS s
RETURNING at
""").bindparams(bindparam("at", type_=UTCDateTime()),
                bindparam("actor_id", type_=Integer()))


def _append_on_server(conn: Connection, values: Mapping[str, Any]) -> datetime:
    """Append the entry of ``values`` (its time a lower bound) on PostgreSQL; its time."""
    rest = json.dumps([values[f] for f in CHAINED[1:]], ensure_ascii=False,
                      separators=(",", ":"))[1:]
    at = conn.execute(_APPEND_ON_SERVER, {**values, "rest": rest, "genesis": GENESIS}
                      ).scalar_one()
    return at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Verification:
    """What :func:`verify` found: how many entries it checked, and the first broken link."""

    entries: int
    broken_at: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken_at is None


def verify(engine: Engine) -> Verification:
    """Recompute the chain from the first entry; stop at the first that does not fit."""
    query = select(AuditRow).order_by(AuditRow.id)
    previous_hash = GENESIS
    previous: Any = None  # the previous row
    count = 0
    seen: list[str] = []  # every hash so far, to tell an inserted entry from a changed one
    with engine.connect() as conn:
        for row in conn.execute(query):
            count += 1
            fields = {f: getattr(row, f) for f in CHAINED}
            if previous is not None and row.at < previous.at:
                return Verification(count, row.id, (
                    f"entry {row.id} is stamped {row.at.isoformat()}, earlier than entry "
                    f"{previous.id} before it ({previous.at.isoformat()}): back-dated, "
                    "written outside mic2025"))
            expected = link(previous_hash, fields)
            if row.entry_hash != expected:
                return Verification(count, row.id, _mismatch(row, fields, expected, previous,
                                                            seen))
            seen.append(expected)
            previous_hash, previous = expected, row
    return Verification(count)


def _mismatch(row: Any, fields: Mapping[str, Any], expected: str, previous: Any,
              seen: list[str]) -> str:
    where = (f"entry {row.id}: stored hash {str(row.entry_hash)[:16]}…, but its fields and "
             + ("the chain's start" if previous is None else f"entry {previous.id}'s hash")
             + f" give {expected[:16]}…; ")
    # the stored hash fits the fields and an earlier link: the entries in between were
    # inserted outside mic2025 (or the entry was moved)
    for back, earlier in enumerate(reversed([GENESIS, *seen[:-1]]), start=1):
        if row.entry_hash == link(earlier, fields):
            inserted = (f"the entry before it (id {previous.id}) was" if back == 1 else
                        f"the {back} entries before it were")
            return where + f"its own fields are intact, but {inserted} inserted outside mic2025"
    return where + ("its fields (at, actor, action, resource, before, after, comment, ip …) "
                    "were changed after it was written, it was inserted outside mic2025, or "
                    "an entry before it was removed")


class AuditEntry(BaseModel):
    """One entry of the audit log, as read back (also the API's answer for an entry)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

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
            before_id: int | None = None) -> list[AuditEntry]:
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
        return [AuditEntry.model_validate(r) for r in conn.execute(query)]


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(AuditRow)) or 0

