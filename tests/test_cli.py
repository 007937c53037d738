"""The command line, driven in-process through click against real SQLite stores."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import hostile_files as hostile
from mic2025.cli import main
from mic2025.evaluate.model import AssessOutput, Evaluation
from mic2025.plan import load_plan
from store_fixtures import StoreTemplates

REPO = Path(__file__).resolve().parents[1]
HEADER = "indicator,area,year,period,value,unit,scope,sector,flags,source,source_date,quote,note"


@pytest.fixture
def db(tmp_path: Path, store_templates: StoreTemplates) -> Iterator[str]:
    """A store as the first command leaves it (migrated, the bundled evidence loaded): a copy
    of the session's template. ``test_evaluate_json_covers_every_target_and_validates``
    starts from no store at all."""
    with store_templates.copy("sqlite", tmp_path) as url:
        yield url


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def n_targets() -> int:
    return sum(len(m.targets) for m in load_plan().metrics())


# --------------------------------------------------------------------------- plan


def test_plan_show_json_is_the_plan() -> None:
    r = invoke("plan", "show", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert [i["id"] for i in data["indicators"]] == [i.id for i in load_plan().indicators]
    assert len(data["projects"]) == 5


def test_plan_show_table_names_every_indicator_in_both_languages() -> None:
    plan = load_plan()
    for lang in ("zh", "en"):
        r = invoke("plan", "show", "--lang", lang)
        assert r.exit_code == 0, r.output
        flat = r.output.replace("\n", "").replace(" ", "").replace("│", "")
        for ind in plan.indicators:
            assert ind.id in flat


def test_plan_validate_reports_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (REPO / "src/mic2025/plans/mic2025.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("base_year: 2015\n", "base_year: twenty-fifteen\n", 1),
                   encoding="utf-8")
    r = CliRunner().invoke(main, ["plan", "validate", str(bad)])
    assert r.exit_code == 2
    assert str(bad) in r.output and "base_year" in r.output and "line" in r.output
    ok = invoke("plan", "validate", str(REPO / "src/mic2025/plans/mic2025.yaml"))
    assert ok.exit_code == 0 and "valid" in ok.output


# --------------------------------------------------------------------------- evaluate


def test_evaluate_json_covers_every_target_and_validates(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'new.sqlite'}"  # made (and filled) by the command
    r = invoke("evaluate", "--db", db, "--format", "json", "--on", "2026-11-26")
    assert r.exit_code == 0, r.output
    ev = Evaluation.model_validate_json(r.output)
    assert ev.method == "statcan"
    assert sum(len(m.targets) for m in ev.results) == n_targets()
    # the bundled evidence was loaded on the way: some targets have data and a verdict
    verdicts = {t.verdict for m in ev.results for t in m.targets}
    assert {"achieved", "missed"} <= verdicts


def test_evaluate_csv_has_one_row_per_target_and_the_documented_columns(db: str) -> None:
    r = invoke("evaluate", "--db", db, "--format", "csv")
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert len(rows) == n_targets()
    for col in ("metric", "target_year", "base_value", "latest_value", "progress", "category",
                "status", "verdict", "projected", "probability"):
        assert col in rows[0]


@pytest.mark.parametrize("method", ["statcan", "unsd2022", "unsd2023", "escap"])
def test_every_method_runs_and_says_its_name(db: str, method: str) -> None:
    r = invoke("evaluate", "--db", db, "--format", "json", "--method", method)
    ev = Evaluation.model_validate_json(r.output)
    assert {t.assessment.method for m in ev.results for t in m.targets} == {method}


def test_unknown_method_and_area_are_clear_errors(db: str) -> None:
    r = CliRunner().invoke(main, ["evaluate", "--db", db, "--method", "magic"])
    assert r.exit_code == 2 and "magic" in r.output
    r = CliRunner().invoke(main, ["evaluate", "--db", db, "--area", "999999"])
    assert r.exit_code == 2 and "999999" in r.output


def test_as_of_reproduces_what_was_known(tmp_path: Path, db: str) -> None:
    # the bundled evidence arrives today; before it the store knew nothing
    before = Evaluation.model_validate_json(
        invoke("evaluate", "--db", db, "--format", "json", "--as-of", "2000-01-01").output)
    assert all(not t.series or all(p.source == "plan" for p in t.series)
               for m in before.results for t in m.targets)
    # a revision of one figure: as of the instant before it, the old value is used
    f = tmp_path / "rev.csv"
    f.write_text(HEADER + "\nquality_competitiveness_index,000000,2024,,85.9,index,制造业,,,"
                 "https://example.org/revision (SYNTHETIC test row),2026-01-01,,\n",
                 encoding="utf-8")
    first = invoke("import", str(f), "--db", db)
    assert first.exit_code == 0, first.output
    listing = invoke("data", "vintages", "--db", db).output
    vintages = [json.loads(line) for line in listing.splitlines()]
    assert len(vintages) == 2
    cut = vintages[0]["created_at"].replace(" ", "T")

    def latest_2024(args: list[str]) -> set[float]:
        ev = Evaluation.model_validate_json(invoke("evaluate", "--db", db, "--format", "json",
                                                   *args).output)
        m = next(x for x in ev.results if x.metric == "quality_competitiveness_index")
        return {p.value for t in m.targets for p in [*t.series, *t.alternatives] if p.year == 2024}

    assert 85.9 in latest_2024([])
    assert 85.9 not in latest_2024(["--as-of", cut])


def test_as_of_refuses_a_timestamp_without_zone(db: str) -> None:
    r = CliRunner().invoke(main, ["evaluate", "--db", db, "--as-of", "2024-06-30T12:00:00"])
    assert r.exit_code == 2 and "time zone" in r.output


# --------------------------------------------------------------------------- import / export


def test_import_reimport_and_export(tmp_path: Path, db: str) -> None:
    f = tmp_path / "good.csv"
    f.write_text(HEADER + "\nrd_intensity,440000,2022,,１.９８％,%,规模以上制造业,,estimate,"
                 "Synthetic example source,2023-01-01,,SYNTHETIC test row\n", encoding="utf-8")
    r = invoke("import", str(f), "--db", db)
    assert r.exit_code == 0 and "vintage" in r.output
    again = invoke("import", str(f), "--db", db)
    assert again.exit_code == 0 and "nothing changed" in again.output
    out = json.loads(invoke("data", "export", "--db", db, "--format", "json").output)
    row = next(x for x in out if x["area"] == "440000")
    assert row["value"] == 1.98 and row["flags"] == "estimate"
    rows = list(csv.DictReader(io.StringIO(invoke("data", "export", "--db", db).output)))
    assert [r["value"] for r in rows if r["area"] == "440000"] == ["1.98"]


def test_rejected_import_lists_every_problem_stores_nothing_and_writes_them(
        tmp_path: Path, db: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(HEADER + "\n"
                 "rd_intensity,440000,2022,,130,%,,,,src,,,\n"        # rate out of range
                 "no_such_indicator,000000,2022,,1,%,,,,src,,,\n"    # unknown indicator
                 "green_factories,999999,2022,,-5,count,,,,src,,,\n",  # bad area, negative count
                 encoding="utf-8")
    before = invoke("data", "export", "--db", db, "--format", "json").output
    problems = tmp_path / "problems.csv"
    r = CliRunner().invoke(main, ["import", str(f), "--db", db, "--problems", str(problems)])
    assert r.exit_code == 3
    assert "row 2" in r.output and "row 3" in r.output and "row 4" in r.output
    rows = list(csv.DictReader(problems.open(encoding="utf-8")))
    assert {x["row"] for x in rows} == {"2", "3", "4"} and len(rows) >= 4
    assert invoke("data", "export", "--db", db, "--format", "json").output == before


def test_check_validates_without_storing(tmp_path: Path, db: str) -> None:
    f = tmp_path / "good.csv"
    f.write_text(HEADER + "\nrd_intensity,440000,2022,,1.5,%,,,,Synthetic source,,,\n",
                 encoding="utf-8")
    r = invoke("import", str(f), "--db", db, "--check")
    assert r.exit_code == 0 and "nothing stored" in r.output
    assert ",440000," not in invoke("data", "export", "--db", db).output


# the files are made when a test runs, not when the tests are collected (in every worker)
@pytest.mark.parametrize("name,make,message", [
    ("bad.csv", lambda: hostile.bad_rows_csv(3000), "… and 14,800 more problems not listed"),
    ("long-line.csv", lambda: hostile.long_first_line_csv(200), "longer than 131,072 characters"),
    ("wide.csv", lambda: hostile.wide_header_csv(1_000_000), "at most 1,000 columns"),
    ("bomb.xlsx", lambda: hostile.workbook(30 * 1024 * 1024, level=9), "likely zip bomb"),
    ("liar.xlsx", lambda: hostile.understate_size(hostile.workbook(8 * 1024 * 1024),
                                                  "xl/sharedStrings.xml", 4096), "damaged"),
    ("tiny.csv", lambda: (hostile.LONG_HEADER + "\nrd_intensity,440000,2022,1e-400,%,src\n"
                          ).encode(), "too small to store"),
    ("huge.csv", lambda: (hostile.LONG_HEADER + "\nrd_intensity,440000,2022,1e400,%,src\n"
                          ).encode(), "too large to store"),
], ids=["bad-rows", "long-first-line", "million-columns", "zip-bomb", "understated-size",
        "underflow", "overflow"])
def test_hostile_files_are_rejected_with_exit_3_and_a_message(
        tmp_path: Path, db: str, name: str, make: Callable[[], bytes], message: str) -> None:
    f = tmp_path / name
    f.write_bytes(make())
    problems = tmp_path / "problems.csv"
    before = invoke("data", "export", "--db", db, "--format", "json").output
    for extra in (["--check"], ["--db", db]):
        r = invoke("import", str(f), *extra, "--problems", str(problems))
        assert r.exit_code == 3, r.output
        assert message in r.output and "Traceback" not in r.output
        assert "nothing was stored" in r.output
        rows = list(csv.reader(problems.open(encoding="utf-8")))
        assert 2 <= len(rows) <= 1 + 1000 + 1
    assert invoke("data", "export", "--db", db, "--format", "json").output == before


@pytest.mark.slow
def test_200000_bad_rows_are_rejected_in_bounded_memory(tmp_path: Path) -> None:
    f = tmp_path / "bad.csv"
    f.write_bytes(hostile.bad_rows_csv(200_000))  # 1.6 MB, five problems a row
    problems = tmp_path / "problems.csv"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    # The peak is read from the command's own /proc/self/status (VmHWM) as it exits: the
    # rusage of a child includes the high-water mark of the forked test process before exec.
    report_peak = ("import atexit, sys; atexit.register(lambda: sys.stderr.write(next("
                   "line for line in open('/proc/self/status') if line.startswith('VmHWM'))))"
                   "; from mic2025.cli import main; main()")
    proc = subprocess.run([sys.executable, "-c", report_peak, "import", str(f), "--check",
                           "--problems", str(problems)],
                          env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    stderr = proc.stderr.decode()
    assert proc.returncode == 3, stderr
    assert "1,000,000 problem(s)" in stderr
    assert "… and 999,800 more problems not listed" in stderr
    rows = list(csv.reader(problems.open(encoding="utf-8")))
    assert len(rows) == 1 + 1000 + 1 and "999,000 more problems" in rows[-1][-1]
    # the whole process, interpreter and libraries included (about 80 MiB before reading):
    # about 190 MiB; with every problem kept it was 390 MiB
    peak_kib = int(stderr.rsplit("VmHWM:", 1)[1].split()[0])
    assert peak_kib < 300 * 1024, f"peak {peak_kib / 1024:.0f} MiB"


# --------------------------------------------------------------------------- assess


def test_assess_json_carries_method_category_figures_and_projection() -> None:
    r = invoke("assess", "--direction", "increase", "--base", "2015=0.95", "--target",
               "2025=1.68", "--obs", "2018=1.34", "--obs", "2023=1.71", "--format", "json",
               "--on", "2024-06-30")
    out = AssessOutput.model_validate_json(r.output)
    assert out.method == "statcan" and out.category == "target_achieved"
    assert out.ratio is not None and out.projected is not None and out.progress is not None
    raw = json.loads(r.output)
    assert {"method", "category", "ratio", "progress", "projected", "projection"} <= set(raw)


def test_assess_decrease_and_growth_kinds() -> None:
    r = invoke("assess", "--direction", "decrease", "--base", "2015=100", "--target", "2025=66",
               "--obs", "2020=84", "--obs", "2022=78.288", "--format", "json", "--on",
               "2024-01-01")
    out = AssessOutput.model_validate_json(r.output)
    assert out.category == "acceleration_needed"
    assert out.ratio == pytest.approx(0.844314, abs=5e-6)
    g = invoke("assess", "--direction", "increase", "--kind", "growth", "--base", "2015=0",
               "--target", "2020=7.5", "--tolerance", "0.5", "--obs", "2016=7", "--obs",
               "2017=7", "--format", "json", "--method", "unsd2022")
    assert AssessOutput.model_validate_json(g.output).method == "unsd2022"


def test_assess_bad_pair_is_a_usage_error() -> None:
    r = CliRunner().invoke(main, ["assess", "--direction", "increase", "--base", "2015:0.95",
                                  "--target", "2025=1.68"])
    assert r.exit_code == 2 and "YEAR=VALUE" in r.output


def test_the_default_method_is_the_registrys_and_methods_marks_it(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # a registry with another default: no command may keep a method name of its own
    from mic2025.evaluate import methods

    monkeypatch.setattr(methods, "DEFAULT_METHOD", "escap")
    r = invoke("assess", "--direction", "increase", "--base", "2015=0.95", "--target",
               "2025=1.68", "--obs", "2018=1.34", "--format", "json")
    assert AssessOutput.model_validate_json(r.output).method == "escap"
    ev = Evaluation.model_validate_json(invoke("evaluate", "--db", db, "--format",
                                               "json").output)
    assert ev.method == "escap"
    proposals = json.loads(invoke("adjust", "propose", "--db", db, "--format", "json", "--on",
                                  "2025-06-30").output)
    assert proposals["method"] == "escap"
    listing = invoke("methods").output.splitlines()
    assert [line for line in listing if "(default)" in line] == [
        next(line for line in listing if line.startswith("escap"))]
    assert "mic2025 methods" in invoke("evaluate", "--help").output


# --------------------------------------------------------------------------- report / run


def test_report_and_run_write_both_languages(tmp_path: Path, db: str) -> None:
    out = tmp_path / "rep"
    r = invoke("report", "--db", db, "--out", str(out), "--lang", "en")
    assert r.exit_code == 0
    assert [p.name for p in out.iterdir()] == ["report-en.html"]
    r = invoke("run", "--db", db, "--out", str(tmp_path / "run"))
    assert r.exit_code == 0
    for lang in ("zh", "en"):
        page = (tmp_path / "run" / f"report-{lang}.html").read_text(encoding="utf-8")
        assert "<svg" in page and "http" in page
    assert "宽带普及率" in r.output and "report-zh.html" in r.output


# --------------------------------------------------------------------------- schemas and docs


@pytest.mark.parametrize("name", ["evaluation", "assessment", "plan"])
def test_documented_json_schemas_are_current(name: str) -> None:
    r = invoke("schema", name)
    live = json.loads(r.output)
    doc = REPO / "docs" / "schemas" / f"{name}.schema.json"
    assert doc.exists(), f"{doc} missing: run `mic2025 schema {name} > {doc}`"
    assert json.loads(doc.read_text(encoding="utf-8")) == live, (
        f"{doc} is out of date: run `mic2025 schema {name} > {doc}`")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        out.append((full, cmd))
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full + " "))
    return out


def test_every_command_and_option_is_documented() -> None:
    # the user guide, or the guide of the subsystem a command group belongs to
    guide = "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").glob("*.md")))
    missing = []
    for name, cmd in [("", main), *_commands(main)]:  # the main command's own options too
        if name and f"mic2025 {name}" not in guide:
            missing.append(f"command `mic2025 {name}`")
        for param in cmd.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    if opt.startswith("--") and opt not in guide and opt != "--help":
                        missing.append(f"option {opt} of `mic2025 {name}`")
    assert not missing, "undocumented in docs/*.md:\n" + "\n".join(missing)
