"""Enterprise returns: schema and validation, synthetic populations and samples, the indicator
engine, and replicate variance.

* :mod:`.schema` — the fields of an enterprise annual return and their rules; validation of a
  Parquet file or DuckDB relation in SQL;
* :mod:`.generate` — synthetic populations calibrated to national targets, stratified samples
  with design weights (every output is flagged synthetic); :mod:`.published` — their
  calibration targets from the bundled published figures;
* :mod:`.backends` — the engines behind one interface (:class:`~.backends.Backend`), chosen
  by name (:func:`~.backends.backend`: ``duckdb``, ``spark``);
* :mod:`.engine` — every plan indicator with a formula, grouped, in one SQL query (DuckDB);
* :mod:`.variance` — Rao–Wu rescaling bootstrap replicate weights, standard errors, intervals
  (replicate-weight join); :mod:`.replicates` — the same by matrix products, faster;
  :mod:`.design` — the replicate design made once with the sample and stored next to it;
* :mod:`.spark` — the same queries on PySpark (local mode or a cluster);
* :mod:`.adjust` — non-response adjustment of weights, small-cell suppression;
* :mod:`.publish` — estimates into the evidence store as observations with intervals.
"""
