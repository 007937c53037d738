"""What every command shares: turning mic2025's errors into messages, and the common options."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
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
                click.echo(f"error: cannot read the input: {first}", err=True)
                sys.exit(2)

        return wrapper  # type: ignore[return-value]

    return decorate(fn) if fn is not None else decorate


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
