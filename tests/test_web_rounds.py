"""Third-party rounds in the browser: an authorised account opens a round with the page's
form, evaluators score its items against the frozen vintage, and the round is closed.

Every test drives the real app (``app`` fixture: SQLite and PostgreSQL) through its forms,
with a session and its CSRF token, as a browser would.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from sqlalchemy import select

from mic2025 import periods
from mic2025.citation import Citation
from mic2025.observation import Observation
from mic2025.store.platform import AuditRow
from test_web_support import app, bearer, client, csrf_of, log_in, tokens  # noqa: F401

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

ROUND_ID = "r-web"


def _signed_in(web: FastAPI, username: str) -> tuple[TestClient, str]:
    c = client(web)
    assert log_in(c, username).status_code == 303
    page = c.get("/followup/thirdparty")
    assert page.status_code == 200
    return c, csrf_of(page.text)


def _open(web: FastAPI, as_of: str) -> None:
    c, token = _signed_in(web, "admin")
    r = c.post("/followup/thirdparty",
               data={"id": ROUND_ID, "title": "网页评价轮次", "as_of": as_of,
                     "csrf_token": token})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/followup/thirdparty/{ROUND_ID}"


def _audit(web: FastAPI, action: str) -> list[tuple[str, str]]:
    with web.state.platform.engine.connect() as conn:
        rows = conn.execute(select(AuditRow).where(AuditRow.action == action)
                            .order_by(AuditRow.id))
        return [(r.actor, r.resource_id) for r in rows]


def _score_form(c: TestClient, token: str, score: int, comment: str = "") -> Any:
    return c.post(f"/followup/thirdparty/{ROUND_ID}/scores",
                  data={"item": "rd_intensity", "criterion": "progress", "score": str(score),
                        "comment": comment, "csrf_token": token})


def test_an_administrator_opens_a_round_with_the_form_and_others_may_not(
        app: FastAPI, tokens: dict[str, str]) -> None:  # noqa: F811
    c, token = _signed_in(app, "admin")
    page = c.get("/followup/thirdparty?lang=en").text
    assert 'action="/followup/thirdparty"' in page and "Open a round" in page
    form = {"id": ROUND_ID, "title": "2024 round", "as_of": "2024-12-31"}
    # without its CSRF token the form is refused, and nothing is opened
    assert c.post("/followup/thirdparty", data=form).status_code == 403
    assert app.state.platform.store.round_ids() == []

    # the third-party evaluator may open rounds too (issue #13); the analyst may not
    evaluator, _ = _signed_in(app, "evaluator")
    assert 'action="/followup/thirdparty"' in evaluator.get("/followup/thirdparty").text
    for who in ("analyst",):
        other, other_token = _signed_in(app, who)
        assert 'action="/followup/thirdparty"' not in \
            other.get("/followup/thirdparty").text
        r = other.post("/followup/thirdparty",
                       data={**form, "csrf_token": other_token})
        assert r.status_code == 403, who
    assert app.state.platform.store.round_ids() == []
    assert _audit(app, "round.create") == []

    r = c.post("/followup/thirdparty", data={**form, "csrf_token": token})
    assert r.status_code == 303
    # the same record the API's POST makes: listed by the API with its creator
    listed = client(app).get("/api/thirdparty/rounds", headers=bearer(tokens["analyst"])).json()
    assert [(x["id"], x["title"], x["created_by"], x["closed_at"]) for x in listed] == \
        [(ROUND_ID, "2024 round", "admin", None)]
    assert listed[0]["as_of"].startswith("2024-12-31T23:59:59")
    assert _audit(app, "round.create") == [("admin", ROUND_ID)]
    # opened twice: refused with the reason, on the page
    again = c.post("/followup/thirdparty", data={**form, "csrf_token": token})
    assert again.status_code == 422 and "already exists" in again.text
    # a round needs its vintage date
    empty = c.post("/followup/thirdparty",
                   data={**form, "id": "r-other", "as_of": " ", "csrf_token": token})
    assert empty.status_code == 422
    assert "数据版本截至日期" in empty.text or "date of its data vintage" in empty.text


def test_the_round_page_shows_the_frozen_vintage_not_todays_figures(
        app: FastAPI, tokens: dict[str, str]) -> None:  # noqa: F811
    frozen_at = datetime.now(UTC)
    _open(app, frozen_at.isoformat())
    store = app.state.platform.store
    frozen = json.loads(store.round(ROUND_ID).document)["evaluation"]
    rd = next(m for m in frozen["results"] if m["metric"] == "rd_intensity")
    frozen_latest = rd["targets"][0]["assessment"]["latest_value"]
    # a figure stored after the round was opened: today's evaluation reads it, the round not
    store.import_observations(
        [Observation(indicator="rd_intensity", area="000000", period=periods.year(2025),
                     value=9.87, unit="%", citation=Citation(publication="test bulletin"))],
        source_name="later.csv", sha256=None, kind="import")
    today = client(app).get("/api/evaluations",
                            headers=bearer(tokens["analyst"])).text
    assert "9.87" in today

    c, _ = _signed_in(app, "evaluator")
    page = c.get(f"/followup/thirdparty/{ROUND_ID}?lang=en").text
    assert "The frozen vintage: figures and verdicts" in page
    rows = re.findall(r'<tr data-item="rd_intensity">(.*?)</tr>', page)
    assert len(rows) == len(rd["targets"]) > 0
    assert "9.87" not in page
    if frozen_latest is not None:
        assert all(f"{frozen_latest:g}" in row for row in rows)
    verdicts = {t["verdict"] for t in rd["targets"]}
    assert any(f"verdict-{v}" in rows[0] for v in verdicts)
    zh = c.get(f"/followup/thirdparty/{ROUND_ID}?lang=zh").text
    assert "冻结的数据版本：数值与结论" in zh


def test_evaluators_score_with_the_form_and_see_who_scored_when(
        app: FastAPI, tokens: dict[str, str]) -> None:  # noqa: F811
    _open(app, "2024-12-31")
    c, _ = _signed_in(app, "evaluator")
    page = c.get(f"/followup/thirdparty/{ROUND_ID}").text
    assert f'action="/followup/thirdparty/{ROUND_ID}/scores"' in page
    token = csrf_of(page)
    assert _score_form(c, token, 3, "first look").status_code == 303
    assert _score_form(c, token, 4, "second look").status_code == 303
    # off the rubric's scale: refused and not stored
    assert _score_form(c, token, 99).status_code == 422
    scores = app.state.platform.store.scores(ROUND_ID)
    assert [(s.evaluator, s.score, s.comment) for s in scores] == \
        [("evaluator", 3, "first look"), ("evaluator", 4, "second look")]
    assert _audit(app, "score.create") == [("evaluator", ROUND_ID)] * 2

    page = c.get(f"/followup/thirdparty/{ROUND_ID}?lang=en").text
    history = page.split('id="history"')[1].split("</table>")[0]
    assert history.count("<td>evaluator</td>") == 2
    assert "second look" in history and "first look" in history
    assert "replaced by the evaluator&#39;s later score" in history
    # an analyst reads the round but has no form to score with, and may not post one
    a, a_token = _signed_in(app, "analyst")
    assert 'name="score"' not in a.get(
        f"/followup/thirdparty/{ROUND_ID}").text
    assert _score_form(a, a_token, 3).status_code == 403


def test_a_closed_round_refuses_new_scores_with_a_clear_message(
        app: FastAPI, tokens: dict[str, str]) -> None:  # noqa: F811
    _open(app, "2024-12-31")
    ev, ev_token = _signed_in(app, "evaluator")
    assert _score_form(ev, ev_token, 3).status_code == 303
    # an analyst may not close the round (round:create: administrators and evaluators)
    an, an_token = _signed_in(app, "analyst")
    assert 'action="/followup/thirdparty/r-web/close"' not in an.get(
        f"/followup/thirdparty/{ROUND_ID}").text
    r = an.post(f"/followup/thirdparty/{ROUND_ID}/close",
                data={"csrf_token": an_token})
    assert r.status_code == 403
    assert 'action="/followup/thirdparty/r-web/close"' in ev.get(
        f"/followup/thirdparty/{ROUND_ID}").text
    assert app.state.platform.store.round(ROUND_ID).closed_at is None

    c, token = _signed_in(app, "admin")
    page = c.get(f"/followup/thirdparty/{ROUND_ID}").text
    assert f'action="/followup/thirdparty/{ROUND_ID}/close"' in page
    r = c.post(f"/followup/thirdparty/{ROUND_ID}/close",
               data={"comment": "all scored", "csrf_token": token})
    assert r.status_code == 303
    rec = app.state.platform.store.round(ROUND_ID)
    assert rec.closed_by == "admin" and rec.closed_at is not None
    assert rec.close_comment == "all scored"
    assert _audit(app, "round.close") == [("admin", ROUND_ID)]
    # closed once: a second close is refused and not audited
    again = c.post(f"/followup/thirdparty/{ROUND_ID}/close",
                   data={"csrf_token": token})
    # said in the page's language, naming who closed it (the English stays the API's)
    assert again.status_code == 422 and f"评价轮次 {ROUND_ID} 已于" in again.text
    assert "由 admin 关闭" in again.text and "already closed" not in again.text
    assert _audit(app, "round.close") == [("admin", ROUND_ID)]

    page = ev.get(f"/followup/thirdparty/{ROUND_ID}?lang=en").text
    assert "This round was closed by admin" in page
    assert f'action="/followup/thirdparty/{ROUND_ID}/scores"' not in page
    ev.get("/followup/thirdparty?lang=zh")
    refused = _score_form(ev, ev_token, 5)
    assert refused.status_code == 409
    assert "由 admin 关闭，不再接受评分" in refused.text
    ev.get("/followup/thirdparty?lang=en")
    refused_en = _score_form(ev, ev_token, 5)
    assert "was closed by admin" in refused_en.text
    assert "takes no more scores" in refused_en.text
    api = client(app).post(f"/api/thirdparty/rounds/{ROUND_ID}/scores",
                           headers=bearer(tokens["evaluator"]),
                           json={"item": "rd_intensity", "criterion": "progress", "score": 5})
    assert api.status_code == 409 and "closed" in api.json()["detail"]
    # nothing was added by the refused scores; the one before the close stays
    assert [s.score for s in app.state.platform.store.scores(ROUND_ID)] == [3]
    assert _audit(app, "score.create") == [("evaluator", ROUND_ID)]
    listed = client(app).get("/api/thirdparty/rounds", headers=bearer(tokens["analyst"])).json()
    assert listed[0]["closed_by"] == "admin"
    listing = ev.get("/followup/thirdparty?lang=en").text
    assert re.search(r"closed · admin", listing)


def test_the_command_line_refuses_a_score_in_a_round_closed_on_the_platform(
        app: FastAPI, tokens: dict[str, str]) -> None:  # noqa: F811
    from click.testing import CliRunner

    from mic2025.cli import main

    _open(app, "2024-12-31")
    c, token = _signed_in(app, "admin")
    assert c.post(f"/followup/thirdparty/{ROUND_ID}/close",
                  data={"csrf_token": token}).status_code == 303
    db = app.state.platform.store.engine.url.render_as_string(hide_password=False)
    r = CliRunner().invoke(main, ["--as", "evaluator", "thirdparty", "round", "score", ROUND_ID,
                                  "--db", db, "--item", "rd_intensity", "--criterion",
                                  "progress", "--score", "4"])
    assert r.exit_code == 2
    assert f"round {ROUND_ID!r} was closed by admin" in r.output
    assert app.state.platform.store.scores(ROUND_ID) == []
