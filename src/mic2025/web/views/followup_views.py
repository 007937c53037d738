"""Follow-up pages and API: early warnings, supervision, third-party rounds, mid-term page.

Reading needs ``followup:read`` (every signed-in role but enterprise submitters). Writing:
a milestone's status update — the national administrator and the owning body's editors
(``milestone:update``); a score — evaluators (``score:write``); opening and closing a round —
accounts allowed ``round:create`` (administrators), on the page as through the API.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field

from ...followup import coverage as cov
from ...followup import supervision as sv
from ...followup import thirdparty as tp
from ...followup.final import FINAL_VERDICTS
from ...followup.warn import EarlyWarning, Owner, by_urgency
from ...i18n import Lang, t
from ...permissions import Actor, Resource
from ...report.fmt import moment
from ...store import EvaluationRound
from ..downloads import attachment
from ..followup import MEDIA_TYPES, FollowUp
from ..rendering import PageError, error_response, lang_of, render, require, see_other
from ..security import client_ip, current_actor, resolve_actor
from .api import area_param, indicator_param, parse_as_of

api_router = APIRouter(prefix="/api", tags=["follow-up"])
router = APIRouter(include_in_schema=False)
ActorDep = Annotated[Actor, Depends(current_actor)]
ItemId = Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")]
RoundId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Year = Annotated[int, Path(ge=1949, le=2100)]


def _fu(request: Request) -> FollowUp:
    fu: FollowUp = request.app.state.platform.followup
    return fu


def _read(actor: Actor) -> None:
    require(actor, "followup:read", Resource("followup"))


# ------------------------------------------------------------------------------ warnings


def filter_warnings(ws: list[EarlyWarning], *, indicator: str | None, province: str | None,
                    owner: str | None) -> list[EarlyWarning]:
    out = ws
    if indicator:
        out = [w for w in out if w.subject == indicator]
    if province:
        out = [w for w in out if w.area == province]
    if owner:
        out = [w for w in out if owner in (w.owner.zh, w.owner.en)]
    return out


@api_router.get("/warnings", response_model=list[EarlyWarning],
                summary="Early warnings in force (re-evaluated after every approval)")
def get_warnings(request: Request, actor: ActorDep,
                 indicator: Annotated[str | None, Query(max_length=100)] = None,
                 province: Annotated[str | None, Query(max_length=12)] = None,
                 owner: Annotated[str | None, Query(max_length=200)] = None,
                 as_of: Annotated[str | None, Query(max_length=40)] = None,
                 ) -> list[EarlyWarning]:
    _read(actor)
    if indicator:
        indicator_param(request.app.state.platform, "indicator", [indicator])
    province = area_param("province", province)
    ws = _fu(request).warnings(parse_as_of(as_of))
    return filter_warnings(ws, indicator=indicator, province=province, owner=owner)


@router.get("/followup/warnings", response_class=HTMLResponse)
def warnings_page(request: Request,
                  indicator: Annotated[str | None, Query(max_length=100)] = None,
                  province: Annotated[str | None, Query(max_length=12)] = None,
                  owner: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    _read(resolve_actor(request))
    fu = _fu(request)
    every = fu.warnings()
    shown = filter_warnings(every, indicator=indicator, province=province, owner=owner)
    lang = lang_of(request)
    names = {w.subject: w.subject_name for w in every}
    return render(request, "warnings.html.j2", title=t("nav.warnings", lang),
                  warnings=by_urgency(shown), total=len(every),
                  indicators=sorted(names.items(), key=lambda kv: kv[1].get(lang)),
                  provinces=sorted({w.area for w in every}),
                  owners=sorted({w.owner.get(lang) for w in every}),
                  chosen={"indicator": indicator or "", "province": province or "",
                          "owner": owner or ""},
                  raised=fu.raised(5))


# ------------------------------------------------------------------------------ owners


class OwnerOut(BaseModel):
    id: str
    name: dict[str, str]
    aliases: list[str]
    area: str | None
    to: list[str]
    cc: list[str]
    warnings_in_force: int


class DirectoryOut(BaseModel):
    file: str
    placeholder: bool
    note: dict[str, str] | None
    fallback: str | None
    copy_to: list[str] = Field(serialization_alias="copy")
    unclaimed: list[str]
    owners: list[OwnerOut]


def _routed_counts(fu: FollowUp) -> dict[str, int]:
    return {o.id: len(ws) for o, ws in fu.owners.route(fu.warnings())}


def _owner_out(o: Owner, counts: dict[str, int]) -> OwnerOut:
    return OwnerOut(id=o.id, name=o.name.model_dump(), aliases=list(o.aliases), area=o.area,
                    to=list(o.to), cc=list(o.cc), warnings_in_force=counts.get(o.id, 0))


@api_router.get("/owners", response_model=DirectoryOut, response_model_by_alias=True,
                summary="The owner directory: who is e-mailed which warnings (administrators)")
def get_owners(request: Request, actor: ActorDep) -> DirectoryOut:
    require(actor, "owners:read")
    fu = _fu(request)
    d = fu.owners
    counts = _routed_counts(fu)
    return DirectoryOut(file=fu.owners_path.name, placeholder=d.placeholder,
                        note=d.note.model_dump() if d.note else None, fallback=d.fallback,
                        copy_to=list(d.copy_to), unclaimed=d.unclaimed(fu.rules),
                        owners=[_owner_out(o, counts) for o in d.owners])


@router.get("/admin/owners", response_class=HTMLResponse)
def owners_page(request: Request) -> HTMLResponse:
    require(resolve_actor(request), "owners:read")
    fu = _fu(request)
    return render(request, "owners.html.j2", title=t("nav.owners", lang_of(request)),
                  directory=fu.owners, path=fu.owners_path.name,
                  unclaimed=fu.owners.unclaimed(fu.rules), counts=_routed_counts(fu))


# ------------------------------------------------------------------------------ supervision


class UpdateIn(BaseModel):
    status: Literal["not_reported", "not_started", "in_progress", "completed", "delayed"]
    comment: str = Field("", max_length=4000)
    evidence: list[Annotated[str, Field(max_length=500)]] = Field([], max_length=20)


@api_router.get("/supervision", summary="Milestones with their state; filter by owner or list")
def get_supervision(request: Request, actor: ActorDep,
                    owner: Annotated[str | None, Query(max_length=200)] = None,
                    state: Literal["all", "overdue", "at_risk"] = "all") -> list[dict[str, Any]]:
    _read(actor)
    fu = _fu(request)
    seed = fu.required_seed()
    items = sv.filter_owner(seed, fu.states(), owner)
    if state == "overdue":
        items = [s for s in items if s.overdue]
    elif state == "at_risk":
        items = [s for s in items if s.at_risk]
    return [sv.state_dict(s, seed) for s in items]


@api_router.get("/supervision/stocktake", summary="Per responsible body: counts and lists")
def get_stocktake(request: Request, actor: ActorDep) -> list[dict[str, Any]]:
    _read(actor)
    fu = _fu(request)
    rows = sv.stocktake(fu.required_seed(), fu.states())
    return [{**r, "name": r["name"].model_dump()} for r in rows]


@api_router.get("/supervision/{item}/history", response_model=list[sv.Update])
def get_history(request: Request, actor: ActorDep, item: ItemId) -> list[sv.Update]:
    _read(actor)
    return _fu(request).history(item)


@api_router.post("/supervision/{item}/updates", response_model=sv.Update, status_code=201,
                 summary="Report a milestone's status (administrators, the owner's editors)")
def post_update(request: Request, actor: ActorDep, item: ItemId, body: UpdateIn) -> sv.Update:
    return _fu(request).update(actor, item, status=body.status, comment=body.comment,
                               evidence=body.evidence, ip=client_ip(request))


@router.get("/followup/supervision", response_class=HTMLResponse)
def supervision_page(request: Request,
                     owner: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    actor = resolve_actor(request)
    _read(actor)
    fu = _fu(request)
    seed = fu.required_seed()
    states = fu.states()
    items = sv.filter_owner(seed, states, owner or None)
    return render(request, "supervision.html.j2", title=t("nav.supervision", lang_of(request)),
                  seed=seed, items=items, stocktake=sv.stocktake(seed, states),
                  overdue=[s for s in items if s.overdue],
                  at_risk=[s for s in items if s.at_risk], owner=owner or "",
                  statuses=sv.STATUSES,
                  may_update=lambda m: _may_update(actor, m))


def _may_update(actor: Actor, m: sv.Milestone) -> bool:
    from ...permissions import allowed

    return allowed(actor, "milestone:update", Resource("milestone", body=m.owner))


@router.post("/followup/supervision/{item}")
def supervision_form(request: Request, item: ItemId,
                     status: Annotated[str, Form(max_length=20)],
                     comment: Annotated[str, Form(max_length=4000)] = "",
                     evidence: Annotated[str, Form(max_length=500)] = "") -> Response:
    actor = resolve_actor(request)
    _fu(request).update(actor, item, status=status, comment=comment,
                        evidence=[evidence.strip()] if evidence.strip() else [],
                        ip=client_ip(request))
    return see_other(f"/followup/supervision#m-{item}")


# ------------------------------------------------------------------------------ coverage


@api_router.get("/coverage", summary="Every commitment of the plan: how it is judged, status")
def get_coverage(request: Request, actor: ActorDep) -> dict[str, Any]:
    _read(actor)
    rows = _fu(request).coverage()
    return {"totals": cov.totals(rows), "commitments": [cov.record(r) for r in rows]}


@router.get("/coverage", response_class=HTMLResponse)
def coverage_page(request: Request) -> HTMLResponse:
    actor = resolve_actor(request)
    _read(actor)
    fu = _fu(request)
    rows = fu.coverage()
    tot = cov.totals(rows)
    lang = lang_of(request)
    bodies = {b.id: b.name.get(lang) for b in (fu.seed.bodies if fu.seed else ())}
    return render(request, "coverage.html.j2", title=t("cov.title", lang),
                  rows=rows, totals=tot, share=f"{tot['share_with_evidence']:.0%}",
                  owner_name=lambda body: bodies.get(body, body))


# ------------------------------------------------------------------------------ third party


class RoundIn(BaseModel):
    id: str = Field(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    as_of: str = Field(max_length=40)
    title: str = Field("", max_length=200)


class ScoreIn(BaseModel):
    item: str = Field(max_length=100)
    criterion: str = Field(max_length=100)
    score: int = Field(ge=-1000, le=1000)
    comment: str = Field("", max_length=4000)


@api_router.get("/thirdparty/rounds", response_model=list[EvaluationRound])
def get_rounds(request: Request, actor: ActorDep) -> list[EvaluationRound]:
    _read(actor)
    return _fu(request).round_records()


@api_router.post("/thirdparty/rounds", response_model=EvaluationRound, status_code=201,
                 summary="Open a round frozen on a data vintage (administrators)")
def post_round(request: Request, actor: ActorDep, body: RoundIn) -> EvaluationRound:
    as_of = parse_as_of(body.as_of)
    if as_of is None:
        raise HTTPException(422, "a round needs its as_of (a date, or a time-zoned instant)")
    rnd = _fu(request).create_round(actor, body.id, as_of=as_of, title=body.title,
                                    ip=client_ip(request))
    return _fu(request).round_record(rnd.id)


class CloseIn(BaseModel):
    comment: str = Field("", max_length=4000)


@api_router.post("/thirdparty/rounds/{round_id}/close", response_model=EvaluationRound,
                 summary="Close a round: it takes no more scores (administrators)")
def post_close(request: Request, actor: ActorDep, round_id: RoundId,
               body: CloseIn) -> EvaluationRound:
    return _fu(request).close_round(actor, round_id, comment=body.comment,
                                    ip=client_ip(request))


@api_router.get("/thirdparty/rounds/{round_id}/results", response_model=tp.Results,
                summary="Krippendorff's alpha per criterion, scores and disagreements")
def get_results(request: Request, actor: ActorDep, round_id: RoundId,
                threshold: Annotated[int, Query(ge=0, le=100)] = 2) -> tp.Results:
    _read(actor)
    return tp.results(_fu(request).store, round_id, threshold=threshold)


@api_router.post("/thirdparty/rounds/{round_id}/scores", response_model=tp.Score,
                 status_code=201, summary="Score an item on a criterion (evaluators)")
def post_score(request: Request, actor: ActorDep, round_id: RoundId, body: ScoreIn) -> tp.Score:
    try:
        return _fu(request).score(actor, round_id, item=body.item, criterion=body.criterion,
                                  score=body.score, comment=body.comment,
                                  ip=client_ip(request))
    except tp.RoundClosed as exc:
        raise HTTPException(409, str(exc)) from None


def _closed_message(exc: tp.RoundClosed, lang: Lang) -> str:
    return t("round.closed_refused", lang, round=exc.round_id, by=exc.closed_by,
             at=moment(exc.closed_at, lang))


@router.get("/followup/thirdparty", response_class=HTMLResponse)
def rounds_page(request: Request) -> HTMLResponse:
    _read(resolve_actor(request))
    return render(request, "rounds.html.j2", title=t("nav.thirdparty", lang_of(request)),
                  rounds=_fu(request).round_records())


@router.post("/followup/thirdparty")
def round_form(request: Request,
               id: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")],
               as_of: Annotated[str, Form(max_length=40)],
               title: Annotated[str, Form(max_length=200)] = "") -> Response:
    """Open a round from the page: the same service call as ``POST /api/thirdparty/rounds``."""
    actor = resolve_actor(request)
    when = parse_as_of(as_of)
    if when is None:
        raise PageError(422, "a round needs its as_of (a date, or a time-zoned instant)",
                        "round.as_of_needed")
    _fu(request).create_round(actor, id, as_of=when, title=title.strip(),
                              ip=client_ip(request))
    return see_other(f"/followup/thirdparty/{id}")


def frozen_rows(rnd: tp.Round) -> list[dict[str, Any]]:
    """One row per target of each indicator as the round froze it: what the evaluators score
    against, never a re-evaluation on today's data."""
    names = {i.id: i.name for i in rnd.items}
    rows = []
    for mr in rnd.evaluation.results:
        for tg in sorted(mr.targets, key=lambda x: x.target_year):
            rows.append({"id": mr.metric, "name": names.get(mr.metric, mr.name),
                         "unit": mr.unit, "target": tg})
    return rows


@router.get("/followup/thirdparty/{round_id}", response_class=HTMLResponse)
def round_page(request: Request, round_id: RoundId,
               threshold: Annotated[int, Query(ge=0, le=100)] = 2) -> HTMLResponse:
    actor = resolve_actor(request)
    _read(actor)
    fu = _fu(request)
    rec = fu.round_record(round_id)
    rnd = tp.load_round(fu.store, round_id)
    res = tp.results(fu.store, round_id, threshold=threshold)
    every = fu.store.scores(round_id)
    in_effect = {s.id for s in tp.read_scores(fu.store, round_id)}
    mine = {(s.item, s.criterion): s.score for s in every
            if s.evaluator == actor.username and s.id in in_effect}
    names = {i.id: i.name for i in rnd.items}
    return render(request, "round.html.j2", title=rnd.title, rnd=rnd, rec=rec, res=res,
                  mine=mine, frozen=frozen_rows(rnd), tasks=[i for i in rnd.items
                                                              if i.kind == "task"],
                  history=list(reversed(every)), in_effect=in_effect, names=names)


@router.post("/followup/thirdparty/{round_id}/scores")
def score_form(request: Request, round_id: RoundId,
               item: Annotated[str, Form(max_length=100)],
               criterion: Annotated[str, Form(max_length=100)],
               score: Annotated[int, Form(ge=-1000, le=1000)],
               comment: Annotated[str, Form(max_length=4000)] = "") -> Response:
    actor = resolve_actor(request)
    try:
        _fu(request).score(actor, round_id, item=item, criterion=criterion, score=score,
                           comment=comment, ip=client_ip(request))
    except tp.RoundClosed as exc:
        return error_response(request, 409, "conflict", _closed_message(exc, lang_of(request)))
    return see_other(f"/followup/thirdparty/{round_id}#score")


@router.post("/followup/thirdparty/{round_id}/close")
def close_form(request: Request, round_id: RoundId,
               comment: Annotated[str, Form(max_length=4000)] = "") -> Response:
    actor = resolve_actor(request)
    _fu(request).close_round(actor, round_id, comment=comment.strip(), ip=client_ip(request))
    return see_other(f"/followup/thirdparty/{round_id}")


# ------------------------------------------------------------------------------ mid-term


@api_router.get("/midterm/{year}/document.{fmt}",
                summary="The mid-term evaluation as Word or PDF (generated on demand)")
def get_midterm_document(request: Request, actor: ActorDep, year: Year,
                         fmt: Annotated[str, Path(pattern=r"^(docx|pdf)$")],
                         lang: Literal["zh", "en"] = "zh") -> FileResponse:
    _read(actor)
    path = _fu(request).midterm_document(year, lang, fmt)
    return FileResponse(path, media_type=MEDIA_TYPES[fmt],
                        headers=attachment(f"midterm-{year}-{lang}.{fmt}"))


@api_router.get("/final/document.{fmt}",
                summary="The final evaluation as Word or PDF, past the plan period (generated on "
                        "demand)")
def get_final_document(request: Request, actor: ActorDep,
                       fmt: Annotated[str, Path(pattern=r"^(docx|pdf)$")],
                       lang: Literal["zh", "en"] = "zh") -> FileResponse:
    _read(actor)
    path = _fu(request).final_document(lang, fmt)
    return FileResponse(path, media_type=MEDIA_TYPES[fmt],
                        headers=attachment(f"final-{lang}.{fmt}"))


@router.get("/followup/final", response_class=HTMLResponse)
def final_page(request: Request) -> HTMLResponse:
    _read(resolve_actor(request))
    over, rows = _fu(request).final_rows()
    years = sorted({r.year for r in rows}, reverse=True)
    counts = {y: {v: sum(1 for r in rows if r.year == y and r.verdict == v)
                  for v in FINAL_VERDICTS} for y in years}
    return render(request, "final.html.j2", title=t("final_title", lang_of(request)),
                  over=over, years=years, rows=rows, counts=counts,
                  last=max(_fu(request).platform.plan.target_years))


@router.get("/followup/midterm", response_class=HTMLResponse)
def midterm_page(request: Request,
                 year: Annotated[int | None, Query(ge=1949, le=2100)] = None) -> HTMLResponse:
    _read(resolve_actor(request))
    fu = _fu(request)
    plan = fu.platform.plan
    years = list(plan.target_years)
    chosen = year or years[0]
    rows = fu.midterm_rows(chosen)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["target"].verdict] = counts.get(r["target"].verdict, 0) + 1
    return render(request, "midterm.html.j2",
                  title=t("midterm_title", lang_of(request)).format(year=chosen),
                  year=chosen, years=years, rows=rows, counts=counts,
                  period_over=fu.final_rows()[0])
