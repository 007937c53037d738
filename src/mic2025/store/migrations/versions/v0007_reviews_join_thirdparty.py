"""The platform's reviews join the third-party evaluation records: one system, not two.

A review (an evaluator's written judgement of one metric in one area, of one target year or
none, with a status rating or none) was a row of ``evaluation_review``, apart from the
third-party rounds and their scores. It becomes a record of the third-party evaluation:
``thirdparty_review``, append-only like the rounds and scores (triggers refusing UPDATE,
DELETE and TRUNCATE), and it may belong to a round (``round_id``, empty for a review written
outside any round — every review carried over from ``evaluation_review``). Every existing
review is copied with its id, author, metric, area, target year, rating, text and time;
``recorded_at`` is its ``created_at``. Then ``evaluation_review`` is dropped.

The downgrade copies the reviews back (those of a round lose the round) and drops the table.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mic2025.store.migrations.guards import append_only as _append_only

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "thirdparty_review"
_COLUMNS = "id, author, metric, area, target_year, rating, text, created_at"


def _stamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.String(64), nullable=True),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("area", sa.String(12), nullable=False),
        sa.Column("target_year", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _stamp("created_at"),
        _stamp("recorded_at"),
        sa.ForeignKeyConstraint(["round_id"], ["thirdparty_round.id"],
                                name=op.f("fk_thirdparty_review_round_id_thirdparty_round")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thirdparty_review")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_thirdparty_review_metric_area", _TABLE, ["metric", "area"])
    op.execute(f"INSERT INTO {_TABLE} ({_COLUMNS}, round_id, recorded_at) "
               f"SELECT {_COLUMNS}, NULL, created_at FROM evaluation_review")
    if op.get_bind().dialect.name == "postgresql":
        # the ids were copied: the next review takes the id after the highest
        op.execute(f"SELECT setval(pg_get_serial_sequence('{_TABLE}', 'id'), "
                   f"COALESCE((SELECT max(id) FROM {_TABLE}), 0) + 1, false)")
    op.drop_table("evaluation_review")
    _append_only(_TABLE)


def downgrade() -> None:
    op.create_table(
        "evaluation_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(100), nullable=False),
        sa.Column("area", sa.String(12), nullable=False),
        sa.Column("target_year", sa.Integer(), nullable=True),
        sa.Column("rating", sa.String(24), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _stamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_review")),
    )
    op.execute(f"INSERT INTO evaluation_review ({_COLUMNS}) SELECT {_COLUMNS} FROM {_TABLE}")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("SELECT setval(pg_get_serial_sequence('evaluation_review', 'id'), "
                   "COALESCE((SELECT max(id) FROM evaluation_review), 0) + 1, false)")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_change ON {_TABLE}")
        op.execute(f"DROP TRIGGER IF EXISTS {_TABLE}_no_truncate ON {_TABLE}")
        op.execute(f"DROP FUNCTION IF EXISTS {_TABLE}_append_only()")
    op.drop_index("ix_thirdparty_review_metric_area", table_name=_TABLE)
    op.drop_table(_TABLE)  # its SQLite triggers go with it
