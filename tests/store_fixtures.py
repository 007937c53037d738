"""Helpers shared by the store and ingest tests: a fresh database per test, a small plan.

Store tests run against every backend: SQLite always, PostgreSQL when
``MIC2025_TEST_PG_URL`` names a server (``postgresql+psycopg://user@host:port/db``). Each
PostgreSQL test gets a database of its own, created from that URL and dropped afterwards,
so tests never see each other's rows.
"""

from __future__ import annotations

import csv
import os
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

#: the bundled evidence file's header, as the import format documents it
HEADER = ["indicator", "area", "year", "period", "value", "unit", "scope", "sector", "flags",
          "source", "source_date", "quote", "note", "lower", "upper"]


@contextmanager
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on ``backend``, removed again afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {PG_ENV}=postgresql+psycopg://user@host:port/db")
    name = f"mic2025_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
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
