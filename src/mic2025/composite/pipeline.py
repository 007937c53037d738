"""The build pipeline: denominate → impute → screen → treat → normalise → aggregate → results.

Each step is a pure function from a :class:`Table` (and the :class:`Framework`) to a new
table, so steps can be called one by one, or all at once by :func:`run_pipeline` from the
framework's declared steps (YAML ``pipeline:``). :class:`Build` keeps every intermediate
data set by name, as COINr keeps ``coin$Data`` ("Raw", "Denominated", "Imputed", "Screened",
"Treated", "Normalised", "Aggregated"), plus a log of the steps with their parameters and
the screening and treatment details.

The steps follow the OECD/JRC Handbook (2008) ten steps (2 data selection and scaling by
size, 3 imputation and outliers, 5 normalisation, 6 weighting and aggregation) and COINr 1.1
``Denominate``, ``Impute``, ``Screen``, ``Treat``, ``Normalise``, ``Aggregate`` and
``get_results`` (W. Becker, COINr documentation), whose numerical conventions are matched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mic2025.composite import impute as _imp
from mic2025.composite.aggregate import aggregate_group
from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import AGGREGATE, Framework, StepSpec, parse_pipeline
from mic2025.composite.normalise import normalise_indicator
from mic2025.composite.table import FloatArray, Table
from mic2025.composite.treat import Treatment, treat_indicator
from mic2025.composite.weights import has_data_weights, resolve_weights

#: Name of the data set each step produces.
DSET_OF_STEP = {
    "denominate": "Denominated",
    "impute": "Imputed",
    "screen": "Screened",
    "treat": "Treated",
    "normalise": "Normalised",
    "aggregate": "Aggregated",
}


# -- ranks ---------------------------------------------------------------------------------
def rank_scores(x: Any) -> FloatArray:
    """Ranks with 1 = highest score; ties get the minimum rank; NaN stays NaN.

    COINr's results convention, R's ``rank(-x, ties.method = "min", na.last = "keep")``.
    """
    arr = np.asarray(x, dtype=float)
    out = np.full(arr.shape, np.nan)
    ok = ~np.isnan(arr)
    desc = np.sort(-arr[ok])
    out[ok] = np.searchsorted(desc, -arr[ok], side="left") + 1.0
    return out


# -- step 2: denomination --------------------------------------------------------------------
def denominate(
    table: Table, framework: Framework, denominators: Mapping[str, str | None] | None = None
) -> Table:
    """Divide indicators by their denominators (Handbook step 2, "scaling by size").

    Uses each indicator's ``Denominator`` from the framework; ``denominators`` overrides it
    per indicator code (``None`` = do not denominate). COINr ``Denominate``. A missing
    denominator makes the value missing; a zero denominator for an observed value raises
    :class:`CompositeError` naming the unit and the indicator.
    """
    over = dict(denominators or {})
    values = np.array(table.values)
    for code in over:
        if code not in table.columns:
            raise CompositeError(f"denominate: unknown indicator {code!r}")
    rows = [framework.data.unit_index(u) for u in table.units]
    for j, code in enumerate(table.columns):
        den_code = over[code] if code in over else framework.element(code).denominator
        if den_code is None:
            continue
        if den_code not in framework.denominators:
            raise CompositeError(f"denominate: indicator {code!r}: unknown denominator "
                                 f"{den_code!r}")
        den = framework.denominators[den_code][rows]
        zero = (den == 0) & ~np.isnan(values[:, j])
        if zero.any():
            unit = table.units[int(np.flatnonzero(zero)[0])]
            raise CompositeError(
                f"denominate: unit {unit!r}, indicator {code!r}: denominator {den_code!r} is 0"
            )
        values[:, j] = values[:, j] / den
    return table.replace(values)


# -- step 3: imputation ----------------------------------------------------------------------
IMPUTERS = ("mean", "median", "group_mean", "group_median", "knn")


def impute(
    table: Table, framework: Framework, method: str = "mean", group: str | None = None,
    k: int = 5,
) -> Table:
    """Impute missing values by ``method`` (see :mod:`mic2025.composite.impute`).

    ``group`` names a group variable of the framework (``group_mean`` and ``group_median``).
    COINr ``Impute(f_i = "i_mean" | "i_median" | "i_mean_grp" | "i_median_grp")``.
    """
    if method not in IMPUTERS:
        raise CompositeError(f"impute: unknown method {method!r} (expected one of {IMPUTERS})")
    x = table.values
    if method in ("group_mean", "group_median"):
        if group is None or group not in framework.groups:
            raise CompositeError(
                f"impute: method {method} needs 'group', one of {sorted(framework.groups)} "
                f"(got {group!r})"
            )
        labels = [framework.groups[group][framework.data.unit_index(u)] for u in table.units]
        out = (_imp.impute_group_mean if method == "group_mean" else _imp.impute_group_median)(
            x, labels
        )
    elif method == "knn":
        out = _imp.impute_knn(x, k)
    else:
        out = _imp.impute_mean(x) if method == "mean" else _imp.impute_median(x)
    return table.replace(out)


# -- step 2: screening ----------------------------------------------------------------------
@dataclass(frozen=True)
class ScreenSummary:
    """Per unit: counts and shares of missing and zero values and whether it was kept.

    Columns as COINr's ``Screen`` summary: N_missing, N_zero, N_miss_or_zero, Dat_Avail,
    Non_Zero, LowData, LowNonZero, LowDatOrZeroFlag, Included.
    """

    units: tuple[str, ...]
    n_missing: FloatArray
    n_zero: FloatArray
    n_miss_or_zero: FloatArray
    dat_avail: FloatArray
    non_zero: FloatArray
    low_data: tuple[bool, ...]
    low_non_zero: tuple[bool, ...]
    included: tuple[bool, ...]


def screen(
    table: Table, dat_thresh: float = 0.65, unit_screen: str = "byNA",
    nonzero_thresh: float = 0.5,
) -> tuple[Table, ScreenSummary]:
    """Drop units with too little data (Handbook step 2; COINr ``Screen``).

    ``Dat_Avail`` is the share of indicators observed, ``Non_Zero`` the share not equal to
    zero (missing counts as not zero-valued). ``unit_screen`` is ``byNA`` (drop if
    Dat_Avail < dat_thresh), ``byZeros`` (drop if Non_Zero < nonzero_thresh) or
    ``byNAandZeros`` (either). The default threshold 0.65 is the JRC rule of thumb.
    """
    if unit_screen not in ("byNA", "byZeros", "byNAandZeros"):
        raise CompositeError(f"screen: unknown unit_screen {unit_screen!r}")
    x = table.values
    m = x.shape[1]
    n_missing = np.isnan(x).sum(axis=1).astype(float)
    n_zero = (x == 0).sum(axis=1).astype(float)
    dat_avail = 1.0 - n_missing / m
    non_zero = 1.0 - n_zero / m
    low_data = dat_avail < dat_thresh
    low_nz = non_zero < nonzero_thresh
    drop = {"byNA": low_data, "byZeros": low_nz, "byNAandZeros": low_data | low_nz}[unit_screen]
    summary = ScreenSummary(
        table.units, n_missing, n_zero, n_missing + n_zero, dat_avail, non_zero,
        tuple(bool(v) for v in low_data), tuple(bool(v) for v in low_nz),
        tuple(not bool(v) for v in drop),
    )
    kept = [u for u, d in zip(table.units, drop, strict=True) if not d]
    if not kept:
        raise CompositeError(f"screen: every unit is below the threshold ({unit_screen})")
    return table.select_units(kept), summary


# -- step 3: outlier treatment ------------------------------------------------------------
def treat(
    table: Table, winmax: int = 5, skew_thresh: float = 2.0, kurt_thresh: float = 3.5,
    f2: str | None = "log_CT", exclude: Sequence[str] = (),
) -> tuple[Table, dict[str, Treatment]]:
    """JRC outlier rule on every indicator not in ``exclude`` (see :mod:`.treat`)."""
    values = np.array(table.values)
    details: dict[str, Treatment] = {}
    for j, code in enumerate(table.columns):
        if code in exclude:
            continue
        try:
            t = treat_indicator(values[:, j], winmax, skew_thresh, kurt_thresh, f2)
        except CompositeError as exc:
            raise CompositeError(f"treat: indicator {code!r}: {exc}") from exc
        details[code] = t
        values[:, j] = t.values
    return table.replace(values), details


# -- step 5: normalisation ------------------------------------------------------------------
def normalise(
    table: Table, framework: Framework, method: str = "minmax",
    indicators: Mapping[str, Mapping[str, Any]] | None = None,
    directions: Mapping[str, int] | None = None, **params: Any,
) -> Table:
    """Apply direction then a normaliser to every column (COINr ``Normalise``).

    ``method`` and ``params`` (e.g. ``l=0, u=100``) apply to all indicators; a per-indicator
    specification ``{method: ..., **params}`` comes from ``indicators`` or, failing that,
    from the framework element's ``normalise`` field. ``directions`` overrides the
    framework's. For ``dist2ref`` the reference ``ref`` may be given as a unit code.
    """
    own = dict(indicators or {})
    for code in own:
        if code not in table.columns:
            raise CompositeError(f"normalise: unknown indicator {code!r}")
    out = np.empty_like(table.values)
    for j, code in enumerate(table.columns):
        element = framework.element(code)
        spec = own.get(code) or element.normalise
        if spec is not None:
            spec = dict(spec)
            m = str(spec.pop("method", method))
            p = spec
        else:
            m, p = method, dict(params)
        if m == "dist2ref" and isinstance(p.get("ref"), str):
            p["ref"] = table.unit_index(p["ref"])
        direction = (directions or {}).get(code, element.direction)
        out[:, j] = normalise_indicator(
            table.values[:, j], m, p, direction, element.target, label=f"indicator {code!r}"
        )
    return table.replace(out)


# -- step 6: aggregation --------------------------------------------------------------------
def aggregate(
    table: Table, framework: Framework, method: str = "amean",
    by_level: Mapping[int, str] | None = None, weights: Mapping[str, float] | None = None,
    policy: str = "renormalise", dat_thresh: float | None = None, p: float | None = None,
) -> Table:
    """Aggregate up the tree, level by level (COINr ``Aggregate``).

    Each aggregate is ``method`` (or ``by_level[level]``) applied to its members' scores with
    their weights, relative within the group; ``weights`` overrides framework weights by
    code. Returns the input columns followed by the aggregates, level by level.
    """
    over = dict(weights or {})
    for code in over:
        framework.element(code)
    current = table
    levels = {int(k): v for k, v in (by_level or {}).items()}
    for level in range(2, framework.n_levels + 1):
        how = levels.get(level, method)
        codes = [c for c in framework.at_level(level)
                 if framework.element(c).kind == AGGREGATE]
        block = np.empty((len(current.units), len(codes)))
        for j, code in enumerate(codes):
            members = framework.children(code)
            missing = [mb for mb in members if mb not in current.columns]
            if missing:
                raise CompositeError(f"aggregate: {code!r}: no scores for members {missing}")
            w = np.array([over.get(mb, framework.element(mb).weight) for mb in members])
            x = current.select(members).values
            try:
                block[:, j] = aggregate_group(
                    x, w, how, units=current.units,
                    members=[f"{framework.element(mb).kind.lower()} {mb!r}" for mb in members],
                    policy=policy, dat_thresh=dat_thresh, p=p,
                )
            except CompositeError as exc:
                raise CompositeError(f"aggregate: level {level}, {code!r}: {exc}") from exc
        current = current.with_columns(codes, block)
    return current


def data_weights(
    table: Table, framework: Framework, params: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """Weights that the framework's ``pca`` specifications derive from the data.

    The specifications are applied level by level: a level's members are scored first by
    aggregating ``table`` (the normalised data) with the weights found so far, which do not
    depend on that level's own weights.
    """
    agg = {k: v for k, v in (params or {}).items() if k != "weights"}
    found: dict[str, float] = {}
    for spec in sorted((s for s in framework.weight_specs if s.get("method") == "pca"),
                       key=lambda s: int(s.get("level", 1))):
        level = int(spec.get("level", 1))
        data = table if level == 1 else aggregate(table, framework, weights=found, **agg)
        found.update(resolve_weights(framework, [spec], data))
    return found


# -- results --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Results:
    """Scores of every aggregate and their ranks (1 = best, ties minimum), per unit."""

    scores: Table
    ranks: Table
    unit_names: tuple[str, ...]
    index: str

    def ordered(self) -> list[tuple[str, str, float, float]]:
        """(unit code, unit name, index score, rank) sorted by rank, then unit code."""
        s, r = self.scores.column(self.index), self.ranks.column(self.index)
        rows = list(zip(self.scores.units, self.unit_names, s.tolist(), r.tolist(), strict=True))
        return sorted(rows, key=lambda t: (np.inf if np.isnan(t[3]) else t[3], t[0]))


def results(aggregated: Table, framework: Framework, index: str | None = None) -> Results:
    """Collect aggregate scores and ranks (COINr ``get_results``)."""
    aggs = [c for c in framework.aggregates if c in aggregated.columns]
    if not aggs:
        raise CompositeError("results: the table has no aggregate columns; aggregate first")
    top = index or framework.at_level(framework.n_levels)[0]
    scores = aggregated.select(aggs)
    ranks = scores.replace(np.column_stack([rank_scores(scores.values[:, j])
                                            for j in range(len(aggs))]))
    names = tuple(framework.unit_name(u) for u in scores.units)
    return Results(scores, ranks, names, top)


# -- the whole pipeline --------------------------------------------------------------------
@dataclass
class Build:
    """Every data set of one run of the pipeline, with the log of steps that made them."""

    framework: Framework
    dsets: dict[str, Table] = field(default_factory=dict)
    log: list[StepSpec] = field(default_factory=list)
    screening: ScreenSummary | None = None
    treatment: dict[str, Treatment] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: weights derived from the data at build time (PCA specifications), by element code
    data_weights: dict[str, float] = field(default_factory=dict)

    @property
    def latest(self) -> Table:
        return list(self.dsets.values())[-1]

    def results(self, index: str | None = None) -> Results:
        if "Aggregated" not in self.dsets:
            raise CompositeError("results: the pipeline has no aggregate step")
        return results(self.dsets["Aggregated"], self.framework, index)


def run_step(build: Build, spec: StepSpec) -> Build:
    """Run one declared step on the latest data set of ``build`` and record it."""
    fw = build.framework
    params = dict(spec.params)
    current = build.latest
    try:
        if spec.step == "denominate":
            out = denominate(current, fw, **params)
        elif spec.step == "impute":
            out = impute(current, fw, **params)
        elif spec.step == "screen":
            out, build.screening = screen(current, **params)
        elif spec.step == "treat":
            out, build.treatment = treat(current, **params)
        elif spec.step == "normalise":
            out = normalise(current, fw, **params)
        elif spec.step == "aggregate":
            if "weights" not in params and has_data_weights(fw.weight_specs):
                params["weights"] = data_weights(current, fw, params)
                build.data_weights = dict(params["weights"])
                build.notes.append(
                    "aggregate: weights from the data (PCA): "
                    + ", ".join(f"{k}={v:.4f}" for k, v in params["weights"].items()))
            out = aggregate(current, fw, **params)
        else:
            raise CompositeError(f"unknown step {spec.step!r}")
    except TypeError as exc:
        raise CompositeError(f"step {spec.step!r}: bad parameters: {exc}") from exc
    build.dsets[DSET_OF_STEP[spec.step]] = out
    build.log.append(spec)
    if spec.step == "impute":
        left = int(np.isnan(out.values).sum())
        if left:
            cols = [c for j, c in enumerate(out.columns) if np.isnan(out.values[:, j]).any()]
            build.notes.append(f"impute: {left} value(s) still missing, in {cols}")
    if spec.step == "screen" and build.screening is not None:
        dropped = [u for u, k in zip(build.screening.units, build.screening.included,
                                     strict=True) if not k]
        if dropped:
            build.notes.append(f"screen: {len(dropped)} unit(s) removed: {dropped}")
    return build


def run_pipeline(
    framework: Framework, steps: Sequence[StepSpec | Mapping[str, Any]] | None = None
) -> Build:
    """Run ``steps`` (default: the framework's declared pipeline) from the raw data."""
    raw_steps = framework.pipeline if steps is None else steps
    problems: list[str] = []
    specs: list[StepSpec] = []
    for pos, step in enumerate(raw_steps, start=1):
        if isinstance(step, StepSpec):
            specs.append(step)
        else:
            specs.extend(parse_pipeline([dict(step)], f"pipeline step {pos}", problems))
    if problems:
        raise CompositeError("the pipeline is not valid", problems)
    if not framework.units:
        raise CompositeError(
            f"{framework.source}: the framework has no units (a structure-only definition); "
            "supply the unit data first (an iData CSV, e.g. `mic2025 index build DEF.yaml "
            "--idata FILE`)")
    build = Build(framework, {"Raw": framework.data})
    for spec in specs:
        run_step(build, spec)
    return build
