"""The follow-up records move into the store: supervision updates, third-party rounds, scores.

Until 0003 they were append-only JSON-lines files in a folder beside the store, which
several web workers on several hosts do not share, no transaction covers and no database
backup holds. These three tables take them over; ``mic2025 followup import-legacy`` copies
the old files in (``legacy_digest`` makes a second import write nothing). Like the audit
log, the tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) through triggers.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mic2025.store.migrations.guards import append_only as _append_only

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_STATUSES = "('not_reported', 'not_started', 'in_progress', 'completed', 'delayed')"
_TABLES = ("supervision_update", "thirdparty_round", "thirdparty_score")


def _stamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "supervision_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(200), nullable=False),
        _stamp("at"),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("seed_version", sa.String(100), nullable=False),
        sa.Column("seed_sha256", sa.String(64), nullable=False),
        _stamp("recorded_at"),
        sa.Column("legacy_digest", sa.String(64), nullable=True),
        sa.CheckConstraint(f"status IN {_STATUSES}", name=op.f("ck_supervision_update_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_update")),
        sa.UniqueConstraint("legacy_digest", name=op.f("uq_supervision_update_legacy_digest")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_supervision_update_item_at", "supervision_update", ["item", "at"])
    op.create_table(
        "thirdparty_round",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        _stamp("created_at"),
        sa.Column("created_by", sa.String(200), nullable=False),
        _stamp("as_of"),
        sa.Column("plan", sa.String(100), nullable=False),
        sa.Column("plan_version", sa.String(100), nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("rubric_sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        _stamp("recorded_at"),
        sa.Column("legacy_digest", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thirdparty_round")),
        sa.UniqueConstraint("legacy_digest", name=op.f("uq_thirdparty_round_legacy_digest")),
    )
    op.create_table(
        "thirdparty_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.String(64), nullable=False),
        sa.Column("evaluator", sa.String(200), nullable=False),
        sa.Column("item", sa.String(100), nullable=False),
        sa.Column("criterion", sa.String(100), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _stamp("at"),
        _stamp("recorded_at"),
        sa.Column("legacy_digest", sa.String(64), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["thirdparty_round.id"],
                                name=op.f("fk_thirdparty_score_round_id_thirdparty_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thirdparty_score")),
        sa.UniqueConstraint("legacy_digest", name=op.f("uq_thirdparty_score_legacy_digest")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_thirdparty_score_round_id_at", "thirdparty_score", ["round_id", "at"])
    for table in _TABLES:
        _append_only(table)


def downgrade() -> None:
    # Dropping the tables drops their records: a downgrade is for development stores only.
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in reversed(_TABLES):
        if postgres:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        if table == "thirdparty_score":
            op.drop_index("ix_thirdparty_score_round_id_at", table_name=table)
        if table == "supervision_update":
            op.drop_index("ix_supervision_update_item_at", table_name=table)
        op.drop_table(table)  # its SQLite triggers go with it
