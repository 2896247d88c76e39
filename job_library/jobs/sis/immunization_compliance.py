"""Nightly Immunization Compliance: active students checked against the year's requirements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result

# Active students of the year with the grade of their primary enrollment (the one that
# started last when two are open today).
_ACTIVE_STUDENTS = """
INSERT INTO {temp} (student_id, grade_id)
SELECT x.student_id, x.grade_id
FROM (
    SELECT e.student_id AS student_id, e.grade_id AS grade_id,
           ROW_NUMBER() OVER (PARTITION BY e.student_id
                              ORDER BY e.start_date DESC, e.id DESC) AS rn
    FROM student_enrollment e
    WHERE e.syear = :syear
      AND e.second_school = FALSE
      AND e.start_date <= :today
      AND (e.end_date IS NULL OR e.end_date >= :today)
      {school_filter}
) x
WHERE x.rn = 1
"""

_VACCINE = "UPPER(TRIM({}))"

# Per active student and applicable requirement: doses given (distinct dates, not exempt,
# through today) and compliance (enough doses, or an exemption on file). A requirement for
# the student's grade replaces the all-grades one for the same vaccine. The doses are
# counted once per student and vaccine, before they meet the requirements (not once per
# requirement row). ``stored``: a compliance record exists already. It is read here, before
# anything is written: asked while inserting into immunization_compliance, a planner that
# takes the table for empty (its first run) scans the growing table once per row.
_COMPLIANCE = f"""
INSERT INTO {{temp}} (student_id, requirement_id, doses_received, compliant, stored)
SELECT n.student_id, n.requirement_id, n.doses_received, n.compliant,
       CASE WHEN EXISTS (
           SELECT 1 FROM immunization_compliance x
           WHERE x.student_id = n.student_id AND x.requirement_id = n.requirement_id)
       THEN TRUE ELSE FALSE END
FROM (
    SELECT a.student_id AS student_id, r.requirement_id AS requirement_id,
           COALESCE(d.doses, 0) AS doses_received,
           CASE WHEN COALESCE(d.doses, 0) >= r.doses_required OR COALESCE(d.exempt, 0) = 1
                THEN TRUE ELSE FALSE END AS compliant
    FROM {{active}} a
    JOIN immunization_requirements r
      ON r.syear = :syear
     AND (r.grade_id = a.grade_id
          OR (r.grade_id IS NULL AND NOT EXISTS (
              SELECT 1 FROM immunization_requirements g
              WHERE g.syear = r.syear AND g.grade_id = a.grade_id
                AND {_VACCINE.format("g.vaccine")} = {_VACCINE.format("r.vaccine")})))
    LEFT JOIN (
        SELECT ir.student_id AS student_id, {_VACCINE.format("ir.vaccine")} AS vaccine,
               COUNT(DISTINCT CASE WHEN ir.exempt = FALSE THEN ir.dose_date END) AS doses,
               MAX(CASE WHEN ir.exempt = TRUE THEN 1 ELSE 0 END) AS exempt
        FROM immunization_records ir
        WHERE ir.dose_date <= :today
        GROUP BY ir.student_id, {_VACCINE.format("ir.vaccine")}
    ) d
      ON d.student_id = a.student_id AND d.vaccine = {_VACCINE.format("r.vaccine")}
) n
"""


class ImmunizationComplianceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools whose active students to check; leave empty for "
        "every school.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed compliance records listed")


@dataclass(frozen=True)
class ComplianceChanges:
    """What a run found and wrote, with the first changed records for the output."""

    students: int
    records: int
    compliant: int
    inserted: int
    updated: int
    removed: int
    listed: list[tuple]


class NightlyImmunizationCompliance(Job):
    key = "nightly_immunization_compliance"
    title = "Nightly Immunization Compliance Job"
    description = (
        "Brings the immunization compliance records of every active student up to date for the "
        "default school year. It is meant for districts that use Focus's immunization compliance "
        "feature as a whole, not on its own. Rules: active students are those with a primary "
        "enrollment of the default school year open today; the grade of the one that started "
        "last decides. The requirements are the default year's for that grade plus its "
        "all-grades ones, a grade requirement replacing the all-grades one for the same "
        "vaccine (vaccine names compared without case or spaces). Doses received are the "
        "distinct dates of the student's non-exempt doses of the vaccine up to today; the "
        "student complies with enough doses or with an exemption on file. A compliance record "
        "is added for each student and requirement, updated when its dose count or "
        "compliance changes (its checked time then moves to the run time, so a night without "
        "changes writes nothing), and removed when the requirement no longer applies to the "
        "active student (a grade change). Records of students who are no longer active and "
        "of other school years are kept as they are."
    )
    module = "SIS"
    params_model = ImmunizationComplianceParams

    def run(self, context: JobContext, params: ImmunizationComplianceParams) -> JobResult:
        from job_library.schemas.health import immunization_requirements
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, None, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No compliance record was changed.")
        syear, school_ids = resolved
        has_requirements = conn.execute(
            sa.select(immunization_requirements.c.requirement_id)
            .where(immunization_requirements.c.syear == syear)
            .limit(1)
        ).first()
        if has_requirements is None:
            return JobResult.message(
                False,
                f"school year {syear}: no immunization requirements; set them up for the "
                "default school year before running this job. No compliance record was "
                "changed.",
            )
        now = context.now()
        changes = refresh_compliance(
            conn, syear=syear, school_ids=school_ids, now=now, max_listed=params.max_listed
        )
        return _report(changes, syear, now.date(), params.max_listed)


def refresh_compliance(
    conn: sa.Connection,
    *,
    syear: int,
    school_ids: Sequence[int] | None,
    now: dt.datetime,
    max_listed: int,
) -> ComplianceChanges:
    """Bring immunization_compliance up to date for the active students of ``syear``."""
    from job_library.schemas.enrollment import students
    from job_library.schemas.health import immunization_compliance, immunization_requirements
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    today = now.date()
    active = scratch_table(
        conn,
        "tmp_immunization_students",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("grade_id", sa.Integer, nullable=False),
        ],
    )
    binds = {"syear": syear, "today": today}
    sql = _ACTIVE_STUDENTS.format(
        temp=active.name, school_filter=in_list("e.school_id", "school_ids", school_ids)
    )
    clause = sa.text(sql).bindparams(sa.bindparam("today", type_=sa.Date))
    conn.execute(bind_lists(clause, school_ids=school_ids), binds)
    analyze(conn, active)
    temp = scratch_table(
        conn,
        "tmp_immunization_compliance",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("requirement_id", sa.Integer, primary_key=True),
            sa.Column("doses_received", sa.Integer, nullable=False),
            sa.Column("compliant", sa.Boolean, nullable=False),
            sa.Column("stored", sa.Boolean, nullable=False),
        ],
    )
    conn.execute(
        sa.text(_COMPLIANCE.format(temp=temp.name, active=active.name)).bindparams(
            sa.bindparam("today", type_=sa.Date)
        ),
        binds,
    )
    analyze(conn, temp)
    ic, req = immunization_compliance, immunization_requirements
    same_key = sa.and_(
        ic.c.student_id == temp.c.student_id, ic.c.requirement_id == temp.c.requirement_id
    )
    differs = sa.or_(
        ic.c.doses_received != temp.c.doses_received, ic.c.compliant != temp.c.compliant
    )
    missing = temp.c.stored == sa.false()
    # This year's records of active students whose requirement no longer applies.
    stale = sa.and_(
        ic.c.student_id.in_(sa.select(active.c.student_id)),
        ic.c.requirement_id.in_(sa.select(req.c.requirement_id).where(req.c.syear == syear)),
        ~sa.exists().where(same_key),
    )
    listed: list[tuple] = []
    if max_listed:
        name = (students.c.last_name, students.c.first_name)
        changed = (
            sa.select(
                temp.c.student_id,
                *name,
                req.c.vaccine,
                sa.literal("updated"),
                ic.c.doses_received,
                temp.c.doses_received,
                ic.c.compliant,
                temp.c.compliant,
            )
            .join_from(temp, ic, same_key)
            .join(req, req.c.requirement_id == temp.c.requirement_id)
            .join(students, students.c.student_id == temp.c.student_id)
            .where(differs)
        )
        added = (
            sa.select(
                temp.c.student_id,
                *name,
                req.c.vaccine,
                sa.literal("added"),
                sa.null(),
                temp.c.doses_received,
                sa.null(),
                temp.c.compliant,
            )
            .join_from(temp, req, req.c.requirement_id == temp.c.requirement_id)
            .join(students, students.c.student_id == temp.c.student_id)
            .where(missing)
        )
        removed_rows = (
            sa.select(
                ic.c.student_id,
                *name,
                req.c.vaccine,
                sa.literal("removed"),
                ic.c.doses_received,
                sa.null(),
                ic.c.compliant,
                sa.null(),
            )
            .join_from(ic, req, req.c.requirement_id == ic.c.requirement_id)
            .join(students, students.c.student_id == ic.c.student_id)
            .where(stale)
        )
        for query in (changed, added, removed_rows):
            listed += first_rows(conn, query.order_by(sa.text("1, 4")), max_listed)
        listed = sorted(listed, key=lambda r: (r[0], r[3], r[4]))[:max_listed]
    removed = conn.execute(sa.delete(ic).where(stale)).rowcount
    updated = conn.execute(
        sa.update(ic)
        .where(same_key, differs)
        .values(doses_received=temp.c.doses_received, compliant=temp.c.compliant, checked_at=now)
    ).rowcount
    inserted = conn.execute(
        sa.insert(ic).from_select(
            ["student_id", "requirement_id", "doses_received", "compliant", "checked_at"],
            sa.select(
                temp.c.student_id,
                temp.c.requirement_id,
                temp.c.doses_received,
                temp.c.compliant,
                sa.literal(now, sa.DateTime(timezone=True)),
            ).where(missing),
        )
    ).rowcount
    students_checked = conn.execute(sa.select(sa.func.count()).select_from(active)).scalar_one()
    records, compliant = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((temp.c.compliant, 1), else_=0)), 0),
        ).select_from(temp)
    ).one()
    temp.drop(conn)
    active.drop(conn)
    return ComplianceChanges(
        students_checked, records, int(compliant), inserted, updated, removed, listed
    )


def _yes_no(value) -> str:
    return "" if value is None else ("yes" if value else "no")


def _report(changes: ComplianceChanges, syear: int, today: dt.date, cap: int) -> JobResult:
    scope = f"school year {syear}, active on {today:%Y-%m-%d}"
    tally = (
        f"{changes.students} active student(s), {changes.records} requirement(s) checked, "
        f"{changes.compliant} compliant, {changes.records - changes.compliant} not"
    )
    total = changes.inserted + changes.updated + changes.removed
    if total == 0:
        summary = f"{tally} ({scope}); every compliance record was up to date, nothing changed."
    else:
        summary = (
            f"{tally} ({scope}); added {changes.inserted}, updated {changes.updated} and "
            f"removed {changes.removed} compliance record(s)."
        )
    lines = [summary]
    rows = []
    for student, last, first, vaccine, change, old_d, new_d, old_c, new_c in changes.listed:
        name = f"{last}, {first}"
        doses = f"{'-' if old_d is None else old_d} -> {'-' if new_d is None else new_d}"
        comply = f"{_yes_no(old_c) or '-'} -> {_yes_no(new_c) or '-'}"
        rows.append((student, name, vaccine, change, doses, comply))
        lines.append(
            f"  student {student} ({name}), {vaccine}: {change}; doses {doses}, compliant {comply}"
        )
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Vaccine", "Change", "Doses", "Compliant"),
        rows,
        total=total,
        cap=cap,
        counts={
            "students": changes.students,
            "checked": changes.records,
            "compliant": changes.compliant,
            "added": changes.inserted,
            "updated": changes.updated,
            "removed": changes.removed,
        },
    )
