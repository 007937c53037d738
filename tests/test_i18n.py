"""Every code the engine can emit has a label in both languages."""

from __future__ import annotations

import pytest

from mic2025.evaluate.methods import METHODS, NOTE_CODES
from mic2025.report import i18n


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_note_code_has_a_label(lang: i18n.Lang) -> None:
    for code in NOTE_CODES:
        label = i18n.code_label("note", code, lang)
        assert label != code and label.strip(), code


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_method_category_and_status_has_a_label(lang: i18n.Lang) -> None:
    for name, info in METHODS.items():
        for category in info.categories:
            assert i18n.category_label(name, category, lang) != category, (name, category)
    for status in i18n.STATUS_CODES:
        assert i18n.code_label("status", status, lang) != status
    for verdict in i18n.VERDICT_CODES:
        assert i18n.code_label("verdict", verdict, lang) != verdict
