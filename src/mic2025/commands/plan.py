"""``mic2025 plan``: read and check plan files."""

from __future__ import annotations

import click

from .. import i18n
from .common import (
    fail_cleanly,
    lang_option,
    plan_option,
)

# ---------------------------------------------------------------------------- plan


@click.group()
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
    from ..plan import load_plan

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
    from ..catalogue import unknown_bounds
    from ..errors import PlanError
    from ..plan import load_plan

    p = load_plan(plan_file)
    unknown = unknown_bounds(p)
    if unknown:
        raise PlanError(f"{plan_file}: bounds name unknown series", unknown)
    n = sum(1 for _ in p.metrics())
    click.echo(
        f"{plan_file}: valid ({p.id} {p.version}: {len(p.indicators)} indicators, "
        f"{n} metrics with targets)"
    )
