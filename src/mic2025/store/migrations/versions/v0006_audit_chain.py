"""The audit log becomes a hash chain, and refuses an entry stamped before the latest one.

Each entry gets ``entry_hash``: the sha256 of the previous entry's hash (64 zeros for the
first) followed by the canonical serialisation of the entry's own fields. Changing, removing
or inserting an entry anywhere in the log — even by a client that drops the append-only
triggers — breaks the chain at that entry, which ``mic2025 audit verify`` reports.

An INSERT whose ``at`` is earlier than that of the latest entry (by id) is refused by a
trigger: a forged, back-dated entry cannot be slipped in with plain SQL.

The hashes of the entries already in the log are computed here, in Python; the code is a
frozen copy of :func:`mic2025.web.audit.canonical` and :func:`~mic2025.web.audit.link` as
they were at this revision, so a later change of those cannot change what this migration did.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_GENESIS = "0" * 64
_FIELDS = ("at", "actor", "actor_id", "via", "action", "resource", "resource_id", "before",
           "after", "comment", "ip")
_ORDER_MESSAGE = ("audit_log is appended in time order: an entry may not be stamped earlier "
                  "than the latest one")


def _canonical(row: dict[str, object]) -> str:
    at = row["at"]
    assert isinstance(at, datetime)
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    values = [at.isoformat(timespec="microseconds"), *(row[f] for f in _FIELDS[1:])]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _link(previous: str, row: dict[str, object]) -> str:
    return hashlib.sha256((previous + _canonical(row)).encode("utf-8")).hexdigest()


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    # the hashes of existing entries are an UPDATE, which the append-only triggers refuse
    if sqlite:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
    op.add_column("audit_log", sa.Column("entry_hash", sa.String(64), nullable=True))
    table = sa.table("audit_log", sa.column("id", sa.Integer()),
                     sa.column("at", sa.DateTime(timezone=True)),
                     *(sa.column(f, sa.Text()) for f in _FIELDS[1:] if f != "actor_id"),
                     sa.column("actor_id", sa.Integer()), sa.column("entry_hash", sa.String(64)))
    conn = op.get_bind()
    previous = _GENESIS
    hashes = []
    for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings():
        previous = _link(previous, dict(row))
        hashes.append({"row_id": row["id"], "hash": previous})
    if hashes:
        conn.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                     .values(entry_hash=sa.bindparam("hash")), hashes)
    if sqlite:
        # SQLite cannot add NOT NULL to a column: the table is rebuilt (keeping AUTOINCREMENT)
        with op.batch_alter_table("audit_log", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}) as batch:
            batch.alter_column("entry_hash", existing_type=sa.String(64), nullable=False)
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        op.execute(
            "CREATE TRIGGER audit_log_in_order BEFORE INSERT ON audit_log "
            "WHEN NEW.at < (SELECT at FROM audit_log ORDER BY id DESC LIMIT 1) "
            f"BEGIN SELECT RAISE(ABORT, '{_ORDER_MESSAGE}'); END"
        )
        return
    op.alter_column("audit_log", "entry_hash", existing_type=sa.String(64), nullable=False)
    op.execute(
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE FUNCTION audit_log_in_order() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.at < (SELECT at FROM audit_log ORDER BY id DESC LIMIT 1) THEN "
        f"RAISE EXCEPTION '{_ORDER_MESSAGE}'; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_in_order BEFORE INSERT ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_in_order()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_in_order ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_in_order()")
        op.drop_column("audit_log", "entry_hash")
        return
    for trigger in ("audit_log_in_order", "audit_log_no_update", "audit_log_no_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    with op.batch_alter_table("audit_log", recreate="always",
                              table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("entry_hash")
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
