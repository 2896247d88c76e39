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


def smtp_address(settings_file: Path = PROJECT_ROOT / "airflow_settings.yaml") -> tuple[str, int]:
    """Host and port of the ``smtp_default`` connection that ``make run`` defines."""
    data = yaml.safe_load(settings_file.read_text()) or {}
    for conn in data.get("airflow", {}).get("connections", []):
        if conn.get("conn_id") == SMTP_CONN_ID:
            return str(conn.get("conn_host") or "127.0.0.1"), int(conn.get("conn_port") or 25)
    raise ValueError(f"{settings_file}: no {SMTP_CONN_ID} connection")


def start_mail_catcher(folder: Path, host: str, port: int) -> Any:
    """Start the SMTP server in a thread; returns its controller (``stop()`` it)."""
    from aiosmtpd.controller import Controller

    controller = Controller(EmlFolder(folder), hostname=host, port=port)
    controller.start()
    return controller
