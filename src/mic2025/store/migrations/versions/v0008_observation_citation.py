"""Every figure names its primary publication: the observation's citation fields.

``observation`` gains ``publisher``, ``publication``, ``locator``, ``retrieved_from`` (the
copy read) and ``grade`` (the copy's: official, official_media, industry_body, other_copy);
``source_date`` becomes ``publication_date``. Rows already stored keep their ``source`` (it
stays the key's source) and get their citation by the legacy rule of
:meth:`mic2025.citation.Citation.from_source`: a http(s) URL is the copy read
(``retrieved_from``), any other text names the publication (``publication``).

The table is append-only (migration 0005): its UPDATE trigger is lifted for the one
statement that fills the new columns and put back at once, inside this migration's
transaction.

The downgrade drops the new columns (what they held beyond ``source`` is lost) and renames
``publication_date`` back to ``source_date``.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_TABLE = "observation"
_TEXT = ("publisher", "publication", "locator", "retrieved_from")


def upgrade() -> None:
    for name in _TEXT:
        op.add_column(_TABLE, sa.Column(name, sa.Text(), nullable=False, server_default=""))
    op.add_column(_TABLE, sa.Column("grade", sa.String(16), nullable=True))
    op.execute(f"ALTER TABLE {_TABLE} RENAME COLUMN source_date TO publication_date")
    sqlite = op.get_bind().dialect.name == "sqlite"
    url = "(lower(source) LIKE 'http://%' OR lower(source) LIKE 'https://%')"
    fill = (f"UPDATE {_TABLE} SET "
            f"retrieved_from = CASE WHEN {url} THEN source ELSE '' END, "
            f"publication = CASE WHEN {url} THEN '' ELSE source END")
    if sqlite:
        op.execute(f"DROP TRIGGER {_TABLE}_no_update")
        op.execute(fill)
        op.execute(f"CREATE TRIGGER {_TABLE}_no_update BEFORE UPDATE ON {_TABLE} "
                   f"BEGIN SELECT RAISE(ABORT, '{_TABLE} is append-only'); END")
    else:
        op.execute(f"ALTER TABLE {_TABLE} DISABLE TRIGGER {_TABLE}_no_change")
        op.execute(fill)
        op.execute(f"ALTER TABLE {_TABLE} ENABLE TRIGGER {_TABLE}_no_change")


def downgrade() -> None:
    op.execute(f"ALTER TABLE {_TABLE} RENAME COLUMN publication_date TO source_date")
    for name in (*_TEXT, "grade"):
        op.execute(f"ALTER TABLE {_TABLE} DROP COLUMN {name}")
