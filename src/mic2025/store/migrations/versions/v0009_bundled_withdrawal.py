"""A new bundled release supersedes the earlier one: withdrawal rows.

The bundled evidence is re-sourced between releases: figures are dropped and figures are
re-keyed (their key's ``source`` is the citation's key). A store that loaded an earlier
release would otherwise keep the old figures in its latest view for ever, beside the new ones.
So a bundled vintage now *withdraws* every key an earlier bundled vintage left as the latest
and the new release no longer carries: it writes, under the new vintage, one more row of that
key with ``withdrawn`` true (a copy of the row withdrawn). The latest view leaves out a key
whose latest row is a withdrawal; an as-of view from before it still shows the figure. Nothing
is updated or deleted, so both tables stay append-only (migration 0005's triggers are kept):
adding the columns with a default touches no stored row.

``vintage.rows_withdrawn`` counts a vintage's withdrawal rows (0 for every earlier vintage).

The downgrade drops both columns: the withdrawal rows stay as ordinary copies of the figures
they withdrew, so the withdrawn figures come back into the latest view.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("observation", sa.Column("withdrawn", sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.add_column("vintage", sa.Column("rows_withdrawn", sa.Integer(), nullable=False,
                                       server_default="0"))


def downgrade() -> None:
    op.execute("ALTER TABLE vintage DROP COLUMN rows_withdrawn")
    op.execute("ALTER TABLE observation DROP COLUMN withdrawn")
