"""The multi-user platform's tables: accounts, roles, sessions, tokens, audit, submissions.

(Reviews are third-party evaluation records since migration 0007: :mod:`.reviews`.)

They live beside the evidence tables (same ``Base``, same migrations, SQLite and
PostgreSQL alike) because an approved submission becomes a vintage of observations in the
same transaction that records the approval and its audit entry.

``audit_log`` is append-only: migration 0002 installs triggers that refuse UPDATE and
DELETE on it, on both engines; since migration 0006 its entries form a hash chain and an
entry stamped earlier than the latest one is refused. Secrets are never stored: passwords as
argon2 hashes, session and API tokens as SHA-256 digests of the random token the client holds.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime

#: every role a grant may give (see :mod:`mic2025.permissions` for what each may do)
ROLES = (
    "admin",            # national administrator
    "analyst",          # national analyst: reads everything
    "prov_editor",      # provincial editor: uploads and submits for its province
    "prov_approver",    # provincial approver: approves or returns its province's submissions
    "enterprise",       # enterprise submitter: its own enterprise's returns only
    "evaluator",        # third-party evaluator: reads everything, writes only evaluations
    "body_editor",      # an editor of a responsible body: its supervision milestones (0003)
    "national_approver",  # national acceptance of province-approved submissions (0010)
)
#: the states of a submission; ``approved`` is locked. ``endorsed`` (0010): approved by the
#: province, awaiting national acceptance (two approval levels)
SUBMISSION_STATES = ("draft", "submitted", "endorsed", "returned", "approved")
#: what a note on one figure of a submission is: a reviewer's or editor's comment, or a
#: reason the submission was returned
NOTE_KINDS = ("comment", "reason")
SUBMISSION_KINDS = ("province", "enterprise")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class UserRow(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(Text, nullable=False, default="")
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: a seeded example account (``mic2025 serve --demo``), shown as such everywhere
    demo: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class RoleGrantRow(Base):
    """One role held by one user, with its scope: a province (area), an enterprise, or a
    responsible body (``body``, migration 0003)."""

    __tablename__ = "role_grant"
    __table_args__ = (
        CheckConstraint(f"role IN {_in(ROLES)}", name="role"),
        UniqueConstraint("user_id", "role", "area", "enterprise", "body"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    area: Mapped[str] = mapped_column(String(12), nullable=False, default="")
    enterprise: Mapped[str] = mapped_column(String(18), nullable=False, default="")
    body: Mapped[str] = mapped_column(String(32), nullable=False, default="")


class SessionRow(Base):
    __tablename__ = "web_session"

    #: SHA-256 (hex) of the random token in the client's cookie
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiTokenRow(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    #: the token's first characters, so a user can tell tokens apart without the secret
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginAttemptRow(Base):
    """Failed and successful log-ins, for throttling (not an audit of writes)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    ok: Mapped[bool] = mapped_column(Boolean, nullable=False)


class AuditRow(Base):
    """One write: who, what, when, and the resource before and after (JSON), append-only."""

    __tablename__ = "audit_log"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: how the actor came in: session, token, cli or system
    via: Mapped[str] = mapped_column(String(16), nullable=False)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    resource: Mapped[str] = mapped_column(String(32), nullable=False)
    resource_id: Mapped[str] = mapped_column(String(64), nullable=False)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    ip: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    #: sha256 of the previous entry's ``entry_hash`` and this entry's fields: a hash chain
    #: (migration 0006; :mod:`mic2025.store.audit` writes and verifies it)
    entry_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class SubmissionRow(Base):
    """A province's (or an enterprise's) figures for one reporting round, as uploaded.

    The uploaded bytes are kept: what was approved can always be shown again, and the
    observations an approval stores are parsed from exactly these bytes.
    """

    __tablename__ = "submission"
    __table_args__ = (
        CheckConstraint(f"status IN {_in(SUBMISSION_STATES)}", name="status"),
        CheckConstraint(f"kind IN {_in(SUBMISSION_KINDS)}", name="kind"),
        Index("ix_submission_area_year", "area", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    area: Mapped[str] = mapped_column(String(12), nullable=False)
    enterprise: Mapped[str] = mapped_column(String(18), nullable=False, default="")
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    filename: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    problems: Mapped[int] = mapped_column(Integer, nullable=False)
    #: the validation report: a JSON list of problems (empty when the file is valid)
    report: Mapped[str] = mapped_column(Text, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    vintage_id: Mapped[int | None] = mapped_column(ForeignKey("vintage.id"), nullable=True)


class DeadlineRow(Base):
    """When a reporting round is due; ``area`` blank means every province."""

    __tablename__ = "deadline"
    __table_args__ = (UniqueConstraint("year", "area"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    area: Mapped[str] = mapped_column(String(12), nullable=False, default="")
    due: Mapped[date] = mapped_column(Date, nullable=False)
    set_by: Mapped[str] = mapped_column(String(64), nullable=False)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class SubmissionNoteRow(Base):
    """A note on one figure of a submission (migration 0010), never changed once written.

    ``row_key`` is the figure's key (:attr:`mic2025.observation.Observation.key` as a JSON
    array), so a note stays with its figure when a returned file is uploaded again fixed.
    """

    __tablename__ = "submission_note"
    __table_args__ = (
        CheckConstraint(f"kind IN {_in(NOTE_KINDS)}", name="kind"),
        Index("ix_submission_note_submission_id", "submission_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id"), nullable=False)
    row_key: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    author: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    #: the submission's state when the note was written (a reason: the state it left)
    status: Mapped[str] = mapped_column(String(12), nullable=False)


class NoticeRow(Base):
    """One notice to one account (migration 0011): ``kind`` and ``params`` (JSON) are turned
    into words in the reader's language when shown (:mod:`mic2025.store.notices`)."""

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("username", "key"),
        Index("ix_notice_username_id", "username", "id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    params: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
