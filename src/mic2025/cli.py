"""The ``mic2025`` command line: the root group, which only assembles the command groups.

The commands live in :mod:`mic2025.commands`, one module per subject, with the helpers they
share in :mod:`mic2025.commands.common`. Every command that reads evidence opens the store
(SQLite by default, ``--db URL`` or ``MIC2025_DB`` for another file or a PostgreSQL server)
and first makes sure the bundled published figures are in it; that step is idempotent, so a
fresh machine needs no set-up. Commands that only read never migrate the store and take the
write lock only to load the bundled figures the first time (see :mod:`mic2025.store.db`);
``import`` and ``run`` write.
"""

from __future__ import annotations

import click

from . import __version__
from .commands.common import actor_option


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="mic2025")
@actor_option
def main(acting_as: str | None) -> None:
    """mic2025 — monitoring and evaluation of Made in China 2025 (中国制造2025).

    Start with `mic2025 run`: it loads the bundled published figures, judges every
    indicator and project target, prints the result and writes the HTML reports.
    """


def _register_groups() -> None:
    import importlib

    from .commands import GROUPS

    for module, attr in GROUPS:
        main.add_command(getattr(importlib.import_module(module), attr))


_register_groups()


if __name__ == "__main__":  # pragma: no cover
    main()
