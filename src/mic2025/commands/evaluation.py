"""The judgement on the command line: ``run`` (the main job), ``evaluate``, ``assess``,
``report``, and the reference commands ``methods`` and ``schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .. import i18n
from ..evaluate import default_method
from .common import (
    db_option,
    fail_cleanly,
    judge,
    lang_option,
    parse_date,
    plan_option,
)

# ---------------------------------------------------------------------------- run


@click.command()
@db_option
@plan_option
@click.option(
    "--out", "out_dir", default="build/report", show_default=True, type=click.Path(file_okay=False)
)
@click.option(
    "--method",
    default=default_method,
    help="Progress method; default: the one `mic2025 methods` marks.",
)
@lang_option
@fail_cleanly
def run(db: str | None, plan_file: str | None, out_dir: str, method: str, lang: str) -> None:
    """The main job: evaluate on the embedded defaults, print, and write the reports."""
    from ..report.html import write_reports

    ev = judge(db, plan_file, None, method, None, None, write=True)
    _print_evaluation(ev, lang)
    paths = write_reports(ev, Path(out_dir))
    for p in paths:
        click.echo(f"report written: {p}")



# ---------------------------------------------------------------------------- evaluate


@click.command("evaluate")
@db_option
@plan_option
@click.option("--area", default=None, help="GB/T 2260 area code; default: the plan's own area.")
@click.option(
    "--method",
    default=default_method,
    help="Progress method; default: the one `mic2025 methods` marks.",
)
@click.option(
    "--as-of", "as_of", default=None, help="Use only what the store knew at the end of this date."
)
@click.option("--on", "on", default=None, help="Evaluate as on this date (default: today).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@lang_option
@fail_cleanly
def evaluate_cmd(
    db: str | None,
    plan_file: str | None,
    area: str | None,
    method: str,
    as_of: str | None,
    on: str | None,
    fmt: str,
    lang: str,
) -> None:
    """Judge every indicator and project target against its 2020 and 2025 targets."""
    ev = judge(db, plan_file, area, method, as_of, on)
    if fmt == "json":
        click.echo(ev.model_dump_json(indent=2))
    elif fmt == "csv":
        click.echo(_evaluation_csv(ev), nl=False)
    else:
        _print_evaluation(ev, lang)



def _flat_rows(ev: Any) -> list[dict[str, Any]]:
    rows = []
    for m in ev.results:
        for t in m.targets:
            a = t.assessment
            pr = t.projection
            rows.append(
                {
                    "metric": m.metric,
                    "group": m.group,
                    "parent": m.parent,
                    "name_zh": m.name.zh,
                    "name_en": m.name.en,
                    "target_year": t.target_year,
                    "kind": t.kind,
                    "target_text_zh": t.target_text.zh,
                    "measure": t.measure,
                    "measure_unit": t.measure_unit,
                    "target_value": t.target_value,
                    "tolerance": t.tolerance,
                    "base_year": a.base_year,
                    "base_value": a.base_value,
                    "latest_year": a.latest_year,
                    "latest_value": a.latest_value,
                    "observed_pace": a.observed_pace,
                    "required_pace": a.required_pace,
                    "pace_kind": a.pace_kind,
                    "progress": a.progress,
                    "ratio": a.ratio,
                    "method": a.method,
                    "category": a.category,
                    "status": a.status,
                    "verdict": t.verdict,
                    "verdict_year": t.verdict_year,
                    "verdict_value": t.verdict_value,
                    "projection_model": pr.model if pr else None,
                    "projected": pr.value if pr else None,
                    "projected_lower": pr.lower if pr else None,
                    "projected_upper": pr.upper if pr else None,
                    "probability": pr.probability if pr else None,
                    "notes": ";".join(a.notes),
                }
            )
    return rows


def _evaluation_csv(ev: Any) -> str:
    from ..tabular import csv_text

    rows = _flat_rows(ev)
    return csv_text(list(rows[0]), rows) if rows else ""


_STATUS_STYLE = {
    "achieved": "bold green",
    "on_track": "green",
    "needs_acceleration": "yellow",
    "off_track": "red",
    "insufficient_data": "dim",
}


def _fmt(v: float | None, digits: int = 2) -> str:
    if v is None:
        return "—"
    return f"{v:,.{digits}f}".rstrip("0").rstrip(".") if abs(v) < 1e6 else f"{v:,.0f}"


def _print_evaluation(ev: Any, lang: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..report import labels
    from ..report.fmt import probability, verdict_label

    console = Console(width=max(140, Console().width))
    title = f"{ev.plan_title.get(lang)} — {ev.area_name.get(lang)} — {ev.evaluated_on}"
    caption = f"{labels.method_name(ev.method, lang)} — {labels.method_reference(ev.method)}"
    t = Table(title=title, caption=caption, show_lines=False, expand=False)
    for key in (
        "col_metric",
        "col_target_year",
        "col_target",
        "col_base",
        "col_latest",
        "col_progress",
        "col_category",
        "col_verdict",
        "col_projection",
    ):
        t.add_column(i18n.t(key, lang), overflow="fold")
    for m in ev.results:
        for tr in m.targets:
            a = tr.assessment
            pr = tr.projection
            proj = "—"
            if pr and pr.value is not None:
                proj = _fmt(pr.value)
                if pr.lower is not None and pr.upper is not None:
                    proj += f" [{_fmt(pr.lower)}, {_fmt(pr.upper)}]"
                if pr.probability is not None:
                    proj += f" P={probability(pr.probability)}"
            latest = f"{_fmt(a.latest_value)} ({a.latest_year})" if a.latest_year else "—"
            base = f"{_fmt(a.base_value)} ({a.base_year})" if a.base_year else "—"
            style = _STATUS_STYLE.get(a.status, "")
            t.add_row(
                m.name.get(lang),
                str(tr.target_year),
                tr.target_text.get(lang),
                base,
                latest,
                "—" if a.progress is None else f"{a.progress:.0%}",
                f"[{style}]{labels.category_label(a.method, a.category, lang)}[/{style}]"
                if style
                else labels.category_label(a.method, a.category, lang),
                verdict_label(tr, lang),
                proj,
            )
    console.print(t)



# ---------------------------------------------------------------------------- assess


def _year_value(text: str, option: str) -> tuple[int, float]:
    try:
        y, v = text.split("=", 1)
        return int(y), float(v)
    except ValueError:
        raise click.BadParameter(
            f"{text!r}: expected YEAR=VALUE, e.g. 2015=0.95", param_hint=option
        ) from None


@click.command()
@click.option("--direction", type=click.Choice(["increase", "decrease"]), required=True)
@click.option("--base", required=True, help="Base year and value, YEAR=VALUE.")
@click.option("--target", required=True, help="Target year and value, YEAR=VALUE.")
@click.option("--obs", multiple=True, help="An observation YEAR=VALUE (repeatable).")
@click.option("--method", default=default_method,
              help="Progress method; default: the one `mic2025 methods` marks.")
@click.option(
    "--kind",
    type=click.Choice(["level", "growth"]),
    default="level",
    show_default=True,
    help="growth: the values are yearly growth rates and the target an average rate.",
)
@click.option(
    "--tolerance",
    type=float,
    default=0.0,
    show_default=True,
    help="Width of an 'about' (左右) target, in the target's unit.",
)
@click.option("--on", "on", default=None, help="Evaluate as on this date (default: today).")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "table"]), default="json", show_default=True
)
@fail_cleanly
def assess(
    direction: str,
    base: str,
    target: str,
    obs: tuple[str, ...],
    method: str,
    kind: str,
    tolerance: float,
    on: str | None,
    fmt: str,
) -> None:
    """Judge one ad-hoc series, for an analyst checking a figure."""
    from ..evaluate.engine import assess_series

    b = _year_value(base, "--base")
    tg = _year_value(target, "--target")
    points = [_year_value(o, "--obs") for o in obs]
    a, pr = assess_series(
        direction,
        b,
        tg,
        points,
        method=method,
        kind=kind,
        tolerance=tolerance,
        evaluated_on=parse_date(on),
    )
    from ..evaluate.model import AssessOutput

    result = AssessOutput(**a.model_dump(), projection=pr)
    if fmt == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        for k, v in result.model_dump(mode="json").items():
            click.echo(f"{k:>16}: {v}")



# ---------------------------------------------------------------------------- report


@click.command()
@db_option
@plan_option
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
@click.option(
    "--lang",
    "langs",
    type=click.Choice(["zh", "en"]),
    multiple=True,
    help="Language(s); default both.",
)
@click.option("--area", default=None, help="GB/T 2260 area code; default: the plan's own area.")
@click.option("--method", default=default_method,
              help="Progress method; default: the one `mic2025 methods` marks.")
@click.option("--as-of", "as_of", default=None)
@click.option("--on", "on", default=None)
@fail_cleanly
def report(
    db: str | None,
    plan_file: str | None,
    out_dir: str,
    langs: tuple[str, ...],
    area: str | None,
    method: str,
    as_of: str | None,
    on: str | None,
) -> None:
    """Write the self-contained bilingual HTML report(s)."""
    from ..report.html import write_reports

    ev = judge(db, plan_file, area, method, as_of, on)
    for p in write_reports(ev, Path(out_dir), langs=langs or ("zh", "en")):
        click.echo(f"report written: {p}")



# ---------------------------------------------------------------------------- reference


@click.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def methods(fmt: str) -> None:
    """List the progress methods, their thresholds and categories."""
    from ..evaluate.methods import METHODS

    if fmt == "json":
        click.echo(
            json.dumps(
                {k: _method_dict(v) for k, v in METHODS.items()}, ensure_ascii=False, indent=2
            )
        )
        return
    for key, info in METHODS.items():
        d = _method_dict(info)
        mark = " (default)" if key == default_method() else ""
        click.echo(
            f"{key}{mark}: {d.get('title', {}).get('en', '')} / {d.get('title', {}).get('zh', '')}"
        )
        click.echo(f"    {d.get('reference', '')}")
        for code, label in d.get("categories", {}).items():
            click.echo(f"    - {code}: {label.get('en', '')} / {label.get('zh', '')}")


def _method_dict(info: Any) -> dict[str, Any]:
    if hasattr(info, "model_dump"):
        return dict(info.model_dump(mode="json"))
    from dataclasses import asdict, is_dataclass

    if is_dataclass(info) and not isinstance(info, type):
        return json.loads(
            json.dumps(
                asdict(info),
                default=lambda o: o.model_dump() if hasattr(o, "model_dump") else str(o),
            )
        )
    return {"title": {"en": str(info)}}


@click.command()
@click.argument("name", type=click.Choice(["evaluation", "assessment", "plan"]))
def schema(name: str) -> None:
    """Print the JSON Schema of an output (evaluation, assessment) or of a plan file."""
    from pydantic import BaseModel

    from ..evaluate.model import AssessOutput, Evaluation
    from ..plan import Plan

    models: dict[str, type[BaseModel]] = {
        "evaluation": Evaluation,
        "assessment": AssessOutput,
        "plan": Plan,
    }
    model = models[name]
    click.echo(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))
