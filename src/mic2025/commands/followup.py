"""The follow-up commands: ``midterm``, ``final``, ``bulletin``, ``adjust``, ``warnings``,
``supervision``, ``thirdparty`` (the machinery of 四(八) of 国发〔2015〕28号; library in
:mod:`mic2025.followup`).

::

    mic2025 midterm --year 2020 --out build/midterm
    mic2025 final --out build/final
    mic2025 bulletin --period 2024 --out build/bulletin
    mic2025 adjust propose --year 2025 --format json > proposals.json
    mic2025 adjust scenario --metric rd_intensity --target 2.0 --year 2025
    mic2025 adjust record --from proposals.json --out plan-2021.yaml --reason … --decided-by …
    mic2025 warnings --format table
    mic2025 supervision status --owner miit
    mic2025 --as cae thirdparty round create r2021 --as-of 2021-03-31

Supervision updates and third-party rounds and scores are kept in the store; the commands
that write them act as the account named by ``mic2025 --as USER`` (or ``MIC2025_ACTOR``),
through :mod:`mic2025.services.followup`, with that account's permissions and an audit entry
marked ``via`` ``cli``.

Exit status: 0 on success, 2 when mic2025 refuses the request (message on stderr).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from ..evaluate import default_method
from .common import db_option, fail_cleanly, parse_date, plan_option

F = TypeVar("F", bound=Callable[..., Any])

as_of_option = click.option("--as-of", "as_of", default=None,
                            help="Data vintage: what the store knew at the end of this date "
                                 "(or at this time-zoned instant); default: now.")
method_option = click.option("--method", default=default_method,
                             help="Progress method; default: the one `mic2025 methods` marks.")
format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]),
                             default="table", show_default=True)


@contextmanager
def _session(db: str | None, plan_file: str | None, *, write: bool = False
             ) -> Iterator[tuple[Any, Any]]:
    """The store (bundled evidence loaded) and the plan; ``write``: the command writes (a
    reader never migrates: :func:`.common.session`)."""
    from .common import session

    with session(db, plan_file, write=write) as pair:
        yield pair


@contextmanager
def _store(db: str | None, *, write: bool = False) -> Iterator[Any]:
    """The store alone, for the commands that only read or write follow-up records."""
    from ..store import open_store

    store = open_store(db, migrate=write)
    try:
        yield store
    finally:
        store.close()


def _as_of(value: str | None) -> datetime | None:
    from .common import parse_as_of

    return parse_as_of(value)


def _area_name(plan: Any) -> Any:
    from .common import area_name

    return area_name(plan.area)


# ---------------------------------------------------------------------------- documents

_doc_options = [
    click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
                 help="Folder for the documents."),
    click.option("--lang", "langs", type=click.Choice(["zh", "en"]), multiple=True,
                 help="Language(s); default both."),
    click.option("--doc-format", "formats", type=click.Choice(["docx", "pdf", "html"]),
                 multiple=True, help="Output format(s); default docx and pdf."),
    click.option("--number", "seq", type=int, default=1, show_default=True,
                 help="Sequence number in the document number (mic2025〔YEAR〕评估N号)."),
    click.option("--on", "on", default=None, help="Evaluate as on this date (default: today)."),
]


def _doc_opts(fn: F) -> F:
    for opt in reversed(_doc_options):
        fn = opt(fn)
    return fn


@click.command("midterm")
@db_option
@plan_option
@click.option("--year", type=int, required=True, help="The year whose targets are judged.")
@as_of_option
@method_option
@click.option("--charts", type=int, default=6, show_default=True,
              help="At most this many trend charts.")
@_doc_opts
@fail_cleanly
def midterm(db: str | None, plan_file: str | None, year: int, as_of: str | None, method: str,
            charts: int, out_dir: str, langs: tuple[str, ...], formats: tuple[str, ...],
            seq: int, on: str | None) -> None:
    """Mid-term evaluation (中期评估): Word and PDF in official layout."""
    from ..followup.final import period_over_error
    from ..followup.midterm import gather
    from ..report.midterm import build_midterm, write_documents

    with _session(db, plan_file) as (store, plan):
        over = period_over_error(plan.target_years, year, parse_date(on, "--on") or date.today(),
                                 "mid-term evaluation")
        if over is not None:
            raise over
        if year not in {t.year for m in plan.metrics() for t in m.targets}:
            raise click.BadParameter(f"the plan has no target for {year}", param_hint="--year")
        inp = gather(plan, store, as_of=_as_of(as_of), method=method,
                     evaluated_on=parse_date(on, "--on"), area_name=_area_name(plan))
    for lang in langs or ("zh", "en"):
        doc = build_midterm(inp, year=year, lang=lang, seq=seq, max_charts=charts)  # type: ignore[arg-type]
        for p in write_documents(doc, Path(out_dir), f"midterm-{year}", formats or ("docx", "pdf")):
            click.echo(f"written: {p}")


@click.command("final")
@db_option
@plan_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the documents.")
@as_of_option
@click.option("--lang", "lang", type=click.Choice(["zh", "en", "both"]), default="both",
              show_default=True, help="Language of the documents.")
@click.option("--doc-format", "formats", type=click.Choice(["docx", "pdf", "html"]),
              multiple=True, help="Output format(s); default docx and pdf.")
@click.option("--number", "seq", type=int, default=1, show_default=True,
              help="Sequence number in the document number (mic2025〔YEAR〕终评N号).")
@click.option("--on", "on", default=None,
              help="Evaluate as on this date (default: today); must be past the plan period.")
@method_option
@click.option("--charts", type=int, default=12, show_default=True,
              help="At most this many indicator charts.")
@fail_cleanly
def final(db: str | None, plan_file: str | None, out_dir: str, as_of: str | None, lang: str,
          formats: tuple[str, ...], seq: int, on: str | None, method: str, charts: int) -> None:
    """Final evaluation (终期评估) once the plan period is over: Word and PDF."""
    from ..followup.final import build
    from ..followup.midterm import gather
    from ..report.final import build_final
    from ..report.midterm import write_documents

    with _session(db, plan_file) as (store, plan):
        inp = gather(plan, store, as_of=_as_of(as_of), method=method,
                     evaluated_on=parse_date(on, "--on"), area_name=_area_name(plan))
    fe = build(inp)
    for language in (("zh", "en") if lang == "both" else (lang,)):
        doc = build_final(fe, lang=language, seq=seq, max_charts=charts)
        for p in write_documents(doc, Path(out_dir), "final", formats or ("docx", "pdf")):
            click.echo(f"written: {p}")


@click.command("bulletin")
@db_option
@plan_option
@click.option("--period", type=int, required=True, help="The monitoring period (a year).")
@as_of_option
@click.option("--since", default=None,
              help="Compare with the store at the end of this date; default: just before the "
                   "latest vintage.")
@method_option
@_doc_opts
@fail_cleanly
def bulletin(db: str | None, plan_file: str | None, period: int, as_of: str | None,
             since: str | None, method: str, out_dir: str, langs: tuple[str, ...],
             formats: tuple[str, ...], seq: int, on: str | None) -> None:
    """Periodic monitoring bulletin (监测通报): status, changes, new warnings."""
    from ..followup.midterm import gather
    from ..report.bulletin import build_bulletin
    from ..report.midterm import write_documents

    with _session(db, plan_file) as (store, plan):
        inp = gather(plan, store, as_of=_as_of(as_of), method=method,
                     evaluated_on=parse_date(on, "--on"), area_name=_area_name(plan))
        docs = [build_bulletin(inp, store, period=period, lang=lang, seq=seq,  # type: ignore[arg-type]
                               since=_as_of(since)) for lang in (langs or ("zh", "en"))]
    for doc in docs:
        for p in write_documents(doc, Path(out_dir), f"bulletin-{period}",
                                 formats or ("docx", "pdf")):
            click.echo(f"written: {p}")


# ---------------------------------------------------------------------------- adjust


@click.group("adjust")
def adjust() -> None:
    """Target adjustment (动态调整): proposals, pace scenarios, recorded plan versions."""


@adjust.command("propose")
@db_option
@plan_option
@click.option("--year", type=int, default=None, help="Target year; default the plan's last.")
@as_of_option
@method_option
@format_option
@click.option("--on", "on", default=None,
              help="Evaluate as on this date (default: today); past the plan period there is "
                   "nothing to adjust.")
@fail_cleanly
def adjust_propose(db: str | None, plan_file: str | None, year: int | None, as_of: str | None,
                   method: str, fmt: str, on: str | None) -> None:
    """What the evidence says about each target, with raised or attainable proposals."""
    from ..followup.adjust import propose
    from ..followup.common import now_utc
    from ..followup.final import period_over_error
    from ..i18n import code_label

    with _session(db, plan_file) as (store, plan):
        day = parse_date(on, "--on") or date.today()
        over = period_over_error(plan.target_years, year or max(plan.target_years), day,
                                 "target adjustment")
        if over is not None:
            raise over
        at = _as_of(as_of) or now_utc()  # after the session has loaded the bundled evidence
        ps = propose(plan, store.observations(as_of=at), year=year, method=method, as_of=at,
                     evaluated_on=day)
    if fmt == "json":
        click.echo(ps.model_dump_json(indent=2))
        return
    from ..report.fmt import probability

    click.echo(f"{ps.plan} {ps.plan_version} — {ps.target_year} targets — data as of "
               f"{ps.as_of:%Y-%m-%d %H:%M} UTC — {ps.method}")
    for p in ps.proposals:
        prob = probability(p.probability)
        new = "" if p.proposed_plan_value is None else (
            f" → {p.proposed_plan_value:g} (P={probability(p.proposed_probability)})"
            if p.proposed_probability is not None else f" → {p.proposed_plan_value:g}")
        click.echo(f"{p.metric:32} {p.plan_value:>8g}  P={prob:>5}  "
                   f"{code_label('evidence', p.evidence, 'en'):22} "
                   f"{code_label('action', p.action, 'en')}{new}")


@adjust.command("scenario")
@db_option
@plan_option
@click.option("--metric", required=True, help="Metric id (see `mic2025 plan show`).")
@click.option("--target", "target", type=float, required=True,
              help="Target value, in the terms of the metric's target (a level, points or "
                   "percent against the base year, or an average growth rate).")
@click.option("--year", type=int, default=2025, show_default=True, help="Target year.")
@as_of_option
@format_option
@fail_cleanly
def adjust_scenario(db: str | None, plan_file: str | None, metric: str, target: float,
                    year: int, as_of: str | None, fmt: str) -> None:
    """The pace needed from the latest figure to reach a value by a year."""
    from ..followup.adjust import scenario

    with _session(db, plan_file) as (store, plan):
        sc = scenario(plan, store.observations(as_of=_as_of(as_of)), metric, target, year)
    if fmt == "json":
        click.echo(sc.model_dump_json(indent=2))
        return
    for k, v in sc.model_dump(mode="json", exclude={"projection", "name"}).items():
        click.echo(f"{k:>18}: {v}")
    if sc.projection is not None:
        pr = sc.projection
        click.echo(f"{'projection':>18}: {pr.value} [{pr.lower}, {pr.upper}] at {pr.year}")


@adjust.command("record")
@click.option("--from", "from_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="A proposal set from `mic2025 adjust propose --format json`.")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False),
              help="The new plan version to write (YAML).")
@click.option("--reason", required=True, help="Why the targets are adjusted.")
@click.option("--decided-by", "decided_by", required=True, help="Who decided.")
@click.option("--decided-on", "decided_on", default=None, help="Date of the decision (default "
              "today).")
@click.option("--plan-version", "version", default=None,
              help="Version of the new plan (default: the old version +adj.DATE).")
@click.option("--metric", "metrics", multiple=True,
              help="Adopt only the proposals of this metric (repeatable).")
@click.option("--parent", default=None,
              help="The plan the new version extends (bundled id or path); default the "
                   "proposals' plan id.")
@fail_cleanly
def adjust_record(from_file: str, out_file: str, reason: str, decided_by: str,
                  decided_on: str | None, version: str | None, metrics: tuple[str, ...],
                  parent: str | None) -> None:
    """Record decided adjustments as a new plan version that extends the old one."""
    from ..followup.adjust import read_proposals, record

    ps, sha = read_proposals(Path(from_file))
    out = record(ps, out=Path(out_file), reason=reason, decided_by=decided_by,
                 decided_on=parse_date(decided_on, "--decided-on"), version=version,
                 metrics=metrics or None, parent=parent, proposals_sha256=sha)
    click.echo(f"new plan version written: {out}")


# ---------------------------------------------------------------------------- warnings


@click.command("warnings")
@db_option
@plan_option
@click.option("--rules", "rules_file", default=None, type=click.Path(dir_okay=False),
              help="Rule file (YAML); default: the bundled plans/warnings.yaml.")
@as_of_option
@method_option
@format_option
@click.option("--notify", is_flag=True,
              help="Also e-mail the warnings through MIC2025_SMTP_URL.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@fail_cleanly
def warnings_cmd(db: str | None, plan_file: str | None, rules_file: str | None,
                 as_of: str | None, method: str, fmt: str, notify: bool, lang: str) -> None:
    """Early warnings (预警) raised by the rules, with their owners."""
    from ..followup import warn

    rules = warn.load_rules(rules_file)
    with _session(db, plan_file) as (store, plan):
        for problem in warn.check_rules(rules, plan):
            click.echo(f"note: {problem}", err=True)
        ws = warn.evaluate_rules(plan, store, rules, as_of=_as_of(as_of), method=method)
    if fmt == "json":
        click.echo(json.dumps([w.model_dump(mode="json") for w in ws], ensure_ascii=False,
                              indent=2))
    else:
        click.echo(warn.format_warnings(ws, lang) if ws else "no warnings")
    if notify:
        n = warn.notify(ws, lang=lang)
        click.echo(f"{n} message(s) e-mailed, one per owner" if n else "nothing e-mailed", err=True)


# ---------------------------------------------------------------------------- supervision


@click.group("supervision")
def supervision() -> None:
    """Supervision of tasks and projects (督促检查): status, overdue, stocktake, updates."""


_sup_options = [
    db_option, plan_option,
    click.option("--file", "seed_file", default=None, type=click.Path(dir_okay=False),
                 help="Supervision seed file; default: plans/supervision_<plan>.yaml."),
    click.option("--owner", default=None, help="Only this responsible body (id or name)."),
    click.option("--on", "on", default=None, help="As on this date (default today)."),
    format_option,
    click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True),
]


def _sup_opts(fn: F) -> F:
    for opt in reversed(_sup_options):
        fn = opt(fn)
    return fn


def _states(db: str | None, plan_file: str | None, seed_file: str | None,
            on: str | None) -> tuple[Any, list[Any]]:
    from ..evaluate.engine import evaluate
    from ..followup import supervision as sv

    with _session(db, plan_file) as (store, plan):
        seed = sv.load_supervision(seed_file, plan)
        ev = evaluate(plan, store.observations(area=plan.area), area=plan.area)
        updates = sv.read_updates(store)
    day = parse_date(on, "--on")
    return seed, sv.states(seed, updates, on=day, evaluation=ev, plan=plan)


def _print_states(seed: Any, items: list[Any], fmt: str, lang: str) -> None:
    from ..followup.supervision import state_dict
    from ..i18n import code_label, pick, t

    if fmt == "json":
        click.echo(json.dumps([state_dict(s, seed) for s in items], ensure_ascii=False,
                              indent=2, default=str))
        return
    language = pick(lang) or "zh"
    for s in items:
        m = s.milestone
        flag = t("cli.overdue", language) if s.overdue else (
            t("cli.at_risk", language) if s.at_risk else "")
        click.echo(f"{m.id:30} {m.due}  {code_label('milestone_status', s.status, language):12} "
                   f"{seed.body(m.owner).name.get(lang)}{flag}")
        click.echo(f"{'':30} {m.title.get(lang)}")


@supervision.command("status")
@_sup_opts
@fail_cleanly
def supervision_status(db: str | None, plan_file: str | None, seed_file: str | None,
                       owner: str | None, on: str | None, fmt: str, lang: str) -> None:
    """Every milestone with its owner, due date and status."""
    from ..followup.supervision import filter_owner

    seed, items = _states(db, plan_file, seed_file, on)
    _print_states(seed, filter_owner(seed, items, owner), fmt, lang)


@supervision.command("overdue")
@_sup_opts
@fail_cleanly
def supervision_overdue(db: str | None, plan_file: str | None, seed_file: str | None,
                        owner: str | None, on: str | None, fmt: str, lang: str) -> None:
    """Overdue milestones, then those at risk."""
    from ..followup.supervision import filter_owner

    seed, items = _states(db, plan_file, seed_file, on)
    mine = filter_owner(seed, items, owner)
    _print_states(seed, [s for s in mine if s.overdue] + [s for s in mine if s.at_risk],
                  fmt, lang)


@supervision.command("stocktake")
@_sup_opts
@fail_cleanly
def supervision_stocktake(db: str | None, plan_file: str | None, seed_file: str | None,
                          owner: str | None, on: str | None, fmt: str, lang: str) -> None:
    """Per responsible body: milestones by status, overdue, at risk."""
    from ..followup.supervision import stocktake
    from ..i18n import pick, t

    language = pick(lang) or "zh"
    seed, items = _states(db, plan_file, seed_file, on)
    rows = stocktake(seed, items, owner)
    if fmt == "json":
        click.echo(json.dumps([{**r, "name": r["name"].model_dump()} for r in rows],
                              ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(t("cli.stocktake", language, name=r["name"].get(language), owner=r["owner"],
                     milestones=r["milestones"], completed=r["completed"],
                     in_progress=r["in_progress"], delayed=r["delayed"],
                     overdue=len(r["overdue"]), at_risk=len(r["at_risk"]),
                     co_owned=r["co_owned"]))
        for i in r["overdue"]:
            click.echo(t("cli.overdue_item", language, item=i))
        for i in r["at_risk"]:
            click.echo(t("cli.at_risk_item", language, item=i))


@supervision.command("update")
@click.argument("item")
@db_option
@plan_option
@click.option("--file", "seed_file", default=None, type=click.Path(dir_okay=False),
              help="Supervision seed file; default: plans/supervision_<plan>.yaml.")
@click.option("--status", required=True,
              type=click.Choice(["not_started", "in_progress", "completed", "delayed"]))
@click.option("--comment", required=True, help="What happened (the commentary).")
@click.option("--evidence", multiple=True, help="A link or document reference (repeatable).")
@fail_cleanly
def supervision_update(item: str, db: str | None, plan_file: str | None,
                       seed_file: str | None, status: str, comment: str,
                       evidence: tuple[str, ...]) -> None:
    """Append a status update to the store's update log, reported by the account named by
    `mic2025 --as USER` (an administrator, or an editor of the milestone's owner)."""
    from ..followup import supervision as sv
    from ..plan import load_plan
    from ..services.followup import update_milestone
    from .common import cli_actor

    plan = load_plan(plan_file)
    seed = sv.load_supervision(seed_file, plan)
    path = Path(seed_file) if seed_file else sv.bundled_path(plan.id)
    with _store(db, write=True) as store:
        u = update_milestone(store, cli_actor(store), seed, path, item, status=status,
                             comment=comment, evidence=evidence)
    click.echo(f"{u.item}: {u.status} by {u.by} at {u.at.isoformat()}")


@supervision.command("history")
@click.argument("item")
@db_option
@fail_cleanly
def supervision_history(item: str, db: str | None) -> None:
    """Every update of one milestone, oldest first."""
    from ..followup.supervision import read_updates

    with _store(db) as store:
        updates = read_updates(store, item)
    for u in updates:
        click.echo(f"{u.at.isoformat()}  {u.status:12} {u.by}: {u.comment}")


# ---------------------------------------------------------------------------- third party


@click.group("thirdparty")
def thirdparty() -> None:
    """Third-party evaluation (第三方评价): rounds on a frozen vintage, scores, agreement."""


@thirdparty.group("round")
def round_() -> None:
    """Create a round, score it, read its results."""


@round_.command("create")
@click.argument("round_id")
@db_option
@plan_option
@click.option("--as-of", "as_of", required=True,
              help="The data vintage the round is frozen on (date or time-zoned instant).")
@click.option("--title", default="", help="A title for the round.")
@click.option("--rubric", "rubric_file", default=None, type=click.Path(dir_okay=False),
              help="Rubric file (YAML); default: plans/rubric_<plan>.yaml.")
@method_option
@fail_cleanly
def round_create(round_id: str, db: str | None, plan_file: str | None, as_of: str,
                 title: str, rubric_file: str | None, method: str) -> None:
    """Freeze a round on a data vintage (the as-of instant is recorded), created by the
    account named by `mic2025 --as USER` (an administrator)."""
    from ..followup.thirdparty import bundled_rubric_path
    from ..services.followup import create_round
    from .common import cli_actor

    at = _as_of(as_of)
    assert at is not None
    with _session(db, plan_file, write=True) as (store, plan):
        rubric = rubric_file or str(bundled_rubric_path(plan.id))
        rnd = create_round(store, plan, cli_actor(store), round_id, as_of=at, title=title,
                           rubric_path=rubric, method=method)
    click.echo(f"round {rnd.id}: frozen on {rnd.as_of.isoformat()}, {len(rnd.items)} items, "
               f"rubric {rnd.rubric.id} {rnd.rubric.version}")


@round_.command("score")
@click.argument("round_id")
@db_option
@click.option("--item", required=True, help="Indicator or task id.")
@click.option("--criterion", required=True, help="Criterion id of the rubric.")
@click.option("--score", "score", type=int, required=True, help="A value on the rubric's scale.")
@click.option("--comment", default="", help="The evaluator's reasoning.")
@fail_cleanly
def round_score(round_id: str, db: str | None, item: str, criterion: str, score: int,
                comment: str) -> None:
    """Record one score of the evaluator named by `mic2025 --as USER` (a later score by the
    same evaluator supersedes)."""
    from ..services.followup import add_score
    from .common import cli_actor

    with _store(db, write=True) as store:
        s = add_score(store, cli_actor(store), round_id, item=item, criterion=criterion,
                      score=score, comment=comment)
    click.echo(f"{s.round}: {s.evaluator} scored {s.item}/{s.criterion} = {s.score}")


@round_.command("results")
@click.argument("round_id")
@db_option
@plan_option
@click.option("--threshold", type=int, default=2, show_default=True,
              help="Flag items whose scores spread more than this.")
@click.option("--check", is_flag=True,
              help="Re-run the evaluation on the frozen vintage and compare.")
@format_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@fail_cleanly
def round_results(round_id: str, db: str | None, plan_file: str | None, threshold: int,
                  check: bool, fmt: str, lang: str) -> None:
    """Krippendorff's alpha per criterion, item scores and disagreements."""
    from ..followup.thirdparty import check_reproducible, results

    diffs: list[str] = []
    if check:
        with _session(db, plan_file) as (store, plan):
            res = results(store, round_id, threshold=threshold)
            diffs = check_reproducible(store, round_id, plan)
    else:
        with _store(db) as store:
            res = results(store, round_id, threshold=threshold)
    if fmt == "json":
        out = res.model_dump(mode="json")
        if check:
            out["reproducible"] = not diffs
            out["differences"] = diffs
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        click.echo(f"round {res.round}, frozen on {res.as_of.isoformat()}, {res.rubric}")
        for c in res.criteria:
            ao = "—" if c.alpha_ordinal is None else f"{c.alpha_ordinal:.3f}"
            ai = "—" if c.alpha_interval is None else f"{c.alpha_interval:.3f}"
            click.echo(f"  {c.criterion}: {len(c.evaluators)} evaluators, {c.units} units, "
                       f"alpha ordinal {ao}, interval {ai}")
        for i in res.items:
            if i.disagreement:
                click.echo(f"  disagreement: {i.item}/{i.criterion} {i.scores} "
                           f"(spread {i.spread})")
        if check:
            click.echo("reproducible: yes" if not diffs else "reproducible: NO\n  "
                       + "\n  ".join(diffs))
    if check and diffs:
        sys.exit(1)
