"""Review on the page and two approval levels: notes per figure, national acceptance.

* ``role_grant`` accepts the role ``national_approver`` (national acceptance of the
  submissions a province has approved);
* ``submission`` accepts the state ``endorsed``: approved by the province, awaiting national
  acceptance;
* ``submission_note`` holds the notes on single figures of a submission: comments, and the
  reasons it was returned, each with its author, time and the state it was written in.

The downgrade drops the notes, removes the grants of the new role and sends every endorsed
submission back to ``submitted`` (its province approval is kept in the audit log only).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision: str | None = "0009"
branch_labels: str | None = None
depends_on: str | None = None

_OLD_ROLES = ("admin", "analyst", "prov_editor", "prov_approver", "enterprise", "evaluator",
              "body_editor")
_NEW_ROLES = (*_OLD_ROLES, "national_approver")
_OLD_STATES = ("draft", "submitted", "returned", "approved")
_NEW_STATES = ("draft", "submitted", "endorsed", "returned", "approved")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _checks(roles: tuple[str, ...], states: tuple[str, ...]) -> None:
    with op.batch_alter_table("role_grant", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_role_grant_role"), type_="check")
        batch.create_check_constraint(op.f("ck_role_grant_role"), f"role IN {_in(roles)}")
    with op.batch_alter_table("submission", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_submission_status"), type_="check")
        batch.create_check_constraint(op.f("ck_submission_status"),
                                      f"status IN {_in(states)}")


def upgrade() -> None:
    _checks(_NEW_ROLES, _NEW_STATES)
    op.create_table(
        "submission_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.CheckConstraint("kind IN ('comment', 'reason')", name=op.f("ck_submission_note_kind")),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"],
                                name=op.f("fk_submission_note_submission_id_submission")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_note")),
    )
    op.create_index("ix_submission_note_submission_id", "submission_note", ["submission_id"])


def downgrade() -> None:
    op.drop_index("ix_submission_note_submission_id", table_name="submission_note")
    op.drop_table("submission_note")
    op.execute("DELETE FROM role_grant WHERE role = 'national_approver'")
    op.execute("UPDATE submission SET status = 'submitted' WHERE status = 'endorsed'")
    _checks(_OLD_ROLES, _OLD_STATES)
