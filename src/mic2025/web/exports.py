"""Downloads: observations as CSV, Excel and SDMX-CSV.

SDMX-CSV follows SDMX-CSV 2.0.0 (SDMX 3.0): ``STRUCTURE`` (``dataflow``),
``STRUCTURE_ID`` (``MIC2025:MIC2025_OBS(1.0)``), ``ACTION`` (``I``, information), one column
per dimension (``INDICATOR``, ``REF_AREA``, ``SECTOR``, ``SCOPE``, ``SOURCE``,
``TIME_PERIOD``), the measure ``OBS_VALUE``, and the attributes ``UNIT_MEASURE``,
``OBS_STATUS`` (flags) and ``VINTAGE``. Periods are SDMX's: ``2020``, ``2020-Q3``,
``2020-07``. Blank sector and scope are written ``_T`` (total) and ``_Z`` (not applicable).
Units are written as their SDMX codes (``%`` is ``PCT``: :func:`mic2025.web.sdmx.unit_code`),
so every coded value is in a codelist of the structure message ``/api/sdmx/structure``
(:mod:`mic2025.web.sdmx`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from ..observation import Observation
from ..store.repo import LONG_COLUMNS
from .sdmx import unit_code

DATAFLOW = "MIC2025:MIC2025_OBS(1.0)"
SDMX_MEDIA_TYPE = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
SDMX_DIMENSIONS = ("INDICATOR", "REF_AREA", "SECTOR", "SCOPE", "SOURCE", "TIME_PERIOD")
SDMX_ATTRIBUTES = ("UNIT_MEASURE", "OBS_STATUS", "VINTAGE")
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


def to_sdmx_csv(observations: Sequence[Observation]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SDMX_COLUMNS)
    for o in observations:
        writer.writerow([
            "dataflow", DATAFLOW, "I", o.indicator, o.area, o.sector or "_T",
            o.scope or "_Z", o.source,
            sdmx_period(o), repr(float(o.value)), unit_code(o.unit), ";".join(sorted(o.flags)),
            "" if o.vintage is None else o.vintage,
        ])
    return out.getvalue()
