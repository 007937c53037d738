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

from mic2025.store.migrations.guards import append_only, drop_append_only

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
    append_only(_TABLE)


def downgrade() -> None:
    drop_append_only(_TABLE)
    op.drop_table(_TABLE)
