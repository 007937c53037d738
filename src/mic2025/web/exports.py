"""Downloads: observations as CSV, Excel and SDMX-CSV.

CSV and Excel carry the columns of ``mic2025 data export`` (:data:`COLUMNS`, one row per
figure by :func:`mic2025.store.repo.export_row`), written by the product's one table writer
(:mod:`mic2025.tabular`, which defuses formula-looking text).

SDMX-CSV follows SDMX-CSV 2.0.0 (SDMX 3.0): ``STRUCTURE`` (``dataflow``),
``STRUCTURE_ID`` (``MIC2025:MIC2025_OBS(1.0)``), ``ACTION`` (``I``, information), one column
per dimension (``INDICATOR``, ``REF_AREA``, ``SECTOR``, ``SCOPE``, ``SOURCE``,
``TIME_PERIOD``), the measure ``OBS_VALUE``, and the attributes ``UNIT_MEASURE``,
``OBS_STATUS`` (flags), ``VINTAGE``, ``QUOTE``, ``COMMENT_OBS`` (the note), ``LOWER_BOUND``,
``UPPER_BOUND`` and the citation — ``PUBLISHER``, ``PUBLICATION``, ``PUBLICATION_DATE`` (ISO
8601, ``2021-02-28``), ``LOCATOR``, ``RETRIEVED_FROM`` and ``GRADE`` — every field of a figure,
so the export imports back unchanged (:mod:`mic2025.ingest.sdmx`). An attribute a figure lacks
is an empty cell. Numbers (the value and the bounds) are written with full precision
(``repr``); text is written as stored, quoted by the CSV writer where it holds a comma, a
quote or a line break, except that text starting with ``=``, ``+``, ``-``, ``@``, a tab, a
carriage return or an apostrophe gets one apostrophe in front, so a spreadsheet shows it
and never runs it (:mod:`mic2025.tabular`); the import removes exactly that one
apostrophe again (:mod:`mic2025.ingest.sdmx`). Periods are SDMX's: ``2020``, ``2020-Q3``,
``2020-07``. Blank sector and scope are written ``_T`` (total) and ``_Z`` (not applicable).
Units are written as their SDMX codes (``%`` is ``PCT``: :func:`mic2025.web.sdmx.unit_code`),
so every coded value is in a codelist of the structure message ``/api/sdmx/structure``
(:mod:`mic2025.web.sdmx`).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..observation import Observation
from ..store.repo import EXPORT_COLUMNS, export_row
from ..tabular import csv_text, xlsx_bytes
from .sdmx import ATTRIBUTES, unit_code

DATAFLOW = "MIC2025:MIC2025_OBS(1.0)"
SDMX_MEDIA_TYPE = "application/vnd.sdmx.data+csv; version=2.0.0; charset=utf-8"
SDMX_DIMENSIONS = ("INDICATOR", "REF_AREA", "SECTOR", "SCOPE", "SOURCE", "TIME_PERIOD")
SDMX_ATTRIBUTES = tuple(a for a, *_ in ATTRIBUTES)  # the DSD's, in its order
SDMX_COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", *SDMX_DIMENSIONS, "OBS_VALUE",
                *SDMX_ATTRIBUTES)
#: the columns of the CSV and Excel downloads: those of ``mic2025 data export``
COLUMNS = EXPORT_COLUMNS


def to_csv(observations: Sequence[Observation]) -> str:
    return csv_text(COLUMNS, [export_row(o) for o in observations])


def to_xlsx(observations: Sequence[Observation], sheet: str = "observations") -> bytes:
    return xlsx_bytes(COLUMNS, [export_row(o) for o in observations], sheet=sheet)


def sdmx_period(o: Observation) -> str:
    return o.period.code  # 2020, 2020-Q3 and 2020-07 are already SDMX time periods


def to_sdmx_csv(observations: Sequence[Observation]) -> str:
    rows = []
    for o in observations:
        # floats are written with repr(), the shortest text that reads back equal
        rows.append({
            "STRUCTURE": "dataflow", "STRUCTURE_ID": DATAFLOW, "ACTION": "I",
            "INDICATOR": o.indicator, "REF_AREA": o.area, "SECTOR": o.sector or "_T",
            "SCOPE": o.scope or "_Z", "SOURCE": o.source, "TIME_PERIOD": sdmx_period(o),
            "OBS_VALUE": float(o.value), "UNIT_MEASURE": unit_code(o.unit),
            "OBS_STATUS": ";".join(sorted(o.flags)), "VINTAGE": o.vintage,
            "QUOTE": o.quote, "COMMENT_OBS": o.note,
            "LOWER_BOUND": None if o.lower is None else float(o.lower),
            "UPPER_BOUND": None if o.upper is None else float(o.upper),
            "PUBLISHER": o.citation.publisher, "PUBLICATION": o.citation.publication,
            "PUBLICATION_DATE": o.citation.publication_date, "LOCATOR": o.citation.locator,
            "RETRIEVED_FROM": o.citation.retrieved_from, "GRADE": o.citation.grade,
        })
    return csv_text(SDMX_COLUMNS, rows)
