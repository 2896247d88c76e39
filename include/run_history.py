"""Execution History from Airflow's own records: every DAG run of a job, queued to finished.

The state, the start and the duration are Airflow's (the job task's duration, as the run's
page shows it); the summary and the output are what the job stored in the Focus database.
Read inside the api-server through Airflow's metadata session, never through HTTP to itself.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from include.dag_builder import TASK_ID, WAIT_TASK_ID
from include.jobs_listing import moment_display
from job_library.schema import job_output

SORTS = ("time", "job", "duration", "state", "ran_by")
LIVE_STATES = frozenset(
    {
        "queued",
        "running",
        "scheduled",
        "up_for_retry",
        "up_for_reschedule",
        "deferred",
        "restarting",
    }
)
# A run's own kinds that are not a person pressing Run Job.
_BY_SCHEDULE = ("scheduled", "asset_triggered", "backfill")


@dataclass(frozen=True)
class Window:
    """Which runs: district dates (inclusive), one job or all, and the jobs that exist."""

    zone: ZoneInfo
    job_ids: tuple[str, ...]
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _tables() -> tuple[sa.Table, sa.Table]:
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance

    return DagRun.__table__, TaskInstance.__table__


def _task_of(task: Any, dag_run: sa.Table, task_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        task.c.dag_id == dag_run.c.dag_id,
        task.c.run_id == dag_run.c.run_id,
        task.c.task_id == task_id,
        task.c.map_index == -1,
    )


def _query(window: Window) -> tuple[sa.Select, sa.ColumnElement]:
    dag_run, ti = _tables()
    when = sa.func.coalesce(dag_run.c.start_date, dag_run.c.queued_at, dag_run.c.run_after)
    task = ti.alias("job_task")
    wait = ti.alias("wait_task")
    query = (
        sa.select(
            dag_run.c.dag_id,
            dag_run.c.run_id,
            dag_run.c.state,
            dag_run.c.run_type,
            dag_run.c.conf,
            dag_run.c.triggering_user_name,
            dag_run.c.queued_at,
            dag_run.c.start_date,
            dag_run.c.end_date,
            dag_run.c.run_after,
            task.c.state.label("task_state"),
            task.c.start_date.label("task_start"),
            task.c.end_date.label("task_end"),
            task.c.duration.label("task_duration"),
            wait.c.state.label("wait_state"),
        )
        .select_from(dag_run)
        .outerjoin(task, _task_of(task, dag_run, TASK_ID))
        .outerjoin(wait, _task_of(wait, dag_run, WAIT_TASK_ID))
        .where(dag_run.c.dag_id.in_(window.job_ids))
    )
    if window.date_from:
        start = dt.datetime.combine(window.date_from, dt.time(0), window.zone)
        query = query.where(when >= start.astimezone(dt.UTC))
    if window.date_to:
        end = dt.datetime.combine(window.date_to + dt.timedelta(days=1), dt.time(0), window.zone)
        query = query.where(when < end.astimezone(dt.UTC))
    return query, when


def read_runs(
    session: Session,
    window: Window,
    *,
    sort: str,
    desc: bool,
    page: int,
    page_size: int,
    titles: dict[str, str],
    now: dt.datetime,
) -> tuple[list[dict[str, Any]], int]:
    """One page of runs (as ``run_entry`` dicts without output fields) and the total count.

    Sorted by time in the database (a page is read, however long the history); any other
    sort reads the window's runs and sorts them here, so narrow the dates for those.
    """
    if not window.job_ids:
        return [], 0
    query, when = _query(window)
    total = session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    dag_run, _ = _tables()
    if sort == "time":
        order = [when.desc() if desc else when.asc(), dag_run.c.id.desc() if desc else dag_run.c.id]
        rows = session.execute(
            query.order_by(*order).limit(page_size).offset((page - 1) * page_size)
        ).all()
        return [run_entry(r, window.zone, titles, now) for r in rows], total
    entries = [run_entry(r, window.zone, titles, now) for r in session.execute(query).all()]
    entries = sort_runs(entries, sort, desc)
    start = (page - 1) * page_size
    return entries[start : start + page_size], total


def sort_runs(entries: list[dict[str, Any]], sort: str, desc: bool) -> list[dict[str, Any]]:
    keys = {
        "job": lambda e: (e["title"] or "").lower(),
        "duration": lambda e: e["duration_seconds"],
        "state": lambda e: e["state"],
        "ran_by": lambda e: e["ran_by"].lower(),
    }
    key = keys[sort]
    filled = [e for e in entries if key(e) is not None]
    blanks = [e for e in entries if key(e) is None]
    filled.sort(key=lambda e: (key(e), e["_at"]), reverse=desc)
    return filled + blanks


def _text(state: Any) -> str | None:
    return str(getattr(state, "value", state) or "") or None


def state_of(run_state: Any, task_state: Any, wait_state: Any = None) -> str:
    """Airflow's state as the history shows it: the job task's when it has one (skipped,
    up_for_retry ...); before it starts, the file sensor's while that waits (running,
    deferred ...), else queued (waiting for a slot); without tasks, the DAG run's."""
    run = _text(run_state) or "queued"
    task = _text(task_state)
    if task not in (None, "none", "scheduled", "queued"):
        return task
    if run not in ("queued", "running"):
        return run
    waiting = _text(wait_state)
    if run == "running" and waiting in ("running", "deferred", "up_for_reschedule"):
        return waiting
    return "queued"


def duration_of(row: Any, now: dt.datetime) -> float | None:
    """The job task's duration as Airflow records it; so far, while it runs; None while queued."""
    task_start, task_end = _utc(row.task_start), _utc(row.task_end)
    if row.task_duration is not None:
        return round(float(row.task_duration), 3)
    if task_start and task_end:
        return round((task_end - task_start).total_seconds(), 3)
    if task_start:
        return round(max(0.0, (now - task_start).total_seconds()), 3)
    start, end = _utc(row.start_date), _utc(row.end_date)
    if row.task_state is None and start and end:  # finished without the task (e.g. failed first)
        return round((end - start).total_seconds(), 3)
    return None


def duration_display(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 and seconds % 1 else f"{math.floor(seconds)} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def ran_by(run_type: Any, conf: Any, user_name: str | None) -> str:
    """``Scheduled``, or who pressed Run Job and from where: ``user (127.0.0.1)``."""
    kind = str(getattr(run_type, "value", run_type) or "")
    if kind in _BY_SCHEDULE:
        return "Scheduled"
    conf = conf if isinstance(conf, dict) else {}
    who = conf.get("triggered_by") or user_name or "unknown user"
    return f"{who} ({conf['ip']})" if conf.get("ip") else str(who)


def airflow_links(base_path: str, dag_id: str, run_id: str) -> dict[str, str]:
    """The run's page in Airflow's UI and its job task's page (which opens on the logs)."""
    run_url = f"{base_path}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
    return {"run_url": run_url, "log_url": f"{run_url}/tasks/{TASK_ID}"}


def run_entry(row: Any, zone: ZoneInfo, titles: dict[str, str], now: dt.datetime) -> dict[str, Any]:
    at = _utc(row.start_date) or _utc(row.queued_at) or _utc(row.run_after) or now
    seconds = duration_of(row, now)
    return {
        "job_id": row.dag_id,
        "run_id": row.run_id,
        "title": titles.get(row.dag_id, row.dag_id),
        "time": at.astimezone(zone).isoformat(),
        "time_display": moment_display(at, zone, weekday=False),
        "duration_seconds": seconds,
        "duration_display": duration_display(seconds),
        "state": state_of(row.state, row.task_state, row.wait_state),
        "ran_by": ran_by(row.run_type, row.conf, row.triggering_user_name),
        "_at": at.timestamp(),
    }


def with_outputs(
    conn: sa.Connection, entries: list[dict[str, Any]], base_path: str
) -> list[dict[str, Any]]:
    """Each entry with the job's own verdict and summary (when it stored output) and links."""
    stored = outputs(conn, [(e["job_id"], e["run_id"]) for e in entries])
    result = []
    for e in entries:
        found = stored.get((e["job_id"], e["run_id"]))
        entry = {k: v for k, v in e.items() if not k.startswith("_")}
        entry["success"] = found["success"] if found else None
        entry["summary"] = found["summary"] if found else None
        entry["has_output"] = found is not None
        entry |= airflow_links(base_path, e["job_id"], e["run_id"])
        result.append(entry)
    return result


def outputs(
    conn: sa.Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    keys = list(keys)
    if not keys:
        return {}
    rows = conn.execute(
        sa.select(
            job_output.c.job_id, job_output.c.run_id, job_output.c.success, job_output.c.summary
        ).where(
            job_output.c.run_id.in_({k[1] for k in keys}),
            job_output.c.job_id.in_({k[0] for k in keys}),
        )
    ).all()
    wanted = set(keys)
    return {
        (r.job_id, r.run_id): {"success": r.success, "summary": r.summary}
        for r in rows
        if (r.job_id, r.run_id) in wanted
    }


def run_state(session: Session, dag_id: str, run_id: str, now: dt.datetime) -> str | None:
    """One run's state as the history shows it, or None when Airflow has no such run."""
    dag_run, ti = _tables()
    task, wait = ti.alias("job_task"), ti.alias("wait_task")
    row = session.execute(
        sa.select(
            dag_run.c.state, task.c.state.label("task_state"), wait.c.state.label("wait_state")
        )
        .select_from(dag_run)
        .outerjoin(task, _task_of(task, dag_run, TASK_ID))
        .outerjoin(wait, _task_of(wait, dag_run, WAIT_TASK_ID))
        .where(dag_run.c.dag_id == dag_id, dag_run.c.run_id == run_id)
    ).first()
    return state_of(row.state, row.task_state, row.wait_state) if row else None
