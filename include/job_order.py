"""Jobs that run after other jobs: checks at save (missing, inactive, cycles) and upstream runs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from include.definitions import FieldError, JobDefinition
from include.focus_db.schema import scheduled_jobs
from include.repository import is_active
from job_library.schema import job_output


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A path ``a, b, …, a`` of run-after links that leads back to its start, or None.

    :param graph: each job id to the ids it runs after.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for upstream in graph.get(node, ()):
            if state.get(upstream) == 1:
                return [*path[path.index(upstream) :], upstream]
            if upstream not in state and (found := visit(upstream)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)) is not None:
            return found
    return None


def order_errors(
    saved: Iterable[JobDefinition], others: Mapping[str, tuple[bool, tuple[str, ...]]]
) -> list[FieldError]:
    """What is wrong with the run-after links once ``saved`` replace their rows.

    :param saved: the definitions being saved.
    :param others: every job in the table as id -> (active, run_after), before the save.
    """
    jobs = dict(others)
    saved = list(saved)
    for d in saved:
        jobs[d.id] = (d.active, d.run_after)
    errors: list[FieldError] = []
    for d in saved:
        for upstream in d.run_after:
            if upstream not in jobs:
                errors.append(
                    FieldError(
                        d.id, "run_after", upstream, "no job has this id (see focus-jobs list)"
                    )
                )
            elif d.active and not jobs[upstream][0]:
                errors.append(
                    FieldError(
                        d.id,
                        "run_after",
                        upstream,
                        "is inactive, so this job would never run: activate it or remove it here",
                    )
                )
        # Deactivating a job that active jobs run after leaves them waiting forever.
        if not d.active:
            for other, (active, run_after) in sorted(jobs.items()):
                if active and d.id in run_after and other != d.id:
                    errors.append(
                        FieldError(
                            d.id,
                            "active",
                            False,
                            f"job '{other}' runs after this job: change that job first",
                        )
                    )
    graph = {job_id: run_after for job_id, (_, run_after) in jobs.items()}
    cycle = find_cycle(graph)
    if cycle is not None:
        # Name it on the first saved job of the cycle: that is the save that closes it.
        where = next((d.id for d in saved if d.id in cycle), cycle[0])
        loop = cycle[:-1]
        start = loop.index(where)
        cycle = [*loop[start:], *loop[:start], where]
        errors.append(
            FieldError(
                where,
                "run_after",
                list(graph[where]),
                "makes a cycle: " + " runs after ".join(cycle) + "; remove one of these links",
            )
        )
    return errors


def table_links(conn: sa.Connection) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """Every job's (active, run_after), as stored."""
    rows = conn.execute(
        sa.select(
            scheduled_jobs.c.id,
            # As stored (text on SQLite), read as the DAG factory reads it.
            sa.type_coerce(scheduled_jobs.c.active, sa.String).label("active"),
            scheduled_jobs.c.run_after,
        )
    ).all()
    return {
        r.id: (is_active(r.active), tuple(j for j in (r.run_after or "").split(",") if j))
        for r in rows
    }


def check_order(
    conn: sa.Connection, saved: Iterable[JobDefinition], *, rows: bool = False
) -> list[FieldError]:
    """:func:`order_errors` against the table as it is in ``conn``.

    :param rows: ``saved`` are the rows of an import file, in order: number the errors.
    """
    saved = list(saved)
    errors = order_errors(saved, table_links(conn))
    if not rows:
        return errors
    row_of = {d.id: i for i, d in enumerate(saved, start=1)}
    return [dataclasses.replace(e, row=row_of.get(e.job_id)) for e in errors]


def dependents(conn: sa.Connection, job_id: str) -> list[str]:
    """Active jobs that run after ``job_id``."""
    return sorted(j for j, (active, ups) in table_links(conn).items() if active and job_id in ups)


def _utc(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite through a coerced column
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def last_runs(conn: sa.Connection, job_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each job's latest stored run: when it finished and whether it succeeded."""
    ids = sorted(set(job_ids))
    if not ids:
        return {}
    latest = (
        sa.select(job_output.c.job_id, sa.func.max(job_output.c.finished_at).label("finished_at"))
        .where(job_output.c.job_id.in_(ids))
        .group_by(job_output.c.job_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(job_output.c.job_id, job_output.c.finished_at, job_output.c.success).join(
            latest,
            sa.and_(
                latest.c.job_id == job_output.c.job_id,
                latest.c.finished_at == job_output.c.finished_at,
            ),
        )
    ).all()
    return {
        r.job_id: {"finished_at": _utc(r.finished_at), "success": bool(r.success)} for r in rows
    }


def waiting_for(conn: sa.Connection, job_id: str, upstream: Iterable[str]) -> list[str]:
    """Of ``upstream``, the jobs with no successful run since ``job_id`` last ran.

    Before its first run, since it was created: an upstream success from before the job
    existed does not start it.
    """
    own = conn.execute(
        sa.select(sa.func.max(job_output.c.started_at)).where(job_output.c.job_id == job_id)
    ).scalar()
    if own is None:
        own = conn.execute(
            sa.select(scheduled_jobs.c.created_at).where(scheduled_jobs.c.id == job_id)
        ).scalar()
    since = _utc(own)
    waiting = []
    for up in upstream:
        succeeded = conn.execute(
            sa.select(sa.func.max(job_output.c.finished_at)).where(
                job_output.c.job_id == up, job_output.c.success.is_(True)
            )
        ).scalar()
        succeeded = _utc(succeeded)
        if succeeded is None or (since is not None and succeeded <= since):
            waiting.append(up)
    return waiting
