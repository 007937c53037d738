"""What the reading pages derive from the store: the leader's one-page view and the province
list with its status and map.

What rests on the figures is computed once per data vintage (:meth:`Platform.cached` under
:meth:`Platform.state_key`); the submissions' states and the deadlines are read on every
request (one query each), since submitting or returning writes no vintage.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from .. import reference
from ..evaluate.model import Evaluation, TargetResult
from ..followup.gaps import ReportingRow, reporting_status
from ..followup.warn import EarlyWarning, by_urgency, new_warnings
from ..i18n import Lang, t
from ..permissions import Actor, Resource, allowed
from ..plan import Text
from ..report.html import verdict_counts
from ..store import summaries
from ..store.summaries import VintageLine
from .charts import FONT
from .data import Platform, map_name, provinces, today

#: how many warnings the leader's page lists (the most urgent first; the rest are a link away)
RISKS_SHOWN = 8
#: provinces with no provincial reporting round (Taiwan, Hong Kong, Macao)
NO_ROUND = ("71", "81", "82")
#: a submission step that counts as "in" for a deadline
HANDED_IN = ("submitted", "approved")


def state_of(tr: TargetResult) -> tuple[str, str]:
    """What a target's cell shows: the verdict once its year is over, the status before."""
    return ("status", tr.assessment.status) if tr.verdict == "open" else ("verdict", tr.verdict)


@dataclass(frozen=True)
class Change:
    """A target whose state moved with the latest vintage."""

    metric: str
    name: Text
    target_year: int
    before: tuple[str, str] | None
    after: tuple[str, str]


@dataclass(frozen=True)
class Deadline:
    year: int
    area: str          # blank: every province
    due: date
    outstanding: tuple[str, ...]   # provinces due that have handed nothing in


@dataclass(frozen=True)
class LeaderView:
    verdicts: list[tuple[str, int]]
    statuses: list[tuple[str, int]]
    risks: list[EarlyWarning]
    risk_levels: list[tuple[str, int]]
    risks_total: int
    latest: VintageLine | None
    previous: VintageLine | None
    changes: list[Change]
    new_risks: list[EarlyWarning]
    deadlines: list[Deadline]
    publications: list[ReportingRow]
    evaluation: Evaluation = field(repr=False)


def leader_view(p: Platform) -> LeaderView:
    view = p.cached(("leader", *p.state_key()), lambda: _leader_view(p))
    dues = [Deadline(year, area, due, _outstanding(p, year, area))
            for year, area, due in summaries.upcoming_deadlines(p.engine, today())]
    return replace(view, deadlines=dues)


def _leader_view(p: Platform) -> LeaderView:
    from ..followup.warn import SEVERITIES

    ev = p.evaluation()
    warnings = p.followup.warnings() if p.followup is not None else []
    ranked = by_urgency(warnings)
    open_states: list[str] = [tr.assessment.status for m in ev.results for tr in m.targets
                   if tr.verdict == "open"]
    statuses = [(s, open_states.count(s)) for s in dict.fromkeys(open_states)]
    vintages = summaries.recent_vintages(p.engine, 2)
    latest = vintages[0] if vintages else None
    previous = vintages[1] if len(vintages) > 1 else None
    changes: list[Change] = []
    fresh: list[EarlyWarning] = []
    if latest is not None and previous is not None:
        # the store as it stood just before the latest vintage: the previous vintage's view
        before_at = latest.created_at - timedelta(microseconds=1)
        changes = _changes(p.evaluation(as_of=before_at), ev)
        if p.followup is not None:
            fresh = by_urgency(new_warnings(p.followup.warnings(before_at), warnings))
    day = today()
    publications = sorted((r for r in reporting_status(p.plan, ev)
                           if r.status == "awaiting" and r.due_date >= day),
                          key=lambda r: r.due_date)[:5]
    return LeaderView(
        verdicts=verdict_counts(ev), statuses=statuses, risks=ranked[:RISKS_SHOWN],
        risk_levels=[(s, sum(w.severity == s for w in warnings)) for s in reversed(SEVERITIES)],
        risks_total=len(warnings), latest=latest, previous=previous, changes=changes,
        new_risks=fresh, deadlines=[], publications=publications, evaluation=ev)


def _changes(before: Evaluation, after: Evaluation) -> list[Change]:
    was = {(m.metric, tr.target_year): state_of(tr) for m in before.results for tr in m.targets}
    out = []
    for m in after.results:
        for tr in m.targets:
            old, new = was.get((m.metric, tr.target_year)), state_of(tr)
            if old != new:
                out.append(Change(m.metric, m.name, tr.target_year, old, new))
    return out


def reporting_provinces() -> list[reference.Code]:
    return [c for c in provinces() if c.code[:2] not in NO_ROUND]


def _outstanding(p: Platform, year: int, area: str) -> tuple[str, ...]:
    due = [c.code for c in reporting_provinces() if not area or c.code == area]
    latest = summaries.submission_states(p.engine, year)
    return tuple(code for code in due if latest.get(code) not in HANDED_IN)


# ---------------------------------------------------------------------------- province list


@dataclass(frozen=True)
class ProvinceLine:
    code: str
    name: Text
    #: the latest year the store holds figures of, and of how many indicators
    latest_year: int | None
    figures: int
    #: the latest submission's state for the chosen year, ``missing``, or ``None`` when the
    #: province has no reporting round
    status: str | None
    due: date | None


def province_lines(p: Platform, year: int) -> list[ProvinceLine]:
    counts = p.cached(("figures_by_area_year", *p.state_key()),
                      lambda: summaries.figures_by_area_year(p.engine))
    latest = summaries.submission_states(p.engine, year)
    dues = summaries.year_deadlines(p.engine, year)
    out = []
    for c in provinces():
        years = counts.get(c.code, {})
        last = max(years) if years else None
        rounds = c.code[:2] not in NO_ROUND
        out.append(ProvinceLine(
            c.code, Text(zh=c.name_zh, en=c.name_en), last, years.get(last, 0) if last else 0,
            latest.get(c.code, "missing") if rounds else None,
            dues.get(c.code, dues.get("")) if rounds else None))
    return out


def default_year(p: Platform) -> int:
    """The reporting year a list shows by default: the latest one with a deadline, else last
    calendar year (the year a round in progress reports on)."""
    dues = summaries.upcoming_deadlines(p.engine, date.min, n=1_000)
    return max((y for y, _, _ in dues), default=today().year - 1)


def visible_status(actor: Actor, line: ProvinceLine) -> bool:
    """Whether ``actor`` may see the province's submission status (the deadlines board's
    permission: a province's own staff see theirs, national roles every one)."""
    return line.status is not None and allowed(actor, "board:read",
                                               Resource("board", area=line.code))


def status_map(lines: list[ProvinceLine], lang: Lang) -> dict[str, Any]:
    """A map of China coloured by how many indicators each province has figures of in its
    latest year (the list beside it gives the submission status)."""
    data = [{"name": line.name.get(lang) if lang == "en" else map_name(line.code),
             "value": line.figures} for line in lines]
    hi = max((line.figures for line in lines), default=0) or 1
    return {
        "textStyle": {"fontFamily": FONT},
        "tooltip": {"trigger": "item", "formatter": t("provinces.map_tooltip", lang)},
        "visualMap": {"min": 0, "max": hi, "left": 0, "bottom": 10, "calculable": True,
                      "text": [t("provinces.figures_more", lang),
                               t("provinces.figures_fewer", lang)],
                      "inRange": {"color": ["#f2f2f2", "#0b5cad"]}},
        "series": [{
            "type": "map", "map": "china", "roam": False,
            "nameMap": {map_name(x.code): x.name.get(lang) for x in lines}
            if lang == "en" else {},
            "label": {"show": False}, "emphasis": {"label": {"show": True}},
            "itemStyle": {"areaColor": "#f2f2f2", "borderColor": "#999999"},
            "data": data,
        }],
    }
