"""Ed-Fi Data Sync's work: build each resource's records in SQL, send what changed."""

from __future__ import annotations

import datetime as dt
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
from job_library.schemas.district import (
    attendance_calendar,
    attendance_calendars,
    grade_levels,
    school_grade_levels,
    school_years,
    schools,
    staff,
)
from job_library.schemas.enrollment import student_enrollment, students
from job_library.schemas.scheduling import course_periods, courses, schedule
from job_library.sis_sql import resolve_year_and_schools

# Descriptors every ODS/API holds in the Ed-Fi namespace (the district's own grade level
# descriptors go in its own namespace instead).
ED_FI = "uri://ed-fi.org"
SCHOOL_CATEGORY = f"{ED_FI}/EducationOrganizationCategoryDescriptor#School"
LEA_CATEGORY = f"{ED_FI}/EducationOrganizationCategoryDescriptor#Local Education Agency"
LEA_KIND = f"{ED_FI}/LocalEducationAgencyCategoryDescriptor#Independent"
YEAR_ROUND = f"{ED_FI}/TermDescriptor#Year Round"
LOCAL_COURSE_CODE = f"{ED_FI}/CourseIdentificationSystemDescriptor#LEA course code"
STATE_COURSE_CODE = f"{ED_FI}/CourseIdentificationSystemDescriptor#State course code"
TEACHER = f"{ED_FI}/StaffClassificationDescriptor#Teacher"
TEACHER_OF_RECORD = f"{ED_FI}/ClassroomPositionDescriptor#Teacher of Record"


@dataclass(frozen=True)
class NotSendable:
    """A record the district's data cannot make valid: listed as refused, never sent."""

    reason: str


Records = dict[str, "dict[str, Any] | NotSendable"]


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


def _edfi_year(syear: int) -> int:
    # Focus names a school year by the year it starts (2026 = 2026-2027), Ed-Fi by the year
    # it ends (2027).
    return syear + 1


def local_education_agency_records(
    conn: sa.Connection, params: EdFiSyncParams, syear: int
) -> Records:
    numbers = conn.execute(
        sa.select(schools.c.district_number).distinct().order_by(schools.c.district_number)
    ).scalars()
    out: Records = {}
    for number in numbers:
        if not number.isdigit():
            out[number] = NotSendable(
                f"the schools' district number {number!r} is not a whole number, and Ed-Fi "
                "identifies a local education agency by one; correct it on the schools"
            )
            continue
        name = params.district_name or f"School District {number}"
        out[str(int(number))] = {
            "localEducationAgencyId": int(number),
            "nameOfInstitution": name[:75],
            "categories": [{"educationOrganizationCategoryDescriptor": LEA_CATEGORY}],
            "localEducationAgencyCategoryDescriptor": LEA_KIND,
        }
    return out


def school_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    s, sg, g = schools, school_grade_levels, grade_levels
    offered: dict[int, list[str]] = {}
    for school_id, short in conn.execute(
        sa.select(sg.c.school_id, g.c.short_name)
        .join(g, g.c.grade_id == sg.c.grade_id)
        .order_by(sg.c.school_id, g.c.sort_order)
    ):
        offered.setdefault(school_id, []).append(short)
    rows = conn.execute(
        sa.select(s.c.school_id, s.c.title, s.c.short_name, s.c.district_number).order_by(
            s.c.school_id
        )
    )
    return {
        str(school_id): {
            "schoolId": school_id,
            **(
                {"localEducationAgencyReference": {"localEducationAgencyId": int(district)}}
                if district.isdigit()
                else {}
            ),
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
        for school_id, title, short, district in rows
    }


def _school_year(conn: sa.Connection, syear: int) -> tuple[str, dt.date, dt.date]:
    """The school year's title (each school's session is named by it), first and last day."""
    y = school_years
    title, start, end = conn.execute(
        sa.select(y.c.title, y.c.start_date, y.c.end_date).where(y.c.syear == syear)
    ).one()
    return title, start, end


def session_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    """One year-long session per school that has a calendar or a course in the year."""
    name, start, end = _school_year(conn, syear)
    cal, day, c = attendance_calendars, attendance_calendar, courses
    days = (
        sa.select(sa.func.count(sa.distinct(day.c.school_date)))
        .select_from(day.join(cal, cal.c.calendar_id == day.c.calendar_id))
        .where(cal.c.school_id == schools.c.school_id, cal.c.syear == syear, cal.c.is_default)
        .scalar_subquery()
    )
    active = sa.or_(
        sa.exists().where(cal.c.school_id == schools.c.school_id, cal.c.syear == syear),
        sa.exists().where(c.c.school_id == schools.c.school_id, c.c.syear == syear),
    )
    rows = conn.execute(
        sa.select(schools.c.school_id, days).where(active).order_by(schools.c.school_id)
    )
    return {
        f"{school_id}:{syear}": {
            "sessionName": name,
            "schoolReference": {"schoolId": school_id},
            "schoolYearTypeReference": {"schoolYear": _edfi_year(syear)},
            "beginDate": start.isoformat(),
            "endDate": end.isoformat(),
            "termDescriptor": YEAR_ROUND,
            "totalInstructionalDays": school_days,
        }
        for school_id, school_days in rows
    }


def course_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    c = courses
    rows = conn.execute(
        sa.select(c.c.school_id, c.c.short_name, c.c.title, c.c.course_number, c.c.credits)
        .where(c.c.syear == syear)
        .order_by(c.c.school_id, c.c.short_name)
    )
    out: Records = {}
    for school_id, code, title, state_code, credits in rows:
        codes = [
            {"courseIdentificationSystemDescriptor": LOCAL_COURSE_CODE, "identificationCode": code}
        ]
        if state_code:
            codes.append(
                {
                    "courseIdentificationSystemDescriptor": STATE_COURSE_CODE,
                    "identificationCode": state_code,
                }
            )
        out[f"{school_id}:{code}"] = {
            "courseCode": code,
            "educationOrganizationReference": {"educationOrganizationId": school_id},
            "courseTitle": title[:60],
            "numberOfParts": 1,
            "identificationCodes": codes,
            "maximumAvailableCredits": float(credits),
        }
    return out


def _session_reference(school_id: int, syear: int, name: str) -> dict[str, Any]:
    return {"schoolId": school_id, "schoolYear": _edfi_year(syear), "sessionName": name}


def course_offering_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    name = _school_year(conn, syear)[0]
    c = courses
    rows = conn.execute(
        sa.select(c.c.school_id, c.c.short_name, c.c.title)
        .where(c.c.syear == syear)
        .order_by(c.c.school_id, c.c.short_name)
    )
    return {
        f"{school_id}:{code}:{syear}": {
            "localCourseCode": code,
            "localCourseTitle": title[:60],
            "courseReference": {"courseCode": code, "educationOrganizationId": school_id},
            "schoolReference": {"schoolId": school_id},
            "sessionReference": _session_reference(school_id, syear, name),
        }
        for school_id, code, title in rows
    }


def _section_rows(conn: sa.Connection, syear: int, *extra: Any) -> sa.Result:
    cp, c = course_periods, courses
    return conn.execute(
        sa.select(cp.c.course_period_id, cp.c.school_id, c.c.short_name, *extra)
        .join(c, c.c.course_id == cp.c.course_id)
        .where(cp.c.syear == syear)
        .order_by(cp.c.course_period_id)
    )


def _section_reference(section_id: int, school_id: int, code: str, syear: int, name: str) -> dict:
    return {"sectionIdentifier": str(section_id), "localCourseCode": code} | _session_reference(
        school_id, syear, name
    )


def section_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    name = _school_year(conn, syear)[0]
    return {
        str(section_id): {
            "sectionIdentifier": str(section_id),
            "sectionName": title[:100],
            "courseOfferingReference": {"localCourseCode": code}
            | _session_reference(school_id, syear, name),
        }
        for section_id, school_id, code, title in _section_rows(conn, syear, course_periods.c.title)
    }


def staff_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    s = staff
    rows = conn.execute(
        sa.select(s.c.staff_id, s.c.first_name, s.c.last_name).order_by(s.c.staff_id)
    )
    return {
        str(staff_id): {
            "staffUniqueId": str(staff_id),
            "firstName": first[:75],
            "lastSurname": last[:75],
        }
        for staff_id, first, last in rows
    }


def staff_assignment_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    """Each teacher works at the schools where they teach a section of the year, as a teacher."""
    start, end = _school_year(conn, syear)[1:]
    cp = course_periods
    rows = conn.execute(
        sa.select(cp.c.teacher_id, cp.c.school_id)
        .distinct()
        .where(cp.c.syear == syear, cp.c.teacher_id.is_not(None))
        .order_by(cp.c.teacher_id, cp.c.school_id)
    )
    return {
        f"{teacher}:{school_id}:{start.isoformat()}": {
            "staffReference": {"staffUniqueId": str(teacher)},
            "educationOrganizationReference": {"educationOrganizationId": school_id},
            "staffClassificationDescriptor": TEACHER,
            "beginDate": start.isoformat(),
            "endDate": end.isoformat(),
        }
        for teacher, school_id in rows
    }


def staff_section_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    name, start, end = _school_year(conn, syear)
    return {
        f"{teacher}:{section_id}": {
            "staffReference": {"staffUniqueId": str(teacher)},
            "sectionReference": _section_reference(section_id, school_id, code, syear, name),
            "classroomPositionDescriptor": TEACHER_OF_RECORD,
            "beginDate": start.isoformat(),
            "endDate": end.isoformat(),
        }
        for section_id, school_id, code, teacher in _section_rows(
            conn, syear, course_periods.c.teacher_id
        )
        if teacher is not None
    }


def student_section_records(conn: sa.Connection, params: EdFiSyncParams, syear: int) -> Records:
    name = _school_year(conn, syear)[0]
    sc, c = schedule, courses
    rows = conn.execute(
        sa.select(
            sc.c.student_id,
            sc.c.course_period_id,
            sc.c.school_id,
            c.c.short_name,
            sc.c.start_date,
            sc.c.end_date,
        )
        .join(c, c.c.course_id == sc.c.course_id)
        .where(sc.c.syear == syear)
        .order_by(sc.c.student_id, sc.c.course_period_id, sc.c.start_date)
    )
    out: Records = {}
    for student_id, section_id, school_id, code, start, end in rows:
        record: dict[str, Any] = {
            "studentReference": {"studentUniqueId": str(student_id)},
            "sectionReference": _section_reference(section_id, school_id, code, syear, name),
            "beginDate": start.isoformat(),
        }
        if end is not None:
            record["endDate"] = end.isoformat()
        out[f"{student_id}:{section_id}:{start.isoformat()}"] = record
    return out


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
    "localEducationAgencies": local_education_agency_records,
    "schools": school_records,
    "sessions": session_records,
    "courses": course_records,
    "courseOfferings": course_offering_records,
    "sections": section_records,
    "staffs": staff_records,
    "staffEducationOrganizationAssignmentAssociations": staff_assignment_records,
    "staffSectionAssociations": staff_section_records,
    "students": student_records,
    "studentSchoolAssociations": association_records,
    "studentSectionAssociations": student_section_records,
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
    unsendable = {k: r for k, r in records.items() if isinstance(r, NotSendable)}
    outcome.refused += [(resource, k, f"not sent: {r.reason}") for k, r in unsendable.items()]
    sendable = {k: r for k, r in records.items() if k not in unsendable}
    todo = sent_ledger.unsent(conn, context.job_id, target, sendable)
    outcome.unchanged[resource] = len(sendable) - len(todo)
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
