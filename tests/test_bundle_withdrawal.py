"""A new bundled release supersedes the earlier one (issue #12): what it drops is withdrawn.

Bundle A, then bundle B that drops one figure, re-keys another (its citation now names the
publication, so its key's ``source`` changes) and revises a third. Every test runs on SQLite
and, with MIC2025_TEST_PG_URL, on PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from mic2025 import periods
from mic2025.citation import Citation
from mic2025.cli import main
from mic2025.errors import StoreError
from mic2025.ingest import load_bundled
from mic2025.observation import Observation
from mic2025.permissions import SYSTEM
from mic2025.services.imports import import_file
from mic2025.store import ImportResult, Store, open_store
from store_fixtures import CITED_HEADER, StoreTemplates, small_plan, write_csv

PLAN = small_plan()
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 2, 5, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)

SPAM = "https://spam.example/copy.html"
COPY = "https://copy.example/rd.html"
NBS = Citation(publisher="测试统计局", publication="《测试公报（合成）》",
               retrieved_from=COPY, grade="other_copy")


def figure(year: int, value: float, citation: Citation, indicator: str = "rd_intensity",
           unit: str = "%") -> Observation:
    return Observation(indicator=indicator, area="000000", period=periods.year(year),
                       value=value, unit=unit, citation=citation)


def bundle_a() -> list[Observation]:
    return [
        figure(2017, 2.0, Citation(retrieved_from=SPAM)),                      # dropped by B
        figure(2018, 2.1, Citation(retrieved_from=SPAM,                        # dropped, dated
                                   publication_date=date(2019, 2, 28))),
        figure(2019, 2.2, Citation(retrieved_from=COPY)),                      # re-keyed by B
        figure(2019, 100, Citation(publication="NBS"), "patents", "count"),    # revised by B
        figure(2020, 120, Citation(publication="NBS"), "patents", "count"),    # kept as is
    ]


def bundle_b() -> list[Observation]:
    return [
        figure(2019, 2.2, NBS),
        figure(2019, 101, Citation(publication="NBS"), "patents", "count"),
        figure(2020, 120, Citation(publication="NBS"), "patents", "count"),
    ]


def load(store: Store, obs: list[Observation], sha: str, now: datetime) -> ImportResult:
    return store.import_observations(obs, source_name=f"bundle-{sha}.csv", sha256=sha * 64,
                                     kind="bundled", actor="mic2025", supersede=True, now=now)


def view(store: Store, as_of: date | datetime | None = None) -> set[tuple[object, ...]]:
    return {(o.indicator, o.period.code, o.source, o.value)
            for o in store.observations(as_of=as_of)}


A_VIEW = {("rd_intensity", "2017", SPAM, 2.0), ("rd_intensity", "2018", SPAM, 2.1),
          ("rd_intensity", "2019", COPY, 2.2), ("patents", "2019", "NBS", 100.0),
          ("patents", "2020", "NBS", 120.0)}
B_VIEW = {("rd_intensity", "2019", NBS.key(), 2.2), ("patents", "2019", "NBS", 101.0),
          ("patents", "2020", "NBS", 120.0)}


def test_a_new_release_withdraws_what_it_no_longer_carries(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    result = load(store, bundle_b(), "b", T2)
    assert view(store) == B_VIEW
    # the re-keyed copy, both spam figures: withdrawn, counted, said
    assert (result.rows_new, result.rows_revised, result.rows_unchanged,
            result.rows_withdrawn) == (1, 1, 1, 3)
    assert "3 withdrawn" in result.summary()
    (_, b) = store.vintages()
    assert (b.kind, b.rows_new, b.rows_revised, b.rows_unchanged, b.rows_withdrawn) == \
        ("bundled", 1, 1, 1, 3)
    assert store.export_rows() == [r for r in store.export_rows()
                                   if r["publication"] or r["publisher"]]


def test_as_of_before_the_new_release_shows_the_earlier_one(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    load(store, bundle_b(), "b", T2)
    assert view(store, T1) == A_VIEW
    # a dated figure counts from its publication day, but its withdrawal from the release
    # that withdrew it: the store did not know of the withdrawal before then
    assert ("rd_intensity", "2018", SPAM, 2.1) in view(store, date(2025, 12, 31))
    assert ("rd_intensity", "2018", SPAM, 2.1) not in view(store, T2)
    # history keeps the figure and records its withdrawal as a row of its own
    history = store.history(("rd_intensity", "000000", "", "2017", "", SPAM))
    assert [(o.value, o.withdrawn, o.vintage_at) for o in history] == \
        [(2.0, False, T0), (2.0, True, T2)]


def test_a_users_figure_under_a_dropped_key_is_untouched(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    mine = figure(2017, 2.05, Citation(retrieved_from=SPAM))  # same key as a dropped figure
    store.import_observations([mine], source_name="mine.csv", sha256=None, kind="import",
                              now=T1)
    estimate = figure(2018, 2.15, Citation(retrieved_from=SPAM))
    store.import_observations([estimate], source_name="estimate", sha256=None,
                              kind="estimate", now=T1)
    result = load(store, bundle_b(), "b", T2)
    assert result.rows_withdrawn == 1
    assert view(store) == B_VIEW | {("rd_intensity", "2017", SPAM, 2.05),
                                    ("rd_intensity", "2018", SPAM, 2.15)}


def test_loading_the_same_release_again_changes_nothing(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    load(store, bundle_b(), "b", T1)
    before = (store.counts(), store.vintages(), view(store))
    again = load(store, bundle_b(), "b", T2)
    assert again.already_imported
    assert (store.counts(), store.vintages(), view(store)) == before


def test_a_release_that_only_drops_figures_is_a_vintage(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    result = load(store, bundle_a()[1:], "c", T1)
    assert (result.rows_new, result.rows_revised, result.rows_withdrawn) == (0, 0, 1)
    assert not result.unchanged
    assert len(store.vintages()) == 2
    assert view(store) == A_VIEW - {("rd_intensity", "2017", SPAM, 2.0)}


def test_a_withdrawn_figure_carried_again_comes_back_as_new(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    load(store, bundle_b(), "b", T1)
    result = load(store, bundle_a(), "c", T2)  # a later release carries A's figures again
    assert (result.rows_new, result.rows_withdrawn) == (3, 1)
    # the patents figure of 2019 is revised back to A's value; B's re-keyed one is withdrawn
    assert view(store) == A_VIEW


def test_only_a_bundled_release_may_withdraw(store: Store) -> None:
    with pytest.raises(StoreError, match="bundled"):
        store.import_observations(bundle_a(), source_name="x.csv", sha256=None, kind="import",
                                  supersede=True, now=T0)


def test_an_ordinary_bundled_import_withdraws_nothing(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    result = store.import_observations(bundle_b(), source_name="extra.csv", sha256=None,
                                       kind="bundled", now=T1)
    assert result.rows_withdrawn == 0
    assert A_VIEW - view(store) == {("patents", "2019", "NBS", 100.0)}


def test_withdrawals_are_rows_the_database_keeps_append_only(store: Store) -> None:
    load(store, bundle_a(), "a", T0)
    load(store, bundle_b(), "b", T1)
    with store.engine.connect() as conn:
        withdrawn = conn.execute(text(
            "SELECT count(*) FROM observation WHERE withdrawn")).scalar()
    assert withdrawn == 3
    with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("UPDATE observation SET withdrawn = false"))


# ----------------------------------------------------------------- through load_bundled


ROWS_A = [
    {"indicator": "rd_intensity", "area": "000000", "year": 2017, "value": 2.0, "unit": "%",
     "retrieved_from": SPAM, "grade": "other_copy"},
    {"indicator": "rd_intensity", "area": "000000", "year": 2019, "value": 2.2, "unit": "%",
     "retrieved_from": COPY, "grade": "other_copy"},
    {"indicator": "patents", "area": "000000", "year": 2019, "value": 100, "unit": "count",
     "publication": "NBS"},
]
ROWS_B = [
    {**ROWS_A[1], "publisher": NBS.publisher, "publication": NBS.publication},
    {**ROWS_A[2], "value": 101},
]


def test_load_bundled_supersedes_the_earlier_release(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    path_a = write_csv(tmp_path / "a" / "national.csv", ROWS_A, header=CITED_HEADER)
    mine = write_csv(tmp_path / "mine.csv", [{**ROWS_A[0], "value": 2.05}],
                     header=CITED_HEADER)
    path_b = write_csv(tmp_path / "national.csv", ROWS_B, header=CITED_HEADER)
    first = load_bundled(store, PLAN, path=path_a)
    between = first.created_at
    assert between is not None
    # the user's figure under the key of the figure B drops
    assert import_file(store, SYSTEM, mine, PLAN).rows_revised == 1
    second = load_bundled(store, PLAN, path=path_b)
    assert (second.rows_new, second.rows_revised, second.rows_withdrawn) == (1, 1, 1)
    assert "1 withdrawn" in second.summary()
    assert view(store) == {("rd_intensity", "2017", SPAM, 2.05),
                           ("rd_intensity", "2019", NBS.key(), 2.2),
                           ("patents", "2019", "NBS", 101.0)}
    assert view(store, between) == {("rd_intensity", "2017", SPAM, 2.0),
                                    ("rd_intensity", "2019", COPY, 2.2),
                                    ("patents", "2019", "NBS", 100.0)}
    before = (store.counts(), store.vintages())
    assert load_bundled(store, PLAN, path=path_b).already_imported
    assert (store.counts(), store.vintages()) == before
    assert [v.rows_withdrawn for v in store.vintages()] == [0, 0, 1]


def test_data_vintages_shows_the_withdrawn_rows(store_url: str,
                                                store_templates: StoreTemplates) -> None:
    store_templates.migrate_into(store_url)
    with open_store(store_url) as s:
        load(s, bundle_a(), "a", T0)
        load(s, bundle_b(), "b", T1)
    # the command loads the shipped bundle as well, which supersedes B in its turn
    listing = CliRunner().invoke(main, ["data", "vintages", "--db", store_url],
                                 catch_exceptions=False).output
    vintages = [json.loads(line) for line in listing.splitlines()]
    assert [(v["source_name"], v["rows_withdrawn"]) for v in vintages[:2]] == \
        [("bundle-a.csv", 0), ("bundle-b.csv", 3)]
    assert vintages[2]["kind"] == "bundled" and vintages[2]["rows_withdrawn"] == 3


def test_a_withdrawal_is_no_arrival_of_a_figure(store: Store) -> None:
    from mic2025.store.summaries import arrivals

    load(store, bundle_a(), "a", T0)
    load(store, bundle_a()[1:], "c", T1)  # drops one R&D figure, carries the rest as they were
    assert arrivals(store.engine, "000000") == {"rd_intensity": T0, "patents": T0}


def test_the_changes_since_a_vintage_bring_its_latest_view_to_a_later_one(store: Store) -> None:
    """``Store.changes(after, until)`` put in place of their keys' rows turns the latest
    view at vintage ``after`` into the one at ``until``: revisions, new figures and
    withdrawals (what the early warnings keep up to date instead of reading every row)."""
    indicators = ("rd_intensity", "patents")
    first = load(store, bundle_a(), "a", T0)
    at_first = {o.key: o for o in store.observations(indicators=indicators)}
    load(store, bundle_b(), "b", T1)
    last = load(store, bundle_a(), "c", T2)
    changed = store.changes(first.vintage, last.vintage, indicators=indicators)
    assert any(o.withdrawn for o in changed) and any(not o.withdrawn for o in changed)
    view_now = dict(at_first)
    for o in changed:
        if o.withdrawn:
            view_now.pop(o.key, None)
        else:
            view_now[o.key] = o
    assert view_now == {o.key: o for o in store.observations(indicators=indicators)}
    # bounded by ``until``: the changes up to the middle vintage give the view there
    middle = first.vintage + 1
    assert {o.vintage for o in store.changes(first.vintage, middle,
                                              indicators=indicators)} == {middle}
    assert store.changes(last.vintage, last.vintage, indicators=indicators) == []
    assert store.changes(first.vintage, last.vintage, indicators=()) == []
