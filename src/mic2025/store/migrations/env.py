"""Alembic environment for the evidence store.

mic2025 runs its migrations itself (:func:`mic2025.store.db.migrate`) on a connection it has
already opened and locked, and passes that connection in ``config.attributes``; there is no
``alembic.ini`` to edit and no URL read from the environment here. A developer may still
run the alembic command line against a store by giving ``-x url=...``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from mic2025.store.db import begin_write, make_engine
from mic2025.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the store URL: alembic -x url=sqlite:///path/to/mic2025.sqlite ...")
    with begin_write(make_engine(url)) as conn:  # the writers' lock and a transaction
        _run(conn)


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported for the mic2025 store")
run_migrations_online()
