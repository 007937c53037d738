"""``mic2025 users`` and ``mic2025 serve`` on the command line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mic2025.cli import main
from mic2025.services import accounts
from mic2025.store import open_store
from mic2025.web import audit


def test_users_add_list_disable_and_token(tmp_path: Path,
                                          sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "users.sqlite", evidence=False)  # users load no bundle
    run = CliRunner().invoke
    # the first account of an empty store is its administrator, made without --as
    first = run(main, ["users", "add", "root", "--role", "admin", "--password",
                       "root-password", "--db", db])
    assert first.exit_code == 0, first.output
    added = run(main, ["--as", "root", "users", "add", "alice", "--role",
                       "prov_editor:440000", "--role", "prov_approver:440000", "--password",
                       "alice-password", "--db", db])
    assert added.exit_code == 0, added.output
    listed = run(main, ["users", "list", "--db", db])
    assert "alice" in listed.output and "prov_approver:440000" in listed.output
    token = run(main, ["--as", "root", "users", "token", "alice", "--db", db]).output.strip()
    assert token.startswith("m25_")
    assert run(main, ["--as", "root", "users", "disable", "alice", "--db", db]).exit_code == 0
    assert "disabled" in run(main, ["users", "list", "--db", db]).output
    with open_store(db) as store:
        assert accounts.actor_for_token(store.engine, token) is None
        entries = audit.entries(store.engine)
        assert [e.action for e in entries] == ["user.disable", "token.create", "user.create",
                                               "user.create"]
        assert [e.actor for e in entries] == ["root", "root", "root", "cli"]
        assert {e.via for e in entries} == {"cli"}


def test_a_writing_command_acts_as_a_named_account_with_its_rights(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "as.sqlite", evidence=False)
    run = CliRunner().invoke
    assert run(main, ["users", "add", "root", "--role", "admin", "--password",
                      "root-password", "--db", db]).exit_code == 0
    # once the store has an account, adding one needs an account to act as
    r = run(main, ["users", "add", "bob", "--role", "analyst", "--password", "bob-password",
                   "--db", db])
    assert r.exit_code == 2 and "mic2025 --as USER" in r.output
    r = run(main, ["--as", "nobody", "users", "add", "bob", "--role", "analyst",
                   "--password", "bob-password", "--db", db])
    assert r.exit_code == 2 and "no user 'nobody'" in r.output
    monkeypatch.setenv("MIC2025_ACTOR", "root")
    assert run(main, ["users", "add", "bob", "--role", "analyst", "--password",
                      "bob-password", "--db", db]).exit_code == 0
    # an analyst may not manage users, nor another's tokens
    for args in (["users", "add", "eve", "--role", "admin", "--password", "eve-password"],
                 ["users", "disable", "root"], ["users", "token", "root"]):
        r = run(main, ["--as", "bob", *args, "--db", db])
        assert r.exit_code == 2 and "bob may not" in r.output, r.output
    # ... but may make a token of its own
    assert run(main, ["--as", "bob", "users", "token", "bob", "--db", db]).exit_code == 0
    r = run(main, ["--as", "root", "users", "disable", "bob", "--db", db])
    assert r.exit_code == 0
    r = run(main, ["--as", "bob", "users", "token", "bob", "--db", db])
    assert r.exit_code == 2 and "disabled" in r.output


def test_the_first_account_is_an_administrator(tmp_path: Path,
                                               sqlite_copy: Callable[..., str]) -> None:
    db = sqlite_copy(tmp_path / "f.sqlite", evidence=False)  # a store with no account yet
    r = CliRunner().invoke(main, ["users", "add", "alice", "--role", "analyst", "--password",
                                  "alice-password", "--db", db])
    assert r.exit_code == 2 and "--role admin" in r.output


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


def test_several_workers_without_a_shared_secret_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIC2025_SECRET", raising=False)
    monkeypatch.delenv("MIC2025_SECRET_FILE", raising=False)
    result = CliRunner().invoke(main, ["serve", "--workers", "2", "--db",
                                       f"sqlite:///{tmp_path / 'w.sqlite'}"])
    assert result.exit_code == 2
    assert "MIC2025_SECRET" in result.output and "--secret-file" in result.output


def test_the_secret_file_is_made_private_and_refused_when_readable(tmp_path: Path) -> None:
    from mic2025.web.settings import SettingsError, secret_from_file

    path = tmp_path / "secret"
    key = secret_from_file(path, create=True)
    assert len(key) >= 32 and (path.stat().st_mode & 0o777) == 0o600
    assert secret_from_file(path, create=True) == key  # made once, then read
    path.chmod(0o644)
    with pytest.raises(SettingsError, match="chmod 600"):
        secret_from_file(path)


@pytest.mark.slow  # two uvicorn worker processes start and stop
def test_forms_work_across_two_workers(tmp_path: Path) -> None:
    """``serve --workers 2`` as a child on loopback: a CSRF token from any worker is good."""
    import os
    import re
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    db = f"sqlite:///{tmp_path / 'workers.sqlite'}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if k not in ("MIC2025_SECRET",
                                                            "MIC2025_SECRET_FILE")}
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from mic2025.cli import main; sys.exit(main())",
         "serve", "--port", str(port), "--db", db, "--workers", "2", "--demo",
         "--secret-file", str(tmp_path / "secret"), "--followup-dir", str(tmp_path / "fu"),
         "--log-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-2000:]
            try:
                if httpx.get(f"{base}/api/areas", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail("the server did not answer within 90 s")
        # fresh connections land on either worker; every log-in must pass the CSRF check
        for _ in range(8):
            with httpx.Client(base_url=base, timeout=10) as c:
                page = c.get("/login")
                token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
                assert token
            with httpx.Client(base_url=base, timeout=10, cookies=c.cookies) as c2:
                r = c2.post("/login", data={"username": "demo-analyst",
                                            "password": "demo-analyst-pass",
                                            "csrf_token": token.group(1), "next": "/"})
                assert r.status_code == 303, r.text[:300]
        # the log-ins went to the writer process, one child of the server (mic2025.web.writer)
        writers = _writers(proc.pid)
        assert len(writers) == 1, writers
        # two workers beside it, each accepting on a listening socket of its own
        workers = [pid for pid, cmd in _group(proc.pid) if "mic2025.web.workers" in cmd]
        assert len(workers) == 2, _group(proc.pid)
        assert len({_listening(pid) for pid in workers}) == 2
        assert all(len(_listening(pid)) == 1 for pid in workers)
        # killed, it is started again and the next write is served
        os.kill(writers[0], signal.SIGKILL)
        deadline = time.monotonic() + 90
        while True:
            with httpx.Client(base_url=base, timeout=10) as c:
                token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"',
                                  c.get("/login").text)
                assert token
                r = c.post("/login", data={"username": "demo-analyst",
                                           "password": "demo-analyst-pass",
                                           "csrf_token": token.group(1), "next": "/"})
            if r.status_code == 303:
                break
            assert r.status_code == 503, r.text[:300]  # until the new writer answers
            assert time.monotonic() < deadline, "the writer was not started again"
            time.sleep(0.5)
        assert len(_writers(proc.pid)) == 1 and _writers(proc.pid) != writers
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()
    # stopping the server stops every process it started
    assert _group(proc.pid) == []


def _group(pgid: int) -> list[tuple[int, str]]:
    """(PID, command line) of the running processes of process group ``pgid``."""
    out = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            if entry.name.isdigit() and int(fields[2]) == pgid and fields[0] != "Z":
                out.append((int(entry.name), (entry / "cmdline").read_bytes().decode(
                    errors="replace").replace("\0", " ")))
        except OSError:  # not a process, or ended meanwhile
            continue
    return out


def _listening(pid: int) -> frozenset[str]:
    """The socket inodes of process ``pid`` that listen on TCP (from /proc/net/tcp)."""
    mine = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    listening = {line.split()[9] for line in Path(f"/proc/{pid}/net/tcp").read_text()
                 .splitlines()[1:] if line.split()[3] == "0A"}  # 0A: LISTEN
    return frozenset(mine & listening)


def _writers(pgid: int) -> list[int]:
    return [pid for pid, cmd in _group(pgid) if "writer.sock" in cmd]
