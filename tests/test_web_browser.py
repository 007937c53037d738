"""The submission workflow in Debian's Chromium, driven by Playwright, against a live server.

A provincial editor logs in, uploads a file with errors and sees them listed, uploads the
fixed file and submits it; the province's approver approves it; the indicator page then
shows Guangdong on the map and in the ranking. The flow runs on SQLite and on PostgreSQL
(the ``postgres`` parameter, with ``MIC2025_TEST_PG_URL``). A second test walks the
follow-up pages. Screenshots go to ``test-artifacts/web/`` (``…/postgres/`` for PostgreSQL).
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_web_support import PASSWORD, add_users, bad_file, good_file, make_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "web"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres,
                                               id="postgres")])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:

    from store_fixtures import fresh_url

    with fresh_url(request.param, tmp_path) as url:
        yield from _serve(url, tmp_path, request.param)


def _serve(url: str, tmp_path: Path, backend: str) -> Iterator[str]:
    import uvicorn

    app = make_app(url, followup_dir=tmp_path / "followup")
    app.state.backend = backend
    add_users(app)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(500):  # bounded wait for the socket, not a timed assertion
        if srv.started:
            break
        threading.Event().wait(0.02)
    assert srv.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join()
        app.state.platform.close()


@pytest.fixture
def browser() -> Iterator[object]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no {CHROMIUM}")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _artifacts(request: pytest.FixtureRequest) -> Path:
    backend = request.node.callspec.params.get("server", "sqlite")
    folder = ARTIFACTS if backend == "sqlite" else ARTIFACTS / backend
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_upload_fix_submit_approve_and_see_the_dashboard_change(
        server: str, browser: object, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    ARTIFACTS = _artifacts(request)
    bad = tmp_path / "guangdong-2024.csv"
    bad.write_bytes(bad_file())
    good = tmp_path / "guangdong-2024-fixed.csv"
    good.write_bytes(good_file(value=2.65))
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def log_in(user: str) -> None:
        page.goto(f"{server}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{server}/")

    # the editor: a file with errors, listed cell by cell
    log_in("gd-editor")
    page.goto(f"{server}/submissions")
    page.select_option("#upload-form select[name=area]", "440000")
    page.fill("#upload-form input[name=year]", "2024")
    page.set_input_files("#upload-form input[name=file]", str(bad))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("table.problems")
    rows = page.locator("table.problems tbody tr")
    assert rows.count() == 2
    assert "value" in rows.nth(0).inner_text() and "abc" in rows.nth(0).inner_text()
    assert page.locator("#submit-btn").count() == 0  # an invalid file cannot be submitted
    page.screenshot(path=str(ARTIFACTS / "1-upload-with-errors.png"), full_page=True)

    # fixed, uploaded again, submitted
    page.set_input_files("#reupload-form input[name=file]", str(good))
    page.click("#reupload-form button[type=submit]")
    page.wait_for_selector("#submit-btn")
    assert page.locator("table.problems").count() == 0
    page.click("#submit-btn")
    page.wait_for_selector("#status.state-submitted")
    page.screenshot(path=str(ARTIFACTS / "2-submitted.png"), full_page=True)
    submission_url = page.url
    page.click("header form.inline button")  # log out

    # before approval the indicator page has no provincial figures
    page.goto(f"{server}/indicators/rd_intensity")
    assert page.locator("#province-map").count() == 0

    # the approver approves
    log_in("gd-approver")
    page.goto(submission_url)
    page.fill("#review-form input[name=comment]", "核对无误")
    page.click("#approve-btn")
    page.wait_for_selector("#status.state-approved")
    page.screenshot(path=str(ARTIFACTS / "3-approved.png"), full_page=True)

    # the dashboard changed: Guangdong on the map and in the ranking, in both languages
    page.goto(f"{server}/indicators/rd_intensity")
    page.wait_for_selector("#province-map[data-ready='1']")
    page.wait_for_selector("#province-bar[data-ready='1']")
    page.screenshot(path=str(ARTIFACTS / "4-indicator-map.png"), full_page=True)
    page.goto(f"{server}/provinces/440000?lang=en")
    assert "2.65%" in page.locator("table.overview").inner_text()
    page.screenshot(path=str(ARTIFACTS / "5-province-en.png"), full_page=True)
    page.goto(f"{server}/")
    assert page.locator("html").get_attribute("lang") == "en"  # the language was remembered
    page.wait_for_function("document.documentElement.dataset.chartsReady > 0")
    page.screenshot(path=str(ARTIFACTS / "6-overview-en.png"), full_page=True)
    assert errors == []


def test_the_follow_up_pages(server: str, browser: object,
                             request: pytest.FixtureRequest) -> None:
    """Warnings, supervision (a body editor reports a status), a round, the mid-term page."""
    ARTIFACTS = _artifacts(request)
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def log_in(user: str) -> None:
        page.goto(f"{server}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(f"{server}/")

    log_in("miit-editor")
    page.goto(f"{server}/followup/warnings")
    assert page.locator("table.warnings tbody tr").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "7-warnings.png"), full_page=True)
    page.goto(f"{server}/followup/supervision")
    form = page.locator("form[action^='/followup/supervision/']").first
    action = form.get_attribute("action") or ""
    form.locator("select[name=status]").select_option("in_progress")
    form.locator("input[name=comment]").fill("浏览器测试：已启动")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"**/followup/supervision#m-{action.rsplit('/', 1)[1]}")
    assert "浏览器测试：已启动" in page.content()
    page.screenshot(path=str(ARTIFACTS / "8-supervision.png"), full_page=True)
    page.click("header form.inline button")  # log out

    log_in("admin")
    r = page.request.post(f"{server}/api/thirdparty/rounds", data={
        "id": "r-browser", "as_of": "2024-12-31", "title": "浏览器测试轮次"},
        headers={"X-CSRF-Token": page.locator("input[name=csrf_token]").first.input_value()})
    assert r.status == 201, r.text()
    page.click("header form.inline button")
    log_in("evaluator")
    page.goto(f"{server}/followup/thirdparty/r-browser")
    page.select_option("select[name=item]", "rd_intensity")
    page.select_option("select[name=score]", "4")
    page.click("form[action$='/scores'] button[type=submit]")
    page.wait_for_selector("table.scores td:has-text('evaluator: 4')")
    page.screenshot(path=str(ARTIFACTS / "9-round.png"), full_page=True)
    page.goto(f"{server}/followup/midterm?year=2020&lang=en")
    assert page.locator("table.verdicts tbody tr").count() > 0
    page.screenshot(path=str(ARTIFACTS / "10-midterm-en.png"), full_page=True)
    assert errors == []
