"""The zh report opened in a real browser (Debian's chromium through Playwright). SYNTHETIC data.

Skips with the reason when /usr/bin/chromium or the playwright package is missing (CI turns
that skip into a failure, see conftest.py). Never runs ``playwright install``: it drives the
system chromium. The screenshot is left in ``test-artifacts/report-zh.png`` for a human to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mic2025.report.html import write_reports
from report_sample import sample_evaluation

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# For every chart: its drawn size, every <text> box that leaves the chart, and every pair of
# target labels that overlap (measured with the fonts the browser really used).
_CHART_CHECK = """
els => els.map(svg => {
  const r = svg.getBoundingClientRect();
  const vb = svg.viewBox.baseVal;
  const outside = [];
  for (const t of svg.querySelectorAll('text')) {
    const b = t.getBBox();
    if (b.x < -0.5 || b.y < -0.5 || b.x + b.width > vb.width + 0.5 ||
        b.y + b.height > vb.height + 0.5) outside.push(t.textContent);
  }
  const labels = [...svg.querySelectorAll('text[font-weight="bold"]')]
    .map(t => [t.textContent, t.getBBox()]);
  const overlaps = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) {
    const a = labels[i][1], b = labels[j][1];
    if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      overlaps.push([labels[i][0], labels[j][0]]);
  }
  return {width: r.width, height: r.height, outside, overlaps};
})
"""


def test_zh_report_in_chromium(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not at /usr/bin/chromium "
                    "(as root: apt-get install -y chromium fonts-noto-cjk)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    [path] = write_reports(sample_evaluation(), tmp_path, langs=("zh",))

    requests: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("console",
                    lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="load")
            charts: list[dict[str, Any]] = page.eval_on_selector_all("svg", _CHART_CHECK)
            overflow = page.evaluate(
                "() => { const w = document.querySelector('.table-wrap');"
                " return [document.documentElement.scrollWidth - window.innerWidth,"
                " w.scrollWidth - w.clientWidth]; }")
            title = page.title()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-zh.png"), full_page=True)
        finally:
            browser.close()

    assert requests, "the browser recorded no request at all"
    assert [u for u in requests if not u.startswith("file://")] == []
    assert console_errors == [] and page_errors == []
    assert "《中国制造2025》" in title
    assert len(charts) == 5
    for chart in charts:
        assert chart["width"] > 0 and chart["height"] > 0
        assert chart["outside"] == [], f"text clipped at the chart's edge: {chart['outside']}"
        assert chart["overlaps"] == [], f"target labels overlap: {chart['overlaps']}"
    assert overflow == [0, 0], "the page or the summary table scrolls sideways at 1366 px"
    assert (ARTIFACTS / "report-zh.png").stat().st_size > 10_000
