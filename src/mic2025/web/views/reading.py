"""The reading pages: the leader's one-page view, the province list with status and map, and
each account's inbox of notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...i18n import t
from ...permissions import Resource
from .. import reading
from ..data import Platform
from ..rendering import lang_of, render, require
from ..security import resolve_actor

router = APIRouter(include_in_schema=False)


def _platform(request: Request) -> Platform:
    return request.app.state.platform


@router.get("/leader", response_class=HTMLResponse)
def leader(request: Request) -> HTMLResponse:
    # the risks and deadlines are the follow-up's: read by every account, not the public
    require(resolve_actor(request), "followup:read", Resource("followup"))
    view = reading.leader_view(_platform(request))
    return render(request, "leader.html.j2", view=view, evaluation=view.evaluation,
                  title=t("nav.leader", lang_of(request)))


@router.get("/provinces", response_class=HTMLResponse)
def province_list(request: Request,
                  year: Annotated[int | None, Query(ge=1949, le=2100)] = None) -> HTMLResponse:
    p = _platform(request)
    lang = lang_of(request)
    chosen = year if year is not None else reading.default_year(p)
    lines = reading.province_lines(p, chosen)
    actor = resolve_actor(request)
    shown = {line.code for line in lines if reading.visible_status(actor, line)}
    return render(request, "provinces.html.j2", lines=lines, shown=shown, year=chosen,
                  map_option=reading.status_map(lines, lang),
                  title=t("nav.provinces", lang))
