"""Follow-up records of mic2025 before store migration 0004: find them, import them.

Until 0004 the follow-up records were append-only files in the follow-up folder
(:func:`mic2025.followup.common.followup_dir`)::

    supervision-updates.jsonl        one supervision status update per line
    rounds/<round id>/round.json     a frozen third-party round
    rounds/<round id>/scores.jsonl   its scores, one per line

:func:`import_legacy` reads every such file, validates every record (a bad one stops the
import with the file and line), and writes them all to the store in one transaction, or
nothing. Each update and score carries a digest of its content (and of how many identical
records came before it in its file), each round the sha256 of its file, so importing the
same folder again writes nothing. The files are left where they are.

:func:`legacy_hint` is the one line the commands print while a folder holds such files and
the store holds no record imported from them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ..errors import StoreError
from ..store.followup import (
    EvaluationRound,
    EvaluationScore,
    FollowupImport,
    SupervisionUpdate,
    check_round,
    check_score,
    check_update,
)
from .common import FollowupError
from .supervision import LOG_NAME, Update
from .thirdparty import Round, Score, stored_round
from .thirdparty import check_score as check_rubric_score

if TYPE_CHECKING:
    from ..store.repo import Store

ROUNDS = "rounds"
ROUND_FILE = "round.json"
SCORES_FILE = "scores.jsonl"


@dataclass(frozen=True)
class LegacyRecords:
    """Every record of a legacy folder, validated, in the store's terms."""

    folder: Path
    rounds: list[EvaluationRound]
    scores: list[EvaluationScore]
    updates: list[SupervisionUpdate]


def legacy_files(folder: Path) -> list[Path]:
    """The record files (not empty) in ``folder``, in the order they are imported."""
    out: list[Path] = []
    root = folder / ROUNDS
    if root.is_dir():
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            out += [f for f in (d / ROUND_FILE, d / SCORES_FILE) if _has_content(f)]
    log = folder / LOG_NAME
    if _has_content(log):
        out.append(log)
    return out


def _has_content(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > 0
    except OSError:
        return False


def read_legacy(folder: Path) -> LegacyRecords:
    """Read and validate every record in ``folder``; the first bad one raises, naming where."""
    if not folder.is_dir():
        raise FollowupError(f"{folder}: no such folder")
    rounds: list[EvaluationRound] = []
    scores: list[EvaluationScore] = []
    root = folder / ROUNDS
    if root.is_dir():
        for d in sorted(p for p in root.iterdir() if p.is_dir()):
            round_file, score_file = d / ROUND_FILE, d / SCORES_FILE
            if not round_file.is_file():
                if _has_content(score_file):
                    raise FollowupError(f"{score_file}: scores of round {d.name!r}, whose "
                                        f"{ROUND_FILE} is missing")
                continue
            rnd, record = _read_round(round_file, d.name)
            rounds.append(record)
            scores += _read_scores(score_file, rnd)
    updates = _read_updates(folder / LOG_NAME)
    return LegacyRecords(folder, rounds, scores, updates)


def import_legacy(store: Store, folder: Path) -> FollowupImport:
    """Import every legacy record in ``folder`` into ``store``: all in one transaction, or none.

    Records already imported are counted and not written again; the files stay.
    """
    records = read_legacy(folder)
    try:
        return store.import_followup(rounds=records.rounds, scores=records.scores,
                                     updates=records.updates)
    except StoreError as exc:
        raise FollowupError(f"{folder}: {exc}") from None


def legacy_hint(store: Store, folder: Path) -> str | None:
    """One line to print while ``folder`` holds legacy records none of which was imported."""
    files = legacy_files(folder)
    if not files or store.followup_counts()["legacy"]:
        return None
    return (f"note: {folder} holds follow-up records of an older mic2025 ({len(files)} "
            "file(s)) that are not in the store; import them with `mic2025 followup "
            f"import-legacy --folder {folder}`")


def summary(result: FollowupImport, folder: Path) -> str:
    """What an import did, for a person."""
    new = (f"{result.rounds_new} round(s), {result.scores_new} score(s), "
           f"{result.updates_new} supervision update(s)")
    known = result.rounds_known + result.scores_known + result.updates_known
    if result.unchanged:
        return (f"{folder}: every record is already in the store ({known}); nothing changed"
                if known else f"{folder}: no follow-up records to import")
    return (f"{folder}: imported {new}" + (f"; {known} already in the store" if known else "")
            + ". The files were left in place.")


# ---------------------------------------------------------------------------- reading


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` of every non-blank line of a JSON-lines file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FollowupError(f"{path}: not UTF-8 text ({exc.reason})") from None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FollowupError(f"{path}:line {n}: not a JSON record ({exc.msg})") from None
        if not isinstance(record, dict):
            raise FollowupError(f"{path}:line {n}: not a JSON record (an object)")
        yield n, record


def _invalid(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(x) for x in first["loc"]) or "(record)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


class _Digests:
    """Content digests, made unique within a file by counting identical earlier records."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.seen: dict[str, int] = {}

    def __call__(self, record: dict[str, Any]) -> str:
        text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        n = self.seen.get(text, 0)
        self.seen[text] = n + 1
        return hashlib.sha256(f"{self.kind}\n{text}\n{n}".encode()).hexdigest()


def _read_updates(path: Path) -> list[SupervisionUpdate]:
    if not path.is_file():
        return []
    digest = _Digests("supervision_update")
    out = []
    for n, record in _lines(path):
        try:
            u = Update.model_validate(record)
        except ValidationError as exc:
            raise FollowupError(f"{path}:line {n}: not a supervision update: "
                                f"{_invalid(exc)}") from None
        rec = SupervisionUpdate(item=u.item, status=u.status, comment=u.comment, by=u.by,
                                at=u.at, evidence=tuple(u.evidence),
                                seed_version=u.seed_version, seed_sha256=u.seed_sha256,
                                legacy_digest=digest(u.model_dump(mode="json")))
        _check(path, n, check_update, rec, u.at.tzinfo is None)
        out.append(rec)
    return out


def _read_round(path: Path, folder_name: str) -> tuple[Round, EvaluationRound]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FollowupError(f"{path}: not UTF-8 text ({exc.reason})") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        raise FollowupError(f"{path}:line {exc.lineno}: not valid JSON ({exc.msg})") from None
    try:
        rnd = Round.model_validate_json(text)
    except ValidationError as exc:
        raise FollowupError(f"{path}: not a third-party round: {_invalid(exc)}") from None
    if rnd.id != folder_name:
        raise FollowupError(f"{path}: the round's id {rnd.id!r} is not its folder's name "
                            f"{folder_name!r}")
    rec = stored_round(rnd, text, legacy_digest=hashlib.sha256(data).hexdigest())
    naive = rnd.as_of.tzinfo is None or rnd.created_at.tzinfo is None
    _check(path, None, check_round, rec, naive)
    return rnd, rec


def _read_scores(path: Path, rnd: Round) -> list[EvaluationScore]:
    if not path.is_file():
        return []
    digest = _Digests(f"thirdparty_score\n{rnd.id}")
    out = []
    for n, record in _lines(path):
        try:
            s = Score.model_validate(record)
        except ValidationError as exc:
            raise FollowupError(f"{path}:line {n}: not a score: {_invalid(exc)}") from None
        if s.round != rnd.id:
            raise FollowupError(f"{path}:line {n}: a score of round {s.round!r} in the "
                                f"folder of round {rnd.id!r}")
        try:
            check_rubric_score(rnd, evaluator=s.evaluator, item=s.item, criterion=s.criterion,
                               score=s.score)
        except FollowupError as exc:
            raise FollowupError(f"{path}:line {n}: {exc}") from None
        rec = EvaluationScore(round=s.round, evaluator=s.evaluator, item=s.item,
                              criterion=s.criterion, score=s.score, comment=s.comment, at=s.at,
                              legacy_digest=digest(s.model_dump(mode="json")))
        _check(path, n, check_score, rec, s.at.tzinfo is None)
        out.append(rec)
    return out


def _check(path: Path, line: int | None, check: Any, record: Any, naive: bool) -> None:
    """The store's own checks of a record, with the file and line in the message."""
    where = f"{path}:line {line}" if line is not None else str(path)
    if naive:
        raise FollowupError(f"{where}: a time without a time zone; the store keeps UTC")
    try:
        check(record)
    except StoreError as exc:
        raise FollowupError(f"{where}: {exc}") from None
