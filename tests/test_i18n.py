"""The one translation table: every key in both languages, defined once, and a label for every
code the evaluation, the follow-up machinery and the platform can show; Chinese documents
without English left in them."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from datetime import date
from typing import get_args

import pytest

from english_runs import english_runs
from mic2025 import i18n
from mic2025.evaluate.methods import METHODS, NOTE_CODES
from mic2025.evaluate.model import (
    ALTERNATIVE_REASON_CODES,
    DERIVATION_CODES,
    DERIVATION_SHORT_CODES,
    PROJECTION_MODEL_CODES,
    PROJECTION_NOTE_CODES,
    VERDICT_NOTE_CODES,
)
from mic2025.followup.adjust import Action, Evidence
from mic2025.followup.midterm import Inputs, gather
from mic2025.followup.warn import Severity
from mic2025.plan import load_plan
from mic2025.report import labels
from mic2025.report.bulletin import build_bulletin
from mic2025.report.midterm import build_midterm
from mic2025.report.official import Figure, OfficialDocument, Para, Section, Table
from mic2025.store import open_store
from mic2025.store.followup import SUPERVISION_STATUSES

# --------------------------------------------------------------------------- the table


#: plan values written with the sign in words in Chinese and as a signed number in English
SIGNED = ("doc.plan.relative_", "doc.plan.pp_")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_key_has_both_languages_and_the_same_placeholders() -> None:
    for key in i18n.all_keys():
        zh, en = i18n.entry(key)
        # a separator may be empty or a space in one language
        assert (zh.strip() and en.strip()) or key == "sentence_sep", key
        if key.startswith(SIGNED):
            # Chinese words the sign (下降18%), English keeps it (−18%): the same arguments
            assert _fields(zh) | {"v"} == _fields(en) | {"n"}, key
        else:
            assert _fields(zh) == _fields(en), key


def test_no_key_is_defined_twice() -> None:
    seen: dict[str, str] = {}
    for area, strings in i18n.AREAS.items():
        for key in strings:
            assert key not in seen, f"{key} in {seen.get(key)} and {area}"
            seen[key] = area
    assert len(i18n.all_keys()) == len(seen)


def test_a_key_defined_twice_is_refused_naming_both_areas() -> None:
    with pytest.raises(ValueError, match=r"'status\.achieved'.*'report'.*'platform'"):
        i18n._merge({"report": {"status.achieved": ("a", "b")},
                     "platform": {"status.achieved": ("c", "d")}})


def test_lookup_fills_arguments_and_unknown_codes_fall_back() -> None:
    assert i18n.t("doc.col.year_target", "zh", year=2020) == "2020年目标"
    assert i18n.t("doc.col.year_target", "en", year=2020) == "2020 target"
    assert i18n.code_label("status", "mystery", "zh") == "mystery"
    assert i18n.pick("en") == "en" and i18n.pick("fr") is None and i18n.pick(None) is None
    with pytest.raises(KeyError):
        i18n.t("no.such.key", "zh")


# --------------------------------------------------------------------------- codes


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_note_code_has_a_label(lang: i18n.Lang) -> None:
    for code in NOTE_CODES:
        label = i18n.code_label("note", code, lang)
        assert label != code and label.strip(), code


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_method_category_and_status_has_a_label(lang: i18n.Lang) -> None:
    for name, info in METHODS.items():
        for category in info.categories:
            assert labels.category_label(name, category, lang) != category, (name, category)
    for status in labels.STATUS_CODES:
        assert i18n.code_label("status", status, lang) != status
    for verdict in labels.VERDICT_CODES:
        assert i18n.code_label("verdict", verdict, lang) != verdict


@pytest.mark.parametrize(("group", "codes"), [
    ("verdict_note", VERDICT_NOTE_CODES),
    ("projection_note", PROJECTION_NOTE_CODES),
    ("alternative_reason", ALTERNATIVE_REASON_CODES),
    ("projection_model", PROJECTION_MODEL_CODES),
])
def test_every_code_of_the_evaluation_model_has_its_text_and_the_engines_english(
        group: str, codes: dict[str, str]) -> None:
    """The English entry is the engine's own template, so the English report reads as the
    engine's text fields; the Chinese takes the same arguments."""
    for code, template in codes.items():
        zh, en = i18n.entry(f"{group}.{code}")
        assert en == template, code
        assert _fields(zh) == _fields(template), code


def test_every_derivation_code_has_both_templates() -> None:
    full, short = i18n.derivation_codes()
    assert full == set(DERIVATION_CODES) and short == set(DERIVATION_SHORT_CODES)


def test_every_followup_code_has_a_label() -> None:
    for group, codes in (("milestone_status", SUPERVISION_STATUSES),
                         ("evidence", get_args(Evidence)), ("action", get_args(Action)),
                         ("severity", get_args(Severity))):
        for code in codes:
            assert i18n.has(f"{group}.{code}"), (group, code)


# --------------------------------------------------------------------------- documents


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory,
            sqlite_copy: Callable[..., str]) -> Iterator[tuple[Inputs, object]]:
    # a store holding the bundled evidence, as the first command leaves it
    store = open_store(sqlite_copy(tmp_path_factory.mktemp("i18n") / "store.sqlite"))
    plan = load_plan()
    yield gather(plan, store, evaluated_on=date(2026, 11, 26)), store
    store.close()


def _document_text(doc: OfficialDocument) -> list[str]:
    texts = [doc.title, doc.number, doc.issuer, doc.date_line, doc.disclaimer]

    def walk(b: object) -> None:
        if isinstance(b, Section):
            texts.append(b.title)
            for x in b.blocks:
                walk(x)
        elif isinstance(b, Para):
            texts.extend([b.lead, b.text])
        elif isinstance(b, Table):
            texts.extend([b.caption, *b.header, *(c for r in b.rows for c in r), *b.sources,
                          b.note])
        elif isinstance(b, Figure):
            texts.extend([b.caption, *b.sources])

    for b in (*doc.lead, *doc.sections):
        walk(b)
    return [x for x in texts if x]


def _sources(inp: Inputs) -> set[str]:
    """Every source as the evidence names it: quoted as published, in whatever language."""
    return {p.source for m in inp.evaluation.results for tr in m.targets
            for p in (*tr.series, *tr.alternatives) if p.source}


def test_the_chinese_midterm_document_has_no_english_left(
        bundled: tuple[Inputs, object]) -> None:
    inp, _ = bundled
    lines = _document_text(build_midterm(inp, year=2020, lang="zh"))
    assert english_runs(lines, _sources(inp)) == []
    # the measure sees English where there is some
    en = _document_text(build_midterm(inp, year=2020, lang="en"))
    assert english_runs(en, _sources(inp))


def test_the_chinese_bulletin_writes_units_in_words(bundled: tuple[Inputs, object]) -> None:
    inp, store = bundled
    lines = _document_text(build_bulletin(inp, store, period=2024, lang="zh"))
    # the bulletin also lists context series: their publications are quoted as published too
    # (IFR's 《World Robotics》)
    published = {o.citation.publication for o in store.observations()  # type: ignore[attr-defined]
                 if o.citation.publication}
    assert english_runs(lines, _sources(inp) | published) == []
    assert not any(code in line for line in lines
                   for code in ("pct_of_us", "m3/10k_yuan", "100m_t"))
    assert any("立方米／万元" in line for line in lines)
    assert any("亿吨" in line for line in lines)


#: an ideograph or a full-width mark; two of them never have a space between in written
#: Chinese, which is what a YAML line break folded inside a Chinese text leaves
_HAN = "[\u3000-\u303f\u3400-\u9fff\uff00-\uffef\u2018-\u201d]"
_SPACED = re.compile(f"{_HAN} +{_HAN}")
#: where a text is copied as published (a title's space is the publisher's): left alone
_VERBATIM = {"quote", "publication", "title"}


def _chinese_texts(node: object, path: tuple[object, ...] = ()) -> Iterator[
        tuple[tuple[object, ...], str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in _VERBATIM:
                yield from _chinese_texts(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _chinese_texts(value, (*path, i))
    elif isinstance(node, str) and path and path[-1] == "zh":
        yield path, node


def test_bundled_chinese_texts_have_no_space_between_characters() -> None:
    """Plan, follow-up and evidence files: a Chinese text has no space between two Chinese
    characters or marks (a title in 《》 keeps its own)."""
    from importlib import resources

    import yaml

    root = resources.files("mic2025")
    files = [p for folder in ("plans", "plans/examples", "data/evidence")
             for p in (root / folder).iterdir() if p.name.endswith(".yaml")]
    assert len(files) >= 8
    found = []
    for file in files:
        for path, text in _chinese_texts(yaml.safe_load(file.read_text(encoding="utf-8"))):
            for match in _SPACED.finditer(re.sub("《[^》]*》", "《》", text)):
                found.append(f"{file.name} {'/'.join(map(str, path))}: …{match.group()}…")
    assert not found, "\n".join(found)
