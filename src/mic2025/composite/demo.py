"""SYNTHETIC demonstration data for the provincial index — not statistics.

:func:`provincial_demo` fills the bundled ``provincial_mic2025`` definition with one row per
mainland province. The values are the provincial estimates that the plan's indicator
formulas give on a *synthetic* enterprise population
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


def _from_microdata(codes: list[str], indicators: tuple[str, ...], year: int,
                    n_enterprises: int, seed: int) -> tuple[np.ndarray, str]:
    from mic2025.microdata.engine import compute
    from mic2025.microdata.generate import CALIBRATION, generate_population

    missing = [c for c in indicators if c not in CALIBRATION]
    if missing:
        raise CompositeError(f"demo: no microdata formula for {missing}")
    population = generate_population(n_enterprises, years=[year], seed=seed)
    table = compute(population, {c: CALIBRATION[c].formula for c in indicators},
                    by=("year", "province"))
    rows = {str(r["province"]): r for r in table.to_pylist() if int(r["year"]) == year}
    values = np.array([[np.nan if rows.get(code, {}).get(c) is None else float(rows[code][c])
                        for c in indicators] for code in codes])
    src = (f"mic2025.microdata.generate.generate_population(n_enterprises={n_enterprises}, "
           f"years=[{year}], seed={seed}) + mic2025.microdata.engine.compute(by=('year', "
           "'province'))")
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
            values, source = _from_microdata(codes, fw.indicators, year, n_enterprises, seed)
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
