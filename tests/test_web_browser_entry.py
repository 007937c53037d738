"""The entry form in Debian's Chromium, driven by Playwright, against a live server.

A provincial editor opens the form from the submissions page, types a value the plan
cannot hold and one it can, saves the draft, reads the problem under its cell in Chinese
with the indicator's name, comes back to the form to find the draft resumed, fixes it and
saves again. SQLite and PostgreSQL (the ``postgres`` parameter), as the other browser tests.
Screenshots go to ``test-artifacts/web/`` (``…/postgres/`` for PostgreSQL).
"""

from __future__ import annotations

import pytest

from test_web_browser import _artifacts, browser, server  # noqa: F401  (fixtures)
from test_web_support import PASSWORD

pytestmark = pytest.mark.browser


def test_the_editor_fills_the_form_and_saves_a_draft(
        server: str, browser: object, request: pytest.FixtureRequest) -> None:  # noqa: F811
    artifacts = _artifacts(request)
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "gd-editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server}/")

    page.goto(f"{server}/submissions")
    page.select_option("#entry-link select[name=area]", "440000")
    page.fill("#entry-link input[name=year]", "2024")
    page.click("#entry-link button[type=submit]")
    page.wait_for_selector("#entry-form")
    assert "数字化研发设计工具普及率" in page.locator("table.entry").inner_text()

    page.fill("input[name='digital_design_tools.2024.value']", "120")
    page.fill("input[name='digital_design_tools.2024.publication']", "广东省两化融合发展报告")
    page.fill("input[name='rd_intensity.2024.value']", "2.61")
    page.fill("input[name='rd_intensity.2024.publisher']", "广东省统计局")
    page.fill("input[name='rd_intensity.2024.publication']", "广东统计年鉴2025")
    page.click("#entry-save")
    page.wait_for_selector("#entry-saved")
    problem = page.locator("#row-digital_design_tools-2024 .cell-error")
    assert problem.inner_text() == "数字化研发设计工具普及率：120% 超出可能范围（0–100）"
    assert page.locator("#row-rd_intensity-2024 .cell-error").count() == 0
    page.screenshot(path=str(artifacts / "entry-1-draft-with-problem.png"), full_page=True)

    # the draft is there when the editor comes back; fixed, it saves clean
    page.goto(f"{server}/submissions/entry?area=440000&year=2024")
    assert page.input_value("input[name='digital_design_tools.2024.value']") == "120"
    assert page.input_value("input[name='rd_intensity.2024.publisher']") == "广东省统计局"
    page.fill("input[name='digital_design_tools.2024.value']", "71.2")
    page.click("#entry-save")
    page.wait_for_selector("#entry-saved")
    assert page.locator(".cell-error").count() == 0
    assert page.locator("#entry-problems").count() == 0
    page.screenshot(path=str(artifacts / "entry-2-draft-saved.png"), full_page=True)
    assert errors == []
