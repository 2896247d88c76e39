"""The DAG factory: every active row of the Focus scheduled_jobs table becomes a DAG."""

from __future__ import annotations

from airflow.sdk import get_parsing_context

from include.dag_builder import build_dags

# On a worker only the DAG being run is built; the dag-processor builds them all.
globals().update(build_dags(only_dag_id=get_parsing_context().dag_id))
