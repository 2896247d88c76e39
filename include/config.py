"""Where things live, read from the environment when asked (never at import)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

PROJECT_ROOT = Path(__file__).resolve().parent.parent
JOBS_POOL = "focus_jobs"
DEFAULT_TIMEZONE = "America/New_York"


class Settings(NamedTuple):
    """Deployment settings (a named tuple: every worker's parse imports this module, and a
    dataclass costs that parse a millisecond to build).

    :param home: folder for the embedded databases, the snapshot and job files
        (``FOCUS_HOME``, default ``.local`` in the project).
    :param db_url: SQLAlchemy URL of the Focus database (``FOCUS_DB_URL``, default
        SQLite in ``home``).
    :param snapshot_path: last good job definitions (``FOCUS_SNAPSHOT_PATH``).
    :param file_store: folder handed to jobs for their files (``FOCUS_FILE_STORE``).
    :param smtp_attempts: tries per execution e-mail (``FOCUS_SMTP_ATTEMPTS``, default 3).
    :param smtp_backoff_seconds: wait before the first retry, doubling after each
        (``FOCUS_SMTP_BACKOFF_SECONDS``, default 5).
    :param file_poke_seconds: how often a file job's deferred sensor looks for its file
        (``FOCUS_FILE_POKE_SECONDS``, default 60).
    :param file_settle_seconds: how long a file on a vendor's server must keep its size and
        modification time before a file job takes it (``FOCUS_FILE_SETTLE_SECONDS``, default 5).
    :param retry_delay_seconds: wait before Airflow retries a job that raised or whose worker
        died (``FOCUS_RETRY_DELAY_SECONDS``, default 300).
    """

    home: Path
    db_url: str
    snapshot_path: Path
    file_store: Path
    smtp_attempts: int = 3
    smtp_backoff_seconds: float = 5.0
    file_poke_seconds: float = 60.0
    file_settle_seconds: float = 5.0
    retry_delay_seconds: float = 300.0


def settings() -> Settings:
    home = Path(os.environ.get("FOCUS_HOME") or PROJECT_ROOT / ".local")
    return Settings(
        home=home,
        db_url=os.environ.get("FOCUS_DB_URL") or f"sqlite:///{home / 'focus.db'}",
        snapshot_path=Path(
            os.environ.get("FOCUS_SNAPSHOT_PATH") or home / "scheduled_jobs.snapshot.json"
        ),
        file_store=Path(os.environ.get("FOCUS_FILE_STORE") or home / "files"),
        smtp_attempts=int(os.environ.get("FOCUS_SMTP_ATTEMPTS") or 3),
        smtp_backoff_seconds=float(os.environ.get("FOCUS_SMTP_BACKOFF_SECONDS") or 5.0),
        file_poke_seconds=float(os.environ.get("FOCUS_FILE_POKE_SECONDS") or 60.0),
        file_settle_seconds=float(os.environ.get("FOCUS_FILE_SETTLE_SECONDS") or 5.0),
        retry_delay_seconds=float(os.environ.get("FOCUS_RETRY_DELAY_SECONDS") or 300.0),
    )
