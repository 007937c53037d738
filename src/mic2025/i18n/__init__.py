"""Every text mic2025 shows, in Chinese and English: one table and one lookup.

The table is one key space, kept in a data module per area: :mod:`.report` (the HTML report,
the engine's notes and derivations), :mod:`.platform` (the web pages), :mod:`.documents` (the
official documents, the command line, follow-up labels and e-mails) and :mod:`.composite` (the
index report). A key is defined once: :data:`_TABLE` refuses a key two areas define, and
tests/test_i18n.py checks that every entry has both languages.

Text that comes with the plan or another data file (metric names, target wording, method
titles, warning messages) is the plan's bilingual :class:`mic2025.plan.Text`, shown with
``.get(lang)``; it is not copied here. Codes from data (status, verdict, flag, unit…) go
through :func:`code_label`, which falls back to the code itself, so a new code from the
evaluator shows up as its code instead of breaking a page.

This module imports nothing else of mic2025, so that every layer (evaluate, composite,
followup, report, web, commands) can use it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from . import composite, documents, intake, platform, reading, report

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
#: Chinese is the first language of the reports and the platform
DEFAULT: Lang = "zh"

AREAS: dict[str, dict[str, tuple[str, str]]] = {
    "report": report.STRINGS,
    "platform": platform.STRINGS,
    "documents": documents.STRINGS,
    "composite": composite.STRINGS,
    "reading": reading.STRINGS,
    "intake": intake.STRINGS,
}


def _merge(areas: Mapping[str, Mapping[str, tuple[str, str]]]) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    where: dict[str, str] = {}
    for area, strings in areas.items():
        for key, pair in strings.items():
            if key in table:
                raise ValueError(f"i18n: key {key!r} is defined in area {where[key]!r} and "
                                 f"again in {area!r}")
            table[key] = pair
            where[key] = area
    return table


_TABLE = _merge(AREAS)


def pick(lang: str | None) -> Lang | None:
    """``lang`` when it is one of :data:`LANGS`, else ``None`` (a request's ``?lang=``)."""
    return next((code for code in LANGS if code == lang), None)


def t(key: str, lang: Lang, **args: object) -> str:
    """The text of ``key`` in ``lang``, filled with ``args`` when there are any.

    A missing key is a programming error and raises KeyError.
    """
    text = _TABLE[key][LANGS.index(lang)]
    return text.format(**args) if args else text


def code_label(group: str, code: str, lang: Lang) -> str:
    """The label of a code from data (``status``, ``verdict``, ``flag``, ``unit``…), or the code."""
    pair = _TABLE.get(f"{group}.{code}")
    return code if pair is None else pair[LANGS.index(lang)]


def has(key: str) -> bool:
    return key in _TABLE


def entry(key: str) -> tuple[str, str]:
    """(zh, en) of ``key``."""
    return _TABLE[key]


def all_keys() -> list[str]:
    """Every key of the table (for the tests that check both languages are filled)."""
    return list(_TABLE)


NoteGroup = Literal["verdict_note", "projection_note", "alternative_reason", "projection_model"]


def note_text(group: NoteGroup, parts: Iterable[tuple[str, Mapping[str, object]]], lang: Lang,
              fallback: str | None) -> str | None:
    """A structured note (code and arguments for each part) in ``lang``.

    ``fallback`` (the engine's English text) is returned when there are no parts (a result
    written before the notes had codes) or when a part's code or arguments are unknown here,
    so that a note is never lost, only left untranslated.
    """
    texts = []
    for code, args in parts:
        pair = _TABLE.get(f"{group}.{code}")
        if pair is None:
            return fallback
        try:
            texts.append(pair[LANGS.index(lang)].format(**args))
        except (KeyError, IndexError, ValueError):
            return fallback
    if not texts:
        return fallback
    return t("note_sep", lang).join(texts)


def derivation_templates(lang: Lang) -> tuple[dict[str, str], dict[str, str]]:
    """The derivation templates in ``lang``: (full, short), each code -> template."""
    i = LANGS.index(lang)
    return ({k.removeprefix("derivation."): v[i] for k, v in _TABLE.items()
             if k.startswith("derivation.")},
            {k.removeprefix("derivation_short."): v[i] for k, v in _TABLE.items()
             if k.startswith("derivation_short.")})


def derivation_codes() -> tuple[set[str], set[str]]:
    """The codes this table has templates for: (full, short)."""
    full, short = derivation_templates(DEFAULT)
    return set(full), set(short)


__all__ = ["AREAS", "DEFAULT", "LANGS", "Lang", "all_keys", "code_label", "derivation_codes",
           "derivation_templates", "entry", "has", "note_text", "pick", "t"]
