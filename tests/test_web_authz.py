"""The authorisation matrix: every role × every write endpoint × its own and another scope.

The expected answers below are written from the roles as the platform's brief states them,
not read from :data:`mic2025.permissions.RULES`, so a wrong rule fails here. Each cell
gets a fresh resource in the state the endpoint needs, calls the endpoint through the real
app with the role's API token (the public sends none), and checks the status code, that the
resource changed only when allowed, and that an allowed write left an audit entry.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from mic2025.services import accounts, submissions
from mic2025.store import submissions as submission_rows
from mic2025.store.platform import AuditRow
from store_fixtures import StoreTemplates
from test_web_support import (
    ENTERPRISE,
    OTHER_ENTERPRISE,
    PASSWORD,
    SYSTEM,
    bearer,
    client,
    good_file,
    platform,
    standard_tokens,
)

ROLES = ("admin", "analyst", "prov_editor", "prov_approver", "enterprise", "evaluator",
         "body_editor", "national_approver", "public")
ACCOUNT = {"admin": "admin", "analyst": "analyst", "prov_editor": "gd-editor",
           "prov_approver": "gd-approver", "enterprise": "firm", "evaluator": "evaluator",
           "body_editor": "miit-editor", "national_approver": "national"}
ADMIN = accounts.Actor(id=None, username="matrix-setup", via="system",
                       grants=(accounts.Grant("admin"),))
#: approves what ADMIN uploaded and submitted (nobody approves their own submission)
APPROVER = accounts.Actor(id=None, username="matrix-approver", via="system",
                          grants=(accounts.Grant("admin"),))

#: endpoint → the roles allowed in their own scope and in another's ("own", "other")
EXPECTED: dict[str, dict[str, set[str]]] = {
    "upload": {"own": {"admin", "prov_editor", "enterprise"}, "other": {"admin"}},
    "submit": {"own": {"admin", "prov_editor", "enterprise"}, "other": {"admin"}},
    "approve": {"own": {"admin", "prov_approver"}, "other": {"admin"}},
    "return": {"own": {"admin", "prov_approver"}, "other": {"admin"}},
    "bulk_approve": {"own": {"admin", "prov_approver"}, "other": {"admin"}},
    # the second approval level: national acceptance of a province-approved submission, or
    # its return to the province
    "accept": {"own": {"admin", "national_approver"}, "other": {"admin", "national_approver"}},
    "return_endorsed": {"own": {"admin", "national_approver"},
                        "other": {"admin", "national_approver"}},
    # a comment on one figure: whoever may act on the submission (its editors, its approvers)
    "comment": {"own": {"admin", "prov_editor", "prov_approver", "enterprise",
                        "national_approver"},
                "other": {"admin", "national_approver"}},
    "unlock": {"own": {"admin"}, "other": {"admin"}},
    "deadline": {"own": {"admin"}, "other": {"admin"}},
    "review": {"own": {"admin", "evaluator"}, "other": {"admin", "evaluator"}},
    "user_create": {"own": {"admin"}, "other": {"admin"}},
    "user_disable": {"own": {"admin"}, "other": {"admin"}},
    # follow-up: a milestone's status — the administrator and the owning body's editors;
    # a score — evaluators; a round — the administrator and the evaluators (issue #13)
    "milestone_update": {"own": {"admin", "body_editor"}, "other": {"admin"}},
    "score": {"own": {"admin", "evaluator"}, "other": {"admin", "evaluator"}},
    "round_create": {"own": {"admin", "evaluator"}, "other": {"admin", "evaluator"}},
}
ROUND = "matrix"


@pytest.fixture(scope="module")
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          store_templates: StoreTemplates) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("authz")
    # the default approval levels (two), and the standard users in the store
    with platform(request, folder, store_templates, "sqlite", users=True,
                  approval_levels=None) as app:
        app.state.platform.followup.create_round(ADMIN, ROUND, as_of=datetime.now(UTC))
        yield app, standard_tokens(request)


def _target(role: str, scope: str) -> tuple[str, str]:
    """(area, enterprise) of the resource a role acts on in its own or another scope."""
    if role == "enterprise":
        return "440000", ENTERPRISE if scope == "own" else OTHER_ENTERPRISE
    return ("440000" if scope == "own" else "110000"), ""


def _submission(app: FastAPI, area: str, enterprise: str, state: str, year: int) -> int:
    p = app.state.platform
    s = submissions.upload(p.engine, p.plan, ADMIN, area=area, year=year, filename="f.csv",
                           data=good_file(area, year), enterprise=enterprise)
    if state in ("submitted", "endorsed", "approved"):
        submissions.submit(p.engine, ADMIN, s.id)
    if state in ("endorsed", "approved"):
        submissions.approve(p.engine, p.store, p.plan, APPROVER, s.id,
                            levels=2 if state == "endorsed" else 1)
    return s.id


def _status(app: FastAPI, sid: int) -> str:
    return submissions.get(app.state.platform.engine, ADMIN, sid).status


def _audit_count(app: FastAPI) -> int:
    with app.state.platform.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(AuditRow)) or 0


#: years per area: each case's resources are told apart by their area and year
_years: dict[str, Iterator[int]] = {}
_serial = itertools.count(1)
#: the endpoints whose resources are told apart by their year (the others by a serial)
_BY_YEAR = {"upload", "submit", "approve", "return", "bulk_approve", "unlock", "deadline",
            "accept", "return_endorsed", "comment"}


def _case(endpoint: str, app: FastAPI, area: str, enterprise: str
          ) -> tuple[Callable[[Any, dict[str, str]], Any], Callable[[], bool]]:
    """(the request, a check that the write took effect) for one endpoint and resource."""
    years = _years.setdefault(area, iter(range(1950, 2100)))
    year = next(years) if endpoint in _BY_YEAR else 10_000 + next(_serial)
    if endpoint == "upload":
        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post("/api/submissions", headers=h,
                          data={"area": area, "year": str(year), "enterprise": enterprise},
                          files={"file": ("f.csv", good_file(area, year), "text/csv")})

        def took() -> bool:
            return any(s.enterprise == enterprise for s in submissions.list_for(
                app.state.platform.engine, ADMIN, year=year, area=area))
        return call, took
    if endpoint in ("submit", "approve", "return", "bulk_approve", "unlock", "accept",
                    "return_endorsed"):
        before = {"submit": "draft", "unlock": "approved", "accept": "endorsed",
                  "return_endorsed": "endorsed"}.get(endpoint, "submitted")
        # two approval levels: the province's approval endorses, the national one approves
        after = {"submit": "submitted", "approve": "endorsed", "bulk_approve": "endorsed",
                 "return": "returned", "unlock": "returned", "accept": "approved",
                 "return_endorsed": "returned"}[endpoint]
        sid = _submission(app, area, enterprise, before, year)
        step = "return" if endpoint == "return_endorsed" else endpoint

        def call(c: Any, h: dict[str, str]) -> Any:
            if endpoint == "bulk_approve":
                return c.post("/api/submissions/bulk-approve", headers=h, json={"ids": [sid]})
            body = {"comment": "matrix"} if step in ("return", "unlock", "approve",
                                                     "accept") else None
            return c.post(f"/api/submissions/{sid}/{step}", headers=h, json=body)

        return call, lambda: _status(app, sid) == after
    if endpoint == "comment":
        sid = _submission(app, area, enterprise, "submitted", year)
        p = app.state.platform
        figure = submissions.check_upload(good_file(area, year), "f.csv", p.plan,
                                          area).observations[0]

        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post(f"/api/submissions/{sid}/comments", headers=h,
                          json={"notes": {submissions.note_key(figure): "matrix comment"}})

        def took() -> bool:
            return bool(submission_rows.notes(p.engine, sid))
        return call, took
    if endpoint == "deadline":
        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post("/api/deadlines", headers=h,
                          json={"year": year, "due": f"{year}-12-31", "area": area})

        def took() -> bool:
            return any(line.area == area and line.due is not None for line in
                       submissions.board(app.state.platform.engine, ADMIN, year))
        return call, took
    if endpoint == "review":
        text = f"matrix review {year}"

        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post("/api/reviews", headers=h,
                          json={"metric": "rd_intensity", "area": area, "text": text})

        def took() -> bool:
            from mic2025.services.followup import list_reviews

            return any(r.text == text for r in list_reviews(app.state.platform.store))
        return call, took
    if endpoint == "milestone_update":
        fu = app.state.platform.followup
        # own: a milestone of MIIT (the body_editor's body); other: one of NDRC
        body = "miit" if area == "440000" else "ndrc"
        item = next(m.id for m in fu.seed.items if m.owner == body)
        comment = f"matrix update {year}"

        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post(f"/api/supervision/{item}/updates", headers=h,
                          json={"status": "in_progress", "comment": comment})

        def took() -> bool:
            from mic2025.followup.supervision import read_updates

            return any(u.comment == comment for u in read_updates(fu.store))
        return call, took
    if endpoint == "score":
        fu = app.state.platform.followup
        comment = f"matrix score {year}"

        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post(f"/api/thirdparty/rounds/{ROUND}/scores", headers=h,
                          json={"item": "rd_intensity", "criterion": "progress", "score": 3,
                                "comment": comment})

        def took() -> bool:
            from mic2025.followup.thirdparty import read_scores

            return any(s.comment == comment for s in read_scores(fu.store, ROUND))
        return call, took
    if endpoint == "round_create":
        fu = app.state.platform.followup
        rid = f"r{year}"

        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post("/api/thirdparty/rounds", headers=h,
                          json={"id": rid, "as_of": "2024-12-31"})

        def took() -> bool:
            return rid in [r.id for r in fu.rounds()]
        return call, took
    if endpoint == "user_create":
        name = f"new-{year}"

        def call(c: Any, h: dict[str, str]) -> Any:
            return c.post("/api/users", headers=h, json={
                "username": name, "password": PASSWORD, "roles": [f"prov_editor:{area}"]})

        def took() -> bool:
            return any(u.username == name for u in accounts.list_users(app.state.platform.engine))
        return call, took
    assert endpoint == "user_disable"
    victim = f"victim-{year}"
    accounts.create_user(app.state.platform.engine, SYSTEM, victim, PASSWORD,
                         [accounts.parse_grant(f"prov_editor:{area}")])

    def call(c: Any, h: dict[str, str]) -> Any:
        return c.post(f"/api/users/{victim}/disable", headers=h)

    def took() -> bool:
        return any(u.username == victim and u.disabled
                   for u in accounts.list_users(app.state.platform.engine))
    return call, took


@pytest.mark.parametrize("scope", ["own", "other"])
@pytest.mark.parametrize("endpoint", list(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(world: tuple[FastAPI, dict[str, str]], role: str, endpoint: str,
                              scope: str) -> None:
    app, tokens = world
    area, enterprise = _target(role, scope)
    call, took = _case(endpoint, app, area, enterprise)
    headers = {} if role == "public" else bearer(tokens[ACCOUNT[role]])
    audited = _audit_count(app)
    response = call(client(app), headers)
    allowed = role in EXPECTED[endpoint][scope]
    if allowed:
        assert response.status_code in (200, 201, 204), response.text
        if endpoint == "bulk_approve":
            assert response.json()[0]["ok"] is True
        assert took(), f"{role} was allowed {endpoint} but nothing changed"
        assert _audit_count(app) > audited, "an allowed write left no audit entry"
    else:
        if endpoint == "bulk_approve" and response.status_code == 200:
            assert response.json()[0]["ok"] is False  # refused item by item
        else:
            assert response.status_code == 403, response.text
        assert not took(), f"{role} was refused {endpoint} yet it took effect"
        assert _audit_count(app) == audited
