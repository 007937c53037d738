"""Administration pages: the audit log (browse and export), users, one's own API tokens."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from ...i18n import t
from ...permissions import Resource
from ...services import accounts
from .. import audit
from ..data import Platform
from ..downloads import attachment
from ..rendering import lang_of, render, require, see_other
from ..security import client_ip, resolve_actor

router = APIRouter(include_in_schema=False)
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
PAGE = 100


def _platform(request: Request) -> Platform:
    return request.app.state.platform


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, who: Annotated[str, Query(max_length=64)] = "",
               action: Annotated[str, Query(max_length=64)] = "", since: date | None = None,
               before: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
               format: str = "html") -> Response:
    actor = resolve_actor(request)
    require(actor, "audit:read")
    engine = _platform(request).engine
    if format == "csv":
        rows = audit.entries(engine, actor=who or None, action=action or None, since=since,
                             limit=None)
        return PlainTextResponse(audit.to_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers=attachment("mic2025-audit.csv"))
    rows = audit.entries(engine, actor=who or None, action=action or None, since=since,
                         limit=PAGE, before_id=before)
    return render(request, "audit.html.j2", title=t("nav.audit", lang_of(request)), rows=rows,
                  who=who, action=action, since=since, older=rows[-1].id if len(rows) == PAGE
                  else None, changes=lambda e: audit.changes(e, lang_of(request)))


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request) -> HTMLResponse:
    actor = resolve_actor(request)
    require(actor, "user:manage")
    return render(request, "users.html.j2", title=t("nav.users", lang_of(request)),
                  users=accounts.list_users(_platform(request).engine),
                  format_grant=accounts.format_grant, error=None)


@router.post("/admin/users")
def add_user(request: Request, username: Annotated[str, Form(max_length=64)],
             password: Annotated[str, Form(max_length=256)],
             roles: Annotated[str, Form(max_length=500)],
             display_name: Annotated[str, Form(max_length=200)] = "") -> Response:
    actor = resolve_actor(request)
    require(actor, "user:manage")
    grants = [accounts.parse_grant(r) for r in roles.replace(",", " ").split()]
    accounts.create_user(_platform(request).engine, actor, username, password, grants,
                         display_name=display_name, ip=client_ip(request))
    return see_other("/admin/users")


@router.post("/admin/users/{username}/{step}")
def user_step(request: Request, username: str, step: str) -> Response:
    actor = resolve_actor(request)
    require(actor, "user:manage")
    if step not in ("disable", "enable"):
        return see_other("/admin/users")
    accounts.set_disabled(_platform(request).engine, actor, username, step == "disable",
                          ip=client_ip(request))
    return see_other("/admin/users")


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> HTMLResponse:
    actor = resolve_actor(request)
    require(actor, "token:manage", Resource("api_token", owner=actor.username))
    return render(request, "account.html.j2", title=t("nav.account", lang_of(request)),
                  tokens=accounts.list_tokens(_platform(request).engine, actor.username),
                  new_token=None, format_grant=accounts.format_grant)


@router.post("/account/tokens", response_class=HTMLResponse)
def new_token(request: Request, name: Annotated[str, Form(max_length=100)] = "") -> Response:
    actor = resolve_actor(request)
    require(actor, "token:manage", Resource("api_token", owner=actor.username))
    engine = _platform(request).engine
    token = accounts.create_token(engine, actor, actor.username, name or "token",
                                  ip=client_ip(request))
    return render(request, "account.html.j2", title=t("nav.account", lang_of(request)),
                  tokens=accounts.list_tokens(engine, actor.username), new_token=token,
                  format_grant=accounts.format_grant)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: RowId) -> Response:
    actor = resolve_actor(request)
    engine = _platform(request).engine
    owner = accounts.token_owner(engine, token_id) or ""
    require(actor, "token:manage", Resource("api_token", owner=owner))
    accounts.revoke_token(engine, actor, token_id, ip=client_ip(request))
    return see_other("/account")
