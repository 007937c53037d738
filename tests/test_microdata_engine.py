"""The DuckDB engine's own parts: its sources, its query text, the calibrated levels.

What every engine must do (values equal to the numpy reference per group, weighted and not;
the same errors) is tested once per engine in ``test_microdata_backends.py``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from mic2025.microdata.backends import DuckDBBackend
from mic2025.microdata.engine import build_query, compute, plan_formulas
from mic2025.microdata.generate import generate_population, write_parquet
from mic2025.plan import load_plan


@pytest.fixture(scope="module")
def plan_formulas_() -> dict[str, str]:
    formulas = plan_formulas(load_plan())
    assert formulas, "the bundled plan states no formulas"
    return formulas


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pop = generate_population(4_000, years=range(2015, 2019), seed=21)
    return write_parquet(pop, tmp_path_factory.mktemp("micro") / "pop.parquet")


def test_calibrated_national_values_come_back(population: Path,
                                              plan_formulas_: dict[str, str]) -> None:
    result = compute(population, plan_formulas_, by=("year",)).to_pylist()
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
    # the backend runs on the connection it is given, where the table name means something
    on_con = DuckDBBackend(con=con).compute("pop", {"n": "count()"}, by=("year",))
    assert on_con.equals(by_name)


def test_one_query_in_any_dialect(plan_formulas_: dict[str, str]) -> None:
    spark = build_query(plan_formulas_, "ent", by=("year", "province"), dialect="spark",
                        weighted=True)
    assert spark.count("SELECT") == 1 and '"' not in spark
    assert "AS STRING" in spark and "GROUP BY 1, 2 ORDER BY 1, 2" in spark
    assert "VARCHAR" not in spark
    duck = build_query(plan_formulas_, "ent", by=("year", "province"))
    assert "CAST(area AS VARCHAR)" in duck and "STRING" not in duck
    pg = build_query(plan_formulas_, "ent", by=("division",), dialect="postgres")
    assert "DOUBLE PRECISION" in pg and "GROUP BY ALL" not in pg


def test_item_rules_rewrite_formulas_and_keep_their_shape() -> None:
    from mic2025.microdata.items import readable, with_item_rule
    from mic2025.microdata.variance import interval_kind

    ratio = "sum(rd_expenditure) / sum(revenue) * 100"
    assert with_item_rule(ratio) == ("sum(rd_expenditure + 0 * revenue) / "
                                     "sum(revenue + 0 * rd_expenditure) * 100")
    assert with_item_rule(ratio, "available_cases") == ratio
    share = "count_if(digital_design_tools > 0) / count() * 100"
    assert with_item_rule(share) == ("count_if(digital_design_tools > 0) / "
                                     "count_if(0 * digital_design_tools == 0) * 100")
    assert interval_kind(with_item_rule(share)) == ("share", 100.0)
    large = "sum(revenue where employees >= 1000) / sum(revenue) * 100"
    assert interval_kind(with_item_rule(large)) == ("share", 100.0)
    assert readable("sum(revenue + 0 * employees)") == "sum(revenue)"
    with pytest.raises(ValueError, match="unknown item non-response rule 'impute'"):
        with_item_rule(ratio, "impute")


def test_the_plan_declares_the_rule_of_every_formula() -> None:
    from pydantic import ValidationError

    from mic2025.plan import Definition

    plan = load_plan()
    declared = [m.definition for m in plan.metrics()
                if m.definition is not None and m.definition.formula]
    assert declared and all(d.missing == "complete_cases" for d in declared)
    with pytest.raises(ValidationError, match="missing"):
        Definition(kind="ratio_of_sums", text={"zh": "x", "en": "x"}, missing="imputed")


def test_complete_case_terms_cost_nothing_on_complete_columns(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mic2025.microdata.items import known_complete, with_item_rule, without_needless_terms

    returns = pa.table({"year": [2020] * 4, "area": ["110101"] * 4,
                      "rd_expenditure": [1.0, None, 3.0, 4.0],
                      "revenue": [10.0, 20.0, 30.0, 40.0],
                      "digital_design_tools": [1, 0, 2, 0]})
    pq.write_table(returns, tmp_path / "t.parquet")
    assert known_complete(tmp_path / "t.parquet") == known_complete(returns) == {
        "year", "area", "revenue", "digital_design_tools"}
    formulas = {"rd": with_item_rule("sum(rd_expenditure) / sum(revenue) * 100"),
                "tools": with_item_rule("count_if(digital_design_tools > 0) / count() * 100")}
    lean = without_needless_terms(formulas, returns)
    # revenue is never missing: only R&D's presence still matters
    assert lean == {"rd": "sum(rd_expenditure) / sum(revenue + 0 * rd_expenditure) * 100",
                    "tools": "count_if(digital_design_tools > 0) / count() * 100"}
    full = compute(duckdb.sql("SELECT * FROM returns"), formulas, by=()).to_pylist()[0]
    assert compute(returns, formulas, by=()).to_pylist()[0] == full  # the lean query
    assert full["rd"] == pytest.approx(100 * 8.0 / 80.0)  # the unit without R&D left out
    assert full["tools"] == 50.0


def test_a_rewritten_file_is_read_afresh(tmp_path: Path) -> None:
    """What the engine remembers about a file (its columns, which have no missing value,
    the compiled query) belongs to one version of it: rewriting the file in place —
    here with a missing R&D figure and a new column — changes the answer at once."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from mic2025.microdata.items import with_item_rule

    path = tmp_path / "returns.parquet"
    formula = {"rd": with_item_rule("sum(rd_expenditure) / sum(revenue) * 100",
                                    "complete_cases")}
    pq.write_table(pa.table({"year": [2020, 2020], "revenue": [100.0, 300.0],
                             "rd_expenditure": [1.0, 6.0]}), path)
    first = compute(path, formula, by=()).to_pylist()[0]["rd"]
    assert first == pytest.approx(7.0 / 400.0 * 100)
    pq.write_table(pa.table({"year": [2020, 2020], "revenue": [100.0, 300.0],
                             "rd_expenditure": [1.0, None],
                             "employees": pa.array([5, 7], pa.int64())}), path)
    again = compute(path, formula, by=()).to_pylist()[0]["rd"]
    assert again == pytest.approx(1.0 / 100.0 * 100)  # complete cases: the second unit out
    assert compute(path, {"e": "sum(employees)"}, by=()).to_pylist()[0]["e"] == 12
