"""``mic2025 index``: build, audit, stress-test and report composite indices.

Every command takes the index as one of: a framework YAML file, or the name of a bundled
definition (``provincial_mic2025``, ``quality_competitiveness``, ``manufacturing_power``),
optionally with ``--idata`` for the unit data of a structure-only definition, or
``--from-store --year Y`` to fill a definition whose indicators are plan metrics from the
evidence store (:func:`mic2025.composite.evidence.indicator_table`); a COINr pair
``--idata F --imeta F``; or ``demo``, the provincial index on SYNTHETIC data. Errors of the
engine print ``error: ...`` and exit with status 2. Anything built on SYNTHETIC demo data
says so in every output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from .common import db_option, fail_cleanly, plan_option

F = TypeVar("F", bound=Callable[..., Any])

NORMALISERS = ("minmax", "zscore", "rank", "prank", "borda", "fracmax", "dist2max", "goalposts")
AGGREGATORS = ("amean", "gmean", "hmean", "genmean", "copeland")
DEFAULT_STEPS = ({"step": "normalise", "method": "minmax", "l": 0, "u": 100},
                 {"step": "aggregate", "method": "amean"})


@dataclass(frozen=True)
class Source:
    """Where an index comes from: the command-line options every subcommand shares."""

    definition: str | None
    idata: str | None = None
    imeta: str | None = None
    from_store: bool = False
    year: int | None = None
    as_of: str | None = None
    areas: str | None = None
    db: str | None = None
    plan_file: str | None = None


def _source_options(fn: F) -> F:
    """The options naming the index and its data, handed to the command as ``source``."""

    @wraps(fn)
    def wrapper(*args: Any, definition: str | None, idata: str | None, imeta: str | None,
                from_store: bool, year: int | None, as_of: str | None, areas: str | None,
                db: str | None, plan_file: str | None, **kwargs: Any) -> Any:
        source = Source(definition, idata, imeta, from_store, year, as_of, areas, db, plan_file)
        return fn(*args, source=source, **kwargs)

    out: Any = wrapper
    out = plan_option(out)
    out = db_option(out)
    out = click.option("--areas", metavar="CODE,...",
                       help="With --from-store: the units (GB/T 2260 codes), in order; "
                            "default every area with a figure for the year except the "
                            "plan's own.")(out)
    out = click.option("--as-of", "as_of", default=None,
                       help="With --from-store: what the store knew at the end of this date "
                            "(or at an ISO timestamp with a time zone).")(out)
    out = click.option("--year", type=int, default=None,
                       help="With --from-store: the year whose figures fill the index.")(out)
    out = click.option("--from-store", is_flag=True,
                       help="Fill the index's plan metrics (metric: in the definition) from "
                            "the evidence store, one unit per area.")(out)
    out = click.option("--imeta", type=click.Path(exists=True, dir_okay=False),
                       help="COINr iMeta CSV (with --idata, instead of a definition).")(out)
    out = click.option("--idata", type=click.Path(exists=True, dir_okay=False),
                       help="Unit data CSV: uCode, uName, one column per indicator.")(out)
    return cast(F, click.argument("definition", required=False)(out))


def _framework(source: Source) -> Any:
    from mic2025.composite import indices
    from mic2025.composite.errors import CompositeError
    from mic2025.composite.framework import Framework
    from mic2025.plan import load_plan

    definition, idata, imeta = source.definition, source.idata, source.imeta
    store_only = {"--year": source.year, "--as-of": source.as_of, "--areas": source.areas}
    given = [k for k, v in store_only.items() if v is not None]
    if given and not source.from_store:
        raise click.UsageError(f"{', '.join(given)}: only with --from-store")
    if source.from_store and (idata or imeta or definition in (None, "demo")):
        raise click.UsageError("--from-store fills a definition (a file or a bundled name) "
                               "from the store; it does not go with --idata, --imeta or demo")
    if source.from_store and source.year is None:
        raise click.UsageError("--from-store needs --year")
    if definition == "demo":
        from mic2025.composite.demo import provincial_demo

        return provincial_demo()
    if definition is None:
        if not (idata and imeta):
            raise click.UsageError("give a definition file, or both --idata and --imeta")
        return Framework.from_coinr(idata, imeta)
    if imeta:
        raise click.UsageError("--imeta goes with --idata instead of a definition file")
    path = Path(definition)
    if not path.exists():
        if Path(definition).stem in indices.available():
            path = indices.path(definition)
        else:
            raise CompositeError(f"{definition}: no such file, and not a bundled definition "
                                 f"({', '.join(indices.available())})")
    plan = load_plan(source.plan_file) if source.plan_file or source.from_store else None
    fw = Framework.from_yaml(path, plan)
    if idata:
        fw = fw.with_idata(idata)
    if source.from_store:
        assert plan is not None
        fw = _from_store(fw, plan, source)
    return fw


def _from_store(fw: Any, plan: Any, source: Source) -> Any:
    """``fw`` filled from the evidence store; every missing cell is listed on stderr."""
    from mic2025.composite.evidence import indicator_table
    from mic2025.errors import StoreError
    from mic2025.ingest.load import load_bundled
    from mic2025.store import as_of_instant, open_store

    try:
        as_of = None if source.as_of is None else as_of_instant(source.as_of)
    except StoreError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    areas = None if source.areas is None else \
        [a.strip() for a in source.areas.split(",") if a.strip()]
    assert source.year is not None
    store = open_store(source.db)
    try:
        load_bundled(store, plan)  # as every command that reads evidence does
        evidence = indicator_table(store, plan, fw, areas, source.year, as_of=as_of)
    finally:
        store.close()
    if evidence.missing:
        click.echo(f"note: {len(evidence.missing)} cell(s) have no figure and stay missing "
                   "(an impute step fills them; aggregation re-weights over the members "
                   "present):", err=True)
        for line in evidence.missing:
            click.echo(f"  {line}", err=True)
    return evidence.framework(fw)


def _parse_range(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        lo, hi = (float(p) for p in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected LO,HI (got {text!r})", param_hint="--range") from None
    return lo, hi


def _steps(fw: Any, normalise: str | None, rng: tuple[float, float] | None,
           aggregate: str | None) -> list[dict[str, Any]]:
    steps = [{"step": s.step, **s.params} for s in fw.pipeline] or [dict(s) for s in
                                                                    DEFAULT_STEPS]
    if not any(s["step"] == "normalise" for s in steps):
        steps.insert(len(steps) - 1 if steps[-1]["step"] == "aggregate" else len(steps),
                     dict(DEFAULT_STEPS[0]))
    if not any(s["step"] == "aggregate" for s in steps):
        steps.append(dict(DEFAULT_STEPS[1]))
    for i, s in enumerate(steps):
        if s["step"] == "normalise" and (normalise or rng):
            method = normalise or s.get("method", "minmax")
            new: dict[str, Any] = {"step": "normalise", "method": method}
            for keep in ("indicators", "directions"):
                if keep in s:
                    new[keep] = s[keep]
            if rng is not None:
                lo, hi = rng
                if method == "minmax":
                    new.update(l=lo, u=hi)
                elif method == "zscore":
                    new.update(m=lo, s=hi)
                elif method == "goalposts":
                    new.update(lo=lo, hi=hi, scale=100)
                else:
                    raise click.BadParameter(f"--range does not apply to {method}",
                                             param_hint="--range")
            elif method == s.get("method"):
                new = dict(s)
            steps[i] = new
        if s["step"] == "aggregate" and aggregate:
            new = {k: v for k, v in s.items() if k not in ("method", "by_level", "p")}
            new["method"] = aggregate
            if aggregate == "genmean":
                new["p"] = s.get("p", 2.0)
            steps[i] = new
    return steps


def _synthetic(fw: Any) -> bool:
    return bool(fw.about.get("synthetic"))


def _warn_synthetic(fw: Any) -> None:
    if _synthetic(fw):
        from mic2025.composite.demo import SYNTHETIC_LABEL

        click.echo(f"NOTE: {SYNTHETIC_LABEL}", err=True)


def _num(x: float) -> Any:
    return None if isinstance(x, float) and math.isnan(x) else x


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


def _build_rows(fw: Any, build: Any) -> tuple[list[str], list[dict[str, Any]]]:
    agg = build.dsets["Aggregated"]
    res = build.results()
    cols = list(agg.columns)
    rows = []
    for u in agg.units:
        row: dict[str, Any] = {"uCode": u, "uName": fw.unit_name(u)}
        for c in cols:
            row[c] = _num(agg.get(u, c))
        row["Rank"] = _num(res.ranks.get(u, res.index))
        rows.append(row)
    rows.sort(key=lambda r: (math.inf if r["Rank"] is None else r["Rank"], r["uCode"]))
    return ["uCode", "uName", *cols, "Rank"], rows


def _csv(header: list[str], rows: list[dict[str, Any]], synthetic: bool = False) -> str:
    from ..tabular import csv_text

    head = [*header, "synthetic"] if synthetic else header
    return csv_text(head, [[r.get(h) for h in header] + (["true"] if synthetic else [])
                           for r in rows])


@click.group("index")
def index() -> None:
    """Composite indices: build, audit, uncertainty and sensitivity, demo."""


@index.command("build")
@_source_options
@click.option("--normalise", type=click.Choice(NORMALISERS), help="Override the normaliser.")
@click.option("--range", "range_", metavar="LO,HI",
              help="Target range: minmax [LO,HI]; zscore mean LO, sd HI; goalposts LO..HI.")
@click.option("--aggregate", type=click.Choice(AGGREGATORS), help="Override the aggregator.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@fail_cleanly
def build_cmd(source: Source, normalise: str | None, range_: str | None,
              aggregate: str | None, fmt: str, out: str | None) -> None:
    """Build an index: one row per unit, one column per indicator (normalised) and aggregate.

    DEFINITION is a framework YAML file or a bundled definition name; a structure-only
    definition needs --idata, or --from-store --year Y when its indicators are plan metrics.
    Without a declared pipeline: min-max [0, 100], arithmetic mean.
    """
    from mic2025.composite.pipeline import run_pipeline

    fw = _framework(source)
    steps = _steps(fw, normalise, _parse_range(range_), aggregate)
    build = run_pipeline(fw, steps)
    header, rows = _build_rows(fw, build)
    _warn_synthetic(fw)
    if fmt == "json":
        doc = {"index": fw.name, "labels": dict(fw.labels), "synthetic": _synthetic(fw),
               "pipeline": steps, "notes": build.notes, "columns": header, "rows": rows}
        if "missing_cells" in fw.about:  # built from the evidence store
            doc.update({k: fw.about[k] for k in ("plan", "year", "as_of", "missing_cells")
                        if k in fw.about})
        _emit(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", out)
    else:
        _emit(_csv(header, rows, _synthetic(fw)), out)


@index.command("audit")
@_source_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@fail_cleanly
def audit_cmd(source: Source, fmt: str) -> None:
    """Statistical audit: indicator statistics, correlations with the parent, Cronbach's alpha
    and PCA per group (the JRC coherence checks)."""
    from mic2025.composite import analysis as an
    from mic2025.composite.pipeline import run_pipeline

    fw = _framework(source)
    build = run_pipeline(fw, _steps(fw, None, None, None))
    agg = build.dsets["Aggregated"]
    stats = an.indicator_stats(build.dsets["Raw"])
    corr = [(p, c, r) for lv in range(1, fw.n_levels)
            for p, c, r in an.correlation_with_parent(agg, fw, lv)]
    alpha = []
    for lv in range(2, fw.n_levels + 1):
        for code in fw.at_level(lv):
            members = [m for m in fw.children(code) if m in agg.columns]
            if len(members) >= 2:
                alpha.append((code, len(members), an.cronbach_alpha(agg.select(members).values)))
    pca = []
    for lv in range(1, fw.n_levels):
        try:
            for res in an.pca(agg, fw, lv):
                pca.append((res.group, list(res.members), float(res.prop_var[0]),
                            res.weights.tolist()))
        except Exception as exc:  # a group too small for PCA is reported, not fatal
            pca.append((f"level {lv}", [], math.nan, [str(exc)]))
    _warn_synthetic(fw)
    if fmt == "json":
        doc = {
            "index": fw.name, "synthetic": _synthetic(fw),
            "statistics": [{k: _num(v) for k, v in vars(s).items()} for s in stats],
            "correlation_with_parent": [{"parent": p, "member": c, "r": _num(r)}
                                        for p, c, r in corr],
            "cronbach_alpha": [{"group": g, "k": k, "alpha": _num(a)} for g, k, a in alpha],
            "pca": [{"group": g, "members": m, "pc1_share": _num(v), "loadings": w}
                    for g, m, v, w in pca],
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    if _synthetic(fw):
        click.echo("SYNTHETIC DEMO DATA — not statistics")
    click.echo(f"Audit of {fw.name}: {len(fw.units)} units, {len(fw.indicators)} indicators\n")
    click.echo(f"{'indicator':<28}{'mean':>12}{'sd':>12}{'skew':>8}{'kurt':>8}{'avail':>7}  flags")
    for s in stats:
        flags = ",".join(f for f in (s.flag_avail, s.flag_skewkurt) if f != "ok") or "-"
        click.echo(f"{s.code[:27]:<28}{s.mean:>12.4g}{s.std:>12.4g}{s.skew:>8.2f}"
                   f"{s.kurt:>8.2f}{s.frc_avail:>7.2f}  {flags}")
    click.echo("\nCorrelation with parent (Pearson; * = below 0.3)")
    for p, c, r in corr:
        click.echo(f"  {c[:27]:<28}-> {p:<20}{r:>7.3f}{' *' if r < 0.3 else ''}")
    click.echo("\nCronbach's alpha (* = below 0.7)")
    for g, k, a in alpha:
        click.echo(f"  {g:<28}k={k:<3}{a:>7.3f}{' *' if a < 0.7 else ''}")
    click.echo("\nPCA per group (share of variance of PC1; loadings)")
    for g, m, v, w in pca:
        loads = ", ".join(f"{x}={y:+.2f}" if isinstance(y, float) else str(y)
                          for x, y in zip(m, w, strict=False)) or str(w[0])
        click.echo(f"  {g:<28}{v:>7.3f}  {loads}")


@index.command("sensitivity")
@_source_options
@click.option("--replications", "-n", type=click.IntRange(2), default=1000, show_default=True,
              help="Monte Carlo replications of the uncertainty analysis.")
@click.option("--sa-n", type=click.IntRange(0), default=200, show_default=True,
              help="Base sample N of the Sobol design (N(d+2) runs); 0 skips the SA.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--normalisers", default="minmax,zscore", show_default=True,
              help="Alternative normalisers (minmax is [1,100], zscore is (10,2)).")
@click.option("--aggregators", default="amean,gmean", show_default=True)
@click.option("--noise", type=click.FloatRange(0, 0.99), default=0.25, show_default=True,
              help="Weight noise factor: w·(1 + f·U(-1,1)).")
@click.option("--levels", default=None, help="Levels with noisy weights (default: 2..top-1).")
@click.option("--winmax", default=None,
              help="Winsorisation limits, e.g. 1,2,3,4,5 (needs a treat step).")
@click.option("--boot", type=click.IntRange(0), default=500, show_default=True,
              help="Bootstrap resamples for the Sobol intervals.")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress bars on stderr.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@fail_cleanly
def sensitivity_cmd(source: Source, replications: int, sa_n: int, seed: int, normalisers: str,
                    aggregators: str, noise: float, levels: str | None, winmax: str | None,
                    boot: int, progress: bool, fmt: str) -> None:
    """Uncertainty (rank intervals) and sensitivity (Sobol indices) analysis."""
    from mic2025.composite import uncertainty as ua

    fw = _framework(source)
    steps = _steps(fw, None, None, None)
    presets: dict[str, dict[str, Any]] = {"minmax": {"method": "minmax", "l": 1, "u": 100},
               "zscore": {"method": "zscore", "m": 10, "s": 2},
               "rank": {"method": "rank"}, "prank": {"method": "prank"},
               "borda": {"method": "borda"}, "fracmax": {"method": "fracmax"},
               "dist2max": {"method": "dist2max"}}
    inputs: list[Any] = []
    if winmax:
        if not any(s["step"] == "treat" for s in steps):
            steps.insert(0, {"step": "treat", "winmax": 5})
        inputs.append(ua.winmax_choice([int(v) for v in winmax.split(",")]))
    norms = [n.strip() for n in normalisers.split(",") if n.strip()]
    bad = [n for n in norms if n not in presets]
    if bad:
        raise click.BadParameter(f"unknown {bad}; choose from {sorted(presets)}",
                                 param_hint="--normalisers")
    if norms:
        inputs.append(ua.normaliser_choice([presets[n] for n in norms]))
    lv = tuple(int(v) for v in levels.split(",")) if levels else tuple(
        range(2, fw.n_levels)) or (1,)
    if noise > 0:
        inputs.append(ua.WeightNoise("Weights", lv, noise, 100))
    aggs = [a.strip() for a in aggregators.split(",") if a.strip()]
    if aggs:
        inputs.append(ua.aggregator_choice(aggs))
    _warn_synthetic(fw)
    res = ua.run_uncertainty(fw, inputs, replications, seed, steps, on_error="nan",
                             progress=progress)
    sa = (ua.run_sensitivity(fw, inputs, sa_n, seed, boot, steps, progress=progress)
          if sa_n > 0 else None)
    if fmt == "json":
        doc: dict[str, Any] = {
            "index": fw.name, "synthetic": _synthetic(fw), "seed": seed,
            "replications": replications, "inputs": [i.name for i in inputs],
            "failed_replications": len(res.failures),
            "rank_stats": [{k: _num(v) for k, v in r.items()} for r in res.stats.rows()],
            "mean_rank_shift": float(res.rank_shift[res.valid].mean()),
        }
        if sa is not None:
            doc["sobol"] = {"n": sa_n, "runs": int(sa.u.shape[0]), "target": sa.target,
                            "boot": boot, "indices": sa.indices.rows()}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    if _synthetic(fw):
        click.echo("SYNTHETIC DEMO DATA — not statistics")
    click.echo(f"Uncertainty analysis of {fw.name}: {replications} replications, seed {seed}; "
               f"inputs: {', '.join(i.name for i in inputs)}")
    if res.failures:
        click.echo(f"  {len(res.failures)} replication(s) could not be built and are left "
                   f"out, e.g. {res.failures[0]}")
    click.echo(f"\n{'unit':<12}{'nominal':>8}{'mean':>8}{'median':>8}{'Q5':>6}{'Q95':>6}")
    for r in sorted(res.stats.rows(), key=lambda r: r["Nominal"]):
        click.echo(f"{r['uCode'][:11]:<12}{r['Nominal']:>8.0f}{r['Mean']:>8.2f}"
                   f"{r['Median']:>8.1f}{r['Q5']:>6.1f}{r['Q95']:>6.1f}")
    click.echo(f"\nmean absolute rank shift: {float(res.rank_shift[res.valid].mean()):.3f}")
    if sa is not None:
        click.echo(f"\nSobol indices of the mean absolute rank shift (N={sa_n}, "
                   f"{sa.u.shape[0]} runs, {boot} bootstrap resamples, 5-95 %)")
        click.echo(f"{'input':<16}{'Si':>8}{'Si 5-95 %':>20}{'STi':>8}{'STi 5-95 %':>20}")
        for r in sa.indices.rows():
            click.echo(f"{r['Variable']:<16}{r['Si']:>8.3f}  [{r['Si_lo']:>6.3f}, "
                       f"{r['Si_hi']:>6.3f}]{r['STi']:>8.3f}  [{r['STi_lo']:>6.3f}, "
                       f"{r['STi_hi']:>6.3f}]")


@index.command("demo")
@click.option("--year", type=int, default=2024, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--enterprises", type=click.IntRange(1000), default=100_000, show_default=True,
              help="Size of the synthetic enterprise population.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@fail_cleanly
def demo_cmd(year: int, seed: int, enterprises: int, fmt: str, out: str | None) -> None:
    """Build the provincial MIC2025 index on SYNTHETIC data (a demonstration, not statistics)."""
    from mic2025.composite.demo import SYNTHETIC_LABEL, provincial_demo
    from mic2025.composite.pipeline import run_pipeline

    fw = provincial_demo(year, enterprises, seed)
    build = run_pipeline(fw)
    header, rows = _build_rows(fw, build)
    _warn_synthetic(fw)
    if fmt == "json":
        doc = {"index": fw.name, "synthetic": True, "label": SYNTHETIC_LABEL,
               "data_source": fw.about.get("data_source"), "year": year, "columns": header,
               "rows": rows}
        _emit(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", out)
    else:
        _emit(_csv(header, rows, synthetic=True), out)


@index.command("report")
@_source_options
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="The HTML file to write.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option("--replications", "-n", type=click.IntRange(0), default=1000, show_default=True,
              help="Uncertainty replications (0: no uncertainty section).")
@click.option("--sa-n", type=click.IntRange(0), default=200, show_default=True,
              help="Sobol base sample N (0: no sensitivity section).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--progress/--no-progress", default=True, show_default=True)
@fail_cleanly
def report_cmd(source: Source, out: str, lang: str, replications: int, sa_n: int, seed: int,
               progress: bool) -> None:
    """A self-contained HTML report (no JavaScript, no network): framework tree, ranking by
    pillar contribution, rank uncertainty, correlations, sensitivity."""
    from mic2025.composite import uncertainty as ua
    from mic2025.composite.pipeline import run_pipeline
    from mic2025.composite.report import write_report

    fw = _framework(source)
    steps = _steps(fw, None, None, None)
    build = run_pipeline(fw, steps)
    inputs: list[Any] = [
        ua.normaliser_choice([{"method": "minmax", "l": 1, "u": 100},
                              {"method": "zscore", "m": 10, "s": 2}]),
        ua.WeightNoise("Weights", tuple(range(2, fw.n_levels)) or (1,), 0.25, 100),
        ua.aggregator_choice(("amean", "gmean")),
    ]
    res = (ua.run_uncertainty(fw, inputs, replications, seed, steps, on_error="nan",
                              progress=progress) if replications >= 2 else None)
    sa = None
    if sa_n > 0:
        try:
            sa = ua.run_sensitivity(fw, inputs, sa_n, seed, 500, steps, progress=progress)
        except Exception as exc:  # e.g. a geometric mean over z-scores <= 0: say so, go on
            click.echo(f"warning: no sensitivity section: {exc}", err=True)
    _warn_synthetic(fw)
    path = write_report(out, build, res, sa, lang)
    click.echo(str(path))
