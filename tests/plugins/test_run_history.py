"""Execution History from Airflow's records: states, the job task's duration, who ran it, paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from include.run_history import (
    Window,
    duration_display,
    ran_by,
    read_runs,
    state_of,
    with_outputs,
)
from job_library.schema import job_output

NY = ZoneInfo("America/New_York")
NOW = dt.datetime(2027, 1, 15, 18, 0, tzinfo=dt.UTC)
TITLES = {"address-corrections": "Address Corrections", "daily-maintenance": "Daily Maintenance"}
JOBS = tuple(TITLES)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.fixture
def airflow_db(tmp_path: Path) -> Iterator[Session]:
    """Airflow's dag_run and task_instance tables, as its metadata database has them."""
    from airflow.models import import_all_models

    import_all_models()
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'airflow.db'}")
    DagRun.__table__.create(engine)
    TaskInstance.__table__.create(engine)
    runs, tasks = [], []

    def run(dag_id, run_id, state, run_type="scheduled", conf=None, user=None, **times):
        runs.append(
            {
                "dag_id": dag_id,
                "run_id": run_id,
                "state": state,
                "run_type": run_type,
                "conf": conf or {},
                "triggering_user_name": user,
                "queued_at": times.get("queued"),
                "start_date": times.get("start"),
                "end_date": times.get("end"),
                "run_after": times.get("queued") or times.get("start"),
                "clear_number": 0,
                "log_template_id": None,
            }
        )

    def task(dag_id, run_id, state, start=None, end=None, duration=None, task_id="run_job"):
        tasks.append(
            {
                "dag_id": dag_id,
                "run_id": run_id,
                "task_id": task_id,
                "map_index": -1,
                "state": state,
                "start_date": start,
                "end_date": end,
                "duration": duration,
                "pool": "focus_jobs",
                "try_number": 1,
            }
        )

    # A scheduled run that succeeded: the job task ran 42 s of the run's 50 s.
    run("address-corrections", "scheduled-ok", "success", start=_at("2027-01-15T07:00:00"),
        end=_at("2027-01-15T07:00:50"))  # fmt: skip
    task("address-corrections", "scheduled-ok", "success", _at("2027-01-15T07:00:05"),
         _at("2027-01-15T07:00:47"), 42.0)  # fmt: skip
    # The file sensor of the same run does not count as the job's duration.
    task("address-corrections", "scheduled-ok", "success", _at("2027-01-15T07:00:00"),
         _at("2027-01-15T07:00:04"), 4.0, task_id="wait_for_file")  # fmt: skip
    # Run Job from the screen, failed after 3.5 s.
    run("daily-maintenance", "manual-failed", "failed", "manual",
        {"triggered_by": "user", "ip": "10.0.0.5"}, "user",
        start=_at("2027-01-15T12:00:00"), end=_at("2027-01-15T12:00:05"))  # fmt: skip
    task("daily-maintenance", "manual-failed", "failed", _at("2027-01-15T12:00:01"),
         _at("2027-01-15T12:00:04.5"), 3.5)  # fmt: skip
    # A run-after job that was not due: the run succeeded, its task was skipped.
    run("daily-maintenance", "asset-skipped", "success", "asset_triggered",
        start=_at("2027-01-15T13:00:00"), end=_at("2027-01-15T13:00:02"))  # fmt: skip
    task("daily-maintenance", "asset-skipped", "skipped", _at("2027-01-15T13:00:01"),
         _at("2027-01-15T13:00:01"), 0.0)  # fmt: skip
    # Running for 90 s now; Airflow's own API user, no IP.
    run("address-corrections", "manual-running", "running", "manual", None, "admin",
        queued=_at("2027-01-15T17:58:20"), start=_at("2027-01-15T17:58:25"))  # fmt: skip
    task("address-corrections", "manual-running", "running", _at("2027-01-15T17:58:30"))
    # Queued: no task yet.
    run("daily-maintenance", "manual-queued", "queued", "manual", {"triggered_by": "viewer2"},
        queued=_at("2027-01-15T17:59:00"))  # fmt: skip
    # 11:30 PM on Jan 14 in New York, though already Jan 15 in UTC.
    run("daily-maintenance", "late-evening", "success", start=_at("2027-01-15T04:30:00"),
        end=_at("2027-01-15T04:31:00"))  # fmt: skip
    task("daily-maintenance", "late-evening", "success", _at("2027-01-15T04:30:00"),
         _at("2027-01-15T04:31:00"), 60.0)  # fmt: skip
    # A file job waiting for its file: the sensor is deferred, the job task not started.
    run("address-corrections", "file-waiting", "running", start=_at("2027-01-15T17:00:00"))
    task("address-corrections", "file-waiting", None)
    task("address-corrections", "file-waiting", "deferred", _at("2027-01-15T17:00:01"),
         task_id="wait_for_file")  # fmt: skip
    # Another DAG of the same Airflow: not a job, not listed.
    run("someone-elses-dag", "x", "success", start=_at("2027-01-15T09:00:00"))
    with engine.begin() as conn:
        conn.execute(DagRun.__table__.insert(), runs)
        conn.execute(TaskInstance.__table__.insert(), tasks)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _read(session, *, sort="time", desc=True, page=1, page_size=25, **window):
    return read_runs(
        session,
        Window(zone=NY, job_ids=window.pop("job_ids", JOBS), **window),
        sort=sort,
        desc=desc,
        page=page,
        page_size=page_size,
        titles=TITLES,
        now=NOW,
    )


def test_every_run_with_airflows_state_duration_and_who_ran_it(airflow_db):
    runs, total = _read(airflow_db)
    assert total == 7
    got = [
        (r["run_id"], r["state"], r["duration_seconds"], r["duration_display"], r["ran_by"])
        for r in runs
    ]
    assert got == [
        ("manual-queued", "queued", None, "", "viewer2"),
        ("manual-running", "running", 90.0, "1 min 30 s", "admin"),
        ("file-waiting", "deferred", None, "", "Scheduled"),
        ("asset-skipped", "skipped", 0.0, "0 s", "Scheduled"),
        ("manual-failed", "failed", 3.5, "3.5 s", "user (10.0.0.5)"),
        ("scheduled-ok", "success", 42.0, "42 s", "Scheduled"),
        ("late-evening", "success", 60.0, "1 min", "Scheduled"),
    ]
    ok = next(r for r in runs if r["run_id"] == "scheduled-ok")
    assert ok["title"] == "Address Corrections"
    assert ok["time"] == "2027-01-15T02:00:00-05:00"
    assert ok["time_display"] == "Jan 15, 2027, 2:00 AM EST"
    queued = runs[0]
    assert queued["time"] == "2027-01-15T12:59:00-05:00"  # queued: the time it was queued


def test_dates_are_the_districts_and_a_job_can_be_picked(airflow_db):
    day = dt.date(2027, 1, 15)
    on_the_15th, total = _read(airflow_db, date_from=day, date_to=day)
    assert total == 6 and "late-evening" not in {r["run_id"] for r in on_the_15th}
    on_the_14th, _ = _read(airflow_db, date_to=day - dt.timedelta(days=1))
    assert [r["run_id"] for r in on_the_14th] == ["late-evening"]
    mine, total = _read(airflow_db, job_ids=("address-corrections",))
    assert total == 3 and {r["job_id"] for r in mine} == {"address-corrections"}
    assert _read(airflow_db, job_ids=()) == ([], 0)


def test_sorting_and_paging(airflow_db):
    first, total = _read(airflow_db, page_size=4)
    second, _ = _read(airflow_db, page=2, page_size=4)
    assert total == 7 and len(first) == 4
    assert [r["run_id"] for r in second] == ["manual-failed", "scheduled-ok", "late-evening"]
    oldest_first, _ = _read(airflow_db, desc=False, page_size=1)
    assert oldest_first[0]["run_id"] == "late-evening"
    by_duration, _ = _read(airflow_db, sort="duration", desc=False)
    assert [r["duration_seconds"] for r in by_duration] == [0.0, 3.5, 42.0, 60.0, 90.0, None, None]
    by_duration_desc, _ = _read(airflow_db, sort="duration", desc=True)
    assert by_duration_desc[0]["duration_seconds"] == 90.0
    assert by_duration_desc[-1]["duration_seconds"] is None  # blanks last both ways
    by_job, _ = _read(airflow_db, sort="job", desc=False, page_size=2)
    assert [r["title"] for r in by_job] == ["Address Corrections"] * 2
    by_state, _ = _read(airflow_db, sort="state", desc=False)
    assert [r["state"] for r in by_state][:3] == ["deferred", "failed", "queued"]
    by_who, _ = _read(airflow_db, sort="ran_by", desc=False)
    assert by_who[0]["ran_by"] == "admin"


def test_the_stored_output_and_airflows_links_join_each_run(airflow_db, sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.execute(
            sa.insert(job_output),
            [
                {
                    "job_id": "address-corrections",
                    "run_id": "scheduled-ok",
                    "started_at": _at("2027-01-15T07:00:06"),
                    "finished_at": _at("2027-01-15T07:00:40"),
                    "success": True,
                    "summary": "3 addresses corrected",
                    "text_output": "t",
                    "html_output": "<p>t</p>",
                },
                {  # same run id, another job: not this run's output
                    "job_id": "daily-maintenance",
                    "run_id": "manual-running",
                    "started_at": _at("2027-01-15T07:00:06"),
                    "finished_at": _at("2027-01-15T07:00:40"),
                    "success": False,
                    "summary": "not mine",
                    "text_output": "t",
                    "html_output": "",
                },
            ],
        )
    runs, _ = _read(airflow_db, job_ids=("address-corrections",))
    with sqlite_engine.connect() as conn:
        shown = with_outputs(conn, runs, "/airflow")
    running, _waiting, ok = shown
    assert running["has_output"] is False and running["summary"] is None
    assert running["success"] is None
    assert (ok["success"], ok["summary"], ok["has_output"]) == (True, "3 addresses corrected", True)
    assert ok["run_url"] == "/airflow/dags/address-corrections/runs/scheduled-ok"
    assert ok["log_url"] == "/airflow/dags/address-corrections/runs/scheduled-ok/tasks/run_job"
    assert not any(k.startswith("_") for k in ok)


@pytest.mark.parametrize(
    ("run_state", "task_state", "shown"),
    [
        ("queued", None, "queued"),
        ("running", None, "queued"),  # the run started, its task waits for a slot
        ("running", "scheduled", "queued"),
        ("running", "running", "running"),
        ("running", "up_for_retry", "up_for_retry"),
        ("success", "skipped", "skipped"),
        ("failed", None, "failed"),  # failed before its task ran
        ("success", "success", "success"),
    ],
)
def test_state_as_airflow_has_it(run_state, task_state, shown):
    assert state_of(run_state, task_state) == shown


@pytest.mark.parametrize(
    ("wait_state", "shown"),
    [("deferred", "deferred"), ("running", "running"), ("success", "queued"), (None, "queued")],
)
def test_a_file_job_shows_its_sensor_while_it_waits(wait_state, shown):
    assert state_of("running", None, wait_state) == shown


def test_who_ran_it_and_how_long():
    assert ran_by("scheduled", {}, None) == "Scheduled"
    assert ran_by("manual", {"triggered_by": "user", "ip": "::1"}, "user") == "user (::1)"
    assert ran_by("manual", None, "admin") == "admin"
    assert [duration_display(s) for s in (None, 0, 2.25, 59.9, 60, 3725, 7200)] == [
        "",
        "0 s",
        "2.2 s",
        "59 s",
        "1 min",
        "1 h 2 min",
        "2 h",
    ]
