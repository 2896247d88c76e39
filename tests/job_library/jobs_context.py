"""A JobContext for running catalog jobs directly against a test database."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from job_library.base import HttpEndpoints, Job, JobContext, JobResult, RemoteFiles


def run_in_transaction(
    engine: sa.Engine,
    job: Job,
    params,
    *,
    now: dt.datetime | None = None,
    tmp: Path = Path("."),
    remote: RemoteFiles | None = None,
    district_files: Path | None = None,
    connections=None,
    history=None,
    http: HttpEndpoints | None = None,
    job_id: str = "test-job",
) -> JobResult:
    at = now or dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))
    with engine.begin() as conn:
        context = JobContext(
            connection=conn,
            now=lambda: at,
            log=logging.getLogger("test"),
            file_store=tmp,
            job_id=job_id,
            job_title="Test job",
            remote=remote,
            district_files=district_files,
            connections=connections,
            history=history,
            http=http,
        )
        result = job.run(context, params)
    failure = context.committed()
    return result if failure is None else failure.applied_to(result)
