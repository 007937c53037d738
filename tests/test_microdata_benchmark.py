"""The peers of ``benchmarks/microdata.py`` compute what the engine computes, fairly."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

import benchmark_modules
from mic2025.microdata.backends import backend
from mic2025.microdata.engine import plan_formulas
from mic2025.microdata.generate import generate_population, write_parquet
from mic2025.plan import load_plan


def _bench() -> ModuleType:
    return benchmark_modules.load("microdata")


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    return write_parquet(generate_population(3_000, years=[2019, 2020], seed=7),
                         root / "population.parquet")


def test_pandas_baseline_keeps_categoricals_and_agrees(population: Path) -> None:
    pytest.importorskip("pandas")
    bench = _bench()
    out = bench.pandas_job(population)
    # no Python string per row: the province and division stay categorical
    assert str(out["province"].dtype) == "category"
    assert str(out["division"].dtype) == "category"
    formulas = plan_formulas(load_plan())
    engine = backend("duckdb").compute(population, formulas, by=bench.GROUPS)
    bench.agree("pandas", bench.rows_of(out), bench.rows_of(engine), ["n_units", *formulas])


def test_polars_peer_agrees(population: Path) -> None:
    pytest.importorskip("polars")  # an optional peer (the bench extra)
    bench = _bench()
    formulas = plan_formulas(load_plan())
    engine = backend("duckdb").compute(population, formulas, by=bench.GROUPS)
    bench.agree("polars", bench.rows_of(bench.polars_job(population)), bench.rows_of(engine),
                ["n_units", *formulas])
