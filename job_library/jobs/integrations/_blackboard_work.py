"""The Blackboard jobs' work: Focus records pushed to Blackboard Learn, Blackboard's read back."""

from __future__ import annotations

import dataclasses
import html
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from job_library import sent_ledger
from job_library.base import HttpEndpoint, JobContext, JobResult
from job_library.http_client import ApiClient, ApiError
from job_library.jobs.integrations.blackboard_transfer import BlackboardParams
from job_library.output import html_table
from job_library.schemas.district import staff
from job_library.schemas.enrollment import student_enrollment, students
from job_library.schemas.integrations import blackboard_links
from job_library.schemas.scheduling import course_periods
from job_library.sis_sql import resolve_year_and_schools, scratch_table

USERS = "learn/api/public/v1/users"
COURSES = "learn/api/public/v3/courses"
_FOCUS_ID = re.compile(r"^focus-(student|staff|section)-(\d{1,9})$")

Records = dict[str, dict[str, Any]]


def _in(column: sa.ColumnElement, school_ids: list[int] | None) -> sa.ColumnElement[bool]:
    return sa.true() if school_ids is None else column.in_(school_ids)


def people(conn: sa.Connection, syear: int, school_ids: list[int] | None) -> Records:
    """Blackboard users for the year's students and the teachers of its sections."""
    st, e, cp, t = students, student_enrollment, course_periods, staff
    enrolled = sa.exists().where(
        e.c.student_id == st.c.student_id, e.c.syear == syear, _in(e.c.school_id, school_ids)
    )
    out: Records = {}
    for sid, first, last in conn.execute(
        sa.select(st.c.student_id, st.c.first_name, st.c.last_name)
        .where(enrolled)
        .order_by(st.c.student_id)
    ):
        out[f"focus-student-{sid}"] = {
            "externalId": f"focus-student-{sid}",
            "userName": f"focus-s{sid}",
            "studentId": str(sid),
            "name": {"given": first, "family": last},
            "availability": {"available": "Yes"},
        }
    teaches = sa.exists().where(
        cp.c.teacher_id == t.c.staff_id, cp.c.syear == syear, _in(cp.c.school_id, school_ids)
    )
    for tid, first, last in conn.execute(
        sa.select(t.c.staff_id, t.c.first_name, t.c.last_name).where(teaches).order_by(t.c.staff_id)
    ):
        out[f"focus-staff-{tid}"] = {
            "externalId": f"focus-staff-{tid}",
            "userName": f"focus-t{tid}",
            "name": {"given": first, "family": last},
            "availability": {"available": "Yes"},
        }
    return out


def sections(conn: sa.Connection, syear: int, school_ids: list[int] | None) -> Records:
    cp = course_periods
    rows = conn.execute(
        sa.select(cp.c.course_period_id, cp.c.title)
        .where(cp.c.syear == syear, _in(cp.c.school_id, school_ids))
        .order_by(cp.c.course_period_id)
    )
    return {
        f"focus-section-{cpid}": {
            "externalId": f"focus-section-{cpid}",
            "courseId": f"FOCUS-{syear}-{cpid}",
            "name": title[:333],
            "availability": {"available": "Yes"},
        }
        for cpid, title in rows
    }


@dataclass
class Pushed:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None


def _message(response: Any) -> str:
    try:
        body = response.json()
        text = body.get("message") if isinstance(body, dict) else None
    except ValueError:
        text = None
    return f"HTTP {response.status_code}: {text or response.text[:200]}"


def _push(context: JobContext, client: ApiClient, path: str, records: Records, out: Pushed) -> None:
    conn, target = context.connection, f"blackboard/{path.rsplit('/', 1)[-1]}"
    known = sent_ledger.sent(conn, context.job_id, target)
    todo = sent_ledger.unsent(conn, context.job_id, target, records)
    out.unchanged += len(records) - len(todo)
    accepted: list[tuple[str, Any, str | None]] = []
    try:
        for key, payload in todo.items():
            update = f"{path}/externalId:{key}"
            if key in known:
                response, made = client.request("PATCH", update, json=payload), False
            else:
                body = dict(payload)
                if path == USERS:  # Blackboard wants one; people sign in through the district
                    body["password"] = secrets.token_urlsafe(18)
                response, made = client.request("POST", path, json=body), True
                if response.status_code == 409:  # already in Blackboard: bring it up to date
                    response, made = client.request("PATCH", update, json=payload), False
            if response.status_code in (200, 201):
                accepted.append((key, payload, str(response.json().get("id") or "") or None))
                (out.created if made else out.updated).append(key)
            else:
                out.refused.append((key, _message(response)))
    except ApiError as exc:
        out.stopped = f"{key}: {exc}"
    finally:
        sent_ledger.record(conn, context.job_id, target, accepted, context.now())


def _with_token_url(endpoint: HttpEndpoint) -> HttpEndpoint:
    """Blackboard's token endpoint unless the connection names another."""
    extra = {"token_url": "learn/api/public/v1/oauth2/token", **endpoint.extra}
    return dataclasses.replace(endpoint, extra=extra)


def _more(cap: int, *listings: Sequence[object]) -> list[str]:
    """The line that says how many records each capped listing left out, if any."""
    more = sum(max(0, len(listing) - cap) for listing in listings)
    return [f"  ... and {more} more (listing capped at {cap})."] if more else []


def _year(conn: sa.Connection, params: BlackboardParams) -> tuple[int, list[int] | None] | str:
    return resolve_year_and_schools(conn, params.syear, params.schools)


def transfer(context: JobContext, params: BlackboardParams, conn_id: str) -> JobResult:
    conn = context.connection
    year = _year(conn, params)
    if isinstance(year, str):
        return JobResult.message(False, year)
    syear, school_ids = year
    if context.http is None:
        raise RuntimeError("this runner gives jobs no web-API endpoints (JobContext.http)")
    endpoint = _with_token_url(context.http(conn_id))
    out = Pushed()
    with ApiClient(endpoint, auth="oauth2") as client:
        for path, records in (
            (USERS, people(conn, syear, school_ids)),
            (COURSES, sections(conn, syear, school_ids)),
        ):
            _push(context, client, path, records, out)
            if out.stopped:
                break
    cap = params.max_listed
    summary = (
        f"Blackboard: {len(out.created)} created, {len(out.updated)} updated, "
        f"{out.unchanged} unchanged, {len(out.refused)} refused."
    )
    if out.stopped:
        summary += f" Stopped at {out.stopped}; the next run sends the rest."
    lines = [summary]
    lines += [f"  refused: {k}: {m}" for k, m in out.refused[:cap]]
    lines += [f"  created: {k}" for k in out.created[:cap]]
    lines += [f"  updated: {k}" for k in out.updated[:cap]]
    lines += _more(cap, out.refused, out.created, out.updated)
    return JobResult(
        success=out.stopped is None,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>"
        + html_table(("Record", "Blackboard's message"), out.refused[:cap]),
        counts={
            "created": len(out.created),
            "updated": len(out.updated),
            "unchanged": out.unchanged,
            "refused": len(out.refused),
        },
    )


def read_all(client: ApiClient, path: str, page_size: int) -> list[dict[str, Any]]:
    """Every record of a Blackboard collection, following ``paging.nextPage``."""
    body = client.json("GET", path, params={"offset": 0, "limit": page_size})
    found = list(body.get("results", []))
    while nxt := (body.get("paging") or {}).get("nextPage"):
        body = client.json("GET", nxt)
        found += body.get("results", [])
    return found


def _links(users: list[dict], courses: list[dict]) -> list[tuple[str, int, str, str | None]]:
    """(kind, Focus id, Blackboard id, external id): the Focus external id first, then a
    student id for students Blackboard got elsewhere."""
    links: dict[tuple[str, int], tuple[str, int, str, str | None]] = {}
    fallback: dict[tuple[str, int], tuple[str, int, str, str | None]] = {}
    for is_user, records in ((True, users), (False, courses)):
        for record in records:
            ext = record.get("externalId")
            match = _FOCUS_ID.match(ext or "")
            if match:
                key = (match.group(1), int(match.group(2)))
                links.setdefault(key, (*key, record["id"], ext))
            elif is_user and str(record.get("studentId") or "").isdigit():
                key = ("student", int(record["studentId"]))
                fallback.setdefault(key, (*key, record["id"], ext))
    return list({**fallback, **links}.values())


def load(context: JobContext, params: BlackboardParams, conn_id: str) -> JobResult:
    conn = context.connection
    if context.http is None:
        raise RuntimeError("this runner gives jobs no web-API endpoints (JobContext.http)")
    endpoint = _with_token_url(context.http(conn_id))
    page_size = int(endpoint.extra.get("page_size", 100))
    try:
        with ApiClient(endpoint, auth="oauth2") as client:
            users = read_all(client, USERS, page_size)
            courses = read_all(client, COURSES, page_size)
    except ApiError as exc:
        return JobResult.message(
            False, f"Blackboard could not be read: {exc}. Nothing was changed."
        )
    found = scratch_table(
        conn,
        "tmp_blackboard_found",
        [
            sa.Column("kind", sa.String(10), primary_key=True),
            sa.Column("focus_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("blackboard_id", sa.String(100), nullable=False),
            sa.Column("external_id", sa.String(256)),
        ],
    )
    rows = _links(users, courses)
    if rows:
        conn.execute(
            found.insert(),
            [
                dict(zip(("kind", "focus_id", "blackboard_id", "external_id"), r, strict=True))
                for r in rows
            ],
        )
    # Only links to Focus records that exist count.
    exists = sa.or_(
        sa.and_(
            found.c.kind == "student", sa.exists().where(students.c.student_id == found.c.focus_id)
        ),
        sa.and_(found.c.kind == "staff", sa.exists().where(staff.c.staff_id == found.c.focus_id)),
        sa.and_(
            found.c.kind == "section",
            sa.exists().where(course_periods.c.course_period_id == found.c.focus_id),
        ),
    )
    unmatched = conn.execute(
        sa.select(found.c.kind, found.c.focus_id, found.c.blackboard_id).where(~exists)
    ).all()
    conn.execute(found.delete().where(~exists))
    b = blackboard_links
    same_key = sa.and_(b.c.kind == found.c.kind, b.c.focus_id == found.c.focus_id)
    gone = ~sa.exists().where(same_key)
    unlinked = conn.execute(sa.select(b.c.kind, b.c.focus_id).where(gone)).all()
    conn.execute(b.delete().where(gone))
    differs = sa.and_(
        same_key,
        sa.or_(
            b.c.blackboard_id != found.c.blackboard_id,
            sa.func.coalesce(b.c.external_id, "") != sa.func.coalesce(found.c.external_id, ""),
        ),
    )
    updated = conn.execute(
        sa.select(b.c.kind, b.c.focus_id).where(sa.exists().where(differs))
    ).all()
    pick = sa.select
    conn.execute(
        b.update()
        .where(sa.exists().where(differs))
        .values(
            blackboard_id=pick(found.c.blackboard_id).where(same_key).scalar_subquery(),
            external_id=pick(found.c.external_id).where(same_key).scalar_subquery(),
            linked_at=context.now(),
        )
    )
    new = sa.select(
        found.c.kind,
        found.c.focus_id,
        found.c.blackboard_id,
        found.c.external_id,
        sa.literal(context.now(), sa.DateTime(timezone=True)),
    ).where(~sa.exists().where(same_key))
    linked = conn.execute(
        sa.select(found.c.kind, found.c.focus_id).where(~sa.exists().where(same_key))
    ).all()
    conn.execute(
        b.insert().from_select(
            ["kind", "focus_id", "blackboard_id", "external_id", "linked_at"], new
        )
    )
    found.drop(conn)
    not_focus = len(users) + len(courses) - len(rows)
    summary = (
        f"Blackboard: {len(users)} user(s) and {len(courses)} course(s) read; {len(linked)} "
        f"linked, {len(updated)} re-linked, {len(unlinked)} unlinked; "
        f"{not_focus + len(unmatched)} match no Focus record."
    )
    cap = params.max_listed
    lines = [summary]
    lines += [f"  linked: {k} {i}" for k, i in linked[:cap]]
    lines += [f"  re-linked: {k} {i}" for k, i in updated[:cap]]
    lines += [f"  unlinked: {k} {i}" for k, i in unlinked[:cap]]
    lines += [f"  no Focus {k} {i} (Blackboard {bid})" for k, i, bid in unmatched[:cap]]
    lines += _more(cap, linked, updated, unlinked, unmatched)
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>" + html_table(("Kind", "Focus id"), [*linked[:cap]]),
        counts={
            "users_read": len(users),
            "courses_read": len(courses),
            "linked": len(linked),
            "relinked": len(updated),
            "unlinked": len(unlinked),
            "unmatched": not_focus + len(unmatched),
        },
    )
