"""``mic2025 microdata``: generate, validate, estimate — driven through the real CLI."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.microdata.backends import BACKENDS, DuckDBBackend
from mic2025.store import open_store
from microdata_support import one_province


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "gen"
    result = CliRunner().invoke(main, ["microdata", "generate", "--out", str(out),
                                       "--enterprises", "2500", "--years", "2015-2017",
                                       "--sample", "400", "--seed", "4"])
    assert result.exit_code == 0, result.output
    return out


def test_generate_writes_labelled_files(generated: Path) -> None:
    pop = pq.read_table(generated / "population.parquet")
    sample = pq.read_table(generated / "sample.parquet")
    assert pop.num_rows == 2500 * 3
    assert pop.schema.metadata[b"mic2025.synthetic"] == b"true"
    assert sample.schema.metadata[b"mic2025.synthetic"] == b"true"
    assert "responding" in sample.column_names
    assert pq.ParquetFile(generated / "population.parquet").num_row_groups == 3  # per year


def test_generate_output_says_synthetic(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["microdata", "generate", "--out", str(tmp_path),
                                       "--enterprises", "50", "--years", "2020",
                                       "--sample", "0"])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC" in result.stdout and "SYNTHETIC DATA" in result.stderr
    bad = CliRunner().invoke(main, ["microdata", "generate", "--out", str(tmp_path),
                                    "--years", "20x5"])
    assert bad.exit_code == 2 and "--years" in bad.output


def test_validate_accepts_a_good_file(generated: Path) -> None:
    result = CliRunner().invoke(main, ["microdata", "validate",
                                       str(generated / "sample.parquet")])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.stdout


def _bad_uscc(generated: Path, tmp_path: Path) -> Path:
    table = pq.read_table(generated / "sample.parquet")
    ids = table.column("enterprise_id").cast(pa.string()).to_pylist()
    ids[4] = ids[4][:17] + ("0" if ids[4][17] != "0" else "1")  # wrong check character
    table = table.set_column(0, "enterprise_id", pa.array(ids))
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    return path


def test_invalid_uscc_is_rejected_naming_row_and_field(generated: Path, tmp_path: Path) -> None:
    path = _bad_uscc(generated, tmp_path)
    for command in (["validate"], ["estimate", "--replicates", "5"]):
        result = CliRunner().invoke(main, ["microdata", *command, str(path)])
        assert result.exit_code == 3, result.output
        assert "row 5" in result.stderr and "'enterprise_id'" in result.stderr
        assert "GB 32100" in result.stderr


def test_corrupt_parquet_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.parquet"
    path.write_bytes(b"PAR1 this is not a parquet file at all")
    for command in (["validate"], ["estimate"], ["replicates"], ["sample", "--out",
                                                                  str(tmp_path / "out")]):
        result = CliRunner().invoke(main, ["microdata", *command, str(path)])
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("error: cannot read "), result.stderr
        # DuckDB's message names the file; Arrow's does not, and the command names it
        assert "corrupt.parquet" in result.stderr, (command, result.stderr)
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_estimate_json_with_intervals_and_nonresponse(generated: Path) -> None:
    result = CliRunner().invoke(main, ["microdata", "estimate", str(generated / "sample.parquet"),
                                       "--replicates", "20", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["synthetic"] is True and "SYNTHETIC" in doc["note"]
    assert doc["weighted"] is True and doc["replicates"] == 20 and doc["by"] == ["year"]
    assert "non-response" in doc["estimator"]
    cells = doc["estimates"]
    assert {c["year"] for c in cells} == {2015, 2016, 2017}
    rd = next(c for c in cells if c["indicator"] == "rd_intensity" and c["year"] == 2016)
    assert rd["ci_low"] < rd["estimate"] < rd["ci_high"] and rd["replicates"] == 20
    assert not rd["suppressed"]
    assert "cells" in result.stderr and "SYNTHETIC DATA" in result.stderr


def test_estimate_census_table_and_parquet(generated: Path, tmp_path: Path) -> None:
    pop = str(generated / "population.parquet")
    table = CliRunner().invoke(main, ["microdata", "estimate", pop, "--by", "size"])
    assert table.exit_code == 0, table.output
    assert "SYNTHETIC DATA — estimates" in table.stdout and "size_class" in table.stdout
    out = tmp_path / "est.parquet"
    result = CliRunner().invoke(main, ["microdata", "estimate", pop, "--census", "--by",
                                       "province,division", "--format", "parquet",
                                       "--out", str(out), "--min-units", "5"])
    assert result.exit_code == 0, result.output
    cells = pq.read_table(out)
    assert cells.schema.metadata[b"mic2025.synthetic"] == b"true"
    assert cells.column_names[:3] == ["year", "province", "division"]
    rows = cells.to_pylist()
    assert all(r["se"] is None for r in rows)
    small = [r for r in rows if r["n_units"] < 5]
    assert small and all(r["suppressed"] and r["estimate"] is None for r in small)
    usage = CliRunner().invoke(main, ["microdata", "estimate", pop, "--format", "parquet"])
    assert usage.exit_code == 2 and "--out" in usage.output
    by = CliRunner().invoke(main, ["microdata", "estimate", pop, "--by", "county"])
    assert by.exit_code == 2 and "cannot group by 'county'" in by.output


def test_estimate_store_imports_one_vintage(generated: Path, tmp_path: Path,
                                            sqlite_copy: Callable[..., str]) -> None:
    url = sqlite_copy(tmp_path / "store.sqlite", evidence=False)  # the command loads no bundle
    args = ["microdata", "estimate", str(generated / "sample.parquet"), "--by", "province",
            "--replicates", "10", "--store", "--db", url, "--format", "json",
            "--out", str(tmp_path / "e.json")]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "stored as vintage" in first.stderr and "not stored" in first.stderr
    with open_store(url) as store:
        obs = store.observations(indicators="energy_intensity_reduction")
        assert obs and all(o.unit == "index" and "synthetic" in o.flags for o in obs)
        assert {o.value for o in obs if o.year == 2015} == {100.0}
        assert store.vintages()[-1].kind == "estimate"
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "already imported" in again.stderr
    refused = CliRunner().invoke(main, [*args[:5], "--by", "size", "--store", "--db", url])
    assert refused.exit_code == 2 and "size_class" in refused.stderr


@pytest.mark.spark
def test_estimate_on_spark_equals_duckdb(generated: Path) -> None:
    if not BACKENDS["spark"].available():
        pytest.skip("PySpark is not installed")
    path = str(generated / "population.parquet")
    runs = [CliRunner().invoke(main, ["microdata", "estimate", path, "--engine", engine,
                                      "--by", "division", "--format", "json"])
            for engine in ("duckdb", "spark")]
    assert all(r.exit_code == 0 for r in runs), [r.output for r in runs]
    duck, spark = (json.loads(r.stdout)["estimates"] for r in runs)
    assert len(duck) == len(spark)
    for a, b in zip(duck, spark, strict=True):
        assert (a["year"], a["division"], a["indicator"], a["rule"]) == \
            (b["year"], b["division"], b["indicator"], b["rule"])
        if a["estimate"] is None:  # suppressed alike on both engines
            assert b["estimate"] is None
        else:
            assert b["estimate"] == pytest.approx(a["estimate"], rel=1e-9)


def test_estimate_runs_the_engine_the_registry_makes(generated: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``--engine`` lists the registry's engines and estimates through the one it makes."""
    calls: list[str] = []

    class Recording(DuckDBBackend):
        def compute(self, *args: Any, **kwargs: Any) -> pa.Table:
            calls.append("compute")
            return super().compute(*args, **kwargs)

        def bootstrap(self, *args: Any, **kwargs: Any) -> pa.Table:
            calls.append("bootstrap")
            return super().bootstrap(*args, **kwargs)

    option = next(p for p in main.commands["microdata"].commands["estimate"].params
                  if p.name == "engine")
    assert list(option.type.choices) == list(BACKENDS) and option.default == "duckdb"
    sample = str(generated / "sample.parquet")
    plain = CliRunner().invoke(main, ["microdata", "estimate", sample, "--replicates", "5",
                                      "--format", "json"])
    monkeypatch.setitem(BACKENDS, "duckdb", Recording)
    recorded = CliRunner().invoke(main, ["microdata", "estimate", sample, "--replicates", "5",
                                         "--format", "json"])
    census = CliRunner().invoke(main, ["microdata", "estimate",
                                       str(generated / "population.parquet"), "--format",
                                       "json"])
    assert [r.exit_code for r in (plain, recorded, census)] == [0, 0, 0], recorded.output
    assert calls == ["bootstrap", "compute"]
    assert json.loads(recorded.stdout) == json.loads(plain.stdout)


def test_estimate_on_an_engine_not_installed_says_how(generated: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as on a machine without PySpark
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    result = CliRunner().invoke(main, ["microdata", "estimate",
                                       str(generated / "sample.parquet"), "--engine", "spark"])
    assert result.exit_code == 2
    assert "pip install 'mic2025[spark]'" in result.stderr


def test_estimate_reports_strata_with_one_respondent(generated: Path) -> None:
    from mic2025.microdata.design import read_design, replicates_path

    design = read_design(replicates_path(generated / "sample.parquet"))
    assert design.singletons > 0  # the synthetic sample has some after non-response
    result = CliRunner().invoke(main, ["microdata", "estimate",
                                       str(generated / "sample.parquet"), "--by", "province",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (f"{design.singletons} strata with one respondent, {design.collapsed} collapsed"
            in doc["estimator"])
    assert f"strata with one respondent: {design.singletons}" in result.stderr
    cells = doc["estimates"]
    assert sum(c["collapsed"] for c in cells) > 0
    assert all({"df", "strata", "collapsed", "singletons", "interval"} <= set(c) for c in cells)


def test_estimate_says_why_each_cell_passed_or_not(generated: Path) -> None:
    result = CliRunner().invoke(main, ["microdata", "estimate",
                                       str(generated / "sample.parquet"), "--by", "province",
                                       "--format", "json", "--dominance", "1,60",
                                       "--p-percent", "20"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert "top 1 above 60% of a total, p% rule with p = 20%" in doc["suppression"]
    cells = doc["estimates"]
    for cell in cells:
        if cell["suppressed"]:
            assert cell["rule"] and cell["estimate"] is None
        else:
            assert cell["rule"] is None and cell["reason"].startswith("published: n=")
            assert ("CV" in cell["reason"] and "top 1" in cell["reason"]) or \
                cell["indicator"] in ("digital_design_tools", "key_process_nc_rate")
    rules = {r for c in cells if c["rule"] for r in c["rule"].split(",")}
    assert {"min_units", "dominance"} <= rules, rules
    bad = CliRunner().invoke(main, ["microdata", "estimate", str(generated / "sample.parquet"),
                                    "--dominance", "2"])
    assert bad.exit_code == 2 and "--dominance" in bad.output


def test_sample_redraws_from_a_population(generated: Path, tmp_path: Path) -> None:
    population = str(generated / "population.parquet")
    again = CliRunner().invoke(main, ["microdata", "sample", population, "--seed", "4",
                                      "--sample", "400", "--out", str(tmp_path / "s4")])
    assert again.exit_code == 0, again.output
    assert "SYNTHETIC" in again.stdout and "SYNTHETIC DATA" in again.stderr
    # the seed generate used gives generate's own sample and replicate weights
    mine = pq.read_table(tmp_path / "s4" / "sample.parquet")
    theirs = pq.read_table(generated / "sample.parquet")
    assert mine.equals(theirs)
    from mic2025.microdata.design import read_design

    a = read_design(tmp_path / "s4" / "sample_replicates.parquet")
    b = read_design(generated / "sample_replicates.parquet")
    assert a.fingerprint == b.fingerprint and (a.r == b.r).all()
    other = CliRunner().invoke(main, ["microdata", "sample", population, "--seed", "9",
                                      "--sample", "300", "--replicates", "20",
                                      "--out", str(tmp_path / "s9")])
    assert other.exit_code == 0, other.output
    drawn = pq.read_table(tmp_path / "s9" / "sample.parquet")
    assert drawn.schema.metadata[b"mic2025.synthetic"] == b"true"
    assert "responding" in drawn.column_names
    assert set(drawn.column("enterprise_id").to_pylist()) != \
        set(theirs.column("enterprise_id").to_pylist())
    estimated = CliRunner().invoke(main, ["microdata", "estimate",
                                          str(tmp_path / "s9" / "sample.parquet"),
                                          "--format", "json"])
    assert estimated.exit_code == 0, estimated.output
    assert json.loads(estimated.stdout)["replicates"] == 20
    # a sample is not a population
    refused = CliRunner().invoke(main, ["microdata", "sample", str(generated / "sample.parquet"),
                                        "--out", str(tmp_path / "x")])
    assert refused.exit_code == 2 and "not a population" in refused.output


def test_sample_records_its_certainty_design(generated: Path, tmp_path: Path) -> None:
    population = str(generated / "population.parquet")
    # 2,500 enterprises over 31 provinces: every province's cut would leave a take-some
    # sample below Cochran's minimum, so nobody is taken whole, and the command says why
    drawn = CliRunner().invoke(main, ["microdata", "sample", population, "--seed", "9",
                                      "--sample", "400", "--replicates", "0", "--certainty",
                                      "--certainty-cv", "0.2", "--out", str(tmp_path / "c")])
    assert drawn.exit_code == 0, drawn.output
    assert "certainty strata: 0 units" in drawn.stdout and "target CV 0.2" in drawn.stdout
    assert "below Cochran's minimum" in drawn.stdout
    sample = pq.read_table(tmp_path / "c" / "sample.parquet")
    meta = json.loads(sample.schema.metadata[b"mic2025.certainty"])
    assert meta["enabled"] and meta["target_cv"] == 0.2 and meta["size_variable"] == "revenue"
    assert set(meta["cutoffs"]) == set(meta["declined"]) == {"2015", "2016", "2017"}
    strata = sample.column("stratum").cast(pa.string()).to_pylist()
    assert not any(s.endswith("|certain") for s in strata)
    # the same enterprises in one province, at the target CV the sample size affords: the
    # cut is kept (at 0.2 it would leave 23 take-some units where skewness asks for 500)
    gathered = pq.read_table(population)
    pq.write_table(one_province(gathered), tmp_path / "one.parquet")
    drawn = CliRunner().invoke(main, ["microdata", "sample", str(tmp_path / "one.parquet"),
                                      "--seed", "9", "--sample", "400", "--replicates", "0",
                                      "--certainty", "--out", str(tmp_path / "c1")])
    assert drawn.exit_code == 0, drawn.output
    assert "Cochran" not in drawn.stdout
    sample = pq.read_table(tmp_path / "c1" / "sample.parquet")
    meta = json.loads(sample.schema.metadata[b"mic2025.certainty"])
    strata = sample.column("stratum").cast(pa.string()).to_pylist()
    certain = [s for s in strata if s.endswith("|certain")]
    assert meta["declined"] == {} and len(certain) == sum(meta["units"].values()) > 0
    # --certainty alone: the target CV the sample size affords, year by year
    default = CliRunner().invoke(main, ["microdata", "sample", population, "--seed", "9",
                                        "--sample", "400", "--replicates", "0", "--certainty",
                                        "--out", str(tmp_path / "d")])
    assert default.exit_code == 0, default.output
    meta = json.loads(pq.read_schema(tmp_path / "d" / "sample.parquet")
                      .metadata[b"mic2025.certainty"])
    assert meta["enabled"] and meta["target_cv"] == "auto"
    assert set(meta["cv"]) == {"2015", "2016", "2017"}
    # on by default: the same sample as --certainty
    on = CliRunner().invoke(main, ["microdata", "sample", str(tmp_path / "one.parquet"),
                                   "--seed", "9", "--sample", "400", "--replicates", "0",
                                   "--out", str(tmp_path / "f")])
    assert on.exit_code == 0, on.output
    assert "certainty strata: 0 units" not in on.stdout
    assert pq.read_table(tmp_path / "f" / "sample.parquet").equals(sample)
    # --no-certainty: none
    off = CliRunner().invoke(main, ["microdata", "sample", population, "--seed", "9",
                                    "--sample", "400", "--replicates", "0",
                                    "--no-certainty", "--out", str(tmp_path / "e")])
    assert off.exit_code == 0, off.output
    assert "certainty strata: none" in off.stdout
    plain = pq.read_table(tmp_path / "e" / "sample.parquet")
    assert json.loads(plain.schema.metadata[b"mic2025.certainty"]) == {"enabled": False}
    assert not any(s.endswith("|certain")
                   for s in plain.column("stratum").cast(pa.string()).to_pylist())
