"""``mic2025 index`` through click's CliRunner, on COINr's ASEM files (skipped without them)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.composite import indices

ASEM = Path(__file__).resolve().parents[2] / "shared" / "data" / "asem"
needs_asem = pytest.mark.skipif(not ASEM.is_dir(), reason=f"COINr golden files not at {ASEM}")
COINR = ["--idata", str(ASEM / "ASEM_iData.csv"), "--imeta", str(ASEM / "ASEM_iMeta.csv")]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["index", *args])
    return result.exit_code, result.stdout, result.stderr


def golden(name: str) -> dict[str, dict[str, str]]:
    with open(ASEM / name, newline="", encoding="utf-8") as fh:
        return {r["uCode"]: r for r in csv.DictReader(fh)}


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@needs_asem
@pytest.mark.parametrize(
    ("options", "golden_file"),
    [([], "v1_minmax_amean_results.csv"),
     (["--normalise", "minmax", "--range", "1,100", "--aggregate", "gmean"],
      "v2_minmax1_gmean_results.csv"),
     (["--normalise", "zscore"], "v3_zscore_amean_results.csv"),
     (["--range", "1,100", "--aggregate", "hmean"], "v4_minmax1_hmean_results.csv")],
)
def test_build_matches_coinr_variants(options: list[str], golden_file: str) -> None:
    code, out, _ = run("build", *COINR, *options)
    assert code == 0
    rows = parse(out)
    want = golden(golden_file)
    assert len(rows) == 51 and {r["uCode"] for r in rows} == set(want)
    header = list(rows[0])
    assert header[:3] == ["uCode", "uName", "LPI"] and header[-2:] == ["Index", "Rank"]
    for r in rows:
        for col in ("Conn", "Sust", "Index"):
            assert abs(float(r[col]) - float(want[r["uCode"]][col])) <= 1e-9
        assert float(r["Rank"]) == float(want[r["uCode"]]["Rank"])
    assert [float(r["Rank"]) for r in rows] == sorted(float(r["Rank"]) for r in rows)


@needs_asem
def test_build_json_and_out_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, out, _ = run("build", *COINR, "--format", "json", "--out", str(target))
    assert code == 0 and out == ""
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["synthetic"] is False and len(doc["rows"]) == 51
    assert doc["columns"][-1] == "Rank" and doc["pipeline"][-1]["method"] == "amean"
    missing = [r for r in doc["rows"] if r["Poverty"] is None]
    assert missing  # NA stays null in JSON (raw ASEM lacks some Poverty values)


def test_build_definition_with_idata(tmp_path: Path) -> None:
    fw = indices.load("quality_competitiveness")
    rng = np.random.default_rng(1)
    path = tmp_path / "qci.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["uCode", "uName", *fw.indicators])
        for k in range(6):
            w.writerow([f"P{k}", f"Province {k}", *rng.uniform(50, 100, 12).round(2)])
    code, out, _ = run("build", "quality_competitiveness", "--idata", str(path))
    assert code == 0
    rows = parse(out)
    assert len(rows) == 6 and "QCI" in rows[0] and "synthetic" not in rows[0]


def test_structure_only_definition_without_data_fails_cleanly() -> None:
    code, _, err = run("build", "manufacturing_power")
    assert code == 2 and "structure-only" in err


def test_usage_errors() -> None:
    code, _, err = run("build")
    assert code == 2 and "--idata and --imeta" in err
    code, _, err = run("build", "no-such-index.yaml")
    assert code == 2 and "not a bundled definition" in err


@needs_asem
def test_bad_range_is_refused() -> None:
    code, _, err = run("build", *COINR, "--range", "1;100")
    assert code == 2 and "LO,HI" in err
    code, _, err = run("build", *COINR, "--normalise", "rank", "--range", "0,1")
    assert code == 2 and "does not apply" in err


@needs_asem
def test_audit_table_and_json() -> None:
    code, out, _ = run("audit", *COINR)
    assert code == 0
    assert "Cronbach's alpha" in out and "PCA per group" in out and "Flights" in out
    code, out, _ = run("audit", *COINR, "--format", "json")
    doc = json.loads(out)
    assert len(doc["statistics"]) == 49
    assert {a["group"] for a in doc["cronbach_alpha"]} >= {"Physical", "Conn", "Index"}
    assert all(-1 <= c["r"] <= 1 for c in doc["correlation_with_parent"] if c["r"] is not None)


@needs_asem
def test_sensitivity_json_is_seeded() -> None:
    args = ["sensitivity", *COINR, "-n", "60", "--sa-n", "20", "--boot", "20", "--seed", "3",
            "--no-progress", "--format", "json"]
    code, out, _ = run(*args)
    assert code == 0
    doc = json.loads(out)
    assert doc["inputs"] == ["Normalisation", "Weights", "Aggregation"]
    assert doc["sobol"]["runs"] == 20 * 5 and len(doc["sobol"]["indices"]) == 3
    ranks = golden("v1_minmax_amean_results.csv")
    for r in doc["rank_stats"]:
        assert r["Nominal"] == float(ranks[r["uCode"]]["Rank"])
        assert r["Q5"] <= r["Median"] <= r["Q95"]
    assert json.loads(run(*args)[1]) == doc


@needs_asem
def test_sensitivity_table_shows_progress_on_stderr_only() -> None:
    code, out, err = run("sensitivity", *COINR, "-n", "30", "--sa-n", "10", "--boot", "10",
                         "--winmax", "1,3,5")
    assert code == 0
    assert "Winmax" in out and "Sobol indices" in out and "replications" in err
    assert "━" not in out


def test_demo_is_labelled_synthetic_everywhere(tmp_path: Path) -> None:
    code, out, err = run("demo", "--enterprises", "3000")
    assert code == 0 and "SYNTHETIC" in err
    rows = parse(out)
    assert len(rows) == 31 and all(r["synthetic"] == "true" for r in rows)
    code, out, _ = run("demo", "--enterprises", "3000", "--format", "json")
    doc = json.loads(out)
    assert doc["synthetic"] is True and "SYNTHETIC" in doc["label"]
    assert doc["index"].startswith("SYNTHETIC")
    code, out, _ = run("audit", "demo")
    assert code == 0 and out.startswith("SYNTHETIC")
