"""Turn scheduled-job rows into Airflow DAGs: one per active row, bad rows visible, never lost."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from airflow.sdk import DAG, BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include.config import JOBS_POOL, settings
from include.definitions import (
    SLUG,
    FieldError,
    InvalidDefinition,
    JobDefinition,
    parse_definition,
    row_to_document,
)
from include.focus_db.engine import get_engine
from include.notifications import (
    UNSUCCESSFUL_ONLY_SETTING,
    RunInfo,
    build_message,
    send_with_retry,
    should_send,
    smtp_send,
)
from include.repository import JobTable, get_flag, read_snapshot, read_table, write_snapshot
from include.runner import resolve, run_job, skipped_result, store_output
from include.timetable import FocusJobTimetable
from job_library.base import JobResult, RunHistory
from job_library.registry import get_job_class

if TYPE_CHECKING:
    from include.sftp_files import SftpFiles

log = logging.getLogger(__name__)

TASK_ID = "run_job"
WAIT_TASK_ID = "wait_for_file"
# Before any real start date, so Airflow's own bookkeeping has a start; the timetable
# itself keeps each job inside its start and end dates.
_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_DEFAULT_RETRIES = 1


class FocusJobOperator(BaseOperator):
    """Runs one Focus job. Nothing here is templated, so a job's values are never rendered.

    :param definition: the validated job definition.
    :param timezone: the district time zone at the time the DAG was built.
    """

    template_fields = ()
    ui_color = "#d9ead3"

    def __init__(self, *, definition: JobDefinition, timezone: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.definition = definition
        self.timezone = timezone

    def execute(self, context: Any) -> dict[str, Any]:
        s = settings()
        engine = get_engine(s.db_url)
        dag_run = context["dag_run"]
        run_id = dag_run.run_id
        started = dt.datetime.now(dt.UTC)
        scheduled = getattr(dag_run.run_type, "value", dag_run.run_type) == "scheduled"
        info = run_info(dag_run, scheduled, started)
        # A manual run (Run now) may start at any time; a scheduled one only inside its timeframe.
        if scheduled and dag_run.logical_date:
            due = dag_run.logical_date
            if not self.definition.schedule(self.timezone).in_timeframe(due, started):
                result = skipped_result(self.definition, due, started, self.timezone)
                store_output(engine, self.definition.id, run_id, started, result)
                context["ti"].xcom_push(key="return_value", value=result.to_json())
                self.log.warning("%s", result.text)
                self._notify(engine, result, info)
                raise AirflowSkipException(result.summary)
        remote = None
        try:
            remote = self._remote()
            result = run_job(
                self.definition,
                engine=engine,
                timezone=self.timezone,
                file_store=s.file_store / self.definition.id,
                log=self.log,
                run_id=run_id,
                history=self._history(),
                remote=remote,
                try_number=context["ti"].try_number,
            )
        except Exception as exc:
            # Airflow retries an error; the e-mail goes out once, after the last try.
            if context["ti"].try_number > self.retries:
                summary = f"failed with an error: {type(exc).__name__}: {exc}"
                self._notify(engine, JobResult(success=False, summary=summary, text=summary), info)
            raise
        finally:
            if remote is not None:
                remote.close()
        self.log.info("Job output:\n%s", result.text or result.summary)
        self._notify(engine, result, info)
        if not result.success:
            context["ti"].xcom_push(key="return_value", value=result.to_json())
            raise AirflowFailException(result.summary)
        return result.to_json()

    def _history(self) -> RunHistory | None:
        """Airflow's run history for the jobs that prune it, when its API connection exists."""
        job_class = get_job_class(self.definition.job_class)
        if job_class is None or not job_class.uses_run_history:
            return None
        # requests is imported with it: only the jobs that prune history pay for it.
        from include.airflow_history import API_CONN_ID, AirflowRunHistory

        try:
            return AirflowRunHistory.from_connection()
        except Exception as exc:  # no connection: the job reports it did not prune Airflow
            self.log.warning("no Airflow API connection %r: %s", API_CONN_ID, exc)
            return None

    def _remote(self) -> SftpFiles | None:
        """The file server of a file integration, from its Airflow connection."""
        job_class, params = resolve(self.definition)
        source = job_class.remote_source(params)
        if source is None:
            return None
        from include.sftp_files import SftpFiles  # paramiko: only for file jobs

        return SftpFiles.from_connection(source.connection)

    def _notify(self, engine: sa.Engine, result: JobResult, info: RunInfo) -> None:
        """Send the execution e-mail; whatever goes wrong is logged, never raised."""
        try:
            with engine.connect() as conn:
                unsuccessful_only = get_flag(conn, UNSUCCESSFUL_ONLY_SETTING)
            if not should_send(self.definition, result, unsuccessful_only):
                return
            sender, send = smtp_send()
            s = settings()
            message = build_message(self.definition, result, info, self.timezone, sender)
            send_with_retry(
                message,
                send,
                log=self.log,
                attempts=s.smtp_attempts,
                backoff_seconds=s.smtp_backoff_seconds,
            )
        except Exception:
            self.log.exception(
                "the execution e-mail of job %r could not be prepared", self.definition.id
            )


def run_info(dag_run: Any, scheduled: bool, started: dt.datetime) -> RunInfo:
    """Who ran it, from the run's conf (set by the Jobs screen) or Airflow's own record."""
    conf = dict(getattr(dag_run, "conf", None) or {})
    user = None
    if not scheduled:
        user = conf.get("triggered_by") or getattr(dag_run, "triggering_user_name", None)
    return RunInfo(
        scheduled=scheduled,
        started_at=started,
        user=str(user) if user else None,
        ip=str(conf["ip"]) if conf.get("ip") else None,
        run_id=dag_run.run_id,
    )


class ConfigErrorOperator(BaseOperator):
    """Stands in for a job whose definition is invalid: fails with the message, never retries.

    :param message: every validation error of the row, one per line.
    """

    template_fields = ()
    ui_color = "#f4cccc"

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def execute(self, context: Any) -> None:
        raise AirflowFailException(f"This job's definition is invalid:\n{self.message}")


def _dag_id(raw_id: Any) -> str:
    text = str(raw_id or "")
    if SLUG.fullmatch(text):
        return text
    return "invalid-id-" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80] or "blank")


def build_job_dag(definition: JobDefinition, timezone: str) -> DAG:
    """The DAG of one valid definition."""
    s = settings()
    job_class = get_job_class(definition.job_class)
    tags = {f"kind:{definition.kind}", f"class:{definition.job_class}"}
    if job_class is None:
        tags |= {"missing-class", "module:unknown"}
        doc = (
            f"### {definition.title}\n\n**Missing class**: `{definition.job_class}` is not in the "
            "job catalog. Runs execute the Missing Class CRON Job, which reports that this job "
            "could not be completed."
        )
    else:
        tags.add(f"module:{job_class.module}")
        doc = f"### {definition.title}\n\n{job_class.description}"
    schedule = definition.schedule(timezone)
    doc += f"\n\n**Schedule**: {schedule.describe()} · **Priority**: {definition.priority}"
    with DAG(
        dag_id=definition.id,
        description=definition.title,
        schedule=FocusJobTimetable(schedule),
        start_date=_EPOCH,
        catchup=False,
        max_active_runs=1,
        is_paused_upon_creation=False,
        tags=sorted(tags),
        doc_md=doc,
    ) as dag:
        run = FocusJobOperator(
            task_id=TASK_ID,
            definition=definition,
            timezone=timezone,
            pool=JOBS_POOL,
            priority_weight=definition.priority,
            weight_rule="absolute",
            retries=_DEFAULT_RETRIES,
            retry_delay=dt.timedelta(seconds=s.retry_delay_seconds),
            # After a sensor that gave up (skipped), the job still runs and says "no file".
            trigger_rule="none_failed",
        )
        source = job_class.remote_source(resolve(definition)[1]) if job_class else None
        if source is not None:
            # Imported here: the SFTP provider costs a second, and only file jobs need it.
            from airflow.providers.sftp.sensors.sftp import SFTPSensor

            wait = SFTPSensor(
                task_id=WAIT_TASK_ID,
                sftp_conn_id=source.connection,
                path=source.folder,
                file_pattern=source.pattern,
                deferrable=True,
                poke_interval=s.file_poke_seconds,
                timeout=wait_seconds(definition),
                soft_fail=True,
                priority_weight=definition.priority,
                weight_rule="absolute",
            )
            wait >> run
    return dag


def wait_seconds(definition: JobDefinition) -> int:
    """How long a file job waits for its file: until its timeframe ends, at least a minute.

    A repeating job waits at most one interval, so runs never pile up; a job without a
    timeframe waits an hour.
    """
    if definition.repeat_minutes:
        return max(60, definition.repeat_minutes * 60)
    if definition.timeframe_end is not None and definition.run_time is not None:
        start = dt.datetime.combine(dt.date.min, definition.run_time)
        end = dt.datetime.combine(dt.date.min, definition.timeframe_end)
        return max(60, int((end - start).total_seconds()))
    return 3600


def build_error_dag(raw: dict[str, Any], error: InvalidDefinition) -> DAG:
    """A visible, failing DAG for a row that did not validate."""
    message = str(error)
    with DAG(
        dag_id=_dag_id(raw.get("id")),
        description=f"Invalid definition: {raw.get('title') or raw.get('id')}",
        schedule=None,
        start_date=_EPOCH,
        catchup=False,
        is_paused_upon_creation=False,
        tags=["config-error"],
        doc_md="### Invalid job definition\n\nFix the job in the Jobs screen or with "
        "`focus-jobs import`:\n\n" + "\n".join(f"- `{line}`" for line in message.splitlines()),
    ) as dag:
        ConfigErrorOperator(task_id=TASK_ID, message=message, pool=JOBS_POOL, retries=0)
    return dag


def build_dags_from_table(table: JobTable) -> dict[str, DAG]:
    """One DAG per row, keyed by dag_id; a bad row yields its error DAG."""
    dags: dict[str, DAG] = {}
    for raw in table.rows:
        document = row_to_document(raw)
        try:
            dag = build_job_dag(parse_definition(document), table.timezone)
        except InvalidDefinition as exc:
            dag = build_error_dag(raw, exc)
        except Exception as exc:  # one bad row must never take the other jobs down
            log.exception("job %r: building its DAG failed", raw.get("id"))
            field_error = FieldError(
                str(raw.get("id")), "definition", None, f"{type(exc).__name__}: {exc}"
            )
            dag = build_error_dag(raw, InvalidDefinition([field_error]))
        dags[dag.dag_id] = dag
    return dags


def load_table(*, only_dag_id: str | None, db_url: str, snapshot_path: Path) -> JobTable:
    """Read the jobs table, falling back to the last good snapshot when it cannot be read."""
    try:
        with get_engine(db_url).connect() as conn:
            table = read_table(conn, job_id=only_dag_id)
    except sa.exc.SQLAlchemyError as exc:
        if not snapshot_path.exists():
            raise RuntimeError(
                f"cannot read scheduled_jobs from {db_url!r} ({exc.__class__.__name__}: {exc}) "
                f"and there is no last good snapshot at {snapshot_path}"
            ) from exc
        log.warning(
            "Focus database unreadable (%s: %s); using the last good definitions from %s",
            exc.__class__.__name__,
            exc,
            snapshot_path,
        )
        table = read_snapshot(snapshot_path)
        if only_dag_id is not None:
            table = JobTable(table.timezone, [r for r in table.rows if r.get("id") == only_dag_id])
        return table
    if only_dag_id is None:
        write_snapshot(snapshot_path, table)
    return table


def build_dags(only_dag_id: str | None = None) -> dict[str, DAG]:
    """What the DAG file puts in ``globals()``: every job's DAG, or just ``only_dag_id``'s."""
    s = settings()
    if only_dag_id is not None and not SLUG.fullmatch(only_dag_id):
        only_dag_id = None  # an error DAG named after a bad id: find it in the full read
    table = load_table(only_dag_id=only_dag_id, db_url=s.db_url, snapshot_path=s.snapshot_path)
    return build_dags_from_table(table)
