"""The embedded default's mail server: every e-mail a job sends becomes an .eml file."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import yaml

from include.config import PROJECT_ROOT

SMTP_CONN_ID = "smtp_default"


class EmlFolder:
    """An aiosmtpd handler that stores each message, as received, in ``folder``.

    :param folder: where the ``.eml`` files go (created when missing).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self.folder / f"{stamp}-{next(self._numbers)}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        return "250 Message stored"


def settings_connection(conn_id: str, settings_file: Path) -> dict[str, Any]:
    """The connection ``conn_id`` as ``make run``'s settings file defines it."""
    data = yaml.safe_load(settings_file.read_text()) or {}
    for conn in data.get("airflow", {}).get("connections", []):
        if conn.get("conn_id") == conn_id:
            return conn
    raise ValueError(f"{settings_file}: no {conn_id} connection")


def smtp_address(settings_file: Path = PROJECT_ROOT / "airflow_settings.yaml") -> tuple[str, int]:
    """Host and port of the ``smtp_default`` connection that ``make run`` defines."""
    conn = settings_connection(SMTP_CONN_ID, settings_file)
    return str(conn.get("conn_host") or "127.0.0.1"), int(conn.get("conn_port") or 25)


def start_mail_catcher(folder: Path, host: str, port: int) -> Any:
    """Start the SMTP server in a thread; returns its controller (``stop()`` it)."""
    from aiosmtpd.controller import Controller

    controller = Controller(EmlFolder(folder), hostname=host, port=port)
    controller.start()
    return controller
