"""Review on the page, two approval levels and the trace of every step, through the real app.

The app here runs the platform's default: the province approves (the submission becomes
*endorsed*), then the national level accepts, which stores the figures. Each test runs on
SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from mic2025.i18n import t
from mic2025.permissions import Actor, Grant
from mic2025.services import accounts, submissions
from mic2025.store import submissions as submission_rows
from mic2025.web.settings import Settings, SettingsError
from store_fixtures import BACKENDS, StoreTemplates
from test_web_support import (
    PASSWORD,
    SYSTEM,
    add_users,
    bearer,
    client,
    csrf_of,
    csv_bytes,
    log_in,
    make_app,
    platform,
    tokens,
    upload,
)

__all__ = ["tokens"]


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path: Path,
        store_templates: StoreTemplates) -> Iterator[FastAPI]:
    """The platform with its default approval levels (``approval_levels`` not given)."""
    with platform(request, tmp_path, store_templates, request.param,
                  approval_levels=None) as application:
        yield application


def _rows(year: int, rd: float, *, broadband: float = 88.5, before: float | None = None
          ) -> bytes:
    rows = [{"indicator": "rd_intensity", "area": "440000", "year": year, "value": rd,
             "unit": "%", "source": "广东省统计局 统计公报"},
            {"indicator": "broadband_penetration", "area": "440000", "year": year,
             "value": broadband, "unit": "%", "source": "省通信管理局"}]
    if before is not None:
        rows.append({"indicator": "rd_intensity", "area": "440000", "year": year - 1,
                     "value": before, "unit": "%", "source": "广东省统计局 统计公报"})
    return csv_bytes(rows)


def _submitted(c: Any, tokens: dict[str, str], data: bytes, *, editor: str = "gd-editor",
               year: int = 2024) -> int:
    r = upload(c, tokens[editor], year=year, data=data)
    assert r.status_code == 201, r.text
    sid = int(r.json()["id"])
    r = c.post(f"/api/submissions/{sid}/submit", headers=bearer(tokens[editor]))
    assert r.json()["status"] == "submitted", r.text
    return sid


def _step(c: Any, token: str, sid: int, step: str, **body: Any) -> Any:
    return c.post(f"/api/submissions/{sid}/{step}", headers=bearer(token), json=body or None)


def _stored(app: FastAPI, year: int) -> list[float]:
    return [o.value for o in app.state.platform.store.observations(indicators="rd_intensity",
                                                                    area="440000")
            if o.year == year]


def test_the_province_approves_then_the_nation_accepts_and_only_that_stores_the_figures(
        app: FastAPI, tokens: dict[str, str]) -> None:
    assert app.state.settings.approval_levels == 2  # the platform's default
    c = client(app)
    sid = _submitted(c, tokens, _rows(2024, 2.4))
    endorsed = _step(c, tokens["gd-approver"], sid, "approve", comment="省级核对无误")
    assert endorsed.status_code == 200, endorsed.text
    assert endorsed.json()["status"] == "endorsed" and endorsed.json()["vintage_id"] is None
    assert _stored(app, 2024) == []  # the province's approval stores nothing
    # the province's approver cannot take the national step; editors cannot upload over it
    assert _step(c, tokens["gd-approver"], sid, "accept").status_code == 403
    assert upload(c, tokens["gd-editor"], data=_rows(2024, 9.9)).status_code == 409
    accepted = _step(c, tokens["national"], sid, "accept", comment="国家验收")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "approved" and accepted.json()["vintage_id"]
    assert _stored(app, 2024) == [2.4]
    steps = [s["action"] for s in c.get(f"/api/submissions/{sid}/history",
                                        headers=bearer(tokens["gd-editor"])).json()]
    assert steps == ["submission.upload", "submission.submit", "submission.approve",
                     "submission.accept"]


def test_the_nation_may_return_an_endorsed_submission_to_the_province(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    sid = _submitted(c, tokens, _rows(2024, 2.4))
    _step(c, tokens["gd-approver"], sid, "approve")
    back = _step(c, tokens["national"], sid, "return", comment="口径与上年不一致")
    assert back.status_code == 200 and back.json()["status"] == "returned", back.text
    assert _stored(app, 2024) == []


def test_one_approval_level_keeps_the_provinces_approval_final(
        tmp_path: Path, store_templates: StoreTemplates) -> None:
    with store_templates.copy("sqlite", tmp_path) as url:
        one = make_app(url, approval_levels=1)
        try:
            tokens = add_users(one)
            c = client(one)
            sid = _submitted(c, tokens, _rows(2024, 2.4))
            r = _step(c, tokens["gd-approver"], sid, "approve")
            assert r.json()["status"] == "approved" and r.json()["vintage_id"], r.text
            assert _stored(one, 2024) == [2.4]
        finally:
            one.state.platform.close()


def test_the_levels_come_from_the_platform_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIC2025_APPROVAL_LEVELS", raising=False)
    assert Settings.from_env().approval_levels == 2
    monkeypatch.setenv("MIC2025_APPROVAL_LEVELS", "1")
    assert Settings.from_env().approval_levels == 1
    monkeypatch.setenv("MIC2025_APPROVAL_LEVELS", "3")
    with pytest.raises(SettingsError, match="MIC2025_APPROVAL_LEVELS='3': give 1"):
        Settings.from_env()


def test_nobody_approves_their_own_submission_at_any_level(app: FastAPI,
                                                          tokens: dict[str, str]) -> None:
    engine = app.state.platform.engine
    both = {}
    for name, grants in (("gd-both", [Grant("prov_editor", area="440000"),
                                      Grant("prov_approver", area="440000"),
                                      Grant("national_approver")]),
                         ("gd-judge", [Grant("prov_approver", area="440000"),
                                       Grant("national_approver")])):
        accounts.create_user(engine, SYSTEM, name, PASSWORD, grants)
        both[name] = accounts.create_token(engine, SYSTEM, name, "tests")
    c = client(app)
    audit = c.get("/api/audit", headers=bearer(tokens["admin"])).json()
    sid = _submitted(c, {**tokens, **both}, _rows(2024, 2.4), editor="gd-both")
    own = _step(c, both["gd-both"], sid, "approve")
    assert own.status_code == 403 and "own submission" in own.json()["detail"], own.text
    bulk = c.post("/api/submissions/bulk-approve", headers=bearer(both["gd-both"]),
                  json={"ids": [sid]}).json()
    assert bulk[0]["ok"] is False and "own submission" in bulk[0]["message"]
    assert _step(c, tokens["gd-editor"], sid, "approve").status_code == 403
    # the page offers no approval to its own uploader, and says why
    assert log_in(c, "gd-both").status_code == 303
    page = c.get(f"/submissions/{sid}").text
    assert 'id="approve-btn"' not in page and 'id="own-submission"' in page
    # a form posted anyway is refused, said in the page's language (the API keeps English)
    for lang, said in (("zh", "任何层级都不能审批自己的报送"),
                       ("en", "nobody approves their own submission")):
        refused = c.post(f"/submissions/{sid}/approve?lang={lang}",
                         data={"csrf_token": csrf_of(page), "comment": ""})
        assert refused.status_code == 403 and said in refused.text, lang
    # another approver endorses it; neither the uploader nor that approver may accept it,
    # whatever national grant they hold
    assert _step(c, both["gd-judge"], sid, "approve").json()["status"] == "endorsed"
    assert _step(c, both["gd-both"], sid, "accept").status_code == 403
    judged = _step(c, both["gd-judge"], sid, "accept")
    assert judged.status_code == 403 and "another person" in judged.json()["detail"]
    assert submissions.get(engine, SYSTEM, sid).status == "endorsed"
    assert _step(c, tokens["national"], sid, "accept").json()["status"] == "approved"
    # an administrator holds every grant, and still not over its own upload
    mine = _submitted(c, tokens, _rows(2025, 2.6), editor="admin", year=2025)
    assert _step(c, tokens["admin"], mine, "approve").status_code == 403
    assert len(c.get("/api/audit", headers=bearer(tokens["admin"])).json()) > len(audit)


def test_the_service_refuses_an_own_approval_whoever_calls_it(app: FastAPI) -> None:
    p = app.state.platform
    me = Actor(id=None, username="someone", via="system",
               grants=(Grant("prov_editor", area="440000"),
                       Grant("prov_approver", area="440000")))
    s = submissions.upload(p.engine, p.plan, me, area="440000", year=2024, filename="f.csv",
                           data=_rows(2024, 2.4))
    submissions.submit(p.engine, me, s.id)
    with pytest.raises(submissions.OwnSubmission, match="nobody approves their own"):
        submissions.approve(p.engine, p.store, p.plan, me, s.id, levels=1)
    assert submissions.get(p.engine, me, s.id).status == "submitted"


def test_a_decision_uses_what_it_read_before_its_turn_only_if_nothing_changed_since(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """A decision reads and checks the file before it waits for its turn to write; if the
    submission changed meanwhile (here: its file, as another writer ahead in the queue
    could), it reads it again in its turn and stores what is there now."""
    p = app.state.platform
    editor = Actor(id=None, username="ed", via="system",
                   grants=(Grant("prov_editor", area="440000"),))
    approver = Actor(id=None, username="ap", via="system",
                     grants=(Grant("prov_approver", area="440000"),))
    s = submissions.upload(p.engine, p.plan, editor, area="440000", year=2024,
                           filename="f.csv", data=_rows(2024, 2.4))
    submissions.submit(p.engine, editor, s.id)
    real = submissions.begin_write
    turns: list[int] = []

    @contextmanager
    def someone_ahead(engine: Any) -> Iterator[Any]:
        if not turns:  # the writer ahead in the queue changes the file
            with real(engine) as conn:
                submission_rows.change(conn, s.id, content=_rows(2024, 3.3),
                                       updated_at=datetime.now(UTC))
        turns.append(1)
        with real(engine) as conn:
            yield conn

    monkeypatch.setattr(submissions, "begin_write", someone_ahead)
    done = submissions.approve(p.engine, p.store, p.plan, approver, s.id, levels=1)
    assert done.status == "approved" and turns == [1]
    assert _stored(app, 2024) == [3.3]  # what the file holds in the turn, not 2.4 read ahead
    # unchanged, what was read ahead is what is stored
    monkeypatch.setattr(submissions, "begin_write", real)
    s2 = submissions.upload(p.engine, p.plan, editor, area="440000", year=2023,
                            filename="g.csv", data=_rows(2023, 1.9))
    submissions.submit(p.engine, editor, s2.id)
    submissions.approve(p.engine, p.store, p.plan, approver, s2.id, levels=1)
    assert _stored(app, 2023) == [1.9]


def test_the_approver_reviews_every_figure_on_the_page_and_returns_it_with_reasons(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    plan = app.state.platform.plan
    first = _submitted(c, tokens, _rows(2024, 2.1, before=2.0))
    _step(c, tokens["gd-approver"], first, "approve")
    _step(c, tokens["national"], first, "accept")
    # a revision: R&D intensity 2024 from 2.1 to 2.8 (2023 was 2.0: +40 %)
    sid = _submitted(c, tokens, _rows(2024, 2.8, broadband=88.5))
    figures = c.get(f"/api/submissions/{sid}/figures", headers=bearer(tokens["gd-approver"]))
    by = {f["indicator"]: f for f in figures.json()}
    rd = by["rd_intensity"]
    assert (rd["previous"], rd["previous_year"]) == (2.1, 2.0)
    assert rd["change"] == pytest.approx(0.7) and rd["change_year"] == pytest.approx(0.8)
    assert set(rd["checks"]) == {"revised", "large_change"}
    assert by["broadband_penetration"]["checks"] == [] and "广东省统计局" in rd["citation"]

    assert log_in(c, "gd-approver").status_code == 303
    page = c.get(f"/submissions/{sid}")
    html = page.text
    assert plan.metric("rd_intensity").name.zh in html  # by name, not by code
    for shown in ("2.8%", "2.1%", "2%", "+0.7", "+40%", t("check.revised", "zh"),
                  t("check.large_change", "zh"), "广东省统计局 统计公报"):
        assert shown in html, shown
    # a comment on one row, then the return with a reason on that row
    token = csrf_of(html)
    key = rd["key"]
    other = by["broadband_penetration"]["key"]
    r = c.post(f"/submissions/{sid}/comment", data={
        "csrf_token": token, "row_key": [key, other], "row_note": ["请核对分母", ""]})
    assert r.status_code == 303, r.text
    r = c.post(f"/submissions/{sid}/return", data={
        "csrf_token": token, "comment": "", "row_key": [key, other],
        "row_note": ["2024年增幅异常，请附说明", ""]})
    assert r.status_code == 303, r.text
    assert c.get(f"/api/submissions/{sid}", headers=bearer(tokens["gd-editor"])
                 ).json()["status"] == "returned"

    editor = client(app)
    assert log_in(editor, "gd-editor").status_code == 303
    seen = editor.get(f"/submissions/{sid}").text
    row = seen[seen.index(plan.metric("rd_intensity").name.zh):]
    row = row[:row.index("</tr>")]
    assert "2024年增幅异常，请附说明" in row and "请核对分母" in row
    assert t("review.reason", "zh") in row and "gd-approver" in row
    # the fixed file keeps the reasons beside the same figure
    assert upload(editor, tokens["gd-editor"], data=_rows(2024, 2.3)).status_code == 201
    again = editor.get(f"/submissions/{sid}").text
    assert "2024年增幅异常，请附说明" in again[again.index(plan.metric("rd_intensity")
                                                          .name.zh):]


def test_a_note_must_name_a_figure_of_the_file(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    sid = _submitted(c, tokens, _rows(2024, 2.4))
    r = _step(c, tokens["gd-approver"], sid, "return",
              notes={'["rd_intensity", "440000", "", "1999", "", "x"]': "no such row"})
    assert r.status_code == 409
    assert "has no figure rd_intensity 440000 1999" in r.json()["detail"]
    blank = _step(c, tokens["gd-approver"], sid, "return", comment=" ", notes={})
    assert blank.status_code == 409 and "a comment, or a reason" in blank.json()["detail"]


def test_every_step_is_on_the_submissions_page_and_in_the_audit_log_as_readable_changes(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    sid = _submitted(c, tokens, _rows(2024, 2.4))
    figures = c.get(f"/api/submissions/{sid}/figures", headers=bearer(tokens["gd-approver"]))
    key = figures.json()[0]["key"]
    _step(c, tokens["gd-approver"], sid, "return", comment="请补充来源",
          notes={key: "来源不全"})
    upload(c, tokens["gd-editor"], data=_rows(2024, 2.5))
    _step(c, tokens["gd-editor"], sid, "submit")
    _step(c, tokens["gd-approver"], sid, "approve", comment="已核")
    _step(c, tokens["national"], sid, "accept", comment="验收")
    _step(c, tokens["admin"], sid, "unlock", comment="更正口径")

    assert log_in(c, "gd-editor").status_code == 303
    page = c.get(f"/submissions/{sid}").text
    history = page[page.index('id="history"'):]
    for step in ("upload", "submit", "return", "approve", "accept", "unlock"):
        assert t(f"audit.step.submission.{step}", "zh") in history, step
    for who in ("gd-editor", "gd-approver", "national", "admin"):
        assert who in history
    for text in ("请补充来源", "来源不全", "已核", "验收", "更正口径"):
        assert text in history, text
    state = t("audit.field.status", "zh")
    assert (f'{state}</span>: <span class="before">{t("state.submitted", "zh")}</span> → '
            f'<span class="after">{t("state.endorsed", "zh")}</span>') in history
    assert '"status"' not in history and "{" not in history  # no raw JSON

    admin = client(app)
    assert log_in(admin, "admin").status_code == 303
    log = admin.get("/admin/audit").text
    assert f"{t('audit.field.status', 'zh')}</span>: " in log and " → " in log
    assert '"status":' not in log and "&#34;status&#34;" not in log
    english = admin.get("/admin/audit", params={"lang": "en"}).text
    assert ('Status</span>: <span class="before">Approved by the province, awaiting national '
            'acceptance</span> → <span class="after">Approved (locked)</span>') in english
    steps = c.get(f"/api/submissions/{sid}/history", params={"lang": "en"},
                  headers=bearer(tokens["gd-editor"])).json()
    returned = next(s for s in steps if s["action"] == "submission.return")
    assert returned["step"] == "Returned" and returned["comment"] == "请补充来源"
    assert {"field": "Reason for return · rd_intensity 440000 2024", "before": "—",
            "after": "来源不全"} in returned["changes"]
