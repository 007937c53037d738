"""Analysis functions against COINr 1.1.14 outputs on the ASEM example coin (v6).

Some golden files were written by COINr after rounding; those are compared after applying
the same rounding to our full-precision values, then with tolerance 1e-9:
``stats_raw.csv`` (``get_stats`` rounds to 3 significant digits with R's ``signif``),
``pca_level2_variance.csv`` (``summary.prcomp`` rounds PropVar and CumProp to 5 decimals;
SD is exact) and ``corr_flags_high075.csv`` (3 decimals).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mic2025.composite import analysis as an
from mic2025.composite.framework import Framework
from mic2025.composite.pipeline import Build, run_pipeline
from test_composite_golden import ASEM, TOL, V6_STEPS, num, rows

pytestmark = pytest.mark.skipif(
    not ASEM.is_dir(), reason=f"COINr golden files not found at {ASEM} (shared/data/asem)"
)


def r_signif(x: float, digits: int) -> float:
    """R's ``signif`` (src/nmath/fprec.c): scale by a power of ten in double, round half even.

    Python's correctly rounded formatting differs on binary ties: R gives
    ``signif(9.205, 3) == 9.2`` because ``9.205 * 100`` is 920.4999… in double precision.
    """
    if x == 0 or not math.isfinite(x):
        return x
    e10 = digits - 1 - math.floor(math.log10(abs(x)))
    if e10 > 0:
        p = 10.0**e10
        return float(np.rint(x * p) / p)
    p = 10.0 ** (-e10)
    return float(np.rint(x / p) * p)


@pytest.fixture(scope="module")
def asem() -> Framework:
    return Framework.from_coinr(ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv")


@pytest.fixture(scope="module")
def v6(asem: Framework) -> Build:
    return run_pipeline(asem, V6_STEPS)


NUMERIC_STATS = {
    "Min": "min", "Max": "max", "Mean": "mean", "Median": "median", "Std": "std",
    "Skew": "skew", "Kurt": "kurt", "N.Avail": "n_avail", "N.NonZero": "n_nonzero",
    "N.Unique": "n_unique", "N.Same": "n_same", "Frc.Avail": "frc_avail",
    "Frc.NonZero": "frc_nonzero", "Frc.Unique": "frc_unique", "Frc.Same": "frc_same",
}
FLAGS = {"Flag.Avail": "flag_avail", "Flag.NonZero": "flag_nonzero",
         "Flag.Unique": "flag_unique", "Flag.SkewKurt": "flag_skewkurt"}


def test_stats_raw_match_coinr(asem: Framework) -> None:
    stats = {s.code: s for s in an.indicator_stats(asem.data)}
    golden = rows("stats_raw.csv")
    assert [r["iCode"] for r in golden] == list(stats)
    for r in golden:
        s = stats[r["iCode"]]
        for col, attr in NUMERIC_STATS.items():
            got = r_signif(float(getattr(s, attr)), 3)
            assert abs(got - num(r[col])) <= TOL, f"{r['iCode']} {col}: {got} vs {r[col]}"
        for col, attr in FLAGS.items():
            assert getattr(s, attr) == r[col], f"{r['iCode']} {col}"


def test_effective_weights_match_coinr(asem: Framework) -> None:
    eff = an.effective_weights(asem)
    golden = rows("effective_weights.csv")
    assert {r["iCode"] for r in golden} == set(eff)
    for r in golden:
        assert abs(eff[r["iCode"]] - num(r["EffWeight"])) <= TOL, r["iCode"]
        assert asem.element(r["iCode"]).level == int(r["Level"])
        assert asem.element(r["iCode"]).weight == num(r["Weight"])


def test_indicator_parent_correlations_match_coinr(v6: Build, asem: Framework) -> None:
    got = {(p, c): v for p, c, v in an.correlation_with_parent(v6.dsets["Aggregated"], asem)}
    golden = rows("corr_ind_vs_parent_pearson.csv")
    assert {(r["Var1"], r["Var2"]) for r in golden} == set(got)
    for r in golden:
        assert abs(got[(r["Var1"], r["Var2"])] - num(r["Correlation"])) <= TOL


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_pillar_correlation_matrices_match_coinr(v6: Build, method: str) -> None:
    golden = rows(f"corr_pillars_{method}.csv")
    cols = [c for c in golden[0] if c != "iCode"]
    assert [r["iCode"] for r in golden] == cols
    mat = an.correlation_matrix(v6.dsets["Aggregated"], cols, method)
    want = np.array([[num(r[c]) for c in cols] for r in golden])
    assert float(np.max(np.abs(mat - want))) <= TOL


def test_high_correlation_flags_match_coinr(v6: Build, asem: Framework) -> None:
    flags = an.correlation_flags(v6.dsets["Normalised"], asem, 0.75, "high")
    got = {(g, frozenset((a, b))): round(r, 3) for g, a, b, r in flags}
    golden = rows("corr_flags_high075.csv")
    want = {(r["Group"], frozenset((r["Ind1"], r["Ind2"]))): num(r["Corr"]) for r in golden}
    assert set(got) == set(want)
    for key, value in want.items():
        assert abs(got[key] - value) <= TOL


def test_cronbach_alpha_matches_coinr(v6: Build, asem: Framework) -> None:
    norm, agg = v6.dsets["Normalised"], v6.dsets["Aggregated"]
    got = {
        "all_indicators": an.cronbach_alpha(norm.values),
        "pillars": an.cronbach_alpha(agg.select(asem.at_level(2)).values),
    }
    for pillar in asem.at_level(2):
        got[pillar] = an.cronbach_alpha(norm.select(asem.children(pillar)).values)
    golden = rows("cronbach_alpha.csv")
    assert {r["Set"] for r in golden} == set(got)
    for r in golden:
        assert abs(got[r["Set"]] - num(r["alpha"])) <= TOL, r["Set"]


def test_pca_weights_and_variance_match_coinr(v6: Build, asem: Framework) -> None:
    results = an.pca(v6.dsets["Aggregated"], asem, level=2)
    weights = {c: w for res in results for c, w in zip(res.members, res.weights, strict=True)}
    for r in rows("pca_weights_level2.csv"):
        assert abs(weights[r["iCode"]] - num(r["Weight"])) <= TOL, r["iCode"]
    by_group = {res.group: res for res in results}
    for r in rows("pca_level2_variance.csv"):
        res = by_group[r["Group"]]
        k = int(r["PC"][2:]) - 1
        assert abs(res.sd[k] - num(r["SD"])) <= TOL
        assert abs(round(float(res.prop_var[k]), 5) - num(r["PropVar"])) <= TOL
        assert abs(round(float(res.cum_prop[k]), 5) - num(r["CumProp"])) <= TOL


def test_leave_one_pillar_out_matches_coinr(v6: Build, asem: Framework) -> None:
    got = an.remove_elements(v6.dsets["Normalised"], asem, level=2, method="amean")
    golden = rows("remove_pillars_mean_abs_rank_diff.csv")
    assert {r["Removed"] for r in golden} == set(got)
    for r in golden:
        assert abs(got[r["Removed"]] - num(r["MeanAbsRankDiff"])) <= TOL, r["Removed"]


def test_correlation_handles_missing_pairs_and_bad_method() -> None:
    x = [1.0, 2.0, np.nan, 4.0, 5.0]
    y = [2.0, 4.0, 1.0, 8.0, np.nan]
    assert an.correlation(x, y) == pytest.approx(1.0)
    assert an.correlation(x, y, "spearman") == pytest.approx(1.0)
    with pytest.raises(an.CompositeError):
        an.correlation(x, y, "kendall")
