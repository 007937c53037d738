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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from mic2025.plan import Plan

PG_ENV = "MIC2025_TEST_PG_URL"

#: parameters for a fixture parametrised over every store backend
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres, id="postgres"),
]

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


class StoreTemplates:
    """One migrated store holding the bundled evidence, per backend, copied for each test.

    Opening a store runs every migration and loading the bundled evidence parses and writes
    it; a web test needs both before it starts. Building that store once a session and
    copying it (the SQLite file; ``CREATE DATABASE … TEMPLATE`` on PostgreSQL) gives every
    test the same starting state as a fresh store after ``create_app`` at a fraction of
    the cost. Built by the same public calls the application makes (``open_store``,
    ``load_bundled``), so a new migration or a change of the bundle reaches it unasked.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.built: dict[str, str] = {}

    def _build(self, backend: str) -> str:
        from mic2025.ingest.load import load_bundled
        from mic2025.plan import load_plan
        from mic2025.store import open_store

        if backend in self.built:
            return self.built[backend]
        if backend == "sqlite":
            path = self.folder / "template.sqlite"
            url = f"sqlite:///{path}"
        else:
            base = _pg_base()
            name = f"mic2025_template_{uuid.uuid4().hex[:12]}"
            _pg_admin(base, f'CREATE DATABASE "{name}"')
            url = make_url(base).set(database=name).render_as_string(hide_password=False)
        store = open_store(url)
        try:
            load_bundled(store, load_plan(None))
            if backend == "sqlite":
                with store.engine.connect() as conn:  # everything into the main file
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            store.close()
        self.built[backend] = str(path) if backend == "sqlite" else name
        return self.built[backend]

    @contextmanager
    def copy(self, backend: str, tmp_path: Path) -> Iterator[str]:
        """The URL of a copy of the template of ``backend``, removed again afterwards."""
        template = self._build(backend)
        if backend == "sqlite":
            target = tmp_path / "store.sqlite"
            shutil.copyfile(template, target)
            yield f"sqlite:///{target}"
            return
        with _pg_database(template) as url:
            yield url

    def close(self) -> None:
        name = self.built.pop("postgres", None)
        if name is not None:
            _pg_admin(_pg_base(), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
