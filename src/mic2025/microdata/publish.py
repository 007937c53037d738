"""Estimates into the evidence store: one observation per group, indicator and year.

:func:`to_observations` turns a table of estimates (the long form of
:func:`~mic2025.microdata.variance.bootstrap`, or :func:`~mic2025.microdata.adjust.long_estimates`
of a census, optionally through :func:`~mic2025.microdata.adjust.suppress`) into
:class:`~mic2025.observation.Observation` rows;
:func:`mic2025.services.imports.store_estimates` imports them as one vintage of kind
``estimate``. The vintage's sha256 is that of the estimation run (the file's
sha256 with every setting, :meth:`Provenance.batch_sha256`): the same file estimated the
same way is stored once, the same file estimated another way is a new batch.

Each observation carries

* ``area`` ``000000`` (national) or the GB/T 2260 province code, ``sector`` the GB/T 4754
  division (or empty), ``period`` the year;
* ``lower``/``upper`` the interval, ``flags`` ``estimate`` for a sample (``derived`` for a
  census aggregate) and ``synthetic`` when the microdata are synthetic;
* ``scope`` e.g. ``规模以上制造业 (样本估计)``; ``source`` the file name and its sha256;
  ``note`` the estimator, the variance method and the number of replicates.

Units. A value is stored only when the formula gives the indicator in the plan's unit:
ratio-of-sums, mean-of-rates and share-of-units indicators do by construction. Intensity
indicators (energy, water, CO₂ per unit of value added) are measured by the plan as an
index against a base year (2015 = 100) while their formula gives the intensity level; they
are stored as that index, 100·level_t / level_base of the same group's own estimate, and the
note says so. Without the base year in the data this is refused. Other kinds (growth rates,
composite indices) cannot come from a formula over one year and are refused.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from ..errors import Mic2025Error
from ..observation import Observation
from ..periods import year as year_period
from ..plan import Metric, Plan
from ..reference import NATIONAL
from ..store import ImportResult

DIRECT_KINDS = ("ratio_of_sums", "mean_of_rates", "share_of_units")
INDEX_KINDS = ("intensity_change",)
STORABLE_KEYS = ("year", "province", "division")


class PublishError(Mic2025Error):
    """Estimates cannot be stored as asked (no year, unit mismatch, base year missing…)."""


@dataclass(frozen=True)
class Provenance:
    """Where estimates come from and how they were made: goes into source, scope and note."""

    path: str
    sha256: str
    synthetic: bool
    weighted: bool
    estimator: str
    replicates: int | None = None
    level: float = 0.95
    seed: int | None = None
    suppression: str = ""

    @property
    def source(self) -> str:
        return f"microdata {Path(self.path).name} (sha256 {self.sha256})"

    def batch_sha256(self, by: Sequence[str]) -> str:
        """The identity of one estimation run: the file's sha256 and every setting.

        Used as the vintage's sha256, so re-running the same estimation stores nothing while
        the same file estimated another way (other groups, replicates, rule) is a new batch.
        """
        settings = json.dumps([self.sha256, list(by), self.weighted, self.estimator,
                               self.replicates, self.level, self.seed, self.suppression])
        return hashlib.sha256(settings.encode()).hexdigest()

    @property
    def scope(self) -> str:
        return "规模以上制造业 (样本估计)" if self.weighted else "规模以上制造业 (企业数据汇总)"

    def note(self) -> str:
        parts = [self.estimator]
        if self.replicates:
            parts.append(f"variance by Rao–Wu rescaling bootstrap (Rao & Wu 1988; Rao, Wu & "
                         f"Yue 1992), {self.replicates} replicates, seed {self.seed}, "
                         f"{self.level:.0%} interval with the design's degrees of freedom (t; "
                         f"Korn–Graubard for shares, log scale for positive ratios)")
        elif not self.weighted:
            parts.append("all units of the file aggregated, no sampling error")
        if self.suppression:
            parts.append(self.suppression)
        if self.synthetic:
            parts.append("SYNTHETIC microdata, not real enterprises")
        return "; ".join(parts)


@dataclass(frozen=True)
class Skipped:
    """A cell that was not stored, and why."""

    indicator: str
    area: str
    sector: str
    year: int
    reason: str


@dataclass
class Published:
    """The cells as observations, those skipped and why, and — once
    :func:`mic2025.services.imports.store_estimates` stored them — what the import did."""

    observations: list[Observation]
    skipped: list[Skipped] = field(default_factory=list)
    result: ImportResult | None = None


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _base_year(metric: Metric) -> int:
    """The index base: the base year of the metric's relative targets, else its 100 baseline."""
    years = {t.base_year for t in metric.targets if t.base_year is not None}
    years |= {y for y, v in metric.baseline.items() if v == 100}
    if len(years) != 1:
        raise PublishError(f"{metric.id}: cannot tell the index base year from the plan "
                           f"(candidates: {sorted(years) or 'none'})")
    return years.pop()


def _mode(metric: Metric) -> str:
    kind = metric.definition.kind if metric.definition else None
    if kind in DIRECT_KINDS:
        return "direct"
    if kind in INDEX_KINDS and metric.unit == "index":
        return "index"
    raise PublishError(f"{metric.id}: its formula gives a {kind} value, which cannot be stored "
                       f"in the plan's unit {metric.unit!r}")


def to_observations(estimates: pa.Table, plan: Plan, provenance: Provenance,
                    by: Sequence[str]) -> Published:
    """Observations for every estimated cell; suppressed and empty cells are listed as skipped.

    ``by`` are the group keys of ``estimates``; it must include ``year`` and may include
    ``province`` and ``division``.
    """
    if "year" not in by:
        raise PublishError("estimates are stored per year: group by year (e.g. --by year)")
    extra = [k for k in by if k not in STORABLE_KEYS]
    if extra:
        raise PublishError(f"observations have an area, a sector and a year, nothing for "
                           f"{extra}; estimate by {', '.join(STORABLE_KEYS)} to store")
    rows = estimates.to_pylist()
    metrics = {i: plan.metric(i) for i in dict.fromkeys(r["indicator"] for r in rows)}
    modes = {i: _mode(m) for i, m in metrics.items()}
    bases = {i: _base_year(m) for i, m in metrics.items() if modes[i] == "index"}
    base_value: dict[tuple[str, str, str], float | None] = {}
    for ind, base in bases.items():
        cells = [r for r in rows if r["indicator"] == ind and r["year"] == base]
        if not cells:
            years = sorted({r["year"] for r in rows})
            raise PublishError(
                f"{ind}: the plan measures it as an index ({base} = 100) and the formula gives "
                f"the level; the data hold {years[0]}–{years[-1]} but not {base}, so the "
                "index cannot be formed; include the base year in the microdata")
        for r in cells:
            base_value[(ind, r.get("province") or NATIONAL, r.get("division") or "")] = \
                r["estimate"]
    published = Published([])
    for r in rows:
        ind, metric = r["indicator"], metrics[r["indicator"]]
        area, sector = r.get("province") or NATIONAL, r.get("division") or ""
        year = int(r["year"])

        def skip(reason: str, ind: str = ind, area: str = area, sector: str = sector,
                 year: int = year) -> None:
            published.skipped.append(Skipped(ind, area, sector, year, reason))

        if r.get("suppressed"):
            skip(f"suppressed: {r['reason']}")
            continue
        value, lower, upper = r["estimate"], r.get("ci_low"), r.get("ci_high")
        if value is None or not math.isfinite(value):
            skip("no value (no units, or a zero denominator)")
            continue
        unit, note = metric.unit, provenance.note()
        if modes[ind] == "index":
            level0 = base_value.get((ind, area, sector))
            if level0 is None or level0 == 0:
                skip(f"no {bases[ind]} level to index against (suppressed, empty or zero)")
                continue
            # the base year's own cell is 100 by definition, not 100·x/x rounded
            value = 100.0 if year == bases[ind] else 100.0 * value / level0
            lower = None if lower is None else 100.0 * lower / level0
            upper = None if upper is None else 100.0 * upper / level0
            note = (f"index {bases[ind]} = 100 of the estimated level {metric.definition.formula}"
                    f" (100·level/level_{bases[ind]} of the same group); the interval scales the"
                    f" level's interval and treats the {bases[ind]} level as fixed; " + note
                    if metric.definition else note)
        flags = {"estimate" if provenance.weighted else "derived"}
        if provenance.synthetic:
            flags.add("synthetic")
        published.observations.append(Observation(
            indicator=ind, area=area, sector=sector, period=year_period(year), value=value,
            unit=unit, source=provenance.source, scope=provenance.scope,
            flags=frozenset(flags), note=note, lower=lower, upper=upper))
    return published
