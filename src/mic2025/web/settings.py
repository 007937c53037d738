"""The web platform's settings, with where each comes from.

======================  ==========================  ==========================================
setting                 from                        meaning
======================  ==========================  ==========================================
``db_url``              ``--db`` / ``MIC2025_DB``   the store (SQLite file by default)
``secret``              ``MIC2025_SECRET``, or      key for CSRF tokens; random per process
                        ``--secret-file`` /         when unset (then forms opened before a
                        ``MIC2025_SECRET_FILE``     restart must be reloaded). Several worker
                                                    processes need one shared secret:
                                                    ``serve --workers N`` refuses to start
                                                    without it
``demo``                ``--demo``                  seed the labelled example accounts
``secure_cookies``      ``MIC2025_SECURE_COOKIES``  ``1``: always Secure; ``0``: never;
                                                    unset: Secure when the request is https
``plan_file``           ``--plan``                  the plan (bundled Made in China 2025)
``followup_dir``        ``--followup-dir`` /        the follow-up folder (default: beside a
                        ``MIC2025_FOLLOWUP_DIR``    SQLite store): generated documents; the
                                                    follow-up records are in the store
``max_body_bytes``      ``MIC2025_MAX_BODY_BYTES``  the largest request body accepted (default
                                                    6 MiB: an upload of at most 5 MiB and its
                                                    form); a larger one is answered 413 before
                                                    it is read
======================  ==========================  ==========================================

``approval_levels`` (``MIC2025_APPROVAL_LEVELS``): ``2`` (default), the province approves and
then the national level accepts, which stores the figures; ``1``, the province's approval is
final. Any other value is refused at start.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import Mic2025Error

ENV_SECRET = "MIC2025_SECRET"
ENV_SECRET_FILE = "MIC2025_SECRET_FILE"
ENV_MAX_BODY = "MIC2025_MAX_BODY_BYTES"
ENV_APPROVAL_LEVELS = "MIC2025_APPROVAL_LEVELS"
#: as :data:`mic2025.services.submissions.DEFAULT_APPROVAL_LEVELS` (province, then national)
DEFAULT_APPROVAL_LEVELS = 2
#: room for the largest upload (``submissions.MAX_UPLOAD_BYTES``, 5 MiB) and its form fields
DEFAULT_MAX_BODY_BYTES = 6 * 1024 * 1024


class SettingsError(Mic2025Error):
    """A setting cannot be used (a secret file readable by others, or empty)."""


def secret_from_file(path: str | Path, *, create: bool = False) -> str:
    """The key kept in ``path``; with ``create``, a new random one when the file is missing.

    The file is made with mode 0600 (``O_EXCL``, so two processes never make two keys). A
    file that group or others may read is refused: anyone who reads it can forge CSRF tokens.
    """
    p = Path(path)
    if create:
        try:
            fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
    try:
        mode = p.stat().st_mode
        text = p.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SettingsError(f"secret file {p} not found") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(f"secret file {p} may be read by others (mode "
                            f"{stat.S_IMODE(mode):o}); run: chmod 600 {p}")
    if len(text) < 16:
        raise SettingsError(f"secret file {p} holds no key of at least 16 characters")
    return text


def shared_secret() -> str:
    """The secret every process shares: ``MIC2025_SECRET``, else ``MIC2025_SECRET_FILE``."""
    key = os.environ.get(ENV_SECRET, "").strip()
    if key:
        return key
    path = os.environ.get(ENV_SECRET_FILE, "").strip()
    return secret_from_file(path) if path else ""


@dataclass(frozen=True)
class Settings:
    db_url: str | None = None
    secret: str = ""
    demo: bool = False
    secure_cookies: bool | None = None
    plan_file: str | None = None
    followup_dir: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    approval_levels: int = DEFAULT_APPROVAL_LEVELS

    @classmethod
    def from_env(cls, db_url: str | None = None, *, demo: bool = False,
                 secret: str | None = None, plan_file: str | None = None,
                 followup_dir: str | None = None,
                 approval_levels: int | None = None) -> Settings:
        flag = os.environ.get("MIC2025_SECURE_COOKIES", "").strip()
        secure = None if flag == "" else flag == "1"
        key = secret or shared_secret() or secrets.token_urlsafe(32)
        return cls(db_url=db_url, secret=key, demo=demo, secure_cookies=secure,
                   plan_file=plan_file, followup_dir=followup_dir,
                   max_body_bytes=_max_body_bytes(),
                   approval_levels=_approval_levels(approval_levels))


def _approval_levels(given: int | None) -> int:
    text = os.environ.get(ENV_APPROVAL_LEVELS, "").strip() if given is None else str(given)
    if not text:
        return DEFAULT_APPROVAL_LEVELS
    if text not in ("1", "2"):
        raise SettingsError(f"{ENV_APPROVAL_LEVELS}={text!r}: give 1 (the province's approval "
                            "is final) or 2 (province approval, then national acceptance)")
    return int(text)


def _max_body_bytes() -> int:
    text = os.environ.get(ENV_MAX_BODY, "").strip()
    if not text:
        return DEFAULT_MAX_BODY_BYTES
    if not text.isdigit() or int(text) < 1024:
        raise SettingsError(f"{ENV_MAX_BODY}={text!r}: give the largest request body in bytes, "
                            "a whole number of at least 1024")
    return int(text)
