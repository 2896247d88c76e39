"""Turn scheduled-job rows into Airflow DAGs: one per active row, bad rows visible, never lost."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from airflow.sdk import DAG, Asset, AssetAll, AssetOrTimeSchedule, BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from include.config import JOBS_POOL, settings
from include.definitions import (
    SLUG,
    FieldError,
    InvalidDefinition,
    JobDefinition,
    district_timezone_error,
    parse_definition,
    row_to_document,
)
from include.focus_db.engine import get_engine, get_parse_engine, redact, redact_url
from include.repository import JobTable, get_flag, read_snapshot, read_table, write_snapshot
from include.schedule import FocusSchedule
from include.school_calendar import (
    DistrictCalendar,
    calendar_from_json,
    day_rule,
    describe_order,
    job_schedule,
    read_district_calendar,
    write_calendar_snapshot,
)
from include.timetable import FocusJobTimetable
from job_library.base import JobResult, RunHistory
from job_library.registry import get_job_class
from job_library.site import SiteProfile, read_site_profile, unavailable_reason

if TYPE_CHECKING:
    from include.notifications import RunInfo
    from include.sftp_files import SftpFiles

# What only a task's execution needs (the runner and the job's tables, the e-mail, SFTP) is
# imported inside execute(): a worker parses this file before every task, and a DAG is built
# from a class's metadata alone (tests/dags/test_cheap_build.py).

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
    :param days: for a job that runs after others, which days it may run on (school days
        included); None for a job on its own clock (its timetable already keeps to them).
    """

    template_fields = ()
    ui_color = "#d9ead3"

    def __init__(
        self,
        *,
        definition: JobDefinition,
        timezone: str,
        days: FocusSchedule | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.definition = definition
        self.timezone = timezone
        self.days = days

    def execute(self, context: Any) -> dict[str, Any]:
        from include.runner import run_job, skipped_result, store_output

        s = settings()
        engine = get_engine(s.db_url)
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


def error_dag_id(raw_id: Any) -> str:
    """The dag_id of a row's error DAG.

    A row whose id is a valid slug keeps it: its error DAG stands in for that job. Any other
    id becomes ``invalid.<readable part>.<hash>``: a dot never appears in a slug, so this can
    never replace a valid job, and the hash of the exact raw value keeps two bad ids apart
    even when their readable parts agree.
    """
    if isinstance(raw_id, str) and SLUG.fullmatch(raw_id):
        return raw_id
    text = raw_id if isinstance(raw_id, str) else repr(raw_id)
    readable = re.sub(r"[^A-Za-z0-9_-]+", "_", text)[:60].strip("_") or "blank"
    exact = f"{type(raw_id).__name__}:{text}".encode("utf-8", "backslashreplace")
    return f"invalid.{readable}.{hashlib.sha256(exact).hexdigest()[:12]}"


def job_asset(job_id: str) -> Asset:
    """The asset a job's successful run emits: what jobs that run after it are scheduled on."""
    return Asset(name=f"focus_job.{job_id}", uri=f"focus-job://{job_id}")


def _empty_calendar() -> DistrictCalendar:
    today = dt.date.today()
    return DistrictCalendar(today, today - dt.timedelta(days=1))


def dag_schedule(definition: JobDefinition, timed: FocusSchedule | None) -> Any:
    """The DAG's schedule: its timetable, the assets of the jobs it runs after, or either."""
    if not definition.run_after:
        return FocusJobTimetable(timed)
    upstream = AssetAll(*(job_asset(j) for j in definition.run_after))
    if timed is None:
        return upstream
    return AssetOrTimeSchedule(timetable=FocusJobTimetable(timed), assets=upstream)


def build_job_dag(
    definition: JobDefinition,
    timezone: str,
    calendar: Callable[[], DistrictCalendar] = _empty_calendar,
    site: SiteProfile | None = None,
) -> DAG:
    """The DAG of one valid definition.

    :param calendar: gives the district's school days; called only for a school-days job.
    :param site: the site profile, None when it is not set.
    """
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
        unavailable = unavailable_reason(job_class, site)
        if unavailable:
            tags.add("unavailable-class")
            doc = (
                f"### {definition.title}\n\n**Unavailable on this site**: {unavailable}. "
                "Runs fail and change nothing until the site profile allows the class."
            )
    timed = job_schedule(definition, timezone, calendar)
    when = describe_order(definition, timed) if definition.run_after else timed.describe()
    doc += f"\n\n**Schedule**: {when} · **Priority**: {definition.priority}"
    with DAG(
        dag_id=definition.id,
        description=definition.title,
        schedule=dag_schedule(definition, timed),
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
            days=day_rule(definition, timezone, calendar) if definition.run_after else None,
            # Emitted only when the task succeeds: jobs that run after this one start then.
            outlets=[job_asset(definition.id)],
            pool=JOBS_POOL,
            priority_weight=definition.priority,
            weight_rule="absolute",
            retries=_DEFAULT_RETRIES,
            retry_delay=dt.timedelta(seconds=s.retry_delay_seconds),
            # After a sensor that gave up (skipped), the job still runs and says "no file".
            trigger_rule="none_failed",
        )
        source = (
            job_class.remote_source(job_class.params_model.model_validate(definition.params))
            if job_class and job_class.waits_for_file
            else None
        )
        if source is not None:
            from include.file_sensor import FocusFileSensor  # imports no SFTP provider

            wait = FocusFileSensor(
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
    message = _printable(str(error))
    title = _printable(str(raw.get("title") or raw.get("id"))[:200])
    with DAG(
        dag_id=error_dag_id(raw.get("id")),
        description=f"Invalid definition: {title}",
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


def _printable(text: str) -> str:
    """Text Airflow can store and show: undecodable bytes (surrogates) spelled out."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _shown_id(raw_id: Any) -> str:
    return _printable((raw_id if isinstance(raw_id, str) else repr(raw_id))[:100])


def build_row_dag(
    raw: dict[str, Any],
    timezone: str,
    calendar: Callable[[], DistrictCalendar] = _empty_calendar,
    site: SiteProfile | None = None,
) -> tuple[DAG, bool]:
    """The DAG of one raw row and whether it built; nothing a row holds can raise out of here.

    Everything done per row (converting, validating, the DAG, its timetable and doc_md) is
    inside this isolation, whatever the exception (recursion, overflow, decoding, a value of
    an unexpected type): the row becomes a ``config-error`` DAG and the others still load.
    """
    try:
        bad_zone = district_timezone_error(_shown_id(raw.get("id")), timezone)
        if bad_zone is not None:
            raise bad_zone
        definition = parse_definition(row_to_document(raw))
        return build_job_dag(definition, timezone, calendar, site), True
    except InvalidDefinition as exc:
        error = exc
    except Exception as exc:  # one bad row must never take the other jobs down
        log.warning("job %r: building its DAG failed", _shown_id(raw.get("id")), exc_info=True)
        error = InvalidDefinition(
            [
                FieldError(
                    _shown_id(raw.get("id")),
                    "definition",
                    None,
                    f"cannot be built ({type(exc).__name__}: {str(exc)[:300]})",
                )
            ]
        )
    try:
        return build_error_dag(raw, error), False
    except Exception as exc:  # e.g. a message that cannot be rendered
        log.warning("job %r: its error DAG failed too", _shown_id(raw.get("id")), exc_info=True)
        fallback = FieldError(
            "?", "definition", None, f"cannot be shown ({type(exc).__name__}); see the log"
        )
        return build_error_dag({"id": raw.get("id")}, InvalidDefinition([fallback])), False


def build_dags_from_table(
    table: JobTable,
    calendar: Callable[[], DistrictCalendar] = _empty_calendar,
    site: SiteProfile | None = None,
    *,
    only_dag_id: str | None = None,
) -> dict[str, DAG]:
    """One DAG per row, keyed by dag_id; a bad row yields its error DAG.

    :param calendar: gives the district's school days (read at most once, when a job needs it).
    :param site: the site profile, None when it is not set.
    """
    return _build_all(table, calendar, site, only_dag_id=only_dag_id)[0]


def _build_all(
    table: JobTable,
    calendar: Callable[[], DistrictCalendar],
    site: SiteProfile | None,
    *,
    only_dag_id: str | None,
) -> tuple[dict[str, DAG], bool]:
    dags: dict[str, DAG] = {}
    every_row_built = True
    calendar = functools.cache(calendar)
    for raw in table.rows:
        if only_dag_id is not None and error_dag_id(raw.get("id")) != only_dag_id:
            continue
        dag, built = build_row_dag(raw, table.timezone, calendar, site)
        every_row_built = every_row_built and built
        dags[dag.dag_id] = dag
    return dags, every_row_built


def load_table(*, only_dag_id: str | None, db_url: str, snapshot_path: Path) -> JobTable:
    """Read the jobs table, falling back to the last good snapshot when it cannot be read.

    The read goes through the parse engine (bounded waits), so a database that hangs is
    treated like one that is down.
    """
    try:
        with get_parse_engine(db_url).connect() as conn:
            return read_table(conn, job_id=only_dag_id)
    except Exception as exc:  # down, hanging, locked, wrong schema: all alike
        reason = _reason(exc, db_url)
    try:
        table = read_snapshot(snapshot_path)
    except Exception as exc:  # missing or unreadable snapshot
        raise RuntimeError(
            f"cannot read scheduled_jobs from {redact_url(db_url)} ({reason}) and there is no "
            f"usable last good snapshot at {snapshot_path} ({exc.__class__.__name__})"
        ) from None
    log.warning(
        "Focus database %s unreadable (%s); using the last good definitions from %s",
        redact_url(db_url),
        reason,
        snapshot_path,
    )
    if only_dag_id is not None:
        rows = [r for r in table.rows if r.get("id") == only_dag_id]
        table = JobTable(table.timezone, rows, from_snapshot=True)
    return table


def _keep_snapshot(path: Path, table: JobTable) -> None:
    """Write the last good snapshot; a read that shrank a lot is logged loudly; never raises."""
    try:
        before = len(read_snapshot(path).rows) if path.exists() else 0
    except Exception:  # an unreadable snapshot is simply replaced
        before = 0
    if len(table.rows) * 2 < before:
        log.error(
            "SCHEDULED JOBS SHRANK: the Focus database lists %d active job(s), the last good "
            "snapshot %s held %d. If the database URL is wrong or the table was emptied by "
            "mistake, fix it now: the snapshot is being replaced by this read.",
            len(table.rows),
            path,
            before,
        )
    try:
        write_snapshot(path, table)
    except Exception as exc:  # disk full, folder unwritable: the parse goes on
        log.warning("the last good snapshot %s could not be written: %s", path, exc)


def build_dags(only_dag_id: str | None = None) -> dict[str, DAG]:
    """What the DAG file puts in ``globals()``: every job's DAG, or just ``only_dag_id``'s.

    A worker's one-DAG parse of a valid id reads only that row; an error DAG's id (not a
    slug) is found by reading every row and building only the row it names.
    """
    s = settings()
    by_row = only_dag_id if only_dag_id is not None and SLUG.fullmatch(only_dag_id) else None
    table = load_table(only_dag_id=by_row, db_url=s.db_url, snapshot_path=s.snapshot_path)
    # When the table came from the snapshot the database is down or hanging: the calendar
    # comes from its snapshot too and the site profile is not asked for, so the parse waits
    # on the database once, not three times.
    offline = table.from_snapshot
    calendar = calendar_loader(
        db_url=s.db_url,
        snapshot_path=calendar_snapshot_path(s.snapshot_path),
        save=not only_dag_id,
        offline=offline,
    )
    site = None if offline else load_site_profile(s.db_url)
    dags, every_row_built = _build_all(table, calendar, site, only_dag_id=only_dag_id)
    if only_dag_id is None:
        if every_row_built:  # a row that cannot build never poisons the fallback
            _keep_snapshot(s.snapshot_path, table)
        else:
            log.info("some jobs are config errors: the last good snapshot is left as it was")
        flag_broken_links(dags, table)  # a worker's read holds one row: it cannot tell
    return dags


def flag_broken_links(dags: dict[str, DAG], table: JobTable) -> None:
    """Mark a job that runs after a job with no DAG (deleted or switched off behind the
    screen's back): it would wait forever, so Airflow shows why instead of nothing."""
    present = {str(r.get("id")) for r in table.rows}
    for raw in table.rows:
        upstream = [j for j in str(raw.get("run_after") or "").split(",") if j]
        missing = [j for j in upstream if j not in present]
        dag = dags.get(error_dag_id(raw.get("id")))
        if not missing or dag is None or "config-error" in dag.tags:
            continue
        dag.tags.add("run-after-missing")
        dag.doc_md = (dag.doc_md or "") + (
            "\n\n**Waits forever**: it runs after "
            + ", ".join(f"`{j}`" for j in missing)
            + ", which is missing or inactive. Activate that job or edit this one."
        )


def calendar_snapshot_path(snapshot_path: Path) -> Path:
    """The last good district calendar, beside the last good job definitions."""
    return snapshot_path.with_name(snapshot_path.name + ".calendar.json")


def calendar_loader(
    *, db_url: str, snapshot_path: Path, save: bool, offline: bool = False
) -> Callable[[], DistrictCalendar]:
    """Reads the district calendar once, on first use (one query for every job of the parse).

    When the Focus database cannot be read (or ``offline``: it already could not be), the
    last good calendar is used; without one, no day is a school day (a school-days job does
    not run on days nobody can vouch for).
    """

    def last_good() -> DistrictCalendar:
        try:
            return calendar_from_json(snapshot_path.read_text())
        except (OSError, ValueError, KeyError):
            return _empty_calendar()

    @functools.cache
    def load() -> DistrictCalendar:
        if offline:
            return last_good()
        try:
            with get_parse_engine(db_url).connect() as conn:
                calendar = read_district_calendar(conn, dt.date.today())
        except Exception as exc:  # down, hanging, locked: the parse goes on
            log.warning("district calendar unreadable (%s)", _reason(exc, db_url))
            return last_good()
        if save:
            try:
                write_calendar_snapshot(snapshot_path, calendar)
            except Exception as exc:  # disk full, folder unwritable: the parse goes on
                log.warning("the last good calendar %s was not written: %s", snapshot_path, exc)
        return calendar

    return load


def _reason(exc: Exception, db_url: str) -> str:
    """One line about a failed database read, the URL's password hidden."""
    return redact(f"{type(exc).__name__}: {exc}", db_url).splitlines()[0][:500]


def load_site_profile(db_url: str) -> SiteProfile | None:
    """The site profile, or None when it is not set or the database cannot be read (then
    no class is flagged: the runner still refuses one the profile does not allow)."""
    try:
        with get_parse_engine(db_url).connect() as conn:
            return read_site_profile(conn)
    except Exception as exc:  # down, hanging, locked: the parse goes on
        log.warning(
            "site profile unreadable (%s); no class is flagged as unavailable", _reason(exc, db_url)
        )
        return None
