"""Downloads: observations as CSV, Excel and SDMX-CSV.

SDMX-CSV follows SDMX-CSV 2.0.0 (SDMX 3.0): ``STRUCTURE`` (``dataflow``),
``STRUCTURE_ID`` (``MIC2025:MIC2025_OBS(1.0)``), ``ACTION`` (``I``, information), one column
per dimension (``INDICATOR``, ``REF_AREA``, ``SECTOR``, ``SCOPE``, ``SOURCE``,
``TIME_PERIOD``), the measure ``OBS_VALUE``, and the attributes ``UNIT_MEASURE``,
``OBS_STATUS`` (flags), ``VINTAGE``, ``SOURCE_DATE`` (ISO 8601, ``2021-02-28``), ``QUOTE``,
``COMMENT_OBS`` (the note), ``LOWER_BOUND`` and ``UPPER_BOUND`` — every field of a figure, so
the export imports back unchanged (:mod:`mic2025.ingest.sdmx`). An attribute a figure lacks
is an empty cell. Numbers (the value and the bounds) are written with full precision
(``repr``); text is written as stored, quoted by the CSV writer where it holds a comma, a
quote or a line break. Periods are SDMX's: ``2020``, ``2020-Q3``, ``2020-07``. Blank sector
and scope are written ``_T`` (total) and ``_Z`` (not applicable). Units are written as their
SDMX codes (``%`` is ``PCT``: :func:`mic2025.web.sdmx.unit_code`), so every coded value is in
a codelist of the structure message ``/api/sdmx/structure`` (:mod:`mic2025.web.sdmx`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ..observation import Observation
from ..store.repo import LONG_COLUMNS
from .sdmx import ATTRIBUTES, unit_code

DATAFLOW = "MIC2025:MIC2025_OBS(1.0)"
SDMX_MEDIA_TYPE = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
SDMX_DIMENSIONS = ("INDICATOR", "REF_AREA", "SECTOR", "SCOPE", "SOURCE", "TIME_PERIOD")
SDMX_ATTRIBUTES = tuple(a for a, *_ in ATTRIBUTES)  # the DSD's, in its order
SDMX_COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", *SDMX_DIMENSIONS, "OBS_VALUE",
                *SDMX_ATTRIBUTES)
COLUMNS = (*LONG_COLUMNS, "vintage", "vintage_at")


def _defuse(value: Any) -> Any:
    # figures' text comes from uploads; a spreadsheet must show it, not run it
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def rows(observations: Sequence[Observation]) -> list[dict[str, Any]]:
    return [{
        "indicator": o.indicator, "area": o.area, "year": o.year,
        "period": "" if o.period.code == str(o.year) else o.period.code,
        "value": o.value, "unit": o.unit, "scope": o.scope, "sector": o.sector,
        "flags": ";".join(sorted(o.flags)), "source": o.source,
        "source_date": o.source_date.isoformat() if o.source_date else "",
        "quote": o.quote, "note": o.note,
        "lower": "" if o.lower is None else o.lower, "upper": "" if o.upper is None else o.upper,
        "vintage": o.vintage, "vintage_at": o.vintage_at.isoformat() if o.vintage_at else "",
    } for o in observations]


def to_csv(observations: Sequence[Observation]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for r in rows(observations):
        writer.writerow({k: _defuse(v) for k, v in r.items()})
    return out.getvalue()


def to_xlsx(observations: Sequence[Observation], sheet: str = "observations") -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = sheet
    ws.append(list(COLUMNS))
    for r in rows(observations):
        ws.append([_defuse(r[c]) if r[c] is not None else None for c in COLUMNS])
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def sdmx_period(o: Observation) -> str:
    return o.period.code  # 2020, 2020-Q3 and 2020-07 are already SDMX time periods


def _number(x: float | None) -> str:
    return "" if x is None else repr(float(x))  # repr: the shortest text that reads back equal


def to_sdmx_csv(observations: Sequence[Observation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SDMX_COLUMNS)
    for o in observations:
        cells: dict[str, object] = {
            "STRUCTURE": "dataflow", "STRUCTURE_ID": DATAFLOW, "ACTION": "I",
            "INDICATOR": o.indicator, "REF_AREA": o.area, "SECTOR": o.sector or "_T",
            "SCOPE": o.scope or "_Z", "SOURCE": o.source, "TIME_PERIOD": sdmx_period(o),
            "OBS_VALUE": _number(o.value), "UNIT_MEASURE": unit_code(o.unit),
            "OBS_STATUS": ";".join(sorted(o.flags)),
            "VINTAGE": "" if o.vintage is None else o.vintage,
            "SOURCE_DATE": o.source_date.isoformat() if o.source_date else "",
            "QUOTE": o.quote, "COMMENT_OBS": o.note,
            "LOWER_BOUND": _number(o.lower), "UPPER_BOUND": _number(o.upper),
        }
        # by the header's names: a column of the DSD without its cell here is a KeyError
        writer.writerow([cells[c] for c in SDMX_COLUMNS])
    return out.getvalue()
