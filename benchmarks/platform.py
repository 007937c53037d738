"""The web platform under concurrent load on loopback: readers while provinces upload.

``CLIENTS`` simulated readers (default 200) fetch the overview, an indicator page and the
API in a bounded loop while 31 provinces each upload, submit and get approved one file at
the same time. The script prints p50/p99 latency and throughput for reads, for the three
workflow steps together and for the approval alone, then checks, from the database, that
every accepted submission was stored exactly once (one vintage each, with exactly its rows)
and none was lost.

    .venv/bin/python benchmarks/platform.py [--clients 200] [--rounds 3 | --duration S]
                                            [--db URL] [--server inprocess|subprocess]
                                            [--workers 2] [--cpu-requests 1000]

With ``--rounds N`` (the default, 3) each reader reads the page mix N times and each
province makes one cycle (upload, submit, approve). With ``--duration S`` the readers read
the mix again and again, and every province starts cycle after cycle, each a new submission
of new figures, until S seconds have passed since the load began (a cycle or read already
started is finished), so that reads and approvals overlap for the whole run. The platform
runs with one approval level (the province's approval writes the vintage), in both modes.

``--server inprocess`` (the default) runs the server in a thread of this process, so the
clients and the server share one interpreter. ``--server subprocess`` starts
the app of ``mic2025 serve --workers N`` (default 2; uvicorn's workers, each building the
app from the environment as ``serve`` does, plus the bare endpoint) as a child process with
a shared secret, and this process only runs the clients: the latency measured is then not
the clients competing with the server for one interpreter. The child is stopped by its PID
at the end (SIGTERM, then SIGKILL of its own process group if it has not exited within 30 s).

In the same run, on the same server, a bare endpoint (``/bench/bare``: a fixed text, mounted
only in the benchmark's app, behind the same middleware) is read as often as the usual page
mix, and the server's CPU per request is printed for both, with their ratio, and for the
page mix read again with the entity tags the first reads got (``304``). The server's CPU is
the process's minus this thread's (the clients' loop) in process, and the child's process
group's from ``/proc`` as a subprocess; the ratio is printed, never asserted.

The approvals' server time is also printed in parts: waiting for the turn to write (this
process's writer lock and the database's), inside the write transaction, and its commit;
the benchmark's app times them by wrapping ``begin_write`` of ``mic2025.services.submissions``
(in the benchmark's processes only) and sends them in the same ``Server-Timing`` header.

Everything listens on 127.0.0.1 only; loops are bounded; the store is a temporary SQLite
file unless ``--db`` names another (a PostgreSQL URL runs the same benchmark there).
Latencies are printed, never asserted: they depend on the machine.
"""

# ruff: noqa: E402  (the path fix below must run before any other import)
from __future__ import annotations

import os
import sys

# Run as a script, this file's folder comes first on sys.path, and its name would shadow the
# standard library's ``platform`` module for everything imported after it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse
import asyncio
import collections
import contextlib
import contextvars
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from mic2025 import reference
from mic2025.permissions import Actor
from mic2025.services import accounts
from mic2025.web.app import create_app

SYSTEM = Actor(id=None, username="benchmark", via="system")
RETRIED: list[str] = []  # reads sent again after a closed keep-alive connection
#: the server's own time of each read and approval (its ``Server-Timing``), in seconds
SERVER_READS: list[float] = []
SERVER_APPROVALS: list[float] = []
#: the approvals' ``Server-Timing`` parts (seconds): "wait" for the turn to write (this
#: process's writer lock and the database's), "write" inside the transaction, "commit";
#: with a writer process, "relay": the whole time in the worker that passed it on
APPROVAL_PARTS: dict[str, list[float]] = {"wait": [], "write": [], "commit": [], "relay": []}
#: the parts of the current request's time, filled by :func:`_timed_write` (a dict set by
#: :class:`_Timed`: the worker thread of a sync endpoint sees the same dict)
_PARTS: contextvars.ContextVar[dict[str, float]] = contextvars.ContextVar("bench_parts")
#: the CPU seconds this process (the load generator) used during the load phase
CLIENT_CPU: list[float] = []
#: which server process answered each read and each approval (its ``X-Bench-Worker``): how
#: the server spread the connections over its workers, which sets who competes with whom
READ_WORKERS: collections.Counter[str] = collections.Counter()
APPROVAL_WORKERS: collections.Counter[str] = collections.Counter()
BARE = "/bench/bare"
READ_PATHS = ("/", "/indicators/rd_intensity", "/api/observations?indicator=rd_intensity",
              "/api/evaluations?area=000000", "/api/indicators")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _figures(area: str, year: int, cycle: int = 0) -> bytes:
    """A province's file; each cycle's figures differ a little, so that its approval is a
    new file with new values (a vintage of its own), not a file already imported."""
    return (
        "indicator,area,year,value,unit,source\n"
        f"rd_intensity,{area},{year},{1 + int(area[:2]) / 100 + cycle / 10000:.4f},%,"
        "benchmark\n"
        f"broadband_penetration,{area},{year},{50 + int(area[:2]) / 10 + cycle / 1000:.3f},%,"
        "benchmark\n"
    ).encode()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class _Connection:
    """One reader's keep-alive HTTP/1.1 connection on asyncio streams.

    The readers are most of the load and run in one event loop on the same two cores as the
    server: a general client (httpx) costs them about a core by itself, which then shows as
    latency. This reads a ``GET`` answer with the least work (status line, headers, a body of
    ``Content-Length`` or chunks), so that what the readers measure is mostly the server."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in head[1:] if line)}
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            parts = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            body = b"".join(p[:-2] for p in parts)
        else:
            body = await self.reader.read()
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def _going(done: int, rounds: int, deadline: float | None) -> bool:
    """Whether a loop that has made ``done`` passes starts another: ``rounds`` passes, or
    until ``deadline`` (a ``time.perf_counter()`` value) when there is one."""
    return done < rounds if deadline is None else time.perf_counter() < deadline


async def _reader(base: str, rounds: int, deadline: float | None, out: list[float],
                  failures: list[str]) -> None:
    host, _, port = base.removeprefix("http://").partition(":")
    conn = _Connection(host, int(port))
    i = 0
    try:
        while _going(i, rounds, deadline):
            i += 1
            for path in READ_PATHS:
                start = time.perf_counter()
                try:
                    status, headers, _ = await conn.get(path)
                except (OSError, asyncio.IncompleteReadError):
                    # a keep-alive connection the server closed as it was reused: a GET is
                    # safe to send again, as browsers do (counted, and printed at the end)
                    RETRIED.append(path)
                    await conn.close()
                    try:
                        status, headers, _ = await conn.get(path)
                    except (OSError, asyncio.IncompleteReadError) as exc:
                        failures.append(f"GET {path}: {exc!r}")
                        continue
                out.append(time.perf_counter() - start)
                READ_WORKERS[headers.get("x-bench-worker", "?")] += 1
                took = _timing(headers.get("server-timing", ""))
                if took is not None:
                    SERVER_READS.append(took)
                if status != 200:
                    failures.append(f"GET {path}: {status}")
    finally:
        await conn.close()


async def _province(client: httpx.AsyncClient, area: str, year: int, editor: str,
                    approver: str, deadline: float | None, out: list[float],
                    accepted: list[tuple[str, int]], failures: list[str],
                    approvals: list[float]) -> None:
    """One cycle (``deadline`` None), or cycle after cycle until ``deadline``; a province
    whose cycle failed stops there (the failure is reported)."""
    cycle = 0
    while _going(cycle, 1, deadline):
        try:
            ok = await _province_steps(client, area, year, cycle, editor, approver, out,
                                       accepted, failures, approvals)
        except httpx.TransportError as exc:  # reported; a POST is never sent twice
            failures.append(f"{area} (cycle {cycle}): {exc!r}")
            return
        if not ok:
            return
        cycle += 1


async def _province_steps(client: httpx.AsyncClient, area: str, year: int, cycle: int,
                          editor: str, approver: str, out: list[float],
                          accepted: list[tuple[str, int]], failures: list[str],
                          approvals: list[float]) -> bool:
    start = time.perf_counter()
    r = await client.post("/api/submissions", headers={"Authorization": f"Bearer {editor}"},
                          data={"area": area, "year": str(year)},
                          files={"file": (f"{area}.csv", _figures(area, year, cycle),
                                          "text/csv")})
    if r.status_code != 201 or r.json()["problems"]:
        failures.append(f"upload {area} (cycle {cycle}): {r.status_code} {r.text[:200]}")
        return False
    sid = r.json()["id"]
    r = await client.post(f"/api/submissions/{sid}/submit",
                          headers={"Authorization": f"Bearer {editor}"})
    if r.status_code != 200:
        failures.append(f"submit {area} (cycle {cycle}): {r.status_code}")
        return False
    asked = time.perf_counter()
    r = await client.post(f"/api/submissions/{sid}/approve",
                          headers={"Authorization": f"Bearer {approver}"}, json={})
    approvals.append(time.perf_counter() - asked)
    APPROVAL_WORKERS[r.headers.get("x-bench-worker", "?")] += 1
    timing = r.headers.get("server-timing", "")
    took = _timing(timing)
    if took is not None:
        SERVER_APPROVALS.append(took)
    for part, values in APPROVAL_PARTS.items():
        spent = _timing(timing, part)
        if spent is not None:
            values.append(spent)
    out.append(time.perf_counter() - start)
    if r.status_code != 200:
        failures.append(f"approve {area} (cycle {cycle}): {r.status_code} {r.text[:200]}")
        return False
    accepted.append((area, sid))
    return True


async def _run(base: str, clients: int, rounds: int, duration: float | None,
               tokens: dict[str, tuple[str, str]], year: int, approvals: list[float]
               ) -> tuple[list[float], list[float], list[tuple[str, int]], list[str], float]:
    limits = httpx.Limits(max_connections=clients + 40, max_keepalive_connections=clients + 40)
    reads: list[float] = []
    workflow: list[float] = []
    accepted: list[tuple[str, int]] = []
    failures: list[str] = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=120) as client:
        start = time.perf_counter()
        deadline = None if duration is None else start + duration
        CLIENT_CPU.append(time.process_time())
        await asyncio.gather(
            *(_reader(base, rounds, deadline, reads, failures) for _ in range(clients)),
            *(_province(client, area, year, ed, ap, deadline, workflow, accepted,
                        failures, approvals)
              for area, (ed, ap) in tokens.items()),
        )
        elapsed = time.perf_counter() - start
        CLIENT_CPU[-1] = time.process_time() - CLIENT_CPU[-1]
    return reads, workflow, accepted, failures, elapsed


def with_bare(app: FastAPI) -> FastAPI:
    """``app`` with :data:`BARE`: the least a request through the same middleware costs;
    and every answer says in a ``Server-Timing`` header how long the app took with it (from
    the request reaching the outermost middleware to the response's start), so that the
    server's share of a latency can be told from the load generator's own on the same cores."""
    app.add_api_route(BARE, lambda: PlainTextResponse("ok"), include_in_schema=False)
    app.add_middleware(_Timed)
    from mic2025.services import submissions

    if submissions.begin_write is not _timed_write:  # the services' writes, timed in parts
        global _begin_write
        _begin_write = submissions.begin_write
        submissions.begin_write = _timed_write
    return app


_begin_write: Any = None


@contextmanager
def _timed_write(engine: Any) -> Iterator[Any]:
    """The services' ``begin_write``, adding to the request's parts (benchmark only) the
    time waiting to write, inside the transaction and committing."""
    parts = _PARTS.get(None)
    asked = time.perf_counter()
    inside = done = asked
    try:
        with _begin_write(engine) as conn:
            inside = time.perf_counter()
            try:
                yield conn
            finally:
                done = time.perf_counter()
    finally:
        if parts is not None:
            for part, spent in (("wait", inside - asked), ("write", done - inside),
                                ("commit", time.perf_counter() - done)):
                parts[part] = parts.get(part, 0.0) + spent


#: this server process, as its answers name it (``X-Bench-Worker``)
_WORKER = str(os.getpid()).encode()


class _Timed:
    """ASGI middleware of the benchmark's app only: ``Server-Timing: app;dur=<ms>``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        parts: dict[str, float] = {}
        _PARTS.set(parts)

        async def timed(message: Any) -> None:
            if message["type"] != "http.response.start":
                await send(message)
                return
            ms = (time.perf_counter() - start) * 1000
            if any(k == b"x-bench-worker" for k, _ in message.get("headers", [])):
                # an answer of the writer process (mic2025.web.writer), timed and named by
                # the writer: this worker adds the time it held the request, relaying it
                message = {**message, "headers": [*message["headers"], (
                    b"server-timing", f"relay;dur={ms:.1f}".encode())]}
            else:
                value = ", ".join([f"app;dur={ms:.1f}", *(f"{name};dur={spent * 1000:.1f}"
                                                          for name, spent in parts.items())])
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"server-timing", value.encode()),
                                                  (b"x-bench-worker", _WORKER)]}
            await send(message)

        await self.app(scope, receive, timed)


def _timing(value: str, name: str = "app") -> float | None:
    """Seconds of the ``name`` part of a ``Server-Timing: app;dur=<ms>, …`` value (None when
    there is none)."""
    for part in value.split(","):
        metric, _, dur = part.strip().partition(";dur=")
        if metric == name and dur:
            return float(dur) / 1000
    return None


def worker_app() -> FastAPI:
    """A child server's worker: the app ``mic2025 serve --workers N`` builds, and the bare
    endpoint (a uvicorn factory, imported by name in each worker process)."""
    from mic2025.web.app import create_app_from_env

    return with_bare(create_app_from_env())


def _group_cpu(pgid: int) -> float:
    """Seconds of CPU used so far by the processes of group ``pgid`` that are still running."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:  # ended meanwhile
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[2]) == pgid:  # after the name: state, ppid, pgrp, …, utime (11), stime
            total += int(fields[11]) + int(fields[12])
    return total / tick


async def _cpu_phase(base: str, paths: tuple[str, ...], requests: int, server_cpu: Any,
                     tags: dict[str, str] | None = None) -> tuple[float, list[str]]:
    """(server CPU seconds per request, failures) over ``requests`` reads of ``paths`` by
    eight clients at a time; with ``tags``, each read sends its path's entity tag."""
    failures: list[str] = []
    queue = [paths[i % len(paths)] for i in range(requests)]

    async def client_loop(client: httpx.AsyncClient) -> None:
        while queue:
            path = queue.pop()
            headers = {"If-None-Match": tags[path]} if tags and path in tags else {}
            r = await client.get(path, headers=headers)
            if r.status_code not in (200, 304):
                failures.append(f"GET {path}: {r.status_code}")
            elif tags is not None and r.status_code == 200 and "etag" in r.headers:
                tags[path] = r.headers["etag"]

    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        await client_loop_once(client, paths)  # connections open, caches warm
        start = server_cpu()
        await asyncio.gather(*(client_loop(client) for _ in range(8)))
        used = server_cpu() - start
    return used / max(1, requests), failures


async def client_loop_once(client: httpx.AsyncClient, paths: tuple[str, ...]) -> None:
    for path in paths:
        await client.get(path)


async def _cpu(base: str, requests: int, server_cpu: Any) -> tuple[dict[str, float], list[str]]:
    bare, failures = await _cpu_phase(base, (BARE,), requests, server_cpu)
    mix, more = await _cpu_phase(base, READ_PATHS, requests, server_cpu)
    tags: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        for path in READ_PATHS:
            tag = (await client.get(path)).headers.get("etag")
            if tag:
                tags[path] = tag
    revalidated, most = await _cpu_phase(base, READ_PATHS, requests, server_cpu, tags)
    return ({"bare": bare, "mix": mix, "revalidated": revalidated},
            failures + more + most)


def _in_process_cpu() -> Any:
    """The server's CPU in this process: all threads' but this one's (the clients' loop)."""
    return lambda: time.process_time() - time.thread_time()


@contextmanager
def _in_process(app: object) -> Iterator[str]:
    """The server in a thread of this process."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,  # type: ignore[arg-type]
                                           log_level="warning", backlog=4096))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.02)
    try:
        if not server.started:
            raise RuntimeError("the server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


@contextmanager
def _subprocess(url: str, folder: Path, workers: int, pid: list[int], *, writer: bool
                ) -> Iterator[str]:
    """The app of ``mic2025 serve --workers N`` as a child process (its PID put in ``pid``),
    with ``writer`` its writer process as ``serve`` starts it (a child of the child, in its
    process group, so that its CPU is counted); stopped by its PID at the end."""
    port = _free_port()
    log = (folder / "server.log").open("wb")
    # the store is migrated and loaded by this process's create_app already, as ``serve``
    # does before starting its workers; this file is imported by each worker under the name
    # ``mic2025_bench`` (its own name would shadow the standard library's ``platform``)
    (folder / "mic2025_bench.py").write_text(Path(__file__).read_text())
    # the workers as ``serve`` runs them (mic2025.web.workers): each on a listening socket of
    # its own where the system spreads connections so, else uvicorn's
    run = (f"run_workers('mic2025_bench:worker_app', workers={workers}, host='127.0.0.1', "
           f"port={port}, log_level='warning')")
    if writer:
        run = ("from mic2025.web.writer import ENV_WRITER_SOCKET, writer_process\n"
               "with writer_process(factory='mic2025_bench:worker_app') as path:\n"
               f"    os.environ[ENV_WRITER_SOCKET] = path\n    {run}")
    cmd = [sys.executable, "-c", f"import os\nfrom mic2025.web.workers import run_workers\n{run}"]
    env = {k: v for k, v in os.environ.items() if k not in ("MIC2025_SECRET_FILE",
                                                            "MIC2025_SMTP_URL")}
    # one approval level, as the in-process app: each approval writes the vintage checked
    env.update(MIC2025_DB=url, MIC2025_FOLLOWUP_DIR=str(folder / "followup"),
               MIC2025_SECRET="benchmark", MIC2025_APPROVAL_LEVELS="1",
               PYTHONPATH=os.pathsep.join([str(folder), *sys.path]))
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    print(f"server: pid {proc.pid}, {workers} workers"
          f"{' and a writer process' if writer else ''}, log {folder / 'server.log'}")
    pid.append(proc.pid)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}): "
                                   + (folder / "server.log").read_text()[-2000:])
            try:
                if httpx.get(f"{base}/api/indicators", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        else:
            raise RuntimeError("the server did not answer within 120 s")
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # uvicorn stops its workers, then itself
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the group this child leads, only
                proc.wait(timeout=10)
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="read loops per client")
    parser.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                        help="read, and cycle the provinces' upload/submit/approve, for this "
                             "long instead of --rounds")
    parser.add_argument("--db", default=None, help="store URL (default: a temporary SQLite)")
    parser.add_argument("--server", choices=("inprocess", "subprocess"), default="inprocess",
                        help="server in this process (a thread) or `mic2025 serve` as a child")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the child server (--server subprocess)")
    parser.add_argument("--no-writer-process", dest="writer", action="store_false",
                        help="the child server without its writer process (--server "
                             "subprocess; serve --no-writer-process)")
    parser.add_argument("--cpu-requests", type=int, default=1000,
                        help="reads of the bare endpoint, and of the page mix, timed for CPU")
    args = parser.parse_args()
    if args.duration is not None and not 0 < args.duration <= 3600:
        parser.error(f"--duration must be more than 0 and at most 3600 seconds, "
                     f"not {args.duration}")

    folder = Path(tempfile.mkdtemp(prefix="mic2025-bench-"))
    url = args.db or f"sqlite:///{folder / 'store.sqlite'}"
    # one approval level: each province's approval stores its figures, the workflow measured
    app = with_bare(create_app(url, secret="benchmark", followup_dir=str(folder / "followup"),
                               approval_levels=1))
    engine = app.state.platform.engine
    provinces = [c.code for c in reference.areas().values()
                 if c.level == "province" and c.code[:2] not in ("71", "81", "82")]
    tokens = {}
    for area in provinces:
        for role in ("prov_editor", "prov_approver"):
            name = f"bench-{role}-{area}"
            accounts.create_user(engine, SYSTEM, name, "benchmark-password",
                                 [accounts.parse_grant(f"{role}:{area}")])
        tokens[area] = (accounts.create_token(engine, SYSTEM, f"bench-prov_editor-{area}", "b"),
                        accounts.create_token(engine, SYSTEM, f"bench-prov_approver-{area}",
                                              "b"))
    vintages_before = app.state.platform.store.counts()

    year = 2024
    child: list[int] = []
    approvals: list[float] = []
    serving = _in_process(app) if args.server == "inprocess" else \
        _subprocess(url, folder, args.workers, child, writer=args.writer)
    try:
        with serving as base:
            reads, workflow, accepted, failures, elapsed = asyncio.run(
                _run(base, args.clients, args.rounds, args.duration, tokens, year,
                     approvals))
            server_cpu = _in_process_cpu() if not child else (lambda: _group_cpu(child[0]))
            cpu, cpu_failures = asyncio.run(_cpu(base, args.cpu_requests, server_cpu))
            failures += cpu_failures
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    print(f"store: {app.state.platform.store.url}; server: {args.server}"
          + (f" ({args.workers} workers{', a writer process' if args.writer else ''})"
             if args.server == "subprocess" else ""))
    if args.duration is None:
        print(f"{args.clients} readers × {args.rounds} rounds × {len(READ_PATHS)} pages, "
              f"{len(tokens)} provinces uploading at once; wall {elapsed:.2f} s")
    else:
        print(f"{args.clients} readers reading {len(READ_PATHS)} pages in turn, "
              f"{len(tokens)} provinces cycling upload/submit/approve, for "
              f"{args.duration:g} s; wall {elapsed:.2f} s; {len(accepted)} cycles "
              f"({len(accepted) / elapsed:.2f} approvals/s)")
    print(f"reads:    n={len(reads)}  p50={_percentile(reads, 0.5) * 1000:.1f} ms  "
          f"p99={_percentile(reads, 0.99) * 1000:.1f} ms  "
          f"throughput={len(reads) / elapsed:.1f} req/s")
    print(f"workflow: n={len(workflow)} (upload+submit+approve)  "
          f"p50={_percentile(workflow, 0.5) * 1000:.1f} ms  "
          f"p99={_percentile(workflow, 0.99) * 1000:.1f} ms")
    print(f"approval: n={len(approvals)} (the approve request alone)  "
          f"p50={_percentile(approvals, 0.5) * 1000:.1f} ms  "
          f"p99={_percentile(approvals, 0.99) * 1000:.1f} ms")
    print(f"server's own time (Server-Timing): reads p50="
          f"{_percentile(SERVER_READS, 0.5) * 1000:.1f} ms  "
          f"p99={_percentile(SERVER_READS, 0.99) * 1000:.1f} ms; approvals p50="
          f"{_percentile(SERVER_APPROVALS, 0.5) * 1000:.1f} ms  "
          f"p99={_percentile(SERVER_APPROVALS, 0.99) * 1000:.1f} ms")
    print("approvals' server time in parts: " + "; ".join(
        f"{part} p50={_percentile(values, 0.5) * 1000:.1f} ms "
        f"p99={_percentile(values, 0.99) * 1000:.1f} ms" for part, values in APPROVAL_PARTS.items()
        if values)
        + " (wait: for this process's writer lock and the database's; write: inside the "
          "transaction; commit; the rest of the server's time is outside the write; relay: "
          "from the request's arrival in a worker to the writer's answer passed back)")
    if CLIENT_CPU:
        print(f"load generator (this process): {CLIENT_CPU[0]:.1f} s CPU in {elapsed:.1f} s "
              f"({CLIENT_CPU[0] / elapsed:.0%} of a core) on the same {os.cpu_count()} cores")
    if READ_WORKERS or APPROVAL_WORKERS:
        print("served by worker (process id): reads "
              + ", ".join(f"{w} {n}" for w, n in sorted(READ_WORKERS.items()))
              + "; approvals " + ", ".join(f"{w} {n}"
                                           for w, n in sorted(APPROVAL_WORKERS.items())))
    if reads:
        print(f"read latency mean {statistics.fmean(reads) * 1000:.1f} ms; "
              f"{len(RETRIED)} read(s) sent again after a closed keep-alive connection")

    bare = cpu["bare"]
    print(f"server CPU per request ({args.cpu_requests} reads each, 8 at a time): "
          f"bare {bare * 1000:.3f} ms; page mix {cpu['mix'] * 1000:.3f} ms "
          f"(ratio {cpu['mix'] / bare if bare else float('nan'):.2f}); page mix revalidated "
          f"with its ETags {cpu['revalidated'] * 1000:.3f} ms "
          f"(ratio {cpu['revalidated'] / bare if bare else float('nan'):.2f})")

    # exactly once, none lost: every accepted submission (of every cycle) has one vintage
    # with its two rows; a key's history holds its rows of every vintage, the latest too
    store = app.state.platform.store
    problems = list(failures)
    by_sid: dict[int, list[int]] = {}
    for v in store.vintages():
        sid_text = v.source_name.removeprefix("submission ").partition(":")[0]
        if v.source_name.startswith("submission ") and sid_text.isdigit():
            by_sid.setdefault(int(sid_text), []).append(v.id)
    rows_of: dict[int, int] = {}
    for area in sorted({area for area, _ in accepted}):
        for latest in store.observations(indicators=("rd_intensity", "broadband_penetration"),
                                         area=area):
            for o in store.history(latest.key):
                rows_of[o.vintage] = rows_of.get(o.vintage, 0) + 1
    for area, sid in accepted:
        named = by_sid.get(sid, [])
        if len(named) != 1:
            problems.append(f"{area}: submission {sid} has {len(named)} vintages")
        elif rows_of.get(named[0], 0) != 2:
            problems.append(f"{area}: vintage {named[0]} of submission {sid} holds "
                            f"{rows_of.get(named[0], 0)} rows, not 2")
    if len({sid for _, sid in accepted}) != len(accepted):
        problems.append("a submission id was accepted twice")
    after = store.counts()
    new_vintages = after["vintages"] - vintages_before["vintages"]
    if new_vintages != len(accepted):
        problems.append(f"{new_vintages} new vintages for {len(accepted)} accepted submissions")
    done = {area for area, _ in accepted}
    if done != set(tokens) or (args.duration is None and len(accepted) != len(tokens)):
        problems.append(f"{len(done)} of {len(tokens)} provinces had a submission accepted "
                        f"({len(accepted)} in all)")
    store.close()
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems[:50]), file=sys.stderr)
        return 1
    print(f"ok: {len(accepted)} submissions of {len(tokens)} provinces accepted, each "
          f"stored exactly once ({new_vintages} vintages, {2 * len(accepted)} rows); none "
          f"lost; {len(RETRIED)} read(s) sent again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
