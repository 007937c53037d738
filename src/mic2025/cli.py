"""The ``mic2025`` command line.

Every command that reads evidence opens the store (SQLite by default, ``--db URL`` or
``MIC2025_DB`` for another file or a PostgreSQL server) and first makes sure the bundled
published figures are in it; that step is idempotent, so a fresh machine needs no set-up.
Commands that only read never migrate the store and take the write lock only to load the
bundled figures the first time (see :mod:`mic2025.store.db`); ``import`` and ``run`` write.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from . import __version__, i18n
from .commands.common import db_option, fail_cleanly, lang_option, plan_option
from .errors import ImportRejected, Mic2025Error
from .evaluate import default_method


def _parse_as_of(value: str | None) -> datetime | None:
    """``--as-of 2024-06-30`` means what the store knew at the end of that day (UTC).

    A timestamp must carry its time zone (``2024-06-30T12:00:00+08:00``); one without is
    refused rather than guessed.
    """
    if not value:
        return None
    from .errors import StoreError
    from .store import as_of_instant

    try:
        return as_of_instant(value)
    except StoreError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


@contextmanager
def _session(db: str | None, plan_file: str | None, *,
             write: bool = False) -> Iterator[tuple[Any, Any]]:
    """The store and the plan, the bundled evidence loaded.

    ``write``: the command writes, so the store is migrated to the latest schema under the
    write lock. A reading command only checks the schema (``open_store(migrate=False)``) and
    takes the write lock only when the bundled evidence is not in the store yet (a first run).
    """
    from .ingest.load import load_bundled
    from .plan import load_plan
    from .store.db import open_store

    plan = load_plan(plan_file)
    store = open_store(db, migrate=write)
    try:
        load_bundled(store, plan)  # a read when the bundled evidence is there already
        yield store, plan
    finally:
        store.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mic2025")
def main() -> None:
    """mic2025 — monitoring and evaluation of Made in China 2025 (中国制造2025).

    Start with `mic2025 run`: it loads the bundled published figures, judges every
    indicator and project target, prints the result and writes the HTML reports.
    """


# ---------------------------------------------------------------------------- run


@main.command()
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
    from .report.html import write_reports

    ev = _evaluate(db, plan_file, None, method, None, None, write=True)
    _print_evaluation(ev, lang)
    paths = write_reports(ev, Path(out_dir))
    for p in paths:
        click.echo(f"report written: {p}")


# ---------------------------------------------------------------------------- plan


@main.group()
def plan() -> None:
    """Read and check plan files."""


@plan.command("show")
@plan_option
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@lang_option
@fail_cleanly
def plan_show(plan_file: str | None, fmt: str, lang: str) -> None:
    """Show the plan: goal areas, indicators, baselines, targets, projects, tasks, sectors."""
    from .plan import load_plan

    p = load_plan(plan_file)
    if fmt == "json":
        click.echo(p.model_dump_json(indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    console.print(
        f"[bold]{p.title.get(lang)}[/bold]  {p.document.number if p.document else ''}  "
        f"({p.id} {p.version}, area {p.area}{', EXAMPLE' if p.example else ''})"
    )
    areas = {g.id: g.name.get(lang) for g in p.goal_areas}
    language = i18n.pick(lang) or i18n.DEFAULT
    t = Table(title=i18n.t("cli.indicators", language), show_lines=False)
    for col in (
        "id",
        i18n.t("cli.col.goal", language),
        i18n.t("cli.col.name", language),
        "unit",
        "dir",
        "baseline",
        "targets",
    ):
        t.add_column(col, no_wrap=col == "id")
    for ind in p.indicators:
        t.add_row(
            ind.id,
            areas[ind.goal_area],
            ind.name.get(lang),
            ind.unit,
            "↑" if ind.direction == "increase" else "↓",
            ", ".join(f"{y}: {v:g}" for y, v in sorted(ind.baseline.items())),
            "; ".join(f"{tg.year}: {tg.text.get(lang)}" for tg in ind.targets),
        )
    console.print(t)
    for proj in p.projects:
        pt = Table(title=i18n.t("cli.box", language, box=proj.box, name=proj.name.get(lang)))
        for col in ("id", "metric", "unit", "targets"):
            pt.add_column(col, no_wrap=col == "id")
        for m in proj.metrics:
            pt.add_row(
                m.id,
                m.name.get(lang),
                m.unit,
                "; ".join(f"{tg.year}: {tg.text.get(lang)}" for tg in m.targets),
            )
        for ms in proj.milestones:
            pt.add_row(ms.id, ms.text.get(lang), "", str(ms.year))
        console.print(pt)
    console.print(
        f"{len(p.tasks)} tasks, {len(p.sectors)} key sectors, {len(p.measures)} supporting measures"
    )


@plan.command("validate")
@click.argument("plan_file", type=click.Path(dir_okay=False))
@fail_cleanly
def plan_validate(plan_file: str) -> None:
    """Check a plan file; errors name the file, line and field."""
    from .plan import load_plan

    p = load_plan(plan_file)
    n = sum(1 for _ in p.metrics())
    click.echo(
        f"{plan_file}: valid ({p.id} {p.version}: {len(p.indicators)} indicators, "
        f"{n} metrics with targets)"
    )


# ---------------------------------------------------------------------------- import / data


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
@plan_option
@click.option("--actor", default="", help="Who is importing (recorded with the vintage).")
@click.option("--note", default="", help="A note recorded with the vintage.")
@click.option("--check", is_flag=True, help="Validate only: report problems, store nothing.")
@click.option(
    "--encoding", default=None, help="Text encoding of a CSV that is not UTF-8 (gb18030)."
)
@click.option("--sheet", "sheets", multiple=True, help="Import only this sheet (repeatable).")
@click.option(
    "--problems",
    "problems_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="On rejection, also write the problems to this CSV file (the first 1,000; a last "
    "row counts the others).",
)
def import_(
    file: str,
    db: str | None,
    plan_file: str | None,
    actor: str,
    note: str,
    check: bool,
    encoding: str | None,
    sheets: tuple[str, ...],
    problems_file: str | None,
) -> None:
    """Import a CSV or .xlsx file in the long format, or SDMX-CSV of the MIC2025 dataflow.

    All rows or none. SDMX-CSV 1.0 or 2.0 (a .csv file) of dataflow MIC2025:MIC2025_OBS(1.0)
    is what a platform exports at /api/export/sdmx-csv, recognised by its first column
    (DATAFLOW or STRUCTURE). It carries every field of a figure (source date, quote, note
    and bounds too), so one platform's export imports whole into another's store.

    Exit status 0: stored (or nothing new); 3: rejected, every problem counted and the
    first ones listed with their sheet, row and column, and nothing stored (also for a file
    past the import limits: size, rows, columns, a workbook's unpacked size); 2: any other
    error.
    """
    from .ingest.load import check_file, import_file, problems_csv
    from .plan import load_plan

    try:
        if check:
            obs = check_file(
                Path(file), load_plan(plan_file), encoding=encoding, sheets=sheets or None
            )
            click.echo(f"{file}: {len(obs)} rows valid; nothing stored (--check)")
            return
        with _session(db, plan_file, write=True) as (store, plan):
            result = import_file(
                store,
                Path(file),
                plan,
                actor=actor,
                note=note,
                encoding=encoding,
                sheets=sheets or None,
            )
            click.echo(result.summary())
            from .followup.warn import after_import

            after_import(store, plan, result, echo=click.echo)  # prints new early warnings
    except ImportRejected as exc:
        if problems_file:
            Path(problems_file).write_text(problems_csv(exc.problems, omitted=exc.omitted),
                                           encoding="utf-8")
        click.echo(str(exc), err=True)
        if problems_file:
            click.echo(f"problems written to {problems_file}", err=True)
        sys.exit(3)
    except Mic2025Error as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


@main.group()
def data() -> None:
    """Export and inspect the evidence store."""


@data.command("export")
@db_option
@plan_option
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--as-of", "as_of", default=None, help="What the store knew at the end of this date.")
@click.option("--out", "out_file", default="-", type=click.Path(dir_okay=False, allow_dash=True))
@fail_cleanly
def data_export(
    db: str | None, plan_file: str | None, fmt: str, as_of: str | None, out_file: str
) -> None:
    """Export the observations (latest vintage of each, or as of a date)."""
    from .store import EXPORT_COLUMNS
    from .tabular import csv_text

    with _session(db, plan_file) as (store, _plan):
        rows = store.export_rows(as_of=_parse_as_of(as_of))
    # CSV through the product's one table writer: the platform's download, byte for byte
    text = _rows_json(rows) if fmt == "json" else csv_text(EXPORT_COLUMNS, rows)
    if out_file == "-":
        click.echo(text, nl=False)
    else:
        Path(out_file).write_text(text, encoding="utf-8")
        click.echo(f"{len(rows)} observations written to {out_file}", err=True)


@data.command("vintages")
@db_option
@plan_option
@fail_cleanly
def data_vintages(db: str | None, plan_file: str | None) -> None:
    """List the vintages (import batches) in the store."""
    with _session(db, plan_file) as (store, _plan):
        for v in store.vintages():
            click.echo(
                _jsonable(v)
                if not isinstance(v, dict)
                else json.dumps(v, default=str, ensure_ascii=False)
            )


def _rows_json(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=1, default=str) + "\n"


def _jsonable(obj: Any) -> str:
    if hasattr(obj, "model_dump_json"):
        return str(obj.model_dump_json())
    if hasattr(obj, "__dict__"):
        return json.dumps(
            {k: v for k, v in vars(obj).items() if not k.startswith("_")},
            default=str,
            ensure_ascii=False,
        )
    return str(obj)


# ---------------------------------------------------------------------------- evaluate


@main.command("evaluate")
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
    ev = _evaluate(db, plan_file, area, method, as_of, on)
    if fmt == "json":
        click.echo(ev.model_dump_json(indent=2))
    elif fmt == "csv":
        click.echo(_evaluation_csv(ev), nl=False)
    else:
        _print_evaluation(ev, lang)


def _evaluate(
    db: str | None,
    plan_file: str | None,
    area: str | None,
    method: str,
    as_of: str | None,
    on: str | None,
    *,
    write: bool = False,
) -> Any:
    """Open the store, and judge the plan for an area as the store knew it at ``as_of``."""
    from .evaluate.engine import evaluate
    from .reference import area as area_code

    as_of_dt = _parse_as_of(as_of)
    with _session(db, plan_file, write=write) as (store, plan):
        code = area_code(area or plan.area).code
        return evaluate(
            plan,
            store.observations(area=code, as_of=as_of_dt),
            area=code,
            method=method,
            evaluated_on=_parse_date(on),
            as_of=as_of_dt,
            area_name=_area_name(code),
        )


def _area_name(code: str) -> Any:
    from .plan import Text
    from .reference import area

    a = area(code)
    return Text(zh=a.name_zh, en=a.name_en)


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
    from .tabular import csv_text

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

    from .report import labels

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
                    proj += f" P={pr.probability:.0%}"
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
                i18n.code_label("verdict", tr.verdict, lang),
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


@main.command()
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
    from .evaluate.engine import assess_series

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
        evaluated_on=_parse_date(on),
    )
    from .evaluate.model import AssessOutput

    result = AssessOutput(**a.model_dump(), projection=pr)
    if fmt == "json":
        click.echo(result.model_dump_json(indent=2))
    else:
        for k, v in result.model_dump(mode="json").items():
            click.echo(f"{k:>16}: {v}")


# ---------------------------------------------------------------------------- report


@main.command()
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
    from .report.html import write_reports

    ev = _evaluate(db, plan_file, area, method, as_of, on)
    for p in write_reports(ev, Path(out_dir), langs=langs or ("zh", "en")):
        click.echo(f"report written: {p}")


# ---------------------------------------------------------------------------- reference


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def methods(fmt: str) -> None:
    """List the progress methods, their thresholds and categories."""
    from .evaluate.methods import METHODS

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


@main.command()
@click.argument("name", type=click.Choice(["evaluation", "assessment", "plan"]))
def schema(name: str) -> None:
    """Print the JSON Schema of an output (evaluation, assessment) or of a plan file."""
    from pydantic import BaseModel

    from .evaluate.model import AssessOutput, Evaluation
    from .plan import Plan

    models: dict[str, type[BaseModel]] = {
        "evaluation": Evaluation,
        "assessment": AssessOutput,
        "plan": Plan,
    }
    model = models[name]
    click.echo(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))


def _register_groups() -> None:
    import importlib

    from .commands import GROUPS

    for module, attr in GROUPS:
        main.add_command(getattr(importlib.import_module(module), attr))


_register_groups()


if __name__ == "__main__":  # pragma: no cover
    main()
