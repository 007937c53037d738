"""A validation problem in the reader's language, naming indicators by name.

The checks write each problem in English for the command line (``Problem.message``); the
common ones also carry a key and arguments (``Problem.key``, ``Problem.args``, texts
``ingest.*`` in :mod:`mic2025.i18n`). :func:`localise` turns a problem into its Chinese and
English text for the platform: a keyed problem from its key, any other one from its English
message with the indicator's code replaced by its name; either way led by the name of the
row's indicator when the row names a known one ("数字化研发设计工具普及率：120% 超出可能范围
（0–100）"). A message without a key stays English in the Chinese interface too: the rarer
checks (a spreadsheet's formula never calculated, a zip bomb, a misplaced SDMX sheet) are
not translated yet.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .. import reference, units
from ..errors import Problem, UnknownCodeError
from ..i18n import LANGS, Lang, has, t
from ..plan import Metric


def localise(problem: Problem, series: Mapping[str, Metric]) -> dict[str, str]:
    """``{"zh": …, "en": …}``: the problem said in each language (see the module's text)."""
    args = dict(problem.args)
    code = args.get("indicator", "")
    metric = series.get(code)
    out: dict[str, str] = {}
    for lang in LANGS:
        if problem.key and has(problem.key):
            text = _keyed(problem.key, args, lang, series)
        else:
            text = _named(problem.message, series, lang)
        if metric is not None and problem.key != "ingest.indicator_unknown":
            text = t("ingest.with_name", lang, name=metric.name.get(lang), text=text)
        out[lang] = text
    return out


def unit_words(unit: str, lang: Lang) -> str:
    return units.words(unit, lang)


def _area(code: str, lang: Lang) -> str:
    try:
        return reference.area(code).name(lang)
    except UnknownCodeError:
        return code


def _name(code: str, series: Mapping[str, Metric], lang: Lang) -> str:
    metric = series.get(code)
    return code if metric is None else f"{metric.name.get(lang)}（{code}）" if lang == "zh" \
        else f"{metric.name.get(lang)} ({code})"


_ROW = re.compile(r"(?:sheet '([^']*)' )?row (\d+)")
_MORE = re.compile(r" and ([\d,]+) more rows")


def _rows_zh(text: str) -> str:
    text = _MORE.sub(lambda m: f"等另 {m.group(1)} 行", text)
    return _ROW.sub(lambda m: (f"表“{m.group(1)}”" if m.group(1) else "") + f"第 {m.group(2)} 行",
                    text).replace(", ", "、")


def _keyed(key: str, args: dict[str, str], lang: Lang, series: Mapping[str, Metric]) -> str:
    if key == "ingest.indicator_unknown":
        near = [n for n in args.get("near", "").split(",") if n]
        text = t(key, lang, code=args.get("code", ""))
        if near:
            names = t("ingest.or", lang).join(_name(n, series, lang) for n in near)
            text += ("；" if lang == "zh" else "; ") + t("ingest.did_you_mean", lang, names=names)
        return text
    if key == "ingest.unit_mismatch":
        accepted = [a for a in args.get("accepted", "").split(",") if a]
        return t(key, lang, unit=unit_words(args.get("unit", ""), lang),
                 accepted=t("ingest.or", lang).join(unit_words(a, lang) for a in accepted))
    if key == "ingest.out_of_range":
        unit = args.get("unit", "")
        words = unit_words(unit, lang)
        value = f"{args.get('number', '')}{words}" if unit == "%" or lang == "zh" \
            else f"{args.get('number', '')} {words}"
        high = args.get("high", "")
        canon = args.get("canon", "")
        if canon and canon != "%":
            high = f"{high} {unit_words(canon, lang)}"
        return t(key, lang, value=value, low=args.get("low", ""), high=high)
    if key == "ingest.other_area":
        return t(key, lang, area=_area(args.get("area", ""), lang),
                 other=_area(args.get("other", ""), lang))
    if key == "ingest.duplicate":
        others = args.get("others", "")
        return t(key, lang, period=args.get("period", ""),
                 others=_rows_zh(others) if lang == "zh" else others)
    if key == "ingest.encoding_assumed":
        encoding = args.get("encoding", "")
        return t(key, lang, encoding=encoding.upper(),
                 why=t(f"ingest.encoding_why.{encoding}", lang))
    return t(key, lang, **args) if _fits(key, args) else t(key, lang, **_blank(key))


def _fits(key: str, args: Mapping[str, str]) -> bool:
    return all(f in args for f in _fields(key))


def _blank(key: str) -> dict[str, str]:
    return dict.fromkeys(_fields(key), "")


def _fields(key: str) -> set[str]:
    import string

    from ..i18n import entry

    return {f for text in entry(key) for _, f, _, _ in string.Formatter().parse(text) if f}


def _named(message: str, series: Mapping[str, Metric], lang: Lang) -> str:
    """An English message with every plan indicator's code in it replaced by its name."""
    def name(m: re.Match[str]) -> str:
        metric = series.get(m.group())
        return m.group() if metric is None else metric.name.get(lang)

    return _CODE.sub(name, message)


_CODE = re.compile(r"\b[a-z][a-z0-9_]*_[a-z0-9_]+\b")
