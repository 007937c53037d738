"""``mic2025 import`` and ``mic2025 data``: evidence into the store, and out of it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import ImportRejected, Mic2025Error
from .common import (
    cli_writer,
    db_option,
    fail_cleanly,
    parse_as_of,
    plan_option,
    session,
)

# ---------------------------------------------------------------------------- import / data


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
@plan_option
@click.option("--actor", default=None, hidden=True,
              help="Replaced by `mic2025 --as USER`; refused with a message saying so.")
@click.option("--note", default="", help="A note recorded with the vintage.")
@click.option("--check", is_flag=True, help="Validate only: report problems, store nothing.")
@click.option(
    "--encoding", default=None,
    help="Text encoding of a CSV that is not UTF-8 (gbk); without it, a CSV that is not "
    "UTF-8 is read as GB18030 or Big5, whichever it reads as, and a line says so."
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
    actor: str | None,
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
    error (also: the account named by `mic2025 --as USER` may not import — only an
    administrator may — or the store has accounts and none is named).
    """
    from ..ingest.load import check_file, problems_csv
    from ..plan import load_plan
    from ..services.imports import import_file

    if actor is not None:
        raise click.UsageError("--actor is gone: the import acts as an account, named before "
                               "the command — `mic2025 --as USER import FILE` (a store with "
                               "no account at all needs none)")
    if encoding is None:
        encoding = _legacy_encoding(Path(file))
        if encoding is not None:
            click.echo(f"{file}: not UTF-8 text; read as {encoding.upper()} (what Excel on a "
                       f"{_LEGACY_SYSTEMS[encoding]} Windows saves CSV in); name another "
                       "with --encoding if any text reads wrongly")
    try:
        if check:
            obs = check_file(
                Path(file), load_plan(plan_file), encoding=encoding, sheets=sheets or None
            )
            click.echo(f"{file}: {len(obs)} rows valid; nothing stored (--check)")
            return
        with session(db, plan_file, write=True) as (store, plan):
            result = import_file(
                store,
                cli_writer(store),
                Path(file),
                plan,
                note=note,
                encoding=encoding,
                sheets=sheets or None,
            )
            click.echo(result.summary())
            from ..followup.warn import after_import

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


_LEGACY_SYSTEMS = {"gb18030": "Chinese-language", "big5": "traditional-Chinese"}


def _legacy_encoding(path: Path) -> str | None:
    """The legacy encoding a CSV that is not UTF-8 is read in, or ``None`` (UTF-8 or UTF-16,
    not a CSV, or too big to read: the import itself then says what is wrong)."""
    from ..ingest.limits import DEFAULT_LIMITS
    from ..ingest.readers import CSV_SUFFIXES, legacy_encoding

    if path.suffix.lower() not in CSV_SUFFIXES:
        return None
    try:
        if not path.is_file() or path.stat().st_size > DEFAULT_LIMITS.max_file_bytes:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return legacy_encoding(data)
    return None


@click.group()
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
    from ..store import EXPORT_COLUMNS
    from ..tabular import csv_text

    with session(db, plan_file) as (store, _plan):
        rows = store.export_rows(as_of=parse_as_of(as_of))
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
    with session(db, plan_file) as (store, _plan):
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
