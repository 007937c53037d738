"""Benchmark of the microdata engines (a script, not a test; speed goals are never asserted).

    python benchmarks/microdata.py [--enterprises 500000] [--years 11] [--sample 30000]
                                   [--replicates 200] [--repeat 3] [--no-spark]

Job: every plan indicator with a formula (the footnote indicators) over a SYNTHETIC
population of ``enterprises × years`` returns, grouped by year × province × division.

Every engine is reached through its backend (:func:`mic2025.microdata.backends.backend`), as
the command line reaches it.

* the engine (``backend("duckdb").compute``, one compiled DuckDB query; the plan's formulas
  with their complete-case rewrite, :mod:`mic2025.microdata.items`) against two peers —
  (a) pandas as an analyst who keeps the categorical columns writes it and (b) polars,
  lazily — goal: each peer / engine ≥ 2 — and (c) ONE hand-written DuckDB SQL query for
  the same table, the floor — goal: engine / floor ≤ 1.1. All three ratios print in one
  run;
* 200 Rao–Wu bootstrap replicates on the sample (``--sample`` per year) against the point
  estimate — goal: replicates / point < 10. The replicate design is part of the sample (as
  agencies publish replicate weights with it, :mod:`mic2025.microdata.design`): (a) the
  one-off cost of drawing it and writing ``sample_replicates.parquet`` at sample time, and
  (b) estimation with the stored weights (reading the file included) by the matrix route
  (what the CLI uses) and, for reference, by one DuckDB query joining the long replicate
  table (the join route). The goal is (b) / point. The on-the-fly route (drawing the
  replicates inside every estimate, what happens without a stored design) is printed too;
* the same job on Spark local mode (``local[2]``), numbers checked equal, time printed.

The three implementations are checked to agree (1e-9 relative) before anything is timed.
Times are the best of ``--repeat`` runs, reading Parquet each time; the engine and its
peers are run in turns (:func:`interleaved`), so that a busy spell of a shared machine
does not fall on one of them alone. The population file is
written as mic2025 writes Parquet (Snappy, one row group per year:
:data:`mic2025.microdata.schema.PARQUET_COMPRESSION`); because a user's own files may be
ZSTD-compressed, engine and pandas are timed on a ZSTD copy as well and that ratio is
printed too (for information; decompression makes every reader slower, DuckDB most).
Peak memory is the process's maximum resident set (``ru_maxrss``; tracemalloc cannot see
DuckDB's memory).

pandas and polars are needed for the peers only and are not dependencies of mic2025:
install the ``bench`` extra (``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Run as a script, this folder comes first on sys.path, and a sibling benchmark named like a
# standard module (platform.py) would shadow it for numpy and everything after: drop it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

GROUPS = ("year", "province", "division")


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def interleaved(repeat: int, jobs: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """The best time of each job over ``repeat`` rounds, every round running each job once
    in turn. Timed one after the other, a busy spell of a shared machine fell on whichever
    job was running and moved the ratios between them by up to 30%; taken in turns, it
    falls on all of them."""
    best = dict.fromkeys(jobs, math.inf)
    for _ in range(repeat):
        for name, fn in jobs.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


PEER_COLUMNS = [
    "year", "area", "division", "revenue", "gross_output", "value_added", "rd_expenditure",
    "valid_invention_patents", "digital_design_tools", "key_processes", "key_processes_nc",
    "energy_tce", "co2_t", "water_m3", "solid_waste_generated", "solid_waste_utilised"]


def pandas_job(path: Path) -> Any:
    """The footnote indicators the way an analyst who knows pandas writes them.

    ``area`` and ``division`` come back as categoricals (they are dictionary-encoded in the
    file) and stay categoricals: the province is worked out once per distinct area code and
    the rows take it by their category code, never a Python string per row (building one
    per row, ``.str[:2]`` on 5.5 million values, took half the baseline's time)."""
    import numpy as np
    import pandas as pd

    df = pd.read_parquet(path, columns=PEER_COLUMNS)
    area = df["area"].cat
    provinces, of_area = np.unique(area.categories.str[:2] + "0000", return_inverse=True)
    df["province"] = pd.Categorical.from_codes(of_area[area.codes], provinces)
    df["has_tools"] = (df["digital_design_tools"] > 0).astype("float64")
    kp = df["key_processes"].astype("float64")
    df["nc_rate"] = df["key_processes_nc"] / kp.where(kp != 0)
    g = df.groupby(list(GROUPS), observed=True, sort=True).agg(
        n_units=("revenue", "size"), revenue=("revenue", "sum"),
        gross_output=("gross_output", "sum"), value_added=("value_added", "sum"),
        rd=("rd_expenditure", "sum"), patents=("valid_invention_patents", "sum"),
        tools=("has_tools", "sum"), nc_rate=("nc_rate", "mean"), energy=("energy_tce", "sum"),
        co2=("co2_t", "sum"), water=("water_m3", "sum"),
        waste=("solid_waste_generated", "sum"), used=("solid_waste_utilised", "sum"))
    out = pd.DataFrame({
        "n_units": g["n_units"],
        "rd_intensity": g["rd"] / g["revenue"] * 100,
        "patents_per_100m_revenue": g["patents"] / g["revenue"] * 1e8,
        "value_added_rate": g["value_added"] / g["gross_output"] * 100,
        "digital_design_tools": g["tools"] / g["n_units"] * 100,
        "key_process_nc_rate": g["nc_rate"] * 100,
        "energy_intensity_reduction": g["energy"] / g["value_added"],
        "co2_intensity_reduction": g["co2"] / g["value_added"],
        "water_intensity_reduction": g["water"] / g["value_added"],
        "solid_waste_utilization": g["used"] / g["waste"] * 100,
    })
    return out.reset_index()


def polars_job(path: Path) -> Any:
    """The same in polars, lazily (one scan, the projection pushed down), as its user
    guide writes a group-by; the province from the area's first two characters."""
    import polars as pl

    kp = pl.col("key_processes").cast(pl.Float64)
    revenue, va = pl.col("revenue").sum(), pl.col("value_added").sum()
    return (
        pl.scan_parquet(path).select(PEER_COLUMNS)
        .with_columns(province=pl.col("area").cast(pl.String).str.slice(0, 2) + "0000",
                      division=pl.col("division").cast(pl.String))
        .group_by(list(GROUPS))
        .agg(n_units=pl.len(),
             rd_intensity=pl.col("rd_expenditure").sum() / revenue * 100,
             patents_per_100m_revenue=pl.col("valid_invention_patents").sum() / revenue * 1e8,
             value_added_rate=va / pl.col("gross_output").sum() * 100,
             digital_design_tools=(pl.col("digital_design_tools") > 0).mean() * 100,
             key_process_nc_rate=(pl.col("key_processes_nc")
                                  / pl.when(kp != 0).then(kp)).mean() * 100,
             energy_intensity_reduction=pl.col("energy_tce").sum() / va,
             co2_intensity_reduction=pl.col("co2_t").sum() / va,
             water_intensity_reduction=pl.col("water_m3").sum() / va,
             solid_waste_utilization=pl.col("solid_waste_utilised").sum()
             / pl.col("solid_waste_generated").sum() * 100)
        .sort(list(GROUPS)).collect())


FLOOR_SQL = """
SELECT year, substr(area, 1, 2) || '0000' AS province, division, COUNT(*) AS n_units,
  SUM(rd_expenditure) / NULLIF(SUM(revenue), 0) * 100 AS rd_intensity,
  SUM(valid_invention_patents) / NULLIF(SUM(revenue), 0) * 1e8 AS patents_per_100m_revenue,
  SUM(value_added) / NULLIF(SUM(gross_output), 0) * 100 AS value_added_rate,
  COUNT(*) FILTER (WHERE digital_design_tools > 0) / COUNT(*) * 100 AS digital_design_tools,
  AVG(key_processes_nc / NULLIF(key_processes, 0)) * 100 AS key_process_nc_rate,
  SUM(energy_tce) / NULLIF(SUM(value_added), 0) AS energy_intensity_reduction,
  SUM(co2_t) / NULLIF(SUM(value_added), 0) AS co2_intensity_reduction,
  SUM(water_m3) / NULLIF(SUM(value_added), 0) AS water_intensity_reduction,
  SUM(solid_waste_utilised) / NULLIF(SUM(solid_waste_generated), 0) * 100
    AS solid_waste_utilization
FROM read_parquet('{path}') GROUP BY ALL ORDER BY ALL
"""


def rows_of(table: Any) -> list[dict[str, Any]]:
    """Rows of a pyarrow table, a pandas or a polars frame, as dicts."""
    if hasattr(table, "to_pylist"):
        return list(table.to_pylist())
    if hasattr(table, "to_dicts"):  # polars
        return list(table.to_dicts())
    return list(table.to_dict("records"))


def agree(name: str, got: list[dict[str, Any]], want: list[dict[str, Any]],
          columns: list[str]) -> None:
    """Stop the benchmark unless ``got`` equals ``want`` to 1e-9 relative, row by row."""
    if len(got) != len(want):
        sys.exit(f"{name}: {len(got)} groups, the engine has {len(want)}")
    for a, b in zip(got, want, strict=True):
        if [str(a[k]) for k in GROUPS] != [str(b[k]) for k in GROUPS]:
            sys.exit(f"{name}: group {[a[k] for k in GROUPS]} != {[b[k] for k in GROUPS]}")
        for c in columns:
            x, y = a[c], b[c]
            x = math.nan if x is None else float(x)
            y = math.nan if y is None else float(y)
            if math.isnan(x) and math.isnan(y):
                continue
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=0.0):
                sys.exit(f"{name}: {c} of {[a[k] for k in GROUPS]} is {x}, the engine says {y}")


def verdict(ok: bool) -> str:
    return "goal met" if ok else "goal MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=500_000)
    parser.add_argument("--years", type=int, default=11, help="years from 2015")
    parser.add_argument("--sample", type=int, default=30_000, help="sample size per year")
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts")
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark run")
    args = parser.parse_args()
    try:
        import pandas  # noqa: F401
        import polars  # noqa: F401
    except ImportError as exc:
        sys.exit(f"benchmarks/microdata.py needs pandas and polars for its peers ({exc.name} "
                 "is missing; neither is a dependency of mic2025): pip install -e '.[bench]'")
    import duckdb
    import pyarrow.parquet as pq

    from mic2025.microdata.backends import BACKENDS, backend
    from mic2025.microdata.design import (
        design_units,
        read_design,
        replicate_design,
        replicates_path,
        write_design,
    )
    from mic2025.microdata.engine import plan_formulas
    from mic2025.microdata.generate import draw_sample, generate_population, write_parquet
    from mic2025.plan import load_plan

    duck = backend("duckdb")  # the bootstrap by matrix products, what the CLI runs
    duck_join = backend("duckdb", route="join")

    formulas = plan_formulas(load_plan())
    columns = ["n_units", *formulas]
    years = range(2015, 2015 + args.years)
    print(f"SYNTHETIC data: {args.enterprises:,} enterprises × {args.years} years; "
          f"{len(formulas)} indicators by {' × '.join(GROUPS)}; best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="mic2025-bench-") as tmp:
        start = time.perf_counter()
        pop = generate_population(args.enterprises, years=years, seed=1)
        pop_path = write_parquet(pop, Path(tmp) / "population.parquet")
        sample = draw_sample(pop, args.sample, seed=2)
        sample_path = write_parquet(sample, Path(tmp) / "sample.parquet")
        n_rows = pop.num_rows
        del pop
        print(f"generated and written in {time.perf_counter() - start:.1f} s "
              f"({n_rows:,} rows; peak memory {peak_mb():,.0f} MB)")

        con = duckdb.connect()
        con.sql("SET enable_progress_bar = false")

        def engine() -> Any:
            return duck.compute(pop_path, formulas, by=GROUPS)

        def floor() -> Any:
            return con.sql(FLOOR_SQL.format(path=pop_path)).to_arrow_table()

        # --- the four agree before anything is timed
        reference = rows_of(engine())
        mem_engine = peak_mb()
        agree("hand-written SQL", rows_of(floor()), reference, columns)
        agree("pandas", rows_of(pandas_job(pop_path)), reference, columns)
        agree("polars", rows_of(polars_job(pop_path)), reference, columns)
        print(f"checked: engine, hand-written SQL, pandas and polars agree on "
              f"{len(reference):,} groups (1e-9 relative)")

        times = interleaved(args.repeat, {
            "engine": engine, "floor": floor, "polars": lambda: polars_job(pop_path),
            "pandas": lambda: pandas_job(pop_path)})
        t_engine, t_floor, t_polars, t_pandas = (
            times["engine"], times["floor"], times["polars"], times["pandas"])
        mem_pandas = peak_mb()
        print(f"\nengine (compiled DuckDB query)   {t_engine:8.3f} s")
        print(f"floor (one hand-written query)   {t_floor:8.3f} s")
        print(f"polars (lazy group-by)           {t_polars:8.3f} s")
        print(f"pandas (categoricals kept)       {t_pandas:8.3f} s")
        r_pandas, r_polars = t_pandas / t_engine, t_polars / t_engine
        r_floor = t_engine / t_floor
        print(f"pandas / engine  = {r_pandas:6.2f}×   (goal ≥ 2×)    {verdict(r_pandas >= 2)}")
        print(f"polars / engine  = {r_polars:6.2f}×   (goal ≥ 2×)    {verdict(r_polars >= 2)}")
        print(f"engine / floor   = {r_floor:6.2f}×   (goal ≤ 1.1×)  {verdict(r_floor <= 1.1)}")
        print(f"peak memory: {mem_engine:,.0f} MB after the engine's first run, "
              f"{mem_pandas:,.0f} MB after the peers")

        # --- the same on a ZSTD copy, for information (users' files may be compressed so)
        zstd_path = Path(tmp) / "population-zstd.parquet"
        source = pq.ParquetFile(pop_path)
        with pq.ParquetWriter(zstd_path, source.schema_arrow, compression="zstd") as writer:
            for i in range(source.num_row_groups):
                writer.write_table(source.read_row_group(i))
        times_z = interleaved(args.repeat, {
            "engine": lambda: duck.compute(zstd_path, formulas, by=GROUPS),
            "pandas": lambda: pandas_job(zstd_path), "polars": lambda: polars_job(zstd_path)})
        t_engine_z, t_pandas_z, t_polars_z = (
            times_z["engine"], times_z["pandas"], times_z["polars"])
        sizes = f"{pop_path.stat().st_size / 1e6:,.0f} MB Snappy, " \
                f"{zstd_path.stat().st_size / 1e6:,.0f} MB ZSTD"
        print(f"on a ZSTD copy ({sizes}): engine {t_engine_z:.3f} s, pandas {t_pandas_z:.3f} s, "
              f"polars {t_polars_z:.3f} s; pandas / engine = {t_pandas_z / t_engine_z:.2f}×, "
              f"polars / engine = {t_polars_z / t_engine_z:.2f}× (for information)")
        zstd_path.unlink()

        # --- replicates against the point estimate, on the sample
        n_sample = sample.num_rows
        start = time.perf_counter()
        design = replicate_design(sample, args.replicates, seed=3)
        t_draw = time.perf_counter() - start
        start = time.perf_counter()
        reps_path = write_design(design, design_units(sample), replicates_path(sample_path),
                                 sample_metadata=sample.schema.metadata)
        t_write = time.perf_counter() - start
        del design, sample

        def point() -> Any:
            return duck.compute(sample_path, formulas, by=("year",), weighted=True)

        def stored() -> Any:  # reading the stored design is part of every estimate
            return duck.bootstrap(sample_path, formulas, by=("year",),
                                  design=read_design(reps_path))

        def stored_join() -> Any:
            return duck_join.bootstrap(sample_path, formulas, by=("year",),
                                       design=read_design(reps_path))

        def fly() -> Any:
            return duck.bootstrap(sample_path, formulas, by=("year",),
                                  replicates=args.replicates, seed=3)

        def join() -> Any:
            return duck_join.bootstrap(sample_path, formulas, by=("year",),
                                       replicates=args.replicates, seed=3)
        s_rows, sj_rows, f_rows = rows_of(stored()), rows_of(stored_join()), rows_of(fly())
        if s_rows != f_rows:
            sys.exit("stored replicate weights do not reproduce the on-the-fly draw")
        for a, b in zip(s_rows, sj_rows, strict=True):
            for k in ("estimate", "se"):
                if not math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-9 * abs(a["estimate"])):
                    sys.exit(f"matrix and join routes disagree: {a} vs {b}")
        # one route after the other, not in turns: taken in turns, each estimate ran after a
        # bootstrap had churned memory and the point estimate took 0.043–0.052 s instead of
        # 0.035–0.040 s, which flattered (b) / point
        t_point, _ = best_of(args.repeat, point)
        t_stored, _ = best_of(args.repeat, stored)
        t_stored_join, _ = best_of(1, stored_join)
        t_fly, _ = best_of(args.repeat, fly)
        t_join, _ = best_of(1, join)
        r3 = t_stored / t_point
        size = reps_path.stat().st_size / 1e6
        print(f"\nsample: {n_sample:,} rows ({args.sample:,} per year), {args.replicates} "
              "replicates, by year; stored = on-the-fly draw (same seed, equal numbers), "
              "matrix and join routes agree (1e-9)")
        print(f"(a) replicate design at sample time: draw {t_draw:.3f} s, write "
              f"{t_write:.3f} s ({reps_path.name}, {size:.1f} MB) — once per sample")
        print(f"point estimate                            {t_point:8.3f} s")
        print(f"(b) stored weights, matrix route          {t_stored:8.3f} s  "
              f"({t_stored / t_point:.1f}× point; reading the file included)")
        print(f"    stored weights, DuckDB join query     {t_stored_join:8.3f} s  "
              f"({t_stored_join / t_point:.1f}×; one run)")
        print(f"    on the fly (draw + matrix route)      {t_fly:8.3f} s  "
              f"({t_fly / t_point:.1f}×)")
        print(f"    on the fly (draw + join route)        {t_join:8.3f} s  "
              f"({t_join / t_point:.1f}×; one run)")
        print(f"(b) / point = {r3:6.1f}×   (goal < 10×)   {verdict(r3 < 10)}")
        print(f"peak memory: {peak_mb():,.0f} MB")

        # --- Spark local mode: equal numbers, time printed
        if args.no_spark:
            return
        if not BACKENDS["spark"].available():
            print("\nSpark: skipped (PySpark is not installed)")
            return
        from mic2025.microdata.spark import spark_session

        start = time.perf_counter()
        spark = backend("spark", spark=spark_session())
        t_start = time.perf_counter() - start
        on_spark = lambda: spark.compute(pop_path, formulas, by=GROUPS)  # noqa: E731
        first = time.perf_counter()
        agree("Spark", rows_of(on_spark()), reference, columns)
        t_first = time.perf_counter() - first
        t_spark, _ = best_of(args.repeat, on_spark)
        print(f"\nSpark local[2]: session start {t_start:.1f} s, first run {t_first:.1f} s, "
              f"best run {t_spark:.2f} s ({t_spark / t_engine:.1f}× the DuckDB engine); "
              "numbers equal the engine's (1e-9)")


if __name__ == "__main__":
    main()
