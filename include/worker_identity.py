"""The host name Airflow records for a task: the worker's own name in the production profile."""

from __future__ import annotations

from job_library.jobs.system.worker_check import worker_name


def hostname() -> str:
    """``[core] hostname_callable``: FOCUS_WORKER_NAME, else the machine's host name.

    Two Celery workers on one machine share a host name; naming each (w1, w2) makes the task
    instance's hostname say which one ran it.
    """
    return worker_name()
