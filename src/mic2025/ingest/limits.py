"""How much one import may read, and how many of its problems are kept.

Every limit is checked before the work it bounds is done: the file's size before it is
read, a workbook's unpacked size and compression ratio before openpyxl parses any part of
it, the rows and columns as they are read (reading stops at the first row past a limit).
A file past a limit is refused as a whole with one problem naming the file and the limit.

The defaults suit ``mic2025 import`` on an analyst's machine: a national file of a few
hundred thousand rows goes in. The platform's upload uses smaller ones
(:data:`mic2025.services.submissions.UPLOAD_LIMITS`). A caller passes its own :class:`Limits`
to :func:`~mic2025.ingest.load.read_file`, :func:`~mic2025.ingest.load.check_file` or
:func:`~mic2025.ingest.load.parse_bytes`.

Problems are counted, all of them, but only the first ``max_problems`` are kept
(:class:`ProblemLog`): a file of 200,000 bad rows is rejected with the first 1,000
problems and the count of the others, not with a million problems held in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..errors import ImportRejected, Problem

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The bounds of one import; every field is a maximum."""

    #: the file's size as stored (a CSV's bytes; a workbook's zipped bytes)
    max_file_bytes: int = 256 * MIB
    #: data rows with any value, over every sheet read (the header row not counted)
    max_rows: int = 500_000
    #: cells in a row, after dropping empty cells at its end (the long format has 15)
    max_columns: int = 1_000
    #: a workbook's parts unpacked, added up (sheets, shared strings, styles…)
    max_unpacked_bytes: int = 256 * MIB
    #: a workbook's parts (one per sheet, image or chart, and a few more), as its zip
    #: directory declares them before anything is listed
    max_parts: int = 10_000
    #: unpacked ÷ packed size of any workbook part over 1 MiB unpacked; an ordinary
    #: worksheet packs 5–20 to 1, a zip bomb hundreds or thousands to 1
    max_ratio: int = 100
    #: problems kept for the report; the rest are only counted
    max_problems: int = 1_000


DEFAULT_LIMITS = Limits()

#: a workbook part smaller than this unpacked is never refused for its ratio: it cannot
#: hold enough to matter, and tiny parts (a theme, a list of styles) pack unevenly
RATIO_FLOOR = 1 * MIB


class ProblemLog:
    """The problems of one file: every one counted, the first ``cap`` kept, in order found."""

    def __init__(self, cap: int = DEFAULT_LIMITS.max_problems) -> None:
        self.cap = cap
        self.kept: list[Problem] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        self.total += 1
        if len(self.kept) < self.cap:
            self.kept.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            self.add(p)

    def absorb(self, other: ProblemLog) -> None:
        """Add another log's problems: its kept ones, and the count of those it left out."""
        self.extend(other.kept)
        self.total += other.omitted

    def count(self, n: int) -> None:
        """Count ``n`` problems found but not written up (the log was full)."""
        self.total += n

    @property
    def full(self) -> bool:
        """Whether a further problem would only be counted."""
        return len(self.kept) >= self.cap

    @property
    def omitted(self) -> int:
        """How many problems were counted but not kept."""
        return self.total - len(self.kept)

    def __bool__(self) -> bool:
        return self.total > 0

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept)

    def rejected(self, source: str) -> ImportRejected:
        """The error refusing the file, carrying the kept problems and the total count."""
        return ImportRejected(source, self.kept, total=self.total)
