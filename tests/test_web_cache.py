"""Answers derived from the store are made once per store vintage and carry an entity tag:
a reader who has the answer gets ``304``; a new vintage (an approval, an import) changes the
tag and the answer. Counted calls, never timings."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from mic2025.services import imports
from mic2025.web import data
from test_web_support import SYSTEM, app, bearer, client, log_in, tokens, upload

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here

PAGES = ("/", "/indicators/rd_intensity", "/?lang=en")
API = ("/api/evaluations", "/api/evaluations?area=440000",
       "/api/observations?indicator=rd_intensity", "/api/observations?area=110000&format=csv")
_SECURITY = ("content-security-policy", "x-frame-options", "x-content-type-options")


def _approve(app: FastAPI, tokens: dict[str, str], value: float) -> None:
    from test_web_support import good_file

    c = client(app)
    r = upload(c, tokens["gd-editor"], data=good_file(value=value))
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert c.post(f"/api/submissions/{sid}/submit",
                  headers=bearer(tokens["gd-editor"])).status_code == 200
    r = c.post(f"/api/submissions/{sid}/approve", headers=bearer(tokens["gd-approver"]),
               json={})
    assert r.status_code == 200 and r.json()["vintage_id"] is not None, r.text


def test_a_second_read_with_the_tag_gets_304_without_a_body(app: FastAPI) -> None:
    c = client(app)
    c.get("/")  # the first visit sets the CSRF cookie (and is not stored: no-store)
    for path in PAGES + API:
        first = c.get(path)
        assert first.status_code == 200, path
        tag = first.headers["etag"]
        assert tag.startswith('W/"'), path
        again = c.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"", path
        assert again.headers["etag"] == tag, path
        assert all(h in again.headers for h in _SECURITY), path
        # revalidated before each use; a page (with the reader's CSRF token) only privately
        wanted = "private, no-cache" if not path.startswith("/api/") else "no-cache"
        assert again.headers["cache-control"] == wanted, path
        if "set-cookie" not in first.headers:  # (a language asked for sets its cookie)
            assert first.headers["cache-control"] == wanted, path
        # a tag among others, and a tag of another answer
        assert c.get(path, headers={"If-None-Match": f'"x", {tag}'}).status_code == 304
        assert c.get(path, headers={"If-None-Match": 'W/"other"'}).status_code == 200, path
    assert c.get("/?lang=zh").headers["etag"] != c.get("/?lang=en").headers["etag"]
    head = c.head("/api/evaluations", headers={"If-None-Match": c.get(
        "/api/evaluations").headers["etag"]})
    assert head.status_code == 304


def test_a_new_vintage_changes_the_tag_and_shows_the_new_figure(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    c.get("/")
    paths = ("/api/observations?area=440000&indicator=rd_intensity",
             "/api/evaluations?area=440000", "/indicators/rd_intensity?lang=en")
    before = {p: c.get(p) for p in paths}
    assert all("2.37" not in r.text for r in before.values())
    _approve(app, tokens, value=2.37)
    for path, old in before.items():
        r = c.get(path, headers={"If-None-Match": old.headers["etag"]})
        assert r.status_code == 200 and r.headers["etag"] != old.headers["etag"], path
        assert "2.37" in r.text, path
    tagged = {p: c.get(p).headers["etag"] for p in paths}

    # an import through the services writes a vintage too
    row = {"indicator": "rd_intensity", "area": "440000", "year": "2025", "value": "2.58",
           "unit": "%", "source": "省统计局"}
    imports.import_rows(app.state.platform.store, SYSTEM, [row], app.state.platform.plan,
                        source_name="cache test")
    for path, tag in tagged.items():
        r = c.get(path, headers={"If-None-Match": tag})
        assert r.status_code == 200 and r.headers["etag"] != tag, path
        assert "2.58" in r.text, path


def test_the_evaluation_and_the_answers_are_made_once_for_repeated_reads(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated: list[str] = []
    real = data.evaluate

    def counted(*args: Any, **kwargs: Any) -> Any:
        evaluated.append(kwargs["area"])
        return real(*args, **kwargs)

    monkeypatch.setattr(data, "evaluate", counted)
    store = app.state.platform.store
    read: list[object] = []
    real_observations = store.observations

    def observations(*args: Any, **kwargs: Any) -> Any:
        read.append(kwargs.get("indicators"))
        return real_observations(*args, **kwargs)

    monkeypatch.setattr(store, "observations", observations)
    c = client(app)
    c.get("/")
    for _ in range(2):
        for path in ("/", "/indicators/rd_intensity", "/api/evaluations"):
            assert c.get(path).status_code == 200
    assert evaluated == [app.state.platform.plan.area]  # once, for the plan's own area
    read.clear()
    for _ in range(3):
        r = c.get("/api/observations", params={"indicator": "rd_intensity", "format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
    assert len(read) == 1  # the store is read once; the CSV is made once


def test_a_signed_in_reader_page_and_a_past_state_get_no_tag(
        app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    c.get("/")
    public = c.get("/").headers["etag"]
    assert log_in(c, "analyst").status_code == 303
    page = c.get("/", headers={"If-None-Match": public})
    # what a signed-in reader sees depends on their roles: sent whole, never stored
    assert page.status_code == 200 and "etag" not in page.headers
    assert page.headers["cache-control"] == "no-store"
    # the API answers read here are the same for everyone: tagged, but a token's never stored
    api = client(app).get("/api/evaluations", headers=bearer(tokens["analyst"]))
    assert api.status_code == 200 and api.headers["cache-control"] == "no-store"
    assert "etag" in api.headers
    past = client(app).get("/api/evaluations", params={"as_of": "2024-01-01"})
    assert past.status_code == 200 and "etag" not in past.headers
    assert past.json()["area"] == "000000"
    # a failed validation is an error, not a tag
    bad = client(app).get("/api/observations", params={"area": "99"})
    assert bad.status_code in (400, 422) and "etag" not in bad.headers
