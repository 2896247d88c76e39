"""A worker's build (include/worker_dag.py) gives the tasks the dag-processor's build gives.

The worker builds its one DAG from the job's row without validating it; the tasks validate it
when they run. These tests compare the two builds task by task for every catalog class on
SQLite and Postgres, check the one-row read against the table read, the fallbacks to the full
build, what a row that turned invalid after the dag-processor's parse does to the task, and
that the worker's build imports none of the definitions, the job classes or the schedule.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from airflow.sdk.exceptions import AirflowFailException

from include.dag_builder import TASK_ID, WAIT_TASK_ID, build_dags
from include.file_sensor import FocusFileSensor
from include.focus_db.schema import scheduled_jobs
from include.job_rows import COLUMNS, JSON_COLUMNS, read_job_row, read_job_row_at
from include.job_task import FocusJobOperator
from include.repository import read_table, upsert, validate_documents
from include.worker_dag import build_worker_dags
from job_library.registry import REGISTRY, WAITS_FOR_FILE, example_params
from tests.dags.conftest import child_env
from tests.rows import good_row, insert_rows

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "dags" / "focus_jobs.py"


def _job_id(key: str) -> str:
    return f"w-{key}".replace("_", "-")[:100]


def _every_class(engine: sa.Engine) -> None:
    docs = [
        {
            "id": _job_id(key),
            "title": f"Every class: {key}",
            "class": key,
            "kind": str(cls.kind),
            "priority": 100 + i,
            "params": example_params(key),
        }
        | (
            {"repeat_minutes": 20, "timeframe_start": "06:00", "timeframe_end": "18:00"}
            if i % 2
            else {"run_time": "02:00", "timeframe_end": "04:30"}
        )
        for i, (key, cls) in enumerate(REGISTRY.items())
    ]
    definitions, errors = validate_documents(docs)
    assert errors == []
    with engine.begin() as conn:
        upsert(conn, definitions, user="test")


def test_the_classes_said_to_wait_for_a_file_are_those_that_do():
    waiting = {
        key
        for key, cls in REGISTRY.items()
        if cls.waits_for_file
        and cls.remote_source(cls.params_model.model_validate(example_params(key))) is not None
    }
    assert waiting == WAITS_FOR_FILE


def test_the_one_row_read_names_the_table_columns_in_order():
    audit = ("created_at", "created_by", "updated_at", "updated_by")
    assert tuple(c.name for c in scheduled_jobs.columns if c.name not in audit) == COLUMNS
    assert len(COLUMNS) + len(audit) == len(scheduled_jobs.columns)
    assert (
        tuple(c.name for c in scheduled_jobs.columns if isinstance(c.type, sa.JSON)) == JSON_COLUMNS
    )


def test_the_one_row_read_gives_what_the_table_read_gives(db):
    insert_rows(
        db,
        good_row("dated", start_date="2026-09-01", end_date="2027-06-30", params={"a": [1]}),
        good_row("off", active=False),
        good_row("plain"),
    )
    with db.connect() as conn:
        table = {r["id"]: r for r in read_table(conn, active_only=False).rows}
        for job_id in ("dated", "off", "plain"):
            assert read_job_row(conn, job_id) == table[job_id]
        assert read_job_row(conn, "nobody") is None
    url = db.url.render_as_string(hide_password=False)
    assert read_job_row_at(url, "dated") == table["dated"]
    assert table["dated"]["start_date"] == "2026-09-01"
    assert json.loads(table["dated"]["params"]) == {"a": [1]}


def _same_task(worker_task, full_task) -> None:
    for attr in (
        "task_id",
        "pool",
        "priority_weight",
        "weight_rule",
        "retries",
        "retry_delay",
        "trigger_rule",
        "soft_fail",
        "poke_interval",
        "deferrable",
    ):
        assert getattr(worker_task, attr, None) == getattr(full_task, attr, None), attr
    assert type(worker_task) is type(full_task)
    assert worker_task.upstream_task_ids == full_task.upstream_task_ids
    assert worker_task.outlets == full_task.outlets


def test_a_workers_dag_holds_the_tasks_of_the_full_build_for_every_class(db):
    _every_class(db)
    full = build_dags()
    assert len(full) == len(REGISTRY)
    for key in REGISTRY:
        job_id = _job_id(key)
        worker = build_worker_dags(job_id)
        assert list(worker) == [job_id]
        w_dag, f_dag = worker[job_id], full[job_id]
        assert sorted(w_dag.task_dict) == sorted(f_dag.task_dict), key
        assert (WAIT_TASK_ID in w_dag.task_dict) == (key in WAITS_FOR_FILE)
        for task_id in f_dag.task_dict:
            _same_task(w_dag.task_dict[task_id], f_dag.task_dict[task_id])
        w_run, f_run = w_dag.get_task(TASK_ID), f_dag.get_task(TASK_ID)
        assert isinstance(w_run, FocusJobOperator)
        assert w_run.timezone is None  # read when the task runs
        w_run._resolve(sa.create_engine(db.url))
        assert w_run.definition == f_run.definition
        assert w_run.timezone == f_run.timezone
        if key in WAITS_FOR_FILE:
            w_wait, f_wait = w_dag.get_task(WAIT_TASK_ID), f_dag.get_task(WAIT_TASK_ID)
            assert w_wait.path is None
            w_wait._resolve()
            for attr in ("path", "file_pattern", "sftp_conn_id", "timeout"):
                assert getattr(w_wait, attr) == getattr(f_wait, attr), (key, attr)


def test_the_worker_build_falls_back_to_the_full_build(db, tmp_path: Path, monkeypatch):
    insert_rows(db, good_row("healthy"), good_row("off", active=False))
    build_dags()  # the dag-processor's parse: writes the last good snapshot
    assert build_worker_dags("off") == {}
    assert build_worker_dags("nobody") == {}
    # The database gone: the full build's last good snapshot still gives the job's DAG.
    monkeypatch.setenv("FOCUS_DB_URL", f"sqlite:///{tmp_path / 'missing' / 'focus.db'}")
    dags = build_worker_dags("healthy")
    assert isinstance(dags["healthy"].get_task(TASK_ID), FocusJobOperator)
    assert dags["healthy"].get_task(TASK_ID).definition.id == "healthy"
    assert not (tmp_path / "missing").exists()  # the read-only read created nothing


def test_an_error_dags_id_goes_to_the_full_build(db):
    insert_rows(db, good_row("healthy"), good_row("Not A Slug!"))
    (error_id,) = [d for d in build_dags() if d.startswith("invalid.")]
    assert set(build_worker_dags(error_id)[error_id].tags) == {"config-error"}


def test_a_row_made_invalid_after_the_parse_fails_its_task_with_the_error_dags_message(db):
    insert_rows(db, good_row("later-bad"))
    worker = build_worker_dags("later-bad")["later-bad"]
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE scheduled_jobs SET run_hour = 25 WHERE id = 'later-bad'"))
    full = build_dags()["later-bad"]
    assert "config-error" in full.tags
    stale = worker.get_task(TASK_ID)
    # The worker's row was read before the edit; a row read after it fails the same way.
    fresh = build_worker_dags("later-bad")
    assert set(fresh["later-bad"].tags) == set()
    with pytest.raises(AirflowFailException) as failed:
        fresh["later-bad"].get_task(TASK_ID).execute({})
    assert "definition is invalid" in str(failed.value)
    assert "run_time" in str(failed.value)
    with pytest.raises(AirflowFailException, match="definition is invalid"):
        full.get_task(TASK_ID).execute({})
    assert stale.definition.run_time is not None  # the stale row still validates


def test_a_bad_district_time_zone_fails_the_workers_task(db):
    insert_rows(db, good_row("zoned"))
    worker = build_worker_dags("zoned")["zoned"]
    with db.begin() as conn:  # a direct edit: no validator on the way
        conn.execute(
            sa.text(
                "INSERT INTO system_preferences (key, school_id, value, updated_at, updated_by) "
                "VALUES ('timezone', 0, 'Mars/Olympus_Mons', CURRENT_TIMESTAMP, 'sql')"
            )
        )
    with pytest.raises(AirflowFailException, match="district setting timezone"):
        worker.get_task(TASK_ID).execute({})


def test_a_file_jobs_sensor_of_a_row_no_longer_waiting_fails():
    row = good_row("was-a-file-job", job_class="address_corrections", params="{}")
    sensor = FocusFileSensor(task_id=WAIT_TASK_ID, row=row)
    with pytest.raises(Exception, match="no longer waits for a file"):
        sensor._resolve()
    with pytest.raises(TypeError):
        FocusFileSensor(task_id="both", row=row, path="/in", file_pattern="*", sftp_conn_id="c")


# What a worker's build must not import: the definitions (pydantic models), the job classes
# and their base, the schedule, the full build and the site profile.
NOT_ON_A_WORKER = (
    "include.definitions",
    "include.dag_builder",
    "include.schedule",
    "include.school_calendar",
    "include.repository",
    "include.focus_db.schema",
    "job_library.base",
    "job_library.jobs",
    "job_library.site",
    "job_library.preferences",
)

CHILD = """
import importlib.machinery, importlib.util, json, os, sys
import airflow.sdk, airflow.sdk.execution_time.task_runner, airflow.dag_processing.dagbag
from airflow.sdk.listener import get_listener_manager

get_listener_manager()  # the plugins, as the task runner loads them
prefixes = tuple(json.loads(sys.argv[1]))
seen = {}
for job_id in json.loads(sys.argv[2]):
    os.environ["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = job_id
    loader = importlib.machinery.SourceFileLoader("focus_jobs_" + job_id.replace("-", "_"),
                                                  sys.argv[3])
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    seen[job_id] = sorted(v.task_id for v in vars(module)[job_id].tasks)
seen["imported"] = sorted(
    m for m in sys.modules if any(m == p or m.startswith(p + ".") for p in prefixes)
)
print(json.dumps(seen))
"""


def test_a_workers_build_imports_no_definition_class_or_schedule(sqlite_engine, tmp_path):
    _every_class(sqlite_engine)
    ids = [_job_id(k) for k in ("attendance_summary_calculation", "frontline_leave")]
    ids.append(_job_id("scheduled_import"))
    env = child_env(sqlite_engine, tmp_path / "home")
    out = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(NOT_ON_A_WORKER), json.dumps(ids), str(DAG_FILE)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen.pop("imported") == []
    assert seen == {
        ids[0]: [TASK_ID],
        ids[1]: [TASK_ID, WAIT_TASK_ID],
        ids[2]: [TASK_ID, WAIT_TASK_ID],
    }
