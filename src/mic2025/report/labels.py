"""The names of the evaluation's methods, categories, statuses and verdicts in the reports.

Method names, references and category labels are the method registry's bilingual text
(:data:`mic2025.evaluate.methods.METHODS`); the descriptions of categories, statuses and
verdicts are entries of the one table (:mod:`mic2025.i18n`). An unknown method or category
shows as its code, so that a new one from the evaluator never breaks a report.
"""

from __future__ import annotations

from typing import get_args

from ..evaluate.methods import METHODS
from ..evaluate.model import Status, Verdict
from ..i18n import Lang, has, t

STATUS_CODES: tuple[str, ...] = get_args(Status)
VERDICT_CODES: tuple[str, ...] = get_args(Verdict)
METHOD_CODES: tuple[str, ...] = tuple(METHODS)


def method_name(method: str, lang: Lang) -> str:
    info = METHODS.get(method)
    return info.title.get(lang) if info else method


def method_reference(method: str) -> str:
    """The published reference of a known method, else ``""`` (a reference is not translated)."""
    info = METHODS.get(method)
    return info.reference if info else ""


def category_label(method: str, category: str, lang: Lang) -> str:
    """A method category's label; an unknown method borrows another method's label for the code."""
    info = METHODS.get(method)
    if info and category in info.categories:
        return info.categories[category].get(lang)
    for other in METHODS.values():
        if category in other.categories:
            return other.categories[category].get(lang)
    return category


def category_description(method: str, category: str, lang: Lang) -> str:
    key = f"category_desc.{method}.{category}"
    return t(key, lang) if has(key) else ""


def method_categories(method: str) -> list[str]:
    """The category codes of ``method``, in the method's order."""
    info = METHODS.get(method)
    return list(info.categories) if info else []


__all__ = ["METHOD_CODES", "STATUS_CODES", "VERDICT_CODES", "category_description",
           "category_label", "method_categories", "method_name", "method_reference"]
