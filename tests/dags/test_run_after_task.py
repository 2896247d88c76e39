"""The task of a job that runs after others: which asset-triggered and timed runs do the work."""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowSkipException
from airflow.utils.types import DagRunType

from include.dag_builder import TASK_ID, build_dags
from include.focus_db.engine import get_engine
from job_library.schema import job_output
from tests.rows import good_row, insert_rows
from tests.standins import context

NY = ZoneInfo("America/New_York")
ALL_DAYS = "mon,tue,wed,thu,fri,sat,sun"


def _engine() -> sa.Engine:
    return get_engine(os.environ["FOCUS_DB_URL"])


def _task(**downstream):
    row = {"run_hour": None, "run_minute": None, "run_after": "up", "weekdays": ALL_DAYS}
    insert_rows(_engine(), good_row("up"), good_row("down", **(row | downstream)))
    return build_dags()["down"].get_task(TASK_ID)


def _outputs(job_id: str) -> list[str]:
    with _engine().connect() as conn:
        return list(
            conn.execute(sa.select(job_output.c.run_id).where(job_output.c.job_id == job_id))
            .scalars()
            .all()
        )


def _upstream_succeeded() -> None:
    now = dt.datetime.now(dt.UTC)
    with _engine().begin() as conn:
        conn.execute(
            sa.insert(job_output).values(
                job_id="up",
                run_id="up-1",
                started_at=now - dt.timedelta(seconds=5),
                finished_at=now,
                success=True,
                summary="ok",
                text_output="",
                html_output="",
            )
        )


def test_the_timed_run_works_only_after_a_new_upstream_success(focus_env):
    task = _task(not_before="22:00")
    due = dt.datetime.now(dt.UTC)
    with pytest.raises(AirflowSkipException, match="no successful run of up since this job"):
        task.execute(context(DagRunType.SCHEDULED, due))
    assert _outputs("down") == []  # a run that does no work leaves no output and no e-mail
    _upstream_succeeded()
    assert task.execute(context(DagRunType.SCHEDULED, due))["success"] is True
    assert _outputs("down") == ["run-1"]
    # The same success does not start it twice.
    again = context(DagRunType.SCHEDULED, due)
    again["dag_run"].run_id = "run-2"
    with pytest.raises(AirflowSkipException, match="no successful run of up"):
        task.execute(again)


def test_an_upstream_success_before_the_not_before_time_waits_for_the_timed_run(focus_env):
    now = dt.datetime.now(NY)
    if now.time() >= dt.time(23, 59):
        pytest.skip("23:59 is the not-before time below; the test needs a minute before it")
    task = _task(not_before="23:59")
    with pytest.raises(AirflowSkipException, match="it starts at 23:59"):
        task.execute(context(DagRunType.ASSET_TRIGGERED, None))
    assert _outputs("down") == []


def test_an_upstream_success_after_the_not_before_time_runs_at_once(focus_env):
    task = _task(not_before="00:00")
    assert task.execute(context(DagRunType.ASSET_TRIGGERED, None))["success"] is True


def test_weekdays_still_apply_to_a_run_after_job(focus_env):
    other_days = ",".join(
        d for i, d in enumerate(ALL_DAYS.split(",")) if i != dt.datetime.now(NY).weekday()
    )
    task = _task(weekdays=other_days)
    with pytest.raises(AirflowSkipException, match="is not a day this job runs on"):
        task.execute(context(DagRunType.ASSET_TRIGGERED, None))
    # A person may still run it by hand on any day.
    assert task.execute(context(DagRunType.MANUAL, None))["success"] is True


def test_a_job_that_runs_after_a_missing_or_inactive_job_says_so_in_airflow(focus_env):
    row = {"run_hour": None, "run_minute": None, "weekdays": ALL_DAYS}
    insert_rows(
        _engine(),
        good_row("off", active=False),
        good_row("after-off", run_after="off", **row),
        good_row("after-gone", run_after="gone,after-off", **row),
    )
    dags = build_dags()
    assert "run-after-missing" in dags["after-off"].tags
    assert "it runs after `off`, which is missing or inactive" in dags["after-off"].doc_md
    assert "it runs after `gone`, which is missing" in dags["after-gone"].doc_md
    assert "off" not in dags  # inactive: no DAG
