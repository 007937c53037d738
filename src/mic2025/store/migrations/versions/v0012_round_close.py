"""Third-party rounds can be closed: one row per closed round, who closed it and when.

A round's own row is append-only (0004), so closing does not update it: the close is a
record of its own, keyed by the round (a round closes once), append-only in turn. A score
for a closed round is refused by the store.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mic2025.store.migrations.guards import append_only, drop_append_only

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "thirdparty_round_close"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("round_id", sa.String(64), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(200), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["thirdparty_round.id"],
                                name=op.f("fk_thirdparty_round_close_round_id_thirdparty_round")),
        sa.PrimaryKeyConstraint("round_id", name=op.f("pk_thirdparty_round_close")),
    )
    # the same guard as 0004's tables: a close is never undone or rewritten
    append_only(_TABLE)


def downgrade() -> None:
    drop_append_only(_TABLE)
    op.drop_table(_TABLE)  # its SQLite triggers go with it
