"""A small labelled matrix: units in rows, indicator or aggregate codes in columns.

The engine keeps one :class:`Table` per processing step (raw, denominated, imputed, screened,
treated, normalised, aggregated), as COINr keeps one data frame per step in ``coin$Data``.
Missing values are ``NaN``. The class is deliberately thin: numpy does the arithmetic, the
table only carries the labels so that a number can always be traced to a unit and a column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from mic2025.composite.errors import CompositeError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Table:
    """``values[i, j]`` is the value of column ``columns[j]`` for unit ``units[i]``."""

    units: tuple[str, ...]
    columns: tuple[str, ...]
    values: FloatArray

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float)
        if values.ndim != 2 or values.shape != (len(self.units), len(self.columns)):
            raise CompositeError(
                f"table shape {values.shape} does not match {len(self.units)} units x "
                f"{len(self.columns)} columns"
            )
        if len(set(self.units)) != len(self.units):
            raise CompositeError("table has duplicate unit codes")
        if len(set(self.columns)) != len(self.columns):
            raise CompositeError("table has duplicate column codes")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)

    # -- look-up ---------------------------------------------------------------------------
    def column_index(self, code: str) -> int:
        try:
            return self.columns.index(code)
        except ValueError:
            raise CompositeError(f"no column {code!r} in this table") from None

    def unit_index(self, code: str) -> int:
        try:
            return self.units.index(code)
        except ValueError:
            raise CompositeError(f"no unit {code!r} in this table") from None

    def column(self, code: str) -> FloatArray:
        """A copy of one column."""
        return np.array(self.values[:, self.column_index(code)])

    def get(self, unit: str, column: str) -> float:
        return float(self.values[self.unit_index(unit), self.column_index(column)])

    def __contains__(self, code: object) -> bool:
        return code in self.columns

    # -- derived tables --------------------------------------------------------------------
    def select(self, columns: Iterable[str]) -> Table:
        cols = tuple(columns)
        idx = [self.column_index(c) for c in cols]
        return Table(self.units, cols, np.array(self.values[:, idx]))

    def select_units(self, units: Iterable[str]) -> Table:
        keep = tuple(units)
        idx = [self.unit_index(u) for u in keep]
        return Table(keep, self.columns, np.array(self.values[idx, :]))

    def with_columns(self, columns: Sequence[str], values: FloatArray) -> Table:
        """This table with ``columns`` appended, or replaced where they already exist."""
        block = np.asarray(values, dtype=float).reshape(len(self.units), len(columns))
        out = np.array(self.values)
        names = list(self.columns)
        extra: list[FloatArray] = []
        for j, code in enumerate(columns):
            if code in self.columns:
                out[:, self.columns.index(code)] = block[:, j]
            else:
                names.append(code)
                extra.append(block[:, j])
        if extra:
            out = np.column_stack([out, *extra])
        return Table(self.units, tuple(names), out)

    def replace(self, values: FloatArray) -> Table:
        return Table(self.units, self.columns, np.array(values, dtype=float))

    # -- output ----------------------------------------------------------------------------
    def to_csv(self, path: str | Path, unit_header: str = "uCode") -> None:
        """Write as CSV; NaN becomes an empty field, numbers keep 17 significant digits.

        Through the product's one table writer (:mod:`mic2025.tabular`): unit codes and
        names come from users' files and are defused like every other text cell.
        """
        from mic2025.tabular import csv_text

        text = csv_text([unit_header, *self.columns],
                        [[unit, *(float(v) for v in row)]
                         for unit, row in zip(self.units, self.values, strict=True)])
        Path(path).write_text(text, encoding="utf-8")
