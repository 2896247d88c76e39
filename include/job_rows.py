"""Reading one job's row without the table definitions: what a worker's parse needs.

``include.repository.read_table`` reads rows through the SQLAlchemy table (and the pydantic
definitions behind it); a worker builds only the DAG of the task it runs, before every task,
so its one-row read is plain SQL over the same columns, giving the same raw values.
tests/dags/test_worker_dag.py checks the two reads agree on both databases.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

# What a job id may be (and so a DAG id: a dot never appears in one).
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
# The definition columns of scheduled_jobs in table order (the audit columns left out).
COLUMNS = (
    "id",
    "title",
    "job_class",
    "kind",
    "run_hour",
    "run_minute",
    "repeat_minutes",
    "timeframe_start",
    "timeframe_end",
    "weekdays",
    "priority",
    "store_history",
    "start_date",
    "end_date",
    "emails",
    "params",
    "active",
    "school_days_only",
    "calendar_schools",
    "run_after",
    "not_before",
)
# JSON is read as text (psycopg2 would decode it, and one row nested too deep for Python's
# json module would fail the read); dates as ISO text (the snapshot stores JSON).
JSON_COLUMNS = ("params",)
DATE_COLUMNS = ("start_date", "end_date")

_ONE_ROW = sa.text(
    "SELECT "
    + ", ".join(f"CAST({c} AS TEXT) AS {c}" if c in JSON_COLUMNS else c for c in COLUMNS)
    + " FROM scheduled_jobs WHERE id = :id"
)


def is_active(value: Any) -> bool:
    """Whether a stored ``active`` value means active, read the same everywhere (the driver
    gives text on SQLite, so a direct edit may have stored "false")."""
    return str(value).lower() not in ("0", "false", "f")


def iso_dates(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its date columns as ISO text (Postgres gives date objects)."""
    for name in DATE_COLUMNS:
        if isinstance(row.get(name), dt.date):
            row[name] = row[name].isoformat()
    return row


def _raw_row(found: Any) -> dict[str, Any] | None:
    return None if found is None else iso_dates(dict(zip(COLUMNS, found, strict=True)))


def read_job_row(conn: sa.Connection, job_id: str) -> dict[str, Any] | None:
    """The raw row of job ``job_id`` (active or not), or None when there is none."""
    return _raw_row(conn.execute(_ONE_ROW, {"id": job_id}).first())


def read_job_row_at(url: str, job_id: str) -> dict[str, Any] | None:
    """``read_job_row`` on the database at ``url``, every wait bounded as the parse's are.

    A SQLite file is read with the driver alone, read-only: setting up an engine (and the
    WAL pragma its connections run) costs a worker's parse more than the read itself.
    """
    from include.focus_db.engine import PARSE_CONNECT_TIMEOUT_SECONDS, get_parse_engine

    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        with get_parse_engine(url).connect() as conn:
            return read_job_row(conn, job_id)
    import sqlite3

    from include.focus_db.engine import _lenient_text

    path = Path(parsed.database).resolve()
    if not path.exists():  # sqlite3 would create it; the full build says what is wrong
        raise FileNotFoundError(path)
    db = sqlite3.connect(
        f"{path.as_uri()}?mode=ro", uri=True, timeout=PARSE_CONNECT_TIMEOUT_SECONDS
    )
    try:
        db.text_factory = _lenient_text
        found = db.execute(str(_ONE_ROW).replace(":id", "?"), (job_id,)).fetchone()
    finally:
        db.close()
    return _raw_row(found)
