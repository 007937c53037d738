"""Weights (AHP, budget allocation, PCA sign checks, YAML wiring) and "back to the data"
explanations (decomposition, strengths and weaknesses, rank changes, what-if)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from mic2025.composite import explain as ex
from mic2025.composite import weights as wt
from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import Framework
from mic2025.composite.pipeline import rank_scores, run_pipeline
from test_composite_golden import ASEM, V6_STEPS

needs_asem = pytest.mark.skipif(not ASEM.is_dir(), reason=f"no COINr files at {ASEM}")


# -- AHP -----------------------------------------------------------------------------------------
def test_ahp_consistent_matrix_gives_the_ratios_back() -> None:
    # built from weights 0.6, 0.3, 0.1: a_ij = w_i / w_j, perfectly consistent
    res = wt.ahp_weights([[1, 2, 6], ["1/2", 1, 3], ["1/6", "1/3", 1]])
    assert np.allclose(res.weights, [0.6, 0.3, 0.1], atol=1e-12)
    assert res.lambda_max == pytest.approx(3.0, abs=1e-12)
    assert res.ci == pytest.approx(0.0, abs=1e-12) and res.cr == pytest.approx(0.0, abs=1e-12)
    assert res.ri == 0.58


def test_ahp_three_by_three_closed_form() -> None:
    # for n = 3, λ_max = 1 + c^(1/3) + c^(-1/3) with c = a13/(a12·a23), and the eigenvector
    # is the normalised row geometric means (hand computation)
    a12, a13, a23 = 3.0, 5.0, 3.0
    res = wt.ahp_weights([[1, a12, a13], [1 / a12, 1, a23], [1 / a13, 1 / a23, 1]])
    c = a13 / (a12 * a23)
    lam = 1 + c ** (1 / 3) + c ** (-1 / 3)
    g = np.array([(a12 * a13) ** (1 / 3), (a23 / a12) ** (1 / 3), (1 / (a13 * a23)) ** (1 / 3)])
    assert res.lambda_max == pytest.approx(lam, abs=1e-12)
    assert np.allclose(res.weights, g / g.sum(), atol=1e-12)
    assert res.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-12)
    assert res.cr == pytest.approx(0.0332, abs=1e-4)


def test_ahp_refuses_inconsistent_and_malformed_matrices() -> None:
    cyclic = [[1, 9, "1/9"], ["1/9", 1, 9], [9, "1/9", 1]]
    with pytest.raises(CompositeError, match=r"CR = \d+\.\d+ > 0.1"):
        wt.ahp_weights(cyclic)
    assert wt.ahp_weights(cyclic, allow_inconsistent=True).cr > 0.1
    with pytest.raises(CompositeError, match="reciprocal"):
        wt.ahp_weights([[1, 2], [2, 1]])
    with pytest.raises(CompositeError, match="square"):
        wt.ahp_weights([[1, 2], [0.5]])
    with pytest.raises(CompositeError, match="fraction"):
        wt.ahp_weights([[1, "two"], [0.5, 1]])


def test_budget_allocation_normalises_points_then_averages() -> None:
    res = wt.budget_weights([[5, 3, 2], [40, 40, 20]])
    assert np.allclose(res.weights, [0.45, 0.35, 0.20])
    assert np.allclose(res.sd, np.std([[0.5, 0.3, 0.2], [0.4, 0.4, 0.2]], axis=0, ddof=1))
    with pytest.raises(CompositeError, match="negative"):
        wt.budget_weights([[1, -1]])
    with pytest.raises(CompositeError, match="no points"):
        wt.budget_weights([[0, 0]])


@needs_asem
def test_pca_weight_with_the_wrong_sign_is_loud() -> None:
    fw = Framework.from_coinr(ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv")
    agg = run_pipeline(fw, V6_STEPS).dsets["Aggregated"]
    with pytest.raises(CompositeError, match="Social"):
        wt.pca_weights(agg, fw, level=2)
    w = wt.pca_weights(agg, fw, level=2, allow_negative=True)
    assert w["Social"] < 0
    assert sum(w[c] for c in fw.children("Sust")) == pytest.approx(1.0)


TINY = {
    "name": {"zh": "小指数", "en": "Tiny index"},
    "units": [
        {"code": "A", "values": {"x1": 1, "x2": 5, "x3": 2, "x4": 9}},
        {"code": "B", "values": {"x1": 4, "x2": 2, "x3": 8, "x4": 3}},
        {"code": "C", "values": {"x1": 7, "x2": 9, "x3": 5, "x4": 6}},
        {"code": "D", "values": {"x1": 3, "x2": 4, "x3": 9, "x4": 1}},
    ],
    "indicators": [
        {"code": "x1", "name": {"zh": "甲", "en": "one"}, "parent": "P1"},
        {"code": "x2", "parent": "P1"},
        {"code": "x3", "parent": "P2"},
        {"code": "x4", "parent": "P2", "direction": -1},
    ],
    "aggregates": [
        {"code": "P1", "parent": "Index"}, {"code": "P2", "parent": "Index"},
        {"code": "Index"},
    ],
    "pipeline": [{"step": "normalise", "method": "minmax", "l": 0, "u": 100},
                 {"step": "aggregate", "method": "amean"}],
}


def write(tmp_path: Path, doc: dict) -> Path:  # type: ignore[type-arg]
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_yaml_weights_section_sets_element_weights(tmp_path: Path) -> None:
    doc = dict(TINY, weights=[
        {"method": "ahp", "parent": "Index", "matrix": [[1, 3], ["1/3", 1]]},
        {"method": "budget", "parent": "P2", "members": ["x4", "x3"],
         "allocations": [[30, 70], [10, 90]]},
        {"method": "fixed", "values": {"x1": 2}},
    ])
    fw = Framework.from_yaml(write(tmp_path, doc))
    assert fw.element("P1").weight == pytest.approx(0.75)
    assert fw.element("P2").weight == pytest.approx(0.25)
    assert fw.element("x4").weight == pytest.approx(0.2)
    assert fw.element("x3").weight == pytest.approx(0.8)
    assert fw.element("x1").weight == 2.0 and fw.element("x2").weight == 1.0
    assert fw.labels == {"zh": "小指数", "en": "Tiny index"}
    assert fw.element("x1").label("zh") == "甲" and fw.element("x2").label("zh") == "x2"


def test_yaml_weight_errors_name_the_place(tmp_path: Path) -> None:
    bad = dict(TINY, weights=[{"method": "ahp", "parent": "Index",
                               "matrix": [[1, 3], [3, 1]]}])
    with pytest.raises(CompositeError, match=r"weights\[1\]"):
        Framework.from_yaml(write(tmp_path, bad))
    bad = dict(TINY, weights=[{"method": "ahp", "parent": "P1", "members": ["x1", "x9"],
                               "matrix": [[1, 3], ["1/3", 1]]}])
    with pytest.raises(CompositeError, match="exactly the members"):
        Framework.from_yaml(write(tmp_path, bad))
    bad = dict(TINY, weights=[{"method": "magic"}])
    with pytest.raises(CompositeError, match="'method' one of"):
        Framework.from_yaml(write(tmp_path, bad))


def test_yaml_pca_weights_are_derived_at_build_time(tmp_path: Path) -> None:
    doc = dict(TINY, weights=[{"method": "pca", "level": 1, "allow_negative": True}])
    fw = Framework.from_yaml(write(tmp_path, doc))
    build = run_pipeline(fw)
    assert set(build.data_weights) == {"x1", "x2", "x3", "x4"}
    assert build.data_weights["x1"] + build.data_weights["x2"] == pytest.approx(1.0)
    assert any("PCA" in n for n in build.notes)
    doc = dict(TINY, weights=[{"method": "pca", "level": 1}])
    assert run_pipeline(Framework.from_yaml(write(tmp_path, doc))).data_weights
    # x2 moving against x1 within P1: one loading must be negative
    doc["units"] = [dict(u, values=dict(u["values"], x2=10 - u["values"]["x1"] + 0.1 * k))
                    for k, u in enumerate(TINY["units"])]
    with pytest.raises(CompositeError, match="negative loading"):
        run_pipeline(Framework.from_yaml(write(tmp_path, doc)))


def test_structure_only_framework_refuses_to_build(tmp_path: Path) -> None:
    doc = {k: v for k, v in TINY.items() if k != "units"}
    fw = Framework.from_yaml(write(tmp_path, doc))
    assert fw.units == ()
    with pytest.raises(CompositeError, match="structure-only"):
        run_pipeline(fw)


# -- decomposition -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def asem() -> Framework:
    return Framework.from_coinr(ASEM / "ASEM_iData.csv", ASEM / "ASEM_iMeta.csv")


@needs_asem
def test_arithmetic_decomposition_is_exact(asem: Framework) -> None:
    build = run_pipeline(asem, [
        *V6_STEPS[:4],
        {"step": "normalise", "method": "minmax", "l": 0, "u": 100},
        {"step": "aggregate", "method": "amean",
         "weights": {"Conn": 2.0, "Physical": 3.0, "LPI": 0.5}}])
    dec = ex.decompose(build)
    assert dec.space == "linear"
    assert np.max(np.abs(dec.total() - dec.scores)) < 1e-9
    assert np.allclose(dec.effective_weights.values.sum(axis=1), 1.0)
    # pillar contributions = the pillars' own share of the index times their score
    assert np.allclose(dec.by_aggregate.select(["Conn", "Sust"]).values.sum(axis=1),
                       dec.scores)


@needs_asem
def test_decomposition_with_missing_values_renormalises_per_unit(asem: Framework) -> None:
    build = run_pipeline(asem, [{"step": "normalise", "method": "minmax", "l": 0, "u": 100},
                                {"step": "aggregate", "method": "amean"}])
    dec = ex.decompose(build)
    assert np.isnan(build.dsets["Normalised"].values).any()
    assert np.max(np.abs(dec.total() - dec.scores)) < 1e-9


@needs_asem
def test_geometric_decomposition_is_exact_in_logs(asem: Framework) -> None:
    build = run_pipeline(asem, [
        *V6_STEPS[:4],
        {"step": "normalise", "method": "minmax", "l": 1, "u": 100},
        {"step": "aggregate", "method": "gmean"}])
    dec = ex.decompose(build)
    assert dec.space == "log"
    assert np.max(np.abs(np.exp(dec.total()) - dec.scores)) < 1e-9


@needs_asem
def test_mixed_aggregators_are_refused(asem: Framework) -> None:
    build = run_pipeline(asem, [
        *V6_STEPS[:4],
        {"step": "normalise", "method": "minmax", "l": 1, "u": 100},
        {"step": "aggregate", "method": "amean", "by_level": {4: "gmean"}}])
    with pytest.raises(CompositeError, match="additively"):
        ex.decompose(build)


@needs_asem
def test_strengths_and_weaknesses(asem: Framework) -> None:
    build = run_pipeline(asem, V6_STEPS)
    best, worst = ex.strengths_weaknesses(build, "CHE", k=3)
    norm = build.dsets["Normalised"]
    i = norm.unit_index("CHE")
    ranks = {c: rank_scores(norm.column(c))[i] for c in norm.columns}
    assert [b.rank for b in best] == sorted(ranks.values())[:3]
    assert [w.rank for w in worst] == sorted(ranks.values(), reverse=True)[:3]
    assert best[0].value == build.dsets["Raw"].get("CHE", best[0].code)


@needs_asem
def test_explain_change_between_two_builds(asem: Framework) -> None:
    before = run_pipeline(asem, V6_STEPS)
    values = np.array(asem.data.values)
    j = asem.data.column_index("Flights")
    values[asem.data.unit_index("AUS"), j] *= 3.0
    after = run_pipeline(asem.with_data(asem.data.replace(values)), V6_STEPS)
    ch = ex.explain_change(before, after, "AUS")
    assert abs(ch.residual) < 1e-9
    assert ch.drivers[0][0] == "Flights" and ch.drivers[0][3] > 0
    assert ch.score_after > ch.score_before and ch.rank_after <= ch.rank_before


@needs_asem
def test_what_if_raises_the_score_of_a_positive_indicator(asem: Framework) -> None:
    res = ex.what_if(asem, "AUS", "Flights", 0.10, steps=V6_STEPS)
    assert res.value_after == pytest.approx(res.value_before * 1.1)
    assert res.score_after > res.score_before
    values = np.array(asem.data.values)
    values[asem.data.unit_index("AUS"), asem.data.column_index("Flights")] *= 1.1
    manual = run_pipeline(asem.with_data(asem.data.replace(values)), V6_STEPS).results()
    assert res.score_after == pytest.approx(manual.scores.get("AUS", "Index"), abs=1e-12)
    assert res.rank_after == manual.ranks.get("AUS", "Index")
    with pytest.raises(CompositeError, match="aggregate"):
        ex.what_if(asem, "AUS", "Conn", steps=V6_STEPS)
