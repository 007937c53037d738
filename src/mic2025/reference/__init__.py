"""Official code lists: GB/T 2260 areas and GB/T 4754 industries, bundled as CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..errors import UnknownCodeError, Words

NATIONAL = "000000"


@dataclass(frozen=True)
class Code:
    code: str
    name_zh: str
    name_en: str
    level: str
    parent: str | None = None

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def _read(name: str) -> dict[str, Code]:
    text = (resources.files(__package__) / name).read_text(encoding="utf-8")
    out: dict[str, Code] = {}
    for row in csv.DictReader(text.splitlines()):
        out[row["code"]] = Code(row["code"], row["name_zh"], row["name_en"], row["level"],
                                row.get("parent") or None)
    return out


@cache
def areas() -> dict[str, Code]:
    """GB/T 2260 codes known to mic2025 (national and province level)."""
    return _read("gbt2260_provinces.csv")


@cache
def industries() -> dict[str, Code]:
    """GB/T 4754-2017 sections and divisions of industry (B, C, D)."""
    return _read("gbt4754_2017.csv")


def area(code: str) -> Code:
    c = str(code).strip()
    if c.isdigit() and len(c) == 2:  # a bare province prefix such as "44"
        c = c + "0000"
    try:
        return areas()[c]
    except KeyError:
        raise UnknownCodeError(f"unknown GB/T 2260 area code {code!r}").saying(
            "error.unknown_area", code=code) from None


def area_label(code: str, lang: str) -> str:
    """The area's name in ``lang`` (全国 for ``000000``); a code outside the list as itself,
    so a page never fails on a figure of an area the bundled list lacks."""
    try:
        return area(code).name(lang)
    except UnknownCodeError:
        return code


def area_words(code: str) -> Words:
    """The area's name in both languages (全国 / China (national) for ``000000``), for an
    error said in the reader's language."""
    return Words(area_label(code, "zh"), area_label(code, "en"))


def industry(code: str) -> Code:
    c = str(code).strip().upper()
    if c.startswith("C") and c[1:].isdigit():  # "C36" written with its section letter
        c = c[1:]
    try:
        return industries()[c]
    except KeyError:
        raise UnknownCodeError(f"unknown GB/T 4754-2017 industry code {code!r}") from None


def province_of(code: str) -> str:
    """The province-level code an area belongs to (itself for a province)."""
    return code[:2] + "0000"
