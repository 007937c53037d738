"""Coverage study of the microdata intervals at full size (a script, not a test).

    python benchmarks/microdata_coverage.py [--enterprises 500000] [--years 2015-2025]
                                            [--sample 30000] [--samples 200]
                                            [--replicates 200] [--seed 0]
                                            [--certainty/--no-certainty]
                                            [--certainty-cv auto|C]

One SYNTHETIC population (``generate_population`` with the illustrative targets) is the
truth; ``--samples`` independent samples are drawn from it as ``mic2025 microdata sample``
draws them (stratified — with certainty strata by default, ``--no-certainty`` for
none — non-response, stored replicate weights; sample i with seed
``seed + 10·i``, so ``mic2025 microdata sample population.parquet --seed S`` repeats any of
them), each estimated and suppressed with the defaults of ``mic2025 microdata estimate``
(:func:`mic2025.microdata.coverage.run`). Printed: the share of published cells whose
interval holds the census value, by cell-size class (the cell's responding units) for the
province cells, and for the national cells; the goals are ≥ 93% for every class and
95% ± 1.5 nationally. The goals are printed next to the figures, never asserted.

At the default size one sample takes several seconds on two cores (two bootstraps of
330,000 units × 200 replicates); 200 samples take the better part of an hour.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]


def main() -> None:
    from mic2025.microdata.coverage import SIZE_CLASSES, run
    from mic2025.microdata.engine import plan_formulas
    from mic2025.microdata.generate import CERTAINTY_CV, generate_population
    from mic2025.plan import load_plan

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=500_000)
    parser.add_argument("--years", default="2015-2025")
    parser.add_argument("--sample", type=int, default=30_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--certainty-cv", default=CERTAINTY_CV)
    parser.add_argument("--certainty", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    certainty_cv = (None if not args.certainty else "auto" if args.certainty_cv == "auto"
                    else float(args.certainty_cv))
    first, _, last = args.years.partition("-")
    years = range(int(first), int(last or first) + 1)
    started = time.perf_counter()
    pop = generate_population(args.enterprises, years=years, seed=args.seed)
    print(f"SYNTHETIC population: {args.enterprises} enterprises × {len(years)} years "
          f"({time.perf_counter() - started:.1f} s); {args.samples} samples of "
          f"{args.sample} a year, {args.replicates} replicates each, certainty strata "
          f"{'none' if certainty_cv is None else f'at target CV {certainty_cv}'}",
          flush=True)

    def progress(done: int) -> None:
        if done % max(1, args.samples // 20) == 0 or done == args.samples:
            print(f"  {done}/{args.samples} samples, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr, flush=True)

    result = run(pop, plan_formulas(load_plan()), samples=args.samples, n=args.sample,
                 seed=args.seed, replicates=args.replicates, certainty_cv=certainty_cv,
                 progress=progress)
    print("\n".join(result.lines()))
    goals = [(f"province {name}", result.by_class.get(name)) for name, _ in SIZE_CLASSES]
    for label, tally in goals:
        if tally is not None and tally.published:
            verdict = "meets" if tally.rate >= 0.93 else "BELOW"
            print(f"goal ≥ 93%: {label} {tally.rate:.1%} — {verdict}")
    national = result.national.rate
    verdict = "meets" if abs(national - 0.95) <= 0.015 else "OUTSIDE"
    print(f"goal 95% ± 1.5: national {national:.1%} — {verdict}")
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
