"""The index framework: units, indicators, the aggregation tree, and the pipeline to run.

This is step 1 of the OECD/JRC *Handbook on Constructing Composite Indicators* (2008),
"theoretical framework": a nested structure indicator → pillar → sub-index → index, with
each element's direction, weight, unit, target and denominator. It is built either from a
COINr-style pair of tables or from one declarative YAML file.

COINr tables (``Framework.from_coinr(idata_csv, imeta_csv)``)
-------------------------------------------------------------
Follows COINr 1.1 ``new_coin(iData, iMeta)`` (Becker et al., COINr documentation, "Building
coins"):

* **iData**, one row per unit: ``uCode`` (required, unique), ``uName``, ``Time`` (one value
  only: panels are not supported yet), then one column per Group, Denominator and Indicator
  named in iMeta. Empty field = missing.
* **iMeta**, one row per element: ``Level``, ``iCode``, ``iName``, ``Direction`` (1 or -1),
  ``Weight``, ``Unit``, ``Target``, ``Denominator``, ``Parent``, ``Type`` (``Indicator``,
  ``Aggregate``, ``Group``, ``Denominator``). Indicators are level 1; an element's parent is
  an Aggregate exactly one level up; the top level has no parent.

YAML (``Framework.from_yaml(path)``)
------------------------------------
The same content, plus the pipeline. Schema (``?`` = optional)::

    name: Sustainable connectivity         # free text
    data: ASEM_iData.csv                   # ? an iData-layout CSV, path relative to the YAML
    units:                                 # ? ...or the units inline (exactly one of the two)
      - code: AUT
        name: Austria                      # ?
        groups: {EurAsia_group: Europe}    # ?
        denominators: {Population: 8735.45}  # ?
        values: {LPI: 4.10, Flights: 29.0}   # indicator codes; an absent code is missing
    groups: [EurAsia_group]                # ? group variables (columns of `data`)
    denominators:                          # ?
      - {code: Population, name: Population, unit: Thousands}
    indicators:
      - code: Flights                      # required, unique over indicators and aggregates
        name: International flights        # ?
        parent: Physical                   # required: an aggregate code
        direction: 1                       # ? 1 (default) or -1
        weight: 1                          # ? default 1; relative within the parent
        unit: Thousand seats               # ?
        target: 200.3                      # ? used by normalise method dist2targ
        denominator: Population            # ? used by the denominate step
        normalise: {method: goalposts, lo: 0, hi: 400, scale: 100}  # ? per-indicator override
      - metric: rd_intensity               # a plan metric: name, unit and direction come
        parent: Physical                   #   from the plan (restating them is an error);
                                           #   code defaults to the metric id
    aggregates:
      - {code: Physical, name: Physical, parent: Conn, weight: 1}
      - {code: Index, name: Index}         # no parent: the top of the tree
    weights:                               # ? weight specifications (see .weights)
      - {method: ahp, parent: Conn, matrix: [[1, 3], ["1/3", 1]]}
      - {method: pca, level: 1}            # derived from the normalised data at build time
    about: {status: structure-only}        # ? free metadata (sources, caveats), kept as is
    unknown_indicators: [...]              # ? documented gaps, not part of the tree
    pipeline:                              # ? the steps, run in order by run_pipeline
      - {step: denominate}
      - {step: impute, method: group_mean, group: EurAsia_group}
      - {step: screen, dat_thresh: 0.9}
      - {step: treat, winmax: 5}
      - {step: normalise, method: minmax, l: 0, u: 100}
      - {step: aggregate, method: amean}

Any ``name`` (the index's, an indicator's or an aggregate's) may be a mapping
``{zh: ..., en: ...}``; :meth:`Element.label` picks a language. Indicators and aggregates
may carry ``note`` and ``source`` text. With neither ``data`` nor ``units`` the file is a
*structure-only definition*: it loads with no units and is given data later
(:meth:`Framework.with_idata`, :meth:`Framework.with_units`); running its pipeline before
that is refused.

Levels are not written in YAML: indicators are level 1 and an aggregate is one level above
its children, which must all sit on the same level (COINr's balanced-tree rule). The step
names and their parameters are listed in :data:`STEP_PARAMETERS`; normaliser and aggregator
parameters are those of the functions in :mod:`mic2025.composite.normalise` and
:mod:`mic2025.composite.aggregate`.

An indicator given as ``metric: <id>`` measures a metric of the plan
(:meth:`Framework.from_yaml` takes the plan, by default the bundled one): the plan says what
it is called, its unit and whether more is better, and
:func:`mic2025.composite.evidence.indicator_table` fills it from the evidence store. An id
the plan does not know is an error naming the file and line.

Every problem found is reported at once in a :class:`CompositeError`, each line naming the
file, row (the line number in a CSV, the list position in YAML) and column or field.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from mic2025.composite.errors import CompositeError
from mic2025.composite.table import FloatArray, Table
from mic2025.composite.weights import parse_weight_specs, resolve_weights
from mic2025.plan import Metric, Plan, load_plan
from mic2025.yamldoc import parse as parse_yaml

INDICATOR = "Indicator"
AGGREGATE = "Aggregate"
GROUP = "Group"
DENOMINATOR = "Denominator"

IMETA_REQUIRED = ("Level", "iCode", "iName", "Direction", "Weight", "Parent", "Type")
IMETA_OPTIONAL = ("Unit", "Target", "Denominator")

#: Pipeline steps and the parameters each accepts (see :mod:`mic2025.composite.pipeline`).
STEP_PARAMETERS: dict[str, frozenset[str]] = {
    "denominate": frozenset({"denominators"}),
    "impute": frozenset({"method", "group", "k"}),
    "screen": frozenset({"dat_thresh", "unit_screen", "nonzero_thresh"}),
    "treat": frozenset({"winmax", "skew_thresh", "kurt_thresh", "f2", "exclude"}),
    "normalise": frozenset({"method", "indicators", "directions"}),  # + normaliser params
    "aggregate": frozenset({"method", "by_level", "weights", "policy", "dat_thresh", "p"}),
}
#: Steps whose remaining keys are passed on as method parameters.
OPEN_STEPS = frozenset({"normalise"})


@dataclass(frozen=True)
class Element:
    """One node of the framework tree: an indicator (level 1) or an aggregate."""

    code: str
    name: str
    level: int
    kind: str  # INDICATOR or AGGREGATE
    parent: str | None
    weight: float = 1.0
    direction: int = 1
    unit: str | None = None
    target: float | None = None
    denominator: str | None = None
    normalise: Mapping[str, Any] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    #: the plan metric the indicator measures (YAML ``metric:``), whose evidence fills it
    metric: str | None = None

    def label(self, lang: str = "en") -> str:
        """The name in ``lang`` (``zh`` or ``en``) when the YAML gave both, else the name."""
        return self.labels.get(lang) or self.name


@dataclass(frozen=True)
class StepSpec:
    """One pipeline step as declared: its name and its parameters, verbatim."""

    step: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Framework:
    """The index framework plus its raw data (COINr's ``coin`` before any build step).

    ``data`` holds the raw indicator values, one column per indicator in framework order.
    ``groups[g][i]`` is unit ``i``'s label in group variable ``g`` (``None`` if blank) and
    ``denominators[d][i]`` its denominator value.
    """

    name: str
    elements: tuple[Element, ...]
    data: Table
    unit_names: tuple[str, ...]
    groups: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    denominators: Mapping[str, FloatArray] = field(default_factory=dict)
    denominator_meta: Mapping[str, Element] = field(default_factory=dict)
    pipeline: tuple[StepSpec, ...] = ()
    source: str = "<memory>"
    weight_specs: tuple[Mapping[str, Any], ...] = ()
    about: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = _check_tree(self.elements, self.source)
        if tuple(self.data.columns) != self.indicators:
            problems.append("data columns must be the indicators in framework order")
        if problems:
            raise CompositeError(f"{self.source}: the framework is not valid", problems)

    # -- the tree --------------------------------------------------------------------------
    @property
    def units(self) -> tuple[str, ...]:
        return self.data.units

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.elements if e.kind == INDICATOR)

    @property
    def aggregates(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.elements if e.kind == AGGREGATE)

    @property
    def n_levels(self) -> int:
        return max(e.level for e in self.elements)

    def element(self, code: str) -> Element:
        for e in self.elements:
            if e.code == code:
                return e
        raise CompositeError(f"{self.source}: no indicator or aggregate {code!r}")

    def at_level(self, level: int) -> tuple[str, ...]:
        return tuple(e.code for e in self.elements if e.level == level)

    def children(self, code: str) -> tuple[str, ...]:
        return tuple(e.code for e in self.elements if e.parent == code)

    def descendants(self, code: str, level: int = 1) -> tuple[str, ...]:
        """The elements at ``level`` under ``code`` (its indicators by default)."""
        out: list[str] = []
        for child in self.children(code):
            if self.element(child).level == level:
                out.append(child)
            else:
                out.extend(self.descendants(child, level))
        return tuple(out)

    def unit_name(self, code: str) -> str:
        return self.unit_names[self.data.unit_index(code)]

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def from_coinr(
        cls,
        idata_csv: str | Path,
        imeta_csv: str | Path,
        name: str | None = None,
        pipeline: Sequence[StepSpec] = (),
    ) -> Framework:
        """Build from COINr ``iData`` and ``iMeta`` CSV files (see the module docstring)."""
        meta_src, data_src = str(imeta_csv), str(idata_csv)
        meta_header, meta_rows = _read_csv(Path(imeta_csv))
        header, data_rows = _read_csv(Path(idata_csv))
        problems: list[str] = []
        where: dict[str, str] = {}
        elements, group_codes, denoms = _parse_imeta(
            meta_header, meta_rows, meta_src, problems, where
        )
        if "uCode" not in header:
            problems.append(f"{data_src}, row 1: no 'uCode' column")
        declared = {"uCode", "uName", "Time"}
        for e in elements:
            declared.add(e.code)
        declared.update(group_codes)
        declared.update(d.code for d in denoms)
        for column in header:
            if column not in declared:
                problems.append(
                    f"{data_src}, row 1, column {column!r}: column is not declared in {meta_src}"
                )
        for e in elements:
            if e.kind == INDICATOR and e.code not in header:
                problems.append(
                    f"{meta_src}: indicator {e.code!r} has no data column in {data_src}"
                )
        for g in group_codes:
            if g not in header:
                problems.append(f"{meta_src}: group {g!r} has no column in {data_src}")
        for d in denoms:
            if d.code not in header:
                problems.append(f"{meta_src}: denominator {d.code!r} has no column in {data_src}")
        problems.extend(_check_tree(elements, meta_src, where, "column"))
        if problems:
            raise CompositeError(f"{meta_src} / {data_src}: cannot build the framework", problems)

        indicators = [e.code for e in elements if e.kind == INDICATOR]
        units: list[str] = []
        names: list[str] = []
        times: set[str] = set()
        values = np.full((len(data_rows), len(indicators)), np.nan)
        den_values = {d.code: np.full(len(data_rows), np.nan) for d in denoms}
        group_values: dict[str, list[str | None]] = {g: [] for g in group_codes}
        for i, (line, row) in enumerate(data_rows):
            code = (row.get("uCode") or "").strip()
            if not code:
                problems.append(f"{data_src}, row {line}, column 'uCode': empty unit code")
            elif code in units:
                problems.append(f"{data_src}, row {line}, column 'uCode': duplicate {code!r}")
            units.append(code)
            names.append((row.get("uName") or code).strip())
            if row.get("Time"):
                times.add(row["Time"].strip())
            for j, ind in enumerate(indicators):
                values[i, j] = _number(row.get(ind), data_src, line, ind, problems)
            for d in denoms:
                den_values[d.code][i] = _number(row.get(d.code), data_src, line, d.code, problems)
            for g in group_codes:
                label = (row.get(g) or "").strip()
                group_values[g].append(label or None)
        if len(times) > 1:
            problems.append(
                f"{data_src}, column 'Time': {len(times)} different times; panel data "
                "(COINr purses) are not supported yet, give one time per file"
            )
        if problems:
            raise CompositeError(f"{data_src}: cannot read the unit data", problems)
        return cls(
            name=name or Path(idata_csv).stem,
            elements=tuple(elements),
            data=Table(tuple(units), tuple(indicators), values),
            unit_names=tuple(names),
            groups={g: tuple(v) for g, v in group_values.items()},
            denominators=den_values,
            denominator_meta={d.code: d for d in denoms},
            pipeline=tuple(pipeline),
            source=f"{meta_src} + {data_src}",
        )

    @classmethod
    def from_yaml(cls, path: str | Path, plan: Plan | None = None) -> Framework:
        """Build from a YAML framework file (schema in the module docstring).

        Indicators given as ``metric:`` take their name, unit and direction from ``plan``
        (the bundled *Made in China 2025* plan when ``None``; it is read only if needed).
        """
        src = str(path)
        try:
            node, doc = parse_yaml(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise CompositeError(f"{src}: cannot read YAML: {exc}") from exc
        if not isinstance(doc, dict):
            raise CompositeError(f"{src}: the top level must be a mapping")
        indicators_raw = doc.get("indicators")
        if plan is None and isinstance(indicators_raw, list) and any(
                isinstance(i, dict) and "metric" in i for i in indicators_raw):
            plan = load_plan()
        problems: list[str] = []
        known = {"name", "data", "units", "groups", "denominators", "indicators", "aggregates",
                 "pipeline", "weights", "about", "unknown_indicators"}
        for key in doc:
            if key not in known:
                problems.append(f"{src}: unknown top-level field {key!r}")
        where: dict[str, str] = {}
        elements = _yaml_elements(doc, src, problems, where, plan, _field_lines(node))
        denoms = [
            Element(
                code=str(d.get("code")), name=str(d.get("name", d.get("code"))), level=0,
                kind=DENOMINATOR, parent=None, unit=d.get("unit"),
            )
            for d in _list_of_maps(doc.get("denominators"), src, "denominators", problems)
        ]
        group_codes = [str(g) for g in (doc.get("groups") or [])]
        pipeline = parse_pipeline(doc.get("pipeline") or [], src, problems)
        specs = parse_weight_specs(doc.get("weights"), src, problems)
        about = doc.get("about") or {}
        if not isinstance(about, dict):
            problems.append(f"{src}, field 'about': expected a mapping")
            about = {}
        problems.extend(_check_tree(elements, src, where, "field"))
        if "data" in doc and "units" in doc:
            problems.append(f"{src}: give exactly one of 'data' (a CSV file) and 'units' "
                            "(or neither, for a structure-only definition)")
        if problems:
            raise CompositeError(f"{src}: cannot build the framework", problems)

        indicators = [e.code for e in elements if e.kind == INDICATOR]
        if "data" in doc:
            data_path = Path(path).parent / str(doc["data"])
            table, names, groups, dens = _read_idata(
                data_path, indicators, group_codes, [d.code for d in denoms]
            )
        else:
            table, names, groups, dens = _inline_units(
                doc.get("units") or [], src, indicators, group_codes, [d.code for d in denoms]
            )
        raw_name = doc.get("name")
        labels = ({str(k): str(v) for k, v in raw_name.items()} if isinstance(raw_name, dict)
                  else {})
        title = labels.get("en") or labels.get("zh") or str(raw_name or Path(path).stem)
        skeleton = cls(title, tuple(elements), table, names, groups, dens,
                       {d.code: d for d in denoms}, tuple(pipeline), src)
        try:
            static = resolve_weights(skeleton, specs)
        except CompositeError as exc:
            raise CompositeError(f"{src}: cannot resolve the weights", [str(exc)]) from exc
        elements = [replace(e, weight=static[e.code]) if e.code in static else e
                    for e in elements]
        return cls(
            name=title,
            elements=tuple(elements),
            data=table,
            unit_names=names,
            groups=groups,
            denominators=dens,
            denominator_meta={d.code: d for d in denoms},
            pipeline=tuple(pipeline),
            source=src,
            weight_specs=tuple(specs),
            about=dict(about, unknown_indicators=doc.get("unknown_indicators") or []),
            labels=labels,
        )

    def to_yaml_dict(self, data: str | None = None) -> dict[str, Any]:
        """The YAML form (see the module docstring) as a mapping.

        ``data`` names an iData CSV to refer to; without it the units are written inline.
        """
        doc: dict[str, Any] = {"name": dict(self.labels) if self.labels else self.name}
        if data is not None:
            doc["data"] = data
        else:
            units = []
            for i, code in enumerate(self.units):
                item: dict[str, Any] = {"code": code, "name": self.unit_names[i]}
                if self.groups:
                    item["groups"] = {g: v[i] for g, v in self.groups.items()}
                if self.denominators:
                    item["denominators"] = {
                        d: float(v[i]) for d, v in self.denominators.items() if not np.isnan(v[i])
                    }
                item["values"] = {
                    ind: float(self.data.values[i, j])
                    for j, ind in enumerate(self.indicators)
                    if not np.isnan(self.data.values[i, j])
                }
                units.append(item)
            doc["units"] = units
        if self.groups:
            doc["groups"] = list(self.groups)
        if self.denominator_meta:
            doc["denominators"] = [
                {"code": d.code, "name": d.name, "unit": d.unit}
                for d in self.denominator_meta.values()
            ]
        doc["indicators"] = []
        doc["aggregates"] = []
        for e in self.elements:
            item = {"code": e.code}
            if e.metric is not None:  # name, unit and direction are the plan's
                item["metric"] = e.metric
            else:
                item["name"] = dict(e.labels) if e.labels else e.name
            if e.parent is not None:
                item["parent"] = e.parent
            item["weight"] = e.weight
            if e.kind == INDICATOR:
                if e.metric is None:
                    item["direction"] = e.direction
                for key in ("target", "denominator") if e.metric else \
                        ("unit", "target", "denominator"):
                    if getattr(e, key) is not None:
                        item[key] = getattr(e, key)
                if e.normalise is not None:
                    item["normalise"] = dict(e.normalise)
                doc["indicators"].append(item)
            else:
                doc["aggregates"].append(item)
        if self.pipeline:
            doc["pipeline"] = [{"step": s.step, **s.params} for s in self.pipeline]
        data_specs = [{k: v for k, v in s.items() if k != "_where"} for s in self.weight_specs
                      if s.get("method") == "pca"]
        if data_specs:  # the static ones are already in the element weights
            doc["weights"] = data_specs
        return doc

    def with_pipeline(self, steps: Sequence[StepSpec | Mapping[str, Any]]) -> Framework:
        """The same framework with another declared pipeline (checked like YAML steps)."""
        problems: list[str] = []
        specs = [
            s if isinstance(s, StepSpec) else parse_pipeline([dict(s)], "pipeline", problems)[0]
            for s in steps
        ]
        if problems:
            raise CompositeError("the pipeline is not valid", problems)
        return replace(self, pipeline=tuple(specs))

    def with_data(self, data: Table) -> Framework:
        """The same framework over other indicator values (same units and columns)."""
        return replace(self, data=data)

    def with_units(
        self, data: Table, unit_names: Sequence[str] | None = None,
        groups: Mapping[str, Sequence[str | None]] | None = None,
        denominators: Mapping[str, FloatArray] | None = None,
    ) -> Framework:
        """The same framework over other units (e.g. a structure-only definition given data).

        ``data`` must have the framework's indicators as columns, in framework order.
        """
        names = tuple(unit_names) if unit_names is not None else data.units
        return replace(
            self, data=data, unit_names=names,
            groups={g: tuple(v) for g, v in (groups or {}).items()},
            denominators=dict(denominators or {}),
        )

    def with_idata(self, idata_csv: str | Path) -> Framework:
        """The same framework over the units of an iData-layout CSV (``uCode``, ``uName``,
        one column per indicator code; the framework's groups and denominators if it has
        any). Other columns are ignored."""
        table, names, groups, dens = _read_idata(
            Path(idata_csv), self.indicators, list(self.groups), list(self.denominator_meta))
        return replace(self, data=table, unit_names=names, groups=groups, denominators=dens,
                       source=f"{self.source} + {idata_csv}")

    def with_weights(self, weights: Mapping[str, float]) -> Framework:
        """The same framework with some element weights replaced (``{code: weight}``)."""
        for code in weights:
            self.element(code)
        return replace(self, elements=tuple(
            replace(e, weight=float(weights[e.code])) if e.code in weights else e
            for e in self.elements))


# -- pipeline declarations ---------------------------------------------------------------------
def parse_pipeline(raw: Any, src: str, problems: list[str]) -> list[StepSpec]:
    """Check a list of ``{step: name, ...params}`` mappings; append problems, return specs."""
    steps: list[StepSpec] = []
    if not isinstance(raw, list):
        problems.append(f"{src}, field 'pipeline': expected a list of steps")
        return steps
    for pos, item in enumerate(raw, start=1):
        where = f"{src}, pipeline step {pos}"
        if not isinstance(item, dict) or "step" not in item:
            problems.append(f"{where}: expected a mapping with a 'step' field")
            continue
        name = str(item["step"])
        if name not in STEP_PARAMETERS:
            problems.append(
                f"{where}: unknown step {name!r} (expected one of {sorted(STEP_PARAMETERS)})"
            )
            continue
        params = {k: v for k, v in item.items() if k != "step"}
        if name not in OPEN_STEPS:
            for key in params:
                if key not in STEP_PARAMETERS[name]:
                    problems.append(
                        f"{where} ({name}): unknown parameter {key!r} "
                        f"(expected {sorted(STEP_PARAMETERS[name])})"
                    )
        steps.append(StepSpec(name, params))
    return steps


# -- readers -----------------------------------------------------------------------------------
def _read_csv(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the rows of a CSV as (line number, row), the header being line 1."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            rows = []
            for row in reader:
                if None in row:
                    raise CompositeError(
                        f"{path}, row {reader.line_num}: more fields than header columns"
                    )
                rows.append((reader.line_num, {k: (v or "") for k, v in row.items()}))
            if reader.fieldnames is None:
                raise CompositeError(f"{path}: the file is empty")
            return list(reader.fieldnames), rows
    except OSError as exc:
        raise CompositeError(f"{path}: cannot read: {exc}") from exc


def _number(raw: str | None, src: str, line: int, column: str, problems: list[str]) -> float:
    text = (raw or "").strip()
    if text == "" or text.upper() in {"NA", "NAN"}:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        problems.append(
            f"{src}, row {line}, column {column!r}: expected a number or empty (got {text!r})"
        )
        return math.nan
    if math.isinf(value):
        problems.append(f"{src}, row {line}, column {column!r}: infinite value {text!r}")
        return math.nan
    return value


def _parse_imeta(
    header: list[str], rows: list[tuple[int, dict[str, str]]], src: str, problems: list[str],
    where: dict[str, str],
) -> tuple[list[Element], list[str], list[Element]]:
    elements: list[Element] = []
    groups: list[str] = []
    denoms: list[Element] = []
    missing = [col for col in IMETA_REQUIRED if col not in header]
    for col in missing:
        problems.append(f"{src}, row 1: required column {col!r} is missing")
    if missing:
        return elements, groups, denoms
    seen: dict[str, int] = {}
    for line, row in rows:
        code = row["iCode"].strip()
        kind = row["Type"].strip()
        if not code:
            problems.append(f"{src}, row {line}, column 'iCode': empty code")
            continue
        if code in seen:
            problems.append(
                f"{src}, row {line}, column 'iCode': duplicate {code!r} (first on row {seen[code]})"
            )
            continue
        seen[code] = line
        where[code] = f"row {line}"
        if kind == GROUP:
            groups.append(code)
            continue
        if kind == DENOMINATOR:
            denoms.append(Element(code, row["iName"].strip() or code, 0, kind, None,
                                  unit=row.get("Unit") or None))
            continue
        if kind not in (INDICATOR, AGGREGATE):
            problems.append(
                f"{src}, row {line}, column 'Type': expected Indicator, Aggregate, Group or "
                f"Denominator (got {kind!r})"
            )
            continue
        level = _int_field(row["Level"], src, line, "Level", problems)
        direction = _int_field(row["Direction"] or "1", src, line, "Direction", problems)
        if direction not in (1, -1):
            problems.append(
                f"{src}, row {line}, column 'Direction': expected 1 or -1 (got {direction})"
            )
        weight = _number(row["Weight"] or "1", src, line, "Weight", problems)
        if not math.isnan(weight) and weight < 0:
            problems.append(f"{src}, row {line}, column 'Weight': negative weight {weight}")
        target = _number(row.get("Target"), src, line, "Target", problems)
        elements.append(
            Element(
                code=code,
                name=row["iName"].strip() or code,
                level=level,
                kind=kind,
                parent=row["Parent"].strip() or None,
                weight=weight,
                direction=direction,
                unit=(row.get("Unit") or "").strip() or None,
                target=None if math.isnan(target) else target,
                denominator=(row.get("Denominator") or "").strip() or None,
            )
        )
    known_denoms = {d.code for d in denoms}
    for e in elements:
        if e.denominator and e.denominator not in known_denoms:
            problems.append(
                f"{src}, row {seen[e.code]}, column 'Denominator': {e.denominator!r} is not a "
                "Denominator row"
            )
    return elements, groups, denoms


def _int_field(raw: str, src: str, line: int, column: str, problems: list[str]) -> int:
    try:
        value = float(raw.strip())
        if value != int(value):
            raise ValueError
        return int(value)
    except ValueError:
        problems.append(f"{src}, row {line}, column {column!r}: expected an integer (got {raw!r})")
        return 0


def _check_tree(
    elements: Sequence[Element], src: str, where: Mapping[str, str] | None = None,
    field_word: str = "column",
) -> list[str]:
    """Unknown parents, cycles, level mismatches, childless aggregates, no indicators.

    ``where`` maps a code to its location in the source (``row 7``, ``indicators[3]``).
    """
    loc = dict(where or {})

    def at(code: str, fld: str) -> str:
        place = loc.get(code)
        name = fld if field_word == "column" else fld.lower()
        return f"{src}, {place}, {field_word} {name!r}" if place else src

    problems: list[str] = []
    by_code = {e.code: e for e in elements}
    if not any(e.kind == INDICATOR for e in elements):
        problems.append(f"{src}: the framework has no indicators")
    for e in elements:
        if e.parent is None:
            if e.kind == INDICATOR:
                problems.append(f"{at(e.code, 'Parent')}: indicator {e.code!r} has no parent")
            continue
        parent = by_code.get(e.parent)
        if parent is None:
            problems.append(f"{at(e.code, 'Parent')}: {e.code!r} has unknown parent {e.parent!r}")
        elif parent.kind != AGGREGATE:
            problems.append(
                f"{at(e.code, 'Parent')}: {e.code!r} has parent {e.parent!r}, "
                "which is not an aggregate"
            )
    # cycles: follow parents from every element
    reported: set[frozenset[str]] = set()
    for e in elements:
        path: list[str] = []
        code: str | None = e.code
        while code is not None and code in by_code:
            if code in path:
                cycle = path[path.index(code):]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    problems.append(
                        f"{at(code, 'Parent')}: cycle in the tree: {' -> '.join([*cycle, code])}"
                    )
                break
            path.append(code)
            code = by_code[code].parent
    if reported:
        return problems
    for e in elements:
        if e.kind == INDICATOR and e.level != 1:
            problems.append(
                f"{at(e.code, 'Level')}: indicator {e.code!r} is on level {e.level}, expected 1"
            )
        if e.kind == AGGREGATE and e.level < 2:
            problems.append(
                f"{at(e.code, 'Level')}: aggregate {e.code!r} is on level {e.level}, "
                "expected >= 2"
            )
        parent = by_code.get(e.parent) if e.parent else None
        if parent is not None and parent.level != e.level + 1:
            problems.append(
                f"{at(e.code, 'Level')}: {e.code!r} (level {e.level}) has parent "
                f"{parent.code!r} on level {parent.level}, expected level {e.level + 1}"
            )
    has_child = {e.parent for e in elements}
    for e in elements:
        if e.kind == AGGREGATE and e.code not in has_child:
            problems.append(f"{at(e.code, 'iCode')}: aggregate {e.code!r} has no members")
    return problems


def _list_of_maps(raw: Any, src: str, name: str, problems: list[str]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        problems.append(f"{src}, field {name!r}: expected a list of mappings")
        return []
    return raw


def _field_lines(root: yaml.Node | None) -> dict[tuple[str, int], dict[str, int]]:
    """Line numbers (1-based) of the fields of each indicator and aggregate, keyed by
    (section, list position); the item's own line under the key ``""``."""
    out: dict[tuple[str, int], dict[str, int]] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if key.value not in ("indicators", "aggregates") or \
                not isinstance(value, yaml.SequenceNode):
            continue
        for pos, item in enumerate(value.value, start=1):
            lines = {"": item.start_mark.line + 1}
            if isinstance(item, yaml.MappingNode):
                lines.update({str(k.value): v.start_mark.line + 1 for k, v in item.value})
            out[(str(key.value), pos)] = lines
    return out


#: what an indicator given as a plan metric takes from the plan instead of restating it
FROM_PLAN = ("name", "unit", "direction")


def _plan_metric(
    item: Mapping[str, Any], plan: Plan | None, where: str, lines: Mapping[str, int],
    problems: list[str],
) -> Metric | None:
    """The plan metric an indicator entry names with ``metric:``, or None (with a problem).

    ``lines`` are the line numbers of the entry's fields (see :func:`_field_lines`)."""
    metric_id = str(item["metric"])

    def at(key: str) -> str:
        return f"{where}, line {lines[key]}" if key in lines else where

    for key in FROM_PLAN:
        if key in item:
            problems.append(f"{at(key)}, field {key!r}: comes from plan metric {metric_id!r}; "
                            "remove it (the plan is the one place it is stated)")
    if plan is None:
        return None
    try:
        return plan.metric(metric_id)
    except KeyError:
        known = [m.id for m in (*plan.metrics(), *plan.series)]
        close = difflib.get_close_matches(metric_id, known, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        problems.append(f"{at('metric')}, field 'metric': {metric_id!r} is not a metric of "
                        f"plan {plan.id!r}{hint}")
        return None


def _yaml_elements(
    doc: dict[str, Any], src: str, problems: list[str], locations: dict[str, str],
    plan: Plan | None = None, lines: Mapping[tuple[str, int], Mapping[str, int]] | None = None,
) -> list[Element]:
    ind_fields = {"code", "name", "parent", "direction", "weight", "unit", "target",
                  "denominator", "normalise", "note", "source", "metric"}
    agg_fields = {"code", "name", "parent", "weight", "note", "source"}
    raw: list[tuple[str, int, dict[str, Any]]] = []
    for pos, item in enumerate(_list_of_maps(doc.get("indicators"), src, "indicators", problems)):
        if item.get("metric") is not None and not item.get("code"):
            item = {**item, "code": str(item["metric"])}  # the metric id is the default code
        raw.append((INDICATOR, pos + 1, item))
    for pos, item in enumerate(_list_of_maps(doc.get("aggregates"), src, "aggregates", problems)):
        raw.append((AGGREGATE, pos + 1, item))
    seen: set[str] = set()
    parents: dict[str, str | None] = {}
    metrics: dict[int, Metric] = {}
    for kind, pos, item in raw:
        section = "indicators" if kind == INDICATOR else "aggregates"
        where = f"{src}, {section}[{pos}]"
        allowed = ind_fields if kind == INDICATOR else agg_fields
        for key in item:
            if key not in allowed:
                problems.append(f"{where}: unknown field {key!r} (expected {sorted(allowed)})")
        if kind == INDICATOR and item.get("metric") is not None:
            metric = _plan_metric(item, plan, where, (lines or {}).get((section, pos), {}),
                                  problems)
            if metric is not None:
                metrics[pos] = metric
        code = str(item.get("code") or "")
        if not code:
            problems.append(f"{where}, field 'code': missing")
        elif code in seen:
            problems.append(f"{where}, field 'code': duplicate {code!r}")
        seen.add(code)
        locations.setdefault(code, f"{section}[{pos}]")
        parents[code] = None if item.get("parent") is None else str(item["parent"])
    # levels: indicators 1, an aggregate one above its highest child; _check_tree then
    # reports children on mixed levels (COINr's balanced-tree rule) and cycles
    levels = {str(item.get("code")): 1 for kind, _, item in raw if kind == INDICATOR}
    for _ in range(len(raw)):  # a cycle stops growing after len(raw) rounds
        changed = False
        for child, parent in parents.items():
            if parent in parents and child in levels and levels.get(parent, 0) <= levels[child]:
                levels[parent] = levels[child] + 1
                changed = True
        if not changed:
            break
    elements: list[Element] = []
    for kind, pos, item in raw:
        where = f"{src}, {'indicators' if kind == INDICATOR else 'aggregates'}[{pos}]"
        code = str(item.get("code") or "")
        direction = item.get("direction", 1)
        if direction not in (1, -1):
            problems.append(f"{where}, field 'direction': expected 1 or -1 (got {direction!r})")
            direction = 1
        weight = item.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            problems.append(f"{where}, field 'weight': expected a number >= 0 (got {weight!r})")
            weight = 1
        target = item.get("target")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
            problems.append(f"{where}, field 'target': expected a number (got {target!r})")
            target = None
        norm = item.get("normalise")
        if norm is not None and not (isinstance(norm, dict) and "method" in norm):
            problems.append(f"{where}, field 'normalise': expected a mapping with 'method'")
            norm = None
        raw_name = item.get("name")
        labels = ({str(k): str(v) for k, v in raw_name.items()} if isinstance(raw_name, dict)
                  else {})
        unit = None if item.get("unit") is None else str(item["unit"])
        metric = metrics.get(pos) if kind == INDICATOR else None
        if metric is not None:
            labels = {"zh": metric.name.zh, "en": metric.name.en}
            direction, unit = metric.sign, metric.unit
        elements.append(
            Element(
                code=code,
                name=labels.get("en") or labels.get("zh") or str(raw_name or code),
                labels=labels,
                level=levels.get(code, 1 if kind == INDICATOR else 2),
                kind=kind,
                parent=parents.get(code),
                weight=float(weight),
                direction=int(direction),
                unit=unit,
                target=None if target is None else float(target),
                denominator=None if item.get("denominator") is None else str(item["denominator"]),
                normalise=norm,
                metric=None if metric is None else metric.id,
            )
        )
    declared = doc.get("denominators") or []
    known_denoms = {str(d.get("code")) for d in declared if isinstance(d, dict)}
    for e in elements:
        if e.denominator and e.denominator not in known_denoms:
            problems.append(
                f"{src}: indicator {e.code!r} has unknown denominator {e.denominator!r}"
            )
    return elements


def _read_idata(
    path: Path, indicators: Sequence[str], group_codes: Sequence[str], denoms: Sequence[str]
) -> tuple[Table, tuple[str, ...], dict[str, tuple[str | None, ...]], dict[str, FloatArray]]:
    src = str(path)
    header, rows = _read_csv(path)
    problems: list[str] = []
    for col in ("uCode", *indicators, *group_codes, *denoms):
        if col not in header:
            problems.append(f"{src}, row 1: no column {col!r} (declared in the framework)")
    if problems:
        raise CompositeError(f"{src}: cannot read the unit data", problems)
    units: list[str] = []
    names: list[str] = []
    values = np.full((len(rows), len(indicators)), np.nan)
    dens = {d: np.full(len(rows), np.nan) for d in denoms}
    groups: dict[str, list[str | None]] = {g: [] for g in group_codes}
    for i, (line, row) in enumerate(rows):
        code = row["uCode"].strip()
        if not code or code in units:
            problems.append(f"{src}, row {line}, column 'uCode': empty or duplicate {code!r}")
        units.append(code)
        names.append((row.get("uName") or code).strip())
        for j, ind in enumerate(indicators):
            values[i, j] = _number(row[ind], src, line, ind, problems)
        for d in denoms:
            dens[d][i] = _number(row[d], src, line, d, problems)
        for g in group_codes:
            groups[g].append(row[g].strip() or None)
    if problems:
        raise CompositeError(f"{src}: cannot read the unit data", problems)
    return (Table(tuple(units), tuple(indicators), values), tuple(names),
            {g: tuple(v) for g, v in groups.items()}, dens)


def _inline_units(
    raw: Any, src: str, indicators: Sequence[str], group_codes: Sequence[str],
    denoms: Sequence[str],
) -> tuple[Table, tuple[str, ...], dict[str, tuple[str | None, ...]], dict[str, FloatArray]]:
    problems: list[str] = []
    items = _list_of_maps(raw, src, "units", problems)
    units: list[str] = []
    names: list[str] = []
    values = np.full((len(items), len(indicators)), np.nan)
    dens = {d: np.full(len(items), np.nan) for d in denoms}
    groups: dict[str, list[str | None]] = {g: [] for g in group_codes}
    for i, item in enumerate(items):
        where = f"{src}, units[{i + 1}]"
        code = str(item.get("code") or "")
        if not code or code in units:
            problems.append(f"{where}, field 'code': empty or duplicate {code!r}")
        units.append(code)
        names.append(str(item.get("name") or code))
        vals = item.get("values") or {}
        for key in vals:
            if key not in indicators:
                problems.append(f"{where}, field 'values': unknown indicator {key!r}")
        for j, ind in enumerate(indicators):
            v = vals.get(ind)
            if v is None:
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or math.isinf(v):
                problems.append(f"{where}, values.{ind}: expected a number (got {v!r})")
            else:
                values[i, j] = float(v)
        dvals = item.get("denominators") or {}
        for d in denoms:
            v = dvals.get(d)
            if v is not None:
                if isinstance(v, bool) or not isinstance(v, int | float):
                    problems.append(f"{where}, denominators.{d}: expected a number (got {v!r})")
                else:
                    dens[d][i] = float(v)
        gvals = item.get("groups") or {}
        for g in group_codes:
            groups[g].append(None if gvals.get(g) is None else str(gvals[g]))
    if problems:
        raise CompositeError(f"{src}: cannot read the units", problems)
    return (Table(tuple(units), tuple(indicators), values), tuple(names),
            {g: tuple(v) for g, v in groups.items()}, dens)
