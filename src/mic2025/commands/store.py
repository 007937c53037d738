"""``mic2025 store``: the store's schema — see it, and upgrade it to this mic2025's.

Commands that only read (``evaluate``, ``data vintages``, ``report`` …) never migrate: they
refuse a store whose schema is older than this mic2025's and name ``mic2025 store upgrade``.
"""

from __future__ import annotations

import click

from .common import db_option, fail_cleanly


@click.group("store")
def store_group() -> None:
    """The evidence store's schema: its revision, and the upgrade to this mic2025's."""


@store_group.command("status")
@db_option
@fail_cleanly
def store_status(db: str | None) -> None:
    """Print the store's schema revision and this mic2025's (reads only).

    Exit status 0 when they are the same; 1 when the store needs `mic2025 store upgrade`
    (or does not exist yet); 2 when it cannot be read or is newer than this mic2025.
    """
    import sys

    from ..errors import StoreError
    from ..store.db import UPGRADE_COMMAND, default_url, make_engine, safe_url, schema_revisions

    url = db or default_url()
    engine = make_engine(url)
    try:
        current, head, empty = schema_revisions(engine)
    finally:
        engine.dispose()
    where = safe_url(url)
    if current == head:
        click.echo(f"{where}: schema revision {current}, up to date")
        return
    if current is None and empty:
        click.echo(f"{where}: no store yet (the first command that uses it creates it)")
        sys.exit(1)
    if current is None:
        raise StoreError(f"{where} holds tables but no mic2025 schema revision")
    click.echo(f"{where}: schema revision {current}, this mic2025's is {head}; run "
               f"`{UPGRADE_COMMAND}`")
    sys.exit(1)


@store_group.command("upgrade")
@db_option
@fail_cleanly
def store_upgrade(db: str | None) -> None:
    """Bring the store's schema to this mic2025's revision (creating the store if missing).

    Takes the write lock for the migration, so it waits for an import that is running. Safe
    to repeat: a store already up to date is left as it is.
    """
    from ..store.db import default_url, make_engine, migrate, safe_url, schema_revisions

    url = db or default_url()
    engine = make_engine(url)
    try:
        before, head, _empty = schema_revisions(engine)
        migrate(engine)
    finally:
        engine.dispose()
    where = safe_url(url)
    if before == head:
        click.echo(f"{where}: schema revision {head}, already up to date")
    else:
        click.echo(f"{where}: schema upgraded from {before or 'nothing'} to revision {head}")
