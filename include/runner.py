"""Running one job against the Focus database: the same code under Airflow and the CLI."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pydantic import BaseModel

from include import run_fence
from include.definitions import JobDefinition
from include.job_connections import airflow_connection
from job_library.base import (
    ConnectionInfo,
    HttpEndpoint,
    HttpEndpoints,
    Job,
    JobContext,
    JobResult,
    RemoteFiles,
    RunHistory,
)
from job_library.jobs.system.missing_class import MissingClass
from job_library.messaging import Messaging
from job_library.registry import get_job_class
from job_library.schema import job_output
from job_library.site import read_site_profile, unavailable_reason

# The district's shared files folder under the file store (no job id starts with "_").
DISTRICT_FILES = "_district"


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
    try_number: int | None = None,
    district_files: Path | None = None,
    connections: Callable[[str], ConnectionInfo] | None = None,
    http: HttpEndpoints | None = None,
    messaging: Messaging | None = None,
) -> JobResult:
    """Run ``definition`` in one transaction and store its output, once per ``run_id``.

    The job's changes are committed when it returns and rolled back when it raises; the
    exception then propagates (an infrastructure failure or a bug, for Airflow to retry).
    The run is fenced (include/run_fence.py): a try of a run whose changes an earlier try
    already committed returns that try's stored result and does not run the job again.
    Actions the job deferred with ``context.after_commit`` run after the commit, then the
    steps it left with ``context.finish_after_commit`` (sending queued messages), whose
    result replaces the stored output. A class that sends messages gets ``messaging``, by
    default the transports of the Airflow connections (opened only when used).
    The district's shared files (uploads, photos) are ``district_files``, by default the
    ``_district`` folder beside the jobs' own folders; connections are Airflow's.
    """
    job_class, params = resolve(definition)
    if messaging is None and job_class.sends_messages:
        from include.messaging_transports import AirflowMessaging

        messaging = AirflowMessaging()
    tz = ZoneInfo(timezone)
    started = dt.datetime.now(dt.UTC)
    file_store.mkdir(parents=True, exist_ok=True)
    me = run_fence.TryIdentity.new(try_number)
    try:
        with engine.begin() as conn:
            earlier = run_fence.enter(conn, definition.id, run_id, log)
            if earlier is None:
                context = JobContext(
                    connection=conn,
                    now=lambda: dt.datetime.now(tz),
                    log=log,
                    file_store=file_store,
                    job_id=definition.id,
                    job_title=definition.title,
                    history=history,
                    remote=remote,
                    district_files=district_files or file_store.parent / DISTRICT_FILES,
                    connections=connections or airflow_connection,
                    http=http or _airflow_endpoints,
                    messaging=messaging,
                )
                # A class this site's profile does not allow (state, add-on) is refused.
                refusal = unavailable_reason(job_class, read_site_profile(conn))
                if refusal:
                    result = JobResult.message(False, f"Not run: {refusal}. Nothing was changed.")
                else:
                    result = job_class().run(context, params)
                run_fence.record(conn, definition.id, run_id, me, started, result)
    except Exception:
        # A try that lost the claim to another (SQLite), or gave up waiting for it: if the
        # other try committed the run meanwhile, this one's rolled-back work was not needed.
        earlier = _applied_meanwhile(engine, definition.id, run_id)
        if earlier is None:
            raise
    if earlier is not None:
        replayed = earlier.replayed()
        log.warning("%s", replayed.text.split("\n", 1)[0])
        return replayed
    # Outside the transaction: a file moves only once its rows are committed. A file action
    # that fails now cannot undo the commit: the run fails with its full output kept, and the
    # stored output (committed with the changes) is replaced by that fuller one.
    failure = context.committed()
    if failure is not None:
        log.error("%s", failure.describe())
        result = failure.applied_to(result)
        store_output(engine, definition.id, run_id, started, result)
    else:
        finished = context.finished(result)
        if finished is not result:
            result = finished
            store_output(engine, definition.id, run_id, started, result)
    return result


def _airflow_endpoints(conn_id: str) -> HttpEndpoint:
    """Web-API jobs' endpoints from Airflow connections (Airflow's hooks imported on first use)."""
    from include.http_connections import airflow_endpoint

    return airflow_endpoint(conn_id)


def _applied_meanwhile(engine: sa.Engine, job_id: str, run_id: str) -> run_fence.Applied | None:
    try:
        return run_fence.applied(engine, job_id, run_id)
    except Exception:  # the database itself is gone: the caller re-raises the first error
        return None


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
