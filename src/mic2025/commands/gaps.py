"""``mic2025 gaps``: the target-year figures that are due and not in the store, and those still
awaiting publication (:mod:`mic2025.followup.gaps`)."""

from __future__ import annotations

import json
from typing import Any

import click

from .. import i18n
from ..evaluate import default_method
from .common import db_option, fail_cleanly, judge, lang_option, plan_option


@click.command("gaps")
@db_option
@plan_option
@click.option("--area", default=None, help="GB/T 2260 area code; default: the plan's own area.")
@click.option(
    "--as-of", "as_of", default=None,
    help="As the store knew it at the end of this date (and judged as on it); default: now.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "csv", "json"]), default="text",
    show_default=True,
)
@lang_option
@fail_cleanly
def gaps(db: str | None, plan_file: str | None, area: str | None, as_of: str | None, fmt: str,
         lang: str) -> None:
    """Reporting status: which target-year figures are missing since their due date (data
    gaps), which still await publication, who publishes them and in what."""
    from ..followup.gaps import reporting_status
    from ..plan import load_plan

    ev = judge(db, plan_file, area, default_method(), as_of, None)
    rows = reporting_status(load_plan(plan_file), ev)
    if fmt == "json":
        click.echo(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False,
                              indent=2))
    elif fmt == "csv":
        click.echo(_csv(rows), nl=False)
    else:
        _print(rows, ev, lang)  # type: ignore[arg-type]


def _csv(rows: list[Any]) -> str:
    from ..tabular import csv_text

    fields = ["status", "metric", "name_zh", "name_en", "target_year", "missing_years",
              "due_date", "days_overdue", "publisher_zh", "publisher_en", "publication_zh",
              "publication_en", "frequency"]
    flat = [{
        "status": r.status, "metric": r.metric, "name_zh": r.name.zh, "name_en": r.name.en,
        "target_year": r.target_year,
        "missing_years": ";".join(str(y) for y in r.missing_years),
        "due_date": r.due_date.isoformat(), "days_overdue": r.days_overdue,
        "publisher_zh": r.publisher.zh, "publisher_en": r.publisher.en,
        "publication_zh": r.publication.zh, "publication_en": r.publication.en,
        "frequency": r.frequency,
    } for r in rows]
    return csv_text(fields, flat)


def _print(rows: list[Any], ev: Any, lang: i18n.Lang) -> None:
    day = ev.as_of.date() if ev.as_of is not None else ev.evaluated_on
    click.echo(i18n.t("gaps.heading", lang, area=ev.area_name.get(lang), day=day.isoformat()))
    if not rows:
        click.echo(i18n.t("gaps.none", lang))
        return
    for status in ("gap", "awaiting"):
        some = [r for r in rows if r.status == status]
        if not some:
            continue
        click.echo("")
        click.echo(i18n.t(f"gaps.status.{status}", lang) + f" ({len(some)})")
        for r in some:
            years = ", ".join(str(y) for y in r.missing_years)
            key = "gaps.line_gap" if status == "gap" else "gaps.line_awaiting"
            click.echo("  " + i18n.t(key, lang, name=r.name.get(lang), metric=r.metric,
                                     years=years, target_year=r.target_year,
                                     due=r.due_date.isoformat(), days=r.days_overdue,
                                     publisher=r.publisher.get(lang),
                                     publication=r.publication.get(lang)))
            if r.frequency == "irregular":
                click.echo("    " + i18n.t("gaps.irregular", lang))
