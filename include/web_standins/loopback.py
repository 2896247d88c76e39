"""A real HTTP server on loopback for the web-API stand-ins: a provider's stand-in answers each
request, and every request and answer is kept (the tests check them). Loopback only."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Answer]


def json_post(answer: Callable[[str, str, bytes], tuple[int, object]]) -> Handler:
    """A handler for a POST-only JSON API: ``answer(path, authorization, body)`` gives the
    status and the object sent back as JSON; any other method is answered 405."""

    def handle(request: Request) -> Answer:
        if request.method != "POST":
            status, body = 405, {"error": "only POST is answered here"}
        else:
            auth = request.headers.get("authorization", "")
            status, body = answer(request.path, auth, request.body)
        return Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

    return handle


class LoopbackHttpServer:
    """``ThreadingHTTPServer`` on loopback (a free port unless ``port`` is given), answering
    with ``handler``; a taken port raises OSError.

    ``fail_next(n, status, headers)`` makes the next ``n`` requests (optionally only those
    whose path matches) answer ``status`` before the handler sees them: 429, 500, 401.
    """

    def __init__(
        self, handler: Handler, host: str = "127.0.0.1", port: int = 0, keep: bool = True
    ) -> None:
        self.handler = handler
        self.keep = keep  # make run's long-lived stand-ins keep nothing
        self.requests: list[Request] = []
        self.answers: list[tuple[Request, Answer]] = []
        self._failures: list[tuple[str | None, Answer]] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep the test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                answer = server._answer(request)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def fail_next(
        self,
        count: int,
        status: int,
        headers: dict[str, str] | None = None,
        path: str | None = None,
    ) -> None:
        with self._lock:
            for _ in range(count):
                self._failures.append((path, Answer(status, b"", dict(headers or {}))))

    def _answer(self, request: Request) -> Answer:
        with self._lock:
            if self.keep:
                self.requests.append(request)
            for i, (path, answer) in enumerate(self._failures):
                if path is None or path == request.path:
                    del self._failures[i]
                    if self.keep:
                        self.answers.append((request, answer))
                    return answer
        answer = self.handler(request)
        if self.keep:
            with self._lock:
                self.answers.append((request, answer))
        return answer

    def start(self) -> LoopbackHttpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
