"""The web platform's settings, with where each comes from.

======================  ==========================  ==========================================
setting                 from                        meaning
======================  ==========================  ==========================================
``db_url``              ``--db`` / ``MIC2025_DB``   the store (SQLite file by default)
``secret``              ``MIC2025_SECRET``          key for CSRF tokens; random per process
                                                    when unset (then forms opened before a
                                                    restart must be reloaded, and several
                                                    worker processes need it set)
``demo``                ``--demo``                  seed the labelled example accounts
``secure_cookies``      ``MIC2025_SECURE_COOKIES``  ``1``: always Secure; ``0``: never;
                                                    unset: Secure when the request is https
``plan_file``           ``--plan``                  the plan (bundled Made in China 2025)
``followup_dir``        ``--followup-dir`` /        the follow-up records' folder (default:
                        ``MIC2025_FOLLOWUP_DIR``    beside a SQLite store)
======================  ==========================  ==========================================
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    db_url: str | None = None
    secret: str = ""
    demo: bool = False
    secure_cookies: bool | None = None
    plan_file: str | None = None
    followup_dir: str | None = None

    @classmethod
    def from_env(cls, db_url: str | None = None, *, demo: bool = False,
                 secret: str | None = None, plan_file: str | None = None,
                 followup_dir: str | None = None) -> Settings:
        flag = os.environ.get("MIC2025_SECURE_COOKIES", "").strip()
        secure = None if flag == "" else flag == "1"
        key = secret or os.environ.get("MIC2025_SECRET", "") or secrets.token_urlsafe(32)
        return cls(db_url=db_url, secret=key, demo=demo, secure_cookies=secure,
                   plan_file=plan_file, followup_dir=followup_dir)
