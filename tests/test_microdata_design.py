"""Replicate weights stored with the sample: layout, belonging, and the same numbers as a draw."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.microdata.adjust import adjust_for_nonresponse
from mic2025.microdata.design import (
    CERTAIN,
    DesignMismatch,
    ReplicateDesign,
    design_units,
    read_design,
    replicate_design,
    replicates_path,
    write_design,
)
from mic2025.microdata.engine import EngineError
from mic2025.microdata.generate import draw_sample, generate_population, simulate_nonresponse
from mic2025.microdata.replicates import bootstrap_matrix
from mic2025.microdata.variance import bootstrap, rao_wu_weights
from microdata_support import one_province

FORMULAS = {
    "rd_intensity": "sum(rd_expenditure) / sum(revenue) * 100",
    "nc_rate": "mean(key_processes_nc / key_processes) * 100",
    "digital": "count_if(digital_design_tools > 0) / count() * 100",
    "total": "sum(revenue)",
}


@pytest.fixture(scope="module")
def sample() -> pa.Table:
    pop = generate_population(3_000, years=[2019, 2020], seed=51)
    return simulate_nonresponse(draw_sample(pop, 400, seed=52), seed=53)


def _same(got: pa.Table, want: pa.Table, rel: float = 0.0) -> None:
    assert got.column_names == want.column_names
    for g, w in zip(got.to_pylist(), want.to_pylist(), strict=True):
        for k, v in w.items():
            if isinstance(v, float) and rel:  # an SE near 0 is rounding noise of the estimate
                floor = rel * abs(w["estimate"] or 1.0)
                assert g[k] == pytest.approx(v, rel=rel, abs=floor), (k, w)
            else:
                assert g[k] == v, (k, w)


def test_layout_round_trip(sample: pa.Table, tmp_path: Path) -> None:
    design = replicate_design(sample, 40, seed=9)
    units = design_units(sample)
    assert units.num_rows == design.units == int(np.sum(sample.column("responding")))
    assert design.r.shape == (units.num_rows, 40) and design.r.dtype == np.int8
    path = write_design(design, units, replicates_path(tmp_path / "sample.parquet"),
                        sample_metadata=sample.schema.metadata)
    assert path.name == "sample_replicates.parquet"
    table = pq.read_table(path)
    assert table.column_names == ["enterprise_id", "year", "stratum", "lambda", "scale",
                                  "vstratum", "role", "r"]
    assert table.schema.field("r").type == pa.binary(40)
    meta = table.schema.metadata
    assert meta[b"mic2025.synthetic"] == b"true"
    assert meta[b"mic2025.replicates.seed"] == b"9"
    assert meta[b"mic2025.replicates.fingerprint"].decode() == design.fingerprint
    back = read_design(path)
    assert np.array_equal(back.r, design.r) and back.fingerprint == design.fingerprint
    assert np.array_equal(back.lam, design.lam) and np.array_equal(back.scale, design.scale)
    assert (back.seed, back.fpc, back.replicates) == (9, True, 40)
    # the weights are w(1 − λ) + wλ(n/m)·r: the same numbers as the classic replicate weights
    h = np.char.add(np.char.add(units.column("year").to_numpy().astype(str), "|"),
                    np.asarray(units.column("stratum").to_pylist(), dtype=str))
    w = units.column("design_weight").to_numpy()
    classic = rao_wu_weights(h, w, 40, stratum_size=units.column("stratum_size").to_numpy(),
                             seed=9).weights
    a, b = back.parts(w)
    assert np.array_equal(classic, (a[:, None] + b[:, None] * back.r).T)


def test_wide_multiplicities_round_trip(tmp_path: Path) -> None:
    units = pa.table({"enterprise_id": ["a", "b"], "year": [2020, 2020], "stratum": ["s", "s"]})
    r = np.array([[0, 300, 2], [2, -1, 0]], dtype=np.int16)  # int16 when a count exceeds 127
    design = ReplicateDesign(r, np.ones(2), np.full(2, 2.0), 1, False, 0, "f" * 64)
    back = read_design(write_design(design, units, tmp_path / "x_replicates.parquet"))
    assert back.r.dtype == np.int16 and np.array_equal(back.r, r)


def test_stored_weights_reproduce_the_draw(sample: pa.Table, tmp_path: Path) -> None:
    """The same seed over the same units: stored and on-the-fly estimates are identical, on
    both routes, after non-response adjustment (the design covers the respondents)."""
    design = read_design(write_design(replicate_design(sample, 30, seed=9),
                                      design_units(sample), tmp_path / "r.parquet"))
    adjusted = adjust_for_nonresponse(sample)
    for by in [("year",), ("year", "size_class")]:
        stored = bootstrap_matrix(adjusted, FORMULAS, by=by, design=design)
        drawn = bootstrap_matrix(adjusted, FORMULAS, by=by, replicates=30, seed=9)
        _same(stored, drawn)
        join_stored = bootstrap(adjusted, FORMULAS, by=by, design=design)
        _same(join_stored, bootstrap(adjusted, FORMULAS, by=by, replicates=30, seed=9))
        _same(stored, join_stored, rel=1e-9)  # the fast route equals the join


def test_full_response_sample_from_parquet(sample: pa.Table, tmp_path: Path) -> None:
    full = sample.drop_columns(["responding"])
    path = tmp_path / "full.parquet"
    pq.write_table(full, path)
    design = replicate_design(full, 12, seed=4)
    assert design.units == full.num_rows
    _same(bootstrap_matrix(path, FORMULAS, design=design),
          bootstrap_matrix(path, FORMULAS, replicates=12, seed=4))


def test_a_design_of_another_sample_is_refused(sample: pa.Table) -> None:
    adjusted = adjust_for_nonresponse(sample)
    design = replicate_design(sample, 10, seed=1)
    other = replicate_design(simulate_nonresponse(sample, seed=99), 10, seed=1)
    for route in (bootstrap_matrix, bootstrap):
        with pytest.raises(DesignMismatch, match="do not belong to this sample"):
            route(adjusted, FORMULAS, design=other)
        # rows in another order
        reordered = adjusted.take(pa.array(np.arange(adjusted.num_rows)[::-1]))
        with pytest.raises(DesignMismatch, match="re-sorted"):
            route(reordered, FORMULAS, design=design)
        # the same units with another stratum
        strata = adjusted.column("stratum").cast(pa.string()).to_pylist()
        strata[0] = strata[1] if strata[1] != strata[0] else "elsewhere"
        moved = adjusted.set_column(adjusted.schema.get_field_index("stratum"), "stratum",
                                    pa.array(strata))
        with pytest.raises(DesignMismatch):
            route(moved, FORMULAS, design=design)
        # the whole sample instead of its respondents
        with pytest.raises(DesignMismatch, match="units"):
            route(sample.drop_columns(["responding"]), FORMULAS, design=design)
        with pytest.raises(EngineError, match="'enterprise_id'"):
            route(adjusted.drop_columns(["enterprise_id"]), FORMULAS, design=design)


def test_cli_generate_stores_and_estimate_uses_the_design(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    run = CliRunner().invoke(main, ["microdata", "generate", "--out", str(out),
                                    "--enterprises", "2000", "--years", "2015-2016",
                                    "--sample", "300", "--seed", "4", "--replicates", "25"])
    assert run.exit_code == 0, run.output
    reps = out / "sample_replicates.parquet"
    assert reps.exists() and "sample_replicates.parquet" in run.stdout
    assert read_design(reps).replicates == 25 and read_design(reps).seed == 7

    def estimate(*extra: str) -> dict[str, object]:
        res = CliRunner().invoke(main, ["microdata", "estimate", str(out / "sample.parquet"),
                                        "--format", "json", *extra])
        assert res.exit_code == 0, res.output
        return {"stderr": res.stderr, **json.loads(res.stdout)}

    stored = estimate()
    assert "25 stored with the sample" in str(stored["stderr"]) and stored["replicates"] == 25
    drawn = estimate("--replicate-weights", "none", "--replicates", "25", "--seed", "7")
    assert stored["estimates"] == drawn["estimates"]
    explicit = estimate("--replicate-weights", str(reps))
    assert explicit["estimates"] == stored["estimates"]
    # fewer replicates: the first ones, which are what a draw of that size makes
    fewer = estimate("--replicates", "10")
    assert fewer["estimates"] == estimate("--replicate-weights", "none", "--replicates", "10",
                                          "--seed", "7")["estimates"]
    for extra in (["--replicates", "30"], ["--seed", "8"]):
        bad = CliRunner().invoke(main, ["microdata", "estimate", str(out / "sample.parquet"),
                                        *extra])
        assert bad.exit_code == 2 and "--replicate-weights none" in bad.stderr
    # a design of another sample next to this one: a clear error, exit 2
    other = tmp_path / "other"
    CliRunner().invoke(main, ["microdata", "generate", "--out", str(other), "--enterprises",
                              "2000", "--years", "2015-2016", "--sample", "300", "--seed", "5",
                              "--replicates", "25"])
    mixed = CliRunner().invoke(main, ["microdata", "estimate", str(out / "sample.parquet"),
                                      "--replicate-weights",
                                      str(other / "sample_replicates.parquet")])
    assert mixed.exit_code == 2 and "do not belong to this sample" in mixed.stderr


def test_cli_replicates_makes_the_design_of_an_existing_sample(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    run = CliRunner().invoke(main, ["microdata", "generate", "--out", str(out),
                                    "--enterprises", "1500", "--years", "2020",
                                    "--sample", "200", "--seed", "2", "--replicates", "12"])
    assert run.exit_code == 0, run.output
    made = CliRunner().invoke(main, ["microdata", "replicates", str(out / "sample.parquet"),
                                     "--replicates", "12", "--seed", "5",
                                     "--out", str(tmp_path / "again.parquet")])
    assert made.exit_code == 0, made.output
    assert "12 Rao–Wu replicate weights" in made.stdout
    # the same seed as generate's (--seed + 3) gives the same file content
    assert np.array_equal(read_design(tmp_path / "again.parquet").r,
                          read_design(out / "sample_replicates.parquet").r)
    bad = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"year": [2020]}), bad)
    refused = CliRunner().invoke(main, ["microdata", "replicates", str(bad)])
    assert refused.exit_code == 3, refused.output


def test_certainty_units_are_not_resampled(tmp_path: Path) -> None:
    # in one province, so that the certainty rule keeps its cut (see microdata_support)
    pop = one_province(generate_population(3_000, years=[2019, 2020], seed=51))
    full = draw_sample(pop, 400, seed=52, certainty_cv="auto")
    certain = np.char.endswith(np.asarray(full.column("stratum").cast(pa.string())
                                          .to_pylist(), dtype=str), "|certain")
    assert certain.sum() >= 20
    assert (full.column("inclusion_probability").to_numpy()[certain] == 1.0).all()
    design = replicate_design(full, 30, seed=8)
    weights = full.column("design_weight").to_numpy()
    a, c = design.parts(weights)
    replicate = a[:, None] + c[:, None] * design.r
    assert design.role is not None and (design.role[certain] == CERTAIN).all()
    assert (design.lam[certain] == 0.0).all()
    # every replicate gives a certainty unit its full-sample weight, 1
    assert (replicate[certain] == 1.0).all()
    assert (replicate[~certain].std(axis=1) > 0).any()
    path = write_design(design, design_units(full), tmp_path / "full_replicates.parquet")
    assert (read_design(path).role[certain] == CERTAIN).all()
    # with non-response the respondents carry the stratum (weight N_h/n_r); a certainty
    # stratum that responded whole is still not resampled, one with non-respondents varies
    # only by its response: λ = sqrt(1 - n_r/N_h), the Rao–Wu fpc of the respondents
    # (small enterprises all respond here, so that the small certainty strata respond whole
    # and the medium ones partly: certainty strata are large in a province this size)
    responding = simulate_nonresponse(full, {"small": 1.0}, seed=53)
    responded = adjust_for_nonresponse(responding)
    design = replicate_design(responding, 30, seed=8)
    strata = np.asarray(responded.column("stratum").cast(pa.string()).to_pylist(), dtype=str)
    big_n = responded.column("stratum_size").to_numpy()
    weight = responded.column("design_weight").to_numpy()
    years = responded.column("year").to_numpy()
    seen = {"whole": 0, "partly": 0}
    for key in set(zip(years.tolist(), strata.tolist(), strict=True)):
        if not key[1].endswith("|certain"):
            continue
        members = (years == key[0]) & (strata == key[1])
        n_r, n_h = int(members.sum()), int(big_n[members][0])
        assert np.allclose(weight[members], n_h / n_r, rtol=1e-12)
        if n_r == n_h:
            seen["whole"] += 1
            assert (design.lam[members] == 0.0).all()
            assert (design.role[members] == CERTAIN).all()
        elif n_r >= 2 and (design.vstratum == design.vstratum[members][0]).sum() == n_r:
            # (a stratum that took in a collapsed singleton has the pair's n and N instead)
            seen["partly"] += 1
            assert np.allclose(design.lam[members], np.sqrt(1 - n_r / n_h), rtol=1e-12)
    assert seen["whole"] and seen["partly"]
