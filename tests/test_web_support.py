"""Shared set-up of the web tests: a real app on a real database, users, files, log-in.

Imported by the other ``test_web_*`` modules; it holds no test itself. Every app runs on a
fresh database of its backend (SQLite file; PostgreSQL with ``MIC2025_TEST_PG_URL``) and
is driven in-process through its ASGI interface.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from mic2025.permissions import Actor
from mic2025.services import accounts
from mic2025.store import Store
from mic2025.web.app import create_app, open_platform
from mic2025.web.settings import Settings
from store_fixtures import BACKENDS as BACKENDS_FOR_APPS
from store_fixtures import StoreTemplates, cheap_hasher

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SYSTEM = Actor(id=None, username="test-setup", via="system")
PASSWORD = "correct horse battery"
ENTERPRISE = "91440300TEST00001X"
OTHER_ENTERPRISE = "91440300TEST00002X"

#: the accounts most tests use: username → role grant
USERS = {
    "admin": "admin",
    "analyst": "analyst",
    "gd-editor": "prov_editor:440000",
    "gd-approver": "prov_approver:440000",
    "bj-editor": "prov_editor:110000",
    "firm": f"enterprise:{ENTERPRISE}@440000",
    "evaluator": "evaluator",
    "miit-editor": "body_editor:miit",
    "ndrc-editor": "body_editor:ndrc",
    "national": "national_approver",
}


def make_app(url: str, followup_dir: Path | None = None, plan_file: str | None = None,
             approval_levels: int | None = 1) -> FastAPI:
    """The app; its follow-up records go to a fresh folder (PostgreSQL has no file beside).

    The tests' apps approve in one level (the province's approval is final), the workflow
    most test modules drive; ``approval_levels=None`` gives the platform's default (province
    approval, then national acceptance), which tests/test_web_review.py drives.
    """
    import tempfile

    folder = followup_dir or Path(tempfile.mkdtemp(prefix="mic2025-followup-"))
    return create_app(url, secret="test-secret", followup_dir=str(folder), plan_file=plan_file,
                      approval_levels=approval_levels)


def client(app: FastAPI, *, https: bool = False) -> TestClient:
    return TestClient(app, base_url="https://testserver" if https else "http://testserver",
                      follow_redirects=False)


def add_users(app: FastAPI, users: dict[str, str] | None = None) -> dict[str, str]:
    """Create the users and return an API token for each."""
    return users_in(app.state.platform.store, users)


def users_in(store: Store, users: dict[str, str] | None = None) -> dict[str, str]:
    """Create the users (default :data:`USERS`) in ``store``; an API token for each."""
    engine = store.engine
    tokens = {}
    for name, grant in (users or USERS).items():
        accounts.create_user(engine, SYSTEM, name, PASSWORD, [accounts.parse_grant(grant)])
        tokens[name] = accounts.create_token(engine, SYSTEM, name, "tests")
    return tokens


def _template_users(store: Store) -> dict[str, str]:
    """:func:`users_in` for the store template: hashed with the cheap parameters whichever
    fixture builds it first (a module's fixture runs before the autouse ``cheap_argon2``),
    as a log-in must not find the hash needs rehashing, nor pay the production cost."""
    hasher = accounts.PASSWORD_HASHER
    accounts.PASSWORD_HASHER = cheap_hasher()
    try:
        return users_in(store)
    finally:
        accounts.PASSWORD_HASHER = hasher


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def csv_bytes(rows: Sequence[dict[str, Any]]) -> bytes:
    header = ["indicator", "area", "year", "value", "unit", "scope", "source"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    for r in rows:
        writer.writerow({h: r.get(h, "") for h in header})
    return out.getvalue().encode("utf-8")


def good_file(area: str = "440000", year: int = 2024, value: float = 2.1) -> bytes:
    return csv_bytes([
        {"indicator": "rd_intensity", "area": area, "year": year, "value": value, "unit": "%",
         "source": "省统计局 provincial statistics bureau"},
        {"indicator": "broadband_penetration", "area": area, "year": year, "value": 88.5,
         "unit": "%", "source": "省通信管理局"},
    ])


def bad_file(area: str = "440000", year: int = 2024) -> bytes:
    return csv_bytes([
        {"indicator": "rd_intensity", "area": area, "year": year, "value": "abc", "unit": "%",
         "source": "省统计局"},
        {"indicator": "broadband_penetration", "area": area, "year": year, "value": 88.5,
         "unit": "%", "source": ""},
    ])


def upload(c: TestClient, token: str, *, area: str = "440000", year: int = 2024,
           data: bytes | None = None, enterprise: str = "", name: str = "figures.csv"
           ) -> Any:
    return c.post("/api/submissions", headers=bearer(token),
                  data={"area": area, "year": str(year), "enterprise": enterprise},
                  files={"file": (name, data if data is not None else good_file(area, year),
                                  "text/csv")})


_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def log_in(c: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = csrf_of(c.get("/login").text)
    return c.post("/login", data={"username": username, "password": password,
                                  "csrf_token": token, "next": "/"})


@pytest.fixture
def pg_or_sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    from store_fixtures import fresh_url

    with fresh_url(request.param, tmp_path) as url:
        yield url


#: the apps of this worker, one per settings (the store and follow-up folder aside)
_SHELLS: dict[Settings, FastAPI] = {}


def shared_app(url: str, folder: Path, *, plan_file: str | None = None,
               approval_levels: int | None = 1) -> FastAPI:
    """The platform on the store at ``url``, in an app this worker may have built before.

    ``create_app`` makes two things: the platform (store, plan, follow-up service, caches:
    everything that holds data, :func:`~mic2025.web.app.open_platform`) and the ASGI app
    around it (routes, middleware, page templates), which holds only the settings. The app is
    the costly half — FastAPI works out every route's parameters on its first request and
    Jinja compiles each page on first use, some 0.5 s an app — and nothing in it changes from
    one test to the next. So an app is built once per worker for each settings (the store
    and follow-up folder aside), and each test gets a new platform in it, opened by the
    production code on the test's own copy of the store: its data, caches, warnings and
    documents are the test's alone. A test that needs other settings than these (a demo
    platform, say) builds its own with :func:`make_app`.
    """
    settings = Settings.from_env(url, secret="test-secret", plan_file=plan_file,
                                 followup_dir=str(folder), approval_levels=approval_levels)
    shape = replace(settings, db_url=None, followup_dir=None)
    application = _SHELLS.get(shape)
    if application is None:
        application = _SHELLS[shape] = create_app(settings=settings)
        return application
    application.state.settings = settings
    application.state.platform = open_platform(settings, application.state.platform.plan)
    return application


#: the variant of the store templates that holds the :data:`USERS`
WITH_USERS = "users"
#: where :func:`platform` leaves the tokens of the :data:`USERS` its store holds
_TOKENS = pytest.StashKey[dict[str, str]]()


@contextmanager
def platform(request: pytest.FixtureRequest, tmp_path: Path, store_templates: StoreTemplates,
             backend: str, *, users: bool | None = None, plan_file: str | None = None,
             approval_levels: int | None = 1) -> Iterator[FastAPI]:
    """The platform of a test (:func:`shared_app`) on a copy of the session's store template.

    With ``users`` (by default: when the test asks for :func:`tokens`) the copy is of the
    template that also holds the :data:`USERS`, made once a session by :func:`users_in`, and
    :func:`standard_tokens` gives their tokens.
    """
    if users is None:
        users = "tokens" in request.fixturenames
    variant = WITH_USERS if users else ""
    with store_templates.copy(backend, tmp_path, variant, _template_users) as url:
        if users:
            request.node.stash[_TOKENS] = store_templates.filled[(backend, WITH_USERS)]
        application = shared_app(url, tmp_path / "followup", plan_file=plan_file,
                                 approval_levels=approval_levels)
        try:
            yield application
        finally:
            application.state.platform.close()


def standard_tokens(request: pytest.FixtureRequest) -> dict[str, str]:
    """The tokens of the :data:`USERS` in the store :func:`platform` gave this test."""
    return dict(request.node.stash[_TOKENS])


@pytest.fixture(params=BACKENDS_FOR_APPS)
def app(request: pytest.FixtureRequest, tmp_path: Path,
        store_templates: StoreTemplates) -> Iterator[FastAPI]:
    """A platform on a new store, once per backend (import it to use it).

    The store is a copy of the session's template (migrated, bundled evidence loaded): the
    state ``create_app`` would reach on an empty database, without redoing it every test.
    """
    with platform(request, tmp_path, store_templates, request.param) as application:
        yield application


@pytest.fixture
def tokens(app: FastAPI, request: pytest.FixtureRequest) -> dict[str, str]:
    """API tokens of the standard users, by role name: made with the store when the ``app``
    came from :func:`platform`, else made now."""
    if _TOKENS in request.node.stash:
        return standard_tokens(request)
    return add_users(app)


@dataclass(frozen=True)
class PlanCase:
    """A plan the platform is started with, and the area it must then show by default."""

    plan_file: str | None
    area: str
    name_zh: str
    name_en: str
    overview_zh: str
    overview_en: str


EXAMPLE_PLANS = Path(__file__).resolve().parents[1] / "src/mic2025/plans/examples"

#: the national plan (bundled) and the regional example plan (Guangdong, 440000)
PLAN_CASES = {
    "national": PlanCase(None, "000000", "全国", "China (national)", "全国总览",
                         "National overview"),
    "regional": PlanCase(str(EXAMPLE_PLANS / "guangdong_example.yaml"), "440000", "广东省",
                         "Guangdong", "广东省总览", "Guangdong overview"),
}


@pytest.fixture(params=list(PLAN_CASES))
def plan_case(request: pytest.FixtureRequest) -> PlanCase:
    return PLAN_CASES[request.param]


@pytest.fixture(params=BACKENDS_FOR_APPS)
def plan_app(request: pytest.FixtureRequest, tmp_path: Path, store_templates: StoreTemplates,
             plan_case: PlanCase) -> Iterator[FastAPI]:
    """A platform started with each plan of :data:`PLAN_CASES`, once per backend.

    The store is the session's template, built with the national plan: the bundled evidence
    reads the same under the regional plan (it only restates targets), which
    ``test_web_plan_area`` checks, so the template serves both.
    """
    with platform(request, tmp_path, store_templates, request.param,
                  plan_file=plan_case.plan_file) as application:
        yield application


def cli_accounts(db: str, users: dict[str, str]) -> None:
    """Accounts made on the command line: the first (``admin``) without ``--as``, the others
    by it, as a store's administrator would."""
    from click.testing import CliRunner

    from mic2025.cli import main

    run = CliRunner().invoke
    first = True
    for name, role in users.items():
        acting = [] if first else ["--as", next(iter(users))]
        r = run(main, [*acting, "users", "add", name, "--role", role, "--password",
                       PASSWORD, "--db", db])
        assert r.exit_code == 0, r.output
        first = False
