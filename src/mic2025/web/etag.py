"""Entity tags of the answers derived from the store, and ``304 Not Modified``.

What the overview, an indicator page and the evaluations and observations API show depends on
the plan (id and version), the latest vintage of the store, the day (an evaluation's "as of
today"), the software version, the language and the query; an entity tag made of these is
the same exactly when the answer would be, so a reader that sends it back in
``If-None-Match`` gets ``304`` without the page being evaluated or rendered again. A new
vintage (an approval, an import) changes the tag.

Pages carry the reader's CSRF token, so a page's tag includes it too, and a page gets a tag
only when nobody is logged in: a signed-in reader's page shows what their roles allow (say the
follow-up reviews), which no vintage stamps, so it is always sent whole (and ``no-store``, by
:mod:`.middleware`). The API answers read here are the same for every reader.

Tags are weak (``W/``): two answers with one tag mean the same, which is what is promised (a
page's relative times may differ by the minute).

A public page is also kept whole (:func:`cached_page`): its HTML is made once per plan,
vintage, day, language, path and query, and every anonymous reader who asks is sent those
bytes. A public page shows nobody's own things (no name, no inbox, no CSRF token: its forms
are the signed-in reader's), and a page found to hold the reader's CSRF token is not kept
but made for each reader; a signed-in reader's page is always made for them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response

from .. import __version__
from .data import Platform
from .security import SESSION_COOKIE, csrf_token

#: an answer with a tag is revalidated before every use; a page (it holds the reader's CSRF
#: token) only by the reader's own browser, never a shared cache
PAGE_CACHE_CONTROL = "private, no-cache"
API_CACHE_CONTROL = "no-cache"


def signed_in(request: Request) -> bool:
    return SESSION_COOKIE in request.cookies or "authorization" in request.headers


def query_of(request: Request) -> str:
    """The query, its parameters in one order (``?a=1&b=2`` is ``?b=2&a=1``)."""
    return "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))


def tag_of(request: Request, platform: Platform, *, page: bool,
           state: tuple[object, ...] | None = None) -> str | None:
    """The answer's entity tag, or None for one that gets none (a signed-in reader's page);
    ``state`` is :meth:`Platform.state_key` when the caller has read it already."""
    if page and signed_in(request):
        return None
    lang = getattr(request.state, "lang", "")
    query = query_of(request)
    if state is None:
        state = platform.state_key()
    parts = [__version__, *map(str, state), str(lang), request.url.path, query]
    if page:
        parts.append(csrf_token(request))
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
    return f'W/"{digest}"'


def matches(request: Request, tag: str) -> bool:
    """Whether ``If-None-Match`` names ``tag`` (compared weakly, as RFC 9110 asks for GET)."""
    sent = request.headers.get("if-none-match")
    if not sent:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in sent.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def not_modified(request: Request, platform: Platform, *, page: bool,
                 state: tuple[object, ...] | None = None) -> tuple[str | None, Response | None]:
    """(the answer's tag, or None; a ``304`` to send instead of the answer, or None)."""
    tag = tag_of(request, platform, page=page, state=state)
    if tag is not None and matches(request, tag):
        return tag, Response(status_code=304, headers=_headers(tag, page))
    return tag, None


def stamp(response: Response, tag: str | None, *, page: bool) -> Response:
    """``response`` with its tag (and the revalidation it asks for), if it has one."""
    if tag is not None and response.status_code == 200:
        response.headers.update(_headers(tag, page))
    return response


#: what is kept of a page: its body and headers, or None for one made for each reader
_Kept = tuple[bytes, list[tuple[bytes, bytes]]] | None


def cached_page(request: Request, platform: Platform, make: Callable[[], Response],
                state: tuple[object, ...] | None = None) -> Response:
    """The page ``make()`` renders, tagged; ``304`` when the reader has it already, and for
    an anonymous reader made once per state, language, path and query (and kept whole).

    ``state`` is what the page rests on (default :meth:`Platform.state_key`: every vintage);
    a page of one area's figures passes :meth:`Platform.area_state_key`, so that it is kept,
    and its tag stays, while other areas' figures arrive."""
    if state is None:
        state = platform.state_key()
    tag, unchanged = not_modified(request, platform, page=True, state=state)
    if unchanged is not None:
        return unchanged
    if tag is None:  # a signed-in reader: what the page shows depends on who they are
        return make()
    token = csrf_token(request).encode("ascii")
    mine: list[Response] = []

    def freeze() -> _Kept:
        made = make()
        mine.append(made)
        body = bytes(made.body)
        if made.status_code != 200 or token in body:
            return None  # an answer of its own for each reader (never one reader's token)
        return body, [(k, v) for k, v in made.raw_headers if k != b"content-length"]

    lang = str(getattr(request.state, "lang", ""))
    kept = platform.answers.get(("page", request.url.path, query_of(request), lang, *state),
                                freeze)
    if kept is None:
        return stamp(mine[0] if mine else make(), tag, page=True)
    body, headers = kept
    answer = Response(body)
    answer.raw_headers = [*headers, (b"content-length", str(len(body)).encode())]
    return stamp(answer, tag, page=True)


def _headers(tag: str, page: bool) -> dict[str, str]:
    return {"ETag": tag, "Cache-Control": PAGE_CACHE_CONTROL if page else API_CACHE_CONTROL}
