"""Golden tests: the composite engine against COINr 1.1.14 on its ASEM example.

The reference files are in ``shared/data/asem`` next to the repository (see its README).
Every number of each deterministic file is compared with absolute tolerance 1e-9; a missing
value must be missing on both sides, and the sets of units and columns must be equal.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from mic2025.composite import aggregate as agg
from mic2025.composite import normalise as norm
from mic2025.composite import treat as trt
from mic2025.composite.framework import Framework
from mic2025.composite.pipeline import Build, run_pipeline
from mic2025.composite.table import Table

ASEM = Path(__file__).resolve().parents[2] / "shared" / "data" / "asem"
TOL = 1e-9

pytestmark = pytest.mark.skipif(
    not ASEM.is_dir(), reason=f"COINr golden files not found at {ASEM} (shared/data/asem)"
)


def rows(name: str) -> list[dict[str, str]]:
    with open(ASEM / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def num(text: str) -> float:
    return math.nan if text in ("", "NA") else float(text)


def column(name: str, col: str) -> np.ndarray:
    return np.array([num(r[col]) for r in rows(name)])


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> float:
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, what
    nan_got, nan_want = np.isnan(got), np.isnan(want)
    assert np.array_equal(nan_got, nan_want), f"{what}: missing values differ"
    diff = float(np.max(np.abs(got[~nan_got] - want[~nan_want]), initial=0.0))
    assert diff <= TOL, f"{what}: max abs diff {diff:.3g} > {TOL}"
    return diff


def assert_table(table: Table, name: str, skip: tuple[str, ...] = ("uCode", "uName")) -> None:
    """Every golden cell of ``name`` equals the table's, and units/columns are the same sets."""
    golden = rows(name)
    cols = [c for c in golden[0] if c not in skip]
    assert set(cols) == set(table.columns), f"{name}: columns differ"
    assert {r["uCode"] for r in golden} == set(table.units), f"{name}: units differ"
    for c in cols:
        want = np.array([num(r[c]) for r in golden])
        got = np.array([table.get(r["uCode"], c) for r in golden])
        assert_close(got, want, f"{name}, column {c}")


@pytest.fixture(scope="module")
def asem() -> Framework:
    return Framework.from_coinr(ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv")


V6_STEPS = [
    {"step": "denominate"},
    {"step": "impute", "method": "group_mean", "group": "EurAsia_group"},
    {"step": "screen", "dat_thresh": 0.9},
    {"step": "treat", "winmax": 5},
    {"step": "normalise", "method": "minmax", "l": 0, "u": 100},
    {"step": "aggregate", "method": "amean"},
]


@pytest.fixture(scope="module")
def v6(asem: Framework) -> Build:
    return run_pipeline(asem, V6_STEPS)


# -- normalisers ---------------------------------------------------------------------------
FLIGHTS = "fixture_normalisers_Flights.csv"
TARGET = 200.33265549999999  # iMeta Target of Flights


@pytest.mark.parametrize(
    ("col", "func"),
    [
        ("n_minmax_0_100", lambda x: norm.minmax(x, 0, 100)),
        ("n_zscore_0_1", lambda x: norm.zscore(x, 0, 1)),
        ("n_zscore_10_2", lambda x: norm.zscore(x, 10, 2)),
        ("n_rank_min", lambda x: norm.rank(x, "min")),
        ("n_rank_average", lambda x: norm.rank(x, "average")),
        ("n_borda", norm.borda),
        ("n_prank", norm.percentile_rank),
        ("n_fracmax", norm.fraction_of_max),
        ("n_dist2max", norm.distance_to_max),
        ("n_dist2ref_5", lambda x: norm.distance_to_reference(x, 4)),
        ("n_dist2ref_5_cap", lambda x: norm.distance_to_reference(x, 4, cap=True)),
        ("n_dist2targ", lambda x: norm.distance_to_target(x, TARGET)),
        ("n_dist2targ_cap", lambda x: norm.distance_to_target(x, TARGET, cap=True)),
        ("n_goalposts_0_400_x100", lambda x: norm.goalposts(x, 0, 400, 100)),
        ("n_scaled_0_1000", lambda x: norm.scaled(x, 0, 1000)),
        ("winsorised", lambda x: trt.winsorise(x, winmax=5).values),
        ("log_CT.x", trt.log_ct),
    ],
)
def test_normalisers_match_coinr(col: str, func) -> None:  # type: ignore[no-untyped-def]
    x = column(FLIGHTS, "x")
    assert_close(func(x), column(FLIGHTS, col), col)


def test_target_in_fixture_is_the_imeta_target(asem: Framework) -> None:
    assert column("fixture_Flights_target_skew_kurt.csv", "target_Flights")[0] == TARGET
    assert asem.element("Flights").target == TARGET


def test_skew_and_kurtosis_are_type_2() -> None:
    x = column(FLIGHTS, "x")
    assert_close(np.array([trt.skewness(x)]), column("fixture_Flights_target_skew_kurt.csv",
                                                     "skew"), "skew")
    assert_close(np.array([trt.kurtosis(x)]), column("fixture_Flights_target_skew_kurt.csv",
                                                     "kurt"), "kurt")


# -- aggregators -----------------------------------------------------------------------------
AGG = "fixture_aggregators.csv"


def agg_inputs() -> tuple[np.ndarray, np.ndarray]:
    x = np.column_stack([column(AGG, c) for c in ("I1", "I2", "I3", "I4")])
    return x, column("fixture_aggregators_weights.csv", "w")


@pytest.mark.parametrize(
    ("col", "func"),
    [
        ("a_amean", lambda x, w: agg.arithmetic_mean(x, w)),
        ("a_gmean", lambda x, w: agg.geometric_mean(x, w)),
        ("a_hmean", lambda x, w: agg.harmonic_mean(x, w)),
        # COINr's a_genmean returns NA for a unit with any NA: our "strict" policy
        ("a_genmean_p2", lambda x, w: agg.generalised_mean(x, w, 2, policy="strict")),
        ("a_genmean_pm05", lambda x, w: agg.generalised_mean(x, w, -0.5, policy="strict")),
    ],
)
def test_aggregators_match_coinr(col: str, func) -> None:  # type: ignore[no-untyped-def]
    x, w = agg_inputs()
    assert_close(func(x, w), column(AGG, col), col)


def mean_filled() -> tuple[np.ndarray, np.ndarray]:
    # The fixture's "noNA" Copeland and outranking matrix use the matrix with its one NA
    # replaced by the column mean (checked: any value in (46.767, 93.533) gives this matrix).
    x, w = agg_inputs()
    x = x.copy()
    col_mean = np.nanmean(x, axis=0)
    rr, cc = np.nonzero(np.isnan(x))
    x[rr, cc] = col_mean[cc]
    return x, w


def test_copeland_matches_coinr() -> None:
    x, w = mean_filled()
    assert_close(agg.copeland(x, w), column(AGG, "a_copeland_noNA"), "a_copeland")


def test_outranking_matrix_and_dominance_match_coinr() -> None:
    x, w = mean_filled()
    out = agg.outranking_matrix(x, w)
    golden = rows("fixture_outrank_matrix.csv")
    want = np.array([[num(r[f"U{k}"]) for k in range(1, 7)] for r in golden])
    assert_close(out.matrix, want, "outrank matrix")
    dom = rows("fixture_outrank_dominance.csv")[0]
    assert out.n_dominant == int(num(dom["nDominant"]))
    assert out.frac_dominant == pytest.approx(num(dom["fracDominant"]), abs=TOL)


# -- whole pipelines ---------------------------------------------------------------------
VARIANTS = {
    "v1_minmax_amean": ({"method": "minmax", "l": 0, "u": 100}, "amean"),
    "v2_minmax1_gmean": ({"method": "minmax", "l": 1, "u": 100}, "gmean"),
    "v3_zscore_amean": ({"method": "zscore", "m": 0, "s": 1}, "amean"),
    "v4_minmax1_hmean": ({"method": "minmax", "l": 1, "u": 100}, "hmean"),
}


def assert_results(build: Build, name: str) -> None:
    res = build.results()
    assert_table(res.scores, name, skip=("uCode", "uName", "Rank"))
    golden = rows(name)
    want = np.array([num(r["Rank"]) for r in golden])
    got = np.array([res.ranks.get(r["uCode"], "Index") for r in golden])
    assert np.array_equal(got, want), f"{name}: ranks differ"
    assert [r["uCode"] for r in golden] == [u for u, *_ in res.ordered()]
    assert all(r["uName"] == res.unit_names[res.scores.unit_index(r["uCode"])] for r in golden)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_raw_pipelines_match_coinr(asem: Framework, variant: str) -> None:
    normaliser, aggregator = VARIANTS[variant]
    build = run_pipeline(
        asem, [{"step": "normalise", **normaliser}, {"step": "aggregate", "method": aggregator}]
    )
    assert_table(build.dsets["Normalised"], f"{variant}_normalised.csv")
    assert_table(build.dsets["Aggregated"], f"{variant}_aggregated_full.csv")
    assert_results(build, f"{variant}_results.csv")


@pytest.mark.parametrize(
    ("dset", "file"),
    [
        ("Denominated", "v6_example_denominated.csv"),
        ("Imputed", "v6_example_imputed.csv"),
        ("Screened", "v6_example_screened.csv"),
        ("Treated", "v6_example_treated.csv"),
        ("Normalised", "v6_example_normalised.csv"),
        ("Aggregated", "v6_example_aggregated.csv"),
    ],
)
def test_example_coin_steps_match_coinr(v6: Build, dset: str, file: str) -> None:
    assert_table(v6.dsets[dset], file)


def test_example_coin_results_match_coinr(v6: Build) -> None:
    assert_results(v6, "v6_example_results.csv")


def test_example_coin_full_results_match_coinr(v6: Build) -> None:
    # get_results(tab_type = "Full") is stored with fewer digits (about 12 significant),
    # which is still well inside the tolerance.
    full = v6.dsets["Aggregated"]
    assert_table(full, "v6_example_get_results_full.csv", skip=("uCode", "Rank"))
    golden = rows("v6_example_get_results_full.csv")
    ranks = v6.results().ranks
    assert [num(r["Rank"]) for r in golden] == [ranks.get(r["uCode"], "Index") for r in golden]


def test_example_coin_treatment_details_match_coinr(v6: Build) -> None:
    golden = rows("v6_example_treatment_details.csv")
    assert {r["iCode"] for r in golden} == set(v6.treatment)
    for r in golden:
        t = v6.treatment[r["iCode"]]
        where = f"treatment of {r['iCode']}"
        assert t.passed_before == (r["check_SkewKurt0.Pass"] == "TRUE"), where
        assert_close(np.array([t.skew_before, t.kurt_before]),
                     np.array([num(r["check_SkewKurt0.Skew"]), num(r["check_SkewKurt0.Kurt"])]),
                     where)
        if r["winsorise.nwin"] == "":
            assert t.n_winsorised is None and t.method == "none", where
            continue
        assert t.n_winsorised == int(r["winsorise.nwin"]), where
        assert t.passed_after == (r["check_SkewKurt1.Pass"] == "TRUE"), where
        assert t.method == "winsorise", where
        assert_close(np.array([t.skew_after, t.kurt_after]),
                     np.array([num(r["check_SkewKurt1.Skew"]), num(r["check_SkewKurt1.Kurt"])]),
                     where)


def test_example_coin_treated_points_match_coinr(v6: Build) -> None:
    golden = rows("v6_example_treated_points.csv")  # rows in the order of the treated data
    units = [r["uCode"] for r in rows("v6_example_treated.csv")]
    assert len(golden) == len(units)
    for code in golden[0]:
        t = v6.treatment[code]
        moved = t.moved if t.moved is not None else np.zeros(len(v6.dsets["Treated"].units))
        for unit, r in zip(units, golden, strict=True):
            flag = moved[v6.dsets["Treated"].unit_index(unit)]
            want = {"": 0.0, "winhi": 1.0, "winlo": -1.0}[r[code]]
            assert flag == want, f"treated point {unit}, {code}"


def test_example_coin_screening_summary_matches_coinr(v6: Build) -> None:
    s = v6.screening
    assert s is not None
    golden = rows("v6_example_screening_summary.csv")
    idx = {u: i for i, u in enumerate(s.units)}
    for r in golden:
        i = idx[r["uCode"]]
        got = [s.n_missing[i], s.n_zero[i], s.n_miss_or_zero[i], s.dat_avail[i], s.non_zero[i]]
        want = [num(r[c]) for c in ("N_missing", "N_zero", "N_miss_or_zero", "Dat_Avail",
                                    "Non_Zero")]
        assert_close(np.array(got), np.array(want), f"screening {r['uCode']}")
        assert s.low_data[i] == (r["LowData"] == "TRUE")
        assert s.low_non_zero[i] == (r["LowNonZero"] == "TRUE")
        assert (s.low_data[i] or s.low_non_zero[i]) == (r["LowDatOrZeroFlag"] == "TRUE")
        assert s.included[i] == (r["Included"] == "TRUE")


def test_copeland_pipeline_matches_coinr(asem: Framework) -> None:
    steps = [*V6_STEPS[:-1], {"step": "aggregate", "method": "copeland"}]
    build = run_pipeline(asem, steps)
    assert_table(build.dsets["Aggregated"], "v5_example_copeland_aggregated_full.csv")
    assert_results(build, "v5_example_copeland_results.csv")


def test_example_coin_from_yaml_matches_coinr(asem: Framework, tmp_path: Path) -> None:
    # The declarative form: the ASEM framework, its units inline and the v6 pipeline,
    # written to YAML, read back and run from its own declared steps.
    import yaml

    doc = asem.with_pipeline(V6_STEPS).to_yaml_dict()
    path = tmp_path / "asem.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    build = run_pipeline(Framework.from_yaml(path))
    assert_table(build.dsets["Aggregated"], "v6_example_aggregated.csv")
    assert_results(build, "v6_example_results.csv")


def test_table_csv_output_round_trips(v6: Build, tmp_path: Path) -> None:
    out = tmp_path / "aggregated.csv"
    v6.dsets["Aggregated"].to_csv(out)
    with open(out, newline="", encoding="utf-8") as fh:
        back = list(csv.DictReader(fh))
    table = v6.dsets["Aggregated"]
    assert [r["uCode"] for r in back] == list(table.units)
    for r in back:
        for c in table.columns:
            assert float(r[c]) == table.get(r["uCode"], c)
