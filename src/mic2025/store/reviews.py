"""The platform's written reviews of a metric (table ``evaluation_review``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Engine, insert, select

from .platform import ReviewRow


class Review(BaseModel):
    """A third-party evaluator's written judgement of one metric (and target) in one area."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    author: str
    metric: str
    area: str
    target_year: int | None
    rating: str
    text: str
    created_at: datetime


def insert_review(conn: Connection, *, author: str, metric: str, area: str,
                  target_year: int | None, rating: str, text: str, created_at: datetime
                  ) -> Review:
    rid = conn.execute(insert(ReviewRow).returning(ReviewRow.id).values(
        author=author, metric=metric, area=area, target_year=target_year, rating=rating,
        text=text, created_at=created_at)).scalar_one()
    return Review.model_validate(conn.execute(select(ReviewRow)
                                              .where(ReviewRow.id == rid)).one())


def reviews(engine: Engine, *, metric: str | None = None, area: str | None = None
            ) -> list[Review]:
    """Reviews, newest first, filtered in SQL."""
    query = select(ReviewRow).order_by(ReviewRow.id.desc())
    if metric:
        query = query.where(ReviewRow.metric == metric)
    if area:
        query = query.where(ReviewRow.area == area)
    with engine.connect() as conn:
        return [Review.model_validate(r) for r in conn.execute(query)]
