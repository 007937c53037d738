"""Provincial figures are put on the metric's own measure before maps and rankings."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from fastapi import FastAPI

from mic2025 import periods
from mic2025.evaluate.provinces import province_measures
from mic2025.observation import Observation
from mic2025.plan import load_plan
from test_web_support import add_users, app, bearer, client, csv_bytes, tokens, upload

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here

ENERGY = "energy_intensity_reduction"


def obs(area: str, year: int, value: float, unit: str, **kw: Any) -> Observation:
    return Observation(indicator=kw.pop("indicator", ENERGY), area=area,
                       period=periods.year(year), value=value, unit=unit,
                       source="省统计局", **kw)


def test_declines_become_the_index_and_a_lone_yearly_decline_is_left_out() -> None:
    plan = load_plan()
    got = province_measures(plan.metric(ENERGY), [
        obs("440000", 2020, 38, "decline%vs:2015"),
        obs("320000", 2020, 20, "decline%vs:2015"),
        obs("320000", 2021, 5, "decline%yoy"),  # chained on 2020: 80 × 0.95
        obs("110000", 2021, 8.1, "decline%yoy"),  # nothing to chain it to
    ], plan_base_year=plan.base_year)
    assert got is not None and (got.measure, got.unit) == ("index", "index")
    values = {v.area: (v.year, round(v.value, 6)) for v in got.values}
    assert values == {"440000": (2020, 62.0), "320000": (2021, 76.0)}
    gd = next(v for v in got.values if v.area == "440000")
    assert (gd.raw_value, gd.raw_unit) == (38, "decline%vs:2015") and gd.derivation
    (lone,) = got.left_out
    assert (lone.area, lone.year, lone.value, lone.unit) == ("110000", 2021, 8.1, "decline%yoy")
    assert lone.reason.code == "chain_missing"


def test_a_level_metric_leaves_out_change_figures_and_refused_scopes() -> None:
    plan = load_plan()
    rd = plan.metric("rd_intensity")
    got = province_measures(rd, [
        obs("440000", 2022, 2.1, "%", indicator="rd_intensity", scope="规模以上制造业"),
        obs("440000", 2023, 0.2, "pp_vs:2015", indicator="rd_intensity"),
        obs("510000", 2023, 3.0, "%", indicator="rd_intensity", scope="高技术制造业"),
    ], plan_base_year=plan.base_year)
    assert got is not None and got.unit == "%"
    assert [(v.area, v.value) for v in got.values] == [("440000", 2.1)]
    reasons = {(lo.area, lo.reason.code) for lo in got.left_out}
    assert reasons == {("440000", "change_not_level"), ("510000", "scope_not_accepted")}


_MAP = re.compile(r"id=\"province-(map|bar)\" data-option='([^']*)'")


def _options(page: str) -> dict[str, Any]:
    return {kind: json.loads(html.unescape(raw)) for kind, raw in _MAP.findall(page)}


def _submit(c: Any, editor: str, approver: str, area: str, rows: list[dict[str, Any]]) -> None:
    sid = upload(c, editor, area=area, year=2021, data=csv_bytes(rows)).json()["id"]
    assert c.post(f"/api/submissions/{sid}/submit", headers=bearer(editor)).status_code == 200
    approved = c.post(f"/api/submissions/{sid}/approve", headers=bearer(approver),
                      json={"comment": "ok"})
    assert approved.json()["status"] == "approved", approved.text


def test_the_map_and_ranking_draw_converted_figures_only(app: FastAPI,
                                                         tokens: dict[str, str]) -> None:
    more = add_users(app, {"bj-approver": "prov_approver:110000"})
    c = client(app)
    _submit(c, tokens["gd-editor"], tokens["gd-approver"], "440000", [
        {"indicator": ENERGY, "area": "440000", "year": 2021, "value": 38,
         "unit": "decline%vs:2015", "source": "广东省统计局"}])
    _submit(c, tokens["bj-editor"], more["bj-approver"], "110000", [
        {"indicator": ENERGY, "area": "110000", "year": 2021, "value": 8.1,
         "unit": "decline%yoy", "source": "北京市统计局"}])
    page = c.get(f"/indicators/{ENERGY}", params={"lang": "zh"}).text
    options = _options(page)
    data = options["map"]["series"][0]["data"]
    assert data == [{"name": "广东", "value": 62.0}]  # 38% below 2015, on the 2015 = 100 axis
    assert options["bar"]["series"][0]["data"] == [62.0]
    assert options["map"]["title"]["subtext"] == "指数"
    # the figure that cannot be converted is named, not drawn
    note = page[page.index('id="provinces-left-out"'):]
    assert "北京市" in note and "8.1" in note and "2020" in note
    en = c.get(f"/indicators/{ENERGY}", params={"lang": "en"}).text
    assert "cannot be put on this metric" in en and "Beijing" in en


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_an_indicator_without_provincial_figures_says_so(app: FastAPI, lang: str) -> None:
    page = client(app).get(f"/indicators/{ENERGY}", params={"lang": lang}).text
    assert 'id="province-map"' not in page and 'id="provinces-left-out"' not in page


def test_the_indicator_page_says_a_verdict_rests_on_a_lower_bound(app: FastAPI) -> None:
    # all industry above designated size is a declared lower bound of manufacturing's R&D
    # intensity: a SYNTHETIC 1.75% for 2025 (manufacturing's own 2025 figure not in the store)
    # already meets the 1.68% target, so the 2025 verdict rests on the bound
    store = app.state.platform.store
    store.import_observations([obs("000000", 2025, 1.75, "%", indicator="rd_intensity_industry",
                                   scope="规模以上工业", flags=frozenset({"proxy"}))],
                              source_name="SYNTHETIC bound test", sha256=None)
    zh = client(app).get("/indicators/rd_intensity", params={"lang": "zh"}).text
    row = zh[zh.index("<td>2025</td>"):][:2000]
    assert "chip verdict-achieved" in row and "依据下限" in row
    en = client(app).get("/indicators/rd_intensity", params={"lang": "en"}).text
    assert "on a lower bound" in en
