"""``mic2025 notices``: the platform's reminders before deadlines, and the e-mail of notices
(:mod:`mic2025.services.notices`), for a scheduler to run (cron, a systemd timer)."""

from __future__ import annotations

import click

from .common import db_option, fail_cleanly


@click.command("notices")
@db_option
@click.option("--days", "days", type=click.IntRange(min=0), multiple=True,
              help="Remind this many days before a deadline (repeatable); default: 7 and 1.")
@click.option("--no-email", is_flag=True,
              help="Only write the reminders; send nothing even with MIC2025_SMTP_URL set.")
@fail_cleanly
def notices_cmd(db: str | None, days: tuple[int, ...], no_email: bool) -> None:
    """Write the reminders due today into the inboxes, then e-mail the notices not yet sent
    to each province's entry in the owner directory (when MIC2025_SMTP_URL is set)."""
    from ..followup.warn import load_owners
    from ..services import notices
    from ..store import open_store

    store = open_store(db)
    try:
        written = notices.remind(store.engine, days=days or notices.REMIND_DAYS)
        click.echo(f"reminders written: {written}")
        if not no_email:
            sent = notices.send(store.engine, load_owners())
            click.echo(f"notices e-mailed: {sent.notices} in {sent.messages} message(s)")
    finally:
        store.close()
