"""The first schema: vintages and append-only observations.

Migrations are snapshots: they spell out column types instead of importing the models, so
changing a model later never changes what an old migration did.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "vintage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_new", sa.Integer(), nullable=False),
        sa.Column("rows_revised", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('import', 'bundled', 'estimate', 'manual')",
                           name=op.f("ck_vintage_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vintage")),
        sa.UniqueConstraint("sha256", name=op.f("uq_vintage_sha256")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("area", sa.String(12), nullable=False),
        sa.Column("sector", sa.String(12), nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("period_kind", sa.String(8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("source_date", sa.Date(), nullable=True),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("lower", sa.Double(), nullable=True),
        sa.Column("upper", sa.Double(), nullable=True),
        sa.Column("vintage_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["vintage_id"], ["vintage.id"],
                                name=op.f("fk_observation_vintage_id_vintage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_observation_key_vintage",
        "observation",
        ["indicator", "area", "sector", "period", "scope", "source", "vintage_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_observation_key_vintage", table_name="observation")
    op.drop_table("observation")
    op.drop_table("vintage")
