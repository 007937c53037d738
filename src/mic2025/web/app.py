"""The web platform's ASGI application: :func:`create_app` builds it.

One app serves the pages (server-rendered Jinja2, autoescaped, Chinese and English) and the
REST API (``/api/…``, described at ``/openapi.json``), on the embedded SQLite store or on
PostgreSQL. Every route asks :func:`mic2025.permissions.allowed`; every write goes through
:mod:`mic2025.services` (checked, and audited in its own transaction); every unsafe request
passes the CSRF check (:mod:`.security`) unless it carries an API token. Body limits,
security headers, HEAD and the answer to an unexpected error are the middleware's
(:mod:`.middleware`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from .. import __version__, i18n
from ..errors import UnknownCodeError
from ..followup.common import FollowupError
from ..followup.common import followup_dir as followup_folder
from ..ingest.load import load_bundled
from ..permissions import Forbidden
from ..plan import Plan, load_plan
from ..report.official import FontsMissing
from ..services import accounts
from ..services.submissions import NotFound, UploadTooLarge, WorkflowError
from ..store import open_store
from . import writer
from .assets import STATIC, check_assets
from .data import OneVintage, Platform
from .followup import FollowUp
from .middleware import Guard
from .rendering import environment, error_response, invalid_field, lang_of, wants_json
from .security import CsrfFailed, csrf_protect
from .settings import Settings
from .views import admin, api, entry, followup_views, pages, reading, reporting, workflow

log = logging.getLogger("mic2025.web")


def create_app(db_url: str | None = None, *, demo: bool = False, secret: str | None = None,
               plan_file: str | None = None, settings: Settings | None = None,
               followup_dir: str | None = None,
               approval_levels: int | None = None) -> FastAPI:
    """The ASGI app on the store at ``db_url`` (default: ``MIC2025_DB`` or the user's file).

    Opens (and migrates) the store, loads the bundled evidence once, and with ``demo``
    seeds the labelled example accounts. Raises
    :class:`~mic2025.web.assets.AssetsMissing` when ``scripts/fetch-web-assets.sh`` has
    not been run.
    """
    check_assets()
    settings = settings or Settings.from_env(db_url, demo=demo, secret=secret,
                                             plan_file=plan_file, followup_dir=followup_dir,
                                             approval_levels=approval_levels)
    platform = open_platform(settings, load_plan(settings.plan_file))
    store = platform.store

    app = FastAPI(
        title="mic2025 — Made in China 2025 monitoring platform",
        version=__version__,
        description="Plans, indicators, observations (with vintages), evaluations and "
                    "submissions. Read endpoints are public; writes need an API token "
                    "(Authorization: Bearer …) of an account whose role allows them.",
        docs_url=None, redoc_url=None,  # their pages load scripts from a CDN
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.platform = platform
    app.state.templates = environment()
    app.state.demo = settings.demo or any(u.demo for u in accounts.list_users(store.engine))
    app.add_middleware(OneVintage)
    app.add_middleware(Guard, max_body_bytes=settings.max_body_bytes, error_page=error_response)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _error_handlers(app)

    app.include_router(entry.api_router)  # before api's /submissions/{id} routes
    app.include_router(api.router)
    app.include_router(followup_views.api_router)
    app.include_router(followup_views.router)
    app.include_router(pages.router)
    app.include_router(reading.router)
    app.include_router(reporting.router)
    app.include_router(entry.router)  # before workflow's /submissions/{id}
    app.include_router(workflow.router)
    app.include_router(admin.router)

    return app


def open_platform(settings: Settings, plan: Plan) -> Platform:
    """What the app serves, without the app: the store of ``settings`` opened (and migrated),
    the bundled evidence loaded, with ``demo`` the example accounts seeded, the plan and the
    follow-up service, and caches that start empty.

    Everything that holds data lives here; the app around it (routes, middleware, templates)
    holds only ``settings``.
    """
    store = open_store(settings.db_url)
    try:
        load_bundled(store, plan)
        if settings.demo:
            accounts.seed_demo(store.engine)
        platform = Platform(store, plan)
        # the follow-up records are in the store; the folder keeps generated documents
        folder = Path(settings.followup_dir) if settings.followup_dir else \
            followup_folder(store.url)
        folder.mkdir(parents=True, exist_ok=True)
        platform.followup = FollowUp(platform, folder)
    except BaseException:
        store.close()
        raise
    return platform


#: environment variables by which ``mic2025 serve --workers N`` hands its options to workers
ENV_WORKER_PLAN = "MIC2025_WEB_PLAN"


def create_app_from_env() -> FastAPI:
    """The app of one worker process of ``mic2025 serve --workers N`` (a uvicorn factory).

    Reads the store from ``MIC2025_DB``, the plan from ``MIC2025_WEB_PLAN``, the follow-up
    folder (generated documents) from ``MIC2025_FOLLOWUP_DIR`` and the shared secret from
    ``MIC2025_SECRET`` or ``MIC2025_SECRET_FILE``; refuses to start without that secret, since
    a worker with a key of its own would reject the forms the others issued. With
    ``MIC2025_WRITER_SOCKET`` its unsafe requests go to the writer process there; with
    ``MIC2025_WEB_ROLE=writer`` it is that process (:mod:`mic2025.web.writer`).
    """
    import os

    from .settings import SettingsError, shared_secret

    secret = shared_secret()
    if not secret:
        raise SettingsError("a worker needs the shared secret: MIC2025_SECRET or "
                            "MIC2025_SECRET_FILE")
    app = warm(create_app(os.environ.get("MIC2025_DB") or None, secret=secret,
                          plan_file=os.environ.get(ENV_WORKER_PLAN) or None,
                          followup_dir=os.environ.get("MIC2025_FOLLOWUP_DIR") or None))
    # with a writer process (mic2025.web.writer): it takes the workers' unsafe requests
    if os.environ.get(writer.ENV_ROLE) == "writer":
        app.add_middleware(writer.FromReaders)
    elif socket_path := os.environ.get(writer.ENV_WRITER_SOCKET):
        app.add_middleware(writer.ToWriter, socket_path=socket_path)
    return app


def warm(app: FastAPI) -> FastAPI:
    """``app`` with what its first readers would otherwise wait for made before it serves:
    every template compiled, the catalogue of series read, and the plan's own area evaluated
    on the store's latest vintage (``mic2025 serve`` warms each worker; tests need not).

    A worker starts with empty caches: its first readers, arriving together, all waited for
    these one-time costs (about 0.3 s of a core together), stretched by every other request
    of that moment to over a second.
    """
    env = app.state.templates
    for name in env.list_templates():
        env.get_template(name)
    platform: Platform = app.state.platform
    platform.known_indicators()
    platform.evaluation()
    return app


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return error_response(request, 403, "csrf", i18n.t("csrf_failed", lang_of(request)))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_response(request, 403, "forbidden", exc)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, "not_found", exc)

    @app.exception_handler(UnknownCodeError)
    async def _unknown(request: Request, exc: UnknownCodeError) -> Response:
        return error_response(request, 404, "not_found", exc)

    @app.exception_handler(UploadTooLarge)
    async def _too_large(request: Request, exc: UploadTooLarge) -> Response:
        return error_response(request, 413, "too_large", exc)

    @app.exception_handler(WorkflowError)
    async def _conflict(request: Request, exc: WorkflowError) -> Response:
        return error_response(request, 409, "conflict", exc)

    @app.exception_handler(FollowupError)
    async def _followup(request: Request, exc: FollowupError) -> Response:
        return error_response(request, 422, "bad_request", exc)

    @app.exception_handler(FontsMissing)
    async def _fonts(request: Request, exc: FontsMissing) -> Response:
        # the installation lacks what the document needs: the server's fault, not the reader's
        log.error("official documents cannot be made: %s", exc)
        return error_response(request, 503, "unavailable", exc)

    @app.exception_handler(accounts.AccountError)
    async def _account(request: Request, exc: accounts.AccountError) -> Response:
        return error_response(request, 400, "bad_request", exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # the API keeps FastAPI's list of problems, which clients parse; a page says each
        # field's problem in the reader's language
        if wants_json(request):
            return await request_validation_exception_handler(request, exc)
        lang = lang_of(request)
        said = ("；" if lang == "zh" else "; ").join(invalid_field(e, lang) for e in exc.errors())
        return error_response(request, 422, "bad_request",
                              f"{i18n.t('error.fields_invalid', lang)} {said}")

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        keys = {401: "forbidden", 403: "forbidden", 404: "not_found", 409: "conflict",
                413: "too_large"}
        said = exc if getattr(exc, "key", None) else str(exc.detail)  # a PageError has a key
        return error_response(request, exc.status_code, keys.get(exc.status_code, "bad_request"),
                      said, headers=getattr(exc, "headers", None))
