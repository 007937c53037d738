"""The writer process (mic2025.web.writer): a worker hands every unsafe request to it, as it
came, and passes the answer back; reads stay in the worker. Through two real apps on one
store — a worker and a writer served by uvicorn on a Unix socket — on SQLite and PostgreSQL.
``serve --workers 2`` with its writer as child processes is in tests/test_web_cli.py."""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy import select

from mic2025 import i18n
from mic2025.store.platform import AuditRow
from mic2025.web.app import create_app
from mic2025.web.writer import (
    ENV_WORKER_THREADS,
    IDLE_SECONDS,
    ORIGIN_HEADER,
    WORKER_SWITCH_SECONDS,
    WORKER_THREADS,
    FromReaders,
    ToWriter,
    writer_server_options,
)
from test_web_support import TestClient, app, bearer, good_file, log_in, tokens, upload

__all__ = ["app", "tokens"]  # fixtures, imported so that they apply here


class _Seen:
    """The requests an app was given (method, path), in order."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@contextmanager
def _served(asgi: Any, options: Callable[[str], dict[str, Any]] | None = None
            ) -> Iterator[str]:
    """``asgi`` served by uvicorn on a Unix socket (in a thread); yields the socket's path.
    ``options(path)``: uvicorn's options (default: that socket, warnings logged)."""
    folder = tempfile.mkdtemp(prefix="mic2025-wt-")  # a short path: sockets allow 107 bytes
    path = str(Path(folder) / "w.sock")
    given = options(path) if options is not None else {"uds": path, "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(asgi, lifespan="off", **given))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the writer did not start"
            time.sleep(0.02)
        yield path
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _worker_and_writer(app: FastAPI) -> Iterator[tuple[TestClient, _Seen]]:
    """A worker (a new app on ``app``'s store) whose unsafe requests go to a writer (another),
    as ``mic2025 serve --workers N`` builds them; yields a client of the worker and what the
    writer was given."""
    settings = app.state.settings
    writer = create_app(settings=settings)
    writer.add_middleware(FromReaders)
    seen = _Seen(writer)
    worker = create_app(settings=settings)
    try:
        with _served(seen) as path:
            worker.add_middleware(ToWriter, socket_path=path)
            with TestClient(worker, base_url="http://testserver", follow_redirects=False,
                            client=("203.0.113.7", 50123)) as c:
                yield c, seen
    finally:
        writer.state.platform.close()
        worker.state.platform.close()


def _audited_ips(app: FastAPI, action: str) -> list[str | None]:
    with app.state.platform.engine.connect() as conn:
        return list(conn.scalars(select(AuditRow.ip).where(AuditRow.action == action)
                                 .order_by(AuditRow.id)))


def test_writes_go_to_the_writer_and_reads_stay(app: FastAPI, tokens: dict[str, str]) -> None:
    with _worker_and_writer(app) as (c, seen):
        assert c.get("/api/indicators").status_code == 200
        assert c.get("/login").status_code == 200
        assert seen.requests == []  # reads: the worker's own
        r = upload(c, tokens["gd-editor"])
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        assert seen.requests == [("POST", "/api/submissions")]
        # the writer's answer came back whole: the worker reads the same submission
        got = c.get(f"/api/submissions/{sid}", headers=bearer(tokens["gd-editor"]))
        assert got.status_code == 200 and got.json()["status"] == "draft"
        # a form: CSRF token from the worker's page, checked by the writer (one secret)
        assert log_in(c, "gd-editor").status_code == 303
        assert seen.requests[-1] == ("POST", "/login")
        assert c.get("/account").status_code == 200  # the writer's session cookie holds


def test_the_writer_records_the_clients_address_not_the_socket(
        app: FastAPI, tokens: dict[str, str]) -> None:
    with _worker_and_writer(app) as (c, _):
        # a client cannot pass for another: its own origin header is replaced by the worker
        r = c.post("/api/submissions", headers={**bearer(tokens["gd-editor"]),
                                               ORIGIN_HEADER.decode(): "http 198.51.100.9 1"},
                   data={"area": "440000", "year": "2024", "enterprise": ""},
                   files={"file": ("f.csv", b"indicator,area,year,value,unit,scope,source\n"
                                   b"rd_intensity,440000,2024,2.1,%,,x\n", "text/csv")})
        assert r.status_code == 201, r.text
    assert _audited_ips(app, "submission.upload")[-1] == "203.0.113.7"


def test_a_writer_that_does_not_answer_is_a_503_in_the_users_language(
        app: FastAPI, tokens: dict[str, str], tmp_path: Path) -> None:
    worker = create_app(settings=app.state.settings)
    worker.add_middleware(ToWriter, socket_path=str(tmp_path / "nobody.sock"))
    try:
        with TestClient(worker, base_url="http://testserver", follow_redirects=False) as c:
            before = c.get("/api/submissions", headers=bearer(tokens["gd-editor"])).json()
            r = upload(c, tokens["gd-editor"])
            assert r.status_code == 503
            assert r.json() == {"detail": i18n.t("writer_unavailable", "en"),
                                "key": "writer_unavailable"}
            assert r.headers["retry-after"] == "5"
            assert r.headers["x-frame-options"] == "DENY"
            page = c.post("/login", data={"username": "x", "password": "y"},
                          headers={"Cookie": "m25_lang=zh"})
            assert page.status_code == 503
            assert i18n.t("writer_unavailable", "zh") in page.text
            # reads go on, and nothing was written
            assert c.get("/api/indicators").status_code == 200
            after = c.get("/api/submissions", headers=bearer(tokens["gd-editor"])).json()
            assert after == before
    finally:
        worker.state.platform.close()


def test_a_worker_with_a_writer_runs_fewer_requests_in_threads_at_once(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def threads(c: TestClient) -> int:
        assert c.portal is not None
        return int(c.portal.call(lambda: to_thread.current_default_thread_limiter()
                                 .total_tokens))

    worker = create_app(settings=app.state.settings)
    worker.add_middleware(ToWriter, socket_path="/nonexistent/w.sock")
    default = sys.getswitchinterval()
    try:
        with TestClient(worker) as c:
            assert threads(c) == WORKER_THREADS == 8
            # and its threads hand the interpreter on sooner, the relaying loop among them
            assert sys.getswitchinterval() == WORKER_SWITCH_SECONDS < default
        assert sys.getswitchinterval() == default  # as it was once the worker stops
        monkeypatch.setenv(ENV_WORKER_THREADS, "3")
        with TestClient(worker) as c:
            assert threads(c) == 3
    finally:
        worker.state.platform.close()
    alone = create_app(settings=app.state.settings)  # without a writer: anyio's default
    try:
        with TestClient(alone) as c:
            assert threads(c) == 40
    finally:
        alone.state.platform.close()


@pytest.mark.parametrize("value", ["0", "many", "401"])
def test_serve_refuses_a_bad_number_of_worker_threads(
        value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from mic2025.cli import main

    monkeypatch.setenv(ENV_WORKER_THREADS, value)
    monkeypatch.setenv("MIC2025_SECRET", "s" * 40)
    result = CliRunner().invoke(main, ["serve", "--workers", "2", "--db",
                                       f"sqlite:///{tmp_path / 'w.sqlite'}",
                                       "--followup-dir", str(tmp_path / "fu")])
    assert result.exit_code == 2, result.output
    assert f"MIC2025_WORKER_THREADS={value!r}" in result.output


def test_a_writer_that_stops_with_the_request_is_a_502_that_does_not_say_nothing_was_saved(
        app: FastAPI, tokens: dict[str, str]) -> None:
    """The writer took the request and went away before answering: it may have committed,
    so the answer says the outcome is not known (not "nothing was saved", not "try again")."""
    import socket

    folder = tempfile.mkdtemp(prefix="mic2025-wt-")
    path = str(Path(folder) / "w.sock")
    took: list[bytes] = []
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)

    def take_and_vanish() -> None:
        conn, _ = listener.accept()
        with conn:
            took.append(conn.recv(65536))  # the request arrives; no answer ever goes back

    thread = threading.Thread(target=take_and_vanish, daemon=True)
    thread.start()
    worker = create_app(settings=app.state.settings)
    worker.add_middleware(ToWriter, socket_path=path)
    try:
        with TestClient(worker, base_url="http://testserver") as c:
            r = upload(c, tokens["gd-editor"])
        assert r.status_code == 502
        assert r.json() == {"detail": i18n.t("writer_lost", "en"), "key": "writer_lost"}
        assert "retry-after" not in r.headers
        assert took and took[0].startswith(b"POST /api/submissions HTTP/1.1")
    finally:
        thread.join(10)
        listener.close()
        worker.state.platform.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_body_over_the_limit_is_refused_by_the_writer_as_413_through_the_worker(
        app: FastAPI, tokens: dict[str, str]) -> None:
    """The writer refuses a body past the limit before it has read it all; the worker, still
    passing the body on, must pass the 413 back, not report the writer lost."""
    from dataclasses import replace

    settings = replace(app.state.settings, max_body_bytes=20_000)
    writer = create_app(settings=settings)
    writer.add_middleware(FromReaders)
    worker = create_app(settings=settings)
    try:
        with _served(writer) as path:
            worker.add_middleware(ToWriter, socket_path=path)
            with TestClient(worker, base_url="http://testserver") as c:
                big = good_file() + b"#" * 2_000_000
                r = upload(c, tokens["gd-editor"], data=big)
                assert r.status_code == 413, r.text[:300]
                # and the worker goes on passing writes
                assert upload(c, tokens["gd-editor"]).status_code == 201
    finally:
        writer.state.platform.close()
        worker.state.platform.close()


def test_the_worker_closes_an_idle_connection_to_the_writer_before_the_writer_does(
        tmp_path: Path) -> None:
    """A connection to the writer is closed by the worker, never by the writer, so a write is
    never sent on a connection the writer is closing at that moment (with uvicorn's and
    httpx's 5 s on both sides, three approvals in a minute of sustained load came back as
    502 "writer lost" without having reached the writer). The writer, served with
    :func:`writer_server_options`, still answers on a connection idle for longer than
    uvicorn's default keep-alive (5 s); the worker's client drops its own first."""
    import socket

    writer = create_app(f"sqlite:///{tmp_path / 'store.sqlite'}", secret="s" * 32,
                        followup_dir=tmp_path / "followup")
    worker = ToWriter(writer, socket_path="unused")
    assert worker.client()._transport._pool._keepalive_expiry == IDLE_SECONDS  # type: ignore[attr-defined]
    assert writer_server_options("w.sock", "warning")["timeout_keep_alive"] > IDLE_SECONDS + 5
    try:
        with _served(writer, lambda path: writer_server_options(path, "warning")) as path, \
                socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(path)
            conn.settimeout(10)
            ask = b"GET /api/indicators/none HTTP/1.1\r\nHost: writer\r\n\r\n"

            def answer() -> bytes:
                got = b""
                while b"\r\n\r\n" not in got:
                    got += conn.recv(65536) or b"<closed>"
                    assert not got.endswith(b"<closed>"), got
                head, _, body = got.partition(b"\r\n\r\n")
                length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                                  if line.lower().startswith(b"content-length")))
                while len(body) < length:
                    body += conn.recv(65536)
                return head

            conn.sendall(ask)
            assert answer().startswith(b"HTTP/1.1 404")
            time.sleep(6.0)  # past uvicorn's default keep-alive of 5 s
            conn.sendall(ask)
            assert answer().startswith(b"HTTP/1.1 404")
    finally:
        writer.state.platform.close()
