"""Accounts: add and disable users, make and revoke API tokens, log in and out.

Secrets are never stored. Passwords are argon2id hashes (argon2-cffi's RFC 9106 low-memory
profile); session and API tokens are 256-bit random strings the client keeps, of which the
database holds only the SHA-256 digest, so a copy of the database opens no account.

Throttling: every attempt is recorded — as a failure until its password has been found
right — in a writer transaction, before the password is looked at, and the decision to
look counts the attempts already recorded. So attempts sent in parallel are counted like
attempts sent one after another: at most :data:`MAX_FAILURES` passwords of one username are
looked at within :data:`WINDOW` since its last success; further attempts are refused, right
password or not, until the window has passed.

An address is locked differently, since an office behind one NAT shares one: it is not the
number of failures from it that counts, but the number of *accounts* with failures from it
not followed by a success (:data:`MAX_ACCOUNTS_PER_IP`, the signature of one password tried
on many accounts). Once there are that many, the address may still log in to accounts that
logged in from it within :data:`KNOWN_ADDRESS_FOR` (the colleagues in the office), but not to
others until the window has passed. One person mistyping, or hammering one account, locks
only that account.

Managing users needs ``user:manage``; a token is made or revoked by its owner
(``token:manage``) or a user manager. The first account of an empty store is made by
:func:`create_first_admin` (``mic2025 users add`` with no account to act as).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..permissions import Actor, Forbidden, Grant, Resource, allowed, require
from ..reference import NATIONAL, areas
from ..store import accounts as rows
from ..store.accounts import (
    KNOWN_ADDRESS_FOR,
    MAX_ACCOUNTS_PER_IP,
    MAX_FAILURES,
    WINDOW,
    AccountError,
    UserInfo,
    actor_by_name,
    list_tokens,
    list_users,
    token_owner,
)
from ..store.audit import record
from ..store.db import StoreEngine, Writer, begin_write
from ..store.platform import ROLES

__all__ = ["KNOWN_ADDRESS_FOR", "MAX_ACCOUNTS_PER_IP", "MAX_FAILURES", "WINDOW",
           "AccountError", "UserInfo", "actor_by_name", "list_tokens", "list_users",
           "token_owner"]

SESSION_LIFETIME = timedelta(hours=12)
TOKEN_PREFIX = "m25_"

#: replaced by tests with a cheaper hasher; argon2 parameters travel inside each hash, so
#: hashes made with other parameters still verify
PASSWORD_HASHER = PasswordHasher()
#: per hasher, the hash an unknown user's log-in is checked against; made at the first such
#: log-in rather than at import (a hash costs about 0.1 s, and most commands never log in)
_DUMMY_HASHES: dict[tuple[object, ...], str] = {}


def _dummy_hash() -> str:
    """A hash by the current :data:`PASSWORD_HASHER`, so that a log-in as nobody costs what
    one as a known user does."""
    h = PASSWORD_HASHER
    key = (h.time_cost, h.memory_cost, h.parallelism, h.hash_len, h.salt_len, h.type)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES.clear()  # a replaced hasher's is of no use any more
        _DUMMY_HASHES[key] = PASSWORD_HASHER.hash("not a password of anyone")
    return _DUMMY_HASHES[key]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_BODY_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def parse_grant(text: str) -> Grant:
    """``admin``, ``analyst``, ``evaluator``, ``prov_editor:440000``, ``enterprise:<code>``,
    ``body_editor:miit`` (an editor of a responsible body named in the supervision file).

    ``prov_editor:000000`` and ``prov_approver:000000`` enter and approve the national
    figures (the national plan's own area), and nothing of a province."""
    role, _, scope = text.strip().partition(":")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}").saying(
            "error.unknown_role", role=role, roles=", ".join(ROLES))
    if role in ("prov_editor", "prov_approver"):
        if scope not in areas():
            raise AccountError(f"{role} needs a province code, as in {role}:440000, or "
                               f"{NATIONAL} for the national figures (got {scope or 'none'!r})"
                               ).saying("error.role_needs_area", role=role)
        return Grant(role, area=scope)  # type: ignore[arg-type]
    if role == "enterprise":
        code, _, area = scope.partition("@")
        if not code or len(code) > 18:
            raise AccountError("enterprise needs its code, as in "
                               "enterprise:91440300MA5XXXXXXX@440000 (code@province)"
                               ).saying("error.enterprise_code")
        if area and (area not in areas() or area == NATIONAL):
            raise AccountError(f"enterprise scope names unknown province {area!r}").saying(
                "error.enterprise_area", code=area)
        return Grant("enterprise", area=area, enterprise=code)
    if role == "body_editor":
        if not _BODY_ID.match(scope):
            raise AccountError("body_editor needs the id of a responsible body, as in "
                               f"body_editor:miit (got {scope or 'none'!r})"
                               ).saying("error.body_needs_id")
        return Grant("body_editor", body=scope)
    if scope:
        raise AccountError(f"{role} is national and takes no scope (got {scope!r})").saying(
            "error.national_role_scope", role=role)
    return Grant(role)  # type: ignore[arg-type]


def format_grant(grant: Grant) -> str:
    if grant.role == "enterprise":
        return f"enterprise:{grant.enterprise}" + (f"@{grant.area}" if grant.area else "")
    if grant.role == "body_editor":
        return f"body_editor:{grant.body}"
    return f"{grant.role}:{grant.area}" if grant.area else grant.role


# ------------------------------------------------------------------------------ users


def _checked_new_user(username: str, password: str, grants: Sequence[Grant]) -> str:
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("a username is 1–64 characters without spaces").saying(
            "error.username")
    if len(password) < 8:
        raise AccountError("a password has at least 8 characters").saying(
            "error.password_short")
    if not grants:
        raise AccountError("a user needs at least one role").saying("error.needs_role")
    return username


def create_user(engine: StoreEngine, by: Actor, username: str, password: str,
                grants: Sequence[Grant], *, display_name: str = "", demo: bool = False,
                ip: str = "") -> int:
    """Create a user with its grants (``user:manage``); audited. A taken name is refused."""
    require(by, "user:manage", Resource("user"))
    username = _checked_new_user(username, password, grants)
    hashed = PASSWORD_HASHER.hash(password)
    with begin_write(engine) as conn:
        user_id = rows.insert_user(conn, username=username, display_name=display_name,
                                   password_hash=hashed, demo=demo, grants=grants)
        _audit_new_user(conn, by, username, display_name, demo, grants, ip)
    return user_id


#: the person at the shell of a personal store — a store with no account at all, which no
#: platform serves: its owner writes to it as ``cli`` (see :func:`personal_actor`)
PERSONAL = Actor(id=None, username="cli", grants=(Grant("admin"),), via="cli")


def personal_actor(engine: StoreEngine) -> Actor:
    """Who a writing command acts as when no ``--as`` names an account: on a store with no
    account at all (a personal store, as ``make run`` makes), the person at the shell,
    :data:`PERSONAL`, audited as ``cli``; once the store has any account, nobody — the
    command must name one (refused with :class:`AccountError`). The writing services check
    again inside their transaction (an account may have been added meanwhile)."""
    if rows.list_users(engine):
        raise AccountError("this store has accounts: name the one this command acts as, "
                           "with `mic2025 --as USER …` or MIC2025_ACTOR (see `mic2025 users "
                           "list`)").saying("error.act_as_account")
    return PERSONAL


def create_first_admin(engine: StoreEngine, by: Actor, username: str, password: str, *,
                       display_name: str = "") -> int:
    """Create the first account of an empty store, an administrator; refused once any
    account exists (from then on an account with ``user:manage`` adds users)."""
    username = _checked_new_user(username, password, [Grant("admin")])
    hashed = PASSWORD_HASHER.hash(password)
    with begin_write(engine) as conn:
        if rows.user_count(conn):
            raise Forbidden("the store has accounts already: act as one that may manage users "
                            "(mic2025 --as USER users add …)").saying("error.accounts_exist")
        user_id = rows.insert_user(conn, username=username, display_name=display_name,
                                   password_hash=hashed, demo=False, grants=[Grant("admin")])
        _audit_new_user(conn, by, username, display_name, False, [Grant("admin")], "")
    return user_id


def _audit_new_user(conn: Writer, by: Actor, username: str, display_name: str,
                    demo: bool, grants: Sequence[Grant], ip: str) -> None:
    record(conn, by, "user.create", "user", username, before=None,
           after={"username": username, "display_name": display_name, "demo": demo,
                  "roles": [format_grant(g) for g in grants]}, ip=ip)


def set_disabled(engine: StoreEngine, by: Actor, username: str, disabled: bool = True, *,
                 ip: str = "") -> None:
    """Disable (or enable) a user (``user:manage``).

    Disabling ends the user's sessions and revokes its API tokens (the audit entry says how
    many), so enabling the user again revives none of them: it needs new ones.
    """
    require(by, "user:manage", Resource("user"))
    with begin_write(engine) as conn:
        change = rows.set_user_disabled(conn, username, disabled)
        record(conn, by, "user.disable" if disabled else "user.enable", "user", username,
               before=change["before"], after=change["after"], ip=ip)


# ------------------------------------------------------------------------------ log-in


@dataclass(frozen=True)
class LoginResult:
    actor: Actor | None
    session_token: str | None = None
    throttled: bool = False


def log_in(engine: StoreEngine, username: str, password: str, *, ip: str = "") -> LoginResult:
    """Check a password; on success open a session. Every attempt looked at is recorded."""
    attempt = rows.begin_attempt(engine, username.strip()[:64], ip[:64])
    if attempt is None:
        return LoginResult(None, throttled=True)
    # verify against a dummy hash for unknown users, so timing does not reveal who exists
    ok = _verify(attempt.password_hash or _dummy_hash(), password)
    if not ok or attempt.user_id is None or attempt.disabled:
        return LoginResult(None)
    token = secrets.token_urlsafe(32)

    def rehash(old: str) -> str | None:
        return PASSWORD_HASHER.hash(password) if PASSWORD_HASHER.check_needs_rehash(old) \
            else None

    actor = rows.open_session(engine, attempt, digest(token), SESSION_LIFETIME, rehash)
    return LoginResult(None) if actor is None else LoginResult(actor, token)


def _verify(hashed: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def log_out(engine: StoreEngine, session_token: str) -> None:
    rows.close_session(engine, digest(session_token))


def actor_for_session(engine: StoreEngine, session_token: str) -> Actor | None:
    return rows.actor_for_session(engine, digest(session_token))


def actor_for_token(engine: StoreEngine, token: str) -> Actor | None:
    return rows.actor_for_token(engine, digest(token))


# ------------------------------------------------------------------------------ tokens


def _may_manage_tokens_of(by: Actor, owner: str) -> None:
    if not (allowed(by, "token:manage", Resource("api_token", owner=owner))
            or allowed(by, "user:manage", Resource("user"))):
        raise Forbidden(f"{by.username} may not manage the API tokens of {owner}").saying(
            "error.tokens_of_other", user=by.username, owner=owner)


def create_token(engine: StoreEngine, by: Actor, owner: str, name: str, *, ip: str = "") -> str:
    """A new API token for ``owner``; the token itself is returned once and never stored."""
    _may_manage_tokens_of(by, owner)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    name = name.strip()[:100] or "token"
    with begin_write(engine) as conn:
        token_id = rows.insert_token(conn, owner=owner, name=name, token_digest=digest(token),
                                     prefix=token[:12])
        record(conn, by, "token.create", "api_token", str(token_id), before=None,
               after={"owner": owner, "name": name, "prefix": token[:12]}, ip=ip)
    return token


def revoke_token(engine: StoreEngine, by: Actor, token_id: int, *, ip: str = "") -> None:
    owner = token_owner(engine, token_id)
    if owner is None:
        raise AccountError(f"no token {token_id}").saying("error.no_token", id=token_id)
    _may_manage_tokens_of(by, owner)
    with begin_write(engine) as conn:
        was = rows.revoke_token(conn, token_id)
        record(conn, by, "token.revoke", "api_token", str(token_id),
               before={"revoked": was}, after={"revoked": True}, ip=ip)


# ------------------------------------------------------------------------------ demo

#: the example accounts ``mic2025 serve --demo`` seeds: username, password, grant, label
DEMO_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    ("demo-admin", "demo-admin-pass", "admin", "示例 全国管理员 / Demo national administrator"),
    ("demo-analyst", "demo-analyst-pass", "analyst", "示例 全国分析员 / Demo national analyst"),
    ("demo-gd-editor", "demo-gd-editor-pass", "prov_editor:440000",
     "示例 广东省填报员 / Demo Guangdong editor"),
    ("demo-gd-approver", "demo-gd-approver-pass", "prov_approver:440000",
     "示例 广东省审核员 / Demo Guangdong approver"),
    ("demo-enterprise", "demo-enterprise-pass", "enterprise:91440300DEMO00001X@440000",
     "示例 企业填报员 / Demo enterprise submitter"),
    ("demo-evaluator", "demo-evaluator-pass", "evaluator",
     "示例 第三方评估员 / Demo third-party evaluator"),
    ("demo-miit-editor", "demo-miit-editor-pass", "body_editor:miit",
     "示例 工业和信息化部督查填报员 / Demo MIIT supervision editor"),
    ("demo-national-approver", "demo-national-approver-pass", "national_approver",
     "示例 国家级验收员 / Demo national approver"),
)


def seed_demo(engine: StoreEngine) -> list[tuple[str, str, str]]:
    """Create the example accounts that do not exist yet; returns (user, password, role)."""
    from ..permissions import SYSTEM

    existing = {u.username for u in list_users(engine)}
    made = []
    for username, password, grant, label in DEMO_ACCOUNTS:
        if username not in existing:
            create_user(engine, SYSTEM, username, password, [parse_grant(grant)],
                        display_name=label, demo=True)
        made.append((username, password, grant))
    return made
