"""Ingest: files in the long format into the evidence store, all or nothing.

``mic2025 import FILE`` reads a CSV or Excel file (:mod:`.readers`; SDMX-CSV of the
platform's own dataflow is translated to long-format rows by :mod:`.sdmx`), cleans each cell
(:mod:`.clean`) and validates every row against the plan, the code lists and the units
(:mod:`.validate`, :mod:`.load`); :mod:`mic2025.services.imports` stores the file as one
vintage only if nothing is wrong. Otherwise :class:`~mic2025.errors.ImportRejected` lists
the problems with their file, sheet, row, column, the value found and what was expected (the
first 1,000 kept, all counted). What one import reads is bounded by :class:`~.limits.Limits`.
"""

from .columns import ALIASES, OPTIONAL, REQUIRED
from .limits import DEFAULT_LIMITS, Limits
from .load import (
    ReadFile,
    check_file,
    is_sdmx,
    load_bundled,
    parse_bytes,
    parse_rows,
    problems_csv,
    read_file,
    table_rows,
)

__all__ = [
    "ALIASES",
    "DEFAULT_LIMITS",
    "OPTIONAL",
    "REQUIRED",
    "Limits",
    "ReadFile",
    "check_file",
    "is_sdmx",
    "load_bundled",
    "parse_bytes",
    "parse_rows",
    "problems_csv",
    "read_file",
    "table_rows",
]
