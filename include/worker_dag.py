"""The one DAG a worker needs, built from the job's row alone.

A worker parses the DAG file before every task, for the DAG of that task only. Its DAG must
hold the task as the dag-processor built it (task ids, order, pool, retries, outlet asset),
but the worker reads nothing else of the DAG: not its schedule, tags or documentation.
So this build reads the one row with plain SQL and hands it to the tasks unvalidated; they
validate it when they run (include/job_task.py), and a row that turned invalid in between
fails its task with the message its error DAG would show. Nothing here imports pydantic,
the job definitions, a job class or the table definitions.

Whatever this build cannot decide (an error DAG's id, a row that is missing or inactive, a
database that cannot be read) goes to the dag-processor's full build
(include/dag_builder.py), which falls back to the last good snapshot.
tests/dags/test_worker_dag.py compares the two builds task by task for every class.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import DAG
from airflow.timetables.simple import NullTimetable

from include.config import settings
from include.job_rows import SLUG, is_active, read_job_row_at
from include.job_task import BuildArgs, FocusJobOperator
from job_library.registry import WAITS_FOR_FILE

_DEFAULT_PRIORITY = 500


def build_worker_dags(dag_id: str) -> dict[str, DAG]:
    """``{dag_id: DAG}`` for a worker's task, or what the full build gives when this one
    cannot tell."""
    built = _light_dag(dag_id)
    if built is not None:
        return {dag_id: built}
    from include.dag_builder import build_dags

    return build_dags(only_dag_id=dag_id)


def _light_dag(dag_id: str) -> DAG | None:
    if not SLUG.fullmatch(dag_id):
        return None
    try:
        row = read_job_row_at(settings().db_url, dag_id)
    except Exception:  # down, hanging, locked: the full build's fallback decides
        return None
    if row is None or not is_active(row["active"]):
        return None
    return worker_dag(row)


def _priority(value: Any) -> int:
    # Only the scheduler orders tasks by it; an invalid value fails the task when it runs.
    return value if isinstance(value, int) and 0 <= value <= 1_000_000 else _DEFAULT_PRIORITY


def worker_dag(row: dict[str, Any]) -> DAG:
    """The DAG of a row's tasks as a worker runs them (the row validated when they run)."""
    priority = _priority(row.get("priority"))
    args = BuildArgs()
    with DAG(
        dag_id=row["id"],
        # Never read on a worker; given as a timetable, the DAG skips guessing what it is.
        schedule=NullTimetable(),
        **args.job_dag(),
    ) as dag:
        run = FocusJobOperator(row=row, **args.run_task(row["id"], priority))
        if row.get("job_class") in WAITS_FOR_FILE:
            from include.file_sensor import FocusFileSensor

            wait = FocusFileSensor(row=row, **args.wait_task(priority))
            wait >> run
    return dag
