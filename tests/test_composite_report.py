"""The composite index HTML report: self-contained, escaped, bilingual; and in Chromium.

The browser test is marked ``browser`` (it skips, with the reason, when /usr/bin/chromium or
playwright is missing; CI turns that into a failure). It never runs ``playwright install``.
Screenshots go to ``test-artifacts/composite-report-*.png`` for a human to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.composite import demo, report
from mic2025.composite import uncertainty as ua
from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import AGGREGATE, INDICATOR, Element, Framework
from mic2025.composite.pipeline import run_pipeline
from mic2025.composite.table import Table

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")


def small(name: str = "Tiny <b>index</b>") -> Framework:
    rng = np.random.default_rng(0)
    els = [Element(f"x{j}", f"ind {j} & <i>", 1, INDICATOR, f"P{j % 2}",
                   direction=-1 if j == 3 else 1) for j in range(6)]
    els += [Element("P0", "Pillar <zero>", 2, AGGREGATE, "Index"),
            Element("P1", "Pillar one", 2, AGGREGATE, "Index"),
            Element("Index", "Index", 3, AGGREGATE, None)]
    units = tuple(f"U{i}" for i in range(8))
    data = Table(units, tuple(f"x{j}" for j in range(6)), rng.uniform(1, 9, (8, 6)))
    names = ("<script>alert(1)</script>", *units[1:])
    return Framework(name, tuple(els), data, names,
                     pipeline=()).with_pipeline([
                         {"step": "normalise", "method": "minmax", "l": 0, "u": 100},
                         {"step": "aggregate", "method": "amean"}])


INPUTS = [ua.normaliser_choice([{"method": "minmax", "l": 1, "u": 100},
                                {"method": "rank"}]),
          ua.WeightNoise("Weights", (1, 2), 0.25, 20), ua.aggregator_choice(("amean", "gmean"))]


def test_report_is_self_contained_and_escaped() -> None:
    fw = small()
    build = run_pipeline(fw)
    res = ua.run_uncertainty(fw, INPUTS, 100, 1)
    sa = ua.run_sensitivity(fw, INPUTS, 50, 1, 50)
    html = report.render_report(build, res, sa, "en")
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "Tiny &lt;b&gt;index&lt;/b&gt;" in html and "Pillar &lt;zero&gt;" in html
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html))
    assert urls <= {"http://www.w3.org/2000/svg"}
    assert html.count("<svg") == 5
    assert "stylesheet" not in html and "@import" not in html and "src=" not in html


def test_report_sections_without_analyses_and_plain_bars_for_gmean() -> None:
    fw = small("t").with_pipeline([{"step": "normalise", "method": "minmax", "l": 1, "u": 100},
                                    {"step": "aggregate", "method": "gmean"}])
    html = report.render_report(run_pipeline(fw), lang="en")
    assert html.count("Not run.") == 2 and "does not decompose additively" in html


def test_demo_report_in_chinese_is_labelled_synthetic(tmp_path: Path) -> None:
    fw = demo.provincial_demo(n_enterprises=20_000)
    path = report.write_report(tmp_path / "r.html", run_pipeline(fw), lang="zh")
    html = path.read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and "合成演示数据" in html and "[SYNTHETIC]" in html
    assert "指标体系" in html and "绿色发展" in html


def test_report_command(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = CliRunner().invoke(main, ["index", "report", "demo", "--out", str(out), "-n", "50",
                                       "--sa-n", "20", "--no-progress", "--lang", "zh"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").count("<svg") == 5


_CHECK = """
els => els.map(svg => {
  const vb = svg.viewBox.baseVal;
  const outside = [];
  for (const t of svg.querySelectorAll('text:not([transform])')) {
    const b = t.getBBox();
    if (b.x < -0.5 || b.y < -0.5 || b.x + b.width > vb.width + 0.5 ||
        b.y + b.height > vb.height + 0.5) outside.push(t.textContent);
  }
  return {label: svg.getAttribute('aria-label'), outside};
})
"""


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_report_in_chromium(tmp_path: Path, lang: str) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not at /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    fw = demo.provincial_demo(n_enterprises=20_000)
    build = run_pipeline(fw)
    inputs = [ua.normaliser_choice([{"method": "minmax", "l": 1, "u": 100},
                                    {"method": "rank"}]),
              ua.WeightNoise("Weights", (1, 2), 0.25, 50), ua.aggregator_choice(("amean",
                                                                                 "gmean"))]
    path = report.write_report(tmp_path / "r.html", build, ua.run_uncertainty(fw, inputs, 200),
                               ua.run_sensitivity(fw, inputs, 100, 0, 100), lang)
    requests: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        charts = page.eval_on_selector_all("svg", _CHECK)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"composite-report-{lang}.png"), full_page=True)
        browser.close()
    assert [u for u in requests if not u.startswith("file://")] == []
    assert errors == []
    assert len(charts) == 5
    for chart in charts:
        assert chart["outside"] == [], chart


def test_a_report_in_an_unknown_language_is_refused() -> None:
    fw = demo.provincial_demo(use_microdata=False)
    with pytest.raises(CompositeError, match=r"lang must be one of \['en', 'zh'\].*'fr'"):
        report.render_report(run_pipeline(fw), lang="fr")
