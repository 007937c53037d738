"""The reporting-status page (数据公布情况): the figures due and missing from the store, and
those awaiting publication, with their publishers (:mod:`mic2025.followup.gaps`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...followup.gaps import reporting_status
from ...i18n import t
from ..rendering import lang_of, render

router = APIRouter(include_in_schema=False)


@router.get("/reporting", response_class=HTMLResponse)
def reporting(request: Request) -> HTMLResponse:
    p = request.app.state.platform
    ev = p.evaluation()
    rows = p.cached(("reporting", *p.state_key()), lambda: reporting_status(p.plan, ev))
    return render(request, "reporting.html.j2", evaluation=ev,
                  gaps=[r for r in rows if r.status == "gap"],
                  awaiting=[r for r in rows if r.status == "awaiting"],
                  title=t("nav.reporting", lang_of(request)))
