"""One test suite, every engine: each backend of the registry gives the same numbers.

Each test runs once per engine of :data:`mic2025.microdata.backends.BACKENDS`, made by
:func:`~mic2025.microdata.backends.backend` as the CLI makes it (an engine that needs an
extra is marked with a marker of that name — the Spark runs are ``spark`` — and shares one
engine, and so one local session, for the whole test run). The bootstrap tests also run
DuckDB's second route, the replicate-weight join. Engines are checked against the numpy
reference of :func:`mic2025.formula.evaluate`, so two engines that pass agree with each other
to within the tolerance; :func:`test_engines_agree_with_the_default` also compares them
directly.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from mic2025.formula import FormulaError, evaluate, fields_of
from mic2025.microdata import variance
from mic2025.microdata.backends import BACKENDS, Backend, DuckDBBackend, EngineError, backend
from mic2025.microdata.engine import plan_formulas
from mic2025.microdata.generate import draw_sample, generate_population
from mic2025.plan import load_plan

REL = 1e-9

EDGE_FORMULAS = {
    "ht_rd_total": "sum(rd_expenditure)",
    "ht_count": "count()",
    "rd_share": "count_if(rd_expenditure > 0) / count() * 100",
    "large_revenue_share": "sum(revenue where employees >= 1000) / sum(revenue) * 100",
    "revenue_range": "-min(revenue) + max(revenue)",
    "no_waste_ratio": "sum(solid_waste_utilised) / sum(solid_waste_generated)",
}


def _param(name: str, **options: str) -> object:
    """A fixture parameter making engine ``name`` with ``options``, marked with its extra."""
    extra = BACKENDS[name].extra
    return pytest.param((name, tuple(options.items())), id="-".join([name, *options.values()]),
                        marks=[getattr(pytest.mark, extra)] if extra else [])


DEFAULT = next(iter(BACKENDS))
ENGINES = [_param(name) for name in BACKENDS]
#: every engine's bootstrap, and the one DuckDB runs as Spark does (the replicate-weight join)
ROUTES = [*ENGINES, _param(DuckDBBackend.name, route="join")]


def _made(request: pytest.FixtureRequest) -> Backend:
    name, options = request.param
    kind = BACKENDS[name]
    if not kind.available():
        pytest.skip(f"the {name} engine is not installed (pip install 'mic2025[{kind.extra}]')")
    return backend(name, **dict(options))


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Backend:
    return _made(request)


@pytest.fixture(scope="session", params=ENGINES[1:])
def other(request: pytest.FixtureRequest) -> Backend:
    """Every engine but the default one."""
    return _made(request)


@pytest.fixture(scope="session", params=ROUTES)
def bootstrapper(request: pytest.FixtureRequest) -> Backend:
    return _made(request)


def _with_holes(table: pa.Table) -> pa.Table:
    """Missing values and zero denominators where the semantics must hold.

    Every 7th R&D figure is missing; division 13 has no solid waste at all (its ratio has a
    zero denominator); every 5th enterprise of division 14 reports no key processes.
    """
    n = table.num_rows
    rd = table.column("rd_expenditure").to_numpy().astype(np.float64)
    rd_mask = np.arange(n) % 7 == 3
    division = table.column("division").cast(pa.string()).to_numpy(zero_copy_only=False)
    no_waste = division == "13"
    kp = table.column("key_processes").to_numpy().copy()
    kp_nc = table.column("key_processes_nc").to_numpy().copy()
    none_kp = (division == "14") & (np.arange(n) % 5 == 0)
    kp[none_kp] = 0
    kp_nc[none_kp] = 0
    changes = {
        "rd_expenditure": pa.array(rd, mask=rd_mask),
        "solid_waste_generated": pc.if_else(pa.array(no_waste), 0.0,
                                            table.column("solid_waste_generated")),
        "solid_waste_utilised": pc.if_else(pa.array(no_waste), 0.0,
                                           table.column("solid_waste_utilised")),
        "key_processes": pa.array(kp),
        "key_processes_nc": pa.array(kp_nc),
    }
    for name, values in changes.items():
        table = table.set_column(table.schema.get_field_index(name), name, values)
    return table


@pytest.fixture(scope="session")
def formulas() -> dict[str, str]:
    return {**plan_formulas(load_plan()), **EDGE_FORMULAS}


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("backends")
    pop = _with_holes(generate_population(1_500, years=[2019, 2020], seed=41))
    sample = draw_sample(pop, 300, seed=42)
    pq.write_table(pop, root / "pop.parquet")
    pq.write_table(sample, root / "sample.parquet")
    return root / "pop.parquet", root / "sample.parquet"


def _columns(path: Path) -> dict[str, np.ndarray]:
    table = pq.read_table(path)
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_dictionary(col.type) or pa.types.is_string(col.type):
            out[name] = np.asarray(col.cast(pa.string()).to_pylist(), dtype=object)
        else:
            out[name] = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64)
    out["province"] = np.array([a[:2] + "0000" for a in out["area"]], dtype=object)
    return out


def _reference(path: Path, formulas: dict[str, str], by: tuple[str, ...],
               weights: np.ndarray | None) -> dict[tuple[object, ...], dict[str, float]]:
    cols = _columns(path)
    n = len(cols["year"])
    labels = [tuple(int(cols[k][i]) if k == "year" else cols[k][i] for k in by)
              for i in range(n)]
    groups: dict[tuple[object, ...], list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    out = {}
    for label, idx in groups.items():
        rows = np.asarray(idx)
        w = None if weights is None else weights[rows]
        out[label] = {ident: evaluate(text, _data(cols, rows, text), w)
                      for ident, text in formulas.items()}
    return out


def _data(cols: dict[str, np.ndarray], rows: np.ndarray, formula: str
          ) -> dict[str, np.ndarray]:
    # "year" gives count() its number of rows when a formula reads no field
    return {f: cols[f][rows] for f in ["year", *fields_of(formula)]}


def _value(x: object) -> float:
    return math.nan if x is None else float(x)  # type: ignore[arg-type]


@pytest.mark.parametrize("weighted", [False, True], ids=["census", "weighted"])
@pytest.mark.parametrize("by", [(), ("year",), ("year", "province"), ("division", "size_class")],
                         ids=["national", "year", "year-province", "division-size"])
def test_indicators_equal_the_reference(engine: Backend, files: tuple[Path, Path],
                                        formulas: dict[str, str], by: tuple[str, ...],
                                        weighted: bool) -> None:
    path = files[1] if weighted else files[0]
    result = engine.compute(path, formulas, by=by, weighted=weighted)
    assert result.column_names == [*by, "n_units", *formulas]
    weights = _columns(path)["design_weight"] if weighted else None
    ref = _reference(path, formulas, by, weights)
    rows = result.to_pylist()
    assert [tuple(r[k] for k in by) for r in rows] == sorted(ref)  # every group, in order
    for row in rows:
        want = ref[tuple(row[k] for k in by)]
        for ident in formulas:
            assert _value(row[ident]) == pytest.approx(want[ident], rel=REL, nan_ok=True), \
                (engine.name, ident, row)


def test_weights_change_the_estimate(engine: Backend, files: tuple[Path, Path]) -> None:
    """Unweighted on a sample is another (biased) number than the weighted estimate."""
    ratio = {"rd": "sum(rd_expenditure) / sum(revenue)"}
    plain = engine.compute(files[1], ratio, by=()).column("rd")[0].as_py()
    weighted = engine.compute(files[1], ratio, by=(), weighted=True).column("rd")[0].as_py()
    assert plain is not None and weighted is not None and plain != weighted


def test_missing_values_and_zero_denominators(engine: Backend, files: tuple[Path, Path],
                                              formulas: dict[str, str]) -> None:
    result = engine.compute(files[0], formulas, by=("division",))
    rows = {r["division"]: r for r in result.to_pylist()}
    # a zero denominator is NULL (never an error, never infinity); other groups have values
    assert rows["13"]["no_waste_ratio"] is None
    assert rows["13"]["solid_waste_utilization"] is None
    assert all(r["no_waste_ratio"] is not None for d, r in rows.items() if d != "13")
    # a missing R&D figure is skipped by sum(), and fails the condition of count_if()
    cols = _columns(files[0])
    in_13 = cols["division"] == "13"
    rd = cols["rd_expenditure"][in_13]
    assert np.isnan(rd).any()
    assert rows["13"]["ht_rd_total"] == pytest.approx(np.nansum(rd), rel=REL)
    assert rows["13"]["rd_share"] == pytest.approx(100 * (rd > 0).sum() / rd.size, rel=REL)
    # units with no key processes leave the mean of rates instead of counting as zero
    in_14 = cols["division"] == "14"
    kp, nc = cols["key_processes"][in_14], cols["key_processes_nc"][in_14]
    assert (kp == 0).any()
    has = kp > 0
    assert rows["14"]["key_process_nc_rate"] == pytest.approx(
        100 * np.mean(nc[has] / kp[has]), rel=REL)


def test_errors_are_the_same(engine: Backend, files: tuple[Path, Path]) -> None:
    with pytest.raises(EngineError, match="cannot group by"):
        engine.compute(files[0], {"x": "count()"}, by=("county",))
    with pytest.raises(EngineError, match="no 'weight' column"):
        engine.compute(files[0], {"x": "count()"}, weighted=True, weight_column="weight")
    with pytest.raises(FormulaError, match="col 5: indicator 'rd': unknown field 'revnue'"):
        engine.compute(files[0], {"rd": "sum(revnue)"})
    with pytest.raises(EngineError, match="no formulas to compute"):
        engine.compute(files[0], {})
    with pytest.raises(EngineError, match="the bootstrap needs a 'weight' column"):
        engine.bootstrap(files[1], {"x": "count()"}, replicates=2, weight_column="weight")


def test_a_pyarrow_table_is_a_source(engine: Backend, files: tuple[Path, Path]) -> None:
    table = pq.read_table(files[1])  # dictionary-encoded columns, as mic2025 writes them
    assert any(pa.types.is_dictionary(f.type) for f in table.schema)
    again = engine.compute(table, {"n": "count()"}, by=())
    assert again.column("n").to_pylist() == [float(table.num_rows)]


BOOT_FORMULAS = {
    "rd_intensity": "sum(rd_expenditure) / sum(revenue) * 100",
    "nc_rate": "mean(key_processes_nc / key_processes) * 100",
    "digital": "count_if(digital_design_tools > 0) / count() * 100",
    "total": "sum(revenue)",
}


def test_bootstrap_replicates_equal_the_reference(bootstrapper: Backend,
                                                  files: tuple[Path, Path]) -> None:
    """Point estimates and every replicate's estimate, through the replicate-weight join.

    The reference draws the same replicate weights (same seed, units in file order) and
    evaluates each replicate with numpy; the engine's standard errors must match them.
    """
    replicates, seed = 15, 7
    result = bootstrapper.bootstrap(files[1], BOOT_FORMULAS, by=("year",),
                                    replicates=replicates, seed=seed).to_pylist()
    cols = _columns(files[1])
    strata = np.array([f"{int(y)}|{s}" for y, s in zip(cols["year"], cols["stratum"],
                                                       strict=True)])
    n = strata.size
    units, counts = variance.replicate_units(np.arange(1, n + 1), strata,
                                             cols["design_weight"], cols["stratum_size"],
                                             replicates, seed=seed)
    a, b = units.column("__a").to_numpy(), units.column("__b").to_numpy()
    assert len(result) == 2 * len(BOOT_FORMULAS)
    for row in result:
        rows = np.flatnonzero(cols["year"] == row["year"])
        formula = BOOT_FORMULAS[row["indicator"]]
        data = _data(cols, rows, formula)
        full = evaluate(formula, data, cols["design_weight"][rows])
        reps = np.array([evaluate(formula, data, (a + b * counts[r])[rows])
                         for r in range(replicates)])
        assert row["estimate"] == pytest.approx(full, rel=REL), (bootstrapper.name, row)
        assert row["se"] == pytest.approx(reps.std(ddof=1), rel=1e-7), (bootstrapper.name, row)
        assert row["replicates"] == replicates and row["n_units"] == rows.size


def test_engines_agree_with_the_default(other: Backend, files: tuple[Path, Path],
                                        formulas: dict[str, str]) -> None:
    by = ("year", "province", "division")
    want_table = backend(DEFAULT).compute(files[1], formulas, by=by, weighted=True)
    got_table = other.compute(files[1], formulas, by=by, weighted=True)
    assert got_table.schema.names == want_table.schema.names
    assert [f.type for f in got_table.schema] == [f.type for f in want_table.schema]
    for got, want in zip(got_table.to_pylist(), want_table.to_pylist(), strict=True):
        assert [got[k] for k in (*by, "n_units")] == [want[k] for k in (*by, "n_units")]
        for ident in formulas:
            assert _value(got[ident]) == pytest.approx(_value(want[ident]), rel=REL,
                                                       nan_ok=True), ident


def test_matrix_route_equals_the_join(files: tuple[Path, Path], formulas: dict[str, str]) -> None:
    """The vectorised bootstrap gives the join's estimates and SEs, missing values included."""
    matrix_route, join_route = DuckDBBackend(), DuckDBBackend(route="join")
    for by in [("year",), ("year", "division")]:
        join = join_route.bootstrap(files[1], formulas, by=by, replicates=12,
                                    seed=5).to_pylist()
        matrix = matrix_route.bootstrap(files[1], formulas, by=by, replicates=12,
                                        seed=5).to_pylist()
        assert len(join) == len(matrix)
        for j, m in zip(join, matrix, strict=True):
            assert [j[k] for k in (*by, "indicator", "n_units", "replicates")] == \
                [m[k] for k in (*by, "indicator", "n_units", "replicates")]
            scale = abs(_value(j["estimate"])) if j["estimate"] is not None else 1.0
            assert _value(m["estimate"]) == pytest.approx(_value(j["estimate"]), rel=REL,
                                                          nan_ok=True), (by, j)
            assert _value(m["se"]) == pytest.approx(_value(j["se"]), rel=1e-7,
                                                    abs=REL * scale, nan_ok=True), (by, j)


def test_stored_replicate_weights_equal_the_draw(bootstrapper: Backend,
                                                 files: tuple[Path, Path]) -> None:
    """A design stored with the sample gives the on-the-fly draw's numbers on every engine."""
    from mic2025.microdata.design import replicate_design

    design = replicate_design(pq.read_table(files[1]), 15, seed=7)
    stored = bootstrapper.bootstrap(files[1], BOOT_FORMULAS, by=("year",), design=design)
    drawn = bootstrapper.bootstrap(files[1], BOOT_FORMULAS, by=("year",), replicates=15,
                                   seed=7)
    for s, d in zip(stored.to_pylist(), drawn.to_pylist(), strict=True):
        assert [s[k] for k in ("year", "indicator", "n_units", "replicates")] == \
            [d[k] for k in ("year", "indicator", "n_units", "replicates")]
        for k in ("estimate", "se", "ci_low", "ci_high"):
            assert _value(s[k]) == pytest.approx(_value(d[k]), rel=REL), \
                (bootstrapper.name, k, d)


def test_fast_route_equals_the_join_on_stored_weights(files: tuple[Path, Path],
                                                      formulas: dict[str, str]) -> None:
    """Stored replicate weights, missing values and zero denominators included: 1e-9."""
    from mic2025.microdata.design import replicate_design

    design = replicate_design(pq.read_table(files[1]), 20, seed=11)
    fast_route, join_route = DuckDBBackend(), DuckDBBackend(route="join")
    for by in [(), ("year",), ("year", "province", "division")]:
        join = join_route.bootstrap(files[1], formulas, by=by, design=design).to_pylist()
        fast = fast_route.bootstrap(files[1], formulas, by=by, design=design).to_pylist()
        assert len(join) == len(fast)
        for j, m in zip(join, fast, strict=True):
            assert [j[k] for k in (*by, "indicator", "n_units", "replicates")] == \
                [m[k] for k in (*by, "indicator", "n_units", "replicates")]
            scale = abs(_value(j["estimate"])) if j["estimate"] is not None else 1.0
            for k in ("estimate", "se", "ci_low", "ci_high"):
                assert _value(m[k]) == pytest.approx(_value(j[k]), rel=REL, abs=REL * scale,
                                                     nan_ok=True), (by, k, j)


def test_the_registry_names_every_engine() -> None:
    assert list(BACKENDS) == ["duckdb", "spark"]
    assert all(issubclass(kind, Backend) and kind.name == name
               for name, kind in BACKENDS.items())
    assert isinstance(backend("duckdb"), DuckDBBackend)
    with pytest.raises(EngineError, match="unknown engine 'polars'; choose from duckdb, spark"):
        backend("polars")
    with pytest.raises(EngineError, match="unknown bootstrap route 'loop'; choose from "
                       "matrix, join"):
        backend("duckdb", route="loop")


def test_an_engine_not_installed_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail, as on a machine without PySpark
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    assert not BACKENDS["spark"].available()
    with pytest.raises(EngineError, match=r"pip install 'mic2025\[spark\]'"):
        backend("spark")
    from mic2025.microdata.spark import spark_session

    with pytest.raises(EngineError, match=r"pip install 'mic2025\[spark\]'"):
        spark_session()


def test_small_strata_are_handled_alike(bootstrapper: Backend) -> None:
    """Strata left with one respondent, degrees of freedom and interval shapes: every engine
    and route gives the default's columns, to 1e-9."""
    from mic2025.microdata.adjust import adjust_for_nonresponse
    from mic2025.microdata.generate import simulate_nonresponse

    pop = generate_population(1_200, years=[2020], seed=43)
    sample = simulate_nonresponse(draw_sample(pop, 240, seed=44), {"micro": 0.5, "small": 0.6},
                                  seed=45)
    adjusted = adjust_for_nonresponse(sample)
    by = ("year", "province")
    want = DuckDBBackend().bootstrap(adjusted, BOOT_FORMULAS, by=by, replicates=30,
                                     seed=5).to_pylist()
    got = bootstrapper.bootstrap(adjusted, BOOT_FORMULAS, by=by, replicates=30,
                                 seed=5).to_pylist()
    assert sum(r["collapsed"] for r in want) > 0  # the data do have such strata
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        for k in (*by, "indicator", "interval", "df", "design_df", "se_estimable", "n_units",
                  "strata", "collapsed", "singletons"):
            assert g[k] == w[k], (k, g, w)
        for k in ("estimate", "se", "ci_low", "ci_high"):
            assert _value(g[k]) == pytest.approx(_value(w[k]), rel=REL, abs=1e-12,
                                                 nan_ok=True), (k, g, w)


def test_concentration_is_the_same_on_every_engine(engine: Backend, files: tuple[Path, Path],
                                                   formulas: dict[str, str]) -> None:
    """The largest contributions behind the dominance and p% rules, weighted and not."""
    by = ("year", "province")
    for weighted in (False, True):
        want = DuckDBBackend().concentration(files[1], formulas, by=by, weighted=weighted,
                                             top=3)
        got = engine.concentration(files[1], formulas, by=by, weighted=weighted, top=3)
        assert got.column_names == want.column_names
        key = ["indicator", "total_of", *by]
        want_rows = sorted(want.to_pylist(), key=lambda r: [str(r[k]) for k in key])
        got_rows = sorted(got.to_pylist(), key=lambda r: [str(r[k]) for k in key])
        assert len(got_rows) == len(want_rows) > 0
        for g, w in zip(got_rows, want_rows, strict=True):
            assert [g[k] for k in (*key, "units")] == [w[k] for k in (*key, "units")]
            for k in ("total", "top1", "top2", "top3"):
                assert _value(g[k]) == pytest.approx(_value(w[k]), rel=REL, nan_ok=True)
    cols = _columns(files[1])
    rows = (cols["year"] == 2019) & (cols["province"] == cols["province"][0])
    values = np.sort(np.abs(cols["rd_expenditure"][rows][~np.isnan(
        cols["rd_expenditure"][rows])]))[::-1]
    cell = next(r for r in want_rows if r["year"] == 2019 and r["province"] ==
                cols["province"][0] and r["total_of"] == "sum(rd_expenditure)")
    assert cell["units"] == values.size  # weighted=True: |w·x|; the reference is unweighted
    plain = DuckDBBackend().concentration(files[1], {"rd": "sum(rd_expenditure)"}, by=by)
    cell = next(r for r in plain.to_pylist() if r["year"] == 2019 and r["province"] ==
                cols["province"][0])
    assert cell["top1"] == pytest.approx(values[0]) and cell["top2"] == pytest.approx(values[1])
    assert cell["total"] == pytest.approx(values.sum())


def test_item_non_response_is_complete_cases_on_every_engine(
        bootstrapper: Backend, files: tuple[Path, Path]) -> None:
    """Every 7th R&D figure is missing: the plan's R&D intensity leaves those units out of
    the numerator AND the denominator (complete cases, declared in the plan), in the point
    estimate and in every replicate, on every engine and route."""
    plan = plan_formulas(load_plan())
    assert plan["rd_intensity"] != "sum(rd_expenditure) / sum(revenue) * 100"  # rewritten
    cols = _columns(files[1])
    rd, revenue, w = cols["rd_expenditure"], cols["revenue"], cols["design_weight"]
    assert np.isnan(rd).any()
    result = bootstrapper.bootstrap(files[1], {"rd_intensity": plan["rd_intensity"]},
                                    by=("year",), replicates=20, seed=3).to_pylist()
    for row in result:
        here = (cols["year"] == row["year"]) & ~np.isnan(rd)
        want = 100 * (w[here] * rd[here]).sum() / (w[here] * revenue[here]).sum()
        assert row["estimate"] == pytest.approx(want, rel=REL)
        everyone = cols["year"] == row["year"]
        biased = 100 * np.nansum(w[everyone] * rd[everyone]) / (w[everyone] *
                                                                revenue[everyone]).sum()
        assert row["estimate"] > biased * 1.05  # the available-case figure was ~1/7 low
        assert row["interval"] == "log-t"


def test_complete_cases_keep_a_share_among_units_with_the_item(engine: Backend,
                                                               files: tuple[Path, Path]) -> None:
    from mic2025.microdata.items import with_item_rule

    share = "count_if(rd_expenditure > 0) / count() * 100"
    result = engine.compute(files[0], {"s": with_item_rule(share)}, by=("year",)).to_pylist()
    cols = _columns(files[0])
    for row in result:
        rd = cols["rd_expenditure"][cols["year"] == row["year"]]
        present = rd[~np.isnan(rd)]
        assert row["s"] == pytest.approx(100 * (present > 0).sum() / present.size, rel=REL)


def test_intensity_indices_are_the_same_on_every_engine(bootstrapper: Backend) -> None:
    """The index against 2015 and its interval (the 2015 variance included) from each
    engine's bootstrap equal DuckDB's."""
    from mic2025.microdata.publish import Provenance, to_observations

    plan = load_plan()
    ident = "energy_intensity_reduction"
    sample = draw_sample(generate_population(800, years=[2015, 2016], seed=51), 200, seed=52)
    formulas = {ident: plan_formulas(plan)[ident]}
    prov = Provenance(path="s.pq", sha256="0" * 64, synthetic=True, weighted=True,
                      estimator="ratio estimator", replicates=20, seed=5)

    def index(engine: Backend) -> list[tuple[float, float | None, float | None]]:
        estimates = engine.bootstrap(sample, formulas, by=("year",), replicates=20, seed=5)
        observations = to_observations(estimates, plan, prov, ["year"]).observations
        return [(o.value, o.lower, o.upper) for o in sorted(observations, key=lambda o: o.year)]

    got, want = index(bootstrapper), index(DuckDBBackend())
    assert len(got) == 2 and got[1][1] is not None
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, rel=REL), bootstrapper.name
