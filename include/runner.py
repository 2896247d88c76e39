"""Running one job against the Focus database: the same code under Airflow and the CLI."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel

from include.definitions import JobDefinition
from job_library.base import Job, JobContext, JobResult, RemoteFiles, RunHistory
from job_library.jobs.system.missing_class import MissingClass
from job_library.registry import get_job_class
from job_library.schema import job_output
from job_library.site import read_site_profile, unavailable_reason


def resolve(definition: JobDefinition) -> tuple[type[Job], BaseModel]:
    """The class to run and its parameters; the Missing Class job stands in for a lost class."""
    job_class = get_job_class(definition.job_class)
    if job_class is None:
        job_class = MissingClass
        raw = {"original_class": definition.job_class, "original_title": definition.title}
    else:
        raw = definition.params
    return job_class, job_class.params_model.model_validate(raw)


def skipped_result(
    definition: JobDefinition, due: dt.datetime, started: dt.datetime, tz: str
) -> JobResult:
    """The output of a scheduled run that started outside its job's timeframe."""
    local = ZoneInfo(tz)
    lo = f"{definition.timeframe_start:%H:%M}" if definition.timeframe_start else "00:00"
    hi = f"{definition.timeframe_end:%H:%M}" if definition.timeframe_end else "24:00"
    summary = (
        f"Skipped: the run due at {due.astimezone(local):%Y-%m-%d %H:%M} started at "
        f"{started.astimezone(local):%Y-%m-%d %H:%M %Z}, outside the scheduled timeframe "
        f"{lo}-{hi}. Nothing was changed; it runs again at its next scheduled time."
    )
    return JobResult.message(False, summary, {"skipped": 1})


def run_job(
    definition: JobDefinition,
    *,
    engine: sa.Engine,
    timezone: str,
    file_store: Path,
    log: logging.Logger,
    run_id: str,
    history: RunHistory | None = None,
    remote: RemoteFiles | None = None,
) -> JobResult:
    """Run ``definition`` in one transaction and store its output.

    The job's changes are committed when it returns and rolled back when it raises; the
    exception then propagates (an infrastructure failure or a bug, for Airflow to retry).
    Actions the job deferred with ``context.after_commit`` run after the commit.
    """
    job_class, params = resolve(definition)
    tz = ZoneInfo(timezone)
    started = dt.datetime.now(dt.UTC)
    file_store.mkdir(parents=True, exist_ok=True)
    with engine.begin() as conn:
        context = JobContext(
            connection=conn,
            now=lambda: dt.datetime.now(tz),
            log=log,
            file_store=file_store,
            job_id=definition.id,
            job_title=definition.title,
            history=history,
            remote=remote,
        )
        # A class this site's profile does not allow (state, add-on) is refused, not run.
        refusal = unavailable_reason(job_class, read_site_profile(conn))
        if refusal:
            result = JobResult.message(False, f"Not run: {refusal}. Nothing was changed.")
        else:
            result = job_class().run(context, params)
    # Outside the transaction: a file moves only once its rows are committed. A file action
    # that fails now cannot undo the commit: the run fails with its full output kept.
    failure = context.committed()
    if failure is not None:
        log.error("%s", failure.describe())
        result = failure.applied_to(result)
    store_output(engine, definition.id, run_id, started, result)
    return result


def store_output(
    engine: sa.Engine, job_id: str, run_id: str, started: dt.datetime, result: JobResult
) -> None:
    """Keep the run's output in the Focus database (a retried run replaces its earlier output)."""
    with engine.begin() as conn:
        conn.execute(
            sa.delete(job_output).where(
                job_output.c.job_id == job_id, job_output.c.run_id == run_id
            )
        )
        conn.execute(
            sa.insert(job_output).values(
                job_id=job_id,
                run_id=run_id,
                started_at=started,
                finished_at=dt.datetime.now(dt.UTC),
                success=result.success,
                summary=result.summary,
                text_output=result.text,
                html_output=result.html,
            )
        )
