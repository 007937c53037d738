"""Pages of the submission workflow: log-in, upload and validation, approval, deadlines."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from ... import reference
from ...citation import cite
from ...i18n import t
from ...permissions import Actor, Resource, allowed, may_at_all
from ...services import accounts, review, submissions
from ...services import followup as thirdparty
from .. import audit
from ..data import Platform, today
from ..downloads import attachment
from ..rendering import PageError, lang_of, render, require, see_other
from ..security import SESSION_COOKIE, client_ip, resolve_actor, secure

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _platform(request: Request) -> Platform:
    return request.app.state.platform


def _safe_next(value: str | None) -> str:
    # only a path on this site: never an absolute URL an attacker chose
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


# ------------------------------------------------------------------------------ log-in


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html.j2", title=t("login", lang_of(request)),
                  next=_safe_next(next), error=None, username="")


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=256)],
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    lang = lang_of(request)
    result = accounts.log_in(_platform(request).engine, username, password,
                             ip=client_ip(request))
    if result.actor is None or result.session_token is None:
        key = "login_throttled" if result.throttled else "login_failed"
        return render(request, "login.html.j2", status_code=429 if result.throttled else 401,
                      title=t("login", lang), next=_safe_next(next), error=t(key, lang),
                      username=username)
    response = see_other(_safe_next(next))
    response.set_cookie(SESSION_COOKIE, result.session_token, httponly=True, samesite="lax",
                        secure=secure(request), path="/",
                        max_age=int(accounts.SESSION_LIFETIME.total_seconds()))
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.log_out(_platform(request).engine, token)
    response = see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ------------------------------------------------------------------------------ submissions


def _default_area(actor: Actor) -> str:
    for g in actor.grants:
        if g.area:
            return g.area
    return ""


def _enterprise_of(actor: Actor) -> str:
    return next((g.enterprise for g in actor.grants if g.role == "enterprise"), "")


@router.get("/submissions", response_class=HTMLResponse)
def submissions_page(request: Request,
                     year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
                     area: Annotated[str | None, Query(max_length=12)] = None,
                     status: Annotated[str | None, Query(max_length=12)] = None) -> HTMLResponse:
    actor = resolve_actor(request)
    if not may_at_all(actor, "submission:read"):
        require(actor, "submission:read")
    p = _platform(request)
    this_year = year or today().year - 1
    rows = submissions.list_for(p.engine, actor, year=year, area=area or None,
                                status=status or None)
    # the plan's own area first, then the areas below it (never a fixed list of provinces)
    upload_areas = [c for c in submissions.plan_areas(p.plan)
                    if allowed(actor, "submission:upload", Resource("submission", area=c.code))]
    enterprise = _enterprise_of(actor)
    return render(request, "submissions.html.j2", title=t("nav.submissions", lang_of(request)),
                  rows=rows, year=this_year, upload_areas=upload_areas, enterprise=enterprise,
                  enterprise_area=_default_area(actor), filter_area=area or "",
                  filter_status=status or "", filter_year=year,
                  area_name=_area_label)


def _area_label(code: str, lang: str) -> str:
    try:
        return reference.area(code).name(lang)
    except Exception:
        return code


@router.get("/submissions/template")
def template(request: Request, area: Annotated[str, Query(max_length=12)],
             year: Annotated[int, Query(ge=1949, le=2100)],
             enterprise: Annotated[str, Query(max_length=18)] = "") -> Response:
    actor = resolve_actor(request)
    reference.area(area)
    if not 1949 <= year <= 2100:
        raise PageError(422, "year must be 1949–2100", "error.year_range")
    require(actor, "template:download", Resource("template", area=area, enterprise=enterprise))
    data = submissions.build_template(_platform(request).plan, area, year, enterprise=enterprise)
    name = submissions.template_filename(area, year, enterprise)
    return Response(data, media_type="application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet",
                    headers=attachment(name))


@router.post("/submissions/upload")
async def upload(request: Request, area: Annotated[str, Form(max_length=12)],
                 year: Annotated[int, Form(ge=1949, le=2100)],
                 file: Annotated[UploadFile, File()],
                 enterprise: Annotated[str, Form(max_length=18)] = "") -> Response:
    actor = await run_in_threadpool(resolve_actor, request)
    data = await file.read(submissions.MAX_UPLOAD_BYTES + 1)
    p = _platform(request)
    s = await run_in_threadpool(
        lambda: submissions.upload(p.engine, p.plan, actor, area=area, year=year,
                                   filename=file.filename or "upload", data=data,
                                   enterprise=enterprise, ip=client_ip(request)))
    return see_other(f"/submissions/{s.id}")


@router.get("/submissions/board", response_class=HTMLResponse)
def board_page(request: Request,
               year: Annotated[int | None, Query(ge=1949, le=2100)] = None) -> HTMLResponse:
    actor = resolve_actor(request)
    if not may_at_all(actor, "board:read"):
        require(actor, "board:read")
    round_year = year or today().year - 1
    lines = submissions.board(_platform(request).engine, actor, round_year)
    return render(request, "board.html.j2", title=t("nav.board", lang_of(request)),
                  lines=lines, year=round_year, today=today())


@router.post("/deadlines")
def set_deadline(request: Request, year: Annotated[int, Form(ge=1949, le=2100)],
                 due: Annotated[date, Form()],
                 area: Annotated[str, Form(max_length=12)] = "") -> Response:
    actor = resolve_actor(request)
    submissions.set_deadline(_platform(request).engine, actor, year, due, area=area,
                             ip=client_ip(request))
    return see_other(f"/submissions/board?{urlencode({'year': year})}")


@router.post("/submissions/bulk-approve")
def bulk_approve(request: Request, ids: Annotated[list[int], Form()],
                 background: BackgroundTasks,
                 comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    actor = resolve_actor(request)
    if not (may_at_all(actor, "submission:approve") or may_at_all(actor, "submission:accept")):
        require(actor, "submission:approve")
    p = _platform(request)
    outcomes = submissions.bulk_approve(p.engine, p.store, p.plan, actor, ids, comment=comment,
                                        ip=client_ip(request),
                                        after_commit=p.after_answer(background),
                                        levels=_levels(request))
    return render(request, "bulk.html.j2", title=t("bulk_approve", lang_of(request)),
                  outcomes=outcomes)


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: RowId,
                    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
                    figures: Annotated[int, Query(ge=1, le=10_000)] = 1) -> HTMLResponse:
    actor = resolve_actor(request)
    p = _platform(request)
    lang = lang_of(request)
    size = review.FIGURE_PAGE
    seen = review.review(p.engine, p.store, p.plan, actor, submission_id,
                         offset=(figures - 1) * size, limit=size)
    s = seen.submission
    psize = submissions.PROBLEM_PAGE
    pages = max(1, -(-len(s.problems) // psize))
    page = min(page, pages)
    trace = [(e, audit.step_label(e.action, lang), audit.changes(e, lang))
             for e in review.history(p.engine, actor, submission_id)]
    return render(request, "submission.html.j2", title=f"#{s.id} {_area_label(s.area, 'zh')}",
                  s=s, area_name=_area_label, page=page, pages=pages, first=(page - 1) * psize,
                  shown=s.problems[(page - 1) * psize:page * psize], review=seen,
                  figure_page=figures, figure_pages=max(1, -(-seen.total // size)),
                  metric_name=lambda code: _metric_name(p, code, lang),
                  cite=lambda o: cite(o.citation, lang), trace=trace,
                  own=actor.username in submissions.people_of(p.engine, s),
                  levels=_levels(request), may_comment=_may_comment(actor, s))


def _levels(request: Request) -> int:
    return int(request.app.state.settings.approval_levels)


def _may_comment(actor: Actor, s: submissions.Submission) -> bool:
    return s.status != "approved" and any(allowed(actor, a, s.resource)
                                          for a in submissions.COMMENTING)


def _metric_name(p: Platform, code: str, lang: str) -> str:
    try:
        return p.plan.metric(code).name.get(lang)
    except KeyError:  # a series the plan no longer names: its code is all there is
        return code


@router.get("/submissions/{submission_id}/file")
def submission_file(request: Request, submission_id: RowId) -> Response:
    actor = resolve_actor(request)
    name, data = submissions.content(_platform(request).engine, actor, submission_id)
    return Response(data, media_type="application/octet-stream",
                    headers=attachment(name))


@router.post("/submissions/{submission_id}/{step}")
def submission_step(request: Request, submission_id: RowId,
                    step: Annotated[str, Path(max_length=16)],
                    background: BackgroundTasks,
                    comment: Annotated[str, Form(max_length=2000)] = "",
                    row_key: Annotated[list[str] | None, Form()] = None,
                    row_note: Annotated[list[str] | None, Form()] = None) -> Response:
    actor = resolve_actor(request)
    p = _platform(request)
    ip = client_ip(request)
    keys, texts = row_key or [], row_note or []
    if len(keys) != len(texts):
        raise PageError(400, "every row_key needs its row_note", "error.row_notes")
    notes = {k: v for k, v in zip(keys, texts, strict=True) if v.strip()}
    if step == "submit":
        submissions.submit(p.engine, actor, submission_id, ip=ip)
    elif step == "approve":
        submissions.approve(p.engine, p.store, p.plan, actor, submission_id, comment=comment,
                            ip=ip, after_commit=p.after_answer(background), levels=_levels(request),
                            notes=notes)
    elif step == "accept":
        submissions.accept(p.engine, p.store, p.plan, actor, submission_id, comment=comment,
                           ip=ip, after_commit=p.after_answer(background), notes=notes)
    elif step == "return":
        submissions.return_(p.engine, actor, submission_id, comment=comment, ip=ip,
                            reasons=notes, plan=p.plan)
    elif step == "comment":
        submissions.comment(p.engine, p.plan, actor, submission_id, notes, ip=ip)
    elif step == "unlock":
        submissions.unlock(p.engine, actor, submission_id, comment=comment, ip=ip)
    else:
        raise PageError(404, f"no step {step!r}", "error.no_step", step=step)
    return see_other(f"/submissions/{submission_id}")


# ------------------------------------------------------------------------------ reviews


@router.post("/indicators/{metric_id}/reviews")
def add_review(request: Request, metric_id: str,
               text: Annotated[str, Form(min_length=1, max_length=20000)],
               rating: Annotated[str, Form(max_length=24)] = "",
               area: Annotated[str, Form(max_length=12)] = "",
               target_year: Annotated[str, Form(max_length=4)] = "") -> Response:
    actor = resolve_actor(request)
    p = _platform(request)
    year = int(target_year) if target_year.isdigit() else None
    thirdparty.add_review(p.store, p.plan, actor, metric=metric_id, area=area or None,
                          target_year=year, rating=rating, text=text, ip=client_ip(request))
    return see_other(f"/indicators/{metric_id}#reviews")
