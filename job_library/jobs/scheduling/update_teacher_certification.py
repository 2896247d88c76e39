"""Update Teacher Certification (SIS): in/out-of-field status of sections from certifications."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.sis_params import SchoolYear

# Scopes that still count when a certification meets a course through its subject group.
SCOPED_GROUPS = ("A", "L", "T")

# A certification meets a requirement of the section's course when it is valid on the run
# day and either has the requirement's full code (and its scope, when the requirement names
# one), or shares the requirement's 3-digit subject group, where the scope does not matter
# unless it is A, L or T: then it must be the requirement's scope.
_STATUS = """
INSERT INTO {temp} (course_period_id, old_status, new_status)
SELECT cp.course_period_id, cp.cert_status,
  CASE
    WHEN cp.teacher_id IS NULL THEN NULL
    WHEN NOT EXISTS (
      SELECT 1 FROM course_cert_requirements r WHERE r.course_number = co.course_number)
      THEN NULL
    WHEN EXISTS (
      SELECT 1 FROM course_cert_requirements r
      JOIN teacher_certifications c ON c.staff_id = cp.teacher_id
      WHERE r.course_number = co.course_number
        AND c.valid_from <= :today AND (c.valid_to IS NULL OR c.valid_to >= :today)
        AND (
          (LENGTH(r.cert_code) = 3 AND SUBSTR(c.cert_code, 1, 3) = r.cert_code
           AND (c.scope IS NULL OR c.scope NOT IN ('A', 'L', 'T') OR c.scope = r.scope))
          OR (LENGTH(r.cert_code) <> 3 AND c.cert_code = r.cert_code
              AND (r.scope IS NULL OR c.scope = r.scope))))
      THEN 'IN'
    ELSE 'OUT'
  END
FROM course_periods cp
JOIN courses co ON co.course_id = cp.course_id
WHERE cp.syear = :syear {schools}
"""

_BAD_WHERE = """
FROM teacher_certifications c
WHERE c.valid_to < c.valid_from
   OR LENGTH(c.cert_code) < 3
"""
_BAD_CERTS = (
    "SELECT c.id, c.staff_id, c.cert_code, c.valid_from, c.valid_to"
    + _BAD_WHERE
    + "ORDER BY c.id LIMIT :cap"
)
_BAD_COUNT = "SELECT COUNT(*)" + _BAD_WHERE


class UpdateTeacherCertificationParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools; leave empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed sections listed")


@dataclass(frozen=True)
class StatusChanges:
    """What a run changed, with the first changed sections and the unusable certifications."""

    sections: int
    changed: int
    status_in: int
    status_out: int
    listed: list[tuple]
    bad: list[tuple]
    bad_total: int


class UpdateTeacherCertification(Job):
    key = "update_teacher_certification"
    title = "Update Teacher Certification"
    description = (
        "Run after the HR certification import: for every course section of the school year "
        "it works out again whether the section's teacher is in or out of field, and stores "
        "IN or OUT as the section's Cert/Licensure/Qual Status. Rules: a teacher is in field "
        "when one of their certifications is valid on the run day (from its start day through "
        "its end day, open-ended without one) and meets one of the course's Course Code "
        "Directory requirements: the same full certification code (and the same scope when "
        "the requirement names one), or the same 3-digit subject group code, where the "
        "certification's scope is not looked at unless it is A, L or T, in which case it "
        "must be the requirement's scope. A course without requirements, or a section "
        "without a teacher, gets an empty status. Certifications that end before they start "
        "or have a code shorter than three characters never count and are listed."
    )
    module = "SIS"
    params_model = UpdateTeacherCertificationParams

    def run(self, context: JobContext, params: UpdateTeacherCertificationParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No section was changed.")
        syear, school_ids = resolved
        changes = recalculate(conn, syear, school_ids, context.now().date(), params.max_listed)
        return _report(changes, syear, params)


def recalculate(
    conn: sa.Connection, syear: int, school_ids: list[int] | None, today: dt.date, cap: int
) -> StatusChanges:
    """Set every section's certification status of ``syear`` from the certifications."""
    from job_library.schemas.district import staff
    from job_library.schemas.scheduling import course_periods, courses
    from job_library.sis_sql import (
        analyze,
        bind_lists,
        differs_sql,
        first_rows,
        in_list,
        scratch_table,
    )

    temp = scratch_table(
        conn,
        "tmp_teacher_cert_status",
        [
            sa.Column("course_period_id", sa.Integer, primary_key=True),
            sa.Column("old_status", sa.String(3)),
            sa.Column("new_status", sa.String(3)),
        ],
    )
    sql = _STATUS.format(temp=temp.name, schools=in_list("cp.school_id", "schools", school_ids))
    conn.execute(bind_lists(sa.text(sql), schools=school_ids), {"syear": syear, "today": today})
    analyze(conn, temp)
    differs = sa.text(differs_sql(conn, "old_status", "new_status"))
    cp, co = course_periods, courses
    query = (
        sa.select(
            temp.c.course_period_id,
            co.c.course_number,
            cp.c.title,
            staff.c.last_name,
            staff.c.first_name,
            temp.c.old_status,
            temp.c.new_status,
        )
        .join(cp, cp.c.course_period_id == temp.c.course_period_id)
        .join(co, co.c.course_id == cp.c.course_id)
        .outerjoin(staff, staff.c.staff_id == cp.c.teacher_id)
        .where(differs)
        .order_by(temp.c.course_period_id)
    )
    listed = first_rows(conn, query, cap)
    counts = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.count(sa.case((temp.c.new_status == "IN", 1))),
            sa.func.count(sa.case((temp.c.new_status == "OUT", 1))),
        ).select_from(temp)
    ).one()
    new = sa.select(temp.c.new_status).where(temp.c.course_period_id == cp.c.course_period_id)
    changed = conn.execute(
        sa.update(cp)
        .where(cp.c.course_period_id.in_(sa.select(temp.c.course_period_id).where(differs)))
        .values(cert_status=new.scalar_subquery())
    ).rowcount
    temp.drop(conn)
    bad = [tuple(r) for r in conn.execute(sa.text(_BAD_CERTS), {"cap": cap})]
    bad_total = conn.execute(sa.text(_BAD_COUNT)).scalar_one()
    return StatusChanges(counts[0], changed, counts[1], counts[2], listed, bad, bad_total)


def _report(
    changes: StatusChanges, syear: int, params: UpdateTeacherCertificationParams
) -> JobResult:
    if changes.changed == 0:
        summary = (
            f"All {changes.sections} section(s) of {syear} already had the right certification "
            "status; nothing changed."
        )
    else:
        summary = (
            f"Changed the certification status of {changes.changed} of {changes.sections} "
            f"section(s) of {syear}: {changes.status_in} in field, {changes.status_out} out "
            "of field."
        )
    lines = [summary]
    rows = []
    for section, number, title, last, first, old, new in changes.listed:
        teacher = f"{last}, {first}" if last else "-"
        rows.append((section, number, title, teacher, old, new))
        lines.append(
            f"  section {section} ({title}, course {number or '-'}, teacher {teacher}): "
            f"{old or '-'} -> {new or '-'}"
        )
    for cert, staff_id, code, start, end in changes.bad:
        reason = (
            f"code {code!r} is shorter than three characters"
            if len(code) < 3
            else f"it ends on {end} before it starts on {start}"
        )
        lines.append(f"  certification {cert} of staff {staff_id} never counts: {reason}.")
    more_bad = changes.bad_total - len(changes.bad)
    if more_bad > 0:
        lines.append(
            f"  ... and {more_bad} more unusable certification(s) (listing capped at "
            f"{params.max_listed})."
        )
    result = listed_result(
        summary,
        lines,
        ("Section", "Course number", "Section title", "Teacher", "Status before", "Status after"),
        rows,
        total=changes.changed,
        cap=params.max_listed,
        counts={
            "sections": changes.sections,
            "changed": changes.changed,
            "in_field": changes.status_in,
            "out_of_field": changes.status_out,
            "bad_certifications": changes.bad_total,
        },
    )
    return result
