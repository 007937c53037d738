"""Ingest: files in the long format into the evidence store, all or nothing.

``mic2025 import FILE`` reads a CSV or Excel file (:mod:`.readers`; SDMX-CSV of the
platform's own dataflow is translated to long-format rows by :mod:`.sdmx`), cleans each cell
(:mod:`.clean`), validates every row against the plan, the code lists and the units
(:mod:`.validate`), and stores the file as one vintage only if nothing is wrong
(:mod:`.load`); otherwise :class:`~mic2025.errors.ImportRejected` lists the problems with
their file, sheet, row, column, the value found and what was expected (the first 1,000
kept, all counted). What one import reads is bounded by :class:`~.limits.Limits`.
"""

from .columns import ALIASES, OPTIONAL, REQUIRED
from .limits import DEFAULT_LIMITS, Limits
from .load import (
    check_file,
    import_file,
    import_rows,
    is_sdmx,
    load_bundled,
    parse_bytes,
    problems_csv,
    table_rows,
)

__all__ = [
    "ALIASES",
    "DEFAULT_LIMITS",
    "OPTIONAL",
    "REQUIRED",
    "Limits",
    "check_file",
    "import_file",
    "import_rows",
    "is_sdmx",
    "load_bundled",
    "parse_bytes",
    "problems_csv",
    "table_rows",
]
