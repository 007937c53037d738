"""Helpers shared by the store and ingest tests: a fresh database per test, a small plan.

Store tests run against every backend: SQLite always, PostgreSQL when
``MIC2025_TEST_PG_URL`` names a server (``postgresql+psycopg://user@host:port/db``). Each
PostgreSQL test gets a database of its own, created from that URL and dropped afterwards,
so tests never see each other's rows.
"""

from __future__ import annotations

import csv
import os
import shutil
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from mic2025.plan import Plan
from mic2025.store import Store

PG_ENV = "MIC2025_TEST_PG_URL"

#: parameters for a fixture parametrised over every store backend
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres, id="postgres"),
]

def cheap_hasher() -> PasswordHasher:
    """Real argon2id with parameters small enough for a test suite (the production
    parameters cost about 0.1 s a hash)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

#: the long format's header from before the citation fields (``source``, ``source_date``):
#: files under it still import, so most import tests keep writing it
HEADER = ["indicator", "area", "year", "period", "value", "unit", "scope", "sector", "flags",
          "source", "source_date", "quote", "note", "lower", "upper"]
#: the long format's header as the bundled evidence and every export write it
CITED_HEADER = ["indicator", "area", "year", "period", "value", "unit", "scope", "sector",
                "flags", "quote", "note", "lower", "upper", "publisher", "publication",
                "publication_date", "locator", "retrieved_from", "grade"]


@contextmanager
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend``, removed again afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    with _pg_database() as url:
        yield url


#: the variant of :class:`StoreTemplates` that holds no evidence: only the schema
MIGRATED = "migrated"


class StoreTemplates:
    """One migrated store holding the bundled evidence, per backend, copied for each test.

    Opening a store runs every migration and loading the bundled evidence parses and writes
    it; a web test needs both before it starts. Building that store once a session and
    copying it (the SQLite file; ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) gives every
    test the same starting state as a fresh store after ``create_app`` at a fraction of
    the cost. Built by the same public calls the application makes (``open_store``,
    ``load_bundled``), so a new migration or a change of the bundle reaches it unasked.

    A *variant* is that store with more written into it by ``fill`` (say the accounts most
    web tests log in as), built once a session from a copy of the base and copied in turn;
    what ``fill`` returned (their tokens) is kept beside it, as a test of it needs to know.
    The variant :data:`MIGRATED` is the store as opening it makes it: migrated, and empty.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        #: (backend, variant) → the template's file (SQLite) or database name (PostgreSQL)
        self.built: dict[tuple[str, str], str] = {}
        #: (backend, variant) → what the variant's ``fill`` returned
        self.filled: dict[tuple[str, str], Any] = {}

    def _build(self, backend: str, variant: str = "",
               fill: Callable[[Store], Any] | None = None) -> str:
        from mic2025.ingest.load import load_bundled
        from mic2025.plan import load_plan
        from mic2025.store import open_store

        key = (backend, variant)
        if key in self.built:
            return self.built[key]
        if variant not in ("", MIGRATED) and fill is None:
            raise LookupError(f"the {variant!r} template of {backend} is not built yet")
        base = self._build(backend) if variant and variant != MIGRATED else None
        suffix = f"-{variant}" if variant else ""
        if backend == "sqlite":
            path = self.folder / f"template{suffix}.sqlite"
            if base is not None:
                shutil.copyfile(base, path)
            url = f"sqlite:///{path}"
        else:
            admin = _pg_base()
            name = f"mic2025_template_{uuid.uuid4().hex[:12]}"
            copied = f' TEMPLATE "{base}"' if base is not None else ""
            _pg_admin(admin, f'CREATE DATABASE "{name}"{copied}')
            url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        store = open_store(url)
        try:
            if not variant:
                load_bundled(store, load_plan(None))
            elif fill is not None and variant != MIGRATED:
                self.filled[key] = fill(store)
            if backend == "sqlite":
                with store.engine.connect() as conn:  # everything into the main file
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.close()
        self.built[key] = str(path) if backend == "sqlite" else name
        return self.built[key]

    def migrate_into(self, url: str, *, evidence: bool = False) -> None:
        """Make the SQLite database at ``url``, not made yet, a copy of the migrated empty
        template: what opening it would make, without running the migrations again; with
        ``evidence``, a copy of the store holding the bundled evidence: what the first
        command or platform on it would leave (any other URL is left to ``open_store``)."""
        path = Path(url.removeprefix("sqlite:///"))
        if url.startswith("sqlite:///") and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)  # as open_store would make it
            shutil.copyfile(self.sqlite_file("" if evidence else MIGRATED), path)

    def sqlite_file(self, variant: str = "") -> str:
        """The SQLite template's file (``variant`` one needs no ``fill``)."""
        return self._build("sqlite", variant)

    @contextmanager
    def copy(self, backend: str, tmp_path: Path, variant: str = "",
             fill: Callable[[Store], Any] | None = None) -> Iterator[str]:
        """The URL of a copy of the template of ``backend`` (``variant``, made by ``fill`` the
        first time), removed again afterwards."""
        template = self._build(backend, variant, fill)
        if backend == "sqlite":
            target = tmp_path / "store.sqlite"
            shutil.copyfile(template, target)
            yield f"sqlite:///{target}"
            return
        with _pg_database(template) as url:
            yield url

    def close(self) -> None:
        for (backend, _), name in list(self.built.items()):
            if backend == "postgres":
                _pg_admin(_pg_base(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.built.clear()


@contextmanager
def _pg_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database (empty, or a copy of ``template``), dropped afterwards."""
    base = _pg_base()
    name = f"mic2025_test_{uuid.uuid4().hex[:16]}"
    copied = f' TEMPLATE "{template}"' if template else ""
    _pg_admin(base, f'CREATE DATABASE "{name}"{copied}')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_base() -> str:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql+psycopg://user@host:port/db")
    return base


def _pg_admin(base: str, statement: str) -> None:
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        admin.dispose()


def _text(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def _indicator(id_: str, unit: str, *, units: Sequence[str] = (),
               value_range: tuple[float | None, float | None] = (None, None)) -> dict[str, Any]:
    return {
        "id": id_, "name": _text(id_, id_), "unit": unit, "units": list(units),
        "direction": "increase", "value_range": list(value_range), "goal_area": "innovation",
        "definition": {"kind": "ratio_of_sums", "text": _text("定义", "definition")},
    }


def small_plan() -> Plan:
    """A plan with one indicator of each shape the importer must tell apart.

    ``rd_intensity`` a rate in % (0–100); ``patents`` a count with no stated range (a
    negative count must still be refused); ``revenue`` an amount in 亿元 that may arrive
    in 万元; ``energy_drop`` a cumulative decline against 2015 that may arrive as yearly
    declines.
    """
    return Plan.model_validate({
        "schema_version": 1,
        "id": "test",
        "version": "1",
        "title": _text("测试", "test"),
        "base_year": 2015,
        "target_years": [2020, 2025],
        "goal_areas": [{"id": "innovation", "name": _text("创新", "innovation")}],
        "indicators": [
            _indicator("rd_intensity", "%", value_range=(0, 100)),
            _indicator("patents", "count"),
            _indicator("revenue", "100m_yuan", units=["10k_yuan"], value_range=(0, None)),
            _indicator("energy_drop", "decline%vs:2015", units=["decline%yoy"]),
        ],
    })


def row(**cells: object) -> dict[str, object]:
    """A long-format row with sensible defaults; keyword arguments override them."""
    base: dict[str, object] = {
        "indicator": "rd_intensity", "area": "000000", "year": 2020, "period": "",
        "value": 2.4, "unit": "%", "scope": "", "sector": "", "flags": "", "source": "NBS",
        "source_date": "", "quote": "", "note": "", "lower": "", "upper": "",
    }
    base.update(cells)
    return base


def write_csv(path: Path, rows: Sequence[dict[str, object]], *,
              header: Sequence[str] = HEADER, delimiter: str = ",",
              encoding: str = "utf-8") -> Path:
    """Write ``rows`` under ``header`` (columns missing from a row are left blank)."""
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        for r in rows:
            writer.writerow(["" if r.get(h) is None else r.get(h) for h in header])
    return path
