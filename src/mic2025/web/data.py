"""What the pages and the API read: the plan, the store and evaluations, cached by vintage.

An evaluation depends on the plan, the area, the method, the day and the observations; the
observations change only when a vintage is written, so the cache key carries the latest
vintage id and an approval is visible on the next request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, select

from .. import reference
from ..evaluate.engine import evaluate
from ..evaluate.model import Evaluation
from ..observation import Observation
from ..plan import Metric, Plan, Text
from ..store.models import VintageRow
from ..store.repo import Store

_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def map_name(code: str) -> str:
    """The province's name as the bundled China map names its feature (广东, 内蒙古)."""
    name = reference.area(code).name_zh
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def area_name(code: str) -> Text:
    c = reference.area(code)
    return Text(zh=c.name_zh, en=c.name_en)


def provinces() -> list[reference.Code]:
    return [c for c in reference.areas().values() if c.level == "province"]


@dataclass(frozen=True)
class ProvinceFigure:
    area: str
    year: int
    period: str
    value: float
    unit: str
    scope: str
    source: str


class Platform:
    """The plan, the store and an evaluation cache, shared by every request."""

    def __init__(self, store: Store, plan: Plan, *, cache_size: int = 64) -> None:
        self.store = store
        self.plan = plan
        self._cache: OrderedDict[tuple[object, ...], Evaluation] = OrderedDict()
        self._lock = threading.Lock()
        self._size = cache_size

    @property
    def engine(self) -> Engine:
        return self.store.engine

    def latest_vintage(self) -> int:
        with self.store.engine.connect() as conn:
            return conn.scalar(select(func.max(VintageRow.id))) or 0

    def evaluation(self, area: str = "000000", method: str = "statcan",
                   as_of: datetime | None = None) -> Evaluation:
        key = (area, method, as_of, self.latest_vintage(), datetime.now(UTC).date())
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        observations = self.store.observations(area=area, as_of=as_of)
        result = evaluate(self.plan, observations, area=area, method=method, as_of=as_of,
                          area_name=area_name(area))
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return result

    def freshness(self) -> dict[str, datetime]:
        """For each indicator, when its newest current figure arrived."""
        out: dict[str, datetime] = {}
        for o in self.store.observations():
            if o.vintage_at is not None and (o.indicator not in out
                                             or o.vintage_at > out[o.indicator]):
                out[o.indicator] = o.vintage_at
        return out

    def province_figures(self, metric: Metric) -> list[ProvinceFigure]:
        """Each province's latest figure of ``metric`` (whole industry, preferred scope)."""
        rank = {s: i for i, s in enumerate(metric.scopes)}
        best: dict[str, Observation] = {}
        for o in self.store.observations(indicators=metric.id):
            if o.area == reference.NATIONAL or o.sector:
                continue
            if o.area[2:] != "0000":
                continue  # cities are shown on their province's page, not on the national map
            current = best.get(o.area)
            if current is None or _better(o, current, rank):
                best[o.area] = o
        return [ProvinceFigure(o.area, o.year, o.period.code, o.value, o.unit, o.scope, o.source)
                for o in sorted(best.values(), key=lambda o: o.area)]


def _better(o: Observation, other: Observation, rank: dict[str, int]) -> bool:
    if o.period.end != other.period.end:
        return o.period.end > other.period.end
    return rank.get(o.scope, len(rank)) < rank.get(other.scope, len(rank))


def today() -> date:
    return datetime.now(UTC).date()
