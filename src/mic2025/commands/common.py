"""What every command shares: turning mic2025's errors into messages, and the common options."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ..errors import ImportRejected, Mic2025Error

F = TypeVar("F", bound=Callable[..., Any])


def fail_cleanly(
    fn: F | None = None,
    *,
    unreadable: Callable[[], tuple[type[BaseException], ...]] | None = None,
) -> Any:
    """Turn mic2025's own errors into a message on stderr and an exit status, never a traceback.

    A rejected import exits with 3 (every problem listed), any other ``Mic2025Error`` with 2.
    ``unreadable`` returns further exception classes that mean "the input file cannot be read"
    (imported lazily, e.g. DuckDB's and Arrow's); they exit with 2 and their first line.
    """

    def decorate(func: F) -> F:
        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            extra = unreadable() if unreadable is not None else ()
            try:
                return func(*args, **kwargs)
            except ImportRejected as exc:
                click.echo(str(exc), err=True)
                sys.exit(3)
            except Mic2025Error as exc:
                click.echo(f"error: {exc}", err=True)
                sys.exit(2)
            except extra as exc:
                text = str(exc).strip()
                first = text.splitlines()[0] if text else type(exc).__name__
                click.echo(f"error: cannot read {_inputs(kwargs, first)}: {first}", err=True)
                sys.exit(2)

        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


def _inputs(arguments: dict[str, Any], message: str) -> str:
    """Which input a reader's error is about: Arrow's say nothing of the file, so the files
    the command was given are named (those the message does not name already)."""
    def is_file(value: object) -> bool:
        try:
            return isinstance(value, str | Path) and bool(str(value)) and Path(value).is_file()
        except (OSError, ValueError):  # a name too long, a NUL: not a file it was given
            return False

    files = [str(v) for v in arguments.values() if is_file(v)]
    unnamed = [f for f in files if f not in message and Path(f).name not in message]
    if not files or len(unnamed) < len(files):
        return "the input"
    return ", ".join(unnamed)


db_option = click.option(
    "--db",
    envvar="MIC2025_DB",
    default=None,
    metavar="URL",
    help="Store URL (sqlite:///file or postgresql+psycopg://…); "
    "default: MIC2025_DB or a SQLite file in the user data folder.",
)
plan_option = click.option(
    "--plan",
    "plan_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="Plan file (YAML); default: the bundled Made in China 2025.",
)
lang_option = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of names and labels.",
)

#: the option of the main command naming the account the commands that write act as
actor_option = click.option(
    "--as",
    "acting_as",
    envvar="MIC2025_ACTOR",
    default=None,
    metavar="USER",
    help="The platform account the commands that write act as (users, supervision update, "
    "thirdparty round create/score): its roles decide what they may do, and the audit log "
    "records it, via cli. Default: MIC2025_ACTOR.",
)


def acting_as() -> str | None:
    """The account named by ``mic2025 --as USER`` (or ``MIC2025_ACTOR``), if any."""
    name = click.get_current_context().find_root().params.get("acting_as")
    return name.strip() or None if isinstance(name, str) else None


def cli_actor(store: Any) -> Any:
    """The :class:`~mic2025.permissions.Actor` a writing command acts as: the account named by
    ``--as``, coming in ``via`` ``cli``. Refused when none is named, or the account is unknown
    or disabled."""
    from ..store.accounts import AccountError, actor_by_name

    name = acting_as()
    if name is None:
        raise AccountError("this command writes, as an account of the platform: name it with "
                           "`mic2025 --as USER …` or MIC2025_ACTOR (see `mic2025 users list`)")
    return actor_by_name(store.engine, name, via="cli")


def cli_writer(store: Any) -> Any:
    """Who a command that stores figures acts as: the account ``--as`` names (as
    :func:`cli_actor`) or, on a store with no account at all, the person at the shell
    (:func:`mic2025.services.accounts.personal_actor`, audited as ``cli``)."""
    if acting_as() is not None:
        return cli_actor(store)
    from ..services.accounts import personal_actor

    return personal_actor(store.engine)


def parse_as_of(value: str | None) -> datetime | None:
    """``--as-of 2024-06-30`` means what the store knew at the end of that day (UTC).

    A timestamp must carry its time zone (``2024-06-30T12:00:00+08:00``); one without is
    refused rather than guessed.
    """
    if not value:
        return None
    from ..errors import StoreError
    from ..store import as_of_instant

    try:
        return as_of_instant(value)
    except StoreError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None


def parse_date(value: str | None, hint: str | None = None) -> date | None:
    """A ``YYYY-MM-DD`` option's date; ``hint`` names the option in the error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)",
                                 param_hint=hint) from None


@contextmanager
def session(db: str | None, plan_file: str | None, *,
             write: bool = False) -> Iterator[tuple[Any, Any]]:
    """The store and the plan, the bundled evidence loaded.

    ``write``: the command writes, so the store is migrated to the latest schema under the
    write lock. A reading command only checks the schema (``open_store(migrate=False)``) and
    takes the write lock only when the bundled evidence is not in the store yet (a first run).
    """
    from ..ingest.load import load_bundled
    from ..plan import load_plan
    from ..store import open_store

    plan = load_plan(plan_file)
    store = open_store(db, migrate=write)
    try:
        load_bundled(store, plan)  # a read when the bundled evidence is there already
        yield store, plan
    finally:
        store.close()

def area_name(code: str) -> Any:
    from ..plan import Text
    from ..reference import area

    a = area(code)
    return Text(zh=a.name_zh, en=a.name_en)


def judge(
    db: str | None,
    plan_file: str | None,
    area: str | None,
    method: str,
    as_of: str | None,
    on: str | None,
    *,
    write: bool = False,
) -> Any:
    """Open the store, and judge the plan for an area (default: the plan's own) as the
    store knew it at ``as_of`` — what ``evaluate``, ``run``, ``report`` and ``gaps`` show."""
    from ..evaluate.engine import evaluate
    from ..reference import area as area_code

    as_of_dt = parse_as_of(as_of)
    with session(db, plan_file, write=write) as (store, plan):
        code = area_code(area or plan.area).code
        return evaluate(
            plan,
            store.observations(area=code, as_of=as_of_dt),
            area=code,
            method=method,
            evaluated_on=parse_date(on),
            as_of=as_of_dt,
            area_name=area_name(code),
        )
