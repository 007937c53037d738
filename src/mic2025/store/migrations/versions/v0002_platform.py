"""The multi-user platform: accounts, role grants, sessions, API tokens, log-in attempts,
the append-only audit log, submissions, deadlines and evaluators' reviews.

The audit log refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE) through triggers, so
"append-only" holds for every client of the database, not only for mic2025's own code.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mic2025.store.migrations.guards import append_only as _append_only

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_ROLES = "('admin', 'analyst', 'prov_editor', 'prov_approver', 'enterprise', 'evaluator')"


def _stamp(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        _stamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("area", sa.String(12), nullable=False),
        sa.Column("enterprise", sa.String(18), nullable=False),
        sa.CheckConstraint(f"role IN {_ROLES}", name=op.f("ck_role_grant_role")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_role_grant_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
        sa.UniqueConstraint("user_id", "role", "area", "enterprise",
                            name=op.f("uq_role_grant_user_id_role_area_enterprise")),
    )
    op.create_table(
        "web_session",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _stamp("created_at"),
        _stamp("expires_at"),
        _stamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_web_session_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        _stamp("created_at"),
        _stamp("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_api_token_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        _stamp("at"),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index("ix_login_attempt_username_at", "login_attempt", ["username", "at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        _stamp("at"),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(64), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("area", sa.String(12), nullable=False),
        sa.Column("enterprise", sa.String(18), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.Column("submitted_by", sa.String(64), nullable=False),
        _stamp("submitted_at", nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=False),
        _stamp("decided_at", nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("vintage_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'submitted', 'returned', 'approved')",
                           name=op.f("ck_submission_status")),
        sa.CheckConstraint("kind IN ('province', 'enterprise')", name=op.f("ck_submission_kind")),
        sa.ForeignKeyConstraint(["vintage_id"], ["vintage.id"],
                                name=op.f("fk_submission_vintage_id_vintage")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
    )
    op.create_index("ix_submission_area_year", "submission", ["area", "year"])
    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(12), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        _stamp("set_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadline")),
        sa.UniqueConstraint("year", "area", name=op.f("uq_deadline_year_area")),
    )
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
    _append_only("audit_log")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    for table in ("evaluation_review", "deadline"):
        op.drop_table(table)
    op.drop_index("ix_submission_area_year", table_name="submission")
    op.drop_table("submission")
    op.drop_table("audit_log")  # its SQLite triggers go with it
    op.drop_index("ix_login_attempt_username_at", table_name="login_attempt")
    for table in ("login_attempt", "api_token", "web_session", "role_grant", "app_user"):
        op.drop_table(table)
