"""One process for the platform's writes, beside the workers that read.

Why: a write holds the store's single write turn for a dozen statements, and each statement
gives up the interpreter while the database works and then waits to get it back. In a
worker that also serves fifty readers, that wait is 50–90 ms per statement for about 5 ms of
the writer's own CPU, so the turn is held ten times longer than it needs; with 31 provinces
uploading, submitting and approving at once the queue for the turn is 31 deep, and every
write waits for all of them (``docs/platform.md``, "Sustained load").

``mic2025 serve --workers N`` (N ≥ 2) therefore starts one more process, the *writer*: the
same app, listening only on a Unix socket in a private folder (mode 0700). In every worker
:class:`ToWriter` hands each unsafe request (POST, PUT, PATCH, DELETE) to the writer as it
came — headers, body streamed, nothing parsed — and streams the answer back; reads stay in
the workers, which run at most :data:`WORKER_THREADS` of them in threads at once. The
writer shares its interpreter with other writes only, and the operating system, not a
crowded interpreter lock, shares the cores between it and the readers.
:class:`FromReaders` in the writer restores what the socket hides: the client's address (for
the audit log) and the scheme (for ``Secure`` cookies), sent by the worker in
:data:`ORIGIN_HEADER`. Only the writer trusts that header, and only processes of the server's
user can reach its socket.

If the writer does not answer, writes are answered 503 (in the user's language: nothing was
saved) and the server starts it again (:func:`writer_process`); reads go on. A writer that
stops while it has a request is answered 502: it may have committed, so the user is told
to look before sending it again.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
import httpx
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import i18n
from ..errors import Mic2025Error
from .security import LANG_COOKIE, SAFE_METHODS

log = logging.getLogger("mic2025.web")

#: in a worker: the writer's socket, where unsafe requests go
ENV_WRITER_SOCKET = "MIC2025_WRITER_SOCKET"
#: ``writer`` in the writer process (set by :func:`writer_process`)
ENV_ROLE = "MIC2025_WEB_ROLE"
#: what a worker tells the writer about the request's origin: ``scheme host port``
ORIGIN_HEADER = b"x-mic2025-origin"
#: how long a worker waits for the writer to accept a connection before answering 503
CONNECT_SECONDS = 5.0
#: requests a worker with a writer runs in threads at once (``MIC2025_WORKER_THREADS``;
#: anyio's default is 40): its reads are CPU-bound under one interpreter lock, so more
#: threads only take turns at it, and the event loop that relays the writes waits behind them
WORKER_THREADS = 8
ENV_WORKER_THREADS = "MIC2025_WORKER_THREADS"
#: how long a thread of a worker with a writer runs before the interpreter lets another
#: have it (``sys.setswitchinterval``; Python's default is 5 ms): the event loop that
#: relays every write to the writer waits for the lock behind the read threads at each step
#: of the relay, and with all the readers on one worker, approvals waited there up to 2.6 s
#: at p99 while the writer answered within 0.5 s
WORKER_SWITCH_SECONDS = 0.001
#: how long :func:`writer_process` waits for a new writer to answer
START_SECONDS = 120.0
#: a worker closes a connection to the writer idle this long; the writer keeps an idle one
#: open far longer (:data:`WRITER_KEEP_ALIVE_SECONDS`), so it is always the worker that
#: closes: with both at uvicorn's and httpx's 5 s, a request sent on a connection the writer
#: was closing at that moment came back as "the writer stopped" (502) though it never
#: reached the writer
IDLE_SECONDS = 2.0
WRITER_KEEP_ALIVE_SECONDS = 300

# headers about one connection, not the request: never passed on
_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding",
                  b"te", b"trailer", b"upgrade", ORIGIN_HEADER})


class WriterError(Mic2025Error):
    """The writer process could not be started."""


class _ClientGone(Exception):
    """The client went away while its body was being passed on."""


class ToWriter:
    """In a worker: unsafe requests go to the writer at ``socket_path``, reads to ``app``."""

    def __init__(self, app: ASGIApp, *, socket_path: str) -> None:
        self.app = app
        self.socket_path = socket_path
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        # made on first use, in the loop of the worker that serves (not at import)
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(
                    uds=self.socket_path, limits=httpx.Limits(keepalive_expiry=IDLE_SECONDS)),
                # an approval may wait for its turn up to MIC2025_BUSY_SECONDS: no read limit
                timeout=httpx.Timeout(None, connect=CONNECT_SECONDS))
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # in the worker's event loop, for as long as it serves
            anyio.to_thread.current_default_thread_limiter().total_tokens = worker_threads()
            before = sys.getswitchinterval()
            sys.setswitchinterval(min(before, WORKER_SWITCH_SECONDS))
            try:
                await self.app(scope, receive, send)
            finally:
                sys.setswitchinterval(before)
            return
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        request = self.client().build_request(
            scope["method"], _target(scope), headers=_passed_on(scope),
            content=_body(receive))
        try:
            answer = await self.client().send(request, stream=True)
        except _ClientGone:
            return
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            # the writer never had the request: nothing was written
            log.error("the writer process at %s did not answer %s %s: %s", self.socket_path,
                      scope["method"], scope["path"], exc)
            await _failed(scope, send, 503, "writer_unavailable")
            return
        except httpx.TransportError as exc:
            # the writer had it and went away before answering: it may have committed
            log.error("the writer process at %s stopped during %s %s: %s", self.socket_path,
                      scope["method"], scope["path"], exc)
            await _failed(scope, send, 502, "writer_lost")
            return
        try:
            await send({"type": "http.response.start", "status": answer.status_code,
                        "headers": [(k, v) for k, v in answer.headers.raw
                                    if k.lower() not in _HOP]})
            async for chunk in answer.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await answer.aclose()


class FromReaders:
    """In the writer: the request's origin as the worker saw it (:data:`ORIGIN_HEADER`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            origin = None
            headers = []
            for name, value in scope["headers"]:
                if name == ORIGIN_HEADER:
                    origin = value.decode("latin-1").split(" ")
                else:
                    headers.append((name, value))
            scope = {**scope, "headers": headers}
            if origin is not None and len(origin) == 3 and origin[0] in ("http", "https"):
                scope["scheme"] = origin[0]
                scope["client"] = (origin[1], int(origin[2])) if origin[1] else None
        await self.app(scope, receive, send)


def worker_threads() -> int:
    """:data:`WORKER_THREADS`, or ``MIC2025_WORKER_THREADS`` (a whole number from 1 to 400)."""
    text = os.environ.get(ENV_WORKER_THREADS, "").strip()
    if not text:
        return WORKER_THREADS
    if not text.isdigit() or not 1 <= int(text) <= 400:
        raise WriterError(f"{ENV_WORKER_THREADS}={text!r}: give a whole number from 1 to 400")
    return int(text)


def _target(scope: Scope) -> str:
    path = scope.get("raw_path") or scope["path"].encode()
    query = scope.get("query_string") or b""
    return "http://writer" + path.decode("latin-1") + ("?" + query.decode("latin-1")
                                                       if query else "")


def _passed_on(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP]
    client = scope.get("client")
    origin = f"{scope['scheme']} {client[0] if client else ''} {client[1] if client else 0}"
    return [*headers, (ORIGIN_HEADER, origin.encode("latin-1"))]


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone()
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def _failed(scope: Scope, send: Send, status: int, key: str) -> None:
    """The answer when the writer did not answer (503: try again) or stopped while it had
    the request (502: whether it was saved is not known), said by ``key``."""
    from .middleware import SECURITY_HEADERS
    from .rendering import error_response

    request = Request(scope)
    scope.setdefault("state", {})["lang"] = (i18n.pick(request.cookies.get(LANG_COOKIE))
                                             or i18n.DEFAULT)
    said = Mic2025Error(i18n.t(key, "en")).saying(key)
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
    if status == 503:
        headers["Retry-After"] = "5"
    response = error_response(request, status, "unavailable", said, headers)

    async def nothing() -> Message:
        return {"type": "http.disconnect"}
    await response(scope, nothing, send)


def writer_server_options(path: str, log_level: str) -> dict[str, Any]:
    """How uvicorn serves the writer: on the Unix socket ``path``, trusting no
    ``X-Forwarded-*`` header (the origin is the worker's header alone, :class:`FromReaders`),
    keeping idle connections open longer than a worker keeps them (:data:`IDLE_SECONDS`)."""
    return {"uds": path, "proxy_headers": False,
            "timeout_keep_alive": WRITER_KEEP_ALIVE_SECONDS, "log_level": log_level}


@contextmanager
def writer_process(*, log_level: str = "warning", env: Mapping[str, str] | None = None,
                   factory: str = "mic2025.web.app:create_app_from_env") -> Iterator[str]:
    """The writer (the app of :func:`mic2025.web.app.create_app_from_env` with
    :data:`ENV_ROLE` ``writer``), running on a Unix socket in a private folder, for as long
    as the block runs; yields the socket's path. ``env`` (default: this process's) is the
    workers' environment (store, secret, plan); ``factory`` the app's uvicorn factory (the
    benchmark's wraps mic2025's). Started again if it fails while the block runs; stopped
    (SIGTERM, then SIGKILL after 30 s) at the end."""
    folder = tempfile.mkdtemp(prefix="mic2025-writer-")  # mode 0700: this user only
    path = os.path.join(folder, "writer.sock")
    env = {**(os.environ if env is None else env), ENV_ROLE: "writer"}
    env.pop(ENV_WRITER_SOCKET, None)
    code = (f"import uvicorn; uvicorn.run({factory!r}, factory=True, "
            f"**{writer_server_options(path, log_level)!r})")
    done, turn = threading.Event(), threading.Lock()
    current: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        if os.path.exists(path):
            os.unlink(path)
        proc = subprocess.Popen([sys.executable, "-c", code], env=env)
        current[:] = [proc]
        deadline = time.monotonic() + START_SECONDS
        while not _answers(path):
            if proc.poll() is not None:
                raise WriterError(f"the writer process exited with code {proc.returncode} "
                                  "before it answered (its errors are above)")
            if time.monotonic() > deadline:
                proc.kill()
                raise WriterError(f"the writer process did not answer within "
                                  f"{START_SECONDS:.0f} s")
            time.sleep(0.1)

    def watch() -> None:
        while not done.wait(1.0):
            with turn:
                code = current[0].poll()
                # 0: stopped by a signal as the whole server stops (uvicorn exits cleanly)
                if code in (None, 0) or done.is_set():
                    continue
                log.error("the writer process ended (code %s); starting it again", code)
                try:
                    start()
                except WriterError as exc:
                    log.error("%s", exc)

    try:
        start()
        watcher = threading.Thread(target=watch, name="mic2025-writer-watch", daemon=True)
        watcher.start()
        yield path
    finally:
        done.set()
        with turn:
            for proc in current:
                if proc.poll() is None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def _answers(path: str) -> bool:
    """Whether something accepts connections on the Unix socket ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        try:
            s.connect(path)
        except OSError:
            return False
    return True
