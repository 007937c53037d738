"""The Spark engine: the same indicator queries as :mod:`.engine`, run by PySpark.

Nothing here knows an indicator. :func:`compute` and :func:`bootstrap` take the same
formulas and options as their DuckDB twins (:func:`mic2025.microdata.engine.compute`,
:func:`mic2025.microdata.variance.bootstrap`), build the query with the same
:func:`~mic2025.microdata.engine.build_query` in the ``spark`` dialect of
:func:`mic2025.formula.to_sql`, and return a pyarrow table with the same columns, rows and
order, so a caller (and the shared test suite) cannot tell the engines apart except by
speed (:class:`mic2025.microdata.backends.SparkBackend` puts them behind the engines'
interface). Results are brought back with ``collect()``: they are one row per group, never the
enterprise rows, so pandas is not needed.

Sessions
    :func:`spark_session` starts (or reuses) a session with the settings of
    :data:`SESSION_SETTINGS`. Local mode (``local[2]``) binds the driver to 127.0.0.1 —
    on machines whose host name resolves to a loopback address Spark otherwise picks an
    address of its own — turns the web UI off and uses 4 shuffle partitions instead of 200,
    which suits a few cores. On a cluster, ``spark-submit`` supplies the master and the
    cluster's own settings; pass ``master=None`` so that the builder does not override them
    (see ``docs/microdata.md``).

Sources
    A Parquet path (a file, a directory or a glob; local, ``hdfs://``, ``s3a://`` or an NFS
    mount — whatever the session can read), a Spark DataFrame, or a pyarrow table (shipped to
    the session; meant for tests and small data).

The bootstrap
    Replicate weights are drawn on the driver by :func:`.design.rao_wu_draw` (or taken from
    a stored design, :mod:`.design`) from the design columns in row order (the row order of
    a single Parquet file, ``_metadata.row_index``), exactly as the DuckDB engine draws
    them, so the same seed gives the same replicates in both engines. They travel to the
    executors as one row per unit holding an array of its R multiplicities; ``posexplode``
    turns that into the replicate rows next to the sample row, and the one grouped query
    estimates every replicate at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np
import pyarrow as pa

from ..formula import aggregates_of, parse
from ..plan import Plan
from .design import ReplicateDesign, fingerprint, rao_wu_draw
from .engine import EngineError, build_query, chosen_formulas, group_sql
from .schema import FIELD_NAMES
from .variance import (
    cells_by_key,
    effective_by_key,
    interval_kind,
    summarise_long,
    unit_floats,
    unit_value_sql,
    units_table,
)

if TYPE_CHECKING:  # pyspark is optional at import time: the DuckDB engine never needs it
    from pyspark.sql import DataFrame, SparkSession

#: settings :func:`spark_session` applies (``spark.sql.shuffle.partitions`` is an argument)
SESSION_SETTINGS: dict[str, str] = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",  # stage bars would mix with our own progress
    "spark.sql.session.timeZone": "UTC",
    # Arrow makes createDataFrame(pyarrow.Table) one transfer instead of row by row
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}

ROW_INDEX = "__row"

#: why the Spark engine cannot run here, and how to install it
SPARK_MISSING = ("the Spark engine needs PySpark: pip install 'mic2025[spark]' (and a Java 17+ "
                 "runtime)")


def spark_available() -> bool:
    """True when PySpark can be imported (a Java runtime is needed to start a session)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return True


def spark_session(
    master: str | None = "local[2]",
    *,
    app_name: str = "mic2025",
    shuffle_partitions: int = 4,
    local: bool = True,
    conf: Mapping[str, str] | None = None,
    log_level: str = "ERROR",
) -> SparkSession:
    """A SparkSession for the microdata engine (an existing active session is reused).

    ``master`` defaults to local mode on two cores; ``None`` leaves it to ``spark-submit``.
    With ``local`` (the default) the settings of :data:`SESSION_SETTINGS` are applied; a
    cluster job passes ``local=False`` and gets only the shuffle partitions, the time zone
    and ``conf``. Settings that size the JVM (``spark.driver.memory``) only take effect when
    the session starts the JVM, i.e. in the first call of a process.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(SPARK_MISSING) from exc
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    settings = dict(SESSION_SETTINGS) if local else {
        "spark.sql.session.timeZone": "UTC"}
    settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(log_level)
    return session


Source: TypeAlias = "str | Path | pa.Table | DataFrame"


def read(source: Source, spark: SparkSession) -> DataFrame:
    """A DataFrame for a Parquet path, a DataFrame or a pyarrow table."""
    if isinstance(source, str | Path):
        return spark.read.parquet(str(source))
    if isinstance(source, pa.Table):
        return spark.createDataFrame(_plain(source))
    return source


def _plain(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns decoded (Spark's Arrow reader does not take them)."""
    cols = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
            for c in table.columns]
    return pa.table(cols, names=table.column_names)


_ARROW_TYPES = {
    "ShortType": pa.int16(), "IntegerType": pa.int32(), "LongType": pa.int64(),
    "DoubleType": pa.float64(), "FloatType": pa.float32(), "StringType": pa.string(),
    "BooleanType": pa.bool_(),
}


def _to_arrow(df: DataFrame) -> pa.Table:
    """``collect()`` a (small, aggregated) DataFrame into a pyarrow table of the same types."""
    rows = df.collect()
    names = df.schema.names
    types = [_ARROW_TYPES.get(type(f.dataType).__name__) for f in df.schema.fields]
    columns = {}
    for i, (name, typ) in enumerate(zip(names, types, strict=True)):
        columns[name] = pa.array([r[i] for r in rows], type=typ)
    return pa.table(columns) if columns else pa.table({})


def _view(df: DataFrame, prefix: str) -> str:
    import uuid

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    df.createOrReplaceTempView(name)
    return name


def compute(
    source: Source,
    formulas: Plan | Mapping[str, str],
    *,
    by: Sequence[str] = ("year",),
    weighted: bool = False,
    weight_column: str = "design_weight",
    spark: SparkSession | None = None,
) -> pa.Table:
    """Every formula per group of ``by`` in one Spark SQL query (see :func:`.engine.compute`)."""
    spark = spark or spark_session()
    chosen = chosen_formulas(formulas, source)
    df = read(source, spark)
    present = set(df.columns)
    if weighted and weight_column not in present:
        raise EngineError(f"weighted=True but the source has no {weight_column!r} column")
    fields = [f for f in FIELD_NAMES if f in present]
    view = _view(df, "mic2025_src")
    try:
        query = build_query(chosen, f"`{view}`", by=by, weighted=weighted,
                            weight_column=weight_column, dialect="spark", fields=fields)
        return _to_arrow(spark.sql(query))
    finally:
        spark.catalog.dropTempView(view)


def _with_row_numbers(source: Source, spark: SparkSession) -> DataFrame:
    """The sample with a 1-based ``__row`` in file order, as the DuckDB engine numbers it."""
    if isinstance(source, pa.Table):
        numbered = _plain(source).append_column(
            ROW_INDEX, pa.array(np.arange(1, source.num_rows + 1, dtype=np.int64)))
        return spark.createDataFrame(numbered)
    if isinstance(source, str | Path):
        df = spark.read.parquet(str(source))
        files = df.inputFiles()
        if len(files) != 1:
            raise EngineError(f"the Spark bootstrap reads one Parquet file, {source} has "
                              f"{len(files)}; row numbers are the units' identity")
        return df.selectExpr("*", f"_metadata.row_index + 1 AS {ROW_INDEX}")
    if ROW_INDEX in source.columns:
        return source
    raise EngineError(f"a DataFrame passed to the Spark bootstrap needs a {ROW_INDEX!r} "
                      "column numbering its rows 1…n (or pass the Parquet path)")


def bootstrap(
    source: Source,
    formulas: Plan | Mapping[str, str],
    *,
    by: Sequence[str] = ("year",),
    replicates: int = 200,
    level: float = 0.95,
    fpc: bool = True,
    seed: int = 0,
    weight_column: str = "design_weight",
    spark: SparkSession | None = None,
    design: ReplicateDesign | None = None,
) -> pa.Table:
    """Rao–Wu bootstrap estimates, SEs and intervals on Spark (see :func:`.variance.bootstrap`).

    The same method, seed and output as the DuckDB engine: the full sample (replicate 0)
    and every replicate in one grouped query over the replicate-weight join. With
    ``design`` (stored replicate weights) nothing is drawn, and a design made for other
    units is refused.
    """
    spark = spark or spark_session()
    chosen = chosen_formulas(formulas, source)
    df = _with_row_numbers(source, spark)
    present = set(df.columns)
    for needed in ("stratum", weight_column):
        if needed not in present:
            raise EngineError(f"the bootstrap needs a {needed!r} column in the sample")
    use_fpc = fpc and "stratum_size" in present
    year_sql = "year" if "year" in present else "NULL"
    keys = group_sql(by, "spark")
    fields = [f for f in FIELD_NAMES if f in present]
    trees = [parse(chosen[i], fields) for i in chosen]
    aggs = list(dict.fromkeys(a for t in trees for a in aggregates_of(t)))
    selected = df.selectExpr(
        ROW_INDEX, f"concat(CAST({year_sql} AS STRING), '|', CAST(stratum AS STRING)) AS h",
        f"CAST(`{weight_column}` AS DOUBLE) AS w",
        ("CAST(stratum_size AS DOUBLE)" if use_fpc else "CAST(NULL AS DOUBLE)") + " AS big_n",
        *[f"{sql} AS `__k_{name}`" for name, sql in keys],
        *[f"{unit_value_sql(a, 'spark')} AS __v{j}" for j, a in enumerate(aggs)],
    ).orderBy(ROW_INDEX)
    design_cols = _to_arrow(selected)
    rows = design_cols.column(ROW_INDEX).to_numpy()
    base = np.asarray(design_cols.column("w").to_numpy(), dtype=np.float64)
    if design is None:
        design = rao_wu_draw(np.asarray(design_cols.column("h").to_pylist(), dtype=str),
                             replicates, seed=seed,
                             stratum_size=np.asarray(design_cols.column("big_n").to_numpy(),
                                                     dtype=np.float64) if use_fpc else None)
    else:
        for needed in ("enterprise_id", "year"):
            if needed not in present:
                raise EngineError(f"stored replicate weights need a {needed!r} column in "
                                  "the sample, to check that they belong to it")
        size = "CAST(stratum_size AS BIGINT)" if "stratum_size" in present else "NULL"
        ids = _to_arrow(df.selectExpr(
            ROW_INDEX, "CAST(enterprise_id AS STRING) AS i", "CAST(year AS BIGINT) AS y",
            "CAST(stratum AS STRING) AS s", f"{size} AS n").orderBy(ROW_INDEX))
        design.check(fingerprint(ids.column("i"), ids.column("y"), ids.column("s"),
                                 ids.column("n") if size != "NULL" else None), ids.num_rows)
    key_columns = [design_cols.column(f"__k_{name}") for name, _ in keys]
    cells = cells_by_key(key_columns, design)
    effective = effective_by_key(key_columns, design, trees, aggs,
                                 [unit_floats(design_cols.column(f"__v{j}"))
                                  for j in range(len(aggs))], base)
    units = units_table(rows, base, design)
    # one array per unit: slot 0 is the full sample, slot b the multiplicity in replicate b
    slots = np.concatenate([np.zeros((design.units, 1), dtype=np.int16),
                            design.r.astype(np.int16)], axis=1)
    offsets = pa.array(np.arange(0, slots.size + 1, slots.shape[1], dtype=np.int32))
    units = units.append_column("__r", pa.ListArray.from_arrays(offsets, pa.array(slots.ravel())))
    sample_view = _view(df, "mic2025_sample")
    units_view = _view(spark.createDataFrame(units), "mic2025_units")
    try:
        joined = (f"(SELECT s.*, p.__rep, CASE WHEN p.__rep = 0 THEN u.__w0 "
                  f"ELSE u.__a + u.__b * p.__cnt END AS __rw FROM `{sample_view}` AS s "
                  f"JOIN `{units_view}` AS u ON s.{ROW_INDEX} = u.__urow "
                  f"LATERAL VIEW posexplode(u.__r) p AS __rep, __cnt)")
        query = build_query(chosen, joined, by=by, weighted=True, weight_column="__rw",
                            extra_keys=[("__rep", "__rep")], fields=[*fields, "__rw"],
                            dialect="spark")
        result = _to_arrow(spark.sql(query))
    finally:
        spark.catalog.dropTempView(sample_view)
        spark.catalog.dropTempView(units_view)
    return summarise_long(result, list(chosen), list(by), level, cells,
                          [interval_kind(chosen[i]) for i in chosen], effective)


def concentration(
    source: Source,
    formulas: Plan | Mapping[str, str],
    *,
    by: Sequence[str] = ("year",),
    weighted: bool = False,
    weight_column: str = "design_weight",
    top: int = 2,
    spark: SparkSession | None = None,
) -> pa.Table:
    """The largest contributions to every total, in Spark SQL (see
    :func:`.disclosure.concentration`)."""
    from .disclosure import by_indicator, concentration_query

    spark = spark or spark_session()
    chosen = chosen_formulas(formulas, source)
    df = read(source, spark)
    present = set(df.columns)
    if weighted and weight_column not in present:
        raise EngineError(f"weighted=True but the source has no {weight_column!r} column")
    fields = [f for f in FIELD_NAMES if f in present]
    for text in chosen.values():
        parse(text, fields)
    view = _view(df, "mic2025_src")
    try:
        query, sums = concentration_query(chosen, f"`{view}`", by=by, weighted=weighted,
                                          weight_column=weight_column, dialect="spark",
                                          top=top)
        rows = _to_arrow(spark.sql(query)) if query else None
    finally:
        spark.catalog.dropTempView(view)
    return by_indicator(rows, sums, chosen, by, top)
