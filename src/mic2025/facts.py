"""Dated public facts: the evidence for the plan's dated deliverables and standing mechanisms.

A fact (``data/evidence/facts.yaml``) says that something happened on a date — a roadmap
published, a leading group set up — with the publication that states it, the copy that was
read and its grade, like a bundled figure. A commitment that says ``judged_by:
evidence:<fact id>`` takes its status from the fact's date against its due year
(:mod:`mic2025.followup.coverage`).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from .errors import PlanError
from .plan import Plan, Text

Grade = Literal["official", "official_media", "industry_body", "other_copy"]


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    date: dt.date
    text: Text
    publisher: Text
    publication: Text
    publication_date: dt.date
    retrieved_from: str
    grade: Grade
    quote: str
    note: Text | None = None

    @model_validator(mode="after")
    def _dates(self) -> Fact:
        if self.publication_date < self.date:
            raise ValueError(f"fact {self.id!r}: published {self.publication_date} before the "
                             f"event it reports ({self.date})")
        if not self.retrieved_from.startswith(("http://", "https://")):
            raise ValueError(f"fact {self.id!r}: retrieved_from must be the URL of the copy read")
        return self


def bundled_path() -> Path:
    return Path(str(resources.files("mic2025") / "data" / "evidence" / "facts.yaml"))


def load_facts(path: str | Path | None = None) -> dict[str, Fact]:
    """The facts of a file (default: the bundled one) by id; problems name file and entry."""
    p = Path(path) if path else bundled_path()
    if path is None:
        return dict(_bundled())
    return _read(p)


@cache
def _bundled() -> tuple[tuple[str, Fact], ...]:
    return tuple(_read(bundled_path()).items())


def _read(p: Path) -> dict[str, Fact]:
    try:
        raw: Any = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise PlanError(f"{p}: evidence facts file not found") from None
    except yaml.YAMLError as exc:
        raise PlanError(f"{p}: not valid YAML ({exc})") from None
    items = raw.get("facts") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise PlanError(f"{p}: expected a mapping with a list `facts`")
    out: dict[str, Fact] = {}
    problems = []
    for i, item in enumerate(items):
        try:
            fact = Fact.model_validate(item)
        except ValidationError as exc:
            problems += [f"facts[{i}].{'.'.join(map(str, e['loc']))}: {e['msg']}"
                         for e in exc.errors()]
            continue
        if fact.id in out:
            problems.append(f"facts[{i}].id: fact id {fact.id!r} is used twice")
        out[fact.id] = fact
    if problems:
        raise PlanError(f"{p}: the evidence facts do not validate", problems)
    return out


def unknown_facts(plan: Plan, facts: dict[str, Fact]) -> list[str]:
    """``commitment id: fact id`` for every ``evidence:<id>`` that names no fact."""
    return [f"{c.id}: {c.judged_by.split(':', 1)[1]}" for c in plan.all_commitments()
            if c.judged_by.startswith("evidence:")
            and c.judged_by.split(":", 1)[1] not in facts]
