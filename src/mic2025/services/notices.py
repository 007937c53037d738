"""Notices: the inbox of each account, reminders before deadlines, and their e-mail.

Notices of a submission's steps are written with the step itself
(:func:`mic2025.store.notices.from_audit`, called for every audit entry). This module adds
what no step writes: :func:`remind` (a reminder to a province's editors before its deadline,
while it has handed nothing in) and :func:`send` (e-mail through ``MIC2025_SMTP_URL``, the
warnings' server, to the province's entry in the owner directory). ``mic2025 notices`` runs
both, for a scheduler; the inbox page runs :func:`remind` when it is opened.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

from .. import reference
from ..followup import mail
from ..followup.warn import OwnerDirectory
from ..i18n import Lang, t
from ..permissions import Actor, Forbidden
from ..store import notices as rows
from ..store import summaries
from ..store.db import StoreEngine as Engine
from ..store.db import begin_write
from ..store.notices import Notice

log = logging.getLogger("mic2025.notices")

#: how many days before a deadline its reminders go out (one each)
REMIND_DAYS = (7, 1)
#: provinces with no provincial reporting round (Taiwan, Hong Kong, Macao)
_NO_ROUND = ("71", "81", "82")
_HANDED_IN = ("submitted", "approved")


def _signed_in(actor: Actor) -> None:
    if actor.anonymous:
        raise Forbidden("an inbox belongs to an account: log in").saying(
            "error.inbox_needs_account")


def inbox(engine: Engine, actor: Actor) -> list[Notice]:
    _signed_in(actor)
    return rows.inbox(engine, actor.username)


def mark_all_read(engine: Engine, actor: Actor) -> int:
    """Mark the actor's notices read. Not audited: it changes nothing but the reader's own
    view of its inbox, like reading a page."""
    _signed_in(actor)
    with begin_write(engine) as conn:
        return rows.mark_read(conn, actor.username, datetime.now(UTC))


def remind(engine: Engine, today: date | None = None,
           days: Sequence[int] = REMIND_DAYS) -> int:
    """Reminders to each province's editors of a deadline at most ``max(days)`` days away
    while the province has submitted nothing for that year; one per deadline and step of
    ``days`` (a second run the same day writes nothing). Returns how many were written."""
    day = today or datetime.now(UTC).date()
    steps = sorted(days)
    if not steps or steps[0] < 0:
        # not a Mic2025Error: a programming or command-line mistake (click checks --days),
        # never a page's
        raise ValueError(f"reminder days must be 0 or more: {list(days)}")
    written = 0
    for year, area, due in summaries.upcoming_deadlines(engine, day, n=1_000):
        left = (due - day).days
        step = next((d for d in steps if left <= d), None)
        if step is None:
            continue
        states = summaries.submission_states(engine, year)
        dues = summaries.year_deadlines(engine, year)
        for code in reference.areas().values():
            if code.level != "province" or code.code[:2] in _NO_ROUND:
                continue
            if area and code.code != area:
                continue
            if not area and code.code in dues:
                continue  # the province's own deadline replaces the general one
            if states.get(code.code) in _HANDED_IN:
                continue
            params = {"area": code.code, "year": year, "due": due.isoformat(), "days": left}
            with begin_write(engine) as conn:
                for name in rows.editors(conn, code.code):
                    written += rows.insert_notice(
                        conn, username=name, kind="reminder",
                        key=f"reminder|{year}|{code.code}|{due.isoformat()}|{step}",
                        params=params, link="/submissions")
    return written


def words(n: Notice, lang: Lang) -> str:
    """A notice in the reader's language, the province by name."""
    params: dict[str, Any] = dict(n.params)
    if "area" in params:
        params["area"] = reference.area_label(str(params["area"]), lang)
    params.setdefault("comment", "")
    try:
        return t(f"notice.{n.kind}", lang, **params)
    except (KeyError, IndexError):  # a kind or parameter of a newer mic2025
        return f"{n.kind}: {params}"


@dataclass(frozen=True)
class Sent:
    messages: int
    notices: int


def send(engine: Engine, owners: OwnerDirectory, url: str | None = None,
         lang: Lang = "zh", timeout: float = 10.0) -> Sent:
    """E-mail the notices not yet sent, one message per province, to the owner directory's
    entry of that province (``to`` and ``cc``, and the directory's ``copy``); the national
    level's notices (a submission awaiting national acceptance) go in one message to the
    directory's national entry, or its fallback when it has none. Without
    ``url`` (default ``$MIC2025_SMTP_URL``) nothing is sent and nothing is marked. A notice
    whose province has no entry is marked without a message (there is no one to write to)."""
    to = mail.server(url)
    if to is None:
        return Sent(0, 0)
    by_area: dict[str, list[tuple[int, str]]] = {}
    stamp = datetime.now(UTC)
    # claimed before sending, so two servers never send one notice twice; a failed send
    # leaves its notices claimed (they stay in the inboxes, only their e-mail is lost)
    for _, n in rows.not_emailed(engine):
        with begin_write(engine) as conn:
            if not rows.claim_email(conn, n.id, stamp):
                continue  # another server took it
        # a notice for the national level goes to the national entry, not the province's
        area = reference.NATIONAL if n.kind in rows.NATIONAL_KINDS \
            else str(n.params.get("area", ""))
        by_area.setdefault(area, []).append((n.id, words(n, lang)))
    entries = {o.area: o for o in owners.owners if o.area}
    national = entries.get(reference.NATIONAL) or next(
        (o for o in owners.owners if o.id == owners.fallback), None)
    if national is not None:
        entries[reference.NATIONAL] = national
    messages = []
    for area, lines in by_area.items():
        owner = entries.get(area)
        if owner is None:
            continue
        msg = EmailMessage()
        msg["From"] = to.sender
        msg["To"] = ", ".join(owner.to)
        cc = [a for a in dict.fromkeys([*owner.cc, *owners.copy_to, *to.copy])
              if a not in owner.to]
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = t("notice.email_subject", lang, n=len(lines))
        msg.set_content("\n".join(f"- {text}" for _, text in lines) + "\n")
        messages.append((msg, [*owner.to, *cc]))
    mail.send(to, messages, timeout=timeout, what="notices")
    return Sent(len(messages), sum(len(v) for v in by_area.values()))
