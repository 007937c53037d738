"""The platform's caches and pages, and the follow-up machinery on the platform.

Caches: an approval shows on the next page view; concurrent readers of a missing key share
one computation; the freshness stamps equal the per-row computation. Pages: the indicator
page's alternatives, scopes, projection band and trajectory; a province page never shows
the national baseline. Follow-up: warnings after every approval, supervision updates
(CSRF, permission, audit, history), third-party scores and results, the mid-term documents.
No test asserts a timing.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from mic2025 import i18n
from mic2025.followup import warn
from mic2025.store.platform import AuditRow
from mic2025.web.app import create_app
from store_fixtures import StoreTemplates
from test_followup_warn import Inboxes, loopback_smtp
from test_web_support import (
    add_users,
    bearer,
    client,
    csrf_of,
    good_file,
    log_in,
    platform,
    standard_tokens,
    upload,
)


@pytest.fixture
def mailbox() -> Iterator[tuple[int, Inboxes]]:
    with loopback_smtp() as server:
        yield server


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, store_templates: StoreTemplates
          ) -> Iterator[tuple[FastAPI, dict[str, str]]]:
    with platform(request, tmp_path, store_templates, "sqlite", users=True) as app:
        yield app, standard_tokens(request)


def _approve(app: FastAPI, tokens: dict[str, str], *, area: str = "440000", year: int = 2024,
             value: float = 2.1) -> dict[str, Any]:
    c = client(app)
    sid = upload(c, tokens["gd-editor" if area == "440000" else "bj-editor"], area=area,
                 year=year, data=good_file(area, year, value)).json()["id"]
    assert c.post(f"/api/submissions/{sid}/submit",
                  headers=bearer(tokens["gd-editor"])).status_code == 200
    r = c.post(f"/api/submissions/{sid}/approve", headers=bearer(tokens["gd-approver"]),
               json={})
    assert r.status_code == 200, r.text
    return dict(r.json())


# ------------------------------------------------------------------------------ caches


def test_an_approval_shows_on_the_next_page_view(world: tuple[FastAPI, dict[str, str]]) -> None:
    app, tokens = world
    c = client(app)
    before = c.get("/provinces/440000?lang=en").text
    assert c.get("/provinces/440000?lang=en").text.count("2.10") == before.count("2.10")
    computed = app.state.platform.computed["evaluation"]
    c.get("/provinces/440000?lang=en")
    assert app.state.platform.computed["evaluation"] == computed  # cached: not re-evaluated
    _approve(app, tokens, value=2.37)
    after = c.get("/provinces/440000?lang=en").text
    assert "2.37" in after and "2.37" not in before
    ev = c.get("/api/evaluations?area=440000").json()
    rd = next(m for m in ev["results"] if m["metric"] == "rd_intensity")
    assert any(p["value"] == 2.37 for t in rd["targets"] for p in t["series"])


def test_concurrent_readers_of_a_new_vintage_share_one_evaluation(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    app, _ = world
    p = app.state.platform
    gate = threading.Event()
    runs = []

    def slow() -> str:
        runs.append(1)
        gate.wait(5)
        return "value"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(p.cached(("k", 1), slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    while not runs:
        pass
    gate.set()
    for t in threads:
        t.join()
    assert results == ["value"] * 8 and len(runs) == 1
    # a failure is not cached: the next caller computes again
    with pytest.raises(ZeroDivisionError):
        p.cached(("bad",), lambda: 1 / 0)
    assert p.cached(("bad",), lambda: 2) == 2


def test_freshness_is_the_newest_vintage_of_each_indicator_in_the_area(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    app, tokens = world
    p = app.state.platform
    before = p.freshness()
    _approve(app, tokens)
    for area in (p.plan.area, "440000"):
        expected: dict[str, datetime] = {}
        for o in p.store.observations(area=area):
            if o.vintage_at is not None:
                expected[o.indicator] = max(expected.get(o.indicator, o.vintage_at),
                                            o.vintage_at)
        assert p.freshness(area) == expected
    newest = max(v.created_at for v in p.store.vintages())
    assert p.freshness("440000")["rd_intensity"] == newest
    # a province's approval leaves the plan's (national) overview as fresh as it was
    assert p.freshness() == before


# ------------------------------------------------------------------------------ pages


def test_the_province_page_never_shows_the_national_baseline(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    app, _ = world
    plan = app.state.platform.plan
    ev = app.state.platform.evaluation("440000")
    for m in ev.results:
        baseline = plan.metric(m.metric).baseline
        for t in m.targets:
            for p in t.series:
                # only a base year's definitional 100 (index) or 0 (change) comes from the plan
                assert p.source != "plan" or (p.raw_value, t.measure) in ((100.0, "index"),
                                                                           (0.0, "level")), p
                if p.source == "plan" and baseline:
                    assert p.raw_value not in baseline.values() or p.raw_value in (0, 100)
    html = client(app).get("/provinces/440000?lang=en").text
    assert "(2015)" not in html  # no plan figure shown as Guangdong's latest
    national = client(app).get("/?lang=en").text
    assert "(2015)" in national or "(20" in national


def test_the_indicator_page_shows_alternatives_scopes_band_and_trajectory(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    import json
    import re

    app, _ = world
    # broadband has one comparable figure since its 2019 break (no band); digital tools has many
    html = client(app).get("/indicators/digital_design_tools?lang=en").text
    ev = app.state.platform.evaluation()
    result = next(m for m in ev.results if m.metric == "digital_design_tools")
    reasons = {a.reason for t in result.targets for a in t.alternatives}
    assert reasons
    section = html.split('id="alternatives"')[1]
    for reason in reasons:
        assert reason.replace("'", "&#39;").replace('"', "&#34;") in section
    for scope in app.state.platform.plan.metric("digital_design_tools").scopes:
        assert f'<span class="scope">{scope}</span>' in html
    options = [json.loads(o.replace("&#39;", "'").replace("&#34;", '"').replace("&amp;", "&")
                          .replace("&lt;", "<").replace("&gt;", ">"))
               for o in re.findall(r'class="chart" id="chart-\d+" data-option=\'([^\']*)\'',
                                   html)]
    names = {s.get("name") for o in options for s in o["series"]}
    assert "Projection band" in names or any("rojection" in str(n) for n in names)
    assert any(s.get("areaStyle") for o in options for s in o["series"])  # the band
    assert any(str(s.get("id", "")).startswith("path-") for o in options for s in o["series"])


# ------------------------------------------------------------------------------ warnings


def test_warnings_are_evaluated_after_every_approval_and_sent(
        world: tuple[FastAPI, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    app, tokens = world
    sent: list[list[warn.EarlyWarning]] = []
    monkeypatch.setenv(warn.ENV_SMTP, "smtp://127.0.0.1:1?to=office@example.org")
    monkeypatch.setattr(warn, "notify", lambda ws, *a, **k: sent.append(list(ws)) or 1)
    fu = app.state.platform.followup
    assert not fu.raised()
    # Guangdong far below the others: a province_divergence warning on rd_intensity
    c = client(app)
    for code in ("110000", "310000", "320000", "330000", "370000", "120000"):
        app.state.platform.store.import_observations(
            _obs(app, code, 2.5 + int(code[:2]) / 100), source_name=f"peer {code}", sha256=None,
            kind="import", actor="test")
    _approve(app, tokens, value=0.2)
    assert len(fu.raised()) == 1
    raised = fu.raised()[0].warnings
    assert any(w.area == "440000" and w.subject == "rd_intensity" for w in raised)
    assert sent and sent[0] == list(raised)
    listed = c.get("/api/warnings?province=440000&indicator=rd_intensity",
                   headers=bearer(tokens["analyst"])).json()
    assert listed and all(w["area"] == "440000" for w in listed)
    owner = listed[0]["owner"]["zh"]
    assert c.get("/api/warnings", params={"owner": owner},
                 headers=bearer(tokens["analyst"])).json()
    assert c.get("/api/warnings", params={"owner": "nobody"},
                 headers=bearer(tokens["analyst"])).json() == []
    assert c.get("/api/warnings").status_code == 401 or \
        c.get("/api/warnings").status_code == 403
    assert c.get("/api/warnings", headers=bearer(tokens["firm"])).status_code == 403
    # an approval that changes no warning sends nothing new, and records nothing
    _approve(app, tokens, value=0.2, year=2023)
    assert len(fu.raised()) == 1 and len(sent) == 1
    # the record is the store's: another worker's warnings page lists it too
    other = create_app(settings=app.state.settings)
    try:
        o = client(other)
        log_in(o, "analyst")
        page = o.get("/followup/warnings")
        assert page.status_code == 200
        recent = page.text.split(i18n.t("warnings_recent", "zh"), 1)[1]
        assert raised[0].message.zh in recent
        assert f"{i18n.t('vintage', 'zh')} {fu.raised()[0].vintages[0]}" in recent
    finally:
        other.state.platform.close()


def test_an_approval_mails_each_new_warning_to_its_owner_only(
        world: tuple[FastAPI, dict[str, str]], monkeypatch: pytest.MonkeyPatch,
        mailbox: tuple[int, Inboxes]) -> None:
    app, tokens = world
    port, got = mailbox
    monkeypatch.setenv(warn.ENV_SMTP, f"smtp://127.0.0.1:{port}?from=m25@example.org")
    for code in ("110000", "310000", "320000", "330000", "370000", "120000"):
        app.state.platform.store.import_observations(
            _obs(app, code, 2.5 + int(code[:2]) / 100), source_name=f"peer {code}", sha256=None,
            kind="import", actor="test")
    _approve(app, tokens, value=0.2)
    raised = app.state.platform.followup.raised()[0].warnings
    gd = [w for w in raised if w.area == "440000"]
    assert gd and got.messages
    # Guangdong's divergence goes to Guangdong's (placeholder) address, and nowhere else
    inbox = got.inbox["warnings.440000@example.org"]
    assert len(inbox) == 1 and all(w.message.zh in inbox[0].get_content() for w in gd)
    others = [m for a, ms in got.inbox.items() if a != "warnings.440000@example.org"
              for m in ms]
    assert not any(w.message.zh in m.get_content() for w in gd for m in others)


def test_the_owner_directory_is_for_administrators(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    app, tokens = world
    c = client(app)
    r = c.get("/api/owners", headers=bearer(tokens["admin"]))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["placeholder"] is True and d["fallback"] == "lgo" and d["unclaimed"] == []
    assert "copy" in d and d["file"].endswith("owners_mic2025.yaml")
    miit = next(o for o in d["owners"] if o["id"] == "miit")
    assert miit["name"]["zh"] == "工业和信息化部" and miit["to"] == ["warnings.miit@example.org"]
    for who in ("analyst", "evaluator", "miit-editor", "gd-editor"):
        assert c.get("/api/owners", headers=bearer(tokens[who])).status_code == 403
    assert c.get("/api/owners").status_code in (401, 403)
    log_in(c, "admin")
    page = c.get("/admin/owners?lang=en")
    assert page.status_code == 200 and "warnings.miit@example.org" in page.text
    assert "placeholders" in page.text and 'href="/admin/owners"' in page.text
    assert "/api/owners" in c.get("/openapi.json").json()["paths"]


def test_approvals_arriving_during_an_evaluation_are_evaluated_together(
        world: tuple[FastAPI, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    app, _ = world
    fu = app.state.platform.followup
    store = app.state.platform.store
    first, second, third = (
        store.import_observations(_obs(app, code, 2.5), source_name=f"peer {code}",
                                  sha256=None, kind="import", actor="test")
        for code in ("110000", "310000", "320000"))
    real = warn.after_import
    seen: list[Any] = []
    inside, release = threading.Event(), threading.Event()

    def after_import(store: Any, plan: Any, result: Any, **kw: Any) -> list[Any]:
        seen.append(result)
        if len(seen) == 1:
            inside.set()
            assert release.wait(30)
        return real(store, plan, result, **kw)

    monkeypatch.setattr(warn, "after_import", after_import)
    running = threading.Thread(target=fu.after_approval, args=(first,))
    running.start()
    assert inside.wait(30)
    # while the first is evaluated, two more arrive: left to the running evaluation
    assert fu.after_approval(second) == [] and fu.after_approval(third) == []
    release.set()
    running.join(30)
    assert not running.is_alive()
    assert len(seen) == 2  # the first alone, then the two others together
    assert seen[0].vintages == (first.vintage,) and seen[0].written == first.written
    assert seen[1].vintages == (second.vintage, third.vintage)
    assert seen[1].written == second.written | third.written
    assert seen[1].created_at == second.created_at
    # and the next approval is evaluated at once again
    fourth = store.import_observations(_obs(app, "330000", 2.6), source_name="peer 330000",
                                       sha256=None, kind="import", actor="test")
    fu.after_approval(fourth)
    assert len(seen) == 3 and seen[2].vintages == (fourth.vintage,)


def test_one_approvals_warnings_after_are_the_next_ones_before(
        world: tuple[FastAPI, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    app, _ = world
    fu = app.state.platform.followup
    store = app.state.platform.store
    for code in ("110000", "310000", "320000", "330000", "370000", "120000"):
        store.import_observations(_obs(app, code, 2.5 + int(code[:2]) / 100),
                                  source_name=f"peer {code}", sha256=None, kind="import",
                                  actor="test")
    reads: list[object] = []
    changes: list[tuple[int, int]] = []  # the vintages whose changes were read
    real, real_changes = store.observations, store.changes

    def counted(**kw: Any) -> Any:
        if kw.get("indicators") is not None:
            reads.append(kw.get("as_of"))
        return real(**kw)

    def counted_changes(after: int, until: int, **kw: Any) -> Any:
        changes.append((after, until))
        return real_changes(after, until, **kw)

    monkeypatch.setattr(store, "observations", counted)
    monkeypatch.setattr(store, "changes", counted_changes)
    low = store.import_observations(_obs(app, "440000", 0.2), source_name="gd low",
                                    sha256=None, kind="import", actor="test")
    raised = fu.after_approval(low)
    assert any(w.area == "440000" for w in raised)
    assert len(reads) == 2 and reads[1] is None  # before and after
    # the next approval, nothing between: its "before" is the first one's "after"
    back = store.import_observations(_obs(app, "440000", 2.6), source_name="gd back",
                                     sha256=None, kind="import", actor="test")
    assert fu.after_approval(back) == []
    # and its "after" is the first one's with what its vintage changed: nothing read in full
    assert len(reads) == 2 and changes == [(low.vintage, back.vintage)]
    again = store.import_observations(_obs(app, "440000", 0.3), source_name="gd low again",
                                      sha256=None, kind="import", actor="test")
    fresh = fu.after_approval(again)
    assert len(reads) == 2 and changes[-1] == (back.vintage, again.vintage)
    # the same warnings as without remembering anything
    alone = warn.after_import(store, app.state.platform.plan, again, echo=lambda _: None,  # 2 reads
                              rules=fu.rules)
    assert [w.key for w in fresh] == [w.key for w in alone] and fresh
    # a vintage between them: the "before" is read again
    store.import_observations(_obs(app, "110000", 2.7), source_name="bj", sha256=None,
                              kind="import", actor="test")
    later = store.import_observations(_obs(app, "440000", 2.6), source_name="gd up",
                                      sha256=None, kind="import", actor="test")
    raised = fu.after_approval(later)
    # a vintage between them: "before" is read as of its time; "after" is still the rows
    # remembered with both vintages' changes
    assert len(reads) == 5 and reads[-1] is not None
    assert changes[-1] == (again.vintage, later.vintage) and len(changes) == 3
    assert [w.key for w in raised] == [w.key for w in warn.after_import(
        store, app.state.platform.plan, later, echo=lambda _: None, rules=fu.rules)]


def _obs(app: FastAPI, area: str, value: float) -> Any:
    from mic2025.ingest.load import parse_bytes

    data = (f"indicator,area,year,value,unit,source\nrd_intensity,{area},2024,{value:.2f},%,"
            "https://example.org/peers\n").encode()
    return parse_bytes(data, "peer.csv", app.state.platform.plan, suffix=".csv")


# ------------------------------------------------------------------------------ supervision


def test_a_body_editor_reports_its_milestones_through_the_form(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    app, _ = world
    fu = app.state.platform.followup
    mine = next(m.id for m in fu.seed.items if m.owner == "miit")
    theirs = next(m.id for m in fu.seed.items if m.owner == "ndrc")
    c = client(app)
    log_in(c, "miit-editor")
    page = c.get("/followup/supervision")
    assert page.status_code == 200
    assert f'action="/followup/supervision/{mine}"' in page.text
    assert f'action="/followup/supervision/{theirs}"' not in page.text
    token = csrf_of(page.text)
    form = {"status": "delayed", "comment": "funding late", "evidence": "https://example.org/x"}
    assert c.post(f"/followup/supervision/{mine}", data=form).status_code == 403  # no CSRF
    r = c.post(f"/followup/supervision/{mine}", data={**form, "csrf_token": token})
    assert r.status_code == 303
    assert c.post(f"/followup/supervision/{theirs}",
                  data={**form, "csrf_token": token}).status_code == 403
    history = c.get(f"/api/supervision/{mine}/history").json()
    assert [(u["status"], u["by"], u["evidence"]) for u in history] == \
        [("delayed", "miit-editor", ["https://example.org/x"])]
    at_risk = c.get("/api/supervision?state=at_risk").json()
    assert mine in [s["id"] for s in at_risk] or \
        mine in [s["id"] for s in c.get("/api/supervision?state=overdue").json()]
    with app.state.platform.engine.connect() as conn:
        entries = conn.execute(select(AuditRow).where(AuditRow.action == "milestone.update"))
        assert [(e.actor, e.resource_id) for e in entries] == [("miit-editor", mine)]
    assert "funding late" in c.get("/followup/supervision").text


def test_a_refused_status_is_neither_appended_nor_audited(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    app, tokens = world
    fu = app.state.platform.followup
    item = fu.seed.items[0].id
    r = client(app).post(f"/api/supervision/{item}/updates", headers=bearer(tokens["admin"]),
                         json={"status": "finished"})
    assert r.status_code == 422
    r = client(app).post("/api/supervision/no_such_item/updates",
                         headers=bearer(tokens["admin"]), json={"status": "completed"})
    assert r.status_code == 422 and "no milestone" in r.text
    assert fu.store.supervision_updates() == []
    with app.state.platform.engine.connect() as conn:
        assert not list(conn.execute(select(AuditRow).where(
            AuditRow.action == "milestone.update")))


# ------------------------------------------------------------------------------ third party


def test_evaluators_score_a_round_and_see_alpha_and_disagreements(
        world: tuple[FastAPI, dict[str, str]]) -> None:
    app, tokens = world
    c = client(app)
    made = c.post("/api/thirdparty/rounds", headers=bearer(tokens["admin"]),
                  json={"id": "r2024", "as_of": "2024-12-31", "title": "2024"})
    assert made.status_code == 201, made.text
    # the store's record of a round is what the API shows: its header, the number of items
    # it scores, when it was recorded; the frozen document itself is left out
    listed = c.get("/api/thirdparty/rounds", headers=bearer(tokens["analyst"])).json()
    assert listed == [made.json()]
    assert made.json()["id"] == "r2024" and made.json()["created_by"] == "admin"
    assert made.json()["items"] > 0 and made.json()["recorded_at"]
    assert "document" not in made.json()
    add_users(app, {"evaluator-b": "evaluator"})
    tokens_b = add_users(app, {"evaluator-c": "evaluator"})
    from mic2025.services import accounts
    from test_web_support import SYSTEM

    tokens_b["evaluator-b"] = accounts.create_token(app.state.platform.engine, SYSTEM,
                                                    "evaluator-b", "t")
    scores = {"evaluator": [5, 4, 1], "evaluator-b": [5, 4, 5], "evaluator-c": [4, 4, 2]}
    items = ["rd_intensity", "value_added_rate", "broadband_penetration"]
    for who, values in scores.items():
        tok = tokens.get(who) or tokens_b[who]
        for item, v in zip(items, values, strict=True):
            r = c.post("/api/thirdparty/rounds/r2024/scores", headers=bearer(tok),
                       json={"item": item, "criterion": "progress", "score": v})
            assert r.status_code == 201, r.text
    r = c.post("/api/thirdparty/rounds/r2024/scores", headers=bearer(tokens["evaluator"]),
               json={"item": "rd_intensity", "criterion": "progress", "score": 99})
    assert r.status_code == 422  # off the rubric's scale
    res = c.get("/api/thirdparty/rounds/r2024/results",
                headers=bearer(tokens["analyst"])).json()
    progress = next(cr for cr in res["criteria"] if cr["criterion"] == "progress")
    assert progress["evaluators"] == ["evaluator", "evaluator-b", "evaluator-c"]
    assert progress["alpha_interval"] is not None and progress["alpha_interval"] < 1
    flagged = [i["item"] for i in res["items"] if i["disagreement"]]
    assert flagged == ["broadband_penetration"]  # spread 5 − 1 = 4 > 2
    log_in(c, "evaluator")
    page = c.get("/followup/thirdparty/r2024?lang=en").text
    assert "disagree" in page and "α" in page


# ------------------------------------------------------------------------------ mid-term


def test_the_midterm_page_and_its_word_document(world: tuple[FastAPI, dict[str, str]]) -> None:
    import docx

    app, tokens = world
    c = client(app)
    page = c.get("/followup/midterm?year=2020&lang=en", headers=bearer(tokens["analyst"]))
    assert page.status_code == 200
    ev = app.state.platform.evaluation()
    year_targets = [t for m in ev.results for t in m.targets if t.target_year == 2020]
    assert page.text.count('<td><a href="/indicators/') == len(year_targets)
    assert "/api/midterm/2020/document.docx?lang=zh" in page.text
    r = c.get("/api/midterm/2020/document.docx?lang=zh", headers=bearer(tokens["analyst"]))
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs)
    assert "2020年目标中期评估报告" in text
    assert "已实现" in text or "未实现" in text
    assert c.get("/api/midterm/2021/document.docx",
                 headers=bearer(tokens["analyst"])).status_code == 422  # not a target year
    assert c.get("/api/midterm/2020/document.docx").status_code in (401, 403)
    # the same vintage: the same file, not generated again
    made = app.state.platform.computed["midterm"]
    c.get("/api/midterm/2020/document.docx?lang=zh", headers=bearer(tokens["analyst"]))
    assert app.state.platform.computed["midterm"] == made
    assert datetime.now(UTC).year >= 2020


def test_the_approval_is_answered_before_its_early_warnings_are_worked_out(
        world: tuple[FastAPI, dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    # whoever approves does not wait for the rules: the answer is sent, then the hook runs
    import anyio

    app, tokens = world
    c = client(app)
    sid = upload(c, tokens["gd-editor"], data=good_file()).json()["id"]
    assert c.post(f"/api/submissions/{sid}/submit",
                  headers=bearer(tokens["gd-editor"])).status_code == 200
    events: list[str] = []
    real = app.state.platform.followup.after_approval
    monkeypatch.setattr(app.state.platform.followup, "after_approval",
                        lambda result: (events.append("hook"), real(result),
                                        events.append("hook done"))[1])
    body = b"{}"
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": f"/api/submissions/{sid}/approve",
             "raw_path": f"/api/submissions/{sid}/approve".encode(), "query_string": b"",
             "root_path": "", "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode()),
                         (b"authorization", f"Bearer {tokens['gd-approver']}".encode())]}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await anyio.sleep_forever()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            events.append(f"status {message['status']}")
        elif message["type"] == "http.response.body" and not message.get("more_body"):
            events.append("answered")

    anyio.run(app, scope, receive, send)
    assert events == ["status 200", "answered", "hook", "hook done"]
