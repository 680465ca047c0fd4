"""A small threaded HTTP server on 127.0.0.1 that answers like the real sources, for tests and demos.

Routes go by path prefix to handler objects::

    with ReplayServer({"eutils/": EutilsHandler(articles)}) as server:
        base = server.url + "eutils/"          # http://127.0.0.1:PORT/eutils/

A handler is any object with ``handle(request: Request) -> Response``; ``request.path`` is the
path after the route's prefix. Every request is recorded in ``server.requests`` (so tests can
assert paging) and a handler that raises answers 500 and lands in ``server.errors``.

Fault injection: ``faults`` is a callable consulted before the handler with the Request. It
returns None (answer normally), a Response (sent instead of the handler's), or a Fault:
``Fault.reset()`` drops the connection without an answer, ``Fault.truncate(n)`` sends the
handler's answer with its full Content-Length but only its first n body bytes, and
``Fault.sleep(seconds)`` waits before answering normally. ``first_n`` builds the common hook
"fail the first n matching requests".
"""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as a handler sees it."""

    method: str
    #: path after the route prefix, without the query string ("esearch.fcgi")
    path: str
    #: query string (and form body of a POST) parameters: name -> list of values
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    #: the route prefix that matched ("eutils/"), "" when none did
    prefix: str = ""
    #: status code that was answered (filled in after the answer; 0 for a reset connection)
    status: int = 0

    @property
    def full_path(self) -> str:
        """Path as the client sent it, without the query string ("/eutils/esearch.fcgi")."""
        return "/" + self.prefix + self.path

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    """An answer: status, headers, body bytes."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def xml(cls, body: bytes | str, status: int = 200) -> Response:
        """An XML answer with the Content-Type E-utilities send."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(status, {"Content-Type": "text/xml; charset=UTF-8"}, data)

    @classmethod
    def json(cls, body: bytes | str, status: int = 200) -> Response:
        """A JSON answer."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(status, {"Content-Type": "application/json; charset=utf-8"}, data)

    @classmethod
    def text(cls, body: str, status: int = 200, headers: Mapping[str, str] | None = None
             ) -> Response:
        """A plain-text answer (error pages, 429 with Retry-After, ...)."""
        merged = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        return cls(status, merged, body.encode("utf-8"))


@dataclass(frozen=True)
class Fault:
    """A misbehaviour the ``faults`` hook can ask for instead of a plain Response."""

    kind: str  # "reset" | "truncate" | "sleep"
    keep: int = 0
    seconds: float = 0.0

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection without answering (the client sees a reset or EOF)."""
        return cls("reset")

    @classmethod
    def truncate(cls, keep: int) -> Fault:
        """Announce the full body but send only its first ``keep`` bytes, then close."""
        return cls("truncate", keep=keep)

    @classmethod
    def sleep(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering normally (for client timeouts)."""
        return cls("sleep", seconds=seconds)


class Handler(Protocol):
    """What a route points at."""

    def handle(self, request: Request) -> Response: ...


FaultHook = Callable[[Request], "Response | Fault | None"]


def first_n(n: int, outcome: Response | Fault, path_contains: str = "") -> FaultHook:
    """A faults hook that answers ``outcome`` to the first ``n`` requests whose path matches."""
    lock = threading.Lock()
    left = [n]

    def hook(request: Request) -> Response | Fault | None:
        if path_contains not in request.full_path:
            return None
        with lock:
            if left[0] <= 0:
                return None
            left[0] -= 1
        return outcome

    return hook


class ReplayServer:
    """A threaded HTTP server on 127.0.0.1 that routes by path prefix to handlers."""

    def __init__(self, routes: Mapping[str, Handler], faults: FaultHook | None = None,
                 host: str = "127.0.0.1", port: int = 0):
        self.routes = {prefix.lstrip("/"): handler for prefix, handler in routes.items()}
        self.faults = faults
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL with a trailing slash: ``http://127.0.0.1:PORT/``."""
        if self._httpd is None:
            raise RuntimeError("the replay server is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> ReplayServer:
        """Bind (port 0 picks a free port) and serve in a daemon thread."""
        if self._httpd is not None:
            return self
        httpd = _QuietHTTPServer((self._host, self._port), _make_request_handler(self))
        httpd.replay = self
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="replay-server",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def requests_to(self, path_suffix: str) -> list[Request]:
        """The recorded requests whose path ends with ``path_suffix`` ("efetch.fcgi")."""
        with self._lock:
            return [r for r in self.requests if r.full_path.endswith(path_suffix)]

    # --- used by the request handler -------------------------------------------------------

    def _route(self, path: str) -> tuple[str, Handler | None]:
        path = path.lstrip("/")
        best = ""
        for prefix in self.routes:
            if path.startswith(prefix) and len(prefix) >= len(best):
                best = prefix
        if best or "" in self.routes:
            return best, self.routes[best]
        return "", None

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


class _QuietHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that prints nothing: a client that hung up is no news, anything
    else that escapes a request thread lands in ``ReplayServer.errors``."""

    daemon_threads = True
    replay: ReplayServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, OSError):
            self.replay.errors.append(error)


def _make_request_handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class _RequestHandler(BaseHTTPRequestHandler):
        server_version = "KetaWatchReplay/1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
            """Stay quiet: tests read ``server.requests``, not stderr."""

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._serve()

        def do_POST(self) -> None:  # noqa: N802
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = parse_qs(parts.query, keep_blank_values=True)
            content_type = self.headers.get("Content-Type", "")
            if self.command == "POST" and content_type.startswith(
                    "application/x-www-form-urlencoded"):
                # E-utilities take long parameter lists as a form body: same meaning as a query
                for key, values in parse_qs(body.decode("utf-8", "replace"),
                                            keep_blank_values=True).items():
                    query.setdefault(key, []).extend(values)
            prefix, handler = server._route(parts.path)
            request = Request(method=self.command, path=parts.path.lstrip("/")[len(prefix):],
                              query=query, headers=dict(self.headers.items()), body=body,
                              prefix=prefix)
            server._record(request)

            outcome = server.faults(request) if server.faults else None
            if isinstance(outcome, Fault) and outcome.kind == "sleep":
                time.sleep(outcome.seconds)
                outcome = None
            if isinstance(outcome, Fault) and outcome.kind == "reset":
                self._reset()
                return
            response = outcome if isinstance(outcome, Response) else self._answer(handler,
                                                                                  request)
            request.status = response.status
            keep = outcome.keep if isinstance(outcome, Fault) else None
            self._send(response, keep)

        def _answer(self, handler: Handler | None, request: Request) -> Response:
            if handler is None:
                return Response.text(f"no route for {request.full_path}", 404)
            try:
                return handler.handle(request)
            except Exception as exc:  # a handler bug must show in the test, not hang the client
                server.errors.append(exc)
                return Response.text(f"replay handler failed: {exc!r}", 500)

        def _send(self, response: Response, keep: int | None) -> None:
            self.send_response(response.status)
            headers = {"Content-Length": str(len(response.body)), **response.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            body = response.body if keep is None else response.body[:keep]
            try:
                self.wfile.write(body)
                self.wfile.flush()
            except OSError:  # the client went away; nothing to tell it
                pass
            if keep is not None:
                self.close_connection = True

        def _reset(self) -> None:
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()

    return _RequestHandler
