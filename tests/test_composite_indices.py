"""The plan's index definition files load, have the documented structure, and the provincial
index builds on SYNTHETIC demo data."""

from __future__ import annotations

import numpy as np
import pytest

from mic2025.composite import demo, indices
from mic2025.composite.analysis import effective_weights
from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import Framework
from mic2025.composite.pipeline import run_pipeline
from mic2025.composite.table import Table


def test_all_bundled_definitions_load() -> None:
    assert indices.available() == ("manufacturing_power", "provincial_mic2025",
                                   "quality_competitiveness")
    for name in indices.available():
        fw = indices.load(name)
        assert fw.units == ()
        assert fw.labels["zh"] and fw.labels["en"]
        for e in fw.elements:
            assert e.labels.get("zh") and e.labels.get("en"), (name, e.code)
        assert fw.about.get("status")
    with pytest.raises(CompositeError, match="available"):
        indices.path("nope")


def test_quality_competitiveness_structure_2_6_12() -> None:
    fw = indices.load("quality_competitiveness")
    assert fw.at_level(4) == ("QCI",)
    assert fw.children("QCI") == ("quality_level", "development_capability")
    assert len(fw.at_level(2)) == 6 and len(fw.indicators) == 12
    assert all(len(fw.children(c)) == 2 for c in fw.at_level(2))
    assert [c for c in fw.indicators if fw.element(c).direction == -1] == ["quality_loss_rate"]
    assert "equal" in fw.about["weights"]["en"].lower()
    eff = effective_weights(fw)
    assert all(eff[c] == pytest.approx(1 / 12) for c in fw.indicators)


def test_manufacturing_power_weights_and_unknowns() -> None:
    fw = indices.load("manufacturing_power")
    w = {c: fw.element(c).weight for c in fw.children("MPI")}
    assert w == {"scale": 19.51, "quality_efficiency": 29.31, "structure": 28.05,
                 "sustainability": 23.13}
    assert sum(w.values()) == pytest.approx(100.0)
    assert len(fw.indicators) + len(fw.about["unknown_indicators"]) == 18
    assert fw.element("energy_per_mva").direction == -1
    assert "secondary" in fw.about["weights"]["en"].lower()
    assert fw.about["computable"].startswith("no")
    with pytest.raises(CompositeError, match="structure-only"):
        run_pipeline(fw)


def test_manufacturing_power_builds_with_user_data() -> None:
    fw = indices.load("manufacturing_power")
    rng = np.random.default_rng(0)
    units = ("CHN", "USA", "DEU", "JPN", "KOR")
    user = fw.with_units(Table(units, fw.indicators, rng.uniform(1, 10, (5, 15))))
    res = run_pipeline(user).results()
    assert res.scores.units == units and not np.isnan(res.scores.column("MPI")).any()


def test_provincial_index_builds_on_synthetic_demo_data() -> None:
    fw = demo.provincial_demo(n_enterprises=20_000, seed=3)
    assert fw.name.startswith("SYNTHETIC")
    assert fw.about["synthetic"] is True and "SYNTHETIC" in fw.about["data"]
    assert "generate_population" in fw.about["data_source"]
    assert len(fw.units) == 31 and fw.units[0] == "110000"
    assert set(fw.groups["region"]) == {"East", "Central", "West", "Northeast"}
    assert not np.isnan(fw.data.values).any()
    res = run_pipeline(fw).results()
    scores = res.scores.column("Index")
    assert np.all((scores >= 0) & (scores <= 100))
    assert sorted(res.ranks.column("Index").tolist()) == list(range(1, 32))
    # the same seed gives the same data
    again = demo.provincial_demo(n_enterprises=20_000, seed=3)
    assert np.array_equal(again.data.values, fw.data.values)


def test_provincial_demo_numpy_fallback_is_labelled_too() -> None:
    fw = demo.provincial_demo(seed=1, use_microdata=False)
    assert fw.name.startswith("SYNTHETIC") and "numpy fallback" in fw.about["data_source"]
    assert isinstance(fw, Framework) and len(fw.units) == 31
    run_pipeline(fw).results()
