"""The command line writes as an account of the platform (``mic2025 --as USER``), through the
same service as the platform's pages and API: the same permission check, the same record and
the same audit entry, marked ``via`` ``cli``. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner
from fastapi import FastAPI

from mic2025.cli import main
from mic2025.store import audit
from test_web_support import app, bearer, client, tokens

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here


def test_the_command_line_writes_as_an_account_with_the_platforms_check_and_audit(
        app: FastAPI, tokens: dict[str, str]) -> None:
    """A supervision update and a third-party score made on the command line are refused for
    an account without the grant, and otherwise leave the platform's audit entry, via cli."""
    p = app.state.platform
    db = p.store.engine.url.render_as_string(hide_password=False)
    run = CliRunner().invoke
    c = client(app)
    web_item, cli_item = [m.id for m in p.followup.seed.items if m.owner == "miit"][:2]
    assert c.post("/api/thirdparty/rounds", headers=bearer(tokens["admin"]),
                  json={"id": "r2024", "as_of": "2024-12-31"}).status_code == 201
    before = audit.count(p.engine)

    def update(who: str) -> Any:
        return run(main, ["--as", who, "supervision", "update", cli_item, "--db", db,
                          "--status", "in_progress", "--comment", "centres designated",
                          "--evidence", "https://example.org/n"])

    def score(who: str) -> Any:
        return run(main, ["--as", who, "thirdparty", "round", "score", "r2024", "--db", db,
                          "--item", "broadband_penetration", "--criterion", "progress",
                          "--score", "4", "--comment", "steady"])

    refused = update("ndrc-editor")
    assert refused.exit_code == 2 and "ndrc-editor may not milestone:update" in refused.output
    refused = score("analyst")
    assert refused.exit_code == 2 and "analyst may not score:write" in refused.output
    assert audit.count(p.engine) == before
    assert p.store.supervision_updates(cli_item) == [] and p.store.scores("r2024") == []

    r = c.post(f"/api/supervision/{web_item}/updates", headers=bearer(tokens["miit-editor"]),
               json={"status": "in_progress", "comment": "centres designated",
                     "evidence": ["https://example.org/n"]})
    assert r.status_code == 201, r.text
    assert update("miit-editor").exit_code == 0
    r = c.post("/api/thirdparty/rounds/r2024/scores", headers=bearer(tokens["evaluator"]),
               json={"item": "rd_intensity", "criterion": "progress", "score": 4,
                     "comment": "steady"})
    assert r.status_code == 201, r.text
    assert score("evaluator").exit_code == 0

    def shape(e: audit.AuditEntry) -> dict[str, Any]:
        after = {k: v for k, v in json.loads(e.after or "{}").items() if k not in ("at", "item")}
        return {"actor": e.actor, "action": e.action, "resource": e.resource,
                "before": e.before, "after": after, "comment": e.comment}

    for action, web_id, cli_id in (("milestone.update", web_item, cli_item),
                                   ("score.create", "r2024", "r2024")):
        cli, web = audit.entries(p.engine, action=action)  # newest first
        assert (cli.via, web.via) == ("cli", "token")
        assert (cli.resource_id, web.resource_id) == (cli_id, web_id)
        assert shape(cli) == shape(web)
    assert audit.verify(p.engine).intact


IMPORT_CSV = ("indicator,area,year,period,value,unit,scope,sector,flags,source,source_date,"
              "quote,note\n"
              "rd_intensity,440000,2022,,1.98,%,规模以上制造业,,estimate,"
              "Synthetic example source,2023-01-01,,SYNTHETIC test row\n")


def test_an_import_acts_as_an_administrator_and_leaves_an_audit_entry(
        app: FastAPI, tokens: dict[str, str], tmp_path: Any) -> None:
    """On a store with accounts, `mic2025 import` needs `--as` an account that may import
    (an administrator); the vintage and its `data.import` entry are written together."""
    p = app.state.platform
    db = p.store.engine.url.render_as_string(hide_password=False)
    f = tmp_path / "guangdong.csv"
    f.write_text(IMPORT_CSV, encoding="utf-8")
    run = CliRunner().invoke
    vintages, entries = len(p.store.vintages()), audit.count(p.engine)

    nameless = run(main, ["import", str(f), "--db", db])
    assert nameless.exit_code == 2 and "mic2025 --as USER" in nameless.output
    editor = run(main, ["--as", "gd-editor", "import", str(f), "--db", db])
    assert editor.exit_code == 2 and "gd-editor may not data:import" in editor.output
    legacy = run(main, ["import", str(f), "--db", db, "--actor", "someone"])
    assert legacy.exit_code == 2 and "--actor is gone" in legacy.output
    assert (len(p.store.vintages()), audit.count(p.engine)) == (vintages, entries)

    done = run(main, ["--as", "admin", "import", str(f), "--db", db, "--note", "Q4 revision"])
    assert done.exit_code == 0, done.output
    vintage = p.store.vintages()[-1]
    assert (vintage.source_name, vintage.actor) == ("guangdong.csv", "admin")
    (entry,) = audit.entries(p.engine, action="data.import")
    assert (entry.actor, entry.via, entry.resource, entry.resource_id, entry.comment) == \
        ("admin", "cli", "vintage", str(vintage.id), "Q4 revision")
    assert json.loads(entry.after or "{}")["new"] == 1
    again = run(main, ["--as", "admin", "import", str(f), "--db", db])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert audit.count(p.engine) == entries + 1  # nothing written, nothing audited
    assert audit.verify(p.engine).intact


def test_a_personal_store_imports_as_the_person_at_the_shell(
        tmp_path: Any, sqlite_copy: Callable[..., str]) -> None:
    """A store with no account at all (what `make run` makes) imports without `--as`,
    audited as `cli`; once it has an account, the same command must name one."""
    from mic2025.store import open_store

    db = sqlite_copy(tmp_path / "own.sqlite")  # as the first command leaves it
    f = tmp_path / "figures.csv"
    f.write_text(IMPORT_CSV, encoding="utf-8")
    run = CliRunner().invoke
    assert run(main, ["import", str(f), "--db", db]).exit_code == 0
    with open_store(db) as store:
        (entry,) = audit.entries(store.engine, action="data.import")
        assert (entry.actor, entry.via) == ("cli", "cli")
    added = run(main, ["users", "add", "ops", "--role", "admin", "--password",
                       "a long enough password", "--db", db])
    assert added.exit_code == 0, added.output
    g = tmp_path / "more.csv"
    g.write_text(IMPORT_CSV.replace("1.98", "2.01"), encoding="utf-8")
    refused = run(main, ["import", str(g), "--db", db])
    assert refused.exit_code == 2 and "this store has accounts" in refused.output
    assert run(main, ["--as", "ops", "import", str(g), "--db", db]).exit_code == 0


def test_the_personal_actor_is_refused_once_the_store_has_an_account(
        tmp_path: Any, sqlite_copy: Callable[..., str]) -> None:
    """Chosen while the store had no account, the person at the shell is checked again inside
    the write: an account added meanwhile makes the import refused, nothing written."""
    import pytest

    from mic2025.permissions import SYSTEM, Forbidden
    from mic2025.plan import load_plan
    from mic2025.services.accounts import create_first_admin, personal_actor
    from mic2025.services.imports import import_file
    from mic2025.store import open_store

    f = tmp_path / "figures.csv"
    f.write_text(IMPORT_CSV, encoding="utf-8")
    with open_store(sqlite_copy(tmp_path / "race.sqlite", evidence=False)) as store:
        actor = personal_actor(store.engine)
        create_first_admin(store.engine, SYSTEM, "ops", "a long enough password")
        with pytest.raises(Forbidden, match="the store has accounts now"):
            import_file(store, actor, f, load_plan())
        assert store.vintages() == []
