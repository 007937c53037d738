"""The tables of the evidence store, as SQLAlchemy 2.x declarative models.

Two tables, both append-only:

``vintage``
    one row per batch that changed the store (an imported file, the bundled evidence, a
    set of estimates, a manual entry): when, what, by whom, and how many rows it brought.
``observation``
    one row per figure as received, under the vintage it arrived in. A revision is a new
    row with the same key under a later vintage; no row is ever updated or deleted, so the
    store can always say what it knew at any past moment. A new bundled release withdraws
    what it no longer carries by a row of its own too (``withdrawn``; migration 0009).

Both tables refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) in the database itself,
through the triggers of migration 0005, for every client and not only mic2025's own code.

The same models serve SQLite and PostgreSQL; the schema itself is created by the Alembic
migrations in ``store/migrations`` (never by ``metadata.create_all``), so both engines
always carry exactly the migrated schema.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: kinds of vintage: a user's file, the evidence shipped with mic2025, figures mic2025
#: estimated itself, and figures keyed in by hand
VINTAGE_KINDS = ("import", "bundled", "estimate", "manual")

#: longest text each key column (and the unit) may hold. The key columns make up one index
#: entry, and PostgreSQL refuses an index entry over ~2.7 kB; VARCHAR(n) is enforced by
#: PostgreSQL but not by SQLite, so the store checks these limits itself before writing,
#: and both engines refuse the same rows.
LIMITS = {
    "indicator": 100,
    "area": 12,
    "sector": 12,
    "period": 16,
    "scope": 200,
    "source": 500,
    "unit": 40,
}

# Named constraints let later migrations (SQLite batch mode in particular) refer to them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out as an aware UTC ``datetime``.

    PostgreSQL keeps ``timestamptz`` and hands back aware values in the session's time
    zone; SQLite keeps text without an offset. Normalising to UTC on both sides makes
    ``created_at <= as_of`` mean the same on both engines, and SQLite's fixed-width text
    then sorts in time order.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value!r} has no time zone; the store keeps UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class VintageRow(Base):
    __tablename__ = "vintage"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('import', 'bundled', 'estimate', 'manual')", name="kind"
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    source_name: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    rows_total: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_new: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_revised: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_unchanged: Mapped[int] = mapped_column(Integer, nullable=False)
    rows_withdrawn: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                server_default="0")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    actor: Mapped[str] = mapped_column(Text, nullable=False, default="")


class ObservationRow(Base):
    __tablename__ = "observation"
    __table_args__ = (
        Index(
            "ix_observation_key_vintage",
            "indicator", "area", "sector", "period", "scope", "source", "vintage_id",
        ),
        # sqlite_autoincrement: ids are never reused, so "highest id" stays "latest row"
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(LIMITS["indicator"]), nullable=False)
    area: Mapped[str] = mapped_column(String(LIMITS["area"]), nullable=False)
    sector: Mapped[str] = mapped_column(String(LIMITS["sector"]), nullable=False, default="")
    period: Mapped[str] = mapped_column(String(LIMITS["period"]), nullable=False)
    period_kind: Mapped[str] = mapped_column(String(8), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    period_end: Mapped[date] = mapped_column(Date, nullable=False)
    scope: Mapped[str] = mapped_column(String(LIMITS["scope"]), nullable=False, default="")
    value: Mapped[float] = mapped_column(Double, nullable=False)
    unit: Mapped[str] = mapped_column(String(LIMITS["unit"]), nullable=False)
    source: Mapped[str] = mapped_column(String(LIMITS["source"]), nullable=False)
    # the citation (mic2025.citation.Citation; migration 0008); ``source`` is its key
    publisher: Mapped[str] = mapped_column(Text, nullable=False, default="")
    publication: Mapped[str] = mapped_column(Text, nullable=False, default="")
    publication_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    locator: Mapped[str] = mapped_column(Text, nullable=False, default="")
    retrieved_from: Mapped[str] = mapped_column(Text, nullable=False, default="")
    grade: Mapped[str | None] = mapped_column(String(16), nullable=True)
    flags: Mapped[str] = mapped_column(Text, nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    quote: Mapped[str] = mapped_column(Text, nullable=False, default="")
    lower: Mapped[float | None] = mapped_column(Double, nullable=True)
    upper: Mapped[float | None] = mapped_column(Double, nullable=True)
    vintage_id: Mapped[int] = mapped_column(ForeignKey("vintage.id"), nullable=False)
    # a withdrawal (migration 0009): the key's figure leaves the latest view from this row's
    # vintage on; the row repeats the figure withdrawn
    withdrawn: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                            server_default=false())
