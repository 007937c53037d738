"""The test harness's shared app (``shared_app``): one ASGI app per worker and settings, a new
platform in it for every test. What one test wrote or computed must never reach the next."""

from __future__ import annotations

from pathlib import Path

from mic2025.permissions import SYSTEM
from mic2025.services.imports import import_rows
from store_fixtures import StoreTemplates, row
from test_web_support import client, shared_app


def test_a_new_platform_in_the_shared_app_sees_nothing_of_the_one_before(
        tmp_path: Path, store_templates: StoreTemplates) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with store_templates.copy("sqlite", first) as url:
        app = shared_app(url, first / "followup")
        before = app.state.platform
        try:
            import_rows(before.store, SYSTEM,
                        [row(area="440000", year=2024, value=9.87, source="first test")],
                        before.plan, source_name="first.csv")
            c = client(app)
            assert c.get("/api/evaluations").status_code == 200
            seen = c.get("/api/observations", params={"indicator": "rd_intensity",
                                                      "area": "440000"}).json()
            assert 9.87 in [o["value"] for o in seen]
            assert before.computed["evaluation"] == 1
        finally:
            before.close()
    with store_templates.copy("sqlite", second) as url:
        again = shared_app(url, second / "followup")
        after = again.state.platform
        try:
            assert again is app  # the same app (routes, templates) ...
            assert after is not before and after.plan is before.plan
            # ... but the data, the caches and the follow-up service are the second test's
            assert after.latest_vintage() == before.latest_vintage() - 1
            assert not after.computed and after.followup.raised() == []
            assert after.followup.folder == second / "followup"
            seen = client(again).get("/api/observations", params={
                "indicator": "rd_intensity", "area": "440000"}).json()
            assert 9.87 not in [o["value"] for o in seen]
        finally:
            after.close()


def test_other_settings_get_an_app_of_their_own(
        tmp_path: Path, store_templates: StoreTemplates) -> None:
    with store_templates.copy("sqlite", tmp_path) as url:
        one = shared_app(url, tmp_path / "a")
        try:
            two = shared_app(url, tmp_path / "b", approval_levels=2)
            try:
                assert two is not one
                assert one.state.settings.approval_levels == 1
                assert two.state.settings.approval_levels == 2
            finally:
                two.state.platform.close()
        finally:
            one.state.platform.close()
