"""Daily Maintenance and the Missing Class job, against real databases."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.daily_maintenance import DailyMaintenance, DailyMaintenanceParams
from job_library.jobs.missing_class import MissingClass, MissingClassParams
from job_library.schema import job_output
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


def _output(job_id: str, run: str, days_ago: float) -> dict:
    finished = NOW - dt.timedelta(days=days_ago)
    return {
        "job_id": job_id,
        "run_id": run,
        "started_at": finished,
        "finished_at": finished,
        "success": True,
        "summary": "ok",
        "text_output": "",
        "html_output": "",
    }


def test_daily_maintenance_deletes_output_older_than_n_days(engine):
    rows = [
        _output("attendance", "r1", 45),
        _output("attendance", "r2", 31),
        _output("attendance", "r3", 29.9),
        _output("rollover", "r4", 400),
        _output("rollover", "r5", 1),
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(job_output), rows)
    result = run_in_transaction(
        engine, DailyMaintenance(), DailyMaintenanceParams(days=30), now=NOW
    )
    with engine.connect() as conn:
        kept = sorted(conn.execute(sa.select(job_output.c.run_id)).scalars())
    assert kept == ["r3", "r5"]
    assert result.success and result.counts["deleted"] == 3
    assert "attendance: 2" in result.text and "rollover: 1" in result.text
    again = run_in_transaction(engine, DailyMaintenance(), DailyMaintenanceParams(days=30), now=NOW)
    assert again.counts["deleted"] == 0


def test_missing_class_fails_naming_the_original_job(sqlite_engine):
    result = run_in_transaction(
        sqlite_engine,
        MissingClass(),
        MissingClassParams(original_class="legacy_php_export", original_title="Legacy PHP Export"),
    )
    assert result.success is False
    assert "'Legacy PHP Export'" in result.summary
    assert "could not be completed" in result.summary
    assert "legacy_php_export" in result.summary
