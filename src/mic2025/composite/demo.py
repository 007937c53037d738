"""SYNTHETIC demonstration data for the provincial index — not statistics.

:func:`provincial_demo` fills the bundled ``provincial_mic2025`` definition with one row per
mainland province. The values are the provincial estimates that the plan's indicator
formulas (each indicator's plan metric; an intensity change as an index against the base
year = 100) give on a *synthetic* enterprise population
(:func:`mic2025.microdata.generate.generate_population`, calibrated to the generator's
ILLUSTRATIVE demo targets, aggregated by :func:`mic2025.microdata.engine.compute` with
``by=("year", "province")``). If the microdata package is not importable, a small numpy
generator with a latent "modernity" per province is used instead. Either way the framework's
name starts with "SYNTHETIC" and ``about["synthetic"]`` is true, and every output that shows
it must say so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from mic2025.composite import indices
from mic2025.composite.errors import CompositeError
from mic2025.composite.framework import Framework
from mic2025.composite.table import Table
from mic2025.plan import load_plan

SYNTHETIC_LABEL = "SYNTHETIC DEMO DATA — not statistics / 合成演示数据，非统计数据"

#: NBS's four economic regions (东部、中部、西部、东北) by province prefix.
REGIONS: dict[str, str] = {
    **dict.fromkeys(("11", "12", "13", "31", "32", "33", "35", "37", "44", "46"), "East"),
    **dict.fromkeys(("14", "34", "36", "41", "42", "43"), "Central"),
    **dict.fromkeys(("15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"),
                    "West"),
    **dict.fromkeys(("21", "22", "23"), "Northeast"),
}


def _provinces() -> list[tuple[str, str, str]]:
    """(code, name_zh, name_en) of the 31 mainland provinces (GB/T 2260)."""
    from mic2025.reference import areas

    out = []
    for code, a in sorted(areas().items()):
        if a.level == "province" and code[:2] in REGIONS:
            out.append((code, a.name_zh, a.name_en))
    return out


def _formulas(fw: Framework) -> dict[str, tuple[str, int | None]]:
    """Per indicator: the formula of its plan metric (or of the generator's quantity of the
    same name) and, for a change of an intensity against a base year, that year."""
    from mic2025.microdata.generate import CALIBRATION

    plan = load_plan() if any(fw.element(c).metric for c in fw.indicators) else None
    out: dict[str, tuple[str, int | None]] = {}
    missing = []
    for code in fw.indicators:
        metric_id = fw.element(code).metric
        definition = None if plan is None or metric_id is None else \
            plan.metric(metric_id).definition
        if definition is not None and definition.formula:
            base = None
            if definition.kind == "intensity_change":
                assert plan is not None and metric_id is not None
                base = next((t.base_year for t in plan.metric(metric_id).targets
                             if t.base_year is not None), plan.base_year)
            out[code] = (definition.formula, base)
        elif code in CALIBRATION:
            out[code] = (CALIBRATION[code].formula, None)
        else:
            missing.append(code)
    if missing:
        raise CompositeError(f"demo: no microdata formula for {missing}")
    return out


def _from_microdata(codes: list[str], fw: Framework, year: int, n_enterprises: int,
                    seed: int) -> tuple[np.ndarray, str]:
    from mic2025.microdata.engine import compute
    from mic2025.microdata.generate import generate_population

    formulas = _formulas(fw)
    years = sorted({year, *(b for _, b in formulas.values() if b is not None)})
    population = generate_population(n_enterprises, years=years, seed=seed)
    table = compute(population, {c: f for c, (f, _) in formulas.items()},
                    by=("year", "province"))
    rows = {(int(r["year"]), str(r["province"])): r for r in table.to_pylist()}

    def value(y: int, area: str, code: str) -> float:
        v = rows.get((y, area), {}).get(code)
        return np.nan if v is None else float(v)

    values = np.empty((len(codes), len(formulas)))
    for j, (code, (_, base)) in enumerate(formulas.items()):
        for i, area in enumerate(codes):
            v = value(year, area, code)
            # the plan measures an intensity as an index, base year = 100
            values[i, j] = v if base is None else 100.0 * v / value(base, area, code)
    src = (f"mic2025.microdata.generate.generate_population(n_enterprises={n_enterprises}, "
           f"years={years}, seed={seed}) + mic2025.microdata.engine.compute(by=('year', "
           "'province')) of the plan's formulas")
    return values, src


def _from_numpy(codes: list[str], indicators: tuple[str, ...], directions: list[int],
                seed: int) -> tuple[np.ndarray, str]:
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal(len(codes))
    east = np.array([REGIONS[c[:2]] == "East" for c in codes], dtype=float)
    values = np.empty((len(codes), len(indicators)))
    for j, d in enumerate(directions):
        z = 0.7 * (latent + 0.8 * east) + 0.5 * rng.standard_normal(len(codes))
        values[:, j] = 50.0 * np.exp(0.25 * d * z)
    return values, f"numpy fallback generator (seed={seed})"


def provincial_demo(year: int = 2024, n_enterprises: int = 100_000, seed: int = 0,
                    use_microdata: bool = True) -> Framework:
    """The provincial index definition with SYNTHETIC provincial data (see module doc)."""
    fw = indices.load("provincial_mic2025")
    provinces = _provinces()
    codes = [p[0] for p in provinces]
    source = ""
    values: np.ndarray | None = None
    if use_microdata:
        try:
            values, source = _from_microdata(codes, fw, year, n_enterprises, seed)
        except ImportError:
            values = None
    if values is None:
        directions = [fw.element(c).direction for c in fw.indicators]
        values, source = _from_numpy(codes, fw.indicators, directions, seed)
    data = Table(tuple(codes), fw.indicators, values)
    names = [f"{p[2]} {p[1]}" for p in provinces]
    framed = fw.with_units(data, names, {"region": [REGIONS[c[:2]] for c in codes]})
    about: dict[str, Any] = dict(fw.about, synthetic=True, data=SYNTHETIC_LABEL,
                                 data_source=source, year=year)
    labels = {k: f"SYNTHETIC DEMO · {v}" for k, v in fw.labels.items()}
    return replace(framed, name=f"SYNTHETIC DEMO — {fw.name}", about=about, labels=labels,
                   source=f"{fw.source} + synthetic demo data")
