"""Accounts: users and their role grants, passwords, sessions, API tokens, log-in throttling.

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
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, and_, exists, func, insert, select, update
from sqlalchemy.orm import aliased

from ..errors import Mic2025Error
from ..reference import NATIONAL, areas
from ..store.db import begin_write
from ..store.platform import (
    ROLES,
    ApiTokenRow,
    LoginAttemptRow,
    RoleGrantRow,
    SessionRow,
    UserRow,
)
from . import audit
from .permissions import Actor, Grant

MAX_FAILURES = 5
MAX_ACCOUNTS_PER_IP = 10
WINDOW = timedelta(minutes=15)
KNOWN_ADDRESS_FOR = timedelta(days=30)
SESSION_LIFETIME = timedelta(hours=12)
TOKEN_PREFIX = "m25_"

#: replaced by tests with a cheaper hasher; argon2 parameters travel inside each hash, so
#: hashes made with other parameters still verify
PASSWORD_HASHER = PasswordHasher()
_DUMMY_HASH = PASSWORD_HASHER.hash("not a password of anyone")


class AccountError(Mic2025Error):
    """A user, grant or token request that cannot be carried out (unknown user, bad role)."""


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    display_name: str
    disabled: bool
    demo: bool
    created_at: datetime
    grants: tuple[Grant, ...]


def now() -> datetime:
    return datetime.now(UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


_BODY_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def parse_grant(text: str) -> Grant:
    """``admin``, ``analyst``, ``evaluator``, ``prov_editor:440000``, ``enterprise:<code>``,
    ``body_editor:miit`` (an editor of a responsible body named in the supervision file)."""
    role, _, scope = text.strip().partition(":")
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    if role in ("prov_editor", "prov_approver"):
        if scope not in areas() or scope == NATIONAL:
            raise AccountError(f"{role} needs a province code, as in {role}:440000 "
                               f"(got {scope or 'none'!r})")
        return Grant(role, area=scope)  # type: ignore[arg-type]
    if role == "enterprise":
        code, _, area = scope.partition("@")
        if not code or len(code) > 18:
            raise AccountError("enterprise needs its code, as in "
                               "enterprise:91440300MA5XXXXXXX@440000 (code@province)")
        if area and (area not in areas() or area == NATIONAL):
            raise AccountError(f"enterprise scope names unknown province {area!r}")
        return Grant("enterprise", area=area, enterprise=code)
    if role == "body_editor":
        if not _BODY_ID.match(scope):
            raise AccountError("body_editor needs the id of a responsible body, as in "
                               f"body_editor:miit (got {scope or 'none'!r})")
        return Grant("body_editor", body=scope)
    if scope:
        raise AccountError(f"{role} is national and takes no scope (got {scope!r})")
    return Grant(role)  # type: ignore[arg-type]


def format_grant(grant: Grant) -> str:
    if grant.role == "enterprise":
        return f"enterprise:{grant.enterprise}" + (f"@{grant.area}" if grant.area else "")
    if grant.role == "body_editor":
        return f"body_editor:{grant.body}"
    return f"{grant.role}:{grant.area}" if grant.area else grant.role


# ------------------------------------------------------------------------------ users


def create_user(engine: Engine, by: Actor, username: str, password: str,
                grants: Sequence[Grant], *, display_name: str = "", demo: bool = False,
                ip: str = "") -> int:
    """Create a user with its grants; audited. Raises ``AccountError`` if the name is taken."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise AccountError("a username is 1–64 characters without spaces")
    if len(password) < 8:
        raise AccountError("a password has at least 8 characters")
    if not grants:
        raise AccountError("a user needs at least one role")
    hashed = PASSWORD_HASHER.hash(password)
    with begin_write(engine) as conn:
        if conn.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
            raise AccountError(f"user {username!r} already exists")
        user_id = conn.execute(insert(UserRow).returning(UserRow.id).values(
            username=username, display_name=display_name, password_hash=hashed,
            disabled=False, demo=demo, created_at=now(),
        )).scalar_one()
        for g in dict.fromkeys(grants):
            conn.execute(insert(RoleGrantRow).values(
                user_id=user_id, role=g.role, area=g.area, enterprise=g.enterprise,
                body=g.body))
        audit.record(conn, by, "user.create", "user", username, before=None,
                     after={"username": username, "display_name": display_name, "demo": demo,
                            "roles": [format_grant(g) for g in grants]}, ip=ip)
    return int(user_id)


def set_disabled(engine: Engine, by: Actor, username: str, disabled: bool = True, *,
                 ip: str = "") -> None:
    """Disable (or enable) a user.

    Disabling ends the user's sessions and revokes its API tokens (the audit entry says how
    many), so enabling the user again revives none of them: it needs new ones.
    """
    with begin_write(engine) as conn:
        row = conn.execute(select(UserRow.id, UserRow.disabled)
                           .where(UserRow.username == username)).first()
        if row is None:
            raise AccountError(f"no user {username!r}")
        conn.execute(update(UserRow).where(UserRow.id == row.id).values(disabled=disabled))
        after: dict[str, object] = {"disabled": disabled}
        if disabled:
            at = now()
            conn.execute(update(SessionRow).where(SessionRow.user_id == row.id,
                                                  SessionRow.revoked_at.is_(None))
                         .values(revoked_at=at))
            revoked = conn.execute(update(ApiTokenRow).where(
                ApiTokenRow.user_id == row.id, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=at))
            after["tokens_revoked"] = revoked.rowcount
        audit.record(conn, by, "user.disable" if disabled else "user.enable", "user", username,
                     before={"disabled": bool(row.disabled)}, after=after, ip=ip)


def list_users(engine: Engine) -> list[UserInfo]:
    with engine.connect() as conn:
        users = conn.execute(select(UserRow).order_by(UserRow.username)).all()
        grants = _grants(conn, [u.id for u in users])
    return [UserInfo(u.id, u.username, u.display_name, bool(u.disabled), bool(u.demo),
                     u.created_at, grants.get(u.id, ())) for u in users]


def _grants(conn: Connection, user_ids: Sequence[int]) -> dict[int, tuple[Grant, ...]]:
    out: dict[int, list[Grant]] = {}
    if not user_ids:
        return {}
    rows = conn.execute(select(RoleGrantRow).where(RoleGrantRow.user_id.in_(user_ids))
                        .order_by(RoleGrantRow.id))
    for r in rows:
        out.setdefault(r.user_id, []).append(Grant(r.role, r.area, r.enterprise, r.body))
    return {k: tuple(v) for k, v in out.items()}


def _actor(conn: Connection, user: Any, via: str) -> Actor:
    uid = int(user.id)
    return Actor(id=uid, username=user.username, grants=_grants(conn, [uid]).get(uid, ()),
                 display_name=user.display_name, demo=bool(user.demo), via=via)


def actor_by_name(engine: Engine, username: str, via: str = "cli") -> Actor:
    with engine.connect() as conn:
        user = conn.execute(select(UserRow).where(UserRow.username == username)).first()
        if user is None:
            raise AccountError(f"no user {username!r}")
        return _actor(conn, user, via)


# ------------------------------------------------------------------------------ log-in


@dataclass(frozen=True)
class LoginResult:
    actor: Actor | None
    session_token: str | None = None
    throttled: bool = False


def log_in(engine: Engine, username: str, password: str, *, ip: str = "") -> LoginResult:
    """Check a password; on success open a session. Every attempt looked at is recorded."""
    username = username.strip()[:64]
    ip = ip[:64]
    with begin_write(engine) as conn:
        # the writer lock makes "count, then record" one step for parallel attempts
        at = now()
        if _throttled(conn, username, ip, at):
            return LoginResult(None, throttled=True)
        attempt = conn.execute(insert(LoginAttemptRow).returning(LoginAttemptRow.id).values(
            username=username, ip=ip, at=at, ok=False)).scalar_one()
        user = conn.execute(select(UserRow).where(UserRow.username == username)).first()
    # verify against a dummy hash for unknown users, so timing does not reveal who exists
    ok = _verify(user.password_hash if user is not None else _DUMMY_HASH, password)
    if not ok or user is None or user.disabled:
        return LoginResult(None)
    token = secrets.token_urlsafe(32)
    with begin_write(engine) as conn:
        if conn.scalar(select(UserRow.disabled).where(UserRow.id == user.id)) is not False:
            return LoginResult(None)  # disabled (or removed) while the password was checked
        conn.execute(update(LoginAttemptRow).where(LoginAttemptRow.id == attempt)
                     .values(ok=True))
        conn.execute(insert(SessionRow).values(
            id=digest(token), user_id=user.id, created_at=at,
            expires_at=at + SESSION_LIFETIME, revoked_at=None))
        if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
            conn.execute(update(UserRow).where(UserRow.id == user.id)
                         .values(password_hash=PASSWORD_HASHER.hash(password)))
        actor = _actor(conn, user, "session")
    return LoginResult(actor, token)


def _verify(hashed: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _throttled(conn: Connection, username: str, ip: str, at: datetime) -> bool:
    """Whether to refuse an attempt, counting every attempt recorded (those in flight too)."""
    since = at - WINDOW
    a = LoginAttemptRow
    last_ok = conn.scalar(select(func.max(a.at)).where(
        a.username == username, a.ok.is_(True), a.at >= since))
    start = max(since, last_ok) if last_ok is not None else since
    failures = conn.scalar(select(func.count()).select_from(a).where(
        a.username == username, a.ok.is_(False), a.at >= start)) or 0
    if failures >= MAX_FAILURES:
        return True
    if not ip:
        return False
    later = aliased(LoginAttemptRow)
    forgiven = exists().where(and_(later.username == a.username, later.ok.is_(True),
                                   later.at >= a.at))
    accounts_failing = conn.scalar(select(func.count(a.username.distinct())).where(
        a.ip == ip, a.ok.is_(False), a.at >= since, ~forgiven)) or 0
    if accounts_failing < MAX_ACCOUNTS_PER_IP:
        return False
    known = conn.scalar(select(func.count()).select_from(a).where(
        a.username == username, a.ip == ip, a.ok.is_(True), a.at >= at - KNOWN_ADDRESS_FOR))
    return not known


def log_out(engine: Engine, session_token: str) -> None:
    with begin_write(engine) as conn:
        conn.execute(update(SessionRow).where(SessionRow.id == digest(session_token))
                     .values(revoked_at=now()))


def actor_for_session(engine: Engine, session_token: str) -> Actor | None:
    at = now()
    with engine.connect() as conn:
        user = conn.execute(
            select(UserRow).join(SessionRow, SessionRow.user_id == UserRow.id).where(
                SessionRow.id == digest(session_token), SessionRow.revoked_at.is_(None),
                SessionRow.expires_at > at, UserRow.disabled.is_(False))
        ).first()
        return None if user is None else _actor(conn, user, "session")


# ------------------------------------------------------------------------------ tokens


def create_token(engine: Engine, by: Actor, owner: str, name: str, *, ip: str = "") -> str:
    """A new API token for ``owner``; the token itself is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    name = name.strip()[:100] or "token"
    with begin_write(engine) as conn:
        user_id = conn.scalar(select(UserRow.id).where(UserRow.username == owner))
        if user_id is None:
            raise AccountError(f"no user {owner!r}")
        token_id = conn.execute(insert(ApiTokenRow).returning(ApiTokenRow.id).values(
            user_id=user_id, name=name, token_hash=digest(token), prefix=token[:12],
            created_at=now(), revoked_at=None)).scalar_one()
        audit.record(conn, by, "token.create", "api_token", str(token_id), before=None,
                     after={"owner": owner, "name": name, "prefix": token[:12]}, ip=ip)
    return token


def revoke_token(engine: Engine, by: Actor, token_id: int, *, ip: str = "") -> None:
    with begin_write(engine) as conn:
        row = conn.execute(select(ApiTokenRow).where(ApiTokenRow.id == token_id)).first()
        if row is None:
            raise AccountError(f"no token {token_id}")
        conn.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id)
                     .values(revoked_at=now()))
        audit.record(conn, by, "token.revoke", "api_token", str(token_id),
                     before={"revoked": row.revoked_at is not None}, after={"revoked": True},
                     ip=ip)


def list_tokens(engine: Engine, owner: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(ApiTokenRow).join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(UserRow.username == owner).order_by(ApiTokenRow.id)).all()
    return [{"id": r.id, "name": r.name, "prefix": r.prefix, "created_at": r.created_at,
             "revoked": r.revoked_at is not None} for r in rows]


def token_owner(engine: Engine, token_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.scalar(select(UserRow.username).join(
            ApiTokenRow, ApiTokenRow.user_id == UserRow.id).where(ApiTokenRow.id == token_id))


def actor_for_token(engine: Engine, token: str) -> Actor | None:
    with engine.connect() as conn:
        user = conn.execute(
            select(UserRow).join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id).where(
                ApiTokenRow.token_hash == digest(token), ApiTokenRow.revoked_at.is_(None),
                UserRow.disabled.is_(False))
        ).first()
        return None if user is None else _actor(conn, user, "token")


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
)


def seed_demo(engine: Engine) -> list[tuple[str, str, str]]:
    """Create the example accounts that do not exist yet; returns (user, password, role)."""
    system = Actor(id=None, username="system", via="system")
    existing = {u.username for u in list_users(engine)}
    made = []
    for username, password, grant, label in DEMO_ACCOUNTS:
        if username not in existing:
            create_user(engine, system, username, password, [parse_grant(grant)],
                        display_name=label, demo=True)
        made.append((username, password, grant))
    return made
