"""The embedded default's text provider: texts, calls and push the jobs send become JSON files.

`make run` has no real SMS provider, so its ``twilio_default`` connection points here: a small
HTTP server on loopback that answers the three Twilio REST calls the communication queue makes
(Messages and Calls create on the 2010-04-01 API, Notifications create on Notify v1) the way
Twilio documents their success answer (201 with the created resource), and keeps every request
as a file, as the mail catcher keeps every e-mail. Nothing leaves the machine.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import secrets
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from include.config import PROJECT_ROOT
from include.web_standins.loopback import LoopbackHttpServer, json_post

TWILIO_CONN_ID = "twilio_default"

_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/(Messages|Calls)\.json$")
_ACCOUNT = re.compile(r"^AC[0-9a-fA-F]{32}$")
_NOTIFY = re.compile(r"^/v1/Services/(IS[0-9a-fA-F]{32})/Notifications$")


def created_body(path: str, form: dict[str, str], account: str, service: str) -> dict[str, Any]:
    """Twilio's 201 answer for a create request on ``path`` with the posted ``form``."""
    sid = secrets.token_hex(16)
    stamp = dt.datetime.now(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    if path.endswith("/Messages.json"):
        return {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": form.get("Body"),
            "date_created": stamp,
            "date_sent": None,
            "date_updated": stamp,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": None,
            "sid": f"SM{sid}",
            "status": "queued",
            "subresource_uris": {},
            "to": form.get("To"),
            "uri": f"/2010-04-01/Accounts/{account}/Messages/SM{sid}.json",
        }
    if path.endswith("/Calls.json"):
        return {
            "sid": f"CA{sid}",
            "account_sid": account,
            "to": form.get("To"),
            "to_formatted": form.get("To"),
            "from": form.get("From"),
            "from_formatted": form.get("From"),
            "status": "queued",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account}/Calls/CA{sid}.json",
        }
    return {
        "sid": f"NT{sid}",
        "account_sid": account,
        "service_sid": service,
        "identities": [form.get("Identity")],
        "body": form.get("Body"),
        "title": form.get("Title"),
        "priority": "high",
    }


def _basic_login(header: str) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header (None when it is not one)."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(value, validate=True).decode().partition(":")[0]
    except (ValueError, UnicodeDecodeError):
        return None


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class TextFolder:
    """Answers the create calls and stores each accepted request in ``folder``.

    :param folder: where the ``.json`` files go (created when missing).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def answer(self, path: str, authorization: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        """The status and JSON body for one POST; ``authorization`` is its header."""
        path = urlsplit(path).path
        login = _basic_login(authorization)
        if login is None or not _ACCOUNT.match(login):
            return 401, _error(401, 20003, "Authenticate with the Account SID and Auth Token")
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        api, notify = _MESSAGES.match(path), _NOTIFY.match(path)
        if api is None and notify is None:
            return 404, _error(404, 20404, f"The requested resource {path} was not found")
        account = api.group(1) if api else login
        service = notify.group(1) if notify else ""
        kind = api.group(2).lower() if api else "push"
        needed = ("Identity", "Body") if notify else ("To", "From")
        missing = [name for name in needed if not form.get(name)]
        if missing:
            return 400, _error(400, 21604, f"A '{missing[0]}' parameter is required.")
        body = created_body(path, form, account, service)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            name = f"{stamp}-{next(self._numbers)}-{kind}.json"
            record = {"kind": kind, "path": path, "request": form, "sid": body["sid"]}
            (self.folder / name).write_text(json.dumps(record, indent=2) + "\n")
        return 201, body


class TextCatcher:
    """The HTTP server in a thread; ``stop()`` it."""

    def __init__(self, folder: Path, host: str, port: int) -> None:
        store = TextFolder(folder)

        self._server = LoopbackHttpServer(json_post(store.answer), host, port, keep=False).start()

    @property
    def port(self) -> int:
        return self._server.port

    def stop(self) -> None:
        self._server.stop()


def text_address(settings_file: Path = PROJECT_ROOT / "airflow_settings.yaml") -> tuple[str, int]:
    """Host and port of the ``twilio_default`` connection that ``make run`` defines."""
    from include.mail_catcher import settings_connection

    conn = settings_connection(TWILIO_CONN_ID, settings_file)
    url = urlsplit(str(conn.get("conn_host") or ""))
    return url.hostname or "127.0.0.1", int(url.port or conn.get("conn_port") or 80)


def start_text_catcher(folder: Path, host: str, port: int) -> TextCatcher:
    """Start the text provider on ``host:port``; raises OSError when the port is taken."""
    return TextCatcher(folder, host, port)
