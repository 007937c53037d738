"""Hardening of the web platform (issue #10): log-in throttling under concurrency, download
names, request body limits, error answers, caching, HEAD, tokens of re-enabled users, and
unknown codes in API filters — all through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from mic2025 import i18n
from mic2025.services import accounts
from mic2025.store.platform import ROLES
from mic2025.web.app import create_app
from mic2025.web.settings import Settings
from store_fixtures import BACKENDS, StoreTemplates
from test_web_support import (
    PASSWORD,
    SYSTEM,
    TestClient,
    app,
    bearer,
    client,
    csrf_of,
    good_file,
    log_in,
    tokens,
    upload,
)

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here


def _from(app: FastAPI, address: str) -> TestClient:
    """A browser at ``address`` (an office behind one NAT shares one)."""
    return TestClient(app, base_url="http://testserver", follow_redirects=False,
                      client=(address, 50000))


# ---------------------------------------------------------------------------- log-in throttle


def test_parallel_log_ins_evaluate_at_most_the_limit_and_the_right_one_is_refused(
        app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """24 wrong passwords are sent at once and held while being checked; then the right one
    arrives. At most MAX_FAILURES are checked, and the right one is refused: the attempts in
    flight already count against the account."""
    real_verify = accounts._verify
    lock = threading.Lock()
    evaluated: list[str] = []
    arrived = threading.Semaphore(0)  # one release per wrong attempt checked or refused
    release = threading.Event()

    def verify(hashed: str, password: str) -> bool:
        with lock:
            evaluated.append(password)
        if password != PASSWORD:
            arrived.release()
            release.wait(timeout=30)  # hold the check open while the others arrive
        return real_verify(hashed, password)

    monkeypatch.setattr(accounts, "_verify", verify)
    browsers = [client(app) for _ in range(25)]
    forms = [{"username": "admin", "password": PASSWORD if i == 24 else f"wrong {i}",
              "csrf_token": csrf_of(b.get("/login").text), "next": "/"}
             for i, b in enumerate(browsers)]
    answers: dict[int, int] = {}

    def attempt(i: int) -> None:
        r = browsers[i].post("/login", data=forms[i])
        answers[i] = r.status_code
        if r.status_code != 401:  # a refused wrong attempt never reaches the check
            arrived.release()

    wrong = [threading.Thread(target=attempt, args=(i,)) for i in range(24)]
    for th in wrong:
        th.start()
    for _ in range(24):  # every wrong attempt is either being checked or already refused
        assert arrived.acquire(timeout=30)
    attempt(24)
    release.set()
    for th in wrong:
        th.join(timeout=30)
    assert len(evaluated) <= accounts.MAX_FAILURES
    assert PASSWORD not in evaluated
    assert answers[24] == 429
    assert sorted(answers.values()).count(401) == len(evaluated)
    assert set(answers.values()) <= {401, 429}


def test_one_bad_actor_at_an_address_does_not_lock_out_the_office(
        app: FastAPI, tokens: dict[str, str]) -> None:
    office = _from(app, "203.0.113.7")
    for name in ("admin", "gd-editor", "gd-approver", "bj-editor", "firm", "evaluator"):
        for _ in range(accounts.MAX_FAILURES):
            assert log_in(office, name, "wrong password").status_code == 401
    assert log_in(office, "admin").status_code == 429  # that account itself is locked
    colleague = _from(app, "203.0.113.7")
    assert log_in(colleague, "analyst").status_code == 303


def test_spraying_from_an_address_locks_new_accounts_there_but_not_known_ones(
        app: FastAPI, tokens: dict[str, str]) -> None:
    office = "198.51.100.20"
    assert log_in(_from(app, office), "analyst").status_code == 303  # known at the office
    sprayer = _from(app, office)
    for i in range(accounts.MAX_ACCOUNTS_PER_IP):
        assert log_in(sprayer, f"ghost-{i}", "Winter2025!").status_code == 401
    assert log_in(sprayer, "gd-editor", "Winter2025!").status_code == 429
    assert log_in(_from(app, office), "gd-editor").status_code == 429
    assert log_in(_from(app, office), "analyst").status_code == 303
    assert log_in(_from(app, "192.0.2.1"), "gd-editor").status_code == 303


# ---------------------------------------------------------------------------- downloads


def _disposition(value: str) -> tuple[str, str]:
    """(the UTF-8 name, the ASCII fallback) of a Content-Disposition header."""
    assert value.startswith("attachment; ")
    star = re.search(r"filename\*=UTF-8''([A-Za-z0-9%!#$&+.^_`|~-]+)", value)
    plain = re.search(r'filename="((?:[^"\\]|\\.)*)"', value)
    assert star and plain, value
    return unquote(star.group(1), errors="strict"), plain.group(1)


@pytest.mark.parametrize("name", ["广东省2024年报送.csv", 'a "quoted" name\\😀.csv'])
def test_downloads_keep_any_file_name(app: FastAPI, tokens: dict[str, str], name: str) -> None:
    c = client(app)
    sid = upload(c, tokens["gd-editor"], name=name).json()["id"]
    api = c.get(f"/api/submissions/{sid}/file", headers=bearer(tokens["gd-editor"]))
    assert api.status_code == 200 and api.content == good_file()
    utf8, fallback = _disposition(api.headers["content-disposition"])
    # httpx, like browsers, sends a double quote in a multipart file name as %22
    stored = c.get(f"/api/submissions/{sid}", headers=bearer(tokens["gd-editor"])).json()
    assert stored["filename"] == name.replace('"', "%22") and utf8 == stored["filename"]
    assert fallback.isascii() and '"' not in fallback and "\\" not in fallback
    assert log_in(c, "gd-editor").status_code == 303
    page = c.get(f"/submissions/{sid}/file")
    assert page.status_code == 200
    assert _disposition(page.headers["content-disposition"])[0] == stored["filename"]


def test_the_content_disposition_helper_neutralises_control_characters() -> None:
    from mic2025.web.downloads import content_disposition

    header = content_disposition('x\r\nSet-Cookie: a=b;\x00"\\.csv')
    assert "\r" not in header and "\n" not in header and "\x00" not in header
    utf8, fallback = _disposition(header)
    assert utf8 == 'x__Set-Cookie: a=b;_"\\.csv'
    assert fallback.isascii() and '"' not in fallback and "\\" not in fallback
    assert content_disposition("") == 'attachment; filename="download"; ' \
                                      "filename*=UTF-8''download"


# ---------------------------------------------------------------------------- roles


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_role_has_a_label_in_both_languages(lang: i18n.Lang) -> None:
    for role in ROLES:
        label = i18n.t(f"role.{role}", lang)
        assert label.strip() and label != f"role.{role}", role
        assert role in i18n.t("role_help", lang), role


@pytest.mark.parametrize("backend", BACKENDS)
def test_account_and_users_pages_render_for_every_demo_account(
        backend: str, tmp_path: Path, store_templates: StoreTemplates) -> None:
    from store_fixtures import fresh_url

    with fresh_url(backend, tmp_path) as url:
        store_templates.migrate_into(url, evidence=True)  # as a first start leaves it
        demo = create_app(url, demo=True, secret="test-secret",
                          followup_dir=str(tmp_path / "followup"))
        try:
            for username, password, grant, _label in accounts.DEMO_ACCOUNTS:
                c = client(demo)
                assert log_in(c, username, password).status_code == 303, username
                page = c.get("/account")
                role = accounts.parse_grant(grant).role
                assert page.status_code == 200, username
                assert i18n.t(f"role.{role}", "zh") in page.text
                users = c.get("/admin/users")
                assert users.status_code == (200 if role == "admin" else 403), username
                if role == "admin":
                    for other in ROLES:
                        assert i18n.t(f"role.{other}", "zh") in users.text, other
        finally:
            demo.state.platform.close()


# ---------------------------------------------------------------------------- body limits


class _Body:
    """An ASGI request body of ``size`` bytes, counting what the app reads of it."""

    def __init__(self, size: int, chunk: int = 64 * 1024, prefix: bytes = b"") -> None:
        self.size = size
        self.chunk = chunk
        self.prefix = prefix
        self.read = 0

    async def receive(self) -> dict[str, Any]:
        if self.read >= self.size:
            await asyncio.sleep(3600)  # a client that sent everything waits for the answer
        n = min(self.chunk, self.size - self.read)
        start = self.read
        self.read += n
        data = (self.prefix + b"\0" * self.size)[start:start + n] if start < len(
            self.prefix) else b"\0" * n
        return {"type": "http.request", "body": data, "more_body": self.read < self.size}


def _call(app: FastAPI, path: str, headers: dict[str, str], body: _Body) -> int:
    """Drive the app through ASGI with ``body``; returns the status code."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("192.0.2.9", 5000), "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        await asyncio.wait_for(app(scope, body.receive, send), timeout=60)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    return int(start["status"])


def _multipart(boundary: str, fields: dict[str, str]) -> bytes:
    out = b""
    for k, v in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                ).encode()
    out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    return out


def test_an_upload_over_the_limit_is_refused_before_its_body_is_read(
        app: FastAPI, tokens: dict[str, str]) -> None:
    limit = app.state.settings.max_body_bytes
    boundary = "b0undary"
    head = {"content-type": f"multipart/form-data; boundary={boundary}",
            **bearer(tokens["gd-editor"])}
    prefix = _multipart(boundary, {"area": "440000", "year": "2024"})
    declared = _Body(limit * 3, prefix=prefix)
    assert _call(app, "/api/submissions", {**head, "content-length": str(declared.size)},
                 declared) == 413
    assert declared.read == 0
    streamed = _Body(limit * 3, prefix=prefix)  # chunked: no Content-Length
    assert _call(app, "/api/submissions", head, streamed) == 413
    assert streamed.read <= limit + streamed.chunk


def test_unauthenticated_writes_are_refused_before_their_body_is_read(
        app: FastAPI, tokens: dict[str, str]) -> None:
    limit = app.state.settings.max_body_bytes
    boundary = "b0undary"
    form = {"content-type": f"multipart/form-data; boundary={boundary}"}
    prefix = _multipart(boundary, {"area": "440000", "year": "2024"})
    anonymous = _Body(limit - 1024, prefix=prefix)
    assert _call(app, "/submissions/upload", form, anonymous) == 403
    assert anonymous.read <= 64 * 1024 + anonymous.chunk
    with_cookie = _Body(limit - 1024, prefix=prefix)
    assert _call(app, "/submissions/upload", {**form, "cookie": "m25_csrf=abc"},
                 with_cookie) == 403
    assert with_cookie.read <= 64 * 1024 + with_cookie.chunk
    bad_token = _Body(limit - 1024, prefix=prefix)
    assert _call(app, "/api/submissions", {**form, **bearer("m25_nope")}, bad_token) == 401
    assert bad_token.read == 0


def test_over_size_bodies_get_413_through_the_client(app: FastAPI, tokens: dict[str, str]
                                                      ) -> None:
    c = client(app)
    limit = app.state.settings.max_body_bytes
    big = upload(c, tokens["gd-editor"], data=b"x" * (limit + 1))
    assert big.status_code == 413
    assert "script-src 'self'" in big.headers["content-security-policy"]
    from mic2025.services.submissions import MAX_UPLOAD_BYTES

    assert limit > MAX_UPLOAD_BYTES + 1024  # the file's own limit, inside the body's
    assert upload(c, tokens["gd-editor"], data=b"x" * (MAX_UPLOAD_BYTES + 1)).status_code == 413
    assert upload(c, tokens["gd-editor"]).status_code == 201


def test_the_body_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from mic2025.web.settings import SettingsError

    assert Settings.from_env().max_body_bytes == 6 * 1024 * 1024
    monkeypatch.setenv("MIC2025_MAX_BODY_BYTES", "2048")
    assert Settings.from_env().max_body_bytes == 2048
    monkeypatch.setenv("MIC2025_MAX_BODY_BYTES", "lots")
    with pytest.raises(SettingsError, match="MIC2025_MAX_BODY_BYTES"):
        Settings.from_env()


# ---------------------------------------------------------------------------- answers


_SECURITY = ("content-security-policy", "x-frame-options", "x-content-type-options",
             "referrer-policy")


def test_a_server_error_answers_500_with_the_security_headers(
        app: FastAPI, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from mic2025.services import submissions

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail of a bug")

    monkeypatch.setattr(accounts, "list_tokens", broken)
    monkeypatch.setattr(submissions, "list_for", broken)
    c = client(app)  # raises if the error escaped the app (the server would drop the line)
    assert log_in(c, "analyst").status_code == 303
    page = c.get("/account")
    assert page.status_code == 500 and "secret detail" not in page.text
    assert all(h in page.headers for h in _SECURITY)
    assert page.headers["cache-control"] == "no-store"
    api = c.get("/api/submissions", headers=bearer(tokens["analyst"]))
    assert api.status_code == 500 and "detail" in api.json()
    assert all(h in api.headers for h in _SECURITY)
    assert c.get("/api/indicators").status_code == 200  # the app goes on serving


def test_private_answers_are_not_stored_by_caches(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    c.get("/")
    assert "no-store" not in c.get("/api/indicators").headers.get("cache-control", "")
    assert c.get("/api/submissions", headers=bearer(tokens["analyst"])).headers[
        "cache-control"] == "no-store"
    assert log_in(c, "admin").status_code == 303
    for path in ("/", "/account", "/admin/users", "/submissions", "/api/indicators"):
        r = c.get(path)
        assert r.status_code == 200 and r.headers["cache-control"] == "no-store", path


def test_a_first_visit_gets_the_csrf_cookie_from_a_page_not_from_the_api(
        app: FastAPI, tokens: dict[str, str]) -> None:
    """An anonymous reader of the API gets no cookie, so its answers may be kept by caches;
    a page still sets the cookie its forms need, and a form posted after it is accepted."""
    c = client(app)
    api = c.get("/api/indicators")
    assert api.status_code == 200 and "set-cookie" not in api.headers
    assert api.headers["cache-control"] == "no-cache" and "m25_csrf" not in c.cookies
    assert "set-cookie" not in c.get("/static/app.css").headers
    page = c.get("/login")
    assert "m25_csrf=" in page.headers["set-cookie"] and "m25_csrf" in c.cookies
    assert page.headers["cache-control"] == "no-store"
    assert log_in(c, "analyst").status_code == 303  # the form's token checks out


def test_head_answers_like_get_without_a_body(app: FastAPI) -> None:
    c = client(app)
    for path in ("/", "/login", "/indicators/rd_intensity", "/api/indicators"):
        get = c.get(path)
        head = c.head(path)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"]
        assert "content-security-policy" in head.headers
    assert c.head("/nope").status_code == 404


# ---------------------------------------------------------------------------- tokens


def test_re_enabling_a_user_does_not_revive_its_old_tokens(app: FastAPI,
                                                           tokens: dict[str, str]) -> None:
    c = client(app)
    old = tokens["analyst"]
    assert c.get("/api/submissions", headers=bearer(old)).status_code == 200
    assert c.post("/api/users/analyst/disable", headers=bearer(tokens["admin"])).status_code == 204
    assert log_in(c, "admin").status_code == 303
    enabled = c.post("/admin/users/analyst/enable", data={"csrf_token": csrf_of(
        c.get("/admin/users").text)})
    assert enabled.status_code == 303
    assert c.get("/api/submissions", headers=bearer(old)).status_code == 401
    fresh = accounts.create_token(app.state.platform.engine, SYSTEM, "analyst", "after")
    assert c.get("/api/submissions", headers=bearer(fresh)).status_code == 200
    with app.state.platform.engine.connect() as conn:
        after = conn.execute(text("SELECT after FROM audit_log WHERE action = 'user.disable'")
                             ).scalar_one()
    assert '"tokens_revoked": 1' in after and '"disabled": true' in after


# ---------------------------------------------------------------------------- API filters


@pytest.mark.parametrize(("path", "param", "value", "who"), [
    ("/api/observations", "indicator", "nope", None),
    ("/api/observations", "area", "999999", None),
    ("/api/observations", "sector", "ZZ", None),
    ("/api/observations", "period", "someday", None),
    ("/api/export/sdmx-csv", "indicator", "nope", None),
    ("/api/export/sdmx-csv", "area", "999999", None),
    ("/api/evaluations", "area", "999999", None),
    ("/api/submissions", "area", "999999", "analyst"),
    ("/api/submissions", "status", "lost", "analyst"),
    ("/api/reviews", "metric", "nope", "analyst"),
    ("/api/reviews", "area", "999999", "analyst"),
    ("/api/warnings", "indicator", "nope", "analyst"),
    ("/api/warnings", "province", "999999", "analyst"),
])
def test_unknown_codes_in_api_filters_are_422(app: FastAPI, tokens: dict[str, str], path: str,
                                              param: str, value: str, who: str | None) -> None:
    c = client(app)
    headers = bearer(tokens[who]) if who else {}
    r = c.get(path, params={param: value}, headers=headers)
    assert r.status_code == 422, r.text
    assert param in r.json()["detail"] and value in r.json()["detail"]


def test_known_codes_in_api_filters_still_select(app: FastAPI, tokens: dict[str, str]) -> None:
    c = client(app)
    rows = c.get("/api/observations", params={"area": "00"}).json()
    assert rows and rows == c.get("/api/observations", params={"area": "000000"}).json()
    some = rows[0]["indicator"]
    assert {r["indicator"] for r in c.get("/api/observations", params={
        "area": "00", "indicator": some}).json()} == {some}
    assert c.get("/api/observations", params={"period": "2019"}).status_code == 200
    assert c.get("/api/observations", params={"sector": "C36"}).status_code == 200
    assert c.get("/api/submissions", params={"status": "draft", "area": "440000"},
                 headers=bearer(tokens["analyst"])).status_code == 200
