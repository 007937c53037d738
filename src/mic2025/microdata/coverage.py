"""Coverage study: do the published intervals cover the census value as often as they say?

One synthetic population is the truth (its census values, every plan formula by year and
by year × province). Many independent samples are drawn from it exactly as
``mic2025 microdata sample`` draws one — stratified, with non-response and stored-design
replicate weights — and each is estimated and suppressed as ``mic2025 microdata estimate``
does (non-response adjustment, Rao–Wu bootstrap with the design's degrees of freedom,
disclosure and quality rules). For every published cell the study records whether its
interval holds the census value, and reports the share by cell-size class (the cell's
responding units: ≤ 10, 11–30, 31–100, > 100) and for the national cells.

:func:`run` is used by the slow test (small population) and by
``benchmarks/microdata_coverage.py`` (full size); ``mic2025 microdata sample`` makes any one
of the samples from the command line, so a study can be repeated by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa

from .adjust import SuppressionRule, adjust_for_nonresponse, suppress
from .backends import backend
from .design import ReplicateDesign, replicate_design
from .generate import CERTAINTY_CV, draw_sample, simulate_nonresponse

#: cell-size classes (responding units in the cell), upper bounds inclusive
SIZE_CLASSES: tuple[tuple[str, int], ...] = (("≤10", 10), ("11–30", 30), ("31–100", 100),
                                             (">100", 1 << 62))


def size_class(n: int) -> str:
    return next(name for name, top in SIZE_CLASSES if n <= top)


def draw(population: pa.Table, n: int, seed: int, *, nonresponse: bool = True,
         replicates: int = 200,
         certainty_cv: float | Literal["auto"] | None = CERTAINTY_CV
         ) -> tuple[pa.Table, ReplicateDesign | None]:
    """One sample as ``mic2025 microdata sample --seed seed`` draws it: the stratified sample
    (seed + 1; certainty strata at target CV ``certainty_cv``, ``"auto"`` by default, None
    for none), non-response (seed + 2) and its replicate design (seed + 3) — the seeds
    ``mic2025 microdata generate`` uses, so the same seed gives generate's sample."""
    sample = draw_sample(population, n, seed=seed + 1, certainty_cv=certainty_cv)
    if nonresponse:
        sample = simulate_nonresponse(sample, seed=seed + 2)
    design = replicate_design(sample, replicates, seed=seed + 3) if replicates else None
    return sample, design


@dataclass
class Tally:
    """Published cells and how many covered the census value; suppressed cells counted."""

    published: int = 0
    covered: int = 0
    suppressed: int = 0

    @property
    def rate(self) -> float:
        return self.covered / self.published if self.published else float("nan")


@dataclass
class Coverage:
    """What :func:`run` found: tallies by size class, national, and per indicator."""

    samples: int
    by_class: dict[str, Tally] = field(default_factory=dict)
    national: Tally = field(default_factory=Tally)
    by_indicator: dict[str, Tally] = field(default_factory=dict)
    national_by_indicator: dict[str, Tally] = field(default_factory=dict)
    #: published cells with a zero-width interval although they rest on sampled units
    zero_width: int = 0
    #: published share cells (Korn–Graubard) with an interval outside [0, 100]
    outside: int = 0

    def lines(self) -> list[str]:
        """A plain-text report."""
        out = [f"{'cells':<12}{'published':>10}{'covered':>10}{'coverage':>10}"
               f"{'suppressed':>12}"]
        rows = [(f"province {name}", self.by_class.get(name, Tally()))
                for name, _ in SIZE_CLASSES] + [("national", self.national)]
        for label, t in rows:
            out.append(f"{label:<12}{t.published:>10}{t.covered:>10}{t.rate:>10.1%}"
                       f"{t.suppressed:>12}")
        out.append(f"published with a zero-width interval from sampled units: "
                   f"{self.zero_width}; share intervals outside [0, 100]: {self.outside}")
        out.append("by indicator (province cells; national):")
        for ind, t in sorted(self.by_indicator.items()):
            nat = self.national_by_indicator.get(ind, Tally())
            out.append(f"  {ind:<32}{t.rate:>8.1%} of {t.published:<6}{nat.rate:>8.1%} of "
                       f"{nat.published}")
        return out


def census(population: pa.Table, formulas: Mapping[str, str], by: Sequence[str]
           ) -> dict[tuple[object, ...], float | None]:
    """The census value of every formula per group: {(keys…, indicator): value}."""
    wide = backend("duckdb").compute(population, formulas, by=by).to_pylist()
    return {(*[row[k] for k in by], ind): row[ind] for row in wide for ind in formulas}


def run(population: pa.Table, formulas: Mapping[str, str], *, samples: int, n: int,
        seed: int = 0, replicates: int = 200, level: float = 0.95,
        rule: SuppressionRule | None = None, nonresponse: bool = True,
        certainty_cv: float | Literal["auto"] | None = CERTAINTY_CV,
        progress: Callable[[int], None] | None = None) -> Coverage:
    """The coverage study (see the module docstring); sample i uses seed ``seed + 10·i``,
    drawn with certainty strata at ``certainty_cv`` (the default design; None: without)."""
    rule = rule or SuppressionRule()
    engine = backend("duckdb")
    levels = {("year",): census(population, formulas, ("year",)),
              ("year", "province"): census(population, formulas, ("year", "province"))}
    result = Coverage(samples)
    for i in range(samples):
        sample, design = draw(population, n, seed + 10 * i, nonresponse=nonresponse,
                              replicates=replicates, certainty_cv=certainty_cv)
        source = adjust_for_nonresponse(sample) if nonresponse else sample
        for by, truth in levels.items():
            estimates = engine.bootstrap(source, formulas, by=by, level=level,
                                         design=design,
                                         replicates=replicates, seed=seed + 10 * i + 3)
            conc = engine.concentration(source, formulas, by=by, weighted=True,
                                        top=rule.dominance[0] if rule.dominance else 2)
            cells = suppress(estimates, rule, concentration=conc, by=by).to_pylist()
            for cell in cells:
                value = truth.get((*[cell[k] for k in by], cell["indicator"]))
                if value is None or not np.isfinite(value):
                    continue
                if not cell["suppressed"]:
                    low, high = cell["ci_low"], cell["ci_high"]
                    result.zero_width += int(low == high and cell["df"] is not None)
                    result.outside += int(cell["interval"] == "Korn-Graubard" and (
                        low is None or high is None or low < 0 or high > 100))
                national = by == ("year",)
                tallies = ([result.national,
                            result.national_by_indicator.setdefault(cell["indicator"], Tally())]
                           if national else
                           [result.by_class.setdefault(size_class(cell["n_units"]), Tally()),
                            result.by_indicator.setdefault(cell["indicator"], Tally())])
                for t in tallies:
                    if cell["suppressed"]:
                        t.suppressed += 1
                        continue
                    t.published += 1
                    low, high = cell["ci_low"], cell["ci_high"]
                    t.covered += int(low is not None and high is not None
                                     and low <= value <= high)
        if progress is not None:
            progress(i + 1)
    return result
