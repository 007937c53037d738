"""Units of measure, their spellings, and the conversions between them.

Statistics about the plan arrive in several forms for the same indicator: energy intensity
as a cumulative decline against 2015, as a decline against 2020, or as a one-year decline;
amounts in 元, 万元 or 亿元. Each observation keeps the unit it arrived in; evaluation
converts to the indicator's own measure (see :mod:`mic2025.evaluate.measures`).

Canonical codes:

=====================  =============================================================
``%``                  a percentage level (a rate, a share)
``pp``                 a difference in percentage points
``index``              index points
``count``              a number of things
``yuan``               元; ``10k_yuan`` 万元; ``100m_yuan`` 亿元 (one family, scaled)
``%yoy``               year-on-year change in percent, signed (−5 = fell 5%)
``%vs:YYYY``           cumulative change against year YYYY in percent, signed
``decline%yoy``        year-on-year decline in percent, positive = fell
``decline%vs:YYYY``    cumulative decline against YYYY in percent, positive = fell
``pp_vs:YYYY``         change against year YYYY in percentage points, signed
=====================  =============================================================

Any other code (``m3/10k_yuan``, ``tce/10k_yuan``…) is accepted as an opaque unit that
converts only to itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .i18n import Lang, code_label, t

_MONEY = {"yuan": 1.0, "10k_yuan": 1e4, "100m_yuan": 1e8}

_ALIASES = {
    "%": "%", "％": "%", "percent": "%", "pct": "%", "百分比": "%",
    "pp": "pp", "百分点": "pp", "个百分点": "pp", "percentage points": "pp",
    "index": "index", "指数": "index", "points": "index", "点": "index",
    "count": "count", "个": "count", "家": "count", "件": "count", "项": "count", "种": "count",
    "yuan": "yuan", "元": "yuan", "rmb": "yuan", "cny": "yuan",
    "10k_yuan": "10k_yuan", "万元": "10k_yuan", "10k yuan": "10k_yuan",
    "100m_yuan": "100m_yuan", "亿元": "100m_yuan", "100m yuan": "100m_yuan",
    "%yoy": "%yoy", "% yoy": "%yoy", "同比%": "%yoy", "比上年增长%": "%yoy",
    "decline%yoy": "decline%yoy", "比上年下降%": "decline%yoy",
}

_CHANGE = re.compile(r"^(?P<kind>%|decline%|pp_)vs:(?P<year>\d{4})$")


@dataclass(frozen=True)
class Change:
    """What a change unit means: against the previous year or a fixed base year."""

    yoy: bool
    base_year: int | None
    sign: int  # +1: the number is the signed change; -1: the number is a decline
    points: bool  # percentage points rather than percent


def normalise(text: str) -> str:
    """The canonical code for a unit as written in a file; raises ValueError if unknown."""
    raw = text.strip()
    if not raw:
        raise ValueError("the unit is empty")
    low = raw.lower()
    if low in _ALIASES:
        return _ALIASES[low]
    if raw in _ALIASES:
        return _ALIASES[raw]
    compact = low.replace(" ", "")
    if _CHANGE.match(compact):
        return compact
    if re.fullmatch(r"[a-z0-9_]+(/[a-z0-9_]+)?", compact):
        return compact
    raise ValueError(
        f"unknown unit {text!r}; use one of %, pp, index, count, yuan, 10k_yuan (万元), "
        "100m_yuan (亿元), %yoy, decline%yoy, %vs:YYYY, decline%vs:YYYY, pp_vs:YYYY, "
        "or a lower-case code such as m3/10k_yuan"
    )


def change(code: str) -> Change | None:
    """Describe a change unit, or ``None`` when ``code`` is a level."""
    if code == "%yoy":
        return Change(yoy=True, base_year=None, sign=1, points=False)
    if code == "decline%yoy":
        return Change(yoy=True, base_year=None, sign=-1, points=False)
    m = _CHANGE.match(code)
    if not m:
        return None
    kind = m.group("kind")
    return Change(
        yoy=False,
        base_year=int(m.group("year")),
        sign=-1 if kind == "decline%" else 1,
        points=kind == "pp_",
    )


def convertible(src: str, dst: str) -> bool:
    if src == dst:
        return True
    if src in _MONEY and dst in _MONEY:
        return True
    a, b = change(src), change(dst)
    return a is not None and b is not None and a.yoy == b.yoy and a.base_year == b.base_year \
        and a.points == b.points


def convert(value: float, src: str, dst: str) -> float:
    """Convert ``value`` from unit ``src`` to ``dst`` (same family only)."""
    if src == dst:
        return value
    if src in _MONEY and dst in _MONEY:
        return value * _MONEY[src] / _MONEY[dst]
    a, b = change(src), change(dst)
    if a is not None and b is not None and convertible(src, dst):
        return value * a.sign * b.sign
    raise ValueError(f"cannot convert {src!r} to {dst!r}")


# --------------------------------------------------------------------------- in words


def change_kind(change: Change) -> str:
    """How a change unit reads: ``points`` (percentage points), ``decline`` or ``change``."""
    return "points" if change.points else ("decline" if change.sign < 0 else "change")


def change_against(change: Change, lang: Lang) -> str:
    """What a change is measured against, in words: 上年 / the previous year, or 2015年."""
    if change.yoy:
        return t("unit_words.against_previous", lang)
    return t("unit_words.against_year", lang, year=change.base_year)


def words(unit: str, lang: Lang) -> str:
    """A unit code in words, for the report, the platform and the import's messages.

    The label table's entry when it has one; else a change unit in words (``decline%vs:2015``:
    比2015年下降% / % decline on 2015); else a rate ``a/b`` from the words for ``a`` and ``b``
    (a count per b: "per b" in English); else the code itself.
    """
    label = code_label("unit", unit, lang)
    if label != unit:
        return label
    found = change(unit)
    if found is not None:
        return t(f"unit_words.label_{change_kind(found)}", lang,
                 against=change_against(found, lang))
    if "/" in unit:
        top, bottom = unit.split("/", 1)
        per = words(bottom, lang)
        if top == "count":
            return t("unit_words.count_rate", lang, per=per)
        return t("unit_words.rate", lang, top=words(top, lang), per=per)
    return label
