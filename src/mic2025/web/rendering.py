"""What every view shares: the page environment, rendering, the guard, errors, redirects.

The views depend on this module and :mod:`.app` imports the views; nothing here imports
:mod:`.app` or a view, so the package has no import circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from .. import __version__, i18n, permissions, reference
from ..errors import said
from ..i18n import Lang, code_label
from ..permissions import SITE, Actor, allowed, may_at_all
from ..report import fmt
from .assets import versions
from .security import csrf_token, resolve_actor

TEMPLATES = Path(__file__).resolve().parent / "templates"


def environment() -> jinja2.Environment:
    """The Jinja2 environment of the pages (autoescaped; an unknown variable is an error)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates are the installed package's: no stat per page
    )
    env.filters["number"] = fmt.number
    env.filters["moment"] = lambda dt, lang: fmt.moment(dt, lang)
    env.filters["day"] = lambda d, lang: fmt.day(d, lang)
    return env


def lang_of(request: Request) -> Lang:
    return getattr(request.state, "lang", i18n.DEFAULT)


def overview_label(area: str, lang: Lang) -> str:
    """The name of the overview of ``area``: 全国总览 for the nation, 广东省总览 for a province."""
    if area == reference.NATIONAL:
        return i18n.t("nav.overview", lang)
    return i18n.t("nav.overview_of", lang, area=reference.area(area).name(lang))


def render(request: Request, template: str, status_code: int = 200, **context: Any
           ) -> HTMLResponse:
    """A page, with what every page needs: language, actor, CSRF token, menu, demo banner,
    and the plan's own area (the overview the menu leads to)."""
    lang = lang_of(request)
    actor = resolve_actor(request)
    env: jinja2.Environment = request.app.state.templates
    plan_area: str = request.app.state.platform.plan.area
    other = "en" if lang == "zh" else "zh"
    params = dict(request.query_params)
    params["lang"] = other
    base = {
        "lang": lang,
        "t": lambda key, **kw: i18n.t(key, lang, **kw),
        "code_label": lambda group, code: code_label(group, code, lang),
        "area_label": lambda code: reference.area_label(code, lang),
        "fmt": fmt,
        "actor": actor,
        "may": lambda action: may_at_all(actor, action),
        "allowed": lambda action, resource: allowed(actor, action, resource),
        "csrf": csrf_token(request),
        "switch_lang_url": f"{request.url.path}?{urlencode(params)}",
        "other_lang": other,
        "demo": request.app.state.demo,
        "path": request.url.path,
        "assets": versions(),
        "version": __version__,
        "plan_area": plan_area,
        "overview_label": overview_label(plan_area, lang),
    }
    base.update(context)
    html = env.get_template(template).render(**base)
    return HTMLResponse(html, status_code=status_code)


def require(actor: Actor, action: Any, resource: Any = None) -> None:
    """Raise Forbidden unless ``allowed``; the one guard the views use (the services'
    refusal, said in the reader's language on a page)."""
    permissions.require(actor, action, resource if resource is not None else SITE)


class PageError(HTTPException):
    """A view's refusal (an HTTP status) with the key of its translation: the API answers
    the English ``detail``, a page says the key in the reader's language."""

    def __init__(self, status: int, detail: str, key: str, **params: object) -> None:
        super().__init__(status, detail)
        self.key, self.params = key, dict(params)

    def __str__(self) -> str:
        return str(self.detail)


def see_other(path: str) -> RedirectResponse:
    """The answer to a form that did its work: go (GET) to ``path``."""
    return RedirectResponse(path, status_code=303)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", "")


#: pydantic's error types a page says in words (the rest: "the value is not valid")
_INVALID = {"missing": "error.field_missing", "int_parsing": "error.field_int",
            "int_type": "error.field_int", "float_parsing": "error.field_number",
            "date_parsing": "error.field_date", "date_from_datetime_parsing": "error.field_date",
            "greater_than_equal": "error.field_min", "less_than_equal": "error.field_max",
            "literal_error": "error.field_choice", "string_pattern_mismatch": "error.field_value"}


def invalid_field(error: Mapping[str, Any], lang: Lang) -> str:
    """One problem of a request's fields (a FastAPI validation error) in ``lang``: the field
    by its name in the form or query, what is wrong, and the bound or choices where known."""
    loc = [str(x) for x in error.get("loc", ()) if x not in ("query", "body", "path", "form")]
    field = ".".join(loc) or "?"
    ctx = error.get("ctx") or {}
    key = _INVALID.get(str(error.get("type")), "error.field_value")
    bound = ctx.get("ge", ctx.get("le", ctx.get("expected", "")))
    return i18n.t(key, lang, field=field, bound=bound)


def error_response(request: Request, status: int, title_key: str, message: str | Exception,
                   headers: dict[str, str] | None = None) -> Response:
    """An error as JSON (API, or asked for) or as a page; an anonymous GET that needs an
    account goes to the log-in page instead. An error raised with a translation key
    (:meth:`mic2025.errors.Mic2025Error.saying`) is said in the page's language; the API keeps
    the English text, which clients may match."""
    key = getattr(message, "key", None)
    if wants_json(request):
        # the English text clients may match, and the key of its translation when it has one
        body = {"detail": str(message)} | ({"key": key} if key is not None else {})
        return JSONResponse(body, status_code=status, headers=headers)
    if key is not None:
        lang = lang_of(request)
        message = i18n.t(key, lang, **said(getattr(message, "params", {}), lang))
    actor = getattr(request.state, "actor", None)
    anonymous = actor is None or actor.anonymous
    if status in (401, 403) and anonymous and title_key != "csrf" and request.method == "GET":
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}", 303)
    return render(request, "error.html.j2", status_code=status,
                  title=i18n.t(title_key if title_key != "csrf" else "forbidden",
                               lang_of(request)),
                  message=str(message))
