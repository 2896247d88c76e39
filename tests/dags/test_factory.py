"""The DAG factory without a scheduler: attributes, missing classes, bad rows, snapshots."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException
from airflow.serialization.serialized_objects import DagSerialization

from include.dag_builder import TASK_ID, build_dags
from include.focus_db.engine import get_engine
from include.repository import set_setting
from include.timetable import FocusJobTimetable
from tests.rows import good_row, insert_rows


def _engine() -> sa.Engine:
    return get_engine(os.environ["FOCUS_DB_URL"])


def test_one_dag_per_active_row_with_focus_semantics(focus_env: Path):
    insert_rows(
        _engine(),
        good_row(
            "address-corrections",
            priority=750,
            weekdays="mon,wed,fri",
            timeframe_start="01:00",
            timeframe_end="05:00",
        ),
        good_row(
            "comm-queue",
            job_class="daily_maintenance",
            run_hour=None,
            run_minute=None,
            repeat_minutes=15,
            params={"days": 10},
            kind="integration",
        ),
        good_row("switched-off", active=False),
    )
    dags = build_dags()
    assert sorted(dags) == ["address-corrections", "comm-queue"]
    dag = dags["address-corrections"]
    assert dag.catchup is False and dag.max_active_runs == 1
    assert set(dag.tags) == {"kind:built-in", "module:SIS", "class:address_corrections"}
    assert "Shortens the compass directions" in dag.doc_md
    task = dag.get_task(TASK_ID)
    assert task.priority_weight == 750
    assert str(task.weight_rule).lower().endswith("absolute")
    assert task.pool == "focus_jobs"
    tt = dag.timetable
    assert isinstance(tt, FocusJobTimetable)
    assert tt.schedule.weekdays == frozenset({0, 2, 4})
    assert tt.schedule.timezone == "America/New_York"
    assert tt.summary == "02:00 within 01:00-05:00 mon,wed,fri (America/New_York)"
    assert dags["comm-queue"].timetable.schedule.repeat_minutes == 15
    assert "kind:integration" in dags["comm-queue"].tags


def test_district_time_zone_setting_reaches_the_timetable(focus_env: Path):
    insert_rows(_engine(), good_row("nightly"))
    with _engine().begin() as conn:
        set_setting(conn, "timezone", "America/Chicago")
    assert build_dags()["nightly"].timetable.schedule.timezone == "America/Chicago"


def test_serialized_dag_keeps_the_timetable(focus_env: Path):
    insert_rows(_engine(), good_row("nightly", run_minute=45, weekdays="sat,sun"))
    dag = build_dags()["nightly"]
    data = DagSerialization.to_dict(dag)
    again = DagSerialization.from_dict(data)
    assert again.timetable == dag.timetable
    assert again.timetable.summary == "02:45 sat,sun (America/New_York)"


def test_missing_class_row_becomes_a_tagged_dag(focus_env: Path):
    insert_rows(_engine(), good_row("old-php", job_class="php_thing", params={"x": 1}))
    dag = build_dags()["old-php"]
    assert "missing-class" in dag.tags
    assert "`php_thing` is not in the job catalog" in dag.doc_md


BAD_ROWS = [
    (good_row("bad-weekday", weekdays="mon,funday"), "weekdays.1", "funday"),
    (
        good_row("bad-dates", start_date="2026-08-01", end_date="2026-01-01"),
        "end_date",
        "is before start_date 2026-08-01",
    ),
    (
        good_row("bad-window", timeframe_start="05:00", timeframe_end="01:00"),
        "timeframe_end",
        "is before timeframe_start 05:00",
    ),
    (good_row("bad-email", emails="ok@district.org,not-an-address"), "emails", "not-an-address"),
    (
        good_row("bad-params", job_class="daily_maintenance", params={"days": "lots"}),
        "params.days",
        "lots",
    ),
    (good_row("bad-params-json", params="{not json"), "params", "{not json"),
]


@pytest.mark.parametrize(("row", "field", "fragment"), BAD_ROWS, ids=[r[0]["id"] for r in BAD_ROWS])
def test_invalid_row_becomes_config_error_dag_and_others_still_load(
    focus_env: Path, row, field, fragment
):
    insert_rows(_engine(), good_row("healthy"), row)
    dags = build_dags()
    assert "healthy" in dags and "config-error" not in dags["healthy"].tags
    dag = dags[row["id"]]
    assert dag.tags == ["config-error"] or set(dag.tags) == {"config-error"}
    assert f"job '{row['id']}': {field}" in dag.doc_md
    assert fragment in dag.doc_md
    task = dag.get_task(TASK_ID)
    assert f"job '{row['id']}': {field}" in task.message
    with pytest.raises(AirflowFailException, match=f"job '{row['id']}': {field}"):
        task.execute({})


def test_non_integer_priority_is_a_config_error(focus_env: Path):
    # Only SQLite can hold text in an INTEGER column; a validator upstream stops it elsewhere.
    insert_rows(_engine(), good_row("healthy"), good_row("bad-priority", priority="high"))
    dags = build_dags()
    assert "config-error" in dags["bad-priority"].tags
    assert "job 'bad-priority': priority 'high'" in dags["bad-priority"].doc_md
    assert "healthy" in dags


def test_unreadable_database_uses_last_good_snapshot(focus_env: Path, caplog, monkeypatch):
    insert_rows(_engine(), good_row("a"), good_row("b", job_class="daily_maintenance"))
    first = build_dags()
    snapshot = focus_env / "scheduled_jobs.snapshot.json"
    assert sorted(json.loads(snapshot.read_text())["rows"][i]["id"] for i in range(2)) == ["a", "b"]
    monkeypatch.setenv("FOCUS_DB_URL", f"sqlite:///{focus_env / 'missing-dir' / 'no.db'}")
    with caplog.at_level(logging.WARNING):
        again = build_dags()
    assert sorted(again) == sorted(first) == ["a", "b"]
    assert "using the last good definitions" in caplog.text


def test_unreadable_database_without_snapshot_is_an_import_error(focus_env: Path, monkeypatch):
    monkeypatch.setenv("FOCUS_DB_URL", f"sqlite:///{focus_env / 'missing-dir' / 'no.db'}")
    with pytest.raises(RuntimeError, match="no usable last good snapshot"):
        build_dags()


def test_snapshot_not_rewritten_when_nothing_changed(focus_env: Path):
    insert_rows(_engine(), good_row("a"))
    build_dags()
    snapshot = focus_env / "scheduled_jobs.snapshot.json"
    os.utime(snapshot, (1, 1))
    build_dags()
    assert snapshot.stat().st_mtime == 1


def test_task_run_time_builds_only_the_dag_being_run(focus_env: Path):
    insert_rows(_engine(), *(good_row(f"job-{i:03d}") for i in range(30)))
    assert list(build_dags(only_dag_id="job-007")) == ["job-007"]
    assert build_dags(only_dag_id="no-such-job") == {}
