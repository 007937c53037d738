"""Importing a file into the store: read, clean, validate everything, then all or nothing.

A CSV file is in the long format (:mod:`.columns`) or SDMX-CSV of mic2025's own dataflow
(:mod:`.sdmx`), told apart by its first header; both end as the same rows, checked by the
same rules.

:func:`read_file` reads the file's bytes once — the same bytes are hashed (sha256, which
makes re-importing the same file a no-op) and parsed — checks every row, and raises
:class:`~mic2025.errors.ImportRejected` if there is any problem: it lists the first ones
and counts all of them. What one import reads is bounded by :class:`~.limits.Limits`. Only a file
with no problem at all is stored, by :func:`mic2025.services.imports.import_file` — the one
write of figures a person makes, with its permission check and audit entry — in one
transaction: a crash or a kill part-way leaves the store as it was. The one write made here
is :func:`load_bundled`, the installation loading its own bundled evidence.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import ImportRejected, Problem
from ..observation import Observation
from ..plan import Plan
from ..store import ImportResult, Store
from ..tabular import csv_text
from . import sdmx
from .columns import header_complete, resolve_header, written_names
from .limits import DEFAULT_LIMITS, Limits, ProblemLog
from .readers import Table, read_table, too_big
from .validate import RawRow, validate_rows

#: where the bundled evidence lives inside the package
BUNDLED = ("data", "evidence", "national.csv")


@dataclass(frozen=True)
class ReadFile:
    """A file read and checked, ready to store: its name (not its folder), the sha256 of its
    bytes, and its observations — empty when ``known`` says the store has that very file."""

    name: str
    sha256: str
    observations: list[Observation]
    known: ImportResult | None = None


def read_file(
    store: Store,
    path: str | Path,
    plan: Plan,
    *,
    kind: str = "import",
    encoding: str | None = None,
    sheets: Sequence[str] | None = None,
    limits: Limits | None = None,
) -> ReadFile:
    """Read and check a long-format CSV or Excel file, or an SDMX-CSV file of the MIC2025
    dataflow, for :func:`mic2025.services.imports.import_file` to store; raise
    ``ImportRejected`` if any row is wrong.

    ``encoding`` names a CSV's encoding when it is not UTF-8 (``"gb18030"``); ``sheets``
    restricts an Excel import to the named sheets (all sheets otherwise); ``limits`` bounds
    what is read (:data:`~.limits.DEFAULT_LIMITS` otherwise). A file the store already holds
    (the same sha256) is not parsed again: ``known`` is then the earlier import's result.
    """
    p = Path(path)
    limits = limits or DEFAULT_LIMITS
    data = _read_bytes(p, limits)
    sha256 = hashlib.sha256(data).hexdigest()
    known = _already_imported(store, sha256, p.name, kind)
    if known is not None:
        return ReadFile(p.name, sha256, [], known)
    observations = parse_bytes(data, str(p), plan, suffix=p.suffix, encoding=encoding,
                               sheets=sheets, limits=limits)
    return ReadFile(p.name, sha256, observations)


def check_file(
    path: str | Path,
    plan: Plan,
    *,
    encoding: str | None = None,
    sheets: Sequence[str] | None = None,
    limits: Limits | None = None,
) -> list[Observation]:
    """Read and validate a file without storing it (a dry run); raises ``ImportRejected``."""
    p = Path(path)
    limits = limits or DEFAULT_LIMITS
    return parse_bytes(_read_bytes(p, limits), str(p), plan, suffix=p.suffix,
                       encoding=encoding, sheets=sheets, limits=limits)


def parse_bytes(
    data: bytes,
    source: str,
    plan: Plan,
    *,
    suffix: str,
    encoding: str | None = None,
    sheets: Sequence[str] | None = None,
    limits: Limits | None = None,
) -> list[Observation]:
    """A file's observations, or ``ImportRejected`` with its problems (the first ones kept,
    all counted)."""
    limits = limits or DEFAULT_LIMITS
    tables, found = read_table(data, source, suffix, encoding=encoding, sheets=sheets,
                               limits=limits)
    problems = ProblemLog(limits.max_problems)
    problems.extend(found)
    raws: list[RawRow] = []
    for table in tables:
        rows, _ = table_rows(table, plan, problems)
        table.rows = []  # the rows read hold the cells now; the table's lists can go
        raws.extend(rows)
    if not problems and not raws:
        problems.add(Problem(source, None, None, "no data rows: the file holds no figures"))
    observations, _ = validate_rows(raws, plan, problems)
    if problems:
        raise problems.rejected(source)
    return observations


def table_rows(table: Table, plan: Plan, problems: ProblemLog | None = None
               ) -> tuple[list[RawRow], ProblemLog]:
    """A table's rows as long-format rows, SDMX-CSV or long format, with its problems.

    The step every reader of a file shares — ``mic2025 import`` and the platform's upload:
    a long-format table is read by its header (:mod:`.columns`), an SDMX-CSV table of the
    MIC2025 dataflow is translated (:func:`.sdmx.raw_rows`, which refuses another dataflow
    and the actions D, R and M). SDMX-CSV in a spreadsheet sheet is refused: a spreadsheet
    rewrites its codes. The rows are then checked by :func:`~.validate.validate_rows`.
    The problems go into ``problems`` when given (else a new log), which is returned.
    """
    log = problems if problems is not None else ProblemLog()
    if sdmx.version(table) is None:
        return _raw_rows(table, log), log
    if table.sheet is None:
        return sdmx.raw_rows(table, plan, log)
    log.add(Problem(
        table.source, 1, str(table.header[0]), "this sheet is SDMX-CSV, which is read from a "
        ".csv file only: a spreadsheet rewrites its codes (000000 becomes 0, the month "
        "2018-03 a date); import the .csv file as it was exported", sheet=table.sheet))
    return [], log


def is_sdmx(table: Table) -> bool:
    """Whether a table is SDMX-CSV (told by its first header), not the long format."""
    return sdmx.version(table) is not None


def parse_rows(
    rows: Iterable[Mapping[str, object]],
    plan: Plan,
    *,
    source_name: str,
    limits: Limits | None = None,
) -> list[Observation]:
    """Observations from rows given as mappings of column → cell, checked exactly as a
    file's rows; raise ``ImportRejected`` if any row is wrong.

    Keys are column names as a file's header would give them (aliases allowed); row
    numbers in problems count as if the rows followed a header in row 1.
    """
    listed = [dict(r) for r in rows]
    header: list[object] = []
    for r in listed:
        header.extend(k for k in r if k not in header)
    table = Table(source_name, None, header,
                  [(i, [r.get(str(h)) for h in header]) for i, r in enumerate(listed, start=2)])
    problems = ProblemLog((limits or DEFAULT_LIMITS).max_problems)
    raws = _raw_rows(table, problems)
    observations, _ = validate_rows(raws, plan, problems)
    if problems:
        raise problems.rejected(source_name)
    return observations


def load_bundled(store: Store, plan: Plan, path: str | Path | None = None) -> ImportResult:
    """Import the evidence shipped with mic2025 (``data/evidence/national.csv``).

    Kind ``bundled``, keyed by the file's sha256: loading it again changes nothing, and a
    new release's corrected figures arrive as a new vintage of revisions. A new release
    supersedes the earlier one: what it no longer carries (a figure dropped, or re-keyed
    under its publication) is withdrawn in the same vintage, unless the latest figure of
    that key is a user's (:meth:`mic2025.store.Store.import_observations`, ``supersede``).
    ``path`` replaces the bundled file (for tests and for a packager's own evidence).
    """
    if path is None:
        resource = resources.files("mic2025").joinpath(*BUNDLED)
        name = "/".join(("mic2025", *BUNDLED))
        if not resource.is_file():
            raise ImportRejected(name, [Problem(name, None, None,
                                                "the bundled evidence file is missing from the "
                                                "installed package")])
        data = resource.read_bytes()
    else:
        p = Path(path)
        name = p.name
        data = _read_bytes(p, DEFAULT_LIMITS)
    sha256 = hashlib.sha256(data).hexdigest()
    known = _already_imported(store, sha256, name, "bundled")
    if known is not None:
        return known  # the usual case: every command loads the bundle, once per release
    observations = parse_bytes(data, name, plan, suffix=".csv")
    return store.import_observations(observations, source_name=name, sha256=sha256,
                                     kind="bundled", actor="mic2025",
                                     note="evidence bundled with mic2025", supersede=True)


def _already_imported(store: Store, sha256: str, name: str, kind: str) -> ImportResult | None:
    """The result of re-importing a file the store already has, without reading it again.

    Nothing would be written anyway (the store checks the sha256 again inside its
    transaction); skipping the parse makes the common case — loading the bundled evidence
    on every command — cost one query.
    """
    earlier = store.vintage_of_file(sha256)
    if earlier is None:
        return None
    return ImportResult(name, sha256, kind, earlier.rows_total, 0, 0, earlier.rows_total,
                        vintage=earlier.id, created_at=earlier.created_at, already_imported=True)


def problems_csv(problems: Sequence[Problem], omitted: int = 0) -> str:
    """The problems of a rejected import as CSV text, one row per problem, for a spreadsheet.

    ``omitted`` counts the problems found but not kept (``ImportRejected.omitted``); a last
    row says how many there were, so the sheet never looks like the whole list when not.
    A rejected cell may be hostile: the shared writer (:mod:`mic2025.tabular`) defuses it.
    """
    rows: list[list[object]] = [[p.source, p.sheet, p.row, p.column, p.value, p.message]
                                for p in problems]
    if omitted:
        source = problems[0].source if problems else ""
        rows.append([source, None, None, None, None,
                     f"… and {omitted:,} more problems not listed "
                     f"(an import keeps the first {len(problems):,})"])
    return csv_text(["file", "sheet", "row", "column", "value", "problem"], rows)


def _read_bytes(path: Path, limits: Limits) -> bytes:
    """The file's bytes, refused unread when larger than the limit.

    A regular file's size is checked before it is read; anything else (a pipe, a device
    such as ``/dev/zero``) has no size to check, and is read a chunk at a time up to the
    limit.
    """
    limit = limits.max_file_bytes
    try:
        with path.open("rb") as fh:
            info = os.fstat(fh.fileno())
            regular = stat.S_ISREG(info.st_mode)
            if regular and info.st_size > limit:
                raise ImportRejected(str(path), [too_big(str(path), info.st_size, limits)])
            # read(n) reserves n bytes at once: ask for what the file holds, not the limit
            chunks = [fh.read(info.st_size + 1)] if regular else []
            got = sum(map(len, chunks))
            while got <= limit and (chunk := fh.read(min(_CHUNK, limit + 1 - got))):
                chunks.append(chunk)  # a device or a pipe, or a file that grew meanwhile
                got += len(chunk)
            data = b"".join(chunks) if len(chunks) != 1 else chunks[0]
    except OSError as exc:
        raise ImportRejected(str(path), [Problem(str(path), None, None,
                                                 f"cannot read the file: {exc.strerror or exc}")]
                             ) from None
    if len(data) > limit:  # a file that grew while it was read
        raise ImportRejected(str(path), [too_big(str(path), len(data), limits)])
    return data


_CHUNK = 1024 * 1024


def _raw_rows(table: Table, problems: ProblemLog) -> list[RawRow]:
    """A table's data rows keyed by column, after checking its header and row widths."""
    width = len(table.header)
    used = {i for _, cells in table.rows for i, c in enumerate(cells) if _filled(c)}
    found, header_problems = resolve_header(table.header, used, source=table.source,
                                            sheet=table.sheet)
    problems.extend(header_problems)
    if not header_complete(found):
        return []  # without its header the rows cannot be read
    # other header problems (an unknown column…) still let every row be checked
    names = written_names(table.header, found)
    raws = []
    for number, cells in table.rows:
        extra = [c for c in cells[width:] if _filled(c)]
        if extra:
            problems.add(Problem(table.source, number, None,
                                 f"the row has {width + len(extra)} or more cells but the "
                                 f"header names {width} columns", sheet=table.sheet,
                                 value=str(extra[0])))
            continue
        values = {name: (cells[i] if i < len(cells) else None) for name, i in found.items()}
        raws.append(RawRow(table.source, table.sheet, number, values, names))
    return raws


def _filled(cell: object) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())

