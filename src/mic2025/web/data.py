"""What the pages and the API read: the plan, the store and evaluations, cached by vintage.

An evaluation depends on the plan (id and version), the area, the method, the day and the
observations; the observations change only when a vintage is written, so every cache key
carries the latest vintage id and an approval is visible on the next request, in this
process or another (:class:`VintageWatch` says how that id is read cheaply). The plan is
loaded once, when the app is made.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .. import reference
from ..evaluate.engine import chosen, evaluate
from ..evaluate.model import Evaluation
from ..evaluate.provinces import LeftOut, ProvinceValue, province_measures
from ..plan import Metric, Plan, Text
from ..store import summaries
from ..store.db import StoreEngine
from ..store.repo import ImportResult, Store
from ..store.summaries import VintageWatch

if TYPE_CHECKING:
    from fastapi import BackgroundTasks
    from starlette.types import ASGIApp, Receive, Scope, Send

T = TypeVar("T")
log = logging.getLogger("mic2025.web")
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
class ProvinceFigures:
    """What a map and a ranking of one metric draw: each province's newest figure on the
    metric's own measure (``unit``), and the submitted figures left off that axis, with why
    (:mod:`mic2025.evaluate.provinces`)."""

    unit: str
    values: tuple[ProvinceValue, ...] = ()
    left_out: tuple[LeftOut, ...] = ()


#: the latest vintage each platform found for the read being answered (see :class:`OneVintage`)
_READ_VINTAGE: ContextVar[dict[int, int] | None] = ContextVar("mic2025_read_vintage",
                                                              default=None)


class OneVintage:
    """ASGI middleware: a ``GET`` or ``HEAD`` asks the store for its latest vintage once.

    The parts of one page (its tag, the evaluation, the rows, the warnings) each name the
    vintage in their cache keys; without this each asked the store again, up to five round
    trips a read on PostgreSQL. The vintage is read when the first part needs it, after the
    request arrived, so a reader still sees every vintage committed before it asked, and the
    whole answer is of one vintage. Requests that write (an approval writes a vintage and
    then runs its early-warning rules) are not held to the vintage they started with.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        token = _READ_VINTAGE.set({})
        try:
            await self.app(scope, receive, send)
        finally:
            _READ_VINTAGE.reset(token)


class _Flight:
    """One computation in progress; the readers that want the same key wait for it."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None


class Cache:
    """Values computed once per key, the least recently used dropped past ``size``.

    Computing is *single-flight*: when many readers ask for the same missing key at once,
    one computes and the others wait for its result instead of computing it again.
    """

    def __init__(self, size: int, computed: Counter[str]) -> None:
        self._values: OrderedDict[tuple[object, ...], Any] = OrderedDict()
        self._inflight: dict[tuple[object, ...], _Flight] = {}
        self._lock = threading.Lock()
        self._size = size
        self.computed = computed

    def get(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key``; concurrent callers of a missing key share one run."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return cast(T, self._values[key])
            flight = self._inflight.get(key)
            leader = flight is None
            if flight is None:
                flight = self._inflight[key] = _Flight()
        if not leader:
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            return cast(T, flight.value)
        try:
            value = compute()
            self.computed[str(key[0])] += 1
            flight.value = value
            with self._lock:
                self._values[key] = value
                while len(self._values) > self._size:
                    self._values.popitem(last=False)
            return value
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            flight.done.set()


class Platform:
    """The plan, the store and the caches, shared by every request.

    Everything derived from the observations (evaluations, the overview's rows, chart
    options, the freshness stamps, warnings) is cached under a key that carries the latest
    vintage id: an approval writes a vintage, so the next request computes afresh. The
    answers made whole (a public page's HTML, an API answer's bytes) are kept apart in
    :attr:`answers`: their keys carry the query, which a reader chooses, so a flood of
    made-up queries can only push out other such answers, never the evaluations.
    """

    def __init__(self, store: Store, plan: Plan, *, cache_size: int = 256,
                 answer_cache_size: int = 256) -> None:
        self.store = store
        self.plan = plan
        #: how many times a cached value was computed (tests read it; never asserted on time)
        self.computed: Counter[str] = Counter()
        self._values = Cache(cache_size, self.computed)
        #: whole answers (bytes) by query and state (:func:`mic2025.web.etag.cached_page`)
        self.answers = Cache(answer_cache_size, self.computed)
        self.vintages = VintageWatch(store.engine)
        #: the follow-up service (:class:`mic2025.web.followup.FollowUp`), set by the app
        self.followup: Any = None

    @property
    def engine(self) -> StoreEngine:
        return self.store.engine

    def latest_vintage(self) -> int:
        """The store's latest vintage id: read once per read request (:class:`OneVintage`),
        on every call elsewhere."""
        held = _READ_VINTAGE.get()
        if held is None:
            return self.vintages.latest()
        vintage = held.get(id(self))
        if vintage is None:
            vintage = held[id(self)] = self.vintages.latest()
        return vintage

    def close(self) -> None:
        """Let go of the store: the vintage watch's connection and the engine's pool."""
        self.vintages.close()
        self.store.close()

    def after_answer(self, background: BackgroundTasks) -> Callable[[ImportResult], None]:
        """The approval hook for a request: :meth:`after_approval` run once the answer has been
        sent (a background task of the response), so that whoever approves does not wait for
        the early-warning rules; the next request of the same worker sees their warnings."""
        return lambda result: background.add_task(self.after_approval, result)

    def after_approval(self, result: ImportResult) -> None:
        """An approval wrote a vintage: run the early-warning hook (never fails the approval)."""
        if self.followup is not None:
            try:
                self.followup.after_approval(result)
            except Exception as exc:  # the approval has committed
                log.warning("early-warning hook failed after vintage %s: %s", result.vintage, exc)

    def vintage_at(self, as_of: datetime) -> int:
        """The latest vintage the store knew at ``as_of``."""
        return summaries.latest_vintage(self.store.engine, as_of)

    def cached(self, key: tuple[object, ...], compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key``; concurrent callers of a missing key share one run."""
        return self._values.get(key, compute)

    def state_key(self, as_of: datetime | None = None) -> tuple[object, ...]:
        """What every derived value depends on: plan version, data vintage and day."""
        vintage = self.latest_vintage() if as_of is None else ("as_of", as_of)
        return (self.plan.id, self.plan.version, vintage, today())

    def area_state_key(self, area: str) -> tuple[object, ...]:
        """What a value derived from ``area``'s figures alone depends on: as
        :meth:`state_key`, with the latest vintage that wrote a figure of ``area`` in place
        of the latest of all, so that one province's approval leaves the nation's evaluation
        (and every other province's) as it was."""
        plan_id, version, vintage, day = self.state_key()
        written = self.cached(("area_vintages", plan_id, version, vintage, day),
                              lambda: summaries.area_vintages(self.store.engine))
        return (plan_id, version, ("area", written.get(area, 0)), day)

    def evaluation(self, area: str | None = None, method: str | None = None,
                   as_of: datetime | None = None) -> Evaluation:
        """The plan judged in ``area`` by ``method``: by default the plan's own area and the
        registry's default method (:func:`mic2025.evaluate.engine.chosen`)."""
        area, method = chosen(self.plan, area, method)

        def compute() -> Evaluation:
            observations = self.store.observations(area=area, as_of=as_of)
            return evaluate(self.plan, observations, area=area, method=method, as_of=as_of,
                            area_name=area_name(area))

        state = self.state_key(as_of) if as_of is not None else self.area_state_key(area)
        return self.cached(("evaluation", area, method, *state), compute)

    def freshness(self, area: str | None = None) -> dict[str, datetime]:
        """For each indicator, when its newest figure of ``area`` (default: the plan's own)
        arrived (one aggregate query)."""
        code = self.plan.area if area is None else area

        def compute() -> dict[str, datetime]:
            return summaries.arrivals(self.store.engine, code)

        return self.cached(("freshness", code, *self.area_state_key(code)), compute)

    def known_indicators(self) -> frozenset[str]:
        """The ids an indicator filter may name: the plan's metrics and series, the bundled
        catalogue, and any indicator the store holds figures of."""
        from ..catalogue import known_series

        def compute() -> frozenset[str]:
            stored = summaries.stored_indicators(self.store.engine)
            return frozenset(known_series(self.plan)) | stored

        return self.cached(("known_indicators", *self.state_key()), compute)

    def store_units(self) -> list[str]:
        """The distinct units of the stored figures (for the SDMX unit codelist)."""
        def compute() -> list[str]:
            return summaries.stored_units(self.store.engine)

        return self.cached(("store_units", *self.state_key()), compute)

    def province_figures(self, metric: Metric) -> ProvinceFigures:
        """Each province's newest figure of ``metric`` on the metric's own measure, and the
        figures that could not be put on it."""
        return self.cached(("province_figures", metric.id, *self.state_key()),
                           lambda: self._province_figures(metric))

    def _province_figures(self, metric: Metric) -> ProvinceFigures:
        # cities are shown on their province's page, not on the national map
        figures = [o for o in self.store.observations(indicators=metric.id)
                   if o.area != reference.NATIONAL and o.area[2:] == "0000"]
        converted = province_measures(metric, figures, plan_base_year=self.plan.base_year)
        if converted is None:
            return ProvinceFigures(unit=metric.unit)
        return ProvinceFigures(unit=converted.unit, values=converted.values,
                               left_out=converted.left_out)


def today() -> date:
    return datetime.now(UTC).date()

