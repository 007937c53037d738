"""Krippendorff's alpha: agreement among several evaluators, with missing scores.

Implemented from K. Krippendorff (2011), *Computing Krippendorff's Alpha-Reliability*,
University of Pennsylvania, Annenberg School for Communication Departmental Papers 43
(https://repository.upenn.edu/asc_papers/43), section "C" (any number of observers, missing
data) and its difference functions:

* the reliability data: evaluators × units, ``None`` where an evaluator gave no score; a unit
  with fewer than two scores is not pairable and is left out;
* the coincidence matrix ``o_ck = Σ_u (number of c–k pairs of values in unit u) / (m_u − 1)``
  over ordered pairs of different evaluators, ``n_c = Σ_k o_ck``, ``n = Σ_c n_c``;
* ``α = 1 − (n − 1) · Σ_ck o_ck δ²_ck / Σ_ck n_c n_k δ²_ck``;
* ``δ²`` nominal: 0 if c = k else 1; interval: (c − k)²; ratio: ((c − k)/(c + k))²;
  ordinal: (Σ_{g=c..k} n_g − (n_c + n_k)/2)², the sum running over the values between c and k
  in order, both ends included.

The paper's worked example (4 observers, 12 units, values 1–5 with missing data) gives
α = 0.743 nominal, 0.815 ordinal, 0.849 interval and 0.797 ratio; ``tests/test_followup_
thirdparty.py`` checks these and a small case computed by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations
from typing import Literal

Metric = Literal["nominal", "ordinal", "interval", "ratio"]


def coincidences(data: Sequence[Sequence[float | None]]
                 ) -> tuple[list[float], dict[tuple[float, float], float]]:
    """The values that occur (sorted) and the coincidence matrix ``o_ck`` (as a mapping)."""
    if not data:
        return [], {}
    n_units = max(len(row) for row in data)
    o: dict[tuple[float, float], float] = {}
    for u in range(n_units):
        vals = [row[u] for row in data if u < len(row) and row[u] is not None]
        m = len(vals)
        if m < 2:
            continue
        for a, b in permutations(range(m), 2):
            key = (float(vals[a]), float(vals[b]))  # type: ignore[arg-type]
            o[key] = o.get(key, 0.0) + 1.0 / (m - 1)
    values = sorted({c for c, _ in o})
    return values, o


def _delta2(metric: Metric, c: float, k: float, n: dict[float, float],
            values: list[float]) -> float:
    if metric == "nominal":
        return 0.0 if c == k else 1.0
    if metric == "interval":
        return (c - k) ** 2
    if metric == "ratio":
        return 0.0 if c + k == 0 else ((c - k) / (c + k)) ** 2
    lo, hi = (c, k) if c <= k else (k, c)
    between = sum(n[g] for g in values if lo <= g <= hi)
    return (between - (n[c] + n[k]) / 2.0) ** 2


def alpha(data: Sequence[Sequence[float | None]], metric: Metric = "interval") -> float | None:
    """Krippendorff's alpha of ``data`` (rows: evaluators; columns: units).

    ``None`` when it is undefined: fewer than two pairable values, or no variation at all
    (every pairable value the same, so the expected disagreement is zero).
    """
    values, o = coincidences(data)
    n_c = {c: sum(w for (a, _), w in o.items() if a == c) for c in values}
    n = sum(n_c.values())
    if n < 2:
        return None
    observed = sum(w * _delta2(metric, c, k, n_c, values) for (c, k), w in o.items())
    expected = sum(n_c[c] * n_c[k] * _delta2(metric, c, k, n_c, values)
                   for c in values for k in values)
    if expected == 0:
        return None
    return 1.0 - (n - 1) * observed / expected
