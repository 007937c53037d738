"""What is missing and what the latest figures say, wherever it is shown: ``mic2025 gaps`` and
the reporting-status page, the overview's latest value and verdict columns, the counts by
verdict, and the early warning on a low probability of meeting a target (issue 12, item 3).

The core-components self-supply metric anchors the gap tests: no publication states it (its
release is declared irregular), so the bundled evidence has no figure for it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI

from mic2025.cli import main
from mic2025.errors import Mic2025Error
from mic2025.evaluate.engine import evaluate
from mic2025.evaluate.model import Evaluation
from mic2025.followup import warn
from mic2025.plan import load_plan
from mic2025.report.html import render_report
from mic2025.store import open_store
from store_fixtures import StoreTemplates
from test_web_support import app, client

__all__ = ["app"]  # the fixture, imported so that it applies here

ANCHOR = "core_components_self_supply"


def _gaps(db: str, *args: str) -> str:
    r = CliRunner().invoke(main, ["gaps", "--db", db, *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


@pytest.fixture
def db(tmp_path: Path, store_templates: StoreTemplates) -> Iterator[str]:
    """A store as the first command leaves it: a copy of the session's template."""
    with store_templates.copy("sqlite", tmp_path) as url:
        yield url


def test_gaps_lists_a_figure_from_the_day_after_its_due_date(db: str) -> None:
    before = json.loads(_gaps(db, "--as-of", "2021-12-31", "--format", "json"))
    row = next(r for r in before if r["metric"] == ANCHOR and r["target_year"] == 2020)
    assert row["status"] == "awaiting" and row["due_date"] == "2021-12-31"
    after = json.loads(_gaps(db, "--as-of", "2022-01-01", "--format", "json"))
    row = next(r for r in after if r["metric"] == ANCHOR and r["target_year"] == 2020)
    assert row["status"] == "gap" and row["missing_years"] == [2020]
    assert row["due_date"] == "2021-12-31" and row["days_overdue"] == 1
    assert row["publisher"]["zh"] == "工业和信息化部" and row["publication"]["zh"]
    assert row["frequency"] == "irregular"
    statuses = [r["status"] for r in after]  # the gaps first
    assert statuses == sorted(statuses, key=lambda s: s != "gap")


def test_gaps_agrees_with_the_evaluation(db: str) -> None:
    r = CliRunner().invoke(main, ["evaluate", "--db", db, "--as-of", "2023-06-30",
                                  "--format", "json"], catch_exceptions=False)
    ev = Evaluation.model_validate_json(r.output)
    expected = {(m.metric, t.target_year, t.due_date.isoformat())
                for m in ev.results for t in m.targets if t.data_gap and t.due_date}
    rows = json.loads(_gaps(db, "--as-of", "2023-06-30", "--format", "json"))
    assert expected and {(r["metric"], r["target_year"], r["due_date"]) for r in rows
                         if r["status"] == "gap"} == expected


def test_gaps_as_text_and_csv_in_both_languages(db: str) -> None:
    zh = _gaps(db, "--as-of", "2022-01-01")
    assert "数据缺口" in zh and "应于2021-12-31前公布" in zh and "工业和信息化部" in zh
    en = _gaps(db, "--as-of", "2022-01-01", "--lang", "en")
    assert "Data gaps" in en and "due by 2021-12-31" in en
    assert "Ministry of Industry and Information Technology" in en
    rows = list(csv.DictReader(io.StringIO(_gaps(db, "--as-of", "2022-01-01",
                                                 "--format", "csv"))))
    row = next(r for r in rows if r["metric"] == ANCHOR and r["target_year"] == "2020")
    assert row["status"] == "gap" and row["due_date"] == "2021-12-31"
    assert row["publisher_en"] == "Ministry of Industry and Information Technology"


def test_gaps_refuses_a_bad_as_of(db: str) -> None:
    r = CliRunner().invoke(main, ["gaps", "--db", db, "--as-of", "2022-13-01"])
    assert r.exit_code == 2 and "--as-of" in r.output


# --------------------------------------------------------------------------- the platform


def test_the_reporting_status_page_in_both_languages(app: FastAPI) -> None:
    c = client(app)
    zh = c.get("/reporting?lang=zh")
    assert zh.status_code == 200
    assert "数据公布情况" in zh.text and "数据缺口" in zh.text
    assert f'href="/indicators/{ANCHOR}"' in zh.text and "工业和信息化部" in zh.text
    en = c.get("/reporting?lang=en")
    assert "Reporting status" in en.text and "Data gaps" in en.text
    assert "Awaiting publication" in en.text
    assert "Ministry of Industry and Information Technology" in en.text
    # the navigation leads there from every page
    assert 'href="/reporting"' in c.get("/?lang=en").text


def _row(html: str, metric: str) -> str:
    start = html.index(f'href="/indicators/{metric}"', html.index('class="overview"'))
    return html[start:html.index("</tr>", start)]


def test_the_overview_shows_the_newest_figure_and_final_verdicts(app: FastAPI) -> None:
    ev = app.state.platform.evaluation()
    rd = next(m for m in ev.results if m.metric == "rd_intensity")
    newest = max(p.year for t in rd.targets for p in t.series if p.source != "plan")
    assert newest >= 2023  # the bundled evidence holds NBS's R&D intensity for 2023
    html = client(app).get("/?lang=en").text
    assert f'<span class="muted">({newest})</span>' in _row(html, "rd_intensity")
    # 2020 is over and judged: its column shows the verdict, never the method's status
    cells = _row(html, "energy_intensity_reduction").split("<td>")
    year_cells = [cell for cell in cells if 'class="chip' in cell]
    assert "verdict-missed" in year_cells[0] and "status-" not in year_cells[0]
    for m in ev.results:
        for t in m.targets:
            if t.verdict != "open":
                cell = _row(html, m.metric)
                assert f"verdict-{t.verdict}" in cell


_COUNT = re.compile(r'chip verdict-(\w+)">[^<]*</span> (\d+)')


#: a chip of the HTML report, which has a glyph inside
_REPORT_COUNT = re.compile(r'chip verdict-(\w+)"><span class="glyph"[^>]*>[^<]*</span>[^<]*</span> '
                           r'(\d+)')


def _counts(html: str, pattern: re.Pattern[str] = _COUNT) -> dict[str, int]:
    start = html.index('id="verdict-counts"')
    block = html[start:html.index("</p>", start)]
    return {code: int(n) for code, n in pattern.findall(block)}


def test_the_overview_opens_with_counts_by_verdict(app: FastAPI) -> None:
    ev = app.state.platform.evaluation()
    html = client(app).get("/?lang=zh").text
    counts = _counts(html)
    assert html.index('id="verdict-counts"') < html.index('class="overview"')
    assert set(counts) == {"achieved", "missed", "pending", "open", "not_assessable"}
    for code, n in counts.items():
        assert n == sum(1 for m in ev.results for t in m.targets if t.verdict == code)


def test_the_html_report_opens_with_counts_by_verdict(db: str) -> None:
    plan = load_plan()
    store = open_store(db)
    try:
        ev = evaluate(plan, store.observations(area=plan.area), as_of=None,
                      evaluated_on=date(2026, 12, 1))
    finally:
        store.close()
    for lang, label in (("zh", "各目标结论"), ("en", "Targets by verdict")):
        html = render_report(ev, lang)  # type: ignore[arg-type]
        assert label in html
        counts = _counts(html, _REPORT_COUNT)
        assert sum(counts.values()) == sum(len(m.targets) for m in ev.results)
        assert counts["missed"] >= 1


# --------------------------------------------------------------------------- early warning


def _bundled_evaluation(on: date, db: str) -> tuple[object, Evaluation, list[object]]:
    """The plan, its evaluation on ``on`` and the warnings it raises, over ``db`` (the
    fixture's store: the bundled evidence)."""
    plan = load_plan()
    store = open_store(db)
    try:
        obs = store.observations()
        ev = evaluate(plan, [o for o in obs if o.area == plan.area], evaluated_on=on)
        return plan, ev, list(warn.evaluate_rules(plan, store, evaluation=ev, observations=obs))
    finally:
        store.close()


@pytest.mark.parametrize("on", [date(2025, 6, 30), date(2026, 12, 1)])
def test_energy_intensity_raises_an_early_warning(on: date, db: str) -> None:
    plan, ev, raised = _bundled_evaluation(on, db)
    energy = next(t for m in ev.results if m.metric == "energy_intensity_reduction"
                  for t in m.targets if t.target_year == 2025)
    assert energy.projection is not None and energy.projection.probability is not None
    assert energy.projection.probability < 0.3
    key = "low_probability|energy_intensity_reduction|2025|000000"
    assert key in {w.key for w in raised}  # type: ignore[attr-defined]
    early = warn.early_warnings(plan, ev)  # type: ignore[arg-type]
    w = next(w for w in early if w.key == key)
    assert w.owner.zh == "工业和信息化部、国家发展改革委"
    assert "低于预警线30%" in w.message.zh and "below the warning line of 30%" in w.message.en
    # only targets not yet decided, each below the line
    assert all(w.kind == "low_probability" for w in early)
    decided = {(m.metric, t.target_year) for m in ev.results for t in m.targets
               if t.verdict in ("achieved", "missed")}
    assert not any((w.subject, int(w.period)) in decided for w in early)


def test_the_threshold_is_configurable(tmp_path: Path, db: str) -> None:
    plan, ev, _ = _bundled_evaluation(date(2025, 6, 30), db)
    path = tmp_path / "rules.yaml"
    path.write_text(
        "schema_version: 1\nrules:\n  - id: low\n    kind: low_probability\n"
        "    name: {zh: 低, en: Low}\n    owner: {zh: 部, en: Ministry}\n    threshold: 0.1\n",
        encoding="utf-8")
    assert warn.early_warnings(plan, ev, warn.load_rules(path)) == []  # type: ignore[arg-type]
    path.write_text(path.read_text(encoding="utf-8").replace("0.1", "1.5"), encoding="utf-8")
    with pytest.raises(Mic2025Error) as err:
        warn.load_rules(path)
    assert "rules.yaml" in str(err.value) and "threshold" in str(err.value)


def test_the_overview_shows_the_early_warning(app: FastAPI) -> None:
    ev = app.state.platform.evaluation()
    energy = next(t for m in ev.results if m.metric == "energy_intensity_reduction"
                  for t in m.targets if t.target_year == 2025)
    assert energy.projection is not None and energy.projection.probability is not None
    html = client(app).get("/?lang=en").text
    start = html.index('id="early-warnings"')
    block = html[start:html.index("</section>", start)]
    assert "href=\"/indicators/energy_intensity_reduction\"" in block
    assert f"probability {energy.projection.probability:.0%}" in block
