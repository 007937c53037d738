"""The command line writes as an account of the platform (``mic2025 --as USER``), through the
same service as the platform's pages and API: the same permission check, the same record and
the same audit entry, marked ``via`` ``cli``. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
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
