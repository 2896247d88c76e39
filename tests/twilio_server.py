"""A Twilio stand-in on loopback whose every request and response is checked against Twilio's
published OpenAPI documents (tests/include/specs/, from github.com/twilio/twilio-oai).

Served: Messages and Calls create (api.twilio.com, 2010-04-01) and Notify's Notifications
create (notify.twilio.com, v1). The specs document only the 201 answers; the error answer
(HTTP 400 with Twilio's ``code``/``message``/``more_info``/``status`` body) follows Twilio's
error documentation and is not checked against a schema.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

SPECS = Path(__file__).parent / "include" / "specs"
API = "https://api.twilio.com"
NOTIFY = "https://notify.twilio.com"
ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "test-auth-token"
SERVICE = "IS" + "fedcba9876543210" * 2
FROM = "+13525550000"


def _openapi(name: str) -> Any:
    from openapi_core import OpenAPI

    return OpenAPI.from_dict(json.loads((SPECS / name).read_text()))


@dataclass
class Received:
    """One request as the server saw it."""

    path: str
    form: dict[str, str]
    status: int


@dataclass
class TwilioStandIn:
    """The server's record and behaviour.

    :param unreachable: numbers answered with error 21211 (not a valid phone number).
    :param busy: when set, every request is answered 503.
    """

    unreachable: set[str] = field(default_factory=set)
    busy: bool = False
    received: list[Received] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.api = _openapi("twilio_api_v2010_messages_calls.json")
        self.notify = _openapi("twilio_notify_v1_notifications.json")
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def connection(self) -> dict[str, Any]:
        """The Airflow connection (``AIRFLOW_CONN_TWILIO_DEFAULT``) pointing here."""
        return {
            "conn_type": "http",
            "host": self.url,
            "login": ACCOUNT,
            "password": TOKEN,
            "extra": {
                "from_number": FROM,
                "notify_url": self.url,
                "notify_service_sid": SERVICE,
                "timeout": 5,
            },
        }

    def start(self) -> TwilioStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, body = stand_in.answer(
                    self.path, dict(self.headers), self.rfile.read(length)
                )
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        from openapi_core.testing import MockRequest, MockResponse

        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        notify = path.startswith("/v1/")
        spec, host = (self.notify, NOTIFY) if notify else (self.api, API)
        request = MockRequest(
            host,
            "POST",
            path,
            headers={k.lower(): v for k, v in headers.items()},
            data=raw,
            content_type=headers.get("Content-Type", ""),
        )
        self._check("request", lambda: spec.validate_request(request), path)
        expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
        if headers.get("Authorization") != expected:
            self._check("auth", lambda: (_ for _ in ()).throw(ValueError("bad credentials")), path)
        if self.busy:
            status, body = 503, {"code": 20503, "message": "Service unavailable", "status": 503}
        elif form.get("To") in self.unreachable:
            status = 400
            body = {
                "code": 21211,
                "message": f"The 'To' number {form['To']} is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            }
        else:
            status, body = 201, self._created(path, form)
            response = MockResponse(json.dumps(body).encode(), status_code=201)
            self._check("response", lambda: spec.validate_response(request, response), path)
        with self.lock:
            self.received.append(Received(path, form, status))
        return status, body

    def _check(self, what: str, validate: Any, path: str) -> None:
        try:
            validate()
        except Exception as exc:  # every kind of validation error is recorded, then asserted
            detail = (
                "; ".join(str(e) for e in getattr(exc, "__cause__", None).schema_errors)
                if (getattr(getattr(exc, "__cause__", None), "schema_errors", None))
                else str(exc)
            )
            with self.lock:
                self.violations.append(f"{what} {path}: {type(exc).__name__}: {detail}")

    def _created(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        from include.text_catcher import created_body

        return created_body(path, form, ACCOUNT, SERVICE)
