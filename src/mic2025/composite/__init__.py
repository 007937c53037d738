"""Composite indices: framework, normalisation, weighting, aggregation, analysis.

An implementation in numpy of the OECD/JRC *Handbook on Constructing Composite Indicators*
(2008), matching COINr 1.1 (W. Becker) to rounding error on its ASEM example.

Typical use::

    from mic2025.composite import Framework, run_pipeline

    fw = Framework.from_yaml("index.yaml")          # or Framework.from_coinr(idata, imeta)
    build = run_pipeline(fw)                         # the steps declared in the YAML
    res = build.results()                            # scores and ranks of every aggregate

Modules: :mod:`.framework` (tree, units, YAML and COINr inputs), :mod:`.normalise`,
:mod:`.aggregate`, :mod:`.impute`, :mod:`.treat` (JRC outlier rule), :mod:`.pipeline`
(the build steps, callable one by one: ``pipeline.denominate``, ``pipeline.impute``,
``pipeline.screen``, ``pipeline.treat``, ``pipeline.normalise``, ``pipeline.aggregate``),
:mod:`.analysis` (statistics and coherence checks), :mod:`.weights` (AHP, budget
allocation, PCA; the YAML ``weights:`` section), :mod:`.uncertainty` (Monte Carlo
uncertainty analysis and Sobol sensitivity analysis, vectorised by :mod:`.batch`),
:mod:`.explain` (contributions, strengths and weaknesses, rank changes, what-if),
:mod:`.report` (self-contained HTML), :mod:`.indices` (the plan's index definitions) and
:mod:`.demo` (SYNTHETIC provincial demo data). The step functions are not
re-exported here because their names are those of the modules.
"""

from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import Element, Framework, StepSpec
from mic2025.composite.pipeline import Build, Results, rank_scores, results, run_pipeline
from mic2025.composite.table import Table

__all__ = [
    "Build",
    "CompositeError",
    "Element",
    "Framework",
    "Results",
    "StepSpec",
    "Table",
    "rank_scores",
    "results",
    "run_pipeline",
]
