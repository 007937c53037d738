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

The index's interval includes the base year's sampling variance (:func:`index_interval`).
Every sample here is drawn year by year and its replicates within ``year|stratum``
(:mod:`.design`), so the base year's and year t's estimates come from independent draws, even
where one enterprise is sampled in both years: their covariance is zero and the delta method
gives Var(I) ≈ I²·(CV_t² + CV_base²). The interval is formed as the level's is: on the log
scale for a positive ratio (``log-t``), I·exp(±t·√(CV_t² + CV_base²)), symmetric otherwise,
with the Welch–Satterthwaite combination of the two cells' degrees of freedom. A base with
no sampling error (a census, or take-all units: SE 0 and the estimate as its interval) keeps
the old rule, the year-t interval scaled by 100/level_base; a base whose SE cannot be
estimated leaves the index without an interval. The base year's own cell is 100 by
definition and keeps its level's interval scaled (the precision of the base itself).
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
from .distributions import t_ppf

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
    base_cell: dict[tuple[str, str, str], dict[str, object]] = {}
    for ind, base in bases.items():
        cells = [r for r in rows if r["indicator"] == ind and r["year"] == base]
        if not cells:
            years = sorted({r["year"] for r in rows})
            raise PublishError(
                f"{ind}: the plan measures it as an index ({base} = 100) and the formula gives "
                f"the level; the data hold {years[0]}–{years[-1]} but not {base}, so the "
                "index cannot be formed; include the base year in the microdata")
        for r in cells:
            key = (ind, r.get("province") or NATIONAL, r.get("division") or "")
            base_value[key] = r["estimate"]
            base_cell[key] = r
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
            if year == bases[ind]:
                # the base year's own cell is 100 by definition, not 100·x/x rounded
                value = 100.0
                lower = None if lower is None else 100.0 * lower / level0
                upper = None if upper is None else 100.0 * upper / level0
            else:
                value, lower, upper = index_interval(r, base_cell[(ind, area, sector)],
                                                     provenance.level)
            rule = (f"; base-year variance included: Var(I) ≈ I²·(CV² + CV_{bases[ind]}²), "
                    "the years being independent samples" if provenance.weighted else "")
            note = (f"index {bases[ind]} = 100 of the estimated level {metric.definition.formula}"
                    f" (100·level/level_{bases[ind]} of the same group){rule}; " + note
                    if metric.definition else note)
        flags = {"estimate" if provenance.weighted else "derived"}
        if provenance.synthetic:
            flags.add("synthetic")
        published.observations.append(Observation(
            indicator=ind, area=area, sector=sector, period=year_period(year), value=value,
            unit=unit, source=provenance.source, scope=provenance.scope,
            flags=frozenset(flags), note=note, lower=lower, upper=upper))
    return published


def _number(row: dict[str, object], name: str) -> float | None:
    value = row.get(name)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def index_interval(cell: dict[str, object], base: dict[str, object], level: float
                   ) -> tuple[float, float | None, float | None]:
    """The index 100·L_t/L_base of one cell and its interval, the base's variance included.

    ``cell`` and ``base`` are rows of the estimates (``estimate``, ``se``, ``ci_low``,
    ``ci_high`` and, from a bootstrap, ``df``, ``interval`` and ``se_estimable``); the years
    are independent samples (module docstring), so Var(I) ≈ I²·(CV_t² + CV_base²). A base
    with no sampling error (SE 0 and not flagged inestimable, or no SE at all: a census)
    scales the year-t interval by 100/L_base, the rule before; a base whose SE cannot be
    estimated, or a year t without an SE, gives no interval.
    """
    level_t, level_b = _number(cell, "estimate"), _number(base, "estimate")
    assert level_t is not None and level_b  # the caller skips empty and zero cells
    index = 100.0 * level_t / level_b
    low_t, high_t = _number(cell, "ci_low"), _number(cell, "ci_high")
    se_b = _number(base, "se")
    base_exact = base.get("se_estimable") is not False and not se_b
    if base_exact and (se_b is not None or _number(base, "ci_low") is None):
        return (index, None if low_t is None else 100.0 * low_t / level_b,
                None if high_t is None else 100.0 * high_t / level_b)
    se_t = _number(cell, "se")
    if se_b is None or se_t is None or low_t is None or high_t is None or \
            base.get("se_estimable") is False:
        return index, None, None
    # the delta method's two terms, (∂I/∂L_t)²·V_t and (∂I/∂L_b)²·V_b: I²·CV_t², I²·CV_b²
    var_t, var_b = (100.0 * se_t / level_b) ** 2, (index * se_b / level_b) ** 2
    df_t, df_b = _number(cell, "df"), _number(base, "df")
    # Welch–Satterthwaite; a missing df (no design information) counts as infinite, as does
    # that of a term without variance
    parts = sum(v * v / d for v, d in ((var_t, df_t), (var_b, df_b)) if d and v)
    df = max(math.floor((var_t + var_b) ** 2 / parts + 1e-9), 1) if parts else math.inf
    t = float(t_ppf(0.5 + level / 2, df))
    se_i = math.sqrt(var_t + var_b)
    if cell.get("interval", "log-t") == "log-t" and index > 0:
        spread = math.exp(t * se_i / index)  # √(CV_t² + CV_b²) on the log scale
        return index, index / spread, index * spread
    return index, index - t * se_i, index + t * se_i
