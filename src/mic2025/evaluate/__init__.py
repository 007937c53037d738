"""The judgement: where each target stands, how fast it must move, how likely it is to arrive.

* :mod:`.measures` — a metric's observations → the comparable yearly series of one target
  (level, index with base year = 100, or growth), with the headline choice and alternatives;
* :mod:`.methods` — the published progress methods (StatCan / Open SDG, UNSD 2020–22,
  UNSD 2023, ESCAP) and the registry :data:`~.methods.METHODS`;
* :mod:`.projection` — time-weighted trend with a residual bootstrap: interval and
  probability of meeting the target;
* :mod:`.trajectory` — the planned path and required paces;
* :mod:`.engine` — :func:`~.engine.evaluate` (a whole plan) and
  :func:`~.engine.assess_series` (one ad-hoc series);
* :mod:`.model` — the output models (their JSON Schema is the documented output).
"""


def default_method() -> str:
    """The registry's default method, read when called: a command-line option's default.

    Importing this package costs nothing, so the command line names the default without
    loading the methods (and pydantic) before a command that needs them runs.
    """
    from .methods import DEFAULT_METHOD

    return DEFAULT_METHOD
