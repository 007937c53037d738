"""The reading pages at a phone's width (390 × 844) in Debian's Chromium, driven by Playwright:
no page scrolls sideways, indicator names are not squeezed to a few characters a line, and
the status columns (the targets' chips) stay on screen. Runs on SQLite and PostgreSQL.
Screenshots go to ``test-artifacts/web/mobile/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_web_browser import ARTIFACTS, browser, server
from test_web_support import PASSWORD

__all__ = ["browser", "server"]  # fixtures
pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: the pages a reader opens on a phone, with the selector of their indicator-name links
PAGES = {
    "overview": ("/", "table.overview td:first-child a"),
    "leader": ("/leader", "#leader-changes a, #leader-risks li"),
    "indicator": ("/indicators/rd_intensity", "h1"),
    "province": ("/provinces/440000", "table.overview td:first-child a"),
    "provinces": ("/provinces", "#province-list td:first-child a"),
}

_LAYOUT = """(sel) => {
  const doc = document.documentElement;
  const lines = [...document.querySelectorAll(sel)].map(el => {
    const text = el.textContent.trim();
    const boxes = new Set([...el.getClientRects()].map(r => Math.round(r.top)));
    return {text, lines: Math.max(boxes.size, 1)};
  });
  const chips = [...document.querySelectorAll(
      'table.overview td .chip, #leader-verdicts .chip, #province-list .state')].map(el => {
    const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width,
            shown: getComputedStyle(el).visibility !== 'hidden' && r.width > 0};
  });
  return {scroll: doc.scrollWidth, inner: window.innerWidth, lines, chips};
}"""


def test_the_reading_pages_fit_a_phone(server: str, browser: object,
                                       request: pytest.FixtureRequest) -> None:
    backend = request.node.callspec.params.get("server", "sqlite")
    folder = ARTIFACTS / "mobile" / ("" if backend == "sqlite" else backend)
    folder.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE)  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/login")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server}/")
    for name, (path, names) in PAGES.items():
        page.goto(f"{server}{path}")
        page.wait_for_load_state("load")
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
        got = page.evaluate(_LAYOUT, names)
        assert got["scroll"] <= got["inner"], f"{path} scrolls sideways: {got['scroll']}px"
        assert got["lines"], f"{path}: no {names}"
        for item in got["lines"]:
            # a name wrapped to two or three characters a line is unreadable
            per_line = len(item["text"]) / item["lines"]
            assert per_line >= 6 or item["lines"] == 1, (path, item)
        if name in ("overview", "province", "leader", "provinces"):
            assert got["chips"], f"{path}: no status shown"
            for chip in got["chips"]:
                assert chip["shown"] and chip["left"] >= 0 and chip["right"] <= got["inner"], \
                    (path, chip)
    assert errors == []
