"""Who is asking, and whether a form really came from our own page.

Authentication
    A browser holds a session cookie (``m25_session``: HttpOnly, SameSite=Lax, Secure on
    https); a machine sends ``Authorization: Bearer <token>``. A bad or revoked token is a
    401; no credentials at all is the public.
CSRF
    Every unsafe request (POST…) that is not token-authenticated must carry a token, in the
    form field ``csrf_token`` or the header ``X-CSRF-Token``: an HMAC, under the app's
    secret, of the browser's ``m25_csrf`` cookie and of its session. A page from another
    site can neither read the cookie nor compute the HMAC. A missing or wrong token is a
    403. Token-authenticated requests need none: a bearer token is never sent ambiently.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ..errors import Mic2025Error
from ..permissions import PUBLIC, Actor
from ..services import accounts

SESSION_COOKIE = "m25_session"
CSRF_COOKIE = "m25_csrf"
LANG_COOKIE = "m25_lang"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class CsrfFailed(Mic2025Error):
    """The request's CSRF token is missing or wrong (answered 403)."""


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def csrf_cookie(request: Request) -> str:
    """The browser's CSRF cookie (set by the middleware on its first visit)."""
    return str(getattr(request.state, "csrf_cookie", "") or request.cookies.get(CSRF_COOKIE, ""))


def csrf_token(request: Request, session_token: str | None = None) -> str:
    secret: str = request.app.state.settings.secret
    session = session_token if session_token is not None else request.cookies.get(
        SESSION_COOKIE, "")
    message = f"{csrf_cookie(request)}|{hashlib.sha256(session.encode()).hexdigest()}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "use Authorization: Bearer <token>",
                            headers={"WWW-Authenticate": "Bearer"})
    return token.strip()


def resolve_actor(request: Request) -> Actor:
    """The actor of this request (cached on the request)."""
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    engine = request.app.state.platform.engine
    token = _bearer(request)
    actor: Actor | None
    if token is not None:
        actor = accounts.actor_for_token(engine, token)
        if actor is None:
            raise HTTPException(401, "the API token is unknown, revoked, or its user disabled",
                                headers={"WWW-Authenticate": "Bearer"})
    else:
        session = request.cookies.get(SESSION_COOKIE)
        actor = accounts.actor_for_session(engine, session) if session else None
    request.state.actor = actor or PUBLIC
    return request.state.actor


def current_actor(request: Request) -> Actor:
    """FastAPI dependency: the actor."""
    return resolve_actor(request)


async def csrf_protect(request: Request) -> None:
    """FastAPI dependency on the whole app: refuse unsafe requests without a valid token.

    The token was checked by the middleware (:class:`mic2025.web.middleware.Guard`) before
    the body was read; this refuses anything that did not pass it, and never reads the body.
    """
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("authorization") is not None:
        return
    if not getattr(request.state, "csrf_ok", False):
        raise CsrfFailed()
    await run_in_threadpool(resolve_actor, request)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def secure(request: Request) -> bool:
    setting = request.app.state.settings.secure_cookies
    return bool(setting) if setting is not None else request.url.scheme == "https"
