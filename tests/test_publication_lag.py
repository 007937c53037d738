"""Rules that hold at any date: each metric's publication lag, pending against data gap, and
the bundled figures known from their publication dates (issue 12, item 3)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.errors import PlanError
from mic2025.evaluate.engine import evaluate
from mic2025.evaluate.model import TargetResult
from mic2025.observation import Observation
from mic2025.periods import year as annual
from mic2025.plan import load_plan
from mic2025.store import Store
from store_fixtures import HEADER

# --------------------------------------------------------------------------- the plan


def test_every_metric_with_targets_declares_its_release() -> None:
    plan = load_plan()
    missing = [m.id for m in plan.metrics() if m.targets and m.release is None]
    assert missing == []
    rd = plan.metric("rd_intensity")
    assert rd.release is not None and "全国科技经费投入统计公报" in rd.release.publication.zh
    assert rd.due_date(2020) == date(2021, 9, 30)
    energy = plan.metric("energy_intensity_reduction")
    assert energy.release is not None and energy.release.publisher.zh == "国家统计局"
    assert energy.due_date(2020) == date(2021, 2, 28)
    # a metric without a regular release says so, and says how its due date was chosen
    index = plan.metric("quality_competitiveness_index")
    assert index.release is not None and index.release.frequency == "irregular"
    assert index.release.note is not None and index.release.note.en


def _regional(tmp_path: Path, release: str) -> Path:
    path = tmp_path / "region.yaml"
    path.write_text(
        "schema_version: 1\nid: region\nversion: '1'\nextends: mic2025\n"
        "title: {zh: 地区, en: Region}\narea: '440000'\n"
        "indicators:\n  - id: rd_intensity\n    release:\n" + release, encoding="utf-8")
    return path


def test_a_regional_plan_overrides_the_release(tmp_path: Path) -> None:
    plan = load_plan(_regional(tmp_path, "      due: {years_after: 1, month: 6, day: 30}\n"))
    rd = plan.metric("rd_intensity")
    assert rd.due_date(2020) == date(2021, 6, 30)
    assert rd.release is not None and "全国科技经费投入统计公报" in rd.release.publication.zh


def test_a_due_day_that_does_not_exist_names_file_line_and_field(tmp_path: Path) -> None:
    path = _regional(tmp_path, "      due: {years_after: 1, month: 2, day: 30}\n")
    with pytest.raises(PlanError) as err:
        load_plan(path)
    text = str(err.value) + " ".join(err.value.problems)
    assert "region.yaml:line" in text and "release.due.day" in text
    assert "month 2 has no day 30" in text


def test_an_irregular_release_needs_a_note(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as err:
        load_plan(_regional(tmp_path, "      frequency: irregular\n"))
    assert any("region.yaml:line" in p and "release.note" in p
               and "an irregular release needs a note" in p for p in err.value.problems)


# --------------------------------------------------------------------------- pending or gap


def _rd(year: int, value: float) -> Observation:
    return Observation(indicator="rd_intensity", area="000000", period=annual(year),
                       value=value, unit="%", source="test", scope="规模以上制造业")


RD_SERIES = [_rd(2016, 1.01), _rd(2017, 1.08), _rd(2018, 1.14), _rd(2019, 1.2)]


def _rd_2020(as_of: date) -> TargetResult:
    ev = evaluate(load_plan(), RD_SERIES,
                  as_of=datetime.combine(as_of, time.max, tzinfo=UTC))
    result = next(m for m in ev.results if m.metric == "rd_intensity")
    return next(t for t in result.targets if t.target_year == 2020)


@pytest.mark.parametrize("day", [date(2021, 9, 29), date(2021, 9, 30)])
def test_a_missing_figure_is_pending_up_to_its_due_date(day: date) -> None:
    target = _rd_2020(day)
    assert target.verdict == "pending"
    assert target.due_date == date(2021, 9, 30)
    assert not target.data_gap and target.missing_years == []
    assert [p.code for p in target.verdict_note_parts] == ["pending_latest", "due"]
    assert "due by 2021-09-30" in (target.verdict_note or "")


def test_a_missing_figure_is_a_data_gap_the_day_after_its_due_date() -> None:
    target = _rd_2020(date(2021, 10, 1))
    assert target.verdict == "not_assessable"
    assert target.data_gap and target.missing_years == [2020]
    assert target.due_date == date(2021, 9, 30)
    assert [p.code for p in target.verdict_note_parts] == ["data_gap"]
    assert target.verdict_note == ("not assessable — the figure for 2020, due by 2021-09-30, "
                                   "is not in the store")
    assert "data_gap" in target.assessment.notes
    # the method reads the comparable segment: since the 2019 break (营业收入) one figure,
    # too few to classify
    assert target.segment is not None and target.segment.read_from == 2019
    assert target.assessment.category == "insufficient_data"


def test_the_data_gap_note_reads_in_both_languages() -> None:
    from mic2025.report import fmt

    target = _rd_2020(date(2022, 1, 1))
    assert "2021-09-30" in (fmt.verdict_note(target, "zh") or "")
    assert "数据库中没有该数值" in (fmt.verdict_note(target, "zh") or "")
    assert "not in the store" in (fmt.verdict_note(target, "en") or "")


def test_a_published_figure_decides_whatever_the_date() -> None:
    ev = evaluate(load_plan(), [*RD_SERIES, _rd(2020, 1.3)],
                  as_of=datetime(2023, 1, 1, tzinfo=UTC))
    result = next(m for m in ev.results if m.metric == "rd_intensity")
    target = next(t for t in result.targets if t.target_year == 2020)
    assert target.verdict == "achieved" and not target.data_gap
    assert target.due_date == date(2021, 9, 30)


# --------------------------------------------------------------------------- as of a date


def _bundle(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in HEADER})
    return path


def _row(year: int, value: str, source_date: str) -> dict[str, str]:
    return {"indicator": "energy_intensity_reduction", "area": "000000", "year": str(year),
            "value": value, "unit": "decline%vs:2015", "scope": "规模以上工业",
            "source": f"https://example.org/{year}", "source_date": source_date}


def test_a_bundled_figure_is_known_from_its_publication_day(store: Store,
                                                             tmp_path: Path) -> None:
    from mic2025.ingest.load import load_bundled
    from mic2025.permissions import SYSTEM
    from mic2025.services.imports import import_file

    plan = load_plan()
    load_bundled(store, plan, _bundle(tmp_path / "bundle.csv", [
        _row(2020, "16", "2021-03-01"), _row(2021, "18", "")]))
    # a user's import is known from the moment it arrived, whatever date it cites
    imported = _bundle(tmp_path / "mine.csv", [_row(2019, "14", "2020-02-28")])
    import_file(store, SYSTEM, imported, plan)

    def years(day: date) -> list[int]:
        return sorted(o.year for o in store.observations(as_of=day))

    assert years(date(2021, 2, 28)) == []
    assert years(date(2021, 3, 1)) == [2020]
    assert years(date(2021, 12, 31)) == [2020]  # the undated 2021 row: only from its load
    assert years(date.today()) == [2019, 2020, 2021]
    known = {o.year: o.known_at for o in store.observations()}
    assert known[2020] == datetime(2021, 3, 1, tzinfo=UTC)
    assert known[2021] is None and known[2019] is None


def _invoke(*args: str) -> str:
    r = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def test_evaluate_as_of_shows_what_was_known_that_day(tmp_path: Path,
                                                     sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "cli.sqlite")  # as the first command leaves it
    ev = json.loads(_invoke("evaluate", "--db", db, "--as-of", "2021-12-31",
                            "--format", "json"))
    assert ev["evaluated_on"] == "2021-12-31"
    energy = {t["target_year"]: t for m in ev["results"] for t in m["targets"]
              if m["metric"] == "energy_intensity_reduction"}
    # the 2020 figure was published in early 2021; nothing of 2023 was known then
    assert energy[2020]["verdict"] == "missed" and energy[2020]["verdict_year"] == 2020
    years = {p["year"] for t in energy.values() for p in t["series"] if p["source"] != "plan"}
    assert 2020 in years and max(years) <= 2021
    assert energy[2025]["verdict"] == "open"
    points = [p for m in ev["results"] for t in m["targets"] for p in t["series"]
              if p["source"] != "plan"]
    assert points and all(p["source_date"] is None or p["source_date"] <= "2021-12-31"
                          for p in points)
    assert not any(p["year"] >= 2023 for p in points)
    later = json.loads(_invoke("evaluate", "--db", db, "--format", "json"))
    later_years = {p["year"] for m in later["results"] for t in m["targets"] for p in t["series"]}
    assert 2023 in later_years and 2022 in later_years
