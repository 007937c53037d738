"""The entry form (a province's figures typed in the browser) and the API's JSON rows.

Both are :mod:`mic2025.services.entry`: the same checks, draft and workflow as an uploaded
file.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ... import reference
from ...i18n import t
from ...ingest.columns import canonical
from ...permissions import Actor, Resource, allowed
from ...services import entry, submissions
from ..data import Platform
from ..rendering import PageError, lang_of, render, see_other
from ..security import client_ip, current_actor, resolve_actor
from .api import SubmissionOut

router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"])
#: the most fields one posted form may carry: six per row of the template, and a few more
MAX_FORM_FIELDS = 2_000


def _platform(request: Request) -> Platform:
    return request.app.state.platform


def _page(request: Request, f: entry.Form, *, status_code: int = 200,
          saved: int | None = None) -> HTMLResponse:
    lang = lang_of(request)
    area_name = reference.area(f.area).name(lang)
    actor = resolve_actor(request)
    return render(request, "entry.html.j2", status_code=status_code,
                  title=t("entry.title", lang, area=area_name, year=f.year), form=f,
                  saved=saved, problem_total=f.submission.problem_count if f.submission else 0,
                  field_of=lambda column: canonical(column) if column else None,
                  may_submit=allowed(actor, "submission:submit", Resource("submission",
                                                                          area=f.area)))


@router.get("/submissions/entry", response_class=HTMLResponse)
def entry_page(request: Request, area: Annotated[str, Query(max_length=12)],
               year: Annotated[int, Query(ge=1949, le=2100)],
               saved: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None
               ) -> HTMLResponse:
    actor = resolve_actor(request)
    p = _platform(request)
    f = entry.form(p.engine, p.store, p.plan, actor, area=area, year=year)
    return _page(request, f, saved=saved)


@router.post("/submissions/entry")
async def entry_save(request: Request) -> Response:
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    actor = await run_in_threadpool(resolve_actor, request)
    p = _platform(request)
    area = fields.get("area", "")[:12]
    try:
        year = int(fields.get("year", ""))
    except ValueError:
        year = 0
    if not 1949 <= year <= 2100:
        raise PageError(422, "year must be 1949–2100", "error.year_range")
    s = await run_in_threadpool(
        lambda: entry.save(p.engine, p.plan, actor, area=area, year=year, fields=fields,
                           ip=client_ip(request)))
    if fields.get("action") == "submit" and not s.problem_count:
        await run_in_threadpool(
            lambda: submissions.submit(p.engine, actor, s.id, ip=client_ip(request)))
        return see_other(f"/submissions/{s.id}")
    return see_other(f"/submissions/entry?{urlencode({'area': area, 'year': year})}"
                     f"&saved={s.id}#entry-form")


# ------------------------------------------------------------------------------ the API


Cell = str | float | int | None


class RowIn(BaseModel):
    """One row, by the import's long-format columns (see the import format)."""

    model_config = ConfigDict(extra="forbid")

    indicator: Cell = None
    area: Cell = None
    year: Cell = None
    period: Cell = None
    value: Cell = None
    unit: Cell = None
    scope: Cell = None
    sector: Cell = None
    flags: Cell = None
    quote: Cell = None
    note: Cell = None
    lower: Cell = None
    upper: Cell = None
    publisher: Cell = None
    publication: Cell = None
    publication_date: Cell = None
    locator: Cell = None
    retrieved_from: Cell = None
    grade: Cell = None


class RowsIn(BaseModel):
    area: str = Field(max_length=12)
    year: int = Field(ge=1949, le=2100)
    enterprise: str = Field("", max_length=18)
    rows: list[RowIn] = Field(min_length=1, max_length=entry.MAX_JSON_ROWS)


@api_router.post(
    "/submissions/rows", response_model=SubmissionOut, status_code=201,
    summary="Send a submission as JSON rows (the import's columns), checked as an upload",
    responses={422: {"description": "problems, each with its row (1 = the first) and column; "
                                    "nothing stored"}})
def post_rows(request: Request, actor: Annotated[Actor, Depends(current_actor)],
              body: RowsIn) -> Any:
    p = _platform(request)
    rows = [r.model_dump(exclude_none=True) for r in body.rows]
    try:
        s = entry.upload_rows(p.engine, p.plan, actor, area=body.area, year=body.year,
                              rows=rows, enterprise=body.enterprise, ip=client_ip(request))
    except entry.RowsRejected as exc:
        return JSONResponse({"detail": str(exc), "problem_count": exc.total,
                             "problems": exc.problems}, status_code=422)
    return SubmissionOut.model_validate(submissions.page(s))
