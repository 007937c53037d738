"""The submissions' records: uploaded files with their validation reports, and deadlines.

Only rows; the workflow (who may upload, submit, approve, return, unlock; what each state
allows) is :mod:`mic2025.services.submissions`. Writing functions take the caller's writer
transaction (:func:`mic2025.store.db.begin_write`) so the change, its audit entry and — on
approval — the vintage it stores commit together.

:class:`SubmissionSummary` is a submission as listed (its problems counted, the file and the
report left in the database: a listing never reads them); :class:`Submission` adds the
problems its report keeps. Both are the API's answers as they are.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine, insert, select, update

from ..errors import Mic2025Error
from ..permissions import Resource
from .audit import AuditEntry
from .platform import AuditRow, DeadlineRow, SubmissionNoteRow, SubmissionRow


class NotFound(Mic2025Error):
    """No such submission (HTTP 404)."""


class ReportProblem(BaseModel):
    """One problem of an upload's validation report: where it is and what was expected."""

    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    message: str
    #: the message in each language, indicators named (``{"zh": …, "en": …}``); empty in a
    #: report written before the messages were translated
    messages: dict[str, str] = Field(default_factory=dict)
    #: ``error`` (a problem, counted) or ``note`` (what was assumed, such as the encoding)
    level: str = "error"

    def text(self, lang: str) -> str:
        """The message in ``lang`` when the report has it, else as written."""
        return self.messages.get(lang) or self.message


class SubmissionSummary(BaseModel):
    """A submission in a list: its problems counted (``problem_count``), not listed."""

    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    area: str
    enterprise: str
    year: int
    status: str
    filename: str
    sha256: str
    rows: int
    #: every problem found in the file
    problem_count: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    submitted_by: str
    submitted_at: datetime | None
    decided_by: str
    decided_at: datetime | None
    comment: str
    vintage_id: int | None

    @property
    def resource(self) -> Resource:
        return Resource("submission", area=self.area, enterprise=self.enterprise)

    @property
    def valid(self) -> bool:
        return not self.problem_count

    def snapshot(self) -> dict[str, Any]:
        """What an audit entry records of the submission before and after a step."""
        return {"status": self.status, "filename": self.filename, "sha256": self.sha256,
                "rows": self.rows, "problems": self.problem_count, "comment": self.comment,
                "vintage_id": self.vintage_id}


class Submission(SubmissionSummary):
    """A submission with the problems its report keeps (the first ones found)."""

    problems: list[ReportProblem] = Field(default_factory=list)
    #: what was assumed in reading the file (a legacy encoding), not counted as problems
    notes: list[ReportProblem] = Field(default_factory=list)


def _fields(row: Any) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SubmissionSummary.model_fields
            if name != "problem_count"} | {"problem_count": row.problems}


#: what a listing reads of each submission: neither the file nor its report
_LISTED = [c for c in SubmissionRow.__table__.columns if c.name not in ("content", "report")]


def load(conn: Connection, submission_id: int) -> Submission:
    if not 1 <= submission_id <= 2_147_483_647:
        raise NotFound(f"no submission {submission_id}").saying("error.no_submission",
                                                                 id=submission_id)
    row = conn.execute(select(*_LOADED).where(SubmissionRow.id == submission_id)).first()
    if row is None:
        raise NotFound(f"no submission {submission_id}").saying("error.no_submission",
                                                                 id=submission_id)
    return _submission(row)


#: what :func:`load` reads of a submission: all but the file (:func:`content_in` reads it)
_LOADED = [c for c in SubmissionRow.__table__.columns if c.name != "content"]


def _submission(row: Any) -> Submission:
    report = json.loads(row.report)
    return Submission(**_fields(row),
                      problems=[p for p in report if p.get("level", "error") != "note"],
                      notes=[p for p in report if p.get("level") == "note"])


def get(engine: Engine, submission_id: int) -> Submission:
    with engine.connect() as conn:
        return load(conn, submission_id)


def content(engine: Engine, submission_id: int) -> bytes:
    """The file as uploaded."""
    with engine.connect() as conn:
        return content_in(conn, submission_id)


def content_in(conn: Connection, submission_id: int) -> bytes:
    """The file as uploaded, read in the caller's transaction."""
    data = conn.scalar(select(SubmissionRow.content).where(SubmissionRow.id == submission_id))
    return bytes(data or b"")


def listing(engine: Engine, *, year: int | None = None, area: str | None = None,
            status: str | None = None, kind: str | None = None) -> list[SubmissionSummary]:
    """Submissions, newest first, filtered in SQL; neither file nor report is read."""
    query = select(*_LISTED).order_by(SubmissionRow.id.desc())
    if year is not None:
        query = query.where(SubmissionRow.year == year)
    if area:
        query = query.where(SubmissionRow.area == area)
    if status:
        query = query.where(SubmissionRow.status == status)
    if kind:
        query = query.where(SubmissionRow.kind == kind)
    with engine.connect() as conn:
        return [SubmissionSummary(**_fields(r)) for r in conn.execute(query)]


def open_one(conn: Connection, *, kind: str, area: str, enterprise: str, year: int
             ) -> Submission | None:
    """The not yet approved submission of this kind, area, enterprise and year, if any."""
    row = conn.execute(select(*_LOADED).where(
        SubmissionRow.kind == kind, SubmissionRow.area == area,
        SubmissionRow.enterprise == enterprise, SubmissionRow.year == year,
        SubmissionRow.status != "approved").order_by(SubmissionRow.id.desc()).limit(1)).first()
    return None if row is None else _submission(row)


def insert_submission(conn: Connection, *, kind: str, area: str, enterprise: str, year: int,
                      created_by: str, created_at: datetime, **values: Any) -> Submission:
    """A new submission, as stored; ``values`` are the file's columns (see
    :func:`file_values`)."""
    row = conn.execute(insert(SubmissionRow).returning(*_LOADED).values(
        kind=kind, area=area, enterprise=enterprise, year=year, created_by=created_by,
        created_at=created_at, submitted_by="", decided_by="", vintage_id=None, **values,
    )).one()
    return _submission(row)


def file_values(*, filename: str, sha256: str, data: bytes, rows: int, problem_count: int,
                problems: list[dict[str, Any]], updated_at: datetime) -> dict[str, Any]:
    """The columns an upload sets: the file, its report, and the state back to draft."""
    return dict(filename=filename, sha256=sha256, content=data, rows=rows,
                problems=problem_count, report=json.dumps(problems, ensure_ascii=False),
                updated_at=updated_at, status="draft", comment="")


def change(conn: Connection, submission_id: int, **values: Any) -> Submission:
    """Set columns of a submission; returns it as stored now (one statement: a writer's
    statements each wait for the interpreter and the database under load)."""
    row = conn.execute(update(SubmissionRow).where(SubmissionRow.id == submission_id)
                       .values(**values).returning(*_LOADED)).first()
    if row is None:
        raise NotFound(f"no submission {submission_id}").saying("error.no_submission",
                                                                 id=submission_id)
    return _submission(row)


# ------------------------------------------------------------------------------ notes, trace


class Note(BaseModel):
    """A note on one figure of a submission: a comment, or a reason it was returned."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    row_key: str
    kind: str
    text: str
    author: str
    at: datetime
    #: the submission's state when the note was written
    status: str


def add_notes(conn: Connection, submission_id: int, texts: dict[str, str], *, kind: str,
              author: str, at: datetime, status: str) -> None:
    """One note per figure key of ``texts`` (blank texts are left out)."""
    values = [dict(submission_id=submission_id, row_key=key, kind=kind, text=text,
                   author=author, at=at, status=status)
              for key, text in texts.items() if text.strip()]
    if values:
        conn.execute(insert(SubmissionNoteRow), values)


def notes(engine: Engine, submission_id: int) -> list[Note]:
    """The submission's notes, oldest first."""
    query = (select(SubmissionNoteRow).where(SubmissionNoteRow.submission_id == submission_id)
             .order_by(SubmissionNoteRow.id))
    with engine.connect() as conn:
        return [Note.model_validate(r) for r in conn.execute(query)]


#: the audit actions by which a person puts figures into a submission or sends them on
CONTRIBUTING = ("submission.upload", "submission.submit")


def contributors(conn: Connection, s: SubmissionSummary) -> set[str]:
    """Everyone who uploaded a file into the submission or submitted it, ever (its audit
    entries), read in the caller's transaction."""
    found = conn.scalars(select(AuditRow.actor).where(
        AuditRow.resource == "submission", AuditRow.resource_id == str(s.id),
        AuditRow.action.in_(CONTRIBUTING)))
    return {*found, s.created_by, s.submitted_by} - {""}


def history(engine: Engine, submission_id: int) -> list[AuditEntry]:
    """The submission's audit entries, oldest first: its trace."""
    query = (select(AuditRow).where(AuditRow.resource == "submission",
                                    AuditRow.resource_id == str(submission_id))
             .order_by(AuditRow.id))
    with engine.connect() as conn:
        return [AuditEntry.model_validate(r) for r in conn.execute(query)]


# ------------------------------------------------------------------------------ deadlines


def deadline(conn: Connection, year: int, area: str) -> date | None:
    return conn.scalar(select(DeadlineRow.due).where(DeadlineRow.year == year,
                                                     DeadlineRow.area == area))


def put_deadline(conn: Connection, year: int, area: str, due: date, set_by: str) -> None:
    row = conn.execute(select(DeadlineRow.id).where(DeadlineRow.year == year,
                                                    DeadlineRow.area == area)).first()
    stamp = datetime.now(UTC)
    if row is None:
        conn.execute(insert(DeadlineRow).values(year=year, area=area, due=due, set_by=set_by,
                                                set_at=stamp))
    else:
        conn.execute(update(DeadlineRow).where(DeadlineRow.id == row.id).values(
            due=due, set_by=set_by, set_at=stamp))


def deadlines(engine: Engine, year: int) -> dict[str, date]:
    """The year's deadlines by area (``""``: every province)."""
    with engine.connect() as conn:
        return {r.area: r.due for r in conn.execute(select(DeadlineRow)
                                                    .where(DeadlineRow.year == year))}
