"""Answers derived from the store are made once per store vintage and carry an entity tag:
a reader who has the answer gets ``304``; a new vintage (an approval, an import) changes the
tag and the answer. Counted calls, never timings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jinja2
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from mic2025.services import imports
from mic2025.store import open_store
from mic2025.web import data
from test_web_support import SYSTEM, app, bearer, client, csrf_of, log_in, tokens, upload

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here

PAGES = ("/", "/indicators/rd_intensity", "/?lang=en", "/provinces/440000")
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


def _count_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The area of every evaluation the platform runs from now on, in order."""
    evaluated: list[str] = []
    real = data.evaluate

    def counted(*args: Any, **kwargs: Any) -> Any:
        evaluated.append(kwargs["area"])
        return real(*args, **kwargs)

    monkeypatch.setattr(data, "evaluate", counted)
    return evaluated


def test_the_evaluation_and_the_answers_are_made_once_for_repeated_reads(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated = _count_evaluations(monkeypatch)
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


_PAGE_TEMPLATES = ("overview.html.j2", "indicator.html.j2", "province.html.j2")


def _count_renders(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the page templates the app renders from now on (not those they
    extend or import)."""
    env = app.state.templates
    rendered: list[str] = []
    real = env.get_template

    def counted(name: str, *args: Any, **kwargs: Any) -> Any:
        if name in _PAGE_TEMPLATES:
            rendered.append(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(env, "get_template", counted)
    return rendered


def test_a_public_page_is_rendered_once_per_vintage_and_language_for_every_reader(
        app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = _count_renders(app, monkeypatch)
    paths = ("/", "/indicators/rd_intensity", "/provinces/440000")
    readers = [client(app) for _ in range(3)]  # three browsers, three CSRF cookies
    for reader in readers:
        for path in paths:
            assert reader.get(path).status_code == 200, path
        assert reader.get("/?lang=en").status_code == 200
    assert sorted(rendered) == sorted(["overview.html.j2", "indicator.html.j2",
                                       "province.html.j2", "overview.html.j2"])
    before = {p: readers[0].get(p).text for p in paths[1:]}
    assert all("2.37" not in text for text in before.values())

    # a new vintage of Guangdong's: the pages showing its figures are made again, once (the
    # overview, of the nation's figures alone, is kept: see the test after the next)
    _approve(app, tokens, value=2.37)
    rendered.clear()
    for reader in readers:
        pages = {p: reader.get(p) for p in paths[1:]}
        for path in paths[1:]:
            assert pages[path].status_code == 200, path
            assert "2.37" in pages[path].text and pages[path].text != before[path], path
    assert sorted(rendered) == ["indicator.html.j2", "province.html.j2"]


def test_a_province_s_approval_keeps_the_answers_of_other_areas_and_their_tags(
        app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    rendered = _count_renders(app, monkeypatch)
    c = client(app)
    kept = ("/", "/api/evaluations", "/api/evaluations?area=110000", "/provinces/110000",
            "/api/indicators")
    changed = ("/provinces/440000", "/api/evaluations?area=440000", "/indicators/rd_intensity",
               "/api/observations?indicator=rd_intensity")
    tags = {p: c.get(p).headers["etag"] for p in kept + changed}
    rendered.clear()
    _approve(app, tokens, value=2.37)  # Guangdong's figures only
    for path in kept:
        assert c.get(path, headers={"If-None-Match": tags[path]}).status_code == 304, path
        whole = c.get(path)
        assert whole.status_code == 200 and whole.headers["etag"] == tags[path], path
    assert rendered == []  # the overview and Beijing's page were kept whole
    for path in changed:
        r = c.get(path, headers={"If-None-Match": tags[path]})
        assert r.status_code == 200 and r.headers["etag"] != tags[path], path
        assert "2.37" in r.text, path

    # a national figure: the nation's answers change, the plan's indicator list does not
    row = {"indicator": "rd_intensity", "area": "000000", "year": "2025", "value": "2.97",
           "unit": "%", "source": "国家统计局"}
    imports.import_rows(app.state.platform.store, SYSTEM, [row], app.state.platform.plan,
                        source_name="national figure")
    for path in ("/", "/api/evaluations"):
        r = c.get(path, headers={"If-None-Match": tags[path]})
        assert r.status_code == 200 and r.headers["etag"] != tags[path], path
        assert "2.97" in r.text, path
    assert c.get("/api/indicators",
                 headers={"If-None-Match": tags["/api/indicators"]}).status_code == 304


def test_nothing_of_one_reader_reaches_another(app: FastAPI, tokens: dict[str, str]) -> None:
    anonymous_zh, anonymous_en, signed = client(app), client(app), client(app)
    assert log_in(signed, "analyst").status_code == 303
    for _ in range(2):  # the second round reads what the first one left in the caches
        for path in ("/", "/indicators/rd_intensity", "/provinces/440000"):
            mine = signed.get(path)
            assert mine.status_code == 200 and "etag" not in mine.headers, path
            assert "analyst" in mine.text and 'action="/logout"' in mine.text, path
            # the signed-in reader's own token, in their own log-out form
            assert csrf_of(mine.text) == csrf_of(signed.get("/login").text), path
            zh = anonymous_zh.get(path, params={"lang": "zh"})
            en = anonymous_en.get(path, params={"lang": "en"})
            for page, lang in ((zh, "zh"), (en, "en")):
                assert page.status_code == 200 and "analyst" not in page.text, path
                assert 'action="/logout"' not in page.text, path
                assert f'<html lang="{lang}' in page.text, path
                assert 'name="csrf_token"' not in page.text, path
            assert zh.text != en.text, path


def test_a_public_page_holding_the_reader_s_csrf_token_is_made_for_each_reader(
        app: FastAPI) -> None:
    # a page of the site does not show its reader's token to the public; if one did (say a
    # form added to it), each reader must still get their own token, never another's. The
    # templates are the app's, which later tests share: put back when this test ends
    env: jinja2.Environment = app.state.templates
    app.state.templates = env.overlay(loader=jinja2.ChoiceLoader([
        jinja2.DictLoader({"province.html.j2": '{% extends "base.html.j2" %}{% block main %}'
                                               '<form><input type="hidden" name="csrf_token" '
                                               'value="{{ csrf }}"></form>{% endblock %}'}),
        env.loader]))  # type: ignore[list-item]
    try:
        _each_reader_gets_their_own_token(app)
    finally:
        app.state.templates = env


def _each_reader_gets_their_own_token(app: FastAPI) -> None:
    first, second = client(app), client(app)
    first.get("/")
    second.get("/")
    tokens_seen = []
    for reader in (first, second, first):
        page = reader.get("/provinces/440000")
        assert page.status_code == 200
        tokens_seen.append(csrf_of(page.text))
    assert tokens_seen[0] == tokens_seen[2] != tokens_seen[1]
    assert tokens_seen[0] == csrf_of(first.get("/login").text)
    assert tokens_seen[1] == csrf_of(second.get("/login").text)


@contextmanager
def _statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app's own engine runs meanwhile."""
    engine = app.state.platform.engine
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_cached_read_asks_the_store_at_most_for_its_latest_vintage(app: FastAPI) -> None:
    from test_web_support import client as new_client

    reader = new_client(app)
    paths = ("/", "/indicators/rd_intensity", "/provinces/440000", "/api/indicators",
             "/api/evaluations?area=000000", "/api/observations?indicator=rd_intensity")
    for path in paths:
        assert reader.get(path).status_code == 200
    with _statements(app) as seen:
        for path in paths:
            assert reader.get(path).status_code == 200
    # the latest vintage is asked on a connection of the watch's own, never through the
    # store's pool: on SQLite only after a commit, on PostgreSQL one max(id) per read
    assert seen == []


def test_a_vintage_written_by_another_process_is_read_next(app: FastAPI) -> None:
    c = client(app)
    paths = ("/api/observations?area=440000&indicator=rd_intensity", "/provinces/440000?lang=en")
    tags = {p: c.get(p).headers["etag"] for p in paths}
    # another worker of the same store: its own engine and connections
    other = open_store(app.state.platform.engine.url.render_as_string(hide_password=False),
                       migrate=False)
    try:
        row = {"indicator": "rd_intensity", "area": "440000", "year": "2025", "value": "2.61",
               "unit": "%", "source": "省统计局"}
        imports.import_rows(other, SYSTEM, [row], app.state.platform.plan,
                            source_name="another worker")
    finally:
        other.close()
    for path, tag in tags.items():
        r = c.get(path, headers={"If-None-Match": tag})
        assert r.status_code == 200 and r.headers["etag"] != tag, path
        assert "2.61" in r.text, path


def test_a_province_s_approval_evaluates_that_province_again_and_no_other_area(
        app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated = _count_evaluations(monkeypatch)
    c = client(app)
    paths = ("/", "/api/evaluations", "/provinces/440000", "/provinces/110000")
    for path in paths:
        assert c.get(path).status_code == 200
    assert sorted(evaluated) == ["000000", "110000", "440000"]
    evaluated.clear()
    _approve(app, tokens, value=2.37)  # Guangdong's figures only
    pages = {p: c.get(p) for p in paths}
    assert "2.37" in pages["/provinces/440000"].text
    assert evaluated == ["440000"]
    # a national figure: the nation is judged again, and the overview shows it
    evaluated.clear()
    row = {"indicator": "rd_intensity", "area": "000000", "year": "2025", "value": "2.97",
           "unit": "%", "source": "国家统计局"}
    imports.import_rows(app.state.platform.store, SYSTEM, [row], app.state.platform.plan,
                        source_name="national figure")
    assert "2.97" in c.get("/api/evaluations").text
    assert "2.97" in c.get("/?lang=en").text
    assert evaluated == ["000000"]


def test_a_read_asks_for_the_latest_vintage_once_and_the_next_read_again(
        app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    p = app.state.platform
    asked: list[int] = []
    real = p.vintages.latest

    def latest() -> int:
        asked.append(real())
        return asked[-1]

    monkeypatch.setattr(p.vintages, "latest", latest)
    c = client(app)
    # the first reads compute everything (tag, evaluation, rows, warnings, freshness), the
    # second find it kept: each asks the store once, never once per part
    for path in ("/", "/indicators/rd_intensity", "/provinces/440000", "/api/evaluations",
                 "/api/observations?indicator=rd_intensity") * 2:
        asked.clear()
        assert c.get(path).status_code == 200, path
        assert len(asked) == 1, (path, asked)
    before = asked[0]
    asked.clear()
    assert c.get("/api/indicators").status_code == 200 and asked == []  # the plan's alone
    _approve(app, tokens, value=2.37)
    # the next read asks again, and sees the approval's vintage
    asked.clear()
    assert "2.37" in c.get("/provinces/440000").text and asked == [before + 1]


def test_readers_arriving_while_the_vintage_is_read_share_the_next_read(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    watch = app.state.platform.vintages
    first_read, go_on = threading.Event(), threading.Event()
    reads: list[int] = []
    real = watch._read

    def read() -> int:
        answer = real()
        reads.append(answer)
        if len(reads) == 1:  # the first read has its answer; hold it in flight
            first_read.set()
            go_on.wait(30)
        return answer

    monkeypatch.setattr(watch, "_read", read)
    answers: dict[str, int] = {}

    def ask(name: str) -> None:
        answers[name] = watch.latest()

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert first_read.wait(30)
    before = reads[0]
    # a vintage committed while the first read is in flight: whoever asks from now on must
    # see it, so none of them may take the first read's answer
    row = {"indicator": "rd_intensity", "area": "440000", "year": "2025", "value": "2.61",
           "unit": "%", "source": "省统计局"}
    imports.import_rows(app.state.platform.store, SYSTEM, [row], app.state.platform.plan,
                        source_name="while reading")
    crowd = [threading.Thread(target=ask, args=(f"reader {i}",)) for i in range(8)]
    for t in crowd:
        t.start()
    for _ in range(3000):  # every reader waiting (a count, polled; never a timing)
        if watch.waiting == 8:
            break
        threading.Event().wait(0.01)
    assert watch.waiting == 8
    go_on.set()
    for t in (first, *crowd):
        t.join(30)
    assert answers.pop("first") == before
    assert set(answers.values()) == {before + 1} and len(answers) == 8
    assert reads == [before, before + 1]  # one read for the eight of them


def test_a_warmed_worker_s_first_readers_find_the_templates_and_the_evaluation_made(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from mic2025.web.rendering import environment

    # the tests' apps share their templates, compiled by earlier tests: this one has its own,
    # put back when it ends
    shared = app.state.templates
    app.state.templates = environment()
    try:
        _warmed(app, monkeypatch)
    finally:
        app.state.templates = shared


def _warmed(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    from mic2025.web.app import warm

    env: jinja2.Environment = app.state.templates
    compiled: list[str | None] = []
    real_compile = env.compile

    def compile_(source: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return real_compile(source, name, *args, **kwargs)

    monkeypatch.setattr(env, "compile", compile_)
    assert warm(app) is app  # what `mic2025 serve` does in each worker before it serves
    assert {"overview.html.j2", "indicator.html.j2", "base.html.j2"} <= set(compiled)
    compiled.clear()
    evaluated = _count_evaluations(monkeypatch)
    c = client(app)
    for path in ("/", "/indicators/rd_intensity", "/api/evaluations", "/?lang=en"):
        assert c.get(path).status_code == 200, path
    assert compiled == [] and evaluated == []
