"""Warnings raised by approvals are a record: one row per evaluation of the early-warning
rules after approved vintages that raised at least one warning.

Until now each web process kept the warnings its own approvals raised in memory, so the
warnings page of one worker did not list another's, and with a writer process taking every
approval (``mic2025 serve --workers N``) no worker listed any. Append-only, as the other
follow-up records.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "raised_warning"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vintages", sa.Text(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raised_warning")),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {_TABLE}_no_{event.lower()} BEFORE {event} ON {_TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is append-only'); END"
            )
        return
    op.execute(
        f"CREATE FUNCTION {_TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_TABLE} is append-only'; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {_TABLE}_no_change BEFORE UPDATE OR DELETE ON {_TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {_TABLE}_append_only()"
    )
    op.execute(
        f"CREATE TRIGGER {_TABLE}_no_truncate BEFORE TRUNCATE ON {_TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_TABLE}_append_only()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_change ON {_TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_truncate ON {_TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {_TABLE}_append_only()")
    op.drop_table(_TABLE)
