"""Ed-Fi Data Sync's work: build each resource's records in SQL, send what changed."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from job_library import sent_ledger
from job_library.base import JobContext, JobResult
from job_library.http_client import ApiClient, ApiError
from job_library.jobs.integrations.edfi_sync import RESOURCE_ORDER, EdFiSyncParams
from job_library.output import html_table
from job_library.schemas.district import grade_levels, school_grade_levels, schools
from job_library.schemas.enrollment import student_enrollment, students
from job_library.sis_sql import resolve_year_and_schools

SCHOOL_CATEGORY = "uri://ed-fi.org/EducationOrganizationCategoryDescriptor#School"

Records = dict[str, dict[str, Any]]


def _grade(params: EdFiSyncParams, short_name: str) -> str:
    return f"{params.descriptor_namespace}/GradeLevelDescriptor#{short_name}"


def grade_level_descriptors(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    g = grade_levels
    rows = conn.execute(sa.select(g.c.short_name, g.c.title).order_by(g.c.sort_order)).all()
    return {
        short: {
            "codeValue": short,
            "namespace": f"{params.descriptor_namespace}/GradeLevelDescriptor",
            "shortDescription": title[:75],
            "description": title,
        }
        for short, title in rows
    }


def school_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    s, sg, g = schools, school_grade_levels, grade_levels
    offered: dict[int, list[str]] = {}
    for school_id, short in conn.execute(
        sa.select(sg.c.school_id, g.c.short_name)
        .join(g, g.c.grade_id == sg.c.grade_id)
        .order_by(sg.c.school_id, g.c.sort_order)
    ):
        offered.setdefault(school_id, []).append(short)
    rows = conn.execute(sa.select(s.c.school_id, s.c.title, s.c.short_name).order_by(s.c.school_id))
    return {
        str(school_id): {
            "schoolId": school_id,
            "nameOfInstitution": title[:75],
            "shortNameOfInstitution": short[:75],
            "educationOrganizationCategories": [
                {"educationOrganizationCategoryDescriptor": SCHOOL_CATEGORY}
            ],
            "gradeLevels": [
                {"gradeLevelDescriptor": _grade(params, grade)}
                for grade in offered.get(school_id, [])
            ],
        }
        for school_id, title, short in rows
    }


def student_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    st, e = students, student_enrollment
    enrolled = sa.exists().where(e.c.student_id == st.c.student_id, e.c.syear == syear)
    rows = conn.execute(
        sa.select(st.c.student_id, st.c.first_name, st.c.last_name, st.c.birthdate)
        .where(enrolled)
        .order_by(st.c.student_id)
    )
    out: Records = {}
    for student_id, first, last, born in rows:
        record: dict[str, Any] = {
            "studentUniqueId": str(student_id),
            "firstName": first[:75],
            "lastSurname": last[:75],
        }
        if born is not None:  # without it the API refuses the student, and says so
            record["birthDate"] = born.isoformat()
        out[str(student_id)] = record
    return out


def association_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    e, g = student_enrollment, grade_levels
    rows = conn.execute(
        sa.select(e.c.student_id, e.c.school_id, e.c.start_date, e.c.end_date, g.c.short_name)
        .join(g, g.c.grade_id == e.c.grade_id)
        .where(e.c.syear == syear)
        .order_by(e.c.student_id, e.c.start_date)
    )
    out: Records = {}
    for student_id, school_id, start, end, grade in rows:
        record: dict[str, Any] = {
            "studentReference": {"studentUniqueId": str(student_id)},
            "schoolReference": {"schoolId": school_id},
            "entryDate": start.isoformat(),
            "entryGradeLevelDescriptor": _grade(params, grade),
        }
        if end is not None:
            record["exitWithdrawDate"] = end.isoformat()
        out[f"{student_id}:{school_id}:{start.isoformat()}"] = record
    return out


BUILDERS: dict[str, Callable[[sa.Connection, EdFiSyncParams, int], Records]] = {
    "gradeLevelDescriptors": grade_level_descriptors,
    "schools": school_records,
    "students": student_records,
    "studentSchoolAssociations": association_records,
}


@dataclass
class Outcome:
    sent: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    listed: list[tuple[str, str, str]] = field(default_factory=list)  # resource, key, status
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # resource, key, message
    stopped: str | None = None


def api_message(response: Any) -> str:
    """What an Ed-Fi API says about a refused record: its message and the fields it names."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}: {str(body)[:200]}"
    parts = [str(body.get("message") or body.get("detail") or "")]
    for name, errors in (body.get("modelState") or body.get("validationErrors") or {}).items():
        parts.append(f"{name}: {' '.join(map(str, errors))}")
    return f"HTTP {response.status_code}: " + "; ".join(p for p in parts if p)


def sync(context: JobContext, params: EdFiSyncParams, conn_id: str) -> JobResult:
    conn = context.connection
    year = resolve_year_and_schools(conn, params.syear, [])
    if isinstance(year, str):
        return JobResult.message(False, year)
    syear = year[0]
    if context.http is None:
        raise RuntimeError("this runner gives jobs no web-API endpoints (JobContext.http)")
    endpoint = context.http(conn_id)
    wanted = [r for r in RESOURCE_ORDER if r in params.resources]
    outcome = Outcome()
    with ApiClient(endpoint, auth="oauth2", headers={"Accept": "application/json"}) as client:
        for resource in wanted:
            _send(context, client, resource, BUILDERS[resource](conn, params, syear), outcome)
            if outcome.stopped:
                break
    return _result(params, wanted, outcome)


def _send(
    context: JobContext, client: ApiClient, resource: str, records: Records, outcome: Outcome
) -> None:
    conn, target = context.connection, f"ed-fi/{resource}"
    todo = sent_ledger.unsent(conn, context.job_id, target, records)
    outcome.unchanged[resource] = len(records) - len(todo)
    accepted: list[tuple[str, Any, str | None]] = []
    try:
        for key, payload in todo.items():
            response = client.request("POST", target, json=payload)
            if response.status_code in (200, 201):
                location = response.headers.get("Location", "")
                accepted.append((key, payload, location.rstrip("/").rsplit("/", 1)[-1] or None))
                outcome.listed.append(
                    (resource, key, "created" if response.status_code == 201 else "updated")
                )
            else:
                outcome.refused.append((resource, key, api_message(response)))
    except ApiError as exc:
        outcome.stopped = f"{resource} {key}: {exc}"
    finally:
        # What the API accepted is remembered even when the run stops here: it is committed
        # with the run's output, and the next run sends only the rest.
        sent_ledger.record(conn, context.job_id, target, accepted, context.now())
        outcome.sent[resource] = len(accepted)


def _result(params: EdFiSyncParams, wanted: list[str], outcome: Outcome) -> JobResult:
    cap = params.max_listed
    sent = sum(outcome.sent.values())
    unchanged = sum(outcome.unchanged.values())
    per = ", ".join(
        f"{r} {outcome.sent.get(r, 0)} sent/{outcome.unchanged.get(r, 0)} unchanged"
        for r in wanted
        if r in outcome.unchanged
    )
    summary = (
        f"Ed-Fi: {sent} record(s) sent, {unchanged} unchanged, {len(outcome.refused)} refused "
        f"by the API ({per})."
    )
    if outcome.stopped:
        not_reached = [r for r in wanted if r not in outcome.unchanged]
        summary += (
            f" Stopped at {outcome.stopped}; what the API accepted is remembered and the next "
            "run sends the rest"
            + (f" (not reached: {', '.join(not_reached)})" if not_reached else "")
            + "."
        )
    lines = [summary]
    lines += [f"  refused: {r} {k}: {m}" for r, k, m in outcome.refused[:cap]]
    lines += [f"  {s}: {r} {k}" for r, k, s in outcome.listed[:cap]]
    more = max(0, len(outcome.refused) - cap) + max(0, len(outcome.listed) - cap)
    if more:
        lines.append(f"  ... and {more} more (listing capped at {cap}).")
    page = (
        f"<p>{html.escape(summary)}</p>"
        + html_table(("Resource", "Record", "API message"), outcome.refused[:cap])
        + html_table(("Resource", "Record", "Sent"), outcome.listed[:cap])
    )
    counts = {"sent": sent, "unchanged": unchanged, "refused": len(outcome.refused)}
    counts |= {f"sent_{r}": outcome.sent.get(r, 0) for r in wanted}
    return JobResult(
        success=outcome.stopped is None,
        summary=summary,
        text="\n".join(lines),
        html=page,
        counts=counts,
    )
