"""Coverage study at a small size (slow): published intervals against census values.

Measured (population 6,000 × 2020, samples of 1,200 with non-response, 20 samples, 60
replicates, the default suppression rules; published cells the same in the first two rows):

=======================  ======  =====  =====  ======  =====
intervals / design        nation  ≤ 10   11–30  31–100  > 100
=======================  ======  =====  =====  ======  =====
design df                 93.9%   84.7%  89.5%  89.6%   92.6%
effective df              93.9%   89.5%  92.0%  91.7%   93.9%
minimum held (12-06)      92.2%   88.8%  91.1%  91.9%   93.5%
every cut kept (12-06)    95.6%   92.8%  86.6%  92.7%   —
default design (12-07)    92.2%   88.8%  91.1%  91.9%   93.5%
=======================  ======  =====  =====  ======  =====

"minimum held": the allocation keeps every take-some stratum at two units (it could leave
one before), a different sample from the same seeds; no certainty strata. "every cut
kept": Hidiroglou's take-all cut-off per province at the target CV the sample size affords,
as ``--certainty`` drew before 2026-12-07: at this sampling fraction it took 610 of the
1,200 units whole and left each province's take-some part 2–55 units, in which the skewed
indicators' intervals under-covered (misses 3 : 1 with the census value above). The
default design keeps a cut only where the take-some sample it leaves meets Cochran's rule
(:func:`mic2025.microdata.generate.cochran_minimum`); here every province fails it, nobody
is taken whole and the sample is the one drawn without certainty strata — hence the same
figures as "minimum held".

The effective df (Satterthwaite with each stratum's kurtosis, :func:`.variance.effective_df`)
widen the t quantile where a few units carry a cell's variance; what remains below the 93%
goal is skewness: a sample that misses a province's few dominant enterprises has a low
estimate and a low SE together, and looks well-behaved. The full-size study is
``benchmarks/microdata_coverage.py``; its figures are in docs/microdata.md.
"""

from __future__ import annotations

import json

import pytest

from mic2025.microdata.coverage import SIZE_CLASSES, draw, run
from mic2025.microdata.engine import plan_formulas
from mic2025.microdata.generate import generate_population
from mic2025.plan import load_plan

pytestmark = pytest.mark.slow


def test_published_intervals_cover_the_census_values() -> None:
    pop = generate_population(6_000, years=[2020], seed=5)
    # the default design at this size: every province's cut declined (take-some samples of
    # a few dozen units at most, where skewness asks for 30–130), nobody taken whole
    sample, _ = draw(pop, 1_200, 100, replicates=0)
    meta = json.loads(sample.schema.metadata[b"mic2025.certainty"])
    assert meta["enabled"] and meta["units"] == {"2020": 0}
    assert len(meta["declined"]["2020"]) >= 25
    result = run(pop, plan_formulas(load_plan()), samples=20, n=1_200, seed=100,
                 replicates=60)
    print("\n".join(result.lines()))
    # what the issue found: cells published with SE 0 from sampled units, shares above 100
    assert result.zero_width == 0 and result.outside == 0
    assert result.national.published == 20 * 9
    assert 0.90 <= result.national.rate <= 0.99, result.national
    for name, _ in SIZE_CLASSES:
        tally = result.by_class[name]
        assert tally.published >= 300, (name, tally)
        # the goal is 0.93; these are the floors below which something is broken: with the
        # design df instead of the effective df the smallest cells fell to 0.847, and with
        # every certainty cut kept at this sampling fraction cells of 11–30 units to 0.866
        assert tally.rate >= (0.87 if name == "≤10" else 0.90), (name, tally)
    # suppression takes most of the smallest cells, none of the largest
    assert result.by_class["≤10"].suppressed > result.by_class["≤10"].published
    assert result.by_class[">100"].suppressed == 0
