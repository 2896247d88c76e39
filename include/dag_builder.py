"""Turn scheduled-job rows into Airflow DAGs: one per active row, bad rows visible, never lost."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, AssetAll, AssetOrTimeSchedule

from include.class_memo import ClassMemo
from include.config import JOBS_POOL, settings
from include.definitions import (
    SLUG,
    FieldError,
    InvalidDefinition,
    JobDefinition,
)
from include.focus_db.engine import get_parse_engine, redact, redact_url
from include.job_task import (
    TASK_ID,
    WAIT_TASK_ID,
    BuildArgs,
    ConfigErrorOperator,
    FocusJobOperator,
    _printable,
    cannot_build,
    checked_definition,
    job_asset,
    run_info,
    shown_id,
    wait_seconds,
)
from include.repository import JobTable, read_snapshot, read_table, write_snapshot
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
from job_library.site import SiteProfile, read_site_profile, unavailable_reason

# The tasks (include/job_task.py) import what only a task's execution needs (the runner and
# the job's tables, the e-mail, SFTP) inside execute(); a DAG is built from a class's metadata
# alone (tests/dags/test_cheap_build.py). A worker builds its one DAG without this module at
# all (include/worker_dag.py).

__all__ = [
    "TASK_ID",
    "WAIT_TASK_ID",
    "ConfigErrorOperator",
    "FocusJobOperator",
    "build_dags",
    "job_asset",
    "run_info",
    "wait_seconds",
]

log = logging.getLogger(__name__)


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
    args: BuildArgs | None = None,
    memo: ClassMemo | None = None,
) -> DAG:
    """The DAG of one valid definition.

    :param calendar: gives the district's school days; called only for a school-days job.
    :param site: the site profile, None when it is not set.
    :param args: what every DAG of this parse shares (made here when not given).
    :param memo: the facts of the job classes this parse knows (none when not given).
    """
    args = args or BuildArgs()
    job_class, file_wait = (memo or ClassMemo(None)).facts(definition)
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
    school_days = job_class.school_days_only_default if job_class is not None else False
    timed = job_schedule(definition, timezone, calendar, school_days)
    when = describe_order(definition, timed) if definition.run_after else timed.describe()
    doc += f"\n\n**Schedule**: {when} · **Priority**: {definition.priority}"
    with DAG(
        dag_id=definition.id,
        description=definition.title,
        schedule=dag_schedule(definition, timed),
        tags=sorted(tags),
        doc_md=doc,
        **args.job_dag(),
    ) as dag:
        run = FocusJobOperator(
            definition=definition,
            timezone=timezone,
            days=(
                day_rule(definition, timezone, calendar, school_days)
                if definition.run_after
                else None
            ),
            **args.run_task(definition.id, definition.priority),
        )
        if file_wait is not None:
            from include.file_sensor import FocusFileSensor  # imports no SFTP provider

            connection, folder, pattern = file_wait
            wait = FocusFileSensor(
                sftp_conn_id=connection,
                path=folder,
                file_pattern=pattern,
                timeout=wait_seconds(definition),
                **args.wait_task(definition.priority),
            )
            wait >> run
    return dag


def build_error_dag(
    raw: dict[str, Any], error: InvalidDefinition, args: BuildArgs | None = None
) -> DAG:
    """A visible, failing DAG for a row that did not validate."""
    args = args or BuildArgs()
    message = _printable(str(error))
    title = _printable(str(raw.get("title") or raw.get("id"))[:200])
    with DAG(
        dag_id=error_dag_id(raw.get("id")),
        description=f"Invalid definition: {title}",
        schedule=None,
        tags=["config-error"],
        doc_md="### Invalid job definition\n\nFix the job in the Jobs screen or with "
        "`focus-jobs import`:\n\n" + "\n".join(f"- `{line}`" for line in message.splitlines()),
        **args.dag,
    ) as dag:
        ConfigErrorOperator(task_id=TASK_ID, message=message, pool=JOBS_POOL, retries=0)
    return dag


def build_row_dag(
    raw: dict[str, Any],
    timezone: str,
    calendar: Callable[[], DistrictCalendar] = _empty_calendar,
    site: SiteProfile | None = None,
    args: BuildArgs | None = None,
    memo: ClassMemo | None = None,
) -> tuple[DAG, bool]:
    """The DAG of one raw row and whether it built; nothing a row holds can raise out of here.

    Everything done per row (converting, validating, the DAG, its timetable and doc_md) is
    inside this isolation, whatever the exception (recursion, overflow, decoding, a value of
    an unexpected type): the row becomes a ``config-error`` DAG and the others still load.
    """
    args = args or BuildArgs()
    memo = memo or ClassMemo(None)
    try:
        definition = checked_definition(raw, timezone, memo.params_known)
        return build_job_dag(definition, timezone, calendar, site, args, memo), True
    except InvalidDefinition as exc:
        error = exc
    except Exception as exc:  # one bad row must never take the other jobs down
        log.warning("job %r: building its DAG failed", shown_id(raw.get("id")), exc_info=True)
        error = cannot_build(raw.get("id"), exc)
    try:
        return build_error_dag(raw, error, args), False
    except Exception as exc:  # e.g. a message that cannot be rendered
        log.warning("job %r: its error DAG failed too", shown_id(raw.get("id")), exc_info=True)
        fallback = FieldError(
            "?", "definition", None, f"cannot be shown ({type(exc).__name__}); see the log"
        )
        return build_error_dag({"id": raw.get("id")}, InvalidDefinition([fallback]), args), False


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
    return _build_all(table, calendar, site, ClassMemo(None), only_dag_id=only_dag_id)[0]


def _build_all(
    table: JobTable,
    calendar: Callable[[], DistrictCalendar],
    site: SiteProfile | None,
    memo: ClassMemo,
    *,
    only_dag_id: str | None,
) -> tuple[dict[str, DAG], bool]:
    dags: dict[str, DAG] = {}
    every_row_built = True
    calendar = functools.cache(calendar)
    args = BuildArgs()
    for raw in table.rows:
        if only_dag_id is not None and error_dag_id(raw.get("id")) != only_dag_id:
            continue
        dag, built = build_row_dag(raw, table.timezone, calendar, site, args, memo)
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
    # The dag-processor's parse keeps what it learns of the job classes for the next one.
    memo = ClassMemo(class_memo_path(s.snapshot_path) if only_dag_id is None else None)
    dags, every_row_built = _build_all(table, calendar, site, memo, only_dag_id=only_dag_id)
    memo.save()
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


def class_memo_path(snapshot_path: Path) -> Path:
    """The job-class memo (include/class_memo.py), beside the last good job definitions."""
    return snapshot_path.with_name(snapshot_path.name + ".classes.json")


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
