"""What every request passes before a view sees it, and every answer on its way out.

:class:`Guard` is the app's one middleware, a plain ASGI one (a ``BaseHTTPMiddleware`` is
skipped by an exception escaping a view, so its headers were missing from every 500):

* ``HEAD`` is answered as ``GET``, without the body.
* The body is limited before anything reads it: a ``Content-Length`` above
  ``Settings.max_body_bytes`` is answered 413 at once; a body sent without one is counted as
  it arrives and cut off with 413 at the limit. Nothing above the limit is spooled.
* Credentials come before bodies. An unsafe request with ``Authorization`` has its token
  checked (401) before its body is read. Any other unsafe request needs its CSRF token: from
  ``X-CSRF-Token``, or from the ``csrf_token`` field within the first
  :data:`CSRF_SCAN_BYTES` of a form (the site's forms put it first); without a valid one it
  is answered 403 having read at most that much. What was read is handed on to the view.
* Every answer carries the security headers; private ones (any request with a session or an
  API token, the account, administration and submission pages, anything that sets a cookie)
  carry ``Cache-Control: no-store``.
* An exception escaping a view is logged and answered 500 with the same headers, so the
  server never sees it (and keeps the connection).
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Callable
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import i18n
from .security import (
    CSRF_COOKIE,
    LANG_COOKIE,
    SAFE_METHODS,
    SESSION_COOKIE,
    csrf_token,
    new_cookie_value,
    resolve_actor,
    secure,
)

log = logging.getLogger("mic2025.web")

#: how much of a form is read looking for its csrf_token field before refusing it
CSRF_SCAN_BYTES = 64 * 1024

#: every response's security headers: scripts only from this site (ECharts is vendored)
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' "
                               "'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
                               "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

#: pages and endpoints that are about one account, whoever asks
PRIVATE_PATHS = ("/account", "/admin", "/submissions", "/login", "/logout", "/api/submissions",
                 "/api/users", "/api/audit", "/api/owners")

#: ``error_page(request, status, title_key, message, headers)``: the app's error answer
ErrorPage = Callable[[Request, int, str, str, dict[str, str] | None], Response]


class BodyTooLarge(HTTPException):
    """The request body passed the limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")
        self.limit = limit


class Guard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, error_page: ErrorPage) -> None:
        self.app = app
        self.limit = max_body_bytes
        self.error_page = error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        request = Request(scope)
        fresh = None if request.cookies.get(CSRF_COOKIE) or not _needs_csrf_cookie(request) \
            else new_cookie_value()
        if fresh is not None:
            state["csrf_cookie"] = fresh
        asked = i18n.pick(request.query_params.get("lang"))
        state["lang"] = asked or i18n.pick(request.cookies.get(LANG_COOKIE)) or i18n.DEFAULT
        cookies = _cookies(request, fresh, asked)
        private = _private(request)
        started = False

        async def answer(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                for value in cookies:
                    headers.append("set-cookie", value)
                if private or "set-cookie" in headers:
                    headers["Cache-Control"] = "no-store"
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        try:
            refusal = None
            if _declared_length(request) > self.limit:
                refusal = await self._page(request, 413, "too_large",
                                           _too_large(request, self.limit))
            counted = _Counted(receive, self.limit)
            body: Receive = counted
            if refusal is None and scope["method"] not in SAFE_METHODS:
                refusal, body = await self._credentials(request, counted)
            if refusal is not None:
                await refusal(scope, body, answer)
                return
            await self.app(scope, body, answer)
        except Exception as exc:
            if started:  # the answer is half sent: only the server can end it (it logs)
                raise
            if isinstance(exc, BodyTooLarge):
                response = await self._page(request, 413, "too_large", _too_large(
                    request, self.limit))
            else:
                log.exception("%s %s failed", scope["method"], request.url.path)
                response = await self._page(request, 500, "server_error", i18n.t(
                    "server_error_text", _lang(request)))
            await response(scope, receive, answer)

    async def _credentials(self, request: Request, receive: Receive
                           ) -> tuple[Response | None, Receive]:
        """(an answer refusing the request, or None; what the app reads the body from)."""
        if request.headers.get("authorization") is not None:
            try:
                await run_in_threadpool(resolve_actor, request)
            except HTTPException as exc:
                headers = dict(exc.headers) if exc.headers else None
                return await self._page(request, exc.status_code, "forbidden", str(exc.detail),
                                        headers), receive
            return None, receive
        sent = request.headers.get("x-csrf-token")
        read: list[Message] = []
        if not sent and request.cookies.get(CSRF_COOKIE):
            sent, read = await _scan_form(request.headers.get("content-type", ""), receive)
        if not sent or not request.cookies.get(CSRF_COOKIE) or not _valid(request, sent):
            return await self._page(request, 403, "csrf", i18n.t(
                "csrf_failed", _lang(request))), receive
        request.state.csrf_ok = True
        return None, _Replay(read, receive)

    async def _page(self, request: Request, status: int, title_key: str, message: str,
                    headers: dict[str, str] | None = None) -> Response:
        try:
            return await run_in_threadpool(self.error_page, request, status, title_key,
                                           message, headers)
        except Exception:  # the error page itself failed (say, the database is down)
            log.exception("the error page for %s failed", status)
            return PlainTextResponse(message, status_code=status, headers=headers)


def _lang(request: Request) -> i18n.Lang:
    return getattr(request.state, "lang", i18n.DEFAULT)


def _declared_length(request: Request) -> int:
    length = request.headers.get("content-length", "")
    return int(length) if length.isdigit() else 0


def _too_large(request: Request, limit: int) -> str:
    return i18n.t("too_large_text", _lang(request)).format(limit=limit)


def _needs_csrf_cookie(request: Request) -> bool:
    """Whether a first visit gets a CSRF cookie: the pages (their forms carry a token made
    from it), not the API (written with a token in the Authorization header, or from a page
    that set the cookie already) nor the static files. An anonymous API answer without a
    Set-Cookie can be kept by caches, and costs no random token."""
    return not request.url.path.startswith(("/api/", "/static/"))


def _private(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/static/"):
        return False
    return (SESSION_COOKIE in request.cookies or "authorization" in request.headers
            or path.startswith(PRIVATE_PATHS))


def _cookies(request: Request, fresh: str | None, asked: str | None) -> list[str]:
    """The Set-Cookie values: a first visit's CSRF cookie, a language asked for."""
    out = Response()
    if fresh is not None:
        out.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="lax",
                       secure=secure(request), path="/")
    if asked is not None and asked != request.cookies.get(LANG_COOKIE):
        out.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax",
                       secure=secure(request), path="/")
    return [v.decode("latin-1") for k, v in out.raw_headers if k == b"set-cookie"]


def _valid(request: Request, sent: str) -> bool:
    expected = csrf_token(request)
    return hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode("ascii"))


class _Counted:
    """The body as it arrives, cut off with :class:`BodyTooLarge` past the limit."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.total = 0

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "http.request":
            self.total += len(message.get("body", b""))
            if self.total > self.limit:
                raise BodyTooLarge(self.limit)
        return message


class _Replay:
    """The messages already read, then the rest of the body."""

    def __init__(self, read: list[Message], receive: Receive) -> None:
        self.read = list(read)
        self.receive = receive

    async def __call__(self) -> Message:
        if self.read:
            return self.read.pop(0)
        return await self.receive()


_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_CSRF_PART = re.compile(rb'(?:^|[;\s])name="?csrf_token"?(?:$|[;\s])', re.IGNORECASE | re.M)


async def _scan_form(content_type: str, receive: Receive) -> tuple[str | None, list[Message]]:
    """(the form's csrf_token, or None; the messages read), reading at most about
    :data:`CSRF_SCAN_BYTES`."""
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None, []
    boundary = _BOUNDARY.search(content_type)
    read: list[Message] = []
    data = b""
    more = True
    while more and len(data) < CSRF_SCAN_BYTES:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        data += message.get("body", b"")
        more = bool(message.get("more_body", False))
        if kind == "multipart/form-data":
            token = _multipart_field(data, boundary.group(1) if boundary else "")
        else:
            token = _urlencoded_field(data, complete=not more)
        if token:
            return token, read
    return None, read


def _urlencoded_field(data: bytes, *, complete: bool) -> str | None:
    text = data.decode("latin-1")
    if not complete:  # only the fields known to be whole
        text = text.rpartition("&")[0]
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key == "csrf_token":
            return value
    return None


def _multipart_field(data: bytes, boundary: str) -> str | None:
    if not boundary:
        return None
    parts = data.split(b"--" + boundary.encode("latin-1"))
    for part in parts[1:-1]:  # those followed by the next delimiter are whole
        headers, _, value = part.partition(b"\r\n\r\n")
        if _CSRF_PART.search(headers) and b"filename" not in headers:
            return value.removesuffix(b"\r\n").decode("latin-1")
    return None
