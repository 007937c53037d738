"""The follow-up machinery on the platform: editors of a responsible body.

Supervision milestones belong to responsible bodies (a ministry such as ``miit``); the
national administrator and that body's editors may post their status updates. This adds the
role ``body_editor`` and a ``body`` column to ``role_grant`` (empty for every other role).

The follow-up records themselves (supervision updates, third-party rounds and scores) stay in
the library's append-only JSON-lines files beside the store (``mic2025.followup.common``).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_OLD = ("admin", "analyst", "prov_editor", "prov_approver", "enterprise", "evaluator")
_NEW = (*_OLD, "body_editor")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("role_grant", recreate="auto") as batch:
        batch.add_column(sa.Column("body", sa.String(32), nullable=False, server_default=""))
        batch.drop_constraint(op.f("ck_role_grant_role"), type_="check")
        batch.create_check_constraint(op.f("ck_role_grant_role"), f"role IN {_in(_NEW)}")
        batch.drop_constraint(op.f("uq_role_grant_user_id_role_area_enterprise"), type_="unique")
        batch.create_unique_constraint(op.f("uq_role_grant_user_id_role_area_enterprise_body"),
                                       ["user_id", "role", "area", "enterprise", "body"])


def downgrade() -> None:
    op.execute("DELETE FROM role_grant WHERE role = 'body_editor'")
    with op.batch_alter_table("role_grant", recreate="auto") as batch:
        batch.drop_constraint(op.f("uq_role_grant_user_id_role_area_enterprise_body"),
                              type_="unique")
        batch.create_unique_constraint(op.f("uq_role_grant_user_id_role_area_enterprise"),
                                       ["user_id", "role", "area", "enterprise"])
        batch.drop_constraint(op.f("ck_role_grant_role"), type_="check")
        batch.create_check_constraint(op.f("ck_role_grant_role"), f"role IN {_in(_OLD)}")
        batch.drop_column("body")
