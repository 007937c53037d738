"""Benchmark: vectorised uncertainty/sensitivity engine against a per-replication loop.

    .venv/bin/python benchmarks/composite.py [--replications 10000] [--loop 200] [--sa-n 1000]

The index is SYNTHETIC (random data made here, not statistics): 31 units, 20 indicators,
three levels (20 indicators -> 5 pillars -> Index), pipeline treat (JRC rule) -> normalise ->
aggregate. Four uncertain inputs, as in COINr's example: winsorisation limit 1-5, min-max
[1, 100] or z-score (10, 2), noisy weights (+/-25 % on pillars and indicators, a bank of
100 sets), arithmetic or geometric mean.

* Uncertainty analysis: ``--replications`` runs with the vectorised engine; the loop (one
  full ``run_pipeline`` per replication) runs only the first ``--loop`` of the same
  replications and its time is SCALED linearly to the full count — said in the output.
* Sobol analysis: N = ``--sa-n`` (N(d+2) runs) with the vectorised engine, the loop's time
  again extrapolated from its measured rate.
* Both engines must give the same scores (max abs difference) and ranks on the common subset.

No assertion on time: this is a script, not a test. The goal is a speed-up of at least 20x.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# this directory holds other benchmark scripts whose names may shadow standard modules (a
# `platform.py` would break numpy's import): look modules up from the source tree instead
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent / "src"))

import numpy as np  # noqa: E402

from mic2025.composite import uncertainty as ua  # noqa: E402
from mic2025.composite.framework import AGGREGATE, INDICATOR, Element, Framework  # noqa: E402
from mic2025.composite.table import Table  # noqa: E402


def synthetic_framework(seed: int = 0, n_units: int = 31, n_ind: int = 20,
                        n_pillars: int = 5) -> Framework:
    """A SYNTHETIC three-level index: correlated, mildly skewed indicators."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(n_units)
    data = np.empty((n_units, n_ind))
    for j in range(n_ind):
        z = 0.6 * latent + 0.8 * rng.standard_normal(n_units)
        data[:, j] = np.exp(0.5 * z) * 10 if j % 4 == 0 else 50 + 10 * z  # some skew
    for j in (0, 4, 8):  # a few outliers for the treatment to find, some needing several steps
        top = np.argsort(data[:, j])[-3:]
        data[top, j] *= np.array([3.0, 5.0, 9.0])
    elements = []
    per = n_ind // n_pillars
    for j in range(n_ind):
        elements.append(Element(f"x{j + 1:02d}", f"indicator {j + 1}", 1, INDICATOR,
                                f"P{j // per + 1}", weight=float(rng.uniform(0.5, 1.5)),
                                direction=-1 if j % 7 == 3 else 1))
    for p in range(n_pillars):
        elements.append(Element(f"P{p + 1}", f"pillar {p + 1}", 2, AGGREGATE, "Index"))
    elements.append(Element("Index", "SYNTHETIC index", 3, AGGREGATE, None))
    units = tuple(f"U{i + 1:02d}" for i in range(n_units))
    codes = tuple(e.code for e in elements if e.kind == INDICATOR)
    return Framework("SYNTHETIC benchmark index", tuple(elements), Table(units, codes, data),
                     units)


STEPS = [{"step": "treat", "winmax": 5},
         {"step": "normalise", "method": "minmax", "l": 0, "u": 100},
         {"step": "aggregate", "method": "amean"}]


def inputs() -> list[ua.Input]:
    return [ua.winmax_choice((1, 2, 3, 4, 5)),
            ua.normaliser_choice([{"method": "minmax", "l": 1, "u": 100},
                                  {"method": "zscore", "m": 10, "s": 2}]),
            ua.WeightNoise("Weights", (1, 2), 0.25, 100),
            ua.aggregator_choice(("amean", "gmean"))]


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=10_000)
    ap.add_argument("--loop", type=int, default=200, help="replications run by the loop")
    ap.add_argument("--sa-n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    fw = synthetic_framework(args.seed)
    print("SYNTHETIC benchmark data (random, not statistics): "
          f"{len(fw.units)} units, {len(fw.indicators)} indicators, "
          f"{len(fw.at_level(2))} pillars, {fw.n_levels} levels; pipeline "
          + " -> ".join(s["step"] for s in STEPS))
    ev = ua.Evaluator(fw, inputs(), STEPS, seed=args.seed, on_error="nan")
    rng = np.random.default_rng([args.seed, 1])

    # -- uncertainty analysis ----------------------------------------------------------------
    u = rng.random((args.replications, 4))
    ev.evaluate(u[:50])  # warm the cache of treated/normalised data sets, as a fair start
    ev._cache.clear()
    fast, t_fast = timed(ev.evaluate, u)
    n_loop = min(args.loop, args.replications)
    slow, t_loop = timed(ua.evaluate_loop, ev, u[:n_loop])
    t_loop_full = t_loop / n_loop * args.replications
    diff = float(np.nanmax(np.abs(fast.scores[:n_loop] - slow.scores)))
    same_ranks = bool(np.array_equal(fast.ranks[:n_loop], slow.ranks, equal_nan=True))
    print(f"\nUncertainty analysis, {args.replications} replications, 4 uncertain inputs")
    print(f"  vectorised : {t_fast:8.3f} s  {args.replications / t_fast:12,.0f} replications/s")
    print(f"  loop       : {t_loop:8.3f} s for {n_loop} replications "
          f"({n_loop / t_loop:,.0f} replications/s); scaled linearly to {args.replications}: "
          f"{t_loop_full:8.1f} s (estimate, not measured)")
    print(f"  speed-up   : {t_loop_full / t_fast:8.1f}x  (goal >= 20x)")
    print(f"  same results on the first {n_loop}: max |score difference| = {diff:.2e}, "
          f"identical ranks = {same_ranks}; failed replications: "
          f"{int((~fast.valid).sum())} vectorised, {int((~slow.valid[:n_loop]).sum())} loop")

    # -- Sobol sensitivity analysis -------------------------------------------------------------
    d = 4
    design = ua.sa_sample(args.sa_n, d, rng)
    runs = design.shape[0]
    ev._cache.clear()
    res, t_sa = timed(ev.evaluate, design)
    y = np.nanmean(np.abs(res.ranks - ev.nominal_ranks), axis=1)
    ok = np.isfinite(y).all()
    idx, t_est = timed(ua.sobol_indices, y, args.sa_n, d, 500, args.seed,
                       (0.05, 0.95), [i.name for i in ev.inputs]) if ok else (None, 0.0)
    sub = min(n_loop, runs)
    slow_sa, t_loop_sa = timed(ua.evaluate_loop, ev, design[:sub])
    t_loop_sa_full = t_loop_sa / sub * runs
    diff_sa = float(np.nanmax(np.abs(res.scores[:sub] - slow_sa.scores)))
    print(f"\nSobol analysis, N = {args.sa_n}, d = {d}: {runs} runs, 500 bootstrap resamples")
    print(f"  vectorised : {t_sa:8.3f} s runs + {t_est:.3f} s estimation  "
          f"{runs / t_sa:12,.0f} runs/s")
    print(f"  loop       : {t_loop_sa:8.3f} s for {sub} runs; scaled to {runs}: "
          f"{t_loop_sa_full:8.1f} s (estimate, not measured)")
    print(f"  speed-up   : {t_loop_sa_full / t_sa:8.1f}x")
    print(f"  same results on the first {sub} runs: max |score difference| = {diff_sa:.2e}, "
          f"identical ranks = {bool(np.array_equal(res.ranks[:sub], slow_sa.ranks))}")
    if idx is not None:
        for r in idx.rows():
            print(f"    {r['Variable']:<14} Si {r['Si']:7.3f} [{r['Si_lo']:6.3f}, "
                  f"{r['Si_hi']:6.3f}]   STi {r['STi']:6.3f} [{r['STi_lo']:6.3f}, "
                  f"{r['STi_hi']:6.3f}]")
    else:
        print("    some runs failed (non-positive values under a geometric mean): "
              "no Sobol estimate")


if __name__ == "__main__":
    main()
