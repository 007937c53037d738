"""The house's walls, read from the source: SQL only in the store, writes only in services.

* No module outside ``mic2025/store/`` imports SQLAlchemy (not even for a type): the store
  owns every query.
* The store's writing functions — the audit log's ``record``, the rows of accounts,
  submissions, deadlines and reviews, the follow-up records' ``append_*``/``add_round``, and
  the writer transaction ``begin_write`` — are reached only from ``mic2025/services/`` (and
  the store itself), so no page, command or library module writes a record without the
  permission check and the audit entry.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "mic2025"

#: store module → its functions that write (reading functions may be imported anywhere)
WRITERS = {
    "audit": {"record"},
    "accounts": {"insert_user", "set_user_disabled", "begin_attempt", "open_session",
                 "close_session", "insert_token", "revoke_token"},
    "submissions": {"insert_submission", "change", "put_deadline"},
    "reviews": {"insert_review"},
    "notices": {"insert_notice", "mark_read", "claim_email"},
    "db": {"begin_write", "take_write_lock"},
}
#: the store's methods that write figures or append follow-up records
WRITING_METHODS = {"append_supervision_update", "append_score", "add_round",
                   "import_observations"}
#: the one write outside the services: the installation loading its own bundled evidence
#: (``ingest.load_bundled``, kind ``bundled``) — not a person's write, so no audit entry
INSTALLATION_WRITES = {("ingest/load.py", "import_observations")}


def modules(*, outside: tuple[str, ...]) -> list[tuple[str, ast.Module]]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(outside):
            continue
        found.append((rel, ast.parse(path.read_text(encoding="utf-8"), rel)))
    return found


def _store_module(rel: str, node: ast.ImportFrom) -> str | None:
    """The store module an ``import from`` names (``audit`` for ``..store.audit``), if any."""
    package = rel.split("/")[:-1]
    if node.level:
        base = package[:len(package) - node.level + 1]
        parts = ["mic2025", *base, *(node.module.split(".") if node.module else [])]
    else:
        parts = (node.module or "").split(".")
    if parts[:2] != ["mic2025", "store"]:
        return None
    return parts[2] if len(parts) > 2 else ""


def test_only_the_store_imports_sqlalchemy() -> None:
    offenders = []
    for rel, tree in modules(outside=("store/",)):
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            offenders += [f"{rel}:{node.lineno} imports {n}" for n in names
                          if n == "sqlalchemy" or n.startswith("sqlalchemy.")]
    assert offenders == []


def test_only_services_reach_the_stores_writing_functions() -> None:
    offenders = []
    for rel, tree in modules(outside=("store/", "services/")):
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                where = _store_module(rel, node)
                if where is None:
                    continue
                for alias in node.names:
                    if where == "" and alias.name in WRITERS:
                        offenders.append(f"{rel}:{node.lineno} imports the store's "
                                         f"{alias.name} module, which writes")
                    elif alias.name in WRITERS.get(where, ()):
                        offenders.append(f"{rel}:{node.lineno} imports {where}.{alias.name}")
            elif (isinstance(node, ast.Attribute) and node.attr in WRITING_METHODS
                  and (rel, node.attr) not in INSTALLATION_WRITES):
                offenders.append(f"{rel}:{node.lineno} calls .{node.attr}")
    assert offenders == []


@pytest.mark.parametrize(("source", "found"), [
    ("from ..store.audit import record", True),
    ("from ..store.audit import entries", False),
    ("from ..store import accounts", True),
    ("from ..store import summaries", False),
    ("store.append_score(round='r')", True),
    ("store.import_observations([], source_name='x', sha256=None)", True),
])
def test_the_wall_check_sees_a_write(tmp_path: Path, source: str, found: bool,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "page.py").write_text(source + "\n", encoding="utf-8")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path)
    if found:
        with pytest.raises(AssertionError):
            test_only_services_reach_the_stores_writing_functions()
    else:
        test_only_services_reach_the_stores_writing_functions()
