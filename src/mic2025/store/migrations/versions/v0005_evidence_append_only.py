"""The evidence tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), as the audit log does.

``observation`` and ``vintage`` were append-only by mic2025's own code only: any other client
of the database could rewrite a figure in place, or delete the vintage that brought it, and
"what the store knew at a past moment" would silently change. mic2025 never updates or deletes
either table (a revision is a new row under a new vintage), so the triggers cost it nothing.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

from mic2025.store.migrations.guards import append_only as _append_only

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_TABLES = ("vintage", "observation")


def upgrade() -> None:
    for table in _TABLES:
        _append_only(table)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in _TABLES:
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
