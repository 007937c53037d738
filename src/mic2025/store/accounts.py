"""The accounts' records: users and their grants, sessions, API tokens, log-in attempts.

Only rows: hashing passwords, making tokens and deciding who may manage whom is
:mod:`mic2025.services.accounts`. Functions taking a ``conn`` write in the caller's writer
transaction (:func:`mic2025.store.db.begin_write`), so the change and its audit entry
(:func:`mic2025.store.audit.record`) commit together; the others open their own.

Throttling (see :mod:`mic2025.services.accounts`): :func:`begin_attempt` records every
attempt — as a failure until its password has been found right — under the writer lock,
after counting the attempts already recorded, so parallel attempts count like sequential
ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, func, insert, select, update
from sqlalchemy.orm import aliased

from ..errors import Mic2025Error
from ..permissions import Actor, Grant
from .db import begin_write
from .platform import ApiTokenRow, LoginAttemptRow, RoleGrantRow, SessionRow, UserRow

MAX_FAILURES = 5
MAX_ACCOUNTS_PER_IP = 10
WINDOW = timedelta(minutes=15)
KNOWN_ADDRESS_FOR = timedelta(days=30)


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


# ------------------------------------------------------------------------------ users


def insert_user(conn: Connection, *, username: str, display_name: str, password_hash: str,
                demo: bool, grants: Sequence[Grant]) -> int:
    if conn.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise AccountError(f"user {username!r} already exists").saying(
            "error.user_exists", user=username)
    user_id = conn.execute(insert(UserRow).returning(UserRow.id).values(
        username=username, display_name=display_name, password_hash=password_hash,
        disabled=False, demo=demo, created_at=now(),
    )).scalar_one()
    for g in dict.fromkeys(grants):
        conn.execute(insert(RoleGrantRow).values(
            user_id=user_id, role=g.role, area=g.area, enterprise=g.enterprise, body=g.body))
    return int(user_id)


def user_count(conn: Connection) -> int:
    return conn.scalar(select(func.count()).select_from(UserRow)) or 0


def set_user_disabled(conn: Connection, username: str, disabled: bool) -> dict[str, Any]:
    """Disable (or enable) a user; disabling ends its sessions and revokes its tokens.

    Returns the audit's before and after.
    """
    row = conn.execute(select(UserRow.id, UserRow.disabled)
                       .where(UserRow.username == username)).first()
    if row is None:
        raise AccountError(f"no user {username!r}").saying("error.no_user", user=username)
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
    return {"before": {"disabled": bool(row.disabled)}, "after": after}


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
    """The account ``username`` as an actor coming in by ``via``; refused when unknown or
    disabled."""
    with engine.connect() as conn:
        user = conn.execute(select(UserRow).where(UserRow.username == username)).first()
        if user is None:
            raise AccountError(f"no user {username!r}; see `mic2025 users list`").saying(
                "error.no_user", user=username)
        if user.disabled:
            raise AccountError(f"user {username!r} is disabled").saying(
                "error.user_disabled", user=username)
        return _actor(conn, user, via)


# ------------------------------------------------------------------------------ log-in


@dataclass(frozen=True)
class Attempt:
    """A recorded log-in attempt: its row, and the user's id and password hash (if any)."""

    id: int
    user_id: int | None
    password_hash: str | None
    disabled: bool


def begin_attempt(engine: Engine, username: str, ip: str) -> Attempt | None:
    """Record an attempt as failed, unless throttled (``None``: refused, nothing recorded)."""
    with begin_write(engine) as conn:
        # the writer lock makes "count, then record" one step for parallel attempts
        at = now()
        if _throttled(conn, username, ip, at):
            return None
        attempt = conn.execute(insert(LoginAttemptRow).returning(LoginAttemptRow.id).values(
            username=username, ip=ip, at=at, ok=False)).scalar_one()
        user = conn.execute(select(UserRow).where(UserRow.username == username)).first()
    if user is None:
        return Attempt(int(attempt), None, None, False)
    return Attempt(int(attempt), int(user.id), user.password_hash, bool(user.disabled))


def open_session(engine: Engine, attempt: Attempt, session_digest: str, lifetime: timedelta,
                 rehash: Callable[[str], str | None]) -> Actor | None:
    """Mark the attempt a success and open a session; ``None`` if the user was disabled
    meanwhile. ``rehash(old_hash)`` gives a new hash to store, or ``None``."""
    assert attempt.user_id is not None
    with begin_write(engine) as conn:
        user = conn.execute(select(UserRow).where(UserRow.id == attempt.user_id)).first()
        if user is None or user.disabled is not False:
            return None  # disabled (or removed) while the password was checked
        conn.execute(update(LoginAttemptRow).where(LoginAttemptRow.id == attempt.id)
                     .values(ok=True))
        at = now()
        conn.execute(insert(SessionRow).values(
            id=session_digest, user_id=user.id, created_at=at, expires_at=at + lifetime,
            revoked_at=None))
        fresh = rehash(user.password_hash)
        if fresh is not None:
            conn.execute(update(UserRow).where(UserRow.id == user.id)
                         .values(password_hash=fresh))
        return _actor(conn, user, "session")


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


def close_session(engine: Engine, session_digest: str) -> None:
    with begin_write(engine) as conn:
        conn.execute(update(SessionRow).where(SessionRow.id == session_digest)
                     .values(revoked_at=now()))


def actor_for_session(engine: Engine, session_digest: str) -> Actor | None:
    at = now()
    with engine.connect() as conn:
        return _actor_joined(conn, SessionRow, SessionRow.user_id, "session",
                             SessionRow.id == session_digest, SessionRow.revoked_at.is_(None),
                             SessionRow.expires_at > at)


def _actor_joined(conn: Connection, via_table: Any, user_id: Any, via: str,
                  *where: ColumnElement[bool]) -> Actor | None:
    """The enabled account a session or token row (``where``) belongs to, with its grants,
    in one statement: every request asks it, and on a server database each statement is a
    round trip."""
    found = conn.execute(
        select(UserRow.id, UserRow.username, UserRow.display_name, UserRow.demo,
               RoleGrantRow.role, RoleGrantRow.area, RoleGrantRow.enterprise, RoleGrantRow.body)
        .select_from(via_table)
        .join(UserRow, UserRow.id == user_id)
        .outerjoin(RoleGrantRow, RoleGrantRow.user_id == UserRow.id)
        .where(*where, UserRow.disabled.is_(False))
        .order_by(RoleGrantRow.id)).all()
    if not found:
        return None
    user = found[0]
    grants = tuple(Grant(r.role, r.area, r.enterprise, r.body)
                   for r in found if r.role is not None)
    return Actor(id=int(user.id), username=user.username, grants=grants,
                 display_name=user.display_name, demo=bool(user.demo), via=via)


# ------------------------------------------------------------------------------ tokens


def insert_token(conn: Connection, *, owner: str, name: str, token_digest: str,
                 prefix: str) -> int:
    user_id = conn.scalar(select(UserRow.id).where(UserRow.username == owner))
    if user_id is None:
        raise AccountError(f"no user {owner!r}").saying("error.no_user", user=owner)
    token_id = conn.execute(insert(ApiTokenRow).returning(ApiTokenRow.id).values(
        user_id=user_id, name=name, token_hash=token_digest, prefix=prefix,
        created_at=now(), revoked_at=None)).scalar_one()
    return int(token_id)


def revoke_token(conn: Connection, token_id: int) -> bool:
    """Revoke a token; returns whether it was revoked already."""
    row = conn.execute(select(ApiTokenRow).where(ApiTokenRow.id == token_id)).first()
    if row is None:
        raise AccountError(f"no token {token_id}").saying("error.no_token", id=token_id)
    conn.execute(update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(revoked_at=now()))
    return row.revoked_at is not None


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


def actor_for_token(engine: Engine, token_digest: str) -> Actor | None:
    with engine.connect() as conn:
        return _actor_joined(conn, ApiTokenRow, ApiTokenRow.user_id, "token",
                             ApiTokenRow.token_hash == token_digest,
                             ApiTokenRow.revoked_at.is_(None))
