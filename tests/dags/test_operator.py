"""The job task: timeframe skips, failures with output, results as the XCom return value."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.utils.types import DagRunType

from include.dag_builder import TASK_ID, build_dags
from include.focus_db.engine import get_engine
from job_library.schema import job_output, student_addresses
from tests.rows import good_row, insert_rows
from tests.standins import context as _context


def _stored(job_id: str) -> list[tuple]:
    with get_engine(os.environ["FOCUS_DB_URL"]).connect() as conn:
        return conn.execute(
            sa.select(job_output.c.run_id, job_output.c.success, job_output.c.summary).where(
                job_output.c.job_id == job_id
            )
        ).all()


def _task(focus_env, **row):
    insert_rows(get_engine(os.environ["FOCUS_DB_URL"]), good_row("job", **row))
    return build_dags()["job"].get_task(TASK_ID)


def test_scheduled_run_outside_timeframe_is_skipped_with_output(focus_env):
    task = _task(focus_env, run_hour=2, timeframe_start="01:00", timeframe_end="03:00")
    due = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)  # yesterday's window is long closed
    context = _context(DagRunType.SCHEDULED, due)
    with pytest.raises(AirflowSkipException, match="outside the scheduled timeframe 01:00-03:00"):
        task.execute(context)
    output = context["ti"].pushed["return_value"]
    assert output["success"] is False and output["counts"] == {"skipped": 1}
    assert "Skipped" in output["summary"]
    assert _stored("job")[0][:2] == ("run-1", False)


def test_manual_run_runs_at_any_time(focus_env):
    with get_engine(os.environ["FOCUS_DB_URL"]).begin() as conn:
        conn.execute(sa.insert(student_addresses).values(student_id=1, address="1 North Oak Road"))
    task = _task(focus_env, run_hour=2, timeframe_start="01:00", timeframe_end="03:00")
    due = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    output = task.execute(_context(DagRunType.MANUAL, due))
    assert output["success"] is True and output["counts"] == {"checked": 1, "corrected": 1}
    with get_engine(os.environ["FOCUS_DB_URL"]).connect() as conn:
        assert conn.execute(sa.select(student_addresses.c.address)).scalar() == "1 N Oak Rd"


def test_scheduled_run_inside_timeframe_runs(focus_env):
    ny = ZoneInfo("America/New_York")
    now = dt.datetime.now(ny)
    if now.time() >= dt.time(23, 59):
        pytest.skip("the whole-day window below closes in the last minute of the day")
    task = _task(
        focus_env, run_hour=0, run_minute=0, timeframe_start="00:00", timeframe_end="23:59"
    )
    due = dt.datetime.combine(now.date(), dt.time(0, 0), ny)  # today's run, started now
    output = task.execute(_context(DagRunType.SCHEDULED, due))
    assert output["success"] is True


def test_missing_class_run_fails_with_output_naming_the_job(focus_env):
    task = _task(focus_env, job_class="gone_class", title="Acelo Integration")
    context = _context(DagRunType.MANUAL, None)
    with pytest.raises(
        AirflowFailException, match="'Acelo Integration' \\(job\\) could not be completed"
    ):
        task.execute(context)
    assert context["ti"].pushed["return_value"]["success"] is False
    assert "gone_class" in _stored("job")[0][2]
