"""The indicator engine: one grouped query, equal to the numpy reference per group."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mic2025.formula import FormulaError, evaluate, fields_of
from mic2025.microdata.engine import EngineError, build_query, compute, plan_formulas
from mic2025.microdata.generate import draw_sample, generate_population, write_parquet
from mic2025.plan import load_plan


@pytest.fixture(scope="module")
def plan_formulas_() -> dict[str, str]:
    formulas = plan_formulas(load_plan())
    assert formulas, "the bundled plan states no formulas"
    return formulas


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("micro")
    pop = generate_population(4_000, years=range(2015, 2019), seed=21)
    sample = draw_sample(pop, 800, seed=3)
    return write_parquet(pop, root / "pop.parquet"), write_parquet(sample, root / "s.parquet")


def _reference(table: pa.Table, formulas: dict[str, str], by: tuple[str, ...],
               weighted: bool) -> dict[tuple[object, ...], dict[str, float]]:
    cols = {n: table.column(n).to_numpy(zero_copy_only=False) for n in table.column_names
            if n not in ("enterprise_id", "stratum")}
    keys = {"year": cols["year"], "division": cols["division"].astype(str),
            "size_class": cols["size_class"].astype(str),
            "province": np.char.add(np.char.ljust(cols["area"].astype(str), 2)
                                    .astype("U2"), "0000")}
    groups: dict[tuple[object, ...], list[int]] = {}
    labels = list(zip(*(keys[k].tolist() for k in by), strict=True)) if by else \
        [()] * table.num_rows
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    out = {}
    for label, idx in groups.items():
        rows = np.asarray(idx)
        w = cols["design_weight"][rows].astype(np.float64) if weighted else None
        out[label] = {ident: evaluate(text, {f: np.asarray(cols[f][rows], dtype=np.float64)
                                             for f in fields_of(text)}, w)
                      for ident, text in formulas.items()}
    return out


@pytest.mark.parametrize("by", [("year",), ("year", "province"), ("division", "size_class"),
                                ()])
def test_census_equals_numpy_reference(files: tuple[Path, Path], plan_formulas_: dict[str, str],
                                       by: tuple[str, ...]) -> None:
    pop_path, _ = files
    result = compute(pop_path, plan_formulas_, by=by)
    table = pq.read_table(pop_path)
    ref = _reference(table, plan_formulas_, by, weighted=False)
    assert result.num_rows == len(ref)
    assert result.column_names == [*by, "n_units", *plan_formulas_]
    for row in result.to_pylist():
        want = ref[tuple(row[k] for k in by)]
        for ident in plan_formulas_:
            got = math.nan if row[ident] is None else row[ident]
            assert got == pytest.approx(want[ident], rel=1e-9, nan_ok=True), (ident, row)


def test_sample_weighted_equals_numpy_reference(files: tuple[Path, Path],
                                                plan_formulas_: dict[str, str]) -> None:
    _, sample_path = files
    result = compute(sample_path, plan_formulas_, by=("year", "size_class"), weighted=True)
    ref = _reference(pq.read_table(sample_path), plan_formulas_,
                     ("year", "size_class"), weighted=True)
    for row in result.to_pylist():
        want = ref[(row["year"], row["size_class"])]
        for ident in plan_formulas_:
            got = math.nan if row[ident] is None else row[ident]
            assert got == pytest.approx(want[ident], rel=1e-9, nan_ok=True), ident
    # unweighted on the same sample is a different (biased) number
    plain = compute(sample_path, {"rd": "sum(rd_expenditure) / sum(revenue)"}, by=())
    weighted = compute(sample_path, {"rd": "sum(rd_expenditure) / sum(revenue)"}, by=(),
                       weighted=True)
    assert plain.column("rd")[0].as_py() != weighted.column("rd")[0].as_py()


def test_calibrated_national_values_come_back(files: tuple[Path, Path],
                                              plan_formulas_: dict[str, str]) -> None:
    result = compute(files[0], plan_formulas_, by=("year",)).to_pylist()
    first = result[0]
    assert first["year"] == 2015 and first["n_units"] == 4_000
    assert first["rd_intensity"] == pytest.approx(0.95, rel=1e-9)


def test_relation_and_table_sources() -> None:
    con = duckdb.connect()
    pop = generate_population(500, years=[2020], seed=1)
    con.register("pop", pop)
    by_name = compute("pop", {"n": "count()"}, by=("year",), con=con)
    by_rel = compute(con.sql("SELECT * FROM pop WHERE size_class <> 'large'"),
                     {"n": "count()"}, by=("year",), con=con)
    assert by_name.column("n").to_pylist() == [500.0]
    assert by_rel.column("n").to_pylist()[0] < 500


def test_errors_name_what_is_wrong(files: tuple[Path, Path]) -> None:
    pop_path, _ = files
    with pytest.raises(EngineError, match="cannot group by"):
        compute(pop_path, {"x": "count()"}, by=("county",))
    with pytest.raises(EngineError, match="no 'weight' column"):
        compute(pop_path, {"x": "count()"}, weighted=True, weight_column="weight")
    with pytest.raises(FormulaError, match="col 5: indicator 'rd': unknown field 'revnue'"):
        compute(pop_path, {"rd": "sum(revnue)"})


def test_one_query_in_any_dialect(plan_formulas_: dict[str, str]) -> None:
    spark = build_query(plan_formulas_, "ent", by=("year", "province"), dialect="spark",
                        weighted=True)
    assert spark.count("SELECT") == 1 and '"' not in spark
    assert "AS STRING" in spark and "GROUP BY 1, 2 ORDER BY 1, 2" in spark
    pg = build_query(plan_formulas_, "ent", by=("division",), dialect="postgres")
    assert "DOUBLE PRECISION" in pg and "GROUP BY ALL" not in pg
