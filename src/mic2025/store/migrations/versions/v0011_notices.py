"""Notices: what each account's inbox holds (a submission returned, approved, accepted or
awaiting approval; a reporting deadline near), and whether it was read and e-mailed.

``notice`` is one row per recipient and notice. ``key`` says which event it is
(``submission.return|12|2025-01-03T…``, ``reminder|2024|440000|7``); (username, key) is
unique, so a reminder computed twice is stored once. Reading sets ``read_at``; the mail
step sets ``emailed_at``. Nothing else is ever changed.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
        sa.UniqueConstraint("username", "key", name=op.f("uq_notice_username_key")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_notice_username_id", "notice", ["username", "id"])


def downgrade() -> None:
    op.drop_index("ix_notice_username_id", table_name="notice")
    op.drop_table("notice")
