"""Reference periods of observations: a year, a quarter, a month, or an as-of date.

Canonical spellings: ``2017`` (year), ``2017-Q3`` (quarter), ``2017-03`` (month) and
``2020-09-30`` (a stock as of that date, 截至). Every period knows its year and the date it
ends, which orders observations within a year.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

PeriodKind = Literal["year", "quarter", "month", "date"]


@dataclass(frozen=True, order=True)
class Period:
    end: date
    kind: PeriodKind
    year: int
    code: str

    @property
    def is_annual(self) -> bool:
        return self.kind == "year"

    def __str__(self) -> str:
        return self.code


def year(y: int) -> Period:
    return Period(date(y, 12, 31), "year", y, f"{y:04d}")


def quarter(y: int, q: int) -> Period:
    if not 1 <= q <= 4:
        raise ValueError(f"quarter {q} is not 1–4")
    m = 3 * q
    return Period(date(y, m, calendar.monthrange(y, m)[1]), "quarter", y, f"{y:04d}-Q{q}")


def month(y: int, m: int) -> Period:
    if not 1 <= m <= 12:
        raise ValueError(f"month {m} is not 1–12")
    return Period(date(y, m, calendar.monthrange(y, m)[1]), "month", y, f"{y:04d}-{m:02d}")


def as_of(d: date) -> Period:
    return Period(d, "date", d.year, d.isoformat())


_Q = [
    re.compile(p)
    for p in (
        r"^(?P<y>\d{4})[-\s]?Q(?P<q>[1-4])$",
        r"^Q(?P<q>[1-4])[-\s]?(?P<y>\d{4})?$",
        r"^(?P<y>\d{4})?年?第?(?P<qz>[一二三四1-4])季度$",
    )
]
_M = [
    re.compile(p)
    for p in (
        r"^(?P<y>\d{4})-(?P<m>\d{1,2})$",
        r"^M(?P<m>\d{1,2})$",
        r"^(?P<y>\d{4})?年?(?P<m>\d{1,2})月(底|末)?$",
    )
]
_D = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})$")
_ZH_Q = {"一": 1, "二": 2, "三": 3, "四": 4}


def parse(text: str | None, year_value: int | None) -> Period:
    """Read a period from a file's ``period`` cell, with the row's ``year`` to complete it.

    Raises ValueError naming what was expected; a period whose year disagrees with the
    row's year is an error, not a guess.
    """
    raw = (text or "").strip()
    if not raw or raw.lower() in ("year", "annual", "y", "年", "全年", "年度"):
        if year_value is None:
            raise ValueError("no year given")
        return year(year_value)
    raw_up = raw.upper()
    m = _D.match(raw)
    if m:
        try:
            p = as_of(date(int(m["y"]), int(m["m"]), int(m["d"])))
        except ValueError as exc:
            raise ValueError(f"{raw!r} is not a calendar date ({exc})") from None
        return _check_year(p, year_value, raw)
    if re.fullmatch(r"\d{4}", raw):
        return _check_year(year(int(raw)), year_value, raw)
    for pat in _Q:
        m = pat.match(raw_up if "Q" in raw_up else raw)
        if m:
            q = int(m["q"]) if m.groupdict().get("q") else _ZH_Q.get(m["qz"], 0) or int(m["qz"])
            y = int(m["y"]) if m.groupdict().get("y") else year_value
            if y is None:
                raise ValueError(f"period {raw!r} has no year and the row gives none")
            return _check_year(quarter(y, q), year_value, raw)
    for pat in _M:
        m = pat.match(raw_up if raw_up.startswith("M") else raw)
        if m:
            y = int(m["y"]) if m.groupdict().get("y") else year_value
            if y is None:
                raise ValueError(f"period {raw!r} has no year and the row gives none")
            return _check_year(month(y, int(m["m"])), year_value, raw)
    raise ValueError(
        f"unreadable period {raw!r}; expected a year (2017), a quarter (2017-Q3, Q3), "
        "a month (2017-03, M03, 3月) or an as-of date (2020-09-30)"
    )


def from_code(code: str) -> Period:
    """Inverse of ``Period.code`` for canonical spellings (as stored)."""
    return parse(code, None)


def _check_year(p: Period, year_value: int | None, raw: str) -> Period:
    if year_value is not None and p.year != year_value:
        raise ValueError(f"period {raw!r} falls in {p.year}, but the row's year is {year_value}")
    return p
