"""What several migrations install the same way: the triggers that keep a table append-only.

Each migration that makes a record table calls :func:`append_only` on it (and its downgrade
:func:`drop_append_only`), so that the database itself refuses UPDATE and DELETE (and
TRUNCATE on PostgreSQL), whatever client writes to it, as it does for the audit log.
Migrations 0002, 0004, 0005 and 0007 install theirs with it too (each had its own copy).
"""

from __future__ import annotations

from alembic import op


def append_only(table: str) -> None:
    """Triggers that refuse any change to ``table``'s rows (in the migration's connection)."""
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
    )


def drop_append_only(table: str) -> None:
    """Undo :func:`append_only` on PostgreSQL (SQLite's triggers go with their table)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
