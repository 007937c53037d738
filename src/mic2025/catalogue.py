"""Which series evidence may be stored for: the plan's metrics and the context catalogue.

Besides the plan's own metrics (indicators and project metrics, which are judged), the
bundled evidence carries context series: proxies, sub-populations, counts that explain a
target, published composite indices. They are listed with their units and scopes in
``data/evidence/series.yaml`` (the same fields as a plan metric, without targets) and are
stored and shown, never judged.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import PlanError
from .plan import Metric, Plan


@cache
def series_catalogue() -> tuple[Metric, ...]:
    """The bundled catalogue of context series."""
    path = resources.files("mic2025") / "data" / "evidence" / "series.yaml"
    if not path.is_file():
        return ()
    raw: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = raw.get("series", []) if isinstance(raw, dict) else []
    out = []
    for i, item in enumerate(items):
        try:
            out.append(Metric.model_validate(item))
        except ValidationError as exc:
            raise PlanError(
                f"{path}: series[{i}] does not validate",
                [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()],
            ) from None
    return tuple(out)


def known_series(plan: Plan) -> dict[str, Metric]:
    """Every series id evidence may be stored for under ``plan``, with its definition."""
    out: dict[str, Metric] = {m.id: m for m in series_catalogue()}
    for m in plan.series:
        out[m.id] = m
    for m in plan.metrics():
        out[m.id] = m
    return out


def unknown_bounds(plan: Plan) -> list[str]:
    """The metrics' bounds that name no known context series (the plan's ``series`` or the
    bundled catalogue), each as "metric: series"; ``mic2025 plan validate`` refuses them."""
    context = {m.id for m in (*plan.series, *series_catalogue())}
    return [f"{m.id}: bound {b.series!r} is not a context series (the plan's series or the "
            "bundled catalogue)" for m in plan.metrics() for b in m.bounds
            if b.series not in context]
