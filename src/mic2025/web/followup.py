"""The follow-up machinery on the platform: early warnings, supervision, third-party rounds
and the mid-term evaluation, on the library :mod:`mic2025.followup`.

Supervision updates and third-party rounds and scores are kept in the store
(:mod:`mic2025.store.followup`), so every worker on every host sees the same records. Every
write goes through :mod:`mic2025.services.followup`: checked, and written with its audit
entry in one writer transaction. The follow-up folder (``--followup-dir``,
:func:`mic2025.followup.common.followup_dir`) only holds the generated mid-term documents
(``web-cache/``, a cache local to each host).

Warnings are evaluated after every approval that writes a vintage
(:func:`mic2025.followup.warn.after_import`, with the platform's cached evaluation), and
the new ones are e-mailed when ``MIC2025_SMTP_URL`` is set, each to its owner's addresses
in the owner directory (:func:`mic2025.followup.warn.load_owners`, loaded once at start).
Approvals that arrive while the rules are being evaluated are evaluated together next, as
one import of everything they wrote (:meth:`FollowUp.after_approval`); warnings raised are
recorded in the store (``raised_warning``), which every worker's warnings page reads.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..facts import load_facts
from ..followup import coverage, final, midterm, supervision, thirdparty, warn
from ..followup.common import FollowupError
from ..permissions import Actor
from ..report import final as final_document
from ..report import midterm as midterm_document
from ..services import followup as writes
from ..store import EvaluationRound
from ..store.repo import ImportResult, Store
from .data import Platform, today

log = logging.getLogger("mic2025.web.followup")
DOC_FORMATS = ("docx", "pdf")
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class Raised:
    """Warnings raised by the approval of some vintages, as the warnings page lists them."""

    at: datetime
    vintages: tuple[int, ...]
    warnings: tuple[warn.EarlyWarning, ...]


@dataclass(frozen=True)
class _Approved:
    """Approvals evaluated together, as one import (what
    :func:`mic2025.followup.warn.after_import` reads of an import's result): written from
    ``created_at`` on (the earliest vintage's time), the pairs all of them wrote, or ``None``
    when one of them did not say what it wrote (then every rule is run)."""

    created_at: datetime
    written: frozenset[tuple[str, str]] | None
    vintages: tuple[int, ...]
    unchanged: bool = False


def _together(results: list[ImportResult]) -> _Approved | None:
    done = [r for r in results if not r.unchanged and r.created_at is not None]
    if not done:
        return None
    written: frozenset[tuple[str, str]] | None = frozenset()
    for r in done:
        written = None if written is None or not r.written else written | r.written
    return _Approved(created_at=min(r.created_at for r in done if r.created_at is not None),
                     written=written,
                     vintages=tuple(sorted(r.vintage for r in done if r.vintage is not None)))


class FollowUp:
    """The follow-up records of one platform, and the warnings of each data vintage.

    ``folder`` holds the generated documents (``web-cache/``); the records are in the store.
    """

    def __init__(self, platform: Platform, folder: Path, *,
                 rules_path: str | Path | None = None,
                 owners_path: str | Path | None = None) -> None:
        self.platform = platform
        self.folder = folder
        self.rules = warn.load_rules(rules_path)
        plan = platform.plan
        self.owners_path = warn.owners_path(owners_path, plan.id)
        self.owners = warn.load_owners(self.owners_path)
        self.seed_path = supervision.bundled_path(plan.id)
        self.seed: supervision.SupervisionFile | None
        try:
            self.seed = supervision.load_supervision(self.seed_path, plan)
        except FollowupError:
            self.seed = None  # a plan without a supervision file: no supervision pages
        self.cache_dir = folder / "web-cache"
        self._waiting: list[ImportResult] = []  # approvals for the next evaluation
        self._evaluating = False
        self._turn = threading.Lock()
        self._memo: warn.WarningsMemo = {}  # one evaluation's "after", the next's "before"

    @property
    def store(self) -> Store:
        """The store that keeps the follow-up records (the platform's)."""
        return self.platform.store

    # ------------------------------------------------------------------ warnings

    def warnings(self, as_of: datetime | None = None) -> list[warn.EarlyWarning]:
        """The warnings in force on the data of ``as_of`` (default now), cached per vintage."""
        p = self.platform
        vintage = p.latest_vintage() if as_of is None else p.vintage_at(as_of)

        def compute() -> list[warn.EarlyWarning]:
            ev = p.evaluation(p.plan.area) if as_of is None else None
            return warn.evaluate_rules(p.plan, p.store, self.rules, as_of=as_of, evaluation=ev)

        return p.cached(("warnings", p.plan.id, p.plan.version, vintage, today()), compute)

    def after_approval(self, result: ImportResult) -> list[warn.EarlyWarning]:
        """The followup hook, where an approval has written a vintage: the warnings it
        raised (recorded, and e-mailed where configured).

        One evaluation runs at a time. An approval arriving meanwhile waits for the next,
        which takes every approval that arrived, as one import from the earliest one's
        vintage on: the rules run once for all of them (under sustained approvals the hook
        cost a writer a third of its interpreter), and a warning raised and cleared again
        among them is not raised. The thread that runs an evaluation runs the next ones too;
        an approval left to it returns ``[]`` here."""
        with self._turn:
            self._waiting.append(result)
            if self._evaluating:
                return []
            self._evaluating = True
        fresh: list[warn.EarlyWarning] = []
        try:
            while True:
                with self._turn:
                    batch, self._waiting = self._waiting, []
                    if not batch:
                        return fresh
                fresh += self._raise(batch)
        finally:
            with self._turn:
                self._evaluating = False

    def _raise(self, batch: list[ImportResult]) -> list[warn.EarlyWarning]:
        approved = _together(batch)
        if approved is None:
            return []
        p = self.platform
        # the rules the vintages can have changed, on their own indicators' figures (the
        # warnings page evaluates every rule when it is read)
        fresh = warn.after_import(p.store, p.plan, approved, echo=log.info,
                                  warnings_at=self.warnings, owners=self.owners,
                                  rules=self.rules,
                                  evaluation_at=lambda as_of: p.evaluation(p.plan.area,
                                                                           as_of=as_of),
                                  memo=self._memo, vintage_at=self._vintage_at)
        if fresh:
            p.store.append_raised(vintages=approved.vintages,
                                  warnings=[w.model_dump(mode="json") for w in fresh])
        return fresh

    def _vintage_at(self, as_of: datetime | None) -> int:
        p = self.platform
        return p.vintages.latest() if as_of is None else p.vintage_at(as_of)

    def raised(self, limit: int = 5) -> list[Raised]:
        """The latest warnings raised by approvals (whichever process ran them), newest
        first."""
        return [Raised(r.at, r.vintages, tuple(warn.EarlyWarning.model_validate(w)
                                                for w in r.warnings))
                for r in self.store.raised(limit)]

    # ------------------------------------------------------------------ supervision

    def required_seed(self) -> supervision.SupervisionFile:
        """The plan's supervision file; a :class:`FollowupError` (in the reader's language)
        where the plan has none."""
        if self.seed is None:
            raise FollowupError(
                f"the plan {self.platform.plan.id!r} has no supervision file").saying(
                    "error.no_supervision_file")
        return self.seed

    def states(self) -> list[supervision.ItemState]:
        seed = self.required_seed()
        updates = supervision.read_updates(self.store)
        ev = self.platform.evaluation(self.platform.plan.area)
        return supervision.states(seed, updates, on=today(), evaluation=ev,
                                 plan=self.platform.plan)

    def coverage(self) -> list[coverage.Judged]:
        """Every commitment of the plan judged on today's evidence and reports."""
        plan = self.platform.plan
        ev = self.platform.evaluation(plan.area)
        states = self.states() if self.seed is not None else []
        return coverage.judge(plan, ev, load_facts(), states, on=today(),
                              observations=self.store.observations(area=plan.area))

    def history(self, item: str) -> list[supervision.Update]:
        """Every update of one milestone, oldest first."""
        self.required_seed().item(item)
        return supervision.read_updates(self.store, item)

    def update(self, actor: Actor, item: str, *, status: str, comment: str,
               evidence: list[str], ip: str = "") -> supervision.Update:
        return writes.update_milestone(self.store, actor, self.required_seed(), self.seed_path,
                                       item, status=status, comment=comment,
                                       evidence=evidence, ip=ip)

    # ------------------------------------------------------------------ third party

    def rounds(self) -> list[thirdparty.Round]:
        return [thirdparty.load_round(self.store, r) for r in thirdparty.list_rounds(self.store)]

    def round_records(self) -> list[EvaluationRound]:
        """The stored rounds (header and frozen document): what the API lists."""
        return thirdparty.round_records(self.store)

    def round_record(self, round_id: str) -> EvaluationRound:
        rec = self.store.round(round_id)
        if rec is None:
            raise FollowupError(f"no round {round_id!r} in the store").saying(
                "error.no_round", round=round_id)
        return rec

    def create_round(self, actor: Actor, round_id: str, *, as_of: datetime, title: str = "",
                     ip: str = "") -> thirdparty.Round:
        p = self.platform
        return writes.create_round(p.store, p.plan, actor, round_id, as_of=as_of, title=title,
                                   ip=ip)

    def close_round(self, actor: Actor, round_id: str, *, comment: str = "",
                    ip: str = "") -> EvaluationRound:
        return writes.close_round(self.store, actor, round_id, comment=comment, ip=ip)

    def score(self, actor: Actor, round_id: str, *, item: str, criterion: str, score: int,
              comment: str = "", ip: str = "") -> thirdparty.Score:
        return writes.add_score(self.store, actor, round_id, item=item, criterion=criterion,
                                score=score, comment=comment, ip=ip)

    # ------------------------------------------------------------------ mid-term

    def midterm_rows(self, year: int) -> list[dict[str, Any]]:
        """The year's verdicts, one row per target of that year."""
        p = self.platform
        if year not in p.plan.target_years:
            years = ", ".join(map(str, p.plan.target_years))
            raise FollowupError(f"{year} is not a target year of the plan ({years})").saying(
                "error.not_target_year", year=year, years=years)
        ev = p.evaluation(p.plan.area)
        rows = []
        for m, tr in midterm.metric_targets(ev, year):
            pts = midterm.verdict_point(tr)
            rows.append({"metric": m, "target": tr, "point": pts[0] if pts else None})
        return rows

    def midterm_document(self, year: int, lang: str, fmt: str) -> Path:
        """The mid-term document, generated on demand and kept per data vintage."""
        if fmt not in DOC_FORMATS:
            raise FollowupError(f"format {fmt!r}: one of {', '.join(DOC_FORMATS)}").saying(
                "error.doc_format", format=fmt, formats=", ".join(DOC_FORMATS))
        if lang not in ("zh", "en"):
            raise FollowupError(f"language {lang!r}: zh or en").saying("error.doc_lang", lang=lang)
        self.midterm_rows(year)  # checks the year
        p = self.platform
        stamp = self.store.followup_counts()["supervision_updates"]  # rows are only added
        state = (p.plan.id, p.plan.version, p.latest_vintage(), today().isoformat(), stamp)
        digest = hashlib.sha256(repr(state).encode()).hexdigest()[:16]
        path = self.cache_dir / "midterm" / f"midterm-{year}-{digest}-{lang}.{fmt}"

        def make() -> Path:
            if path.exists():
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            inp = midterm.gather(p.plan, p.store)
            doc = midterm_document.build_midterm(inp, year=year, lang=lang)  # type: ignore[arg-type]
            tmp = path.parent / f".{digest}.tmp"
            tmp.mkdir(exist_ok=True)
            made = midterm_document.write_documents(doc, tmp, f"midterm-{year}", (fmt,))[0]
            made.replace(path)
            return path

        return p.cached(("midterm", year, lang, fmt, digest), make)

    # ------------------------------------------------------------------ final evaluation

    def final_rows(self) -> tuple[bool, list[final.FinalTarget]]:
        """Whether the plan period is over, and every target with its final verdict."""
        p = self.platform
        last = max(p.plan.target_years)
        ev = p.evaluation(p.plan.area)
        over = ev.evaluated_on > date(last, 12, 31)
        return over, [final.judge(m, tr) for m in ev.results for tr in m.targets]

    def final_document(self, lang: str, fmt: str) -> Path:
        """The final evaluation, generated on demand and kept per data vintage; refused
        (:class:`FollowupError`) while the plan period runs."""
        if fmt not in DOC_FORMATS:
            raise FollowupError(f"format {fmt!r}: one of {', '.join(DOC_FORMATS)}").saying(
                "error.doc_format", format=fmt, formats=", ".join(DOC_FORMATS))
        if lang not in ("zh", "en"):
            raise FollowupError(f"language {lang!r}: zh or en").saying("error.doc_lang", lang=lang)
        p = self.platform
        state = (p.plan.id, p.plan.version, p.latest_vintage(), today().isoformat())
        digest = hashlib.sha256(repr(state).encode()).hexdigest()[:16]
        path = self.cache_dir / "final" / f"final-{digest}-{lang}.{fmt}"

        def make() -> Path:
            if path.exists():
                return path
            fe = final.build(midterm.gather(p.plan, p.store))
            path.parent.mkdir(parents=True, exist_ok=True)
            doc = final_document.build_final(fe, lang=lang)  # type: ignore[arg-type]
            tmp = path.parent / f".{digest}.tmp"
            tmp.mkdir(exist_ok=True)
            made = midterm_document.write_documents(doc, tmp, "final", (fmt,))[0]
            made.replace(path)
            return path

        return p.cached(("final", lang, fmt, digest), make)
