"""Several workers on one address (mic2025.web.workers): each accepts on a listening socket of
its own, connections arriving together spread over them, a worker that ends is started again
on its socket without a connection being refused, and stopping the server stops them all.
Through real processes on loopback. ``serve --workers 2`` with the platform's app is in
tests/test_web_cli.py."""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mic2025.web.workers import WorkersError, balanced, listening_sockets, run_workers

pytestmark = pytest.mark.skipif(not balanced(), reason="Linux spreads connections over "
                                                       "SO_REUSEPORT sockets; others do not")


def whose_app() -> Any:
    """A uvicorn factory (imported by name in each worker): an app answering its process id."""
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        body = str(os.getpid()).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ask(port: int, sock: socket.socket | None = None) -> int:
    """The process id that answered one request (on ``sock``, already connected, if given)."""
    with sock or socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.settimeout(20)
        s.sendall(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        got = b""
        while chunk := s.recv(65536):
            got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), got[:200]
    return int(body)


def _burst(port: int, n: int) -> collections.Counter[int]:
    """``n`` connections opened together, then one request on each: who answered how many."""
    conns = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]
    with ThreadPoolExecutor(16) as pool:
        return collections.Counter(pool.map(lambda c: _ask(port, c), conns))


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    tests = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([tests, *sys.path])}
    code = ("from mic2025.web.workers import run_workers; run_workers("
            f"'test_web_workers:whose_app', host='127.0.0.1', port={port}, workers=2, "
            "log_level='warning')")
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        # until both serve (one killed while it starts would stop the server, as it should)
        while len(set(_children(proc.pid))) < 2 or not _answers(port) or len(
                _burst(port, 16)) < 2:
            assert proc.poll() is None, f"the server exited with code {proc.returncode}"
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.1)
        yield proc, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs (neither gone nor a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _answers(port: int) -> bool:
    try:
        _ask(port)
    except OSError:
        return False
    return True


def test_connections_arriving_together_are_spread_over_the_workers(
        server: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = server
    workers = set(_children(proc.pid))
    seen = _burst(port, 64)
    assert set(seen) == workers, (seen, workers)
    # by a hash of the client's port: about evenly (below 12 of 64 is a chance of 1e-7)
    assert min(seen.values()) >= 12, seen


def test_a_worker_that_ends_is_started_again_on_its_socket_and_the_server_stops_whole(
        server: tuple[subprocess.Popen[bytes], int]) -> None:
    proc, port = server
    first, second = _children(proc.pid)
    os.kill(first, signal.SIGKILL)
    while _running(first):  # a connection it had accepted as it died is lost with it
        time.sleep(0.01)
    # connections meant for its socket wait in that socket's queue for the new worker
    seen = _burst(port, 32)
    assert sum(seen.values()) == 32 and first not in seen
    deadline = time.monotonic() + 30
    while len(set(_children(proc.pid)) - {first}) < 2:
        assert time.monotonic() < deadline, "the worker was not started again"
        time.sleep(0.1)
    again = set(_children(proc.pid))
    assert second in again and first not in again
    assert set(_burst(port, 64)) == again
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(40) == 0
    assert not any(_running(pid) for pid in again)  # every worker stopped with it


def test_an_address_taken_by_another_program_is_refused_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(WorkersError, match=f"cannot listen on 127.0.0.1:{port}: "):
            listening_sockets("127.0.0.1", port, 2)
    got = listening_sockets("127.0.0.1", 0, 3)  # port 0: one free port for all
    try:
        assert len({s.getsockname() for s in got}) == 1 and got[0].getsockname()[1] != 0
    finally:
        for s in got:
            s.close()


def test_a_worker_that_cannot_start_stops_the_server_saying_so() -> None:
    started = time.monotonic()
    with pytest.raises(WorkersError, match=r"worker \d of 2 exited with code \d+ before it served"):
        run_workers("test_web_workers:no_such_factory", host="127.0.0.1", port=0,
                    workers=2, log_level="critical",
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(
                        [str(Path(__file__).parent), *sys.path])})
    assert time.monotonic() - started < 30
