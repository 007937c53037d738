"""Synthetic enterprise populations and stratified samples — SYNTHETIC DATA, not real returns.

Every table made here carries a ``synthetic`` column that is always true and Parquet
key-value metadata ``mic2025.synthetic = true`` (with the seed, the generator version and the
calibration targets), so that no synthetic figure can pass for a statistic.

Population (:func:`generate_population`)
    ``n_enterprises`` manufacturers followed over ``years`` (a balanced panel). Each gets a
    mainland province, a GB/T 4754 division, a county-format area code (format-valid, not taken
    from the county list, which is not bundled) and a 统一社会信用代码 with a valid GB 32100-2015
    check character. Revenue is lognormal-times-gamma skewed (a Pareto-like upper tail above the
    20 million yuan 规模以上 threshold) and follows a random walk with national growth, so an
    enterprise stays large or small from year to year. A latent "modernity" factor per
    enterprise drives R&D propensity and intensity, digital design tools and numerical control
    up and energy intensity down, which gives the usual correlations between indicators. The
    size class follows 统计上大中小微型企业划分办法(2017) from employees and revenue.

Calibration
    ``targets`` maps a quantity to ``{year: value}``: a name in :data:`CALIBRATION` or a plan
    formula with the same shape up to a constant factor (``sum(energy_tce) / sum(value_added)``
    matches ``energy_intensity`` whatever the factor; the value is rescaled). Between given
    years targets are interpolated linearly, outside them held flat. Ratios of sums are met
    exactly by scaling the numerator field per year; ``count_if(x > 0) / count()`` exactly by a
    per-year threshold on a latent; the mean of key-process rates and the patent ratio in
    expectation (a per-year logistic shift found by bisection; a Poisson rate). Quantities
    without a target keep the generator's own, arbitrary, level. :data:`DEMO_TARGETS` are
    ILLUSTRATIVE values for demonstrations and tests, not published figures;
    :mod:`.published` turns the bundled published figures into targets (what
    ``mic2025 microdata generate`` uses by default).

Sample (:func:`draw_sample`)
    Stratified simple random sampling without replacement, each year drawn independently,
    strata = province × size class; every ``large`` stratum is taken whole (take-all). Each
    province's other units at or above its revenue cut-off form certainty strata
    (``<province>|<size class>|certain``, taken whole; :func:`certainty_cutoff`, Hidiroglou
    1986, target CV ``certainty_cv``) where the take-some sample left meets Cochran's rule
    (:func:`cochran_minimum`); ``certainty_cv=None`` draws without. The rest of ``n`` is
    allocated by Neyman allocation on revenue (n_h ∝ N_h·S_h; Neyman 1934, *JRSS* 97,
    558–625; Cochran 1977, *Sampling Techniques*, §5.5) or proportionally, with at least
    two units per stratum (so that the bootstrap can resample) and never more than N_h.
    ``inclusion_probability`` = n_h/N_h, ``design_weight`` = N_h/n_h, ``stratum_size`` = N_h.
    The rule, its parameters and every cut-off are in the ``mic2025.certainty`` metadata.
    The replicate design (Rao–Wu bootstrap multiplicities) is made for the sample by
    :func:`mic2025.microdata.design.replicate_design` once non-response is known (it covers
    the respondents) and stored next to it; ``mic2025 microdata generate`` does both.

Everything is vectorised numpy; 500,000 enterprises × 11 years take seconds.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import Mic2025Error
from ..formula import BinaryOp, Expr, Number, parse, to_text
from .schema import (
    PARQUET_COMPRESSION,
    SCALE_THRESHOLD_YUAN,
    SIZE_CLASSES,
    USCC_ALPHABET,
    mainland_provinces,
    manufacturing_divisions,
    uscc_check_indices,
)

GENERATOR_VERSION = "mic2025.microdata.generate/1"


class GenerationError(Mic2025Error, ValueError):
    """A population or sample cannot be made as asked (unknown target, impossible size)."""


@dataclass(frozen=True)
class Quantity:
    """A calibratable national aggregate: its formula and how the generator meets it."""

    formula: str
    method: Literal["scale", "poisson", "threshold", "logistic"]
    field: str


CALIBRATION: dict[str, Quantity] = {
    "value_added_rate": Quantity("sum(value_added) / sum(gross_output) * 100", "scale",
                                 "value_added"),
    "rd_intensity": Quantity("sum(rd_expenditure) / sum(revenue) * 100", "scale",
                             "rd_expenditure"),
    "patents_per_100m_revenue": Quantity("sum(valid_invention_patents) / sum(revenue) * 1e8",
                                         "poisson", "valid_invention_patents"),
    "digital_design_tools": Quantity("count_if(digital_design_tools > 0) / count() * 100",
                                     "threshold", "digital_design_tools"),
    "key_process_nc_rate": Quantity("mean(key_processes_nc / key_processes) * 100", "logistic",
                                    "key_processes_nc"),
    "energy_intensity": Quantity("sum(energy_tce) / sum(value_added)", "scale", "energy_tce"),
    "co2_intensity": Quantity("sum(co2_t) / sum(value_added)", "scale", "co2_t"),
    "water_intensity": Quantity("sum(water_m3) / sum(value_added)", "scale", "water_m3"),
    "solid_waste_utilisation": Quantity(
        "sum(solid_waste_utilised) / sum(solid_waste_generated) * 100", "scale",
        "solid_waste_utilised"),
}

# ILLUSTRATIVE demo targets — round numbers in the neighbourhood of the plan's table, NOT
# published statistics. Units follow the formulas in CALIBRATION (intensities per yuan).
DEMO_TARGETS: dict[str, dict[int, float]] = {
    "value_added_rate": {2015: 22.0, 2025: 26.0},
    "rd_intensity": {2015: 0.95, 2020: 1.3, 2023: 1.7},
    "patents_per_100m_revenue": {2015: 0.44, 2020: 1.1, 2025: 1.6},
    "digital_design_tools": {2015: 58.0, 2020: 72.0, 2025: 84.0},
    "key_process_nc_rate": {2015: 33.0, 2020: 50.0, 2025: 64.0},
    "energy_intensity": {2015: 1.2e-4, 2025: 0.8e-4},
    "co2_intensity": {2015: 2.9e-4, 2025: 1.9e-4},
    "water_intensity": {2015: 3.0e-3, 2025: 1.8e-3},
    "solid_waste_utilisation": {2015: 65.0, 2020: 73.0, 2025: 79.0},
}

# Relative numbers of manufacturers by province (rough shape only; synthetic).
_PROVINCE_WEIGHT = {
    "11": 1.0, "12": 1.2, "13": 3.5, "14": 1.0, "15": 0.8, "21": 1.8, "22": 0.8, "23": 0.7,
    "31": 2.0, "32": 11.0, "33": 11.0, "34": 4.5, "35": 4.0, "36": 3.0, "37": 7.0, "41": 5.0,
    "42": 3.5, "43": 4.0, "44": 13.0, "45": 1.5, "46": 0.2, "50": 1.6, "51": 3.5, "52": 1.0,
    "53": 1.0, "54": 0.05, "61": 1.5, "62": 0.5, "63": 0.15, "64": 0.3, "65": 0.8,
}
# Energy, water and waste intensities by division relative to the average (heavy industry).
_HEAVY = {"22": 3.0, "25": 6.0, "26": 4.0, "28": 2.5, "30": 5.0, "31": 8.0, "32": 5.0}


# --------------------------------------------------------------------------- targets


def _core(expr: Expr) -> tuple[Expr, float]:
    """Split literal factors off the top of a formula: ``x * 100`` → (x, 100)."""
    if isinstance(expr, BinaryOp) and expr.op in ("*", "/"):
        if isinstance(expr.right, Number):
            core, k = _core(expr.left)
            return core, (k * expr.right.value if expr.op == "*"
                          else k / expr.right.value if expr.right.value else k)
        if isinstance(expr.left, Number) and expr.op == "*":
            core, k = _core(expr.right)
            return core, k * expr.left.value
    return expr, 1.0


def quantity_of(formula: str) -> tuple[str, float] | None:
    """The :data:`CALIBRATION` quantity a formula measures, and the factor that turns the
    quantity's value into the formula's (``sum(rd_expenditure) / sum(revenue) * 100`` →
    ``("rd_intensity", 1.0)``; the quantity's own formula carries the ×100), or None."""
    core, factor = _core(parse(formula))
    for name, quantity in CALIBRATION.items():
        own_core, own = _core(parse(quantity.formula))
        if own_core == core and factor != 0:
            return name, factor / own
    return None


def resolve_targets(targets: Mapping[str, Mapping[int, float]]) -> dict[str, dict[int, float]]:
    """Key targets by :data:`CALIBRATION` name, converting formula keys and their units."""
    out: dict[str, dict[int, float]] = {}
    for key, series in targets.items():
        if key in CALIBRATION:
            out[key] = {int(y): float(v) for y, v in series.items()}
            continue
        matched = quantity_of(key)
        if matched is None:
            known = ", ".join(sorted(CALIBRATION))
            raise GenerationError(f"cannot calibrate {key!r}: its formula "
                                  f"{to_text(_core(parse(key))[0])!r} is none of the "
                                  f"generator's quantities ({known})")
        name, factor = matched
        out[name] = {int(y): float(v) / factor for y, v in series.items()}
    return out


def level_in(series: Mapping[int, float], years: np.ndarray) -> np.ndarray:
    """A target series at ``years``: linear between given years, flat outside them."""
    ys = np.array(sorted(series), dtype=np.float64)
    vs = np.array([series[int(y)] for y in ys], dtype=np.float64)
    return np.interp(years.astype(np.float64), ys, vs)  # flat outside the given years


# --------------------------------------------------------------------------- population


def _uscc(rng: np.random.Generator, area_codes: np.ndarray) -> np.ndarray:
    """Unique valid 统一社会信用代码 for enterprises in ``area_codes`` (6-digit strings)."""
    n = len(area_codes)
    idx = np.empty((n, 17), dtype=np.int64)
    idx[:, 0], idx[:, 1] = 9, 1  # 工商 registration, enterprise
    digits = np.frombuffer("".join(area_codes).encode(), dtype=np.uint8).reshape(n, 6) - 48
    idx[:, 2:8] = digits
    # organisation code body: distinct numbers in base 31 (a scrambled counter), one random char
    serial = (np.arange(n, dtype=np.int64) * 7_919_393 + int(rng.integers(0, 31**6))) % 31**8
    for j in range(8):
        idx[:, 15 - j] = serial % 31
        serial //= 31
    idx[:, 16] = rng.integers(0, 10, n)
    check = uscc_check_indices(idx)
    chars = np.frombuffer(USCC_ALPHABET.encode(), dtype=np.uint8)
    codes = chars[np.concatenate([idx, check[:, None]], axis=1)]
    return codes.view("S18").ravel().astype(str)


def _size_class(employees: np.ndarray, revenue: np.ndarray) -> np.ndarray:
    """Indices into SIZE_CLASSES by 统计上大中小微型企业划分办法(2017) for industry."""
    return np.select([(employees >= 1000) & (revenue >= 4e8),
                      (employees >= 300) & (revenue >= 2e7),
                      (employees >= 20) & (revenue >= 3e6)], [0, 1, 2], 3)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _dictionary(indices: np.ndarray, values: Iterable[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32)),
                                          pa.array(list(values), pa.string()))


def generate_population(
    n_enterprises: int = 500_000,
    years: Iterable[int] = range(2015, 2026),
    targets: Mapping[str, Mapping[int, float]] | None = None,
    *,
    seed: int = 0,
    provenance: object = None,
) -> pa.Table:
    """A synthetic balanced panel, ``n_enterprises`` × ``years`` rows, calibrated to ``targets``.

    ``targets=None`` uses :data:`DEMO_TARGETS`; pass ``{}`` for no calibration;
    :func:`mic2025.microdata.published.published_targets` gives targets from the bundled
    published figures. ``provenance`` (JSON-able: where the targets come from) is kept in the
    metadata as ``mic2025.calibration`` and carried to samples. See the module docstring for
    the model.
    """
    rng = np.random.default_rng(seed)
    yrs = np.array(sorted(set(years)), dtype=np.int64)
    if n_enterprises < 1 or yrs.size == 0:
        raise GenerationError("need at least one enterprise and one year")
    goals = resolve_targets(DEMO_TARGETS if targets is None else targets)
    n, n_years = n_enterprises, yrs.size

    # --- who and where (static)
    provinces = mainland_provinces()
    pw = np.array([_PROVINCE_WEIGHT.get(p, 1.0) for p in provinces])
    prov = rng.choice(len(provinces), n, p=pw / pw.sum())
    divisions = manufacturing_divisions()
    dw = rng.gamma(2.0, 1.0, len(divisions))
    div = rng.choice(len(divisions), n, p=dw / dw.sum())
    county = rng.integers(1, 10, n) * 100 + rng.integers(1, 20, n)
    area_codes = np.char.add(np.array(provinces)[prov], np.char.zfill(county.astype(str), 4))
    area_values, area_idx = np.unique(area_codes, return_inverse=True)
    ids = _uscc(rng, area_codes)
    heavy = np.array([_HEAVY.get(d, 1.0) for d in divisions])[div]

    modern = rng.standard_normal(n)  # the latent that ties the indicators together
    div_effect = rng.normal(0.0, 0.3, len(divisions))[div]

    # --- revenue: skewed level, persistent growth path (years × enterprises)
    log_rev0 = (np.log(SCALE_THRESHOLD_YUAN) + 0.2 + rng.gamma(1.2, 0.7, n) + div_effect
                + 0.15 * modern)
    growth = 0.05 + rng.normal(0.0, 0.02, n_years)
    shocks = rng.normal(0.0, 0.12, (n_years, n))
    shocks[0] = 0.0
    log_rev = log_rev0 + np.cumsum(growth[:, None] * (np.arange(n_years) > 0)[:, None]
                                   + shocks, axis=0)
    revenue = np.maximum(np.exp(log_rev), SCALE_THRESHOLD_YUAN * (1.0 + 0.05 * rng.random(n)))
    size_z = (log_rev - log_rev.mean()) / log_rev.std()

    productivity = np.exp(rng.normal(np.log(8e5), 0.5, n) + 0.2 * modern)[None, :] * \
        np.exp(0.06 * np.arange(n_years))[:, None]
    employees = np.maximum(5, np.round(revenue / productivity))
    size = _size_class(employees, revenue)

    gross_output = revenue * np.clip(rng.normal(1.0, 0.05, n), 0.8, 1.2)
    va_share = np.clip(rng.normal(0.24, 0.07, n) + 0.02 * modern, 0.03, 0.6)
    value_added = gross_output * va_share

    # --- R&D: who does it (persistent latent) and how much
    rd_latent = 0.8 * modern + 0.5 * size_z + rng.normal(0.0, 0.6, n) + \
        rng.normal(0.0, 0.3, (n_years, n))
    rd_active = rd_latent > np.quantile(rd_latent, 0.55)
    rd_share = np.exp(rng.normal(np.log(0.02), 0.6, n) + 0.3 * modern)
    rd_expenditure = revenue * rd_share * rd_active

    patent_base = (rd_expenditure / 1e6) ** 0.8 * np.exp(rng.normal(0.0, 0.7, n)) + \
        0.02 * revenue / 1e8

    digital_latent = 0.7 * modern + 0.4 * size_z + rng.normal(0.0, 0.7, n) + \
        rng.normal(0.0, 0.3, (n_years, n))
    tools_count = 1 + rng.poisson(np.clip(1.0 + size_z, 0.0, None))

    key_processes = (3 + rng.poisson(2.0 + np.clip(2.0 * size_z[0], -1.5, 6.0))) * \
        (rng.random(n) > 0.02)
    nc_latent = 1.1 * modern + 0.3 * size_z[0] + rng.normal(0.0, 0.8, n)
    nc_jitter = rng.random(n)  # fixed per enterprise: NC processes do not come and go

    energy = value_added * 1e-4 * heavy * np.exp(rng.normal(0.0, 0.6, n) - 0.3 * modern)
    co2 = energy * np.clip(rng.normal(2.4, 0.3, n), 1.2, 3.5)
    water = value_added * 3e-3 * heavy * np.exp(rng.normal(0.0, 0.7, n) - 0.2 * modern)
    waste = revenue * 2e-5 * heavy * np.exp(rng.normal(0.0, 0.8, n))
    waste_used = waste * np.clip(rng.beta(6.0, 2.5, n) * 1.05, 0.0, 1.3)

    # --- calibration, year by year, in dependency order (value added first)
    def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        return num.sum(axis=1) / den.sum(axis=1)

    def scale_to(name: str, num: np.ndarray, den: np.ndarray, k: float) -> np.ndarray:
        goal = level_in(goals[name], yrs) / k
        return num * (goal / ratio(num, den))[:, None]

    if "value_added_rate" in goals:
        for _ in range(3):  # value added may not exceed gross output: scale, cap, repeat
            value_added = np.minimum(scale_to("value_added_rate", value_added, gross_output,
                                              100.0), gross_output)
    if "rd_intensity" in goals:
        rd_expenditure = scale_to("rd_intensity", rd_expenditure, revenue, 100.0)
        patent_base = (rd_expenditure / 1e6) ** 0.8 * np.exp(rng.normal(0.0, 0.7, n)) + \
            0.02 * revenue / 1e8
    if "energy_intensity" in goals:
        energy = scale_to("energy_intensity", energy, value_added, 1.0)
    if "co2_intensity" in goals:
        co2 = scale_to("co2_intensity", co2, value_added, 1.0)
    if "water_intensity" in goals:
        water = scale_to("water_intensity", water, value_added, 1.0)
    if "solid_waste_utilisation" in goals:
        waste_used = scale_to("solid_waste_utilisation", waste_used, waste, 100.0)

    if "patents_per_100m_revenue" in goals:
        goal = level_in(goals["patents_per_100m_revenue"], yrs) / 1e8 * revenue.sum(axis=1)
        patent_base = patent_base * (goal / patent_base.sum(axis=1))[:, None]
    patents = rng.poisson(patent_base)

    share = level_in(goals.get("digital_design_tools", {yrs[0]: 60.0}), yrs) / 100.0
    cut = np.array([np.quantile(digital_latent[t], 1.0 - share[t]) for t in range(n_years)])
    has_tools = digital_latent > cut[:, None]
    tools = np.where(has_tools, np.where(size_z > 1.0, tools_count, 1), 0)

    nc_goal = level_in(goals.get("key_process_nc_rate", {yrs[0]: 40.0}), yrs) / 100.0
    with_kp = key_processes > 0
    lo, hi = np.full(n_years, -10.0), np.full(n_years, 10.0)
    for _ in range(40):  # bisection on the yearly shift, all years at once
        mid = (lo + hi) / 2
        mean_p = _sigmoid(nc_latent[with_kp][None, :] + mid[:, None]).mean(axis=1)
        lo, hi = np.where(mean_p < nc_goal, mid, lo), np.where(mean_p < nc_goal, hi, mid)
    p_nc = _sigmoid(nc_latent[None, :] + ((lo + hi) / 2)[:, None])
    key_processes_nc = np.minimum(np.floor(key_processes * p_nc + nc_jitter), key_processes)

    # --- assemble, year-major
    rows = n * n_years
    ent = np.tile(np.arange(n), n_years)

    def flat(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (n_years, n)).ravel()

    table = pa.table({
        "enterprise_id": _dictionary(ent, ids),
        "year": pa.array(np.repeat(yrs, n).astype(np.int32)),
        "area": _dictionary(np.tile(area_idx, n_years), area_values),
        "division": _dictionary(np.tile(div, n_years), divisions),
        "size_class": _dictionary(flat(size), SIZE_CLASSES),
        "stratum": pa.nulls(rows, pa.string()),
        "design_weight": pa.nulls(rows, pa.float64()),
        "revenue": pa.array(flat(revenue)),
        "gross_output": pa.array(flat(gross_output)),
        "value_added": pa.array(flat(value_added)),
        "rd_expenditure": pa.array(flat(rd_expenditure)),
        "valid_invention_patents": pa.array(flat(patents).astype(np.int64)),
        "digital_design_tools": pa.array(flat(tools).astype(np.int32)),
        "key_processes": pa.array(flat(key_processes).astype(np.int32)),
        "key_processes_nc": pa.array(flat(key_processes_nc).astype(np.int32)),
        "energy_tce": pa.array(flat(energy)),
        "water_m3": pa.array(flat(water)),
        "co2_t": pa.array(flat(co2)),
        "solid_waste_generated": pa.array(flat(waste)),
        "solid_waste_utilised": pa.array(flat(waste_used)),
        "employees": pa.array(flat(employees).astype(np.int64)),
        "synthetic": pa.array(np.ones(rows, dtype=bool)),
    })
    return _label(table, seed=seed, targets=goals, kind="population",
                  extra=None if provenance is None else {"calibration": provenance})


def _label(table: pa.Table, *, seed: int, targets: Mapping[str, Mapping[int, float]],
           kind: str, extra: Mapping[str, object] | None = None) -> pa.Table:
    meta = {
        "mic2025.synthetic": "true",
        "mic2025.note": "SYNTHETIC DATA generated by mic2025 — not real enterprises",
        "mic2025.generator": GENERATOR_VERSION,
        "mic2025.kind": kind,
        "mic2025.seed": str(seed),
        "mic2025.targets": json.dumps({k: {str(y): v for y, v in s.items()}
                                       for k, s in targets.items()}, sort_keys=True),
        **{f"mic2025.{k}": json.dumps(v) for k, v in (extra or {}).items()},
    }
    return table.replace_schema_metadata({k.encode(): v.encode() for k, v in meta.items()})


#: Largest Parquet row group written (pyarrow's default).
ROW_GROUP_ROWS = 1 << 20


def write_parquet(table: pa.Table, path: str | Path, *,
                  on_row_group: Callable[[], None] | None = None) -> Path:
    """Write a synthetic table to Parquet, keeping its ``mic2025.*`` metadata.

    ``enterprise_id`` is written as plain strings (in memory it is a dictionary over the
    panel's enterprises). A year-major table (as the generator makes them) gets one row group
    per year, at most :data:`ROW_GROUP_ROWS` rows each, so that engines read years in
    parallel and skip the years they do not need; any other order is written in row groups
    of that size.
    ``on_row_group`` is called after each year (or once), for a progress bar.
    """
    if (table.schema.metadata or {}).get(b"mic2025.synthetic") != b"true":
        raise GenerationError("only tables labelled synthetic are written by this module")
    out = Path(path)
    bounds = [0, table.num_rows]
    if "year" in table.column_names and table.num_rows:
        years = table.column("year").to_numpy(zero_copy_only=False)
        starts = np.flatnonzero(years[1:] != years[:-1]) + 1
        if len(starts) + 1 == len(np.unique(years)):  # year-major: each year one run
            bounds = [0, *starts.tolist(), table.num_rows]
    # an identifier is unique within a year: as a dictionary it only costs readers (pyarrow
    # unifies the year's dictionaries, DuckDB decodes them), so the file holds plain strings
    schema = table.schema
    plain = [i for i, field in enumerate(schema) if field.name == "enterprise_id"
             and pa.types.is_dictionary(field.type)]
    for i in plain:
        schema = schema.set(i, schema.field(i).with_type(schema.field(i).type.value_type))
    with pq.ParquetWriter(out, schema, compression=PARQUET_COMPRESSION) as writer:
        for start, stop in itertools.pairwise(bounds):
            writer.write_table(table.slice(start, stop - start).cast(schema),
                               row_group_size=min(stop - start, ROW_GROUP_ROWS) or None)
            if on_row_group is not None:
                on_row_group()
    return out


def is_synthetic(path: str | Path) -> bool:
    """True when a Parquet file carries the ``mic2025.synthetic`` label."""
    meta = pq.read_schema(path).metadata or {}
    return meta.get(b"mic2025.synthetic") == b"true"


# --------------------------------------------------------------------------- sample


def allocate(n: int, sizes: np.ndarray, spreads: np.ndarray, take_all: np.ndarray, *,
             method: Literal["neyman", "proportional"] = "neyman",
             minimum: int | np.ndarray = 2) -> np.ndarray:
    """Stratum sample sizes summing to ``n`` (or to the population, if smaller).

    Take-all strata get N_h. The rest get n_h ∝ N_h·S_h (Neyman) or ∝ N_h (proportional),
    at least ``min(minimum, N_h)`` (a number, or one per stratum) and at most N_h; strata
    whose share reaches N_h are taken whole, strata whose share falls below the minimum get
    the minimum, and in both cases the remainder is allocated again among the others
    (Cochran 1977, §5.9). Rounding by largest remainders keeps the total.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    floor_h = np.minimum(np.broadcast_to(np.asarray(minimum, dtype=np.int64), sizes.shape),
                         sizes)
    alloc = np.where(take_all, sizes, floor_h)
    if alloc.sum() > n:
        shown = minimum if np.ndim(minimum) == 0 else "the given minimum"
        raise GenerationError(f"a sample of {n} cannot hold the take-all strata and the "
                              f"minimum of {shown} per stratum ({int(alloc.sum())} units)")
    fixed = take_all | (alloc >= sizes)
    score = sizes * (np.asarray(spreads, dtype=np.float64) if method == "neyman" else 1.0)
    score = np.where(score > 0, score, sizes.astype(np.float64) * 1e-9)
    while True:
        free = ~fixed
        left = min(n, int(sizes.sum())) - int(alloc[fixed].sum())
        if not free.any() or left <= 0:
            break
        share = np.zeros(len(sizes))
        share[free] = left * score[free] / score[free].sum()
        over = free & (share >= sizes)
        if over.any():  # capped strata are taken whole; allocate the rest again
            alloc[over] = sizes[over]
            fixed |= over
            continue
        under = free & (share < floor_h)
        if under.any():  # below the minimum: held at it; allocate the rest again
            fixed |= under
            continue
        base = np.floor(share).astype(np.int64)
        short = left - int(base[free].sum())
        order = np.argsort(-(share - base) * free, kind="stable")
        base[order[:short]] += 1
        alloc[free] = base[free]
        break
    return alloc


#: the certainty stratum's rule, as the sample's metadata states it
CERTAINTY_RULE = (
    "Hidiroglou (1986, The American Statistician 40(1), 27-31): within each year x province, "
    "with the take-all size classes already taken whole, the take-some units' mean m and "
    "variance S2 (divisor N'-1) give the boundary B = m + sqrt(S2 + (c*Y)^2 / N') (Y the "
    "province's total of the size variable, N' the take-some units, c the target CV); units "
    "at or above B join the take-all part and B is computed again, until no take-some unit "
    "reaches it")
#: how the sample is spread over provinces when the certainty rule is on
CERTAINTY_ALLOCATION = (
    "each province's take-some units get n' = N'^2 S2 / ((c*Y)^2 + N' S2) (the rule's "
    "sample size for CV c of the province total), scaled so that the year's take-all and "
    "take-some units make n; within the province Neyman (or proportional) allocation over "
    "its size classes. A year in which no unit is taken whole is allocated as without "
    "certainty strata (one national Neyman allocation)")
#: when a province's cut is kept (the sample's metadata states it)
CERTAINTY_TAKE_SOME = (
    "a province's cut is kept only when the take-some sample it leaves, n', meets Cochran's "
    "rule for the take-some units left, n' >= 28 + 25*G1^2 (G1 their skewness of the size "
    "variable; Cochran 1977, 2.15; Sugden, Smith & Jones 2000, JRSS B 62, 787-793); "
    "otherwise the province has no certainty stratum and its take-some need is that of all "
    "its take-some units. With target CV auto, the design whose cost is compared with n is "
    "the one after this rule")
#: the size variable of the frame the cut-off is computed on
CERTAINTY_SIZE = "revenue"
#: the target CV of the certainty strata, on by default: the smallest c whose design costs
#: no more than n (per year); see "Certainty strata" in docs/microdata.md for the coverage
#: measured with and without them
CERTAINTY_CV: Literal["auto"] = "auto"


@dataclass(frozen=True)
class Cutoff:
    """What :func:`certainty_cutoff` found for one population: the boundary (None when fewer
    than two take-some units are left), the units at or above it, the iterations and the
    take-some sample size n′ that the target CV needs."""

    boundary: float | None
    certain: np.ndarray
    iterations: int
    take_some: float


class _Tail:
    """One population's take-some candidates, sorted once, for many target CVs."""

    def __init__(self, size: np.ndarray, forced: np.ndarray) -> None:
        self.total = float(size.sum())
        self.rest = np.sort(size[~forced])[::-1]  # largest first
        # suffix sums: the units left after moving the first t are rest[t:]
        self.tail = np.concatenate([np.cumsum(self.rest[::-1])[::-1], [0.0]])
        self.tail2 = np.concatenate([np.cumsum((self.rest**2)[::-1])[::-1], [0.0]])

    def _moments(self, moved: int) -> tuple[int, float, float]:
        left = len(self.rest) - moved
        mean = self.tail[moved] / left
        return left, mean, max((self.tail2[moved] - left * mean**2) / (left - 1), 0.0)

    def cut(self, target_cv: float) -> tuple[int, float | None, int, float]:
        """(units moved, boundary, iterations, n′) for ``target_cv``."""
        moved, iterations, boundary = 0, 0, None
        allowed = (target_cv * self.total) ** 2
        while len(self.rest) - moved >= 2:
            iterations += 1
            left, mean, var = self._moments(moved)
            boundary = mean + float(np.sqrt(var + allowed / left))
            # the take-some part is sorted: the units at or above B are its first ones
            reached = int(np.searchsorted(-self.rest[moved:], -boundary, side="right"))
            if reached == 0:
                return moved, boundary, iterations, left**2 * var / (allowed + left * var)
            moved += reached
        return moved, None, iterations, float(len(self.rest) - moved)

    def design(self, target_cv: float
               ) -> tuple[int, float | None, float, tuple[float, float] | None]:
        """The province's part of the certainty design at ``target_cv``: (units moved,
        boundary, n′, and for a declined cut its n′ and the minimum it failed). Hidiroglou's
        cut is kept only when the take-some need n′ it leaves meets :func:`cochran_minimum`
        for the take-some units left; otherwise nothing is moved and n′ is the need of the
        whole take-some part at the same CV."""
        moved, boundary, _, take_some = self.cut(target_cv)
        if not moved:
            return 0, boundary, take_some, None
        least = cochran_minimum(self.rest[moved:])
        if take_some >= least:
            return moved, boundary, take_some, None
        return 0, None, self.need(target_cv), (take_some, least)

    def need(self, target_cv: float) -> float:
        """n′ of the whole take-some part (nothing moved) for CV ``target_cv``."""
        if len(self.rest) < 2:
            return float(len(self.rest))
        left, _, var = self._moments(0)
        allowed = (target_cv * self.total) ** 2
        return left**2 * var / (allowed + left * var)


#: Cochran's rule in the form of Sugden, Smith & Jones (2000): an SRS of n from a population
#: of skewness G1 gives a 95% interval for the mean close to its nominal coverage when
#: n ≥ 28 + 25·G1²
COCHRAN_BASE, COCHRAN_SKEW = 28.0, 25.0


def cochran_minimum(size: np.ndarray) -> float:
    """The smallest simple random sample of ``size``'s population whose mean has a 95%
    interval of about its nominal coverage: 28 + 25·G1², G1 = m3/m2^1.5 the population's
    skewness (central moments with divisor N; Cochran 1977, §2.15, gives 25·G1²; Sugden,
    Smith & Jones 2000, *JRSS B* 62, 787–793, derive 28 + 25·G1² from the Edgeworth
    expansion). A population of fewer than three units, or of equal units, has no
    skewness to speak of; the base 28 is its minimum."""
    y = np.asarray(size, dtype=np.float64)
    if len(y) < 3:
        return COCHRAN_BASE
    d = y - y.mean()
    m2 = float(np.mean(d * d))
    if not m2 > 0:
        return COCHRAN_BASE
    g1 = float(np.mean(d**3)) / m2**1.5
    return COCHRAN_BASE + COCHRAN_SKEW * g1 * g1


def certainty_cutoff(size: np.ndarray, target_cv: float, *,
                     forced: np.ndarray | None = None) -> Cutoff:
    """The take-all boundary of Hidiroglou (1986) for one population of ``size`` values.

    Units in ``forced`` are taken whole whatever their size (the take-all size classes):
    they count in the total Y but not in the take-some mean and variance. A unit with
    y ≥ B = m + sqrt(S² + (c·Y)²/N′) (m, S² the take-some units' mean and variance with
    divisor N′ − 1, N′ their number, c = ``target_cv``) costs more sampled units in the
    take-some part than taken whole: moving it lowers the sample size that CV c needs
    (the take-some size n′ = N′²S²/((cY)² + N′S²) falls by more than one). The units at or
    above B move and B is computed again from the units left; a moved unit stays moved, so
    the iteration ends — when no take-some unit reaches the boundary of the units left,
    which is the boundary returned. ``certain`` marks the units moved by the rule (not the
    forced ones).
    """
    y = np.asarray(size, dtype=np.float64)
    if not target_cv > 0:
        raise GenerationError(f"the certainty stratum's target CV must be positive, not "
                              f"{target_cv!r}")
    fixed = np.zeros(len(y), dtype=bool) if forced is None else np.asarray(forced, bool)
    tail = _Tail(y, fixed)
    moved, boundary, iterations, take_some = tail.cut(target_cv)
    certain = ~fixed & (y >= tail.rest[moved - 1]) if moved else np.zeros(len(y), bool)
    return Cutoff(boundary, certain, iterations, take_some)


def _design_cv(tails: list[_Tail], forced: int, n: int) -> float:
    """The smallest target CV (to 0.1%) whose certainty design — the forced and moved units
    plus every province's n′ — costs no more than ``n`` units."""

    def cost(cv: float) -> float:
        total = float(forced)
        for tail in tails:
            moved, _, take_some, _ = tail.design(cv)
            total += moved + take_some
        return total

    low, high = 1e-4, 10.0
    if cost(low) <= n:
        return low
    while high / low > 1.001:  # the cost falls as the target loosens
        mid = float(np.sqrt(low * high))
        low, high = (mid, high) if cost(mid) > n else (low, mid)
    return high


def _certainty(place: np.ndarray, size: np.ndarray, forced: np.ndarray,
               target_cv: float | Literal["auto"] | None, n: int, years: np.ndarray,
               provinces: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, object]]:
    """Which units the certainty rule takes whole (one cut-off per ``place`` = year ×
    province), each place's n′ (the rule's take-some sample size) and the design metadata
    that records the rule, the target CV of each year and every cut-off."""
    places = len(years) * len(provinces)
    certain = np.zeros(len(size), dtype=np.int64)
    need = np.zeros(places)
    if target_cv is None:
        return certain, need, {"enabled": False}
    if target_cv != "auto" and not target_cv > 0:
        raise GenerationError(f"the certainty stratum's target CV must be positive or 'auto', "
                              f"not {target_cv!r}")
    cutoffs: dict[str, dict[str, float | None]] = {}
    units: dict[str, int] = {}
    chosen_cv: dict[str, float] = {}
    declined: dict[str, dict[str, dict[str, float]]] = {}
    order = np.argsort(place, kind="stable")
    bounds = np.searchsorted(place[order], np.arange(places + 1))
    members = [order[bounds[p]:bounds[p + 1]] for p in range(places)]
    for y, year in enumerate(years):
        mine = [p for p in range(y * len(provinces), (y + 1) * len(provinces))
                if len(members[p])]
        tails = {p: _Tail(size[members[p]], forced[members[p]]) for p in mine}
        cv = (_design_cv(list(tails.values()),
                         sum(int(forced[members[p]].sum()) for p in mine), n)
              if target_cv == "auto" else float(target_cv))
        key = str(int(year))
        chosen_cv[key] = cv
        for p, tail in tails.items():
            moved, boundary, take_some, failed = tail.design(cv)
            if moved:
                m = members[p]
                certain[m] = ~forced[m] & (size[m] >= tail.rest[moved - 1])
            need[p] = take_some
            name = str(provinces[p % len(provinces)])
            cutoffs.setdefault(key, {})[name] = None if boundary is None else float(boundary)
            if failed is not None:
                declined.setdefault(key, {})[name] = {"take_some": round(failed[0], 1),
                                                      "cochran": round(failed[1], 1)}
            units[key] = units.get(key, 0) + moved
    return certain, need, {
        "enabled": True, "rule": CERTAINTY_RULE, "size_variable": CERTAINTY_SIZE,
        "target_cv": target_cv, "cv": chosen_cv, "allocation": CERTAINTY_ALLOCATION,
        "take_some_rule": CERTAINTY_TAKE_SOME, "declined": declined,
        "cutoffs": cutoffs, "units": units, "label": "<province>0000|<size class>|certain",
        "weight": 1.0, "inclusion_probability": 1.0}


def draw_sample(
    population: pa.Table,
    n: int = 30_000,
    *,
    allocation: Literal["neyman", "proportional"] = "neyman",
    take_all: Iterable[str] = ("large",),
    minimum: int = 2,
    seed: int = 1,
    certainty_cv: float | Literal["auto"] | None = CERTAINTY_CV,
) -> pa.Table:
    """A stratified SRSWOR sample of ``n`` per year from a population table (see module doc).

    Strata are province × size class within each year, each split at the province's
    certainty cut-off where the take-some part it leaves meets Cochran's rule
    (``certainty_cv``: the target CV, or ``"auto"``, the default, for the smallest that
    ``n`` affords; None: no certainty strata and one national allocation). Returns the
    sampled rows
    with ``stratum``, ``design_weight`` = N_h/n_h, ``inclusion_probability`` = n_h/N_h and
    ``stratum_size`` = N_h filled in.
    """
    rng = np.random.default_rng(seed)
    take_all = tuple(take_all)
    years, year_idx = np.unique(population.column("year").to_numpy(), return_inverse=True)
    province = pc.utf8_slice_codeunits(population.column("area").cast(pa.string()), 0, 2)
    provinces = pc.unique(province)
    prov_idx = pc.index_in(province, value_set=provinces).to_numpy()
    size_idx = pc.index_in(population.column("size_class").cast(pa.string()),
                           value_set=pa.array(SIZE_CLASSES)).to_numpy()
    revenue = population.column("revenue").to_numpy()
    place = year_idx * len(provinces) + prov_idx
    certain, need, certainty = _certainty(
        place, revenue, np.isin(size_idx, [SIZE_CLASSES.index(c) for c in take_all
                                           if c in SIZE_CLASSES]),
        certainty_cv, n, years, np.asarray(provinces.to_pylist()))
    combined = (place * len(SIZE_CLASSES) + size_idx) * 2 + certain
    taken = np.bincount(year_idx, weights=certain, minlength=len(years)) > 0
    codes, stratum = np.unique(combined, return_inverse=True)
    key_place = codes // (2 * len(SIZE_CLASSES))
    key_year = years[key_place // len(provinces)]
    key_prov = np.asarray(provinces.to_pylist())[key_place % len(provinces)]
    key_size = np.asarray(SIZE_CLASSES)[(codes // 2) % len(SIZE_CLASSES)]
    key_certain = (codes % 2).astype(bool)
    sizes = np.bincount(stratum)
    mean = np.bincount(stratum, revenue) / sizes
    var = np.bincount(stratum, revenue**2) / sizes - mean**2
    spread = np.sqrt(np.maximum(var, 0.0))
    big = np.isin(key_size, list(take_all)) | key_certain
    keys = np.char.add(np.char.add(np.char.add(key_prov.astype(str), "0000|"), key_size),
                       np.where(key_certain, "|certain", ""))
    alloc = np.zeros(len(keys), dtype=np.int64)
    for y in np.unique(key_year):  # one allocation per year (a few dozen strata each)
        m = key_year == y
        # a year in which the rule takes nobody whole (every cut declined) is the ordinary
        # design: the allocation by n′ only serves to feed the take-some strata below a cut
        if not taken[np.searchsorted(years, y)]:
            alloc[m] = allocate(n, sizes[m], spread[m], big[m], method=allocation,
                                minimum=minimum)
            continue
        # the take-some units of the year go to provinces as the rule needs them (n′), at
        # least the minimum of each of their strata; then each province over its strata
        at = np.unique(key_place[m])
        fixed = np.array([sizes[m & big & (key_place == p)].sum() for p in at])
        some = np.array([sizes[m & ~big & (key_place == p)].sum() for p in at])
        least = np.array([np.minimum(minimum, sizes[m & ~big & (key_place == p)]).sum()
                          for p in at])
        if fixed.sum() > n:  # an explicit target CV can ask for more than n
            raise GenerationError(
                f"a sample of {n} in {int(y)} cannot hold the {int(fixed.sum())} units taken "
                f"whole (take-all size classes and certainty strata at target CV "
                f"{certainty['target_cv']}): loosen --certainty-cv or use auto")
        budget = allocate(n - int(fixed.sum()), some, need[at] / np.maximum(some, 1),
                          np.zeros(len(at), dtype=bool), method="neyman", minimum=least)
        for p, extra, whole in zip(at, budget, fixed, strict=True):
            mp = m & (key_place == p)
            alloc[mp] = allocate(int(whole + extra), sizes[mp], spread[mp], big[mp],
                                 method=allocation, minimum=minimum)
    # random order within each stratum; keep the first n_h
    order = np.lexsort((rng.random(len(stratum)), stratum))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.empty(len(stratum), dtype=np.int64)
    rank[order] = np.arange(len(stratum)) - starts[stratum[order]]
    chosen = np.flatnonzero(rank < alloc[stratum])
    s = stratum[chosen]
    sample = population.take(pa.array(chosen))
    labels = keys
    for name, values in (("stratum", _dictionary(s, labels)),
                         ("design_weight", pa.array(sizes[s] / alloc[s])),
                         ("inclusion_probability", pa.array(alloc[s] / sizes[s])),
                         ("stratum_size", pa.array(sizes[s].astype(np.int64)))):
        at = sample.schema.get_field_index(name)
        sample = (sample.set_column(at, name, values) if at >= 0
                  else sample.append_column(name, values))
    meta = dict(sample.schema.metadata or {})
    return _label(sample, seed=seed, targets=json.loads(meta.get(b"mic2025.targets", b"{}")),
                  kind="sample", extra={"n": n, "allocation": allocation,
                                        "take_all": list(take_all), "minimum": minimum,
                                        "certainty": certainty,
                                        "population_seed": meta.get(b"mic2025.seed", b"").decode(),
                                        **({"calibration": json.loads(
                                            meta[b"mic2025.calibration"])}
                                           if b"mic2025.calibration" in meta else {})})


#: response propensities by size class for :func:`simulate_nonresponse` (illustrative)
RESPONSE_RATES: dict[str, float] = {"large": 0.97, "medium": 0.92, "small": 0.86, "micro": 0.8}


def simulate_nonresponse(sample: pa.Table, rates: Mapping[str, float] | None = None, *,
                         seed: int = 2) -> pa.Table:
    """Add a ``responding`` column: each unit responds with the propensity of its size class.

    Smaller enterprises respond less often, as in real business surveys, so ignoring
    non-response biases the estimates towards large enterprises. In every (year, stratum)
    at least one unit responds (the first drawn, if chance leaves none), so that the
    weighting-class adjustment can always run on a synthetic sample.
    """
    rng = np.random.default_rng(seed)
    chosen = {**RESPONSE_RATES, **(rates or {})}
    size = np.asarray(sample.column("size_class").cast(pa.string()).to_pylist(), dtype=object)
    p = np.array([chosen.get(s, 1.0) for s in size], dtype=np.float64)
    responds = rng.random(sample.num_rows) < p
    year = sample.column("year").to_numpy()
    stratum = np.asarray(sample.column("stratum").cast(pa.string()).to_pylist(), dtype=object)
    _, cls = np.unique(np.char.add(year.astype(str), stratum.astype(str)), return_inverse=True)
    any_resp = np.bincount(cls, responds.astype(np.int64)) > 0
    first = np.unique(cls, return_index=True)[1]
    responds[first[~any_resp]] = True
    at = sample.schema.get_field_index("responding")
    column = pa.array(responds)
    out = (sample.set_column(at, "responding", column) if at >= 0
           else sample.append_column("responding", column))
    return out.replace_schema_metadata(sample.schema.metadata)
