"""The identifiers of mic2025's SDMX dataflow and the SDMX code of a unit.

Pure constants and functions, shared by the platform's SDMX export and structure message
(:mod:`mic2025.web.exports`, :mod:`mic2025.web.sdmx`) and by the importer that reads
SDMX-CSV back (:mod:`mic2025.ingest.sdmx`). They live here, below both, because data flows
one way (plan → ingest → store → … → web) and the importer may not import the web package.
"""

from __future__ import annotations

import hashlib
import re

AGENCY = "MIC2025"
VERSION = "1.0"
DSD_ID = "MIC2025_OBS"
DATAFLOW_ID = "MIC2025_OBS"
#: the dataflow as SDMX-CSV names it in ``STRUCTURE_ID`` (2.0) or ``DATAFLOW`` (1.0)
DATAFLOW = f"{AGENCY}:{DATAFLOW_ID}({VERSION})"
#: the SECTOR code of a figure for all industries (a blank sector in the store)
TOTAL_SECTOR = "_T"
#: SDMX's "not applicable": a blank SCOPE, and the code of an empty unit
NOT_APPLICABLE = "_Z"


def unit_code(unit: str) -> str:
    """The SDMX code of a unit (``%`` → ``PCT``, ``decline%vs:2015`` → ``DECLINE_PCT_VS_2015``).

    SDMX ids allow only ``A-Z a-z 0-9 _ @ $ -``: ``%`` becomes ``PCT``, ``/`` becomes
    ``PER`` and ``:`` an underscore (``m3/10k_yuan`` is ``M3_PER_10K_YUAN``). The mapping
    is not one-to-one for arbitrary text, so the importer inverts it only against the units
    the plan knows (:func:`mic2025.ingest.sdmx.unit_from_code`).
    """
    if not unit:
        return NOT_APPLICABLE
    if not unit.isascii():
        return "U_" + hashlib.sha256(unit.encode()).hexdigest()[:10].upper()
    s = unit.replace("%", "_PCT_").replace("/", "_PER_").replace(":", "_")
    s = re.sub(r"[^A-Za-z0-9_]", "_", s)
    s = re.sub(r"_+", "_", s).strip("_").upper()
    return s or NOT_APPLICABLE
