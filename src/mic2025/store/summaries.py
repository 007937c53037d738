"""Small aggregate reads of the evidence the platform asks on every request: the latest
vintage, when each indicator's newest figure arrived, and which indicators and units are
stored. One indexed query each."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select

from .models import ObservationRow, VintageRow


def latest_vintage(engine: Engine, as_of: datetime | None = None) -> int:
    """The id of the latest vintage (the latest written by ``as_of``), 0 for none."""
    query = select(func.max(VintageRow.id))
    if as_of is not None:
        query = query.where(VintageRow.created_at <= as_of)
    with engine.connect() as conn:
        return conn.scalar(query) or 0


def arrivals(engine: Engine, area: str) -> dict[str, datetime]:
    """For each indicator, when its newest figure of ``area`` arrived (a withdrawal by a new
    bundled release is no figure arriving)."""
    query = (select(ObservationRow.indicator, func.max(VintageRow.created_at))
             .join(VintageRow, VintageRow.id == ObservationRow.vintage_id)
             .where(ObservationRow.area == area, ObservationRow.withdrawn.is_(False))
             .group_by(ObservationRow.indicator))
    with engine.connect() as conn:
        return {ind: _aware(at) for ind, at in conn.execute(query) if at is not None}


def stored_indicators(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(ObservationRow.indicator).distinct()))


def stored_units(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(u for (u,) in conn.execute(select(ObservationRow.unit).distinct()))


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
