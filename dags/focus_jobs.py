"""The DAG factory: every active row of the Focus scheduled_jobs table becomes a DAG."""

from __future__ import annotations

from airflow.sdk import get_parsing_context

_only = get_parsing_context().dag_id
if _only is None:
    # The dag-processor: every job, validated, with its schedule.
    from include.dag_builder import build_dags

    globals().update(build_dags())
else:
    # A worker, before a task: only that task's DAG, from the job's row alone.
    from include.worker_dag import build_worker_dags

    globals().update(build_worker_dags(_only))
