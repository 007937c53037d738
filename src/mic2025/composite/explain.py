"""Back to the data: why a unit scores what it scores (Handbook step 8).

* :func:`decompose` splits every unit's index score into one contribution per indicator.
  Each element's *unit-level effective weight* is the product, down the tree, of its weight
  share within its group **for that unit** (members it is missing get no weight and the
  others are re-normalised, as the aggregation does).

  - Arithmetic means at every level: ``score = Σ_i e_i·x_i`` exactly, with ``x_i`` the
    normalised value; the contribution of indicator i is ``e_i·x_i``.
  - Geometric means at every level: ``log score = Σ_i e_i·log x_i`` exactly; the
    contributions are the *log-contributions* ``e_i·log x_i`` (``space = "log"``); their
    sum is the log of the score and ``exp`` of a partial sum is the score the unit would
    have from those indicators alone with the others at 1.
  - Other aggregators (harmonic, power means, Copeland, or a mix across levels) have no
    additive decomposition; :func:`decompose` refuses them rather than approximate.

  A pillar's contribution is the sum of its indicators'.
* :func:`strengths_weaknesses` — a unit's best and worst indicators by rank among units
  (COINr ``get_str_weak``).
* :func:`explain_change` — two builds of the same framework (e.g. two years): the change in
  a unit's score and rank, split into the indicators' changes in contribution. Normalised
  values depend on all units (min-max bounds move), so a contribution can change although
  the unit's own raw value did not; the decomposition says where the score moved, not why
  the data moved.
* :func:`what_if` — "raise indicator k of unit u by 10 %": rebuild with that raw value
  changed and report the new score and rank.

References: OECD/JRC Handbook 2008 step 8 ("back to the data": deconstructing the index,
profiles of strengths and weaknesses); COINr 1.1 ``get_str_weak``, ``get_unit_summary``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import AGGREGATE, INDICATOR, Framework, StepSpec
from mic2025.composite.pipeline import Build, rank_scores, run_pipeline
from mic2025.composite.table import FloatArray, Table


def _aggregate_spec(build: Build) -> dict[str, Any]:
    specs = [s for s in build.log if s.step == "aggregate"]
    if not specs:
        raise CompositeError("explain: the build has no aggregate step")
    return dict(specs[-1].params)


def _input_of_aggregation(build: Build) -> Table:
    names = list(build.dsets)
    if "Aggregated" not in names:
        raise CompositeError("explain: the build has no aggregated data set")
    return build.dsets[names[names.index("Aggregated") - 1]]


def _methods_by_level(build: Build) -> dict[int, str]:
    spec = _aggregate_spec(build)
    by = {int(k): str(v) for k, v in (spec.get("by_level") or {}).items()}
    fw = build.framework
    return {lv: by.get(lv, str(spec.get("method", "amean"))) for lv in range(2, fw.n_levels + 1)}


def _weights(build: Build) -> dict[str, float]:
    spec = _aggregate_spec(build)
    over = {**build.data_weights, **dict(spec.get("weights") or {})}
    return {e.code: float(over.get(e.code, e.weight)) for e in build.framework.elements}


@dataclass(frozen=True)
class Decomposition:
    """``contributions`` (units × indicators) and ``by_aggregate`` (units × aggregates below
    the index), in ``space`` ``"linear"`` (they sum to the score) or ``"log"`` (they sum to
    log score); ``effective_weights`` are the unit-level weights (units × indicators)."""

    space: str
    index: str
    scores: FloatArray
    contributions: Table
    by_aggregate: Table
    effective_weights: Table

    def total(self) -> FloatArray:
        """The sum of contributions per unit: the score, or its log."""
        return np.nansum(self.contributions.values, axis=1)


def decompose(build: Build, index: str | None = None) -> Decomposition:
    """Indicator contributions to every unit's score (see the module docstring)."""
    fw = build.framework
    methods = set(_methods_by_level(build).values())
    if methods == {"amean"}:
        space = "linear"
    elif methods == {"gmean"}:
        space = "log"
    else:
        raise CompositeError(
            f"decompose: only arithmetic means (exact) or geometric means (in logs) at every "
            f"level decompose additively; this build uses {sorted(methods)}")
    spec = _aggregate_spec(build)
    if spec.get("policy", "renormalise") != "renormalise":
        raise CompositeError("decompose: needs the 'renormalise' missing-data policy")
    top = index or fw.at_level(fw.n_levels)[0]
    x = _input_of_aggregation(build)
    agg = build.dsets["Aggregated"]
    w = _weights(build)
    n = len(x.units)
    share: dict[str, FloatArray] = {top: np.ones(n)}
    order = [top]
    while order:
        code = order.pop()
        members = fw.children(code)
        if not members:
            continue
        vals = np.column_stack([agg.column(m) for m in members])
        wm = np.array([w[m] for m in members])
        present = np.where(~np.isnan(vals), wm[None, :], 0.0)
        total = present.sum(axis=1)
        for j, m in enumerate(members):
            with np.errstate(invalid="ignore", divide="ignore"):
                share[m] = share[code] * np.where(total > 0, present[:, j] / total, 0.0)
            order.append(m)
    inds = [c for c in fw.descendants(top)]
    eff = np.column_stack([share[c] for c in inds])
    vals = np.column_stack([x.column(c) for c in inds])
    if space == "log":
        if np.any((vals <= 0) & (eff > 0)):
            raise CompositeError("decompose: non-positive values under a geometric mean")
        with np.errstate(invalid="ignore", divide="ignore"):
            term = np.log(np.where(eff > 0, vals, 1.0))
    else:
        term = np.where(eff > 0, vals, 0.0)
    contrib = np.where(eff > 0, eff * term, 0.0)
    contrib[np.isnan(agg.column(top))] = np.nan
    below = [c for c in fw.aggregates if c != top and top in _ancestors(fw, c)]
    by_agg = np.column_stack([
        contrib[:, [inds.index(i) for i in fw.descendants(a)]].sum(axis=1) for a in below
    ]) if below else np.empty((n, 0))
    return Decomposition(
        space, top, agg.column(top), Table(x.units, tuple(inds), contrib),
        Table(x.units, tuple(below), by_agg), Table(x.units, tuple(inds), eff))


def _ancestors(fw: Framework, code: str) -> list[str]:
    out = []
    parent = fw.element(code).parent
    while parent is not None:
        out.append(parent)
        parent = fw.element(parent).parent
    return out


@dataclass(frozen=True)
class Ranked:
    """One indicator of a unit: its code, name, rank among units (1 = best) and value."""

    code: str
    name: str
    rank: float
    value: float


def strengths_weaknesses(
    build: Build, unit: str, k: int = 3, dset: str | None = None,
) -> tuple[list[Ranked], list[Ranked]]:
    """A unit's ``k`` best-ranked and ``k`` worst-ranked indicators (COINr ``get_str_weak``).

    Ranks are over units on the normalised data (direction applied: 1 = best), ties take
    the minimum rank; ``value`` is the raw value. Indicators the unit lacks are skipped.
    """
    if k < 1:
        raise CompositeError("strengths_weaknesses: k must be >= 1")
    fw = build.framework
    norm = build.dsets[dset] if dset else _input_of_aggregation(build)
    i = norm.unit_index(unit)
    raw = build.dsets["Raw"]
    items = []
    for code in fw.indicators:
        if code not in norm.columns:
            continue
        ranks = rank_scores(norm.column(code))
        if np.isnan(ranks[i]):
            continue
        items.append(Ranked(code, fw.element(code).name, float(ranks[i]),
                            raw.get(unit, code) if unit in raw.units else float("nan")))
    best = sorted(items, key=lambda r: (r.rank, r.code))[:k]
    worst = sorted(items, key=lambda r: (-r.rank, r.code))[:k]
    return best, worst


@dataclass(frozen=True)
class Change:
    """A unit's score and rank in two builds, and each indicator's contribution change.

    ``drivers`` are (indicator, contribution before, after, change), largest |change|
    first; ``residual`` is the score change the contributions do not explain (0 up to
    rounding in linear space).
    """

    unit: str
    space: str
    score_before: float
    score_after: float
    rank_before: float
    rank_after: float
    drivers: list[tuple[str, float, float, float]]
    residual: float


def explain_change(before: Build, after: Build, unit: str, index: str | None = None) -> Change:
    """Why ``unit`` moved between two builds of the same framework (e.g. two years)."""
    a, b = decompose(before, index), decompose(after, index)
    if a.contributions.columns != b.contributions.columns or a.space != b.space:
        raise CompositeError("explain_change: the two builds have different frameworks or "
                             "aggregators")
    ia, ib = a.contributions.unit_index(unit), b.contributions.unit_index(unit)
    ca, cb = a.contributions.values[ia], b.contributions.values[ib]
    rows = [(c, float(ca[j]), float(cb[j]), float(cb[j] - ca[j]))
            for j, c in enumerate(a.contributions.columns)]
    rows.sort(key=lambda t: (-abs(t[3]), t[0]))
    sa, sb = float(a.scores[ia]), float(b.scores[ib])
    delta = (sb - sa) if a.space == "linear" else float(np.log(sb) - np.log(sa))
    residual = delta - float(np.nansum(cb) - np.nansum(ca))
    return Change(unit, a.space, sa, sb, float(rank_scores(a.scores)[ia]),
                  float(rank_scores(b.scores)[ib]), rows, residual)


@dataclass(frozen=True)
class WhatIf:
    """The result of changing one raw value: old and new value, score and rank."""

    unit: str
    indicator: str
    value_before: float
    value_after: float
    score_before: float
    score_after: float
    rank_before: float
    rank_after: float


def what_if(
    framework: Framework, unit: str, indicator: str, change: float = 0.10,
    relative: bool = True, steps: Any = None, index: str | None = None,
) -> WhatIf:
    """Rebuild with ``unit``'s raw ``indicator`` raised by ``change`` (10 % by default;
    ``relative=False``: by ``change`` in the indicator's unit) and compare.

    "Raise" means the raw value goes up, whatever the indicator's direction: for an
    indicator where lower is better the score falls. The whole pipeline is rerun, so
    normalisation bounds, imputation and treatment respond as they would to real data.
    """
    el = framework.element(indicator)
    if el.kind != INDICATOR:
        raise CompositeError(f"what_if: {indicator!r} is an aggregate; change an indicator")
    i = framework.data.unit_index(unit)
    j = framework.data.column_index(indicator)
    old = float(framework.data.values[i, j])
    if np.isnan(old):
        raise CompositeError(f"what_if: unit {unit!r} has no value for {indicator!r}")
    new = old * (1.0 + change) if relative else old + change
    values = np.array(framework.data.values)
    values[i, j] = new
    top = index or framework.at_level(framework.n_levels)[0]
    base = run_pipeline(framework, steps).results(top)
    moved = run_pipeline(framework.with_data(framework.data.replace(values)), steps).results(top)
    return WhatIf(unit, indicator, old, new, base.scores.get(unit, top),
                  moved.scores.get(unit, top), base.ranks.get(unit, top),
                  moved.ranks.get(unit, top))


def contribution_table(dec: Decomposition, framework: Framework, level: int = 2
                       ) -> tuple[tuple[str, ...], FloatArray]:
    """Contributions summed to the elements of ``level`` (``level`` 1: the indicators)."""
    if level == 1:
        return dec.contributions.columns, dec.contributions.values
    codes = tuple(c for c in framework.at_level(level)
                  if framework.element(c).kind == AGGREGATE and c in dec.by_aggregate.columns)
    return codes, dec.by_aggregate.select(codes).values


def step_params(build: Build, step: str) -> Mapping[str, Any]:
    """The parameters a build used for ``step`` (empty if it did not run)."""
    found: StepSpec | None = None
    for s in build.log:
        if s.step == step:
            found = s
    return dict(found.params) if found else {}
