"""The microdata engines behind one interface: :class:`Backend` and the registry :data:`BACKENDS`.

An engine does three things with enterprise returns: every indicator formula per group
(:meth:`Backend.compute`), Rao–Wu bootstrap estimates with standard errors and intervals
(:meth:`Backend.bootstrap`), and the largest contributions to every total that the
disclosure rules judge (:meth:`Backend.concentration`). Every engine returns the same
pyarrow tables — the same columns, types, rows and order, numbers equal to 1e-9 — so the
command line (``--engine``), the benchmark and the shared test suite
(``tests/test_microdata_backends.py``) pick one by name with :func:`backend` and never ask
which one they have.

* ``duckdb`` (:class:`DuckDBBackend`) — in process: :func:`.engine.compute`, and the bootstrap
  by matrix products (:func:`.replicates.bootstrap_matrix`) or, with ``route="join"``, by
  one query over the replicate-weight join (:func:`.variance.bootstrap`);
* ``spark`` (:class:`SparkBackend`) — the same queries on PySpark (:mod:`.spark`), local mode
  or a cluster; PySpark is optional (``pip install 'mic2025[spark]'``) and imported only when a
  Spark backend is made.

Adding an engine: subclass :class:`Backend` (a ``name``; ``extra`` and :meth:`~Backend.available`
when it needs an optional package; ``reads_remote`` when it reads ``hdfs://``-like paths;
``compute`` and ``bootstrap`` with the signatures below), add it to :data:`BACKENDS`, and the
CLI offers it and the shared test suite runs every test on it (under a pytest marker named
after its extra). Building the query with :func:`.engine.build_query` in a
:class:`~mic2025.formula.Dialect` of its own keeps it from drifting from the others.

This module imports no engine: the CLI reads the engines' names from it at start-up.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .errors import EngineError

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
    from pyspark.sql import SparkSession

    from ..plan import Plan
    from .design import ReplicateDesign


class Backend(ABC):
    """One engine. Sources: a Parquet path or a pyarrow table on every engine, plus the
    engine's own kinds (a DuckDB relation or table name; a Spark DataFrame). Formulas: a plan
    (its metrics with a formula) or ``{id: formula}``."""

    #: the name ``--engine`` and :func:`backend` take
    name: ClassVar[str]
    #: the mic2025 extra that installs the engine (``pip install 'mic2025[extra]'``), if any
    extra: ClassVar[str | None] = None
    #: whether a path the local file system does not have (``hdfs://``, ``s3a://``) is a source
    reads_remote: ClassVar[bool] = False

    @classmethod
    def available(cls) -> bool:
        """True when the engine's libraries can be imported here."""
        return True

    @abstractmethod
    def compute(
        self,
        source: Any,
        formulas: Plan | Mapping[str, str],
        *,
        by: Sequence[str] = ("year",),
        weighted: bool = False,
        weight_column: str = "design_weight",
    ) -> pa.Table:
        """Every formula per group of ``by``: the keys, ``n_units``, one column per formula
        (see :func:`.engine.compute`)."""

    @abstractmethod
    def bootstrap(
        self,
        source: Any,
        formulas: Plan | Mapping[str, str],
        *,
        by: Sequence[str] = ("year",),
        replicates: int = 200,
        level: float = 0.95,
        fpc: bool = True,
        seed: int = 0,
        weight_column: str = "design_weight",
        design: ReplicateDesign | None = None,
    ) -> pa.Table:
        """Rao–Wu bootstrap estimates, SEs and intervals: one row per group and indicator
        (see :func:`.variance.bootstrap`); with ``design`` the stored replicate weights."""


    @abstractmethod
    def concentration(
        self,
        source: Any,
        formulas: Plan | Mapping[str, str],
        *,
        by: Sequence[str] = ("year",),
        weighted: bool = False,
        weight_column: str = "design_weight",
        top: int = 2,
    ) -> pa.Table:
        """The largest contributions to every ``sum`` of every formula, per group: the keys,
        ``indicator``, ``total_of``, ``total``, ``top1`` … ``top{top}``, ``units`` (see
        :mod:`.disclosure`); what the dominance and p% rules judge."""


class DuckDBBackend(Backend):
    """DuckDB, in process. ``con``: the connection to run on (default: a cursor of mic2025's
    own in-memory database per call); ``route``: the bootstrap by ``matrix`` products (the
    default, several times faster) or by the replicate-weight ``join`` (one SQL query, as
    Spark runs it) — the two agree to 1e-9."""

    name = "duckdb"
    ROUTES: ClassVar[tuple[str, ...]] = ("matrix", "join")

    def __init__(self, *, con: duckdb.DuckDBPyConnection | None = None,
                 route: str = "matrix") -> None:
        if route not in self.ROUTES:
            raise EngineError(f"unknown bootstrap route {route!r}; choose from "
                              f"{', '.join(self.ROUTES)}")
        self.con = con
        self.route = route

    def compute(self, source: Any, formulas: Plan | Mapping[str, str], *,
                by: Sequence[str] = ("year",), weighted: bool = False,
                weight_column: str = "design_weight") -> pa.Table:
        from .engine import compute

        return compute(source, formulas, by=by, weighted=weighted, weight_column=weight_column,
                       con=self.con)

    def bootstrap(self, source: Any, formulas: Plan | Mapping[str, str], *,
                  by: Sequence[str] = ("year",), replicates: int = 200, level: float = 0.95,
                  fpc: bool = True, seed: int = 0, weight_column: str = "design_weight",
                  design: ReplicateDesign | None = None) -> pa.Table:
        if self.route == "join":
            from .variance import bootstrap as run
        else:
            from .replicates import bootstrap_matrix as run
        return run(source, formulas, by=by, replicates=replicates, level=level, fpc=fpc,
                   seed=seed, weight_column=weight_column, con=self.con, design=design)

    def concentration(self, source: Any, formulas: Plan | Mapping[str, str], *,
                      by: Sequence[str] = ("year",), weighted: bool = False,
                      weight_column: str = "design_weight", top: int = 2) -> pa.Table:
        from .disclosure import concentration

        return concentration(source, formulas, by=by, weighted=weighted,
                             weight_column=weight_column, top=top, con=self.con)


class SparkBackend(Backend):
    """PySpark. ``spark``: the session to run on; without one, a session is started (or the
    active one reused) at the first estimate by :func:`.spark.spark_session` with ``master``,
    by default ``MIC2025_SPARK_MASTER`` or ``local[2]``. Made where PySpark is missing, it
    raises :class:`EngineError` saying how to install it."""

    name = "spark"
    extra = "spark"
    reads_remote = True

    @classmethod
    def available(cls) -> bool:
        from .spark import spark_available

        return spark_available()

    def __init__(self, *, spark: SparkSession | None = None, master: str | None = None
                 ) -> None:
        if not self.available():
            from .spark import SPARK_MISSING

            raise EngineError(SPARK_MISSING)
        self._session = spark
        self.master = master

    @property
    def session(self) -> SparkSession:
        """The session estimates run on (started here the first time it is needed)."""
        if self._session is None:
            from .spark import spark_session

            self._session = spark_session(
                master=self.master or os.environ.get("MIC2025_SPARK_MASTER", "local[2]"))
        return self._session

    def compute(self, source: Any, formulas: Plan | Mapping[str, str], *,
                by: Sequence[str] = ("year",), weighted: bool = False,
                weight_column: str = "design_weight") -> pa.Table:
        from .spark import compute

        return compute(source, formulas, by=by, weighted=weighted, weight_column=weight_column,
                       spark=self.session)

    def bootstrap(self, source: Any, formulas: Plan | Mapping[str, str], *,
                  by: Sequence[str] = ("year",), replicates: int = 200, level: float = 0.95,
                  fpc: bool = True, seed: int = 0, weight_column: str = "design_weight",
                  design: ReplicateDesign | None = None) -> pa.Table:
        from .spark import bootstrap

        return bootstrap(source, formulas, by=by, replicates=replicates, level=level, fpc=fpc,
                         seed=seed, weight_column=weight_column, spark=self.session,
                         design=design)

    def concentration(self, source: Any, formulas: Plan | Mapping[str, str], *,
                      by: Sequence[str] = ("year",), weighted: bool = False,
                      weight_column: str = "design_weight", top: int = 2) -> pa.Table:
        from .spark import concentration

        return concentration(source, formulas, by=by, weighted=weighted,
                             weight_column=weight_column, top=top, spark=self.session)


#: every engine by name, the default first
BACKENDS: dict[str, type[Backend]] = {
    DuckDBBackend.name: DuckDBBackend,
    SparkBackend.name: SparkBackend,
}


def backend(name: str, **options: Any) -> Backend:
    """The engine called ``name``, made with ``options`` (``con``/``route`` for DuckDB,
    ``spark``/``master`` for Spark); an unknown name or an engine not installed here is an
    :class:`EngineError`."""
    try:
        kind = BACKENDS[name]
    except KeyError:
        raise EngineError(f"unknown engine {name!r}; choose from {', '.join(BACKENDS)}"
                          ) from None
    return kind(**options)
