"""Uncertainty and sensitivity analysis of an index (Handbook step 7).

An index is built from choices that could reasonably have been made otherwise: the outlier
treatment, the normaliser, the weights, the aggregator. Each uncertain choice is an *input*
driven by one uniform number u in [0, 1):

* :class:`Choice` — a discrete alternative for one pipeline step: u picks option
  ``floor(u·k)`` of k, whose parameters replace the step's (``treat`` ``winmax``, the
  ``normalise`` method, the ``aggregate`` method, the ``impute`` method...);
* :class:`WeightNoise` — weights multiplied by ``1 + f·U(-1, 1)`` at chosen levels (COINr
  ``get_noisy_weights``). A bank of ``n_sets`` noisy weight sets is drawn once and u picks
  one, as COINr does, so that the same u always means the same weights (which the Sobol
  design needs);
* :class:`DataNoise` — the treated data multiplied by ``1 + sd·Z`` before normalisation, a
  simple measurement-error model; u seeds the noise of that replication.

**Uncertainty analysis** (:func:`run_uncertainty`) draws R rows of u (pseudo-random, as
COINr), rebuilds the index for each and reports per unit the nominal rank and the mean,
median, 5th and 95th percentile of its rank (R's default quantile, type 7), and the mean
absolute rank shift against the nominal ranking (Saisana, Saltelli & Tarantola 2005).

**Sensitivity analysis** (:func:`run_sensitivity`) evaluates the target (by default that
mean absolute rank shift) on the design of :func:`sa_sample` and estimates first-order and
total Sobol indices with :func:`sobol_indices`.

**Vectorised evaluation.** Replications are grouped by their discrete choices. Everything
before aggregation is computed once per distinct combination of pre-aggregation choices
(``treat``, ``normalise``...; a handful of data sets, cached) and every group is aggregated
in one pass with the weights as an ``(R, elements)`` array (:mod:`.batch`). Data noise is
applied and normalised as a ``(R, units, indicators)`` array. :func:`evaluate_loop` is the
straightforward alternative, one full :func:`~mic2025.composite.pipeline.run_pipeline` per
replication, kept as the reference the vectorised engine is tested against.

References: OECD/JRC *Handbook on Constructing Composite Indicators* (2008), step 7;
Saisana, Saltelli & Tarantola (2005), "Uncertainty and sensitivity analysis techniques as
tools for the quality assessment of composite indicators", *JRSS A* 168(2):307–323;
Saltelli et al. (2010), "Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index", *Computer Physics Communications*
181(2):259–270 (the design [A; B; A_B^i] and the first-order estimator); Jansen (1999),
"Analysis of variance designs for model output", *Computer Physics Communications*
117:35–43 (the total-effect estimator); Efron & Tibshirani (1993), *An Introduction to the
Bootstrap* (percentile intervals); COINr 1.1 ``get_sensitivity``, ``SA_sample``,
``SA_estimate``, ``get_noisy_weights`` (W. Becker), whose layout and conventions are followed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mic2025.composite.batch import (
    BATCH_NORMALISERS,
    aggregate_batch,
    aggregate_batch_data,
    normalise_batch,
    rank_rows,
)
from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import Framework, StepSpec, parse_pipeline
from mic2025.composite.pipeline import Build, rank_scores, run_pipeline
from mic2025.composite.table import FloatArray, Table

PRE_AGGREGATE_STEPS = ("denominate", "impute", "treat", "normalise")


# -- uncertain inputs -----------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """A discrete uncertain input: ``options`` are parameter sets for pipeline step ``step``.

    Each option's keys replace the step's parameters (the other parameters are kept), e.g.
    ``Choice("Normalisation", "normalise", ({"method": "minmax", "l": 1, "u": 100},
    {"method": "zscore", "m": 10, "s": 2}))``. u in [0, 1) picks ``floor(u·k)``.
    """

    name: str
    step: str
    options: tuple[Mapping[str, Any], ...]
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.step not in (*PRE_AGGREGATE_STEPS, "aggregate"):
            raise CompositeError(
                f"uncertain input {self.name!r}: step must be one of "
                f"{(*PRE_AGGREGATE_STEPS, 'aggregate')} (got {self.step!r}); screening is "
                "not allowed because it changes the set of units being ranked")
        if not self.options:
            raise CompositeError(f"uncertain input {self.name!r}: no options")
        if self.labels and len(self.labels) != len(self.options):
            raise CompositeError(f"uncertain input {self.name!r}: one label per option")

    def pick(self, u: FloatArray) -> np.ndarray:
        k = len(self.options)
        return np.minimum((np.asarray(u) * k).astype(int), k - 1)

    def label(self, i: int) -> str:
        if self.labels:
            return self.labels[i]
        return ", ".join(f"{k}={v}" for k, v in self.options[i].items())


@dataclass(frozen=True)
class WeightNoise:
    """Noisy weights: ``w·(1 + factor·U(-1, 1))`` for elements at ``levels`` (COINr
    ``get_noisy_weights``); ``factor`` is one number or one per level. ``n_sets`` weight
    sets are drawn from the analysis seed and u picks one."""

    name: str = "Weights"
    levels: tuple[int, ...] = (2, 3)
    factor: float | Mapping[int, float] = 0.25
    n_sets: int = 100

    def pick(self, u: FloatArray) -> np.ndarray:
        return np.minimum((np.asarray(u) * self.n_sets).astype(int), self.n_sets - 1)

    def factor_at(self, level: int) -> float:
        if isinstance(self.factor, Mapping):
            return float(self.factor.get(level, 0.0))
        return float(self.factor)


@dataclass(frozen=True)
class DataNoise:
    """Measurement error: the data entering normalisation multiplied by ``1 + sd·Z``,
    Z standard normal, independently per unit and indicator; u seeds the draw, so a given
    u always gives the same noise."""

    name: str = "Data"
    sd: float = 0.05


Input = Choice | WeightNoise | DataNoise


def winmax_choice(values: Sequence[int] = (1, 2, 3, 4, 5), name: str = "Winmax") -> Choice:
    """The winsorisation limit of the ``treat`` step, one option per value."""
    return Choice(name, "treat", tuple({"winmax": int(v)} for v in values),
                  tuple(str(v) for v in values))


def normaliser_choice(options: Sequence[Mapping[str, Any]], name: str = "Normalisation"
                      ) -> Choice:
    """Alternative ``normalise`` steps, e.g. ``[{"method": "minmax", "l": 1, "u": 100}]``."""
    return Choice(name, "normalise", tuple(dict(o) for o in options),
                  tuple(str(o.get("method")) for o in options))


def aggregator_choice(methods: Sequence[str | Mapping[str, Any]] = ("amean", "gmean"),
                      name: str = "Aggregation") -> Choice:
    """Alternative aggregators, by name or as ``aggregate`` parameters."""
    opts = tuple({"method": m} if isinstance(m, str) else dict(m) for m in methods)
    return Choice(name, "aggregate", opts, tuple(str(o.get("method")) for o in opts))


# -- progress ------------------------------------------------------------------------------
@contextmanager
def _progress(enabled: bool, total: int, what: str) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr (or nothing); yields ``advance(n)``."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(file=sys.stderr),
                  transient=False) as bar:
        task = bar.add_task(what, total=total)
        yield lambda n: bar.advance(task, n)


# -- the evaluator ----------------------------------------------------------------------------
@dataclass
class Evaluation:
    """Index scores ``(R, units)``, their ranks, and the replications that could be built."""

    scores: FloatArray
    ranks: FloatArray
    valid: np.ndarray
    failures: list[str] = field(default_factory=list)


class Evaluator:
    """Rebuilds ``framework`` under ``inputs`` for rows of u (see the module docstring).

    ``steps`` is the nominal pipeline (default: the framework's declared one); it must end
    with an ``aggregate`` step, and a :class:`Choice` must name a step present in it.
    ``on_error``: ``"raise"`` (default) refuses a replication that cannot be built, e.g. a
    geometric mean over non-positive values, naming its choices; ``"nan"`` keeps going with
    NaN scores for it and counts it in :attr:`Evaluation.failures`.
    """

    def __init__(
        self, framework: Framework, inputs: Sequence[Input],
        steps: Sequence[StepSpec | Mapping[str, Any]] | None = None, index: str | None = None,
        seed: int = 0, on_error: str = "raise",
    ) -> None:
        self.framework = framework
        self.inputs = tuple(inputs)
        if not self.inputs:
            raise CompositeError("uncertainty analysis needs at least one uncertain input")
        names = [i.name for i in self.inputs]
        if len(set(names)) != len(names):
            raise CompositeError(f"uncertain inputs need distinct names (got {names})")
        if on_error not in ("raise", "nan"):
            raise CompositeError(f"on_error must be 'raise' or 'nan' (got {on_error!r})")
        self.on_error = on_error
        self.steps = _specs(framework.pipeline if steps is None else steps)
        kinds = [s.step for s in self.steps]
        if "aggregate" not in kinds or kinds[-1] != "aggregate" or kinds.count("aggregate") > 1:
            raise CompositeError("the nominal pipeline must end with one 'aggregate' step")
        for inp in self.inputs:
            if isinstance(inp, Choice) and inp.step not in kinds:
                raise CompositeError(f"uncertain input {inp.name!r} changes step {inp.step!r}, "
                                     f"which is not in the pipeline {kinds}")
        if sum(isinstance(i, DataNoise) for i in self.inputs) > 1:
            raise CompositeError("at most one DataNoise input")
        self.index = index or framework.at_level(framework.n_levels)[0]
        self.codes = tuple(e.code for e in framework.elements)
        self.nominal_build: Build = run_pipeline(framework, self.steps)
        res = self.nominal_build.results(self.index)
        self.units = res.scores.units
        self.nominal_scores = res.scores.column(self.index)
        self.nominal_ranks = res.ranks.column(self.index)
        agg_params = dict(self.steps[-1].params)
        # weights the nominal build derived from the data (PCA) stay at their nominal values
        override = {**self.nominal_build.data_weights, **dict(agg_params.get("weights") or {})}
        self.base_weights = np.array(
            [float(override.get(c, framework.element(c).weight)) for c in self.codes])
        rng = np.random.default_rng(seed)
        self.banks: dict[str, FloatArray] = {}
        for inp in self.inputs:
            if isinstance(inp, WeightNoise):
                self.banks[inp.name] = weight_multipliers(framework, inp, rng)
        self.seed = seed
        self._cache: dict[tuple[int, ...], Table] = {}

    # -- helpers ---------------------------------------------------------------------------
    def describe(self, row: FloatArray) -> str:
        parts = []
        for inp, u in zip(self.inputs, row, strict=True):
            if isinstance(inp, Choice):
                parts.append(f"{inp.name}: {inp.label(int(inp.pick(np.array(u))))}")
            elif isinstance(inp, WeightNoise):
                parts.append(f"{inp.name}: set {int(inp.pick(np.array(u)))}")
            else:
                parts.append(f"{inp.name}: u={float(u):.6f}")
        return "; ".join(parts)

    def _steps_for(self, picks: Mapping[int, int]) -> list[StepSpec]:
        out = []
        for spec in self.steps:
            params = dict(spec.params)
            for k, inp in enumerate(self.inputs):
                if isinstance(inp, Choice) and inp.step == spec.step:
                    params = _apply_option(spec.step, params, inp.options[picks[k]])
            out.append(StepSpec(spec.step, params))
        return out

    def _prepared(self, key: tuple[int, ...], picks: Mapping[int, int]) -> Table:
        """The data entering aggregation for one combination of pre-aggregation choices."""
        if key not in self._cache:
            steps = self._steps_for(picks)[:-1]
            if self._noise() is not None:
                steps = [s for s in steps if s.step != "normalise"]
            build = run_pipeline(self.framework, steps)
            table = build.latest
            if table.units != self.units:
                raise CompositeError("an uncertain input changed the set of units")
            self._cache[key] = table
        return self._cache[key]

    def _noise(self) -> DataNoise | None:
        for inp in self.inputs:
            if isinstance(inp, DataNoise):
                return inp
        return None

    def weights_for(self, u: FloatArray) -> FloatArray:
        """The weight array ``(R, elements)`` of rows of u."""
        w = np.broadcast_to(self.base_weights, (u.shape[0], self.base_weights.size)).copy()
        for k, inp in enumerate(self.inputs):
            if isinstance(inp, WeightNoise):
                w = w * self.banks[inp.name][inp.pick(u[:, k])]
        return w

    # -- evaluation ----------------------------------------------------------------------
    def evaluate(self, u: Any, progress: bool = False) -> Evaluation:
        """Index scores and ranks for each row of ``u`` (shape ``(R, len(inputs))``)."""
        uu = _u_matrix(u, len(self.inputs))
        n_rep = uu.shape[0]
        scores = np.full((n_rep, len(self.units)), np.nan)
        valid = np.ones(n_rep, dtype=bool)
        picks = np.zeros((n_rep, len(self.inputs)), dtype=int)
        for k, inp in enumerate(self.inputs):
            if isinstance(inp, Choice):
                picks[:, k] = inp.pick(uu[:, k])
        choice_cols = [k for k, i in enumerate(self.inputs) if isinstance(i, Choice)]
        pre_cols = {k for k in choice_cols
                    if getattr(self.inputs[k], "step", "") in PRE_AGGREGATE_STEPS}
        groups: dict[tuple[int, ...], list[int]] = {}
        for r in range(n_rep):
            groups.setdefault(tuple(int(picks[r, k]) for k in choice_cols), []).append(r)
        weights = self.weights_for(uu)
        noise = self._noise()
        agg_spec = self.steps[-1]
        with _progress(progress, n_rep, "replications") as advance:
            for key, rows in groups.items():
                pk = dict(zip(choice_cols, key, strict=True))
                pre = tuple(pk[k] for k in choice_cols if k in pre_cols)
                table = self._prepared(pre, pk)
                params = dict(agg_spec.params)
                for k in choice_cols:
                    inp = self.inputs[k]
                    assert isinstance(inp, Choice)
                    if inp.step == "aggregate":
                        params = _apply_option("aggregate", params, inp.options[pk[k]])
                params.pop("weights", None)
                idx = np.array(rows)
                size = _chunk(len(self.units), table.values.shape[1])
                for start in range(0, idx.size, size):
                    part = idx[start:start + size]
                    if noise is None:
                        out, ok = aggregate_batch(table, self.framework, weights[part],
                                                  codes=self.codes, **params)
                    else:
                        data = self._noisy_normalised(table, uu[part], noise, pk)
                        out, ok = aggregate_batch_data(data, table.columns, self.framework,
                                                       weights[part], codes=self.codes,
                                                       **params)
                    scores[part] = out[self.index]
                    valid[part] = ok
                    advance(part.size)
        failures = [self.describe(uu[r]) for r in np.flatnonzero(~valid)]
        if failures and self.on_error == "raise":
            raise CompositeError(
                f"{len(failures)} of {n_rep} replication(s) cannot be aggregated (e.g. a "
                "geometric or harmonic mean over values <= 0, or Copeland over missing "
                "values); pass on_error='nan' to skip them. First: " + failures[0])
        return Evaluation(scores, rank_rows(scores), valid, failures)

    def _noisy_normalised(self, treated: Table, u: FloatArray, noise: DataNoise,
                          picks: Mapping[int, int]) -> FloatArray:
        k = next(i for i, inp in enumerate(self.inputs) if inp is noise)
        n, m = treated.values.shape
        z = np.empty((u.shape[0], n, m))
        for r in range(u.shape[0]):
            # u -> a seed: the same u always gives the same noise (Sobol design needs it)
            z[r] = np.random.default_rng([self.seed, int(u[r, k] * 2**53)]).standard_normal((n, m))
        data = treated.values[None, :, :] * (1.0 + noise.sd * z)
        spec = next(s for s in self._steps_for(picks) if s.step == "normalise")
        params = dict(spec.params)
        method = str(params.pop("method", "minmax"))
        if params.pop("indicators", None) or any(
                self.framework.element(c).normalise for c in treated.columns):
            raise CompositeError("data noise needs one global normaliser (no per-indicator "
                                 "normalisation)")
        over = params.pop("directions", None) or {}
        dirs = [int(over.get(c, self.framework.element(c).direction)) for c in treated.columns]
        if method not in BATCH_NORMALISERS:
            raise CompositeError(f"data noise: normaliser {method!r} is not batchable "
                                 f"(use one of {BATCH_NORMALISERS})")
        return normalise_batch(data, method, params, dirs)


def evaluate_loop(evaluator: Evaluator, u: Any, progress: bool = False) -> Evaluation:
    """The reference evaluation: one full pipeline run per replication (slow, simple).

    Uses the same choices, weights and noise as :meth:`Evaluator.evaluate`, so the two must
    agree to rounding error. Data noise is not supported here.
    """
    uu = _u_matrix(u, len(evaluator.inputs))
    if evaluator._noise() is not None:
        raise CompositeError("evaluate_loop does not support DataNoise")
    weights = evaluator.weights_for(uu)
    scores = np.full((uu.shape[0], len(evaluator.units)), np.nan)
    valid = np.ones(uu.shape[0], dtype=bool)
    failures = []
    with _progress(progress, uu.shape[0], "replications (loop)") as advance:
        for r in range(uu.shape[0]):
            picks = {k: int(inp.pick(np.array(uu[r, k])))
                     for k, inp in enumerate(evaluator.inputs) if isinstance(inp, Choice)}
            steps = evaluator._steps_for(picks)
            agg = dict(steps[-1].params)
            agg["weights"] = dict(zip(evaluator.codes, weights[r].tolist(), strict=True))
            steps[-1] = StepSpec("aggregate", agg)
            try:
                build = run_pipeline(evaluator.framework, steps)
                scores[r] = build.results(evaluator.index).scores.column(evaluator.index)
            except CompositeError as exc:
                if evaluator.on_error == "raise":
                    raise
                valid[r] = False
                failures.append(f"{evaluator.describe(uu[r])}: {exc}")
            advance(1)
    ranks = np.array([rank_scores(s) for s in scores]) if uu.shape[0] else scores
    return Evaluation(scores, ranks, valid, failures)


def weight_multipliers(framework: Framework, noise: WeightNoise,
                       rng: np.random.Generator) -> FloatArray:
    """``noise.n_sets`` rows ``(n_sets, elements)`` of ``1 + f·U(-1, 1)`` at the noisy levels
    and 1 elsewhere: a weight set is the nominal weights times one row (COINr
    ``get_noisy_weights``)."""
    if noise.n_sets < 1:
        raise CompositeError(f"{noise.name}: n_sets must be >= 1")
    factor = np.array([noise.factor_at(e.level) if e.level in noise.levels else 0.0
                       for e in framework.elements])
    if np.any(factor < 0) or np.any(factor >= 1):
        raise CompositeError(f"{noise.name}: noise factors must be in [0, 1)")
    draws = rng.uniform(-1.0, 1.0, (noise.n_sets, factor.size))
    return 1.0 + factor[None, :] * draws


def _apply_option(step: str, params: Mapping[str, Any], option: Mapping[str, Any]
                  ) -> dict[str, Any]:
    """A step's parameters with an option applied. An option naming a ``method`` replaces
    the old method's own parameters (a z-score takes no ``l`` and ``u``)."""
    out = dict(params)
    if "method" in option:
        if step == "normalise":
            out = {k: v for k, v in out.items() if k in ("indicators", "directions")}
        elif step == "aggregate":
            out.pop("p", None)
    out.update(option)
    return out


def _chunk(n_units: int, n_cols: int) -> int:
    """Replications per batch, so that the largest temporary stays around 32 MB."""
    return max(1, min(20_000, 4_000_000 // max(1, n_units * max(n_cols, n_units))))


def _specs(raw: Sequence[StepSpec | Mapping[str, Any]]) -> list[StepSpec]:
    problems: list[str] = []
    out: list[StepSpec] = []
    for pos, s in enumerate(raw, start=1):
        if isinstance(s, StepSpec):
            out.append(s)
        else:
            out.extend(parse_pipeline([dict(s)], f"pipeline step {pos}", problems))
    if problems:
        raise CompositeError("the pipeline is not valid", problems)
    return out


def _u_matrix(u: Any, d: int) -> FloatArray:
    arr = np.atleast_2d(np.asarray(u, dtype=float))
    if arr.shape[1] != d:
        raise CompositeError(f"u must have {d} column(s), one per uncertain input "
                             f"(got {arr.shape})")
    if np.any((arr < 0) | (arr > 1)) or np.isnan(arr).any():
        raise CompositeError("u must lie in [0, 1]")
    return arr


# -- uncertainty analysis -------------------------------------------------------------------
@dataclass(frozen=True)
class RankStats:
    """Per unit: nominal rank and the mean, median, 5th and 95th percentile of its rank."""

    units: tuple[str, ...]
    nominal: FloatArray
    mean: FloatArray
    median: FloatArray
    q5: FloatArray
    q95: FloatArray

    def rows(self) -> list[dict[str, Any]]:
        return [{"uCode": u, "Nominal": float(self.nominal[i]), "Mean": float(self.mean[i]),
                 "Median": float(self.median[i]), "Q5": float(self.q5[i]),
                 "Q95": float(self.q95[i])} for i, u in enumerate(self.units)]


def rank_stats(units: Sequence[str], nominal: FloatArray, ranks: FloatArray) -> RankStats:
    """Rank statistics over replications (rows of ``ranks``), NaN replications ignored.

    Quantiles interpolate linearly between order statistics (Hyndman & Fan 1996 type 7, R's
    default, which COINr uses).
    """
    with np.errstate(all="ignore"):
        return RankStats(tuple(units), np.asarray(nominal, float), np.nanmean(ranks, axis=0),
                         np.nanmedian(ranks, axis=0), np.nanquantile(ranks, 0.05, axis=0),
                         np.nanquantile(ranks, 0.95, axis=0))


@dataclass(frozen=True)
class UAResult:
    """An uncertainty analysis: its inputs and seed, the u drawn, scores and ranks per
    replication, the rank statistics and the mean absolute rank shift per replication."""

    inputs: tuple[Input, ...]
    seed: int
    u: FloatArray
    units: tuple[str, ...]
    nominal_scores: FloatArray
    nominal_ranks: FloatArray
    scores: FloatArray
    ranks: FloatArray
    valid: np.ndarray
    failures: tuple[str, ...]
    stats: RankStats

    @property
    def rank_shift(self) -> FloatArray:
        """Mean over units of ``|rank - nominal rank|``, per replication (R̄_S)."""
        with np.errstate(all="ignore"):
            return np.nanmean(np.abs(self.ranks - self.nominal_ranks[None, :]), axis=1)

    def rank_frequency(self) -> FloatArray:
        """``freq[i, k]`` = share of replications in which unit i has rank k + 1."""
        n = len(self.units)
        out = np.zeros((n, n))
        ok = self.valid
        for i in range(n):
            r = self.ranks[ok, i]
            r = r[~np.isnan(r)].astype(int)
            if r.size:
                out[i] = np.bincount(r - 1, minlength=n)[:n] / r.size
        return out


def run_uncertainty(
    framework: Framework, inputs: Sequence[Input], n: int = 1000, seed: int = 0,
    steps: Sequence[StepSpec | Mapping[str, Any]] | None = None, index: str | None = None,
    on_error: str = "raise", progress: bool = False,
) -> UAResult:
    """Monte Carlo uncertainty analysis with ``n`` replications (see the module docstring)."""
    if n < 2:
        raise CompositeError("uncertainty analysis needs n >= 2 replications")
    ev = Evaluator(framework, inputs, steps, index, seed, on_error)
    u = np.random.default_rng([seed, 1]).random((n, len(ev.inputs)))
    res = ev.evaluate(u, progress)
    ranks = np.where(res.valid[:, None], res.ranks, np.nan)
    return UAResult(ev.inputs, seed, u, ev.units, ev.nominal_scores, ev.nominal_ranks,
                    res.scores, ranks, res.valid, tuple(res.failures),
                    rank_stats(ev.units, ev.nominal_ranks, ranks))


# -- sensitivity analysis -------------------------------------------------------------------
def sa_sample(n: int, d: int, rng: np.random.Generator | int | None = None) -> FloatArray:
    """The design of Saltelli et al. (2010): ``[A; B; A_B^1; ...; A_B^d]``, N(d+2) rows.

    A and B are independent N × d uniform samples; A_B^i is A with column i taken from B.
    The row layout is COINr's ``SA_sample(N, d)``.
    """
    if n < 2 or d < 1:
        raise CompositeError("sa_sample needs n >= 2 and d >= 1")
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    a = g.random((n, d))
    b = g.random((n, d))
    blocks = [a, b]
    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        blocks.append(ab)
    return np.vstack(blocks)


@dataclass(frozen=True)
class SobolIndices:
    """First-order (``si``) and total (``sti``) Sobol indices with bootstrap percentile
    intervals ``[q_lo, q_hi]``, and the settings that produced them."""

    names: tuple[str, ...]
    si: FloatArray
    sti: FloatArray
    si_lo: FloatArray
    si_hi: FloatArray
    sti_lo: FloatArray
    sti_hi: FloatArray
    n: int
    n_boot: int
    interval: tuple[float, float]
    variance: float

    def rows(self) -> list[dict[str, Any]]:
        return [{"Variable": v, "Si": float(self.si[i]), "STi": float(self.sti[i]),
                 "Si_lo": float(self.si_lo[i]), "Si_hi": float(self.si_hi[i]),
                 "STi_lo": float(self.sti_lo[i]), "STi_hi": float(self.sti_hi[i])}
                for i, v in enumerate(self.names)]


def _sobol_point(ya: FloatArray, yb: FloatArray, yab: FloatArray
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Estimates along the last axis; ``yab`` has the inputs on axis -2."""
    n = ya.shape[-1]
    with np.errstate(all="ignore"):
        return _sobol_raw(ya, yb, yab, n)


def _sobol_raw(ya: FloatArray, yb: FloatArray, yab: FloatArray, n: int
               ) -> tuple[FloatArray, FloatArray, FloatArray]:
    both = np.concatenate([ya, yb], axis=-1)
    var = both.var(axis=-1, ddof=1)
    si = (yb[..., None, :] * (yab - ya[..., None, :])).mean(axis=-1) / var[..., None]
    sti = ((ya[..., None, :] - yab) ** 2).sum(axis=-1) / (2.0 * n * var[..., None])
    return si, sti, var


def sobol_indices(
    y: Any, n: int, d: int, n_boot: int = 500, seed: int | None = 0,
    interval: tuple[float, float] = (0.05, 0.95), names: Sequence[str] | None = None,
) -> SobolIndices:
    """Sobol indices from outputs ``y`` on the :func:`sa_sample` design (N(d+2) values).

    * first order (Saltelli et al. 2010, table 2 (b)): ``S_i = mean(y_B·(y_ABi - y_A)) / V``;
    * total effect (Jansen 1999): ``ST_i = Σ (y_A - y_ABi)² / (2N·V)``;
    * ``V`` is the variance (n-1 divisor) of the 2N values of y_A and y_B together.

    These are COINr's ``SA_estimate`` conventions. Confidence intervals: the N rows are
    resampled with replacement ``n_boot`` times (all blocks together) and the ``interval``
    quantiles of the re-estimates reported (percentile bootstrap). Non-finite outputs are
    refused: drop or repair failed runs first.
    """
    yy = np.asarray(y, dtype=float).ravel()
    if yy.size != n * (d + 2):
        raise CompositeError(f"sobol_indices: expected N(d+2) = {n * (d + 2)} outputs, got "
                             f"{yy.size}")
    if not np.all(np.isfinite(yy)):
        raise CompositeError("sobol_indices: the outputs contain NaN or infinite values")
    ya, yb = yy[:n], yy[n:2 * n]
    yab = yy[2 * n:].reshape(d, n)
    si, sti, var = _sobol_point(ya, yb, yab)
    if not var > 0:
        raise CompositeError("sobol_indices: the output does not vary; indices are undefined")
    lo = hi = slo = shi = np.full(d, np.nan)
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, n, (n_boot, n))
        bsi, bsti, _ = _sobol_point(ya[idx], yb[idx], yab[:, idx].transpose(1, 0, 2))
        lo, hi = np.quantile(bsi, interval, axis=0)
        slo, shi = np.quantile(bsti, interval, axis=0)
    labels = tuple(names) if names is not None else tuple(f"X{i + 1}" for i in range(d))
    return SobolIndices(labels, si, sti, lo, hi, slo, shi, n, n_boot, interval, float(var))


@dataclass(frozen=True)
class SAResult:
    """A sensitivity analysis: the design, outputs, Sobol indices and the rank statistics of
    all N(d+2) runs (COINr reports those too)."""

    inputs: tuple[Input, ...]
    seed: int
    u: FloatArray
    y: FloatArray
    indices: SobolIndices
    stats: RankStats
    target: str


def run_sensitivity(
    framework: Framework, inputs: Sequence[Input], n: int = 500, seed: int = 0,
    n_boot: int = 500, steps: Sequence[StepSpec | Mapping[str, Any]] | None = None,
    index: str | None = None, target: str = "rank_shift", progress: bool = False,
) -> SAResult:
    """Variance-based sensitivity analysis over ``inputs`` with N = ``n`` (N(d+2) runs).

    ``target``: ``"rank_shift"`` (default, COINr's: the mean absolute rank change of the
    index against the nominal ranks), or a unit code (that unit's rank).
    """
    ev = Evaluator(framework, inputs, steps, index, seed, "raise")
    d = len(ev.inputs)
    u = sa_sample(n, d, np.random.default_rng([seed, 2]))
    res = ev.evaluate(u, progress)
    if target == "rank_shift":
        y = np.nanmean(np.abs(res.ranks - ev.nominal_ranks[None, :]), axis=1)
    elif target in ev.units:
        y = res.ranks[:, ev.units.index(target)]
    else:
        raise CompositeError(f"target must be 'rank_shift' or a unit code (got {target!r})")
    idx = sobol_indices(y, n, d, n_boot, seed, names=[i.name for i in ev.inputs])
    return SAResult(ev.inputs, seed, u, y, idx, rank_stats(ev.units, ev.nominal_ranks,
                                                             res.ranks), target)


def coinr_example_inputs(n_weight_sets: int = 100) -> list[Input]:
    """The four uncertain inputs of COINr's sensitivity vignette on the ASEM example:
    winmax 1–5, min-max [1, 100] or z-score (10, 2), 100 noisy weight sets (±25 % at
    levels 2 and 3), arithmetic or geometric mean."""
    return [
        winmax_choice((1, 2, 3, 4, 5)),
        normaliser_choice([{"method": "minmax", "l": 1, "u": 100},
                           {"method": "zscore", "m": 10, "s": 2}]),
        WeightNoise("Weights", (2, 3), 0.25, n_weight_sets),
        aggregator_choice(("amean", "gmean")),
    ]

