"""Several worker processes on one address, each accepting on a listening socket of its own.

Why: uvicorn's own workers (``uvicorn.run(workers=N)``) accept on one shared socket, and the
worker that wakes first takes every connection waiting. Connections that arrive together (a
hundred readers opening theirs at once) could land mostly on one worker, which then served
three quarters of the reads, and the writes it relayed to the writer process waited behind
them: approvals' p99 was 3.1–3.5 s in such runs against 1.2–1.8 s when the connections were
split evenly (``docs/platform.md``, "Sustained load").

Here the server opens one listening socket per worker, all bound to the same address with
``SO_REUSEPORT``, and Linux spreads new connections over them by a hash of the client's
address and port: evenly, whatever each worker is doing at the moment. Each worker is a
process of its own (``python -m mic2025.web.workers``) serving its socket with uvicorn. The
server keeps every socket open: a worker that ends after it has started serving is started
again on the same socket, and the connections that arrived meanwhile wait in its queue rather
than being refused. SIGTERM or SIGINT stops the workers (each finishes its requests, as
uvicorn does) and the server.

:func:`balanced` says whether the system spreads connections so (Linux); elsewhere
:func:`run_workers` runs uvicorn's workers.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping

from ..errors import Mic2025Error

log = logging.getLogger("mic2025.web")

#: how long a stopping server waits for its workers before it kills them
STOP_SECONDS = 30.0
#: connections each listening socket queues before the kernel refuses more
BACKLOG = 2048
#: in a worker: what it serves, as JSON (the factory, the socket's descriptor, uvicorn's options)
ENV_WORKER = "MIC2025_WORKER"


class WorkersError(Mic2025Error):
    """The workers could not be started (the address is taken, a worker failed to start)."""


def balanced() -> bool:
    """Whether this system spreads connections over sockets bound with ``SO_REUSEPORT``
    (Linux does; on other systems the option is missing or the last socket takes all)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets listening on ``host``:``port``, each with ``SO_REUSEPORT``; port 0
    picks a free port, the same for all. Raises :class:`WorkersError` naming the address when
    it cannot be had (taken by another program, or not an address of this machine)."""
    found: list[socket.socket] = []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)
        family, _, _, _, address = infos[0]
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM)
            found.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
            sock.set_inheritable(True)
            address = sock.getsockname()  # port 0: the others take the port the first got
    except OSError as exc:
        for sock in found:
            sock.close()
        raise WorkersError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return found


def run_workers(factory: str, *, host: str, port: int, workers: int,
                proxy_headers: bool = False, log_level: str = "info",
                env: Mapping[str, str] | None = None) -> None:
    """Serve the app of the uvicorn factory ``factory`` (``module:function``) on
    ``host``:``port`` with ``workers`` processes, each accepting on its own socket (see the
    module's docstring); return once SIGTERM or SIGINT has stopped them. ``env``: the
    workers' environment (default: this process's). A worker that ends after it has started
    serving is started again on its socket; one that ends before stops the server with
    :class:`WorkersError` (its own errors are above, in the log). Where the system does not
    spread connections so (:func:`balanced`), uvicorn's workers on one shared socket."""
    if not balanced():
        import uvicorn

        if env is not None:
            os.environ.update(env)
        uvicorn.run(factory, factory=True, workers=workers, host=host, port=port,
                    proxy_headers=proxy_headers, log_level=log_level)
        return
    sockets = listening_sockets(host, port, workers)
    base = dict(os.environ if env is None else env)
    stopping = threading.Event()
    procs: list[_Worker] = []

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    before = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        procs.extend(_Worker.start(factory, s, base, log_level=log_level,
                                   proxy_headers=proxy_headers) for s in sockets)
        while not stopping.wait(0.5):
            for i, proc in enumerate(procs):
                code = proc.ended()
                if code is None or stopping.is_set():
                    continue
                if not proc.served:
                    raise WorkersError(f"worker {i + 1} of {workers} exited with code {code} "
                                       "before it served (its errors are above)")
                log.error("worker %d of %d (process %d) ended (code %s); starting it again",
                          i + 1, workers, proc.proc.pid, code)
                procs[i] = _Worker.start(factory, sockets[i], base, log_level=log_level,
                                         proxy_headers=proxy_headers)
    finally:
        for proc in procs:
            proc.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for proc in procs:
            proc.wait(deadline)
        for sock in sockets:
            sock.close()
        for s, handler in before.items():
            signal.signal(s, handler)


class _Worker:
    """One worker process, and whether it has started serving (it says so on a pipe)."""

    def __init__(self, proc: subprocess.Popen[bytes], ready: int) -> None:
        self.proc, self.ready, self.served = proc, ready, False

    @classmethod
    def start(cls, factory: str, sock: socket.socket, env: Mapping[str, str], *,
              log_level: str, proxy_headers: bool) -> _Worker:
        ready, told = os.pipe()
        os.set_blocking(ready, False)
        spec = {"factory": factory, "fd": sock.fileno(), "ready": told, "log_level": log_level,
                "proxy_headers": proxy_headers}
        try:
            proc = subprocess.Popen([sys.executable, "-m", "mic2025.web.workers"],
                                    env={**env, ENV_WORKER: json.dumps(spec)},
                                    pass_fds=(sock.fileno(), told))
        except BaseException:
            os.close(ready)
            raise
        finally:
            os.close(told)
        return cls(proc, ready)

    def ended(self) -> int | None:
        """The exit code once the process has ended (None while it runs)."""
        if not self.served and self.ready >= 0:
            try:
                said = os.read(self.ready, 1)
            except BlockingIOError:
                said = None  # nothing yet
            if said is not None:  # b"1" once serving; b"" if it ended without a word
                self.served = said == b"1"
                os.close(self.ready)
                self.ready = -1
        return self.proc.poll()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def wait(self, deadline: float) -> None:
        try:
            self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.ready >= 0:
            os.close(self.ready)
            self.ready = -1


def _serve_one() -> None:
    """A worker: serve its socket (described by :data:`ENV_WORKER`) with uvicorn, and say on
    the pipe given there once it serves."""
    import uvicorn

    spec = json.loads(os.environ.pop(ENV_WORKER))
    sock = socket.socket(fileno=int(spec["fd"]))
    ready = int(spec["ready"])

    class Told(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                os.write(ready, b"1")
                os.close(ready)

    config = uvicorn.Config(spec["factory"], factory=True, log_level=spec["log_level"],
                            proxy_headers=bool(spec["proxy_headers"]))
    Told(config).run(sockets=[sock])


if __name__ == "__main__":
    _serve_one()
