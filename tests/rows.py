"""Building scheduled_jobs rows for tests, including rows no validator would let through."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def good_row(job_id: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "id": job_id,
        "title": f"Job {job_id}",
        "job_class": "address_corrections",
        "kind": "built-in",
        "run_hour": 2,
        "run_minute": 0,
        "repeat_minutes": None,
        "timeframe_start": None,
        "timeframe_end": None,
        "weekdays": "mon,tue,wed,thu,fri",
        "priority": 500,
        "store_history": "forever",
        "start_date": None,
        "end_date": None,
        "emails": "",
        "params": {},
        "active": True,
        "created_at": NOW,
        "created_by": "test",
        "updated_at": NOW,
        "updated_by": "test",
    }
    row.update(overrides)
    return row


def insert_rows(engine: sa.Engine, *rows: dict[str, Any]) -> None:
    """Insert rows as given, bypassing validation (SQL with bound parameters)."""
    with engine.begin() as conn:
        for row in rows:
            values = dict(row)
            values["params"] = (
                values["params"]
                if isinstance(values["params"], str)
                else json.dumps(values["params"])
            )
            cols = ", ".join(values)
            marks = ", ".join(f":{k}" for k in values)
            conn.execute(sa.text(f"INSERT INTO scheduled_jobs ({cols}) VALUES ({marks})"), values)
