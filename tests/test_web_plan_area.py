"""The platform follows its plan: a regional plan's platform shows that region, not the nation.

Every test runs twice per backend: with the bundled national plan and with the regional
example plan (Guangdong, 440000), through the real app (``plan_app`` in test_web_support).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from importlib import resources

from fastapi import FastAPI

from mic2025.evaluate.methods import DEFAULT_METHOD
from mic2025.ingest.load import BUNDLED, parse_bytes
from mic2025.plan import load_plan
from test_web_support import (
    PLAN_CASES,
    PlanCase,
    add_users,
    bearer,
    client,
    csrf_of,
    log_in,
    plan_app,
    plan_case,
)

__all__ = ["plan_app", "plan_case"]  # fixtures, imported so they apply here

_AREA_LINK = re.compile(r"area=(\d{6})")
#: distinct figures of rd_intensity for 2024: one in the plan's area, one in another
OWN, OTHER = 9.87, 8.76


def _import(app: FastAPI, area: str, value: float, at: datetime) -> None:
    p = app.state.platform
    scope = p.plan.metric("rd_intensity").scopes[0]  # the headline series' scope
    data = (f"indicator,area,year,value,unit,scope,source\nrd_intensity,{area},2024,{value},%,"
            f"{scope},https://example.org/plan-area\n").encode()
    p.store.import_observations(parse_bytes(data, "area.csv", p.plan, suffix=".csv"),
                                source_name=f"figure for {area}", sha256=None, kind="import",
                                actor="test", now=at)


def _other_area(case: PlanCase) -> str:
    return next(c.area for c in PLAN_CASES.values() if c.area != case.area)


def _section(html: str, start: str) -> str:
    """The HTML from ``start`` to the end of the table it opens."""
    at = html.index(start)
    return html[at:html.index("</table>", at)]


def test_the_session_template_store_serves_every_plan() -> None:
    # plan_app copies a store loaded under the national plan: valid only while the bundled
    # evidence reads the same under each plan the tests start the platform with
    data = resources.files("mic2025").joinpath(*BUNDLED).read_bytes()
    read = [parse_bytes(data, "bundle.csv", load_plan(c.plan_file), suffix=".csv")
            for c in PLAN_CASES.values()]
    assert read[0] and all(r == read[0] for r in read)


def test_the_plan_is_the_one_named(plan_app: FastAPI, plan_case: PlanCase) -> None:
    assert plan_app.state.platform.plan.area == plan_case.area


def test_overview_shows_the_plans_area_and_links_its_downloads(
        plan_app: FastAPI, plan_case: PlanCase) -> None:
    c = client(plan_app)
    zh = c.get("/", params={"lang": "zh"}).text
    assert plan_case.overview_zh in zh and plan_case.name_zh in zh
    # every download and JSON link of the overview is of the plan's area
    assert set(_AREA_LINK.findall(zh)) == {plan_case.area}
    assert f'href="/api/observations?area={plan_case.area}&amp;format=csv"' in zh
    assert f'href="/api/evaluations?area={plan_case.area}"' in zh
    en = c.get("/", params={"lang": "en"}).text
    assert plan_case.overview_en in en and plan_case.name_en in en
    # the "updated" column belongs to the plan's own area
    assert "<th>Updated</th>" in en
    # the menu of every page names the plan's area
    assert plan_case.overview_en in c.get("/provinces").text


def test_api_evaluation_defaults_to_the_plans_area_and_the_registry_method(
        plan_app: FastAPI, plan_case: PlanCase) -> None:
    c = client(plan_app)
    ev = c.get("/api/evaluations").json()
    assert ev["area"] == plan_case.area and ev["method"] == DEFAULT_METHOD
    assert ev["area_name"] == {"zh": plan_case.name_zh, "en": plan_case.name_en}
    assert c.get("/api/evaluations", params={"area": ""}).json()["area"] == plan_case.area
    other = _other_area(plan_case)
    assert c.get("/api/evaluations", params={"area": other}).json()["area"] == other
    assert c.get("/api/evaluations", params={"method": "escap"}).json()["area"] == \
        plan_case.area


def test_indicator_page_and_overview_judge_the_plans_area(
        plan_app: FastAPI, plan_case: PlanCase) -> None:
    # the other area's figure arrives later: the overview's "updated" is the plan's area's
    _import(plan_app, plan_case.area, OWN, datetime(2030, 1, 2, tzinfo=UTC))
    _import(plan_app, _other_area(plan_case), OTHER, datetime(2031, 3, 4, tzinfo=UTC))
    c = client(plan_app)
    page = c.get("/indicators/rd_intensity", params={"lang": "en"}).text
    assert plan_case.overview_en in page and plan_case.name_en in page
    sources = _section(page, '<table class="sources">')
    assert f"{OWN}%" in sources and f"{OTHER}%" not in sources
    overview = _section(c.get("/", params={"lang": "en"}).text, '<table class="overview">')
    # the row's trend line carries the plan's area's figure (its "latest" is the first target's)
    assert f"[2024.0, {OWN}]" in overview and str(OTHER) not in overview
    row = overview[overview.index('href="/indicators/rd_intensity"'):]
    row = row[:row.index("</tr>")]
    assert "2 January 2030" in row and "2031" not in row


def test_reviews_default_to_the_plans_area(plan_app: FastAPI, plan_case: PlanCase) -> None:
    tokens = add_users(plan_app, {"evaluator": "evaluator"})
    c = client(plan_app)
    made = c.post("/api/reviews", headers=bearer(tokens["evaluator"]),
                  json={"metric": "rd_intensity", "text": "by the API"})
    assert made.status_code == 201 and made.json()["area"] == plan_case.area
    log_in(c, "evaluator")
    token = csrf_of(c.get("/indicators/rd_intensity").text)
    form = c.post("/indicators/rd_intensity/reviews",
                  data={"text": "by the form", "csrf_token": token})
    assert form.status_code == 303
    listed = c.get("/api/reviews", headers=bearer(tokens["evaluator"])).json()
    assert {(r["text"], r["area"]) for r in listed} == {("by the API", plan_case.area),
                                                        ("by the form", plan_case.area)}


def _entry_options(html: str) -> list[str]:
    form = html[html.index('id="entry-link"'):html.index("</form>", html.index('id="entry-link"'))]
    return re.findall(r'<option value="(\d{6})"', form)


def test_the_entry_form_offers_the_plans_own_area_and_its_sub_areas(
        plan_app: FastAPI, plan_case: PlanCase) -> None:
    from mic2025 import reference

    plan = plan_app.state.platform.plan
    editor = f"area-editor-{plan.area}"
    add_users(plan_app, {"admin": "admin", editor: f"prov_editor:{plan.area}",
                         "other-editor": f"prov_editor:{'110000'}"})
    admin = client(plan_app)
    log_in(admin, "admin")
    offered = _entry_options(admin.get("/submissions").text)
    # the plan's own area first (from the plan, whatever its code), then the areas below it
    # that the region table holds: the provinces under the national plan, none under a
    # province's (the table stops at provinces)
    assert offered[0] == plan.area == plan_case.area
    below = sorted(c.code for c in reference.areas().values()
                   if c.level == "province" and c.code[:2] not in ("71", "81", "82"))
    assert offered[1:] == (below if plan.area == reference.NATIONAL else [])
    # the plan's area has its own form, asking the plan's indicators, for its editor
    c = client(plan_app)
    log_in(c, editor)
    page = c.get("/submissions/entry", params={"area": plan.area, "year": 2024})
    assert page.status_code == 200, page.text
    assert f"{plan_case.name_zh}" in page.text
    for ind in plan.indicators:
        assert f'name="{ind.id}.2024.value"' in page.text
    fields = {"rd_intensity.2024.value": "2.7", "rd_intensity.2024.unit": "%",
              "rd_intensity.2024.publisher": "统计局",
              "rd_intensity.2024.publication": "统计公报2025"}
    saved = c.post("/submissions/entry", data={"csrf_token": csrf_of(page.text),
                                               "area": plan.area, "year": "2024",
                                               "action": "submit", **fields})
    assert saved.status_code == 303, saved.text
    sid = int(saved.headers["location"].rsplit("/", 1)[1])
    s = c.get(f"/api/submissions/{sid}").json()
    assert (s["area"], s["status"], s["rows"], s["problem_count"]) == (
        plan.area, "submitted", 1, 0)
    # an area outside the plan has no form here, whoever asks
    outside = "000000" if plan.area != reference.NATIONAL else None
    if outside is not None:
        refused = admin.get("/submissions/entry", params={"area": outside, "year": 2024,
                                                          "lang": "zh"})
        assert refused.status_code == 409 and "全国" in refused.text
        assert "000000" not in refused.text.split("<main", 1)[-1]
    # a province's editor may not enter the plan's area, nor its editor another province
    other = client(plan_app)
    log_in(other, "other-editor")
    assert other.get("/submissions/entry", params={"area": plan.area, "year": 2024}
                     ).status_code in (403, 409)
