"""Worker Check (System): records which worker ran it, to check a multi-worker deployment."""

from __future__ import annotations

import datetime as dt
import os
import socket
import time

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult

# The name a worker is given in the production profile (include/cluster.py).
WORKER_NAME_VARIABLE = "FOCUS_WORKER_NAME"


def worker_name() -> str:
    """This worker's name: FOCUS_WORKER_NAME when set, else the host name (as Airflow's)."""
    return os.environ.get(WORKER_NAME_VARIABLE) or socket.getfqdn()


class WorkerCheckParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hold_seconds: float = Field(
        default=0,
        ge=0,
        le=600,
        title="Hold the transaction (seconds)",
        description="How long the job keeps its record uncommitted before finishing.",
    )


class WorkerCheck(Job):
    key = "worker_check"
    title = "Worker Check"
    description = (
        "Writes one row to worker_checks naming the worker that ran it and when, then holds "
        "its transaction open for the given number of seconds before finishing. A district "
        "uses it to see that every worker of a multi-worker deployment takes jobs, and that a "
        "job interrupted on one worker is retried on another with its change applied once "
        "(an interrupted run's row is rolled back with its transaction)."
    )
    module = "System"
    params_model = WorkerCheckParams

    def run(self, context: JobContext, params: WorkerCheckParams) -> JobResult:
        from job_library.schema import worker_checks

        worker = worker_name()
        context.connection.execute(
            sa.insert(worker_checks).values(
                job_id=context.job_id, worker=worker, checked_at=dt.datetime.now(dt.UTC)
            )
        )
        if params.hold_seconds:
            context.log.info("holding the transaction for %s s on %s", params.hold_seconds, worker)
            time.sleep(params.hold_seconds)
        return JobResult.message(True, f"Ran on worker {worker}.", {"checks": 1})
