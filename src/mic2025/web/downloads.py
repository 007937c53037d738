"""The ``Content-Disposition`` header of every download the platform answers.

A file keeps the name its uploader gave it — often Chinese (``广东省2024年报送.csv``), now and
then with an emoji or a double quote — but an HTTP header is Latin-1, and a raw quote or line
break in it ends the value or starts a header of the sender's choosing. So every download
names its file twice (RFC 6266): ``filename*=UTF-8''…`` with the name percent-encoded (RFC
5987), which current browsers use, and an ASCII ``filename="…"`` for the rest, with anything
outside printable ASCII, quotes and backslashes replaced by ``_``.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

#: RFC 5987 attr-char besides letters and digits: these need no percent-encoding
_ATTR_CHARS = "!#$&+-.^_`|~"
FALLBACK = "download"


def _without_controls(name: str) -> str:
    return "".join("_" if unicodedata.category(c) == "Cc" else c for c in name)


def ascii_fallback(name: str) -> str:
    """``name`` as a quoted-string-safe ASCII name (``_`` for what cannot be said)."""
    out = "".join(c if " " <= c <= "~" and c not in '"\\' else "_"
                  for c in _without_controls(name))
    return out or FALLBACK


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """The header value that offers ``filename`` for saving, in UTF-8 with an ASCII fallback."""
    name = _without_controls(filename).strip() or FALLBACK
    encoded = quote(name, safe=_ATTR_CHARS, encoding="utf-8")
    return f"{disposition}; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"


def attachment(filename: str) -> dict[str, str]:
    """Response headers offering ``filename`` for saving."""
    return {"Content-Disposition": content_disposition(filename)}
