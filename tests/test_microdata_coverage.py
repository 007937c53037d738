"""Coverage study at a small size (slow): published intervals against census values.

Measured once (population 6,000 × 2020, samples of 1,200 with non-response, 20 samples, 60
replicates, the default suppression rules): national cells 93.9% (169 of 180); province
cells ≤ 10 units 84.7%, 11–30 89.5%, 31–100 89.6%, > 100 92.6% — below the 93% goal in
small cells, where skewed enterprise data make the estimate and its SE small together when
a sample misses the few large contributors (the SEs match the spread of the estimates; the
intervals are not wide enough in the tail). The full-size study is
``benchmarks/microdata_coverage.py``; its figures are in docs/microdata.md.
"""

from __future__ import annotations

import pytest

from mic2025.microdata.coverage import SIZE_CLASSES, run
from mic2025.microdata.engine import plan_formulas
from mic2025.microdata.generate import generate_population
from mic2025.plan import load_plan

pytestmark = pytest.mark.slow


def test_published_intervals_cover_the_census_values() -> None:
    pop = generate_population(6_000, years=[2020], seed=5)
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
        # the goal is 0.93; this is the floor below which something is broken
        assert tally.rate >= 0.80, (name, tally)
    # suppression takes most of the smallest cells, none of the largest
    assert result.by_class["≤10"].suppressed > result.by_class["≤10"].published
    assert result.by_class[">100"].suppressed == 0
