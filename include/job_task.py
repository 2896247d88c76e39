"""A job's tasks: the operator that runs the job, and the stand-in of an invalid row.

Light to import (no pydantic model, table definition or job class at import): a worker parses
the DAG file before every task, and on that path (include/worker_dag.py) the operator gets the
job's raw row and validates it when the task runs. The dag-processor's full build
(include/dag_builder.py) hands it the validated definition instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include.config import JOBS_POOL, settings
from include.focus_db.engine import get_engine

if TYPE_CHECKING:
    import sqlalchemy as sa

    from include.definitions import InvalidDefinition, JobDefinition
    from include.notifications import RunInfo
    from include.schedule import FocusSchedule
    from include.sftp_files import SftpFiles
    from job_library.base import JobResult, RemoteSource, RunHistory

TASK_ID = "run_job"
WAIT_TASK_ID = "wait_for_file"
# Before any real start date, so Airflow's own bookkeeping has a start; the timetable
# itself keeps each job inside its start and end dates.
_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
_DEFAULT_RETRIES = 1


class FocusJobOperator(BaseOperator):
    """Runs one Focus job. Nothing here is templated, so a job's values are never rendered.

    :param definition: the validated job definition (the dag-processor's build).
    :param row: instead of ``definition``, the job's raw row (a worker's build): it is
        validated when the task runs, and an invalid row fails the task with the same message
        its error DAG would show.
    :param timezone: the district time zone at the time the DAG was built; None: read when
        the task runs.
    :param days: for a job that runs after others, which days it may run on (school days
        included); None for a job on its own clock (its timetable already keeps to them).
    """

    template_fields = ()
    ui_color = "#d9ead3"

    def __init__(
        self,
        *,
        definition: JobDefinition | None = None,
        row: dict[str, Any] | None = None,
        timezone: str | None = None,
        days: FocusSchedule | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (definition is None) == (row is None):
            raise TypeError("FocusJobOperator takes a definition or a row, not both")
        self._definition = definition
        self._row = row
        self.timezone = timezone
        self.days = days

    @property
    def definition(self) -> JobDefinition:
        """The job's validated definition (a worker's operator validates its row here)."""
        if self._definition is None:
            self._definition = _validated(self._row or {}, self.timezone)
        return self._definition

    def _resolve(self, engine: sa.Engine) -> None:
        """A worker's operator: the district time zone and the definition, checked as the
        dag-processor checks them; an invalid row fails the task and is never retried."""
        if self._row is not None:
            if self.timezone is None:
                from include.repository import get_timezone

                with engine.connect() as conn:
                    self.timezone = get_timezone(conn)
            self._definition = _validated(self._row, self.timezone)
            self._row = None
        if self.definition.run_after and self.days is None:
            from include.school_calendar import day_rule, read_district_calendar

            with engine.connect() as conn:
                calendar = read_district_calendar(conn, dt.date.today())
            self.days = day_rule(self.definition, self.timezone, lambda: calendar)

    def execute(self, context: Any) -> dict[str, Any]:
        from include.runner import run_job, skipped_result, store_output
        from job_library.base import JobResult

        s = settings()
        engine = get_engine(s.db_url)
        self._resolve(engine)
        assert self.timezone is not None
        dag_run = context["dag_run"]
        run_id = dag_run.run_id
        started = dt.datetime.now(dt.UTC)
        run_type = str(getattr(dag_run.run_type, "value", dag_run.run_type))
        scheduled = run_type == "scheduled"
        # Started by its schedule or by the jobs it runs after: nobody ran it by hand.
        info = run_info(dag_run, run_type in ("scheduled", "asset_triggered"), started)
        if self.definition.run_after and (reason := self._not_due(run_type, engine, started)):
            # Not a run of the job: no output, no e-mail, and (skipped) no asset event.
            self.log.info("%s", reason)
            raise AirflowSkipException(reason)
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

    def _not_due(self, run_type: str, engine: sa.Engine, started: dt.datetime) -> str | None:
        """Why a run of a job that runs after others does not run the job now, or None.

        An asset-triggered run (an upstream job succeeded) runs on the job's days, but not
        before its "not before" time; the timed run at that time then runs the job if every
        upstream job succeeded since the job last ran. A manual run always runs.
        """
        if run_type not in ("asset_triggered", "scheduled"):
            return None
        local = started.astimezone(self.days.tz) if self.days else started
        if self.days is not None and not self.days.runs_on(local.date()):
            return f"{local.date()} is not a day this job runs on (weekdays, dates, school days)"
        not_before = self.definition.not_before
        if run_type == "asset_triggered":
            if not_before is not None and local.time() < not_before:
                return (
                    f"the jobs it runs after succeeded; it starts at {not_before:%H:%M} "
                    "(its not-before time)"
                )
            return None
        from include.job_order import waiting_for

        with engine.connect() as conn:
            waiting = waiting_for(conn, self.definition.id, self.definition.run_after)
        if waiting:
            return f"no successful run of {', '.join(waiting)} since this job last ran"
        return None

    def _history(self) -> RunHistory | None:
        """Airflow's run history for the jobs that prune it, when its API connection exists."""
        from job_library.registry import get_job_class

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
        from include.sftp_files import open_remote  # paramiko: only for file jobs

        return open_remote(self.definition, settings().file_settle_seconds)

    def _notify(self, engine: sa.Engine, result: JobResult, info: RunInfo) -> None:
        """Send the execution e-mail; whatever goes wrong is logged, never raised."""
        from include.notifications import (
            UNSUCCESSFUL_ONLY_SETTING,
            build_message,
            send_with_retry,
            should_send,
            smtp_send,
        )
        from include.repository import get_flag

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
    from include.notifications import RunInfo

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


def job_asset(job_id: str) -> Asset:
    """The asset a job's successful run emits: what jobs that run after it are scheduled on."""
    # ``x-`` marks a scheme of our own: Airflow then skips looking for a provider that
    # normalises it (a discovery of every provider's URI handlers, paid on each worker parse).
    return Asset(name=f"focus_job:{job_id}", uri=f"x-focus-job://{job_id}")


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


def _printable(text: str) -> str:
    """Text Airflow can store and show: undecodable bytes (surrogates) spelled out."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def shown_id(raw_id: Any) -> str:
    """A row's id as messages and logs show it (whatever its type)."""
    return _printable((raw_id if isinstance(raw_id, str) else repr(raw_id))[:100])


def checked_definition(
    row: dict[str, Any],
    timezone: str | None,
    params_known: Callable[[str, dict[str, Any]], bool] | None = None,
) -> JobDefinition:
    """The definition of a raw row as both builds check it: the district time zone (when
    known), then the row itself. Raises InvalidDefinition.

    :param params_known: see include.definitions.parse_definition.
    """
    from include.definitions import district_timezone_error, parse_definition, row_to_document

    if timezone is not None and (
        bad_zone := district_timezone_error(shown_id(row.get("id")), timezone)
    ):
        raise bad_zone
    return parse_definition(row_to_document(row), params_known=params_known)


def cannot_build(raw_id: Any, exc: Exception) -> InvalidDefinition:
    """The config error of a row whose check or build raised something else than
    InvalidDefinition (recursion, overflow, decoding, a value of an unexpected type)."""
    from include.definitions import FieldError, InvalidDefinition

    problem = f"cannot be built ({type(exc).__name__}: {str(exc)[:300]})"
    return InvalidDefinition([FieldError(shown_id(raw_id), "definition", None, problem)])


def _validated(row: dict[str, Any], timezone: str | None) -> JobDefinition:
    """The definition of a raw row, or AirflowFailException with what its error DAG says."""
    from include.definitions import InvalidDefinition

    try:
        return checked_definition(row, timezone)
    except InvalidDefinition as exc:
        message = str(exc)
    except Exception as exc:  # as the full build: any failure of the row is its config error
        message = str(cannot_build(row.get("id"), exc))
    raise AirflowFailException(f"This job's definition is invalid:\n{_printable(message)}")


class BuildArgs:
    """What every job's DAG and tasks are given in one parse, besides the job itself; made
    once per parse and shared by both builds.

    Three of Airflow's per-DAG settings (``[core] max_active_tasks_per_dag``,
    ``max_consecutive_failed_dag_runs_per_dag``, ``[dag_processor] disable_bundle_versioning``)
    are read here once and handed to each DAG: DAG() would otherwise read each of them from the
    configuration for every DAG it makes, a tenth of a parse of 1,000 jobs. The values are
    the deployment's own, so every DAG gets what it would have got.
    """

    def __init__(self) -> None:
        from airflow.sdk.configuration import conf

        s = settings()
        self.dag: dict[str, Any] = {
            "start_date": _EPOCH,
            "catchup": False,
            "is_paused_upon_creation": False,
            "max_active_tasks": conf.getint("core", "max_active_tasks_per_dag"),
            "max_consecutive_failed_dag_runs": conf.getint(
                "core", "max_consecutive_failed_dag_runs_per_dag"
            ),
            "disable_bundle_versioning": conf.getboolean(
                "dag_processor", "disable_bundle_versioning"
            ),
        }
        self._retry_delay = dt.timedelta(seconds=s.retry_delay_seconds)
        self._poke_interval = s.file_poke_seconds

    def job_dag(self) -> dict[str, Any]:
        """A job's DAG: one run at a time."""
        return self.dag | {"max_active_runs": 1}

    def run_task(self, job_id: str, priority: int) -> dict[str, Any]:
        """The job's task."""
        return {
            "task_id": TASK_ID,
            # Emitted only when the task succeeds: jobs that run after this one start then.
            "outlets": [job_asset(job_id)],
            "pool": JOBS_POOL,
            "priority_weight": priority,
            "weight_rule": "absolute",
            "retries": _DEFAULT_RETRIES,
            "retry_delay": self._retry_delay,
            # After a sensor that gave up (skipped), the job still runs and says "no file".
            "trigger_rule": "none_failed",
        }

    def wait_task(self, priority: int) -> dict[str, Any]:
        """A file job's sensor, besides where and how long it waits."""
        return {
            "task_id": WAIT_TASK_ID,
            "deferrable": True,
            "poke_interval": self._poke_interval,
            "soft_fail": True,
            "priority_weight": priority,
            "weight_rule": "absolute",
        }


def file_source(definition: JobDefinition) -> RemoteSource | None:
    """Where a job's files arrive, when its DAG waits for one before the job runs."""
    from job_library.registry import get_job_class

    job_class = get_job_class(definition.job_class)
    if job_class is None or not job_class.waits_for_file:
        return None
    return job_class.remote_source(job_class.params_model.model_validate(definition.params))
