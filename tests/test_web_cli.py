"""``mic2025 users`` and ``mic2025 serve`` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.store import open_store
from mic2025.web import accounts, audit
from test_web_support import cheap_argon2

__all__ = ["cheap_argon2"]


def test_users_add_list_disable_and_token(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'users.sqlite'}"
    run = CliRunner().invoke
    added = run(main, ["users", "add", "alice", "--role", "prov_editor:440000", "--role",
                       "prov_approver:440000", "--password", "alice-password", "--db", db])
    assert added.exit_code == 0, added.output
    listed = run(main, ["users", "list", "--db", db])
    assert "alice" in listed.output and "prov_approver:440000" in listed.output
    token = run(main, ["users", "token", "alice", "--db", db]).output.strip()
    assert token.startswith("m25_")
    assert run(main, ["users", "disable", "alice", "--db", db]).exit_code == 0
    assert "disabled" in run(main, ["users", "list", "--db", db]).output
    with open_store(db) as store:
        assert accounts.actor_for_token(store.engine, token) is None
        actions = [e.action for e in audit.entries(store.engine)]
        assert actions == ["user.disable", "token.create", "user.create"]
        assert {e.actor for e in audit.entries(store.engine)} == {"cli"}


@pytest.mark.parametrize("role", ["prov_editor:999999", "admin:440000", "king", "enterprise:"])
def test_users_add_refuses_bad_roles(tmp_path: Path, role: str) -> None:
    result = CliRunner().invoke(main, ["users", "add", "bob", "--role", role, "--password",
                                       "bob-password", "--db",
                                       f"sqlite:///{tmp_path / 'u.sqlite'}"])
    assert result.exit_code == 2 and "error:" in result.output


def test_serve_is_registered_with_its_options() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--demo"):
        assert option in result.output
