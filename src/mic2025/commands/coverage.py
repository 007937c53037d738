"""``mic2025 coverage``: every checkable commitment of the plan, how it is judged, its status."""

from __future__ import annotations

import json

import click

from .common import db_option, fail_cleanly, plan_option


@click.command("coverage")
@db_option
@plan_option
@click.option("--on", "on", default=None, help="As on this date (default today), YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True,
              help="json: one record per commitment (id, kind, sector, judged_from, status…).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@fail_cleanly
def coverage(db: str | None, plan_file: str | None, on: str | None, fmt: str,
             lang: str) -> None:
    """Every commitment of the plan with how it is judged and its status, and totals."""
    from ..evaluate.engine import evaluate
    from ..facts import load_facts
    from ..followup import coverage as cov
    from ..followup import supervision as sv
    from ..i18n import code_label, pick, t
    from .common import parse_date, session

    day = parse_date(on, "--on")
    with session(db, plan_file) as (store, plan):
        figures = store.observations(area=plan.area)
        ev = evaluate(plan, figures, area=plan.area)
        seed = sv.bundled_supervision(plan)
        states = (sv.states(seed, sv.read_updates(store), on=day, evaluation=ev, plan=plan)
                  if seed else [])
    rows = cov.judge(plan, ev, load_facts(), states, on=day, observations=figures)
    tot = cov.totals(rows)
    if fmt == "json":
        click.echo(json.dumps([cov.record(r) for r in rows], ensure_ascii=False, indent=2))
        return
    language = pick(lang) or "zh"
    for r in rows:
        c = r.commitment
        status = code_label("evidence_status", r.status, language)
        if status == r.status:
            status = code_label("milestone_status", r.status, language)
        click.echo(f"{c.id:42} {code_label('commitment_kind', c.kind, language):10} "
                   f"{c.judged_by:44} {status}")
        click.echo(f"{'':42} {c.text.get(language)}")
        if c.note is not None:  # e.g. why a commitment is not checkable as written
            click.echo(f"{'':42} {c.note.get(language)}")
    click.echo(t("cov.totals", language, **tot,
                 share=f"{tot['share_with_evidence']:.0%}"))
