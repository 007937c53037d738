"""The plan's composite indices as definition files (YAML, schema in :mod:`..framework`).

* ``quality_competitiveness`` — 制造业质量竞争力指数: structure only (2 → 6 → 12), weights
  unknown (equal as placeholder);
* ``manufacturing_power`` — CAE 制造强国发展指数: structure only (4 dimensions with the
  published weights, 15 identified indicators, 3 unknown); cannot be computed without the
  user's data;
* ``provincial_mic2025`` — our regional index over the plan's provincially measurable
  indicators, each a plan metric: :func:`mic2025.composite.evidence.indicator_table` fills it
  from the evidence store, :func:`mic2025.composite.demo.provincial_demo` on SYNTHETIC data.
"""

from __future__ import annotations

from pathlib import Path

from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import Framework
from mic2025.plan import Plan

HERE = Path(__file__).resolve().parent


def available() -> tuple[str, ...]:
    """Names of the bundled index definitions."""
    return tuple(sorted(p.stem for p in HERE.glob("*.yaml")))


def path(name: str) -> Path:
    """The file of a bundled definition, by name (``provincial_mic2025``) or file name."""
    stem = Path(name).stem
    p = HERE / f"{stem}.yaml"
    if not p.is_file():
        raise CompositeError(f"no bundled index definition {name!r} (available: "
                             f"{', '.join(available())})")
    return p


def load(name: str, plan: Plan | None = None) -> Framework:
    """A bundled definition as a :class:`Framework` (no units: supply data to build it).

    Its plan metrics are read from ``plan`` (by default the bundled plan)."""
    return Framework.from_yaml(path(name), plan)
