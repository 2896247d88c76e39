"""Daily Maintenance and the Missing Class job, against real databases."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.system.daily_maintenance import DailyMaintenance, DailyMaintenanceParams
from job_library.jobs.system.missing_class import MissingClass, MissingClassParams
from job_library.schema import job_output
from tests.job_library.jobs_context import run_in_transaction
from tests.rows import good_row, insert_rows

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


def test_daily_maintenance_keeps_each_jobs_output_as_long_as_its_retention(engine):
    insert_rows(
        engine,
        good_row("weekly", store_history="1 week"),
        good_row("keep-all", store_history="forever"),
        good_row("default", store_history=None),
    )
    outputs = [
        _output("weekly", "w-old", 8),
        _output("weekly", "w-new", 6),
        _output("keep-all", "k-ancient", 400),
        _output("default", "d-old", 31),
        _output("default", "d-new", 29.9),
        _output("deleted-job", "x-old", 45),  # its job is gone: the default applies
        _output("deleted-job", "x-new", 1),
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(job_output), outputs)
    result = run_in_transaction(
        engine, DailyMaintenance(), DailyMaintenanceParams(days=30), now=NOW
    )
    with engine.connect() as conn:
        kept = sorted(conn.execute(sa.select(job_output.c.run_id)).scalars())
    assert kept == ["d-new", "k-ancient", "w-new", "x-new"]
    assert result.success
    assert dict(result.counts) == {"runs_deleted": 0, "outputs_deleted": 3}
    assert "Airflow's run history was not pruned (no Airflow API connection)" in result.summary
    assert "weekly: keep 1 week; runs removed -, outputs 1" in result.text
    assert "default: keep 30 days (default); runs removed -, outputs 1" in result.text
    assert "keep-all: keep forever; runs removed -, outputs 0" in result.text
    again = run_in_transaction(engine, DailyMaintenance(), DailyMaintenanceParams(days=30), now=NOW)
    assert again.counts["outputs_deleted"] == 0


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
