"""E-mail through the SMTP server ``$MIC2025_SMTP_URL`` names: one place that reads the URL
and talks to the server, for every sender (early warnings, inbox notices).

The URL is ``smtp://[user:password@]host[:port]?from=ADDR[&cc=ADDR,…][&starttls=1]``
(``smtps://`` for TLS from the start).
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from .common import FollowupError

ENV_SMTP = "MIC2025_SMTP_URL"


@dataclass(frozen=True)
class Server:
    """Where and as whom mail is sent, read from the URL."""

    scheme: str
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    sender: str
    #: the URL's ``cc=`` (and ``to=``) addresses: every message gets a copy
    copy: tuple[str, ...]


def server(url: str | None = None) -> Server | None:
    """The server of ``url`` (default ``$MIC2025_SMTP_URL``); ``None`` when there is none.
    A URL that is not smtp or smtps, or names no host, is refused."""
    url = url or os.environ.get(ENV_SMTP, "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise FollowupError(f"{ENV_SMTP}: scheme must be smtp or smtps, not {parts.scheme!r}")
    if not parts.hostname:
        raise FollowupError(f"{ENV_SMTP}: needs a host")
    query = parse_qs(parts.query)
    copy = tuple(a.strip() for k in ("cc", "to") for v in query.get(k, [])
                 for a in v.split(",") if a.strip())
    return Server(scheme=parts.scheme, host=parts.hostname,
                  port=parts.port or (465 if parts.scheme == "smtps" else 25),
                  username=unquote(parts.username or ""), password=unquote(parts.password or ""),
                  starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
                  sender=query.get("from", ["mic2025@localhost"])[0], copy=copy)


def send(to: Server, messages: Sequence[tuple[EmailMessage, Sequence[str]]], *,
         timeout: float = 10.0, what: str = "mail") -> None:
    """Send each message to its recipients in one connection; a refusal or no answer is a
    :class:`FollowupError` naming ``what`` was not sent and the server."""
    if not messages:
        return
    smtp_cls = smtplib.SMTP_SSL if to.scheme == "smtps" else smtplib.SMTP
    try:
        with smtp_cls(to.host, to.port, timeout=timeout) as smtp:
            if to.starttls:
                smtp.starttls()
            if to.username:
                smtp.login(to.username, to.password)
            for msg, rcpt in messages:
                smtp.send_message(msg, to_addrs=list(rcpt))
    except (OSError, smtplib.SMTPException) as exc:
        raise FollowupError(f"{what} not sent: the SMTP server {to.host}:{to.port} refused or "
                            f"did not answer ({exc})") from None
