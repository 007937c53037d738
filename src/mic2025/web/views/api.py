"""The REST/JSON API under ``/api``; its OpenAPI description is ``/openapi.json``.

Reads of published data are public. Everything else needs an API token
(``Authorization: Bearer m25_…``) — or, from the site's own pages, a session and a CSRF
token — of an account whose role allows the action on that resource.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    File,
    Form,
    HTTPException,
    Path,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field

from ... import reference
from ...citation import Citation, cite
from ...errors import StoreError, UnknownCodeError
from ...evaluate.methods import METHODS
from ...evaluate.model import Evaluation
from ...observation import Observation
from ...permissions import Actor, Resource, may_at_all
from ...plan import Metric
from ...services import accounts, review, submissions
from ...services import followup as thirdparty
from ...store.audit import AuditEntry
from ...store.platform import SUBMISSION_STATES
from ...store.repo import as_of_instant
from ...store.reviews import Review
from ...store.submissions import ReportProblem, SubmissionSummary
from .. import audit, etag, exports, sdmx
from ..data import Platform
from ..downloads import attachment
from ..rendering import lang_of, require
from ..security import client_ip, current_actor

router = APIRouter(prefix="/api", tags=["api"])
ActorDep = Annotated[Actor, Depends(current_actor)]
Format = Literal["json", "csv", "xlsx", "sdmx-csv"]
MAX_ID = 2_147_483_647  # ids are 32-bit integers on PostgreSQL
SubmissionId = Annotated[int, Path(ge=1, le=MAX_ID)]


def platform_of(request: Request) -> Platform:
    return request.app.state.platform


# ------------------------------------------------------------------------------ models


class TextOut(BaseModel):
    zh: str
    en: str


class TargetOut(BaseModel):
    year: int
    kind: str
    value: float
    base_year: int | None = None
    text: TextOut


class MetricOut(BaseModel):
    id: str
    name: TextOut
    unit: str
    direction: str
    group: Literal["indicator", "project"]
    parent: str
    targets: list[TargetOut]
    scopes: list[str] = []


class AreaOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    level: str


class ObservationOut(BaseModel):
    """One figure; ``source`` is its key's source, ``citation`` the store's own record of
    where it was published and read (:class:`mic2025.citation.Citation`)."""

    indicator: str
    area: str
    sector: str
    year: int
    period: str
    value: float
    unit: str
    scope: str
    source: str
    citation: Citation
    flags: list[str]
    note: str
    quote: str
    lower: float | None = None
    upper: float | None = None
    vintage: int | None = None
    vintage_at: datetime | None = None


class SubmissionOut(SubmissionSummary):
    """A submission with one page of its report: ``problems`` from ``problems_offset``.

    The report keeps the first 1,000 problems found (``problems_listed`` of them);
    ``problem_count`` counts every one.
    """

    problems: list[ReportProblem]
    #: what was assumed in reading the file (a legacy encoding), not problems
    notes: list[ReportProblem] = Field(default_factory=list)
    problems_listed: int
    problems_offset: int
    problems_limit: int


class CommentIn(BaseModel):
    comment: str = Field("", max_length=2000)


#: a note on one figure, keyed by the figure's key (``key`` of ``/figures``)
NoteText = Annotated[str, Field(max_length=2000)]


class DecisionIn(CommentIn):
    """A decision's comment, and notes on single figures: comments with an approval or an
    acceptance, the reasons with a return."""

    notes: dict[str, NoteText] = Field(default_factory=dict, max_length=5000)


class NotesIn(BaseModel):
    notes: dict[str, NoteText] = Field(min_length=1, max_length=5000)


class NoteOut(BaseModel):
    kind: str
    text: str
    author: str
    at: datetime
    status: str


class FigureOut(BaseModel):
    """One figure of a submission beside what the store knew before it."""

    key: str
    indicator: str
    area: str
    sector: str
    period: str
    value: float
    unit: str
    scope: str
    flags: list[str]
    citation: str
    previous: float | None
    previous_unit: str | None
    change: float | None
    previous_year: float | None
    change_year: float | None
    checks: list[str]
    notes: list[NoteOut]


class ChangeOut(BaseModel):
    field: str
    before: str
    after: str


class StepOut(BaseModel):
    """One step of a submission's trace (an audit entry), its changes made readable."""

    id: int
    at: datetime
    actor: str
    via: str
    action: str
    step: str
    comment: str
    changes: list[ChangeOut]


class BulkIn(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=500)
    comment: str = Field("", max_length=2000)


class BulkOut(BaseModel):
    id: int
    ok: bool
    message: str


class DeadlineIn(BaseModel):
    year: int = Field(ge=1949, le=2100)
    due: date
    area: str = Field("", max_length=12)


class BoardOut(BaseModel):
    area: str
    name_zh: str
    name_en: str
    due: date | None
    status: str
    submission_id: SubmissionId | None
    submitted_at: datetime | None
    late: bool


class ReviewIn(BaseModel):
    metric: str = Field(max_length=100)
    area: str | None = Field(None, max_length=12,
                             description="GB/T 2260 code; default: the plan's own area")
    target_year: int | None = Field(None, ge=1949, le=2100)
    rating: str = Field("", max_length=24)
    text: str = Field(min_length=1, max_length=20000)
    round: str | None = Field(None, max_length=64,
                              description="the evaluation round the review belongs to, if any")


class UserIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    roles: list[str] = Field(min_length=1, max_length=20)
    display_name: str = Field("", max_length=200)


class UserOut(BaseModel):
    username: str
    display_name: str
    disabled: bool
    demo: bool
    roles: list[str]


# ------------------------------------------------------------------------------ plan


def _metric_out(platform: Platform, m: Metric) -> MetricOut:
    project = platform.plan.project_of(m.id)
    return MetricOut(
        id=m.id, name=TextOut(zh=m.name.zh, en=m.name.en), unit=m.unit, direction=m.direction,
        group="project" if project else "indicator",
        parent=project.id if project else getattr(m, "goal_area", ""),
        targets=[TargetOut(year=t.year, kind=t.kind, value=t.value, base_year=t.base_year,
                           text=TextOut(zh=t.text.zh, en=t.text.en)) for t in m.targets],
        scopes=list(m.scopes),
    )


@router.get("/plan", summary="The plan as data (its plan file, validated)")
def get_plan(request: Request) -> dict[str, Any]:
    return platform_of(request).plan.model_dump(mode="json")


@router.get("/indicators", response_model=list[MetricOut],
            summary="Every metric with targets: the indicators, then the projects' metrics")
def list_indicators(request: Request) -> Response:
    p = platform_of(request)
    # the plan's alone: no vintage changes it
    return cached_answer(request, p, ("api_indicators",), lambda: JSONResponse(
        [_metric_out(p, m).model_dump(mode="json") for m in p.plan.metrics()]),
        state=(p.plan.id, p.plan.version))


@router.get("/indicators/{metric_id}", response_model=MetricOut)
def get_indicator(request: Request, metric_id: str) -> MetricOut:
    p = platform_of(request)
    try:
        m = p.plan.metric(metric_id)
    except KeyError:
        raise HTTPException(404, f"no metric {metric_id!r} in the plan") from None
    return _metric_out(p, m)


@router.get("/areas", response_model=list[AreaOut], summary="GB/T 2260 areas known")
def list_areas() -> list[AreaOut]:
    return [AreaOut(code=c.code, name_zh=c.name_zh, name_en=c.name_en, level=c.level)
            for c in reference.areas().values()]


# ------------------------------------------------------------------------------ data


def parse_as_of(value: str | None) -> datetime | None:
    if value is None or not value.strip():
        return None
    try:
        return as_of_instant(value)
    except StoreError as exc:
        raise HTTPException(422, str(exc)) from None


_PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def unknown_code(param: str, value: str, what: str) -> HTTPException:
    """The 422 of a filter naming a code that does not exist: a typo must not read as 'none'."""
    return HTTPException(422, f"unknown {what} {value!r} in parameter {param!r}")


def area_param(param: str, value: str | None) -> str | None:
    """The GB/T 2260 code ``value`` names (``44`` is ``440000``); None when not given."""
    if not value:
        return None
    try:
        return reference.area(value).code
    except UnknownCodeError:
        raise unknown_code(param, value, "GB/T 2260 area code") from None


def indicator_param(p: Platform, param: str, values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    known = p.known_indicators()
    for v in values:
        if v not in known:
            raise unknown_code(param, v, "indicator")
    return values


def sector_param(param: str, value: str | None) -> str | None:
    """The GB/T 4754 code ``value`` names; blank is the whole economy, None not given."""
    if value is None or value == "":
        return value
    try:
        return reference.industry(value).code
    except UnknownCodeError:
        raise unknown_code(param, value, "GB/T 4754-2017 industry code") from None


def select_observations(p: Platform, *, indicator: list[str] | None, area: str | None,
                        sector: str | None, period: str | None, year: int | None,
                        as_of: str | None, vintage: int | None) -> list[Observation]:
    if period and not _PERIOD.match(period):
        raise unknown_code("period", period, "period (2024, 2024-Q3, 2024-03, 2024-09-30)")
    rows = p.store.observations(indicators=indicator_param(p, "indicator", indicator),
                                area=area_param("area", area),
                                sector=sector_param("sector", sector),
                                as_of=parse_as_of(as_of))
    if period:
        rows = [o for o in rows if o.period.code == period]
    if year is not None:
        rows = [o for o in rows if o.year == year]
    if vintage is not None:
        rows = [o for o in rows if o.vintage == vintage]
    return rows


def observations_response(rows: list[Observation], fmt: Format, name: str) -> Response:
    if fmt == "csv":
        return PlainTextResponse(exports.to_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers=attachment(f"{name}.csv"))
    if fmt == "xlsx":
        return Response(exports.to_xlsx(rows), headers=attachment(f"{name}.xlsx"),
                        media_type="application/vnd.openxmlformats-officedocument."
                                   "spreadsheetml.sheet")
    if fmt == "sdmx-csv":
        return PlainTextResponse(exports.to_sdmx_csv(rows),
                                 media_type=exports.SDMX_MEDIA_TYPE,
                                 headers=attachment(f"{name}.sdmx.csv"))
    return JSONResponse([ObservationOut(
        indicator=o.indicator, area=o.area, sector=o.sector, year=o.year, period=o.period.code,
        value=o.value, unit=o.unit, scope=o.scope, source=o.source, citation=o.citation,
        flags=sorted(o.flags), note=o.note, quote=o.quote, lower=o.lower, upper=o.upper,
        vintage=o.vintage, vintage_at=o.vintage_at).model_dump(mode="json") for o in rows])


@router.get(
    "/observations", response_model=list[ObservationOut],
    summary="Current figures (or as known at as_of), filtered",
    description="For each key the latest figure known at `as_of` (a date, or a timestamp "
                "with time zone); `vintage` keeps only figures that arrived in that vintage. "
                "`format` gives CSV, Excel or SDMX-CSV instead of JSON.",
)
def list_observations(
    request: Request,
    indicator: Annotated[list[str] | None, Query(max_length=100)] = None,
    area: Annotated[str | None, Query(max_length=12)] = None,
    sector: Annotated[str | None, Query(max_length=12)] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
    year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
    vintage: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    format: Format = "json",
) -> Response:
    p = platform_of(request)

    def make() -> Response:
        rows = select_observations(p, indicator=indicator, area=area, sector=sector,
                                   period=period, year=year, as_of=as_of, vintage=vintage)
        return observations_response(rows, format, "mic2025-observations")

    if as_of is not None:  # a past state: neither cached nor tagged (as_of is unbounded)
        return make()
    key = ("api_observations", tuple(indicator or ()), area, sector, period, year, vintage,
           format)
    return cached_answer(request, p, key, make)


@router.get("/export/sdmx-csv", summary="Observations as SDMX-CSV (same filters)")
def sdmx_csv(
    request: Request,
    indicator: Annotated[list[str] | None, Query(max_length=100)] = None,
    area: Annotated[str | None, Query(max_length=12)] = None,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    rows = select_observations(platform_of(request), indicator=indicator, area=area,
                               sector=None, period=None, year=None, as_of=as_of, vintage=None)
    return observations_response(rows, "sdmx-csv", "mic2025")


@router.get(
    "/sdmx/structure", summary="SDMX-ML 2.1 structure of the SDMX-CSV export",
    description="The dataflow MIC2025:MIC2025_OBS(1.0), its data structure definition "
                "(dimensions INDICATOR, REF_AREA, SECTOR, SCOPE, SOURCE, TIME_PERIOD; "
                "attributes UNIT_MEASURE, OBS_STATUS, VINTAGE, SOURCE_DATE, QUOTE, COMMENT_OBS, "
                "LOWER_BOUND, UPPER_BOUND), its concepts and its "
                "codelists (indicators of the plan and the series catalogue, GB/T 2260 "
                "areas, GB/T 4754 sectors, units, flags), generated from the plan and the "
                "reference data.",
    response_class=Response,
    responses={200: {"content": {"application/vnd.sdmx.structure+xml": {}},
                     "description": "An SDMX-ML 2.1 structure message"}},
)
def sdmx_structure(request: Request) -> Response:
    p = platform_of(request)

    def make() -> bytes:
        return sdmx.structure_message(p.plan, p.store_units())

    body = p.cached(("sdmx_structure", *p.state_key()), make)
    return Response(body, media_type=sdmx.MEDIA_TYPE,
                    headers=attachment("mic2025-structure.xml"))


@router.get("/evaluations", response_model=Evaluation,
            summary="Every target of the plan judged in one area")
def get_evaluation(
    request: Request,
    area: Annotated[str | None, Query(max_length=12,
                                      description="default: the plan's own area")] = None,
    method: Annotated[str | None, Query(max_length=20,
                                        description="default: the registry's default")] = None,
    as_of: Annotated[str | None, Query(max_length=40)] = None,
) -> Evaluation | Response:
    if method and method not in METHODS:
        raise HTTPException(422, f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    p = platform_of(request)
    if as_of is not None:
        return p.evaluation(area_param("area", area), method or None, parse_as_of(as_of))

    code = area_param("area", area)

    def make() -> Response:
        ev = p.evaluation(code, method or None)
        return Response(ev.model_dump_json(by_alias=True), media_type="application/json")

    # one area's figures: kept (and its tag unchanged) while other areas' arrive
    return cached_answer(request, p, ("api_evaluation", area, method), make,
                         state=p.area_state_key(code or p.plan.area))


def cached_answer(request: Request, p: Platform, key: tuple[object, ...],
                  make: Callable[[], Response],
                  state: tuple[object, ...] | None = None) -> Response:
    """A read answer made once per store vintage (and day) and query, tagged: ``304`` when the
    reader has it already (:mod:`mic2025.web.etag`). The serialised body is what is kept, so
    a repeated read neither evaluates nor serialises again. ``state`` is what the answer
    rests on, when that is less than every vintage (:func:`mic2025.web.etag.cached_page`)."""
    if state is None:
        state = p.state_key()
    tag, unchanged = etag.not_modified(request, p, page=False, state=state)
    if unchanged is not None:
        return unchanged

    def freeze() -> tuple[bytes, list[tuple[bytes, bytes]]]:
        made = make()
        return bytes(made.body), [(k, v) for k, v in made.raw_headers if k != b"content-length"]

    body, headers = p.answers.get((*key, *state), freeze)
    answer = Response(body)
    answer.raw_headers = [*headers, (b"content-length", str(len(body)).encode())]
    return etag.stamp(answer, tag, page=False)


# ------------------------------------------------------------------------------ submissions


def _sub_out(s: submissions.Submission, offset: int = 0,
             limit: int = submissions.PROBLEM_PAGE) -> SubmissionOut:
    return SubmissionOut.model_validate(submissions.page(s, offset, limit))


@router.get("/submissions", response_model=list[SubmissionSummary],
            summary="The submissions you may read (problems counted, not listed)")
def list_submissions(
    request: Request, actor: ActorDep,
    year: Annotated[int | None, Query(ge=1949, le=2100)] = None,
    area: Annotated[str | None, Query(max_length=12)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> list[SubmissionSummary]:
    if not may_at_all(actor, "submission:read"):
        require(actor, "submission:read")
    if status and status not in SUBMISSION_STATES:
        raise unknown_code("status", status, f"state (one of {', '.join(SUBMISSION_STATES)})")
    rows = submissions.list_for(platform_of(request).engine, actor, year=year,
                                area=area_param("area", area), status=status or None)
    return rows


@router.get("/submissions/{submission_id}", response_model=SubmissionOut,
            summary="One submission, with a page of its validation report")
def get_submission(
    request: Request, actor: ActorDep, submission_id: SubmissionId,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = submissions.PROBLEM_PAGE,
) -> SubmissionOut:
    return _sub_out(submissions.get(platform_of(request).engine, actor, submission_id),
                    offset, limit)


@router.get("/submissions/{submission_id}/file", summary="The file as uploaded")
def get_submission_file(request: Request, actor: ActorDep, submission_id: SubmissionId) -> Response:
    name, data = submissions.content(platform_of(request).engine, actor, submission_id)
    return Response(data, media_type="application/octet-stream", headers=attachment(name))


@router.get("/templates/{area}/{year}", summary="The Excel template of an area and year")
def get_template(request: Request, actor: ActorDep, area: Annotated[str, Path(max_length=12)],
                 year: Annotated[int, Path(ge=1949, le=2100)],
                 enterprise: Annotated[str, Query(max_length=18)] = "") -> Response:
    reference.area(area)
    if not 1949 <= year <= 2100:
        raise HTTPException(422, "year must be 1949–2100")
    require(actor, "template:download", Resource("template", area=area, enterprise=enterprise))
    data = submissions.build_template(platform_of(request).plan, area, year,
                                      enterprise=enterprise)
    return Response(data, headers=attachment(submissions.template_filename(area, year,
                                                                            enterprise)),
                    media_type="application/vnd.openxmlformats-officedocument."
                               "spreadsheetml.sheet")


@router.post("/submissions", response_model=SubmissionOut, status_code=201,
             summary="Upload a file; the answer carries its validation report")
async def post_submission(
    request: Request,
    area: Annotated[str, Form(max_length=12)],
    year: Annotated[int, Form(ge=1949, le=2100)],
    file: Annotated[UploadFile, File()],
    enterprise: Annotated[str, Form(max_length=18)] = "",
) -> SubmissionOut:
    from starlette.concurrency import run_in_threadpool

    from ..security import resolve_actor

    actor = await run_in_threadpool(resolve_actor, request)
    data = await file.read(submissions.MAX_UPLOAD_BYTES + 1)
    s = await run_in_threadpool(
        lambda: submissions.upload(platform_of(request).engine, platform_of(request).plan,
                                   actor, area=area, year=year,
                                   filename=file.filename or "upload", data=data,
                                   enterprise=enterprise, ip=client_ip(request)))
    return _sub_out(s)


@router.post("/submissions/{submission_id}/submit", response_model=SubmissionOut)
def post_submit(request: Request, actor: ActorDep, submission_id: SubmissionId) -> SubmissionOut:
    return _sub_out(submissions.submit(platform_of(request).engine, actor, submission_id,
                                       ip=client_ip(request)))


def _levels(request: Request) -> int:
    return int(request.app.state.settings.approval_levels)


@router.post("/submissions/{submission_id}/approve", response_model=SubmissionOut,
             summary="The province's approval (final with one approval level)")
def post_approve(request: Request, actor: ActorDep, submission_id: SubmissionId,
                 background: BackgroundTasks, body: DecisionIn | None = None) -> SubmissionOut:
    p = platform_of(request)
    return _sub_out(submissions.approve(p.engine, p.store, p.plan, actor, submission_id,
                                        comment=body.comment if body else "",
                                        ip=client_ip(request),
                                        after_commit=p.after_answer(background),
                                        levels=_levels(request),
                                        notes=body.notes if body else None))


@router.post("/submissions/{submission_id}/accept", response_model=SubmissionOut,
             summary="National acceptance of a province-approved submission; stores it")
def post_accept(request: Request, actor: ActorDep, submission_id: SubmissionId,
                background: BackgroundTasks, body: DecisionIn | None = None) -> SubmissionOut:
    p = platform_of(request)
    return _sub_out(submissions.accept(p.engine, p.store, p.plan, actor, submission_id,
                                       comment=body.comment if body else "",
                                       ip=client_ip(request),
                                       after_commit=p.after_answer(background),
                                       notes=body.notes if body else None))


@router.post("/submissions/{submission_id}/return", response_model=SubmissionOut,
             summary="Return, with a comment and/or reasons on figures (notes)")
def post_return(request: Request, actor: ActorDep, submission_id: SubmissionId,
                body: DecisionIn) -> SubmissionOut:
    p = platform_of(request)
    return _sub_out(submissions.return_(p.engine, actor, submission_id, comment=body.comment,
                                        ip=client_ip(request), reasons=body.notes,
                                        plan=p.plan))


@router.post("/submissions/{submission_id}/comments", response_model=SubmissionOut,
             summary="Comments on figures of a submission (figure key → text)")
def post_comments(request: Request, actor: ActorDep, submission_id: SubmissionId,
                  body: NotesIn) -> SubmissionOut:
    p = platform_of(request)
    return _sub_out(submissions.comment(p.engine, p.plan, actor, submission_id, body.notes,
                                        ip=client_ip(request)))


@router.get("/submissions/{submission_id}/figures", response_model=list[FigureOut],
            summary="A submission's figures against the previous vintage and year")
def get_figures(request: Request, actor: ActorDep, submission_id: SubmissionId,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = review.FIGURE_PAGE
                ) -> list[FigureOut]:
    p = platform_of(request)
    lang = lang_of(request)
    seen = review.review(p.engine, p.store, p.plan, actor, submission_id, offset=offset,
                         limit=limit)
    return [FigureOut(
        key=f.key, indicator=o.indicator, area=o.area, sector=o.sector, period=o.period.code,
        value=o.value, unit=o.unit, scope=o.scope, flags=sorted(o.flags),
        citation=cite(o.citation, lang).text,
        previous=f.previous.value if f.previous else None,
        previous_unit=f.previous.unit if f.previous else None, change=f.change,
        previous_year=f.previous_year.value if f.previous_year else None,
        change_year=f.change_year, checks=list(f.checks),
        notes=[NoteOut.model_validate(n.model_dump()) for n in f.notes])
        for f in seen.figures for o in (f.observation,)]


@router.get("/submissions/{submission_id}/history", response_model=list[StepOut],
            summary="A submission's trace: every step, who, when and what changed")
def get_history(request: Request, actor: ActorDep, submission_id: SubmissionId
                ) -> list[StepOut]:
    lang = lang_of(request)
    return [StepOut(id=e.id, at=e.at, actor=e.actor, via=e.via, action=e.action,
                    step=audit.step_label(e.action, lang), comment=e.comment,
                    changes=[ChangeOut(field=c.field, before=c.before, after=c.after)
                             for c in audit.changes(e, lang)])
            for e in review.history(platform_of(request).engine, actor, submission_id)]


@router.post("/submissions/{submission_id}/unlock", response_model=SubmissionOut)
def post_unlock(request: Request, actor: ActorDep, submission_id: SubmissionId,
                body: CommentIn) -> SubmissionOut:
    return _sub_out(submissions.unlock(platform_of(request).engine, actor, submission_id,
                                       comment=body.comment, ip=client_ip(request)))


@router.post("/submissions/bulk-approve", response_model=list[BulkOut],
             summary="Approve many submissions; each one succeeds or fails on its own")
def post_bulk_approve(request: Request, actor: ActorDep, body: BulkIn,
                      background: BackgroundTasks) -> list[BulkOut]:
    p = platform_of(request)
    if not (may_at_all(actor, "submission:approve") or may_at_all(actor, "submission:accept")):
        require(actor, "submission:approve")
    outcomes = submissions.bulk_approve(p.engine, p.store, p.plan, actor, body.ids,
                                        comment=body.comment, ip=client_ip(request),
                                        after_commit=p.after_answer(background),
                                        levels=_levels(request))
    return [BulkOut(id=o.id, ok=o.ok, message=o.message) for o in outcomes]


@router.get("/board", response_model=list[BoardOut], summary="Who is late for a round")
def get_board(request: Request, actor: ActorDep,
              year: Annotated[int, Query(ge=1949, le=2100)]) -> list[BoardOut]:
    if not may_at_all(actor, "board:read"):
        require(actor, "board:read")
    lines = submissions.board(platform_of(request).engine, actor, year)
    return [BoardOut(**line.__dict__) for line in lines]


@router.post("/deadlines", status_code=204, summary="Set when a round is due")
def post_deadline(request: Request, actor: ActorDep, body: DeadlineIn) -> Response:
    submissions.set_deadline(platform_of(request).engine, actor, body.year, body.due,
                             area=body.area, ip=client_ip(request))
    return Response(status_code=204)


# ------------------------------------------------------------------------------ reviews


@router.get("/reviews", response_model=list[Review],
            summary="Third-party reviews (of a round, or all), newest first")
def get_reviews(request: Request, actor: ActorDep,
                metric: Annotated[str | None, Query(max_length=100)] = None,
                area: Annotated[str | None, Query(max_length=12)] = None,
                round: Annotated[str | None, Query(max_length=64)] = None) -> list[Review]:
    require(actor, "followup:read", Resource("followup"))
    p = platform_of(request)
    if metric and metric not in {m.id for m in p.plan.metrics()}:
        raise unknown_code("metric", metric, "metric of the plan")
    return thirdparty.list_reviews(p.store, metric=metric or None,
                                   area=area_param("area", area), round=round or None)


@router.post("/reviews", response_model=Review, status_code=201,
             summary="Write a third-party review of a metric")
def post_review(request: Request, actor: ActorDep, body: ReviewIn) -> Review:
    p = platform_of(request)
    return thirdparty.add_review(p.store, p.plan, actor, metric=body.metric, area=body.area,
                                 target_year=body.target_year, rating=body.rating,
                                 text=body.text, round=body.round, ip=client_ip(request))


# ------------------------------------------------------------------------------ admin


@router.get("/users", response_model=list[UserOut])
def get_users(request: Request, actor: ActorDep) -> list[UserOut]:
    require(actor, "user:manage")
    return [UserOut(username=u.username, display_name=u.display_name, disabled=u.disabled,
                    demo=u.demo, roles=[accounts.format_grant(g) for g in u.grants])
            for u in accounts.list_users(platform_of(request).engine)]


@router.post("/users", response_model=UserOut, status_code=201)
def post_user(request: Request, actor: ActorDep, body: UserIn) -> UserOut:
    require(actor, "user:manage")
    grants = [accounts.parse_grant(r) for r in body.roles]
    accounts.create_user(platform_of(request).engine, actor, body.username, body.password,
                         grants, display_name=body.display_name, ip=client_ip(request))
    return UserOut(username=body.username, display_name=body.display_name, disabled=False,
                   demo=False, roles=[accounts.format_grant(g) for g in grants])


@router.post("/users/{username}/disable", status_code=204)
def post_disable_user(request: Request, actor: ActorDep,
                      username: Annotated[str, Path(max_length=64)]) -> Response:
    require(actor, "user:manage")
    accounts.set_disabled(platform_of(request).engine, actor, username, True,
                          ip=client_ip(request))
    return Response(status_code=204)


@router.get("/audit", response_model=list[AuditEntry], summary="The audit log, newest first")
def get_audit(
    request: Request, actor: ActorDep,
    who: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 200,
    format: Literal["json", "csv"] = "json",
) -> Response:
    require(actor, "audit:read")
    rows = audit.entries(platform_of(request).engine, actor=who, action=action, limit=limit)
    if format == "csv":
        return PlainTextResponse(audit.to_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers=attachment("mic2025-audit.csv"))
    return JSONResponse([e.model_dump(mode="json") for e in rows])
