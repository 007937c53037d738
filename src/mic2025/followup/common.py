"""Shared pieces of the follow-up machinery: its error, its folder, YAML models with lines.

The follow-up records that are not observations (supervision status updates, third-party
rounds and scores) live in the store (:mod:`mic2025.store.followup`, migration 0004).
:func:`followup_dir` names the follow-up folder, where the web platform keeps its generated
documents (a cache, local to each host): for a SQLite store ``…/mic2025.sqlite`` that is
``…/mic2025.followup/``; for any other store, or to choose, set ``MIC2025_FOLLOWUP_DIR``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .. import yamldoc
from ..errors import Mic2025Error

ENV_DIR = "MIC2025_FOLLOWUP_DIR"

M = TypeVar("M", bound=BaseModel)


class FollowupError(Mic2025Error):
    """A follow-up file or request is not usable; the message names the file, line and field."""


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def followup_dir(store_url: str | None, *, create: bool = True) -> Path:
    """The follow-up folder of the store at ``store_url`` (with ``create``, made when missing).

    ``MIC2025_FOLLOWUP_DIR`` when set; else ``<name>.followup/`` beside a SQLite file, else
    ``followup/`` in the user data folder.
    """
    env = os.environ.get(ENV_DIR, "").strip()
    if env:
        folder = Path(env)
    else:
        from ..store.db import default_url, sqlite_file

        db = sqlite_file(store_url or default_url())
        if db is not None:
            folder = db.with_name(db.stem + ".followup")
        else:
            import platformdirs

            folder = Path(platformdirs.user_data_dir("mic2025")) / "followup"
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def now_utc() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------- YAML with lines


def load_yaml_model(path: Path, model: type[M], what: str,
                    context: dict[str, Any] | None = None) -> M:
    """Read ``path`` as YAML and validate it as ``model``; errors name file, line and field.

    ``context`` reaches the model's validators (a supervision file checks its subjects
    against the plan).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FollowupError(f"{path}: {what} file not found") from None
    try:
        node, data = yamldoc.parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "line ?"
        raise FollowupError(f"{path}:{where}: not valid YAML "
                            f"({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise FollowupError(f"{path}:line 1: a {what} file must be a mapping of fields")
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        # where each value was written: looked up only when there is a problem to place
        lines: dict[tuple[Any, ...], int] = {}
        _index(node, (), lines)
        problems = [_where(path, _loc(e), e["msg"], lines) for e in exc.errors()]
        raise FollowupError(f"{path}: the {what} file does not validate\n"
                            + "\n".join(f"  - {p}" for p in problems)) from None


def _loc(err: Any) -> tuple[Any, ...]:
    """The error's location; a wrong or missing union tag points at the tag field itself."""
    loc = tuple(err["loc"])
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        tag = str((err.get("ctx") or {}).get("discriminator", "")).strip("'")
        if tag:
            loc = (*loc, tag)
    return loc


def _index(node: yaml.Node | None, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    if node is None:
        return
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k: Any = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            out[(*path, k)] = key.start_mark.line + 1
            _index(value, (*path, k), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _index(child, (*path, i), out)


def _where(path: Path, loc: tuple[Any, ...], msg: str, lines: Mapping[tuple[Any, ...], int]) -> str:
    """``file:line N: field: message`` — the line of the deepest part of ``loc`` in the file.

    A tagged union (rule ``kind``) puts the tag into pydantic's location although the file has
    no such key, so each candidate is also tried without one of its string parts.
    """
    line = None
    probe = loc
    while probe and line is None:
        line = lines.get(probe)
        for i in range(len(probe)):
            if line is None and isinstance(probe[i], str):
                line = lines.get(probe[:i] + probe[i + 1:])
        probe = probe[:-1]
    field = ".".join(str(x) for x in loc) or "(top level)"
    return f"{path}:line {line or '?'}: {field}: {msg}"


# --------------------------------------------------------------------------- numbers


def decimals_of(value: float) -> int:
    """How many decimals a stated figure carries (1.68 → 2, 85.5 → 1, 40 → 0)."""
    text = repr(float(value))
    if "e" in text:
        return 2
    frac = text.split(".")[1].rstrip("0")
    return len(frac)


def round_toward(value: float, decimals: int, sign: int) -> float:
    """Round ``value`` to ``decimals`` on the easier side of a target: down when more is better."""
    factor = 10.0**decimals
    scaled = value * factor
    # a hair of slack so that 1.9000000001 does not floor to 1.89
    out = math.floor(scaled + 1e-9) if sign > 0 else math.ceil(scaled - 1e-9)
    return round(out / factor, decimals)
