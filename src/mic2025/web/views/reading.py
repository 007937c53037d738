"""The reading pages: the leader's one-page view, the province list with status and map, and
each account's inbox of notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...i18n import t
from ...permissions import Actor, Resource
from ...services import notices
from .. import reading
from ..data import Platform
from ..rendering import lang_of, render, require, see_other
from ..security import current_actor, resolve_actor

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


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> HTMLResponse:
    engine = _platform(request).engine
    # a deadline's reminders are written when someone looks (and by ``mic2025 notices``)
    notices.remind(engine)
    lang = lang_of(request)
    found = notices.inbox(engine, actor)
    return render(request, "inbox.html.j2", title=t("nav.inbox", lang),
                  notices=[(n, notices.words(n, lang)) for n in found],
                  unread=sum(not n.read for n in found))


@router.post("/inbox/read")
def inbox_read(request: Request,
               actor: Annotated[Actor, Depends(current_actor)]) -> RedirectResponse:
    notices.mark_all_read(_platform(request).engine, actor)
    return see_other("/inbox")
