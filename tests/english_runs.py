"""How the tests find English left in a Chinese page or document.

A leak is a run of two or more English words in a row ("is not yet published"), once the text
a Chinese reader is meant to see in Latin letters is taken out: URLs and paths, codes (anything
with a digit, ``_``, ``.``, ``:`` or ``/`` in it), the method registry's titles and published
references, the font names of the typesetting note, and the texts each test passes as quoted
(sources as they were published, user names). A single Latin word (a product name such as Word,
Excel or ECharts, an abbreviation such as CSV) is not a run. Imported by the tests; holds no test
itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from mic2025.evaluate.methods import METHODS

#: Latin text that is a name, not an untranslated sentence
NAMES = ("Noto Serif SC", "Noto Sans SC", "Noto Serif CJK SC", "Noto Sans CJK SC",
         "mic2025 data export", "SDMX-CSV")

_URL = re.compile(r"https?://\S+?(?=[）)；，、\s]|$)")
_CODE = re.compile(r"[\w.:/%-]*[\d_.:/][\w.:/%-]*")
_RUN = re.compile(r"[A-Za-z]{2,}(?:[ -]+[A-Za-z]{2,})+")


def _allowed(quoted: Iterable[str]) -> list[str]:
    texts = [*NAMES, *quoted]
    for info in METHODS.values():
        texts += [info.title.zh, info.title.en, info.reference, info.publisher, info.document]
    # the longest first, so that a name inside a longer quoted text goes with it
    return sorted({t for t in texts if t}, key=len, reverse=True)


def english_runs(lines: Iterable[str], quoted: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(run, line) for every run of English words in ``lines`` outside the allowed texts."""
    allowed = _allowed(quoted)
    out = []
    for line in lines:
        text = line
        for name in allowed:
            text = text.replace(name, " ")
        text = _URL.sub(" ", text)
        text = _CODE.sub(" ", text)
        out += [(run, line) for run in _RUN.findall(text)]
    return out


def page_lines(page: str) -> list[str]:
    """A page's text as a reader sees it: no script, style, chart or code; tags and entities
    gone."""
    text = re.sub(r"<(script|style|svg|code)\b.*?</\1>", "", page, flags=re.S | re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "\n", text))
    return [line.strip() for line in text.splitlines() if line.strip()]
