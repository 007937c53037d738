"""Third-party reviews: an evaluator's written judgement of one metric in one area.

A review is a record of the third-party evaluation, beside the rounds and their scores
(:mod:`.followup`): table ``thirdparty_review`` (migration 0007, which carried over every row
of the platform's former ``evaluation_review``), append-only like them. It may belong to a
round (``round``); a review written outside any round has none. Only
:mod:`mic2025.services.followup` writes it, with the permission check and the audit entry.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, ForeignKey, Index, Integer, String, Text, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, UTCDateTime


class ReviewRow(Base):
    __tablename__ = "thirdparty_review"
    __table_args__ = (
        Index("ix_thirdparty_review_metric_area", "metric", "area"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[str | None] = mapped_column(ForeignKey("thirdparty_round.id"),
                                                 nullable=True)
    author: Mapped[str] = mapped_column(String(200), nullable=False)
    metric: Mapped[str] = mapped_column(String(100), nullable=False)
    area: Mapped[str] = mapped_column(String(12), nullable=False)
    target_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating: Mapped[str] = mapped_column(String(24), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Review(BaseModel):
    """A third-party evaluator's written judgement of one metric (and target) in one area;
    ``round`` is the evaluation round it belongs to, if any."""

    model_config = ConfigDict(frozen=True)

    id: int
    round: str | None = None
    author: str
    metric: str
    area: str
    target_year: int | None
    rating: str
    text: str
    created_at: datetime


def _review(row: ReviewRow) -> Review:
    return Review(id=row.id, round=row.round_id, author=row.author, metric=row.metric,
                  area=row.area, target_year=row.target_year, rating=row.rating,
                  text=row.text, created_at=row.created_at)


def insert_review(conn: Connection, *, round: str | None, author: str, metric: str, area: str,
                  target_year: int | None, rating: str, text: str, created_at: datetime
                  ) -> Review:
    rid = conn.execute(insert(ReviewRow).returning(ReviewRow.id).values(
        round_id=round, author=author, metric=metric, area=area, target_year=target_year,
        rating=rating, text=text, created_at=created_at, recorded_at=created_at)).scalar_one()
    row = conn.execute(select(ReviewRow).where(ReviewRow.id == rid)).one()
    return _review(row)  # type: ignore[arg-type]


def reviews(engine: Engine, *, metric: str | None = None, area: str | None = None,
            round: str | None = None) -> list[Review]:
    """Reviews, newest first, filtered in SQL."""
    query = select(ReviewRow).order_by(ReviewRow.id.desc())
    if metric:
        query = query.where(ReviewRow.metric == metric)
    if area:
        query = query.where(ReviewRow.area == area)
    if round:
        query = query.where(ReviewRow.round_id == round)
    with engine.connect() as conn:
        return [_review(r) for r in conn.execute(query)]  # type: ignore[arg-type]
